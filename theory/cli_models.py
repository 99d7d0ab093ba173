"""``theory models | solve | curve | simulate``: the saddle-point models from the command line.

``curve`` keeps every point: a point that failed is NaN in ``--csv``/``--json``/``--plot`` and
flagged (``converged`` and ``failure`` columns), stderr says which points failed and why, and the
exit code is 1 when any failed (130 after Ctrl-C, with the finished points written). Every option
and KEY=VALUE pair is validated before anything is solved (exit 2, one line). Output files are
written through a temporary file renamed into place: never half-written.

``simulate`` refuses a setting whose memory estimate (:mod:`theory.simulate.resources`) does
not fit, before allocating (exit 2, one line); ``--dry-run`` prints the estimate; Ctrl-C stops
with exit 130 and one line saying how many seeds were finished and where they are kept. The
progress bars (:mod:`theory.progress`) are drawn only when stderr is a terminal and never with
``--json``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
import sys
import tempfile

from .errors import InputError

__all__ = ["add_model_commands"]


def _is_real(tp) -> bool:
    """A dataclass field's type is a real number: float, "float", "float | None",
    "Optional[float]" (with postponed annotations the type is its text)."""
    if tp is float:
        return True
    text = str(tp).replace(" ", "")
    return text in ("float", "float|None", "None|float", "Optional[float]",
                    "typing.Optional[float]")


def _parse_kv(model, items: list, *, exact: bool = False) -> dict:
    """KEY=VALUE pairs -> parameters; a key given twice is refused. With ``exact`` (``--dps``)
    real values are kept as their decimal text, so the mpmath path reads 0.3 as 3/10."""
    types = {f.name: f.type for f in dataclasses.fields(model.Params)}
    out: dict = {}
    for it in items:
        if "=" not in it:
            raise InputError("parameter", it, "KEY=VALUE (see `theory models`)")
        k, v = (t.strip() for t in it.split("=", 1))
        if k not in types:
            renamed = getattr(model, "renamed_parameters", {}).get(k)
            raise InputError("parameter", k, f"a parameter of {model.name}: one of "
                             f"{sorted(types)}",
                             hint=f"{k} was renamed: {renamed}" if renamed else None)
        if k in out:
            raise InputError(k, v, f"given once (it is also given as {k}={out[k]})",
                             hint="duplicate KEY=VALUE pairs are refused")
        if _is_real(types[k]):
            try:
                x = float(v)
            except ValueError:
                raise InputError(k, v, "a real number") from None
            if not math.isfinite(x):
                raise InputError(k, v, "a finite real number")
            out[k] = v if exact else x
        else:
            out[k] = v
    return out


def _cmd_models(a) -> int:
    from .models import load_all

    reg = load_all()
    if a.json:
        print(json.dumps({name: {"title": cls.title, "reference": cls.reference,
                                 "parameters": [dict(zip(("name", "default", "doc", "allowed"),
                                                         row)) for row in cls().parameters()],
                                 "observables": dict(getattr(cls, "observable_docs", {})),
                                 "correspondence": getattr(cls, "correspondence", None)}
                          for name, cls in sorted(reg.items())}, default=str,
                         ensure_ascii=False))
        return 0
    for name, cls in sorted(reg.items()):
        m = cls()
        print(f"{name}: {m.title}")
        print(f"  {m.reference}")
        print("  parameters (the paper's symbol first):")
        for pname, default, doc, allowed in m.parameters():
            print(f"    {pname:<11} = {default!s:<10} {doc} [{allowed}]")
        obs = getattr(m, "observable_docs", None)
        if obs:
            print("  observables:")
            for oname, doc in obs.items():
                print(f"    {oname:<17} {doc}")
        corr = getattr(m, "correspondence", None)
        if corr:
            print("  correspondence (exact):")
            for line in corr.splitlines():
                print(f"    {line}")
    return 0


def _cmd_solve(a) -> int:
    from .models import get_model, solve
    from .models.base import make_params

    model = get_model(a.model)
    params = _parse_kv(model, a.params, exact=a.dps is not None)
    p = make_params(model, params)  # every parameter checked before solving
    if a.latex:
        print(model.system(p).latex())
        return 0
    res = solve(model, tol=a.tol, method=a.method, strict=a.strict, dps=a.dps,
                max_iter=a.max_iter, max_time=a.max_time, max_evaluations=a.max_evaluations,
                progress=False if a.quiet else None, **params)
    if a.json:
        print(json.dumps(res.to_dict(), default=str))
    else:
        print(res)
    if not res.converged:
        sys.stderr.write(f"theory: not converged ({res.failure}): {res.message}\n")
    return 0 if res.converged else 1


def _atomic_write(path: str, data: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError("output", path, "a path in an existing folder")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".theory-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _plot_bytes(c, observable: str, fmt: str) -> bytes:
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    y = c.column(observable)
    ax.plot(c.values, y, "-", label=f"{c.model} (theory)")
    bad = ~c.converged
    if bad.any():  # failed points: marked on the axis, never drawn as values
        ax.plot(c.values[bad], np.zeros(int(bad.sum())), "x", color="red", clip_on=False,
                transform=ax.get_xaxis_transform(), label="not converged")
    ax.set_xlabel(c.vary)
    ax.set_ylabel(observable)
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt)
    plt.close(fig)
    return buf.getvalue()


def _cmd_curve(a) -> int:
    from .models import curve, get_model
    from .models.base import make_params, parse_grid

    model = get_model(a.model)
    if "=" not in a.vary:
        raise InputError("vary", a.vary, "NAME=start:stop:count or NAME=v1,v2,...")
    name, grid = (t.strip() for t in a.vary.split("=", 1))
    params = _parse_kv(model, a.params)
    if name in params:
        raise InputError("vary", name, "a parameter not also given as KEY=VALUE")
    fields = [f for f, *_ in model.parameters()]
    if name not in fields:
        raise InputError("vary", name, f"a parameter of {model.name}: one of {sorted(fields)}")
    values = parse_grid(grid)
    # every option is checked before anything is solved
    p0 = make_params(model, {**params, name: float(values[0])})
    known = model.observable_names(p0)
    if a.observable is None:  # test_error where the model has one, else its first observable
        first = [*model.system(p0).observables, *model.system(p0).state_names][0]
        a.observable = "test_error" if known is None or "test_error" in known else first
    if known is not None:
        ok = a.observable in known or (a.observable.startswith("closed_form.")
                                       and hasattr(model, "closed_form"))
        if not ok:
            raise InputError("observable", a.observable, f"one of {sorted(known)}")
    for path in (a.csv, a.plot):
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise InputError("output", path, "a path in an existing folder")
    fmt = None
    if a.plot:
        fmt = os.path.splitext(a.plot)[1].lstrip(".").lower()
        if fmt not in ("png", "pdf", "svg"):
            raise InputError("plot", a.plot, "a file name ending in .png, .pdf or .svg")
    from .progress import progress_bar

    quiet = a.quiet or a.json  # --json: nothing on stderr but errors
    prog = progress_bar(f"{model.name} {name}", len(values), enabled=False if quiet else None)
    import warnings

    with warnings.catch_warnings(), prog:  # an interrupted curve is reported below, in one line
        warnings.filterwarnings("ignore", message="curve interrupted", category=RuntimeWarning)
        c = curve(model, name, values, tol=a.tol, method=a.method, max_iter=a.max_iter,
                  max_time=a.max_time, max_evaluations=a.max_evaluations, strict=False,
                  progress=prog, solver_progress=False if quiet else None, **params)
    rows = c.rows()
    if a.observable not in rows[0]:  # a model without declared derived names
        raise InputError("observable", a.observable, f"one of {sorted(rows[0])}")
    outputs = []
    if a.csv:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
        outputs.append((a.csv, buf.getvalue().encode()))
    if a.plot and c.converged.any():
        outputs.append((a.plot, _plot_bytes(c, a.observable, fmt or "png")))
    for path, data in outputs:
        _atomic_write(path, data)
    if a.json:
        print(json.dumps(c.to_dict(), default=str))
    else:
        print(f"{name:>10}  {a.observable:>16}  residual  status")
        for r in rows:
            status = "ok" if r["converged"] else f"FAILED ({r['failure']})"
            print(f"{r[name]:10.5g}  {r[a.observable]:16.10g}  {r['residual']:.1e}  {status}")
        nbad = len(c.failed)
        print(f"{len(rows)} points in {c.seconds:.3g} s" + (f", {nbad} failed" if nbad else ""))
    for v, failure, message in c.failed:
        if failure != "interrupted":
            sys.stderr.write(f"theory: {model.name} at {name}={v:g} failed ({failure}): "
                             f"{message}\n")
    if c.interrupted:
        done = int(sum(p.failure != "interrupted" for p in c.points))
        sys.stderr.write(f"theory: interrupted after {done} of {len(rows)} points; the "
                         "finished points are kept in the outputs\n")
        return 130
    if c.failed:
        sys.stderr.write(f"theory: {len(c.failed)} of {len(rows)} points did not converge "
                         "(kept as NaN, flagged in the converged/failure columns)\n")
        return 1
    return 0


def _simulator_kv(fn, items: list) -> dict:
    """KEY=VALUE pairs -> keyword arguments of a model-less simulator ``fn``: the names are its
    keyword arguments (without the run options), numbers where its default is a number."""
    import inspect

    sig = inspect.signature(fn)
    from .simulate.dispatch import RUN_OPTIONS

    known = {k: v for k, v in sig.parameters.items() if k not in RUN_OPTIONS}
    out: dict = {}
    for it in items:
        if "=" not in it:
            raise InputError("parameter", it, "KEY=VALUE")
        k, v = (t.strip() for t in it.split("=", 1))
        if k not in known:
            raise InputError("parameter", k, f"a parameter of the simulator: one of "
                             f"{sorted(known)}")
        if k in out:
            raise InputError(k, v, f"given once (it is also given as {k}={out[k]})")
        default = known[k].default
        if isinstance(default, (int, float)) and not isinstance(default, bool) or (
                default is inspect.Parameter.empty):
            try:
                xs = [float(t) for t in v.split(",")]
            except ValueError:
                raise InputError(k, v, "a real number (alpha: also a comma-separated "
                                 "list)") from None
            if not all(math.isfinite(x) for x in xs):
                raise InputError(k, v, "a finite real number")
            if len(xs) > 1 and k != "alpha":
                raise InputError(k, v, "one number (only alpha takes a list)")
            out[k] = xs if len(xs) > 1 else xs[0]
        else:
            out[k] = v
    missing = [k for k, v in known.items() if v.default is inspect.Parameter.empty
               and k not in out]
    if missing:
        raise InputError(missing[0], None, "given as KEY=VALUE (it has no default)")
    return out


def _cmd_simulate(a) -> int:
    """Run the model's simulator (``model.simulator``, default
    :func:`~theory.simulate.simulate_random_features`) on ``model.simulation(p, d)``, or a
    model-less simulator of :data:`SIMULATORS` on the KEY=VALUE pairs."""
    import inspect

    from .models import MODELS, get_model, load_all

    load_all()
    extra: dict = {}
    from .simulate.dispatch import SIMULATORS, resolve, simulation_call

    if a.model in SIMULATORS and a.model not in MODELS:
        fn = resolve(SIMULATORS[a.model])
        kw = _simulator_kv(fn, a.params)
        label = a.model
        given = {k.strip(): v.strip() for k, v in (t.split("=", 1) for t in a.params)}
        full, simulated = dict(kw), {}
        extra = _one_step_map(kw) if a.model == "one_step" else {}
        kw = {"d": a.d, **kw}
    else:
        model = get_model(a.model)
        params = _parse_kv(model, a.params)
        call = simulation_call(model.name, params, a.d)
        fn, kw, p = call.fn, call.kwargs, call.params
        if call.theory_observable:
            extra["theory_d_infinity"] = call.theory_observable  # solved after the simulation
        label = model.name
        given, full, simulated = _simulation_echo(model, a.params, p, kw)
    accepts = inspect.signature(fn).parameters
    if a.gaussian_equivalent:
        if "gaussian_equivalent" not in accepts:
            raise InputError("gaussian-equivalent", True, f"not given: the simulator of "
                             f"{label} ({fn.__name__}) has no Gaussian-equivalent features")
        kw["gaussian_equivalent"] = True
    if a.dry_run:
        return _dry_run(a, fn, kw, label)
    if a.cache is not None:
        if not os.path.isdir(a.cache):
            raise InputError("cache", a.cache, "an existing folder")
        kw["cache"] = a.cache
    sim = _run_seeds_interruptible(a, fn, kw, label)
    if isinstance(sim, int):  # interrupted: the exit code
        return sim
    sims = sim if isinstance(sim, list) else [sim]  # a list of alphas: one per alpha
    if extra.get("theory_d_infinity"):  # the model's asymptotic value beside the simulation
        from .models import solve

        res = solve(model, progress=False, **params)
        name = extra["theory_d_infinity"]
        extra["theory_d_infinity"] = {"converged": res.converged, name:
                                      float(res.observables.get(name, float("nan")))}
    if a.json:
        head = {"model": label, "simulator": f"{fn.__module__}.{fn.__name__}",
                "given": given, "parameters": full, "simulator_arguments": simulated, **extra}
        if isinstance(sim, list):
            print(json.dumps({**head, "points": [s.to_dict() for s in sims]}, default=str))
        else:
            print(json.dumps({**head, **sim.to_dict()}, default=str))
    else:
        print(f"{label} at d={a.d} ({a.seeds} seeds, {sims[0].seconds:.3g} s; "
              f"{fn.__module__}.{fn.__name__})")
        print("  parameters: " + ", ".join(f"{k}={given.get(k, v)}" for k, v in full.items()))
        if simulated:
            print("  simulated as: " + ", ".join(f"{k}={v}" for k, v in simulated.items()))
        for k, note in getattr(get_model(a.model), "simulation_rescaled", {}).items() \
                if a.model in MODELS else ():
            if f"{k}_sim" in simulated:
                print(f"    {k}_sim = {note}")
        if extra.get("predicted_map"):
            print("  predicted sRF map (kept formula): " + ", ".join(
                f"{k}={v:.6g}" for k, v in extra["predicted_map"].items()))
        elif "map_not_applicable" in extra:
            print(f"  predicted sRF map: not applicable ({extra['map_not_applicable']})")
        th = extra.get("theory_d_infinity")
        if th:
            mean, se = sims[0].observables.get("test_error", (float("nan"), float("nan")))
            z = (mean - th["test_error"]) / se if se > 0 else float("nan")
            print(f"  theory (d -> infinity): test_error {th['test_error']:.6g}"
                  + ("" if th["converged"] else " (NOT converged)")
                  + f"; simulation - theory = {z:+.2f} standard errors")
        for s in sims:
            if len(sims) > 1:
                print(f"  alpha = {s.settings.get('alpha')}:")
            for k, (mean, se) in s.observables.items():
                print(f"  {k:<18} {mean:.6g} +- {se:.2g}")
    return 0


def _seed_total(fn, kw: dict, seeds: int) -> int:
    """Seeds the call runs: ``seeds``, times the number of alphas for the Gaussian-mixture
    simulators (they loop over alpha outside the seed loop; the others nest alpha in a seed)."""
    alpha = kw.get("alpha")
    if fn.__module__.endswith(".gmm") and isinstance(alpha, (list, tuple)):
        return seeds * len(alpha)
    return seeds


def _run_seeds_interruptible(a, fn, kw: dict, label: str):
    """Run the simulator with a progress bar (a terminal only, never with --json/--quiet);
    Ctrl-C -> one line saying how many seeds were finished and whether they are kept, and
    the exit code 130 (returned instead of the simulation)."""
    from .progress import progress_bar

    total = _seed_total(fn, kw, a.seeds)
    bar = progress_bar(f"simulate {label} d={a.d}", total, unit="seed",
                       enabled=False if (a.quiet or a.json) else None)
    done = [0]

    def on_seed(k, tot):  # the simulators call it after each finished (or cached) seed
        done[0] += 1
        bar(min(done[0], total), total)

    try:
        with bar:
            return fn(**kw, seeds=a.seeds, progress=on_seed)
    except KeyboardInterrupt:
        kept = (f"{done[0]} kept in {a.cache} (rerun the same command to resume)"
                if a.cache is not None else "not kept: no --cache")
        sys.stderr.write(f"theory: interrupted after {done[0]} of {total} seeds; {kept}\n")
        return 130


def _dry_run(a, fn, kw: dict, label: str) -> int:
    """``--dry-run``: the estimate of one seed (memory at the peak, time) and of the run, and
    whether it fits; nothing is simulated (exit 0 even when it would be refused)."""
    from .errors import bytes_text
    from .simulate.resources import SAFETY, estimate, seconds_text

    est = estimate(fn, kw)
    total = _seed_total(fn, kw, a.seeds)
    name = f"{fn.__module__}.{fn.__name__}"
    if a.json:
        print(json.dumps({"model": label, "simulator": name, "dry_run": True, "d": a.d,
                          "seeds": a.seeds, "simulator_arguments": kw,
                          "estimate": None if est is None else est.to_dict(total)},
                         default=str))
        return 0
    print(f"{label} at d={a.d}, {a.seeds} seeds: dry run, nothing simulated ({name})")
    if est is None:
        print("  no estimate: this simulator has no registered estimator (it is not checked)")
        return 0
    print("  sizes: " + ", ".join(f"{k}={v}" for k, v in est.sizes.items()))
    print(f"  memory per seed: ~{bytes_text(est.bytes)} at its peak ({est.phase}: "
          f"{est.parts_text(4)})")
    verdict = "fits" if est.fits else "does NOT fit: the run would be refused"
    print(f"  peak of the run: ~{bytes_text(est.bytes)} (seeds run one after another); "
          f"{bytes_text(est.available)} available, limit {SAFETY:.0%} of it: {verdict}")
    print(f"  time: ~{seconds_text(est.seconds)} per seed, ~{seconds_text(est.seconds * total)}"
          f" for {total} seeds (one core; rough for iterative fits)")
    return 0


def _one_step_map(kw: dict) -> dict:
    """The (c, r, gamma) predicted for a one-step setting (shown beside the measured ones);
    nothing when the map does not apply (e.g. mu_1 = 0: no spike), the simulation still runs."""
    from .simulate.one_step import predicted_map

    args = {k: kw[k] for k in ("eta_tilde", "alpha0", "activation", "target", "Delta")
            if k in kw}
    args.setdefault("eta_tilde", 1.0)
    try:
        pm = predicted_map(**args)
    except InputError as exc:
        return {"predicted_map": None, "map_not_applicable": str(exc)}
    return {"predicted_map": dict(pm[pm["kept"]])}


def _simulation_echo(model, items, p, kw):
    """(given, full, simulated): the KEY=VALUE pairs as typed, every parameter of the model, and
    the simulator's arguments -- one that shares a model parameter's name but not its value (a
    rescaled quantity, such as rf_ridge's lam) is shown as NAME_sim, never under the user's name."""
    given = dict(t.split("=", 1) for t in items)
    given = {k.strip(): v.strip() for k, v in given.items()}
    full = {f.name: getattr(p, f.name) for f in dataclasses.fields(p)}
    simulated = {}
    for k, v in kw.items():
        simulated[f"{k}_sim" if k in full and v != full[k] else k] = v
    return given, full, simulated


def add_model_commands(sub, int_type, dps_type) -> None:
    r"""Add the model commands ``models``, ``solve``, ``curve`` and ``simulate`` to the parser.

    Called by :func:`theory.cli.main`'s parser builder; the commands' handlers live in this
    module.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The sub-command set of the ``theory`` parser.
    int_type : callable
        ``int_type(name, lo, hi, why="")``: a factory of argparse types for a bounded integer
        option (the CLI's own, so that its error messages match).
    dps_type : callable
        The argparse type of ``--dps`` (an integer number of digits).
    """
    def tol_type(text):
        import argparse

        try:
            v = float(text)
        except ValueError:
            v = -1
        if not 1e-15 <= v < 1:
            raise argparse.ArgumentTypeError(
                f"tol={text!r} must be a number in [1e-15, 1) (float64; --dps for more digits)")
        return v

    def time_type(text):
        import argparse
        import math

        try:
            v = float(text)
        except ValueError:
            v = -1
        if not (math.isfinite(v) and v > 0):
            raise argparse.ArgumentTypeError(f"max-time={text!r} must be a number of "
                                             "seconds > 0")
        return v

    methods = ["auto", "anderson", "damped", "newton"]

    def solver_options(parser):
        parser.add_argument("--tol", type=tol_type, default=1e-10,
                            help="tolerance on the undamped relative residual, in [1e-15, 1)")
        parser.add_argument("--method", default="auto", choices=methods,
                            help="fixed-point method: auto = Anderson, Newton rescue, then "
                            "damped iteration")
        parser.add_argument("--max-iter", type=int_type("max-iter", 1, 10**6), default=5000,
                            metavar="N", help="iterations per solver phase, in [1, 1000000]")
        parser.add_argument("--max-time", type=time_type, default=300.0, metavar="SECONDS",
                            help="time budget of one solve (all starts and node levels), > 0")
        parser.add_argument("--max-evaluations", default=200_000, metavar="N",
                            type=int_type("max-evaluations", 1, 10**9),
                            help="budget of map evaluations of one solve, in [1, 1e9]")
        parser.add_argument("--quiet", action="store_true",
                            help="no progress on stderr")

    m = sub.add_parser("models", help="list the models and their parameters")
    m.add_argument("--json", action="store_true", help="print JSON (for machines)")
    m.set_defaults(func=_cmd_models)

    s = sub.add_parser("solve", help="solve a model's saddle point: theory solve MODEL k=v ...",
                       description="Solve a model's saddle point at one parameter point. "
                       "Parameters as KEY=VALUE; `theory models` lists them with defaults "
                       "and ranges. Exit 1 when it did not converge (the failed check is named).")
    s.add_argument("model", help="a model name (`theory models`)")
    s.add_argument("params", nargs="*", metavar="KEY=VALUE",
                   help="model parameters, each given once (see `theory models`)")
    solver_options(s)
    s.add_argument("--dps", type=dps_type, default=None, metavar="DIGITS",
                   help="polish at this many digits in [15, 10000] (mpmath; KEY=VALUE numbers "
                   "are then read as decimal text); default: float64 only")
    s.add_argument("--strict", action="store_true",
                   help="stop with the failed check's message (exit 1) if not converged")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="print JSON (for machines)")
    g.add_argument("--latex", action="store_true", help="print the saddle-point system")
    s.set_defaults(func=_cmd_solve)

    c = sub.add_parser("curve", help="a learning curve: theory curve MODEL --vary a=0.1:4:40",
                       description="Solve along one parameter with warm starts. Every point "
                       "is kept: failed points are NaN and flagged (converged/failure columns); "
                       "exit 1 when any failed, 130 after Ctrl-C (finished points written).")
    c.add_argument("model", help="a model name (`theory models`)")
    c.add_argument("params", nargs="*", metavar="KEY=VALUE",
                   help="fixed model parameters, each given once")
    c.add_argument("--vary", required=True, metavar="NAME=GRID",
                   help="NAME=start:stop:count or NAME=v1,v2,... (finite numbers; required)")
    c.add_argument("--observable", default=None, metavar="NAME",
                   help="column shown and plotted: an order parameter or observable of the "
                   "model (checked before solving); default test_error, or the model's first "
                   "observable when it has no test_error")
    solver_options(c)
    c.add_argument("--plot", metavar="FILE", help="figure file (.png, .pdf or .svg)")
    c.add_argument("--csv", metavar="FILE", help="table file (all points, flagged)")
    c.add_argument("--json", action="store_true", help="print JSON (for machines; NaN as null)")
    c.set_defaults(func=_cmd_curve)

    m = sub.add_parser("simulate", help="finite-size simulation of a model's setting",
                       description="Simulate a model's setting at input size d (the model "
                       "names its simulator), or the network after one giant step: "
                       "`theory simulate one_step alpha0=0.5 alpha=1 lam=0.01` (KEY=VALUE: "
                       "alpha0, alpha, beta, eta_tilde, activation, target, Delta, lam). "
                       "Mean +- standard error over seeds; progress on stderr when it is a "
                       "terminal. A setting that does not fit in memory is refused before "
                       "anything is allocated (exit 2); --dry-run prints the estimate. "
                       "Ctrl-C: exit 130, the finished seeds kept with --cache.")
    m.add_argument("model", help="a model name (`theory models`) or one_step")
    m.add_argument("params", nargs="*", metavar="KEY=VALUE",
                   help="model (or simulator) parameters, each given once")
    m.add_argument("--d", type=int_type("d", 2, 100_000), default=1000,
                   help="input dimension, an integer in [2, 100000]")
    m.add_argument("--seeds", type=int_type("seeds", 2, 10_000), default=10,
                   help="independent seeds, an integer in [2, 10000]")
    m.add_argument("--gaussian-equivalent", action="store_true",
                   help="use the Gaussian-equivalent features mu0 + mu1 W x + mu_star xi")
    m.add_argument("--cache", default=None, metavar="FOLDER",
                   help="an existing folder: each finished seed is stored there and reused")
    m.add_argument("--dry-run", action="store_true",
                   help="print the memory and time estimate (per seed and for --seeds) and "
                   "exit without simulating")
    m.add_argument("--json", action="store_true", help="print JSON (for machines)")
    m.add_argument("--quiet", action="store_true", help="no progress bar")
    m.set_defaults(func=_cmd_simulate)
