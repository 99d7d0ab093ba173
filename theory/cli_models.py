"""``theory models | solve | curve | simulate``: the saddle-point models from the command line.

Outputs of ``curve`` (--csv, --plot, --json FILE) are written only when every point converged,
each through a temporary file renamed into place: an interrupted or failed run leaves nothing
half-written.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import sys
import tempfile

from .errors import InputError

__all__ = ["add_model_commands"]


def _parse_kv(model, items: list) -> dict:
    types = {f.name: f.type for f in dataclasses.fields(model.Params)}
    out = {}
    for it in items:
        if "=" not in it:
            raise InputError("parameter", it, "KEY=VALUE (see `theory models`)")
        k, v = it.split("=", 1)
        if k not in types:
            raise InputError("parameter", k, f"a parameter of {model.name}: one of "
                             f"{sorted(types)}")
        if types[k] in (float, "float"):
            try:
                out[k] = float(v)
            except ValueError:
                raise InputError(k, v, "a real number") from None
        else:
            out[k] = v
    return out


def _cmd_models(a) -> int:
    from .models import load_all

    reg = load_all()
    if a.json:
        print(json.dumps({name: {"title": cls.title, "reference": cls.reference,
                                 "parameters": [dict(zip(("name", "default", "doc", "allowed"),
                                                         row)) for row in cls().parameters()]}
                          for name, cls in sorted(reg.items())}, default=str))
        return 0
    for name, cls in sorted(reg.items()):
        m = cls()
        print(f"{name}: {m.title}")
        print(f"  {m.reference}")
        for pname, default, doc, allowed in m.parameters():
            print(f"    {pname:<11} = {default!s:<10} {doc} [{allowed}]")
    return 0


def _cmd_solve(a) -> int:
    from .models import get_model, solve

    model = get_model(a.model)
    params = _parse_kv(model, a.params)
    if a.latex:
        p = model.Params(**params)
        print(model.system(p).latex())
        return 0
    res = solve(model, tol=a.tol, method=a.method, strict=a.strict, dps=a.dps,
                max_iter=a.max_iter, **params)
    if a.json:
        print(json.dumps(res.to_dict(), default=str))
    else:
        print(res)
    return 0 if res.converged else 1


class _Progress:
    def __init__(self, label, stream=None):
        self.label, self.stream = label, stream or sys.stderr

    def __call__(self, done, total):
        width = 30
        k = int(width * done / total)
        self.stream.write(f"\r{self.label} [{'#' * k}{'.' * (width - k)}] {done}/{total}")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


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

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(c.values, c.column(observable), "-", label=f"{c.model} (theory)")
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
    from .models.base import parse_grid

    model = get_model(a.model)
    if "=" not in a.vary:
        raise InputError("vary", a.vary, "NAME=start:stop:count")
    name, grid = a.vary.split("=", 1)
    values = parse_grid(grid)
    params = _parse_kv(model, a.params)
    if name in params:
        raise InputError("vary", name, "a parameter not also given as KEY=VALUE")
    for path in (a.csv, a.plot):
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise InputError("output", path, "a path in an existing folder")
    fmt = None
    if a.plot:
        fmt = os.path.splitext(a.plot)[1].lstrip(".").lower()
        if fmt not in ("png", "pdf", "svg"):
            raise InputError("plot", a.plot, "a file name ending in .png, .pdf or .svg")
    prog = _Progress(f"{model.name} {name}") if not a.quiet else None
    c = curve(model, name, values, tol=a.tol, method=a.method, max_iter=a.max_iter,
              progress=prog, **params)
    rows = c.rows()
    if a.observable not in rows[0]:
        raise InputError("observable", a.observable, f"one of {sorted(rows[0])}")
    outputs = []
    if a.csv:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
        outputs.append((a.csv, buf.getvalue().encode()))
    if a.plot:
        outputs.append((a.plot, _plot_bytes(c, a.observable, fmt)))
    for path, data in outputs:
        _atomic_write(path, data)
    if a.json:
        print(json.dumps(c.to_dict(), default=str))
    else:
        print(f"{name:>10}  {a.observable:>16}  residual")
        for r in rows:
            print(f"{r[name]:10.5g}  {r[a.observable]:16.10g}  {r['residual']:.1e}")
        print(f"{len(rows)} points in {c.seconds:.3g} s")
    return 0


def _cmd_simulate(a) -> int:
    from .models import get_model
    from .simulate import simulate_random_features

    model = get_model(a.model)
    params = _parse_kv(model, a.params)
    p = model.Params(**params)
    if not hasattr(model, "simulation"):
        raise InputError("model", a.model, "a model with a finite-size simulation")
    kw = model.simulation(p, a.d)
    prog = _Progress(f"simulate {model.name} d={a.d}") if not a.quiet else None
    sim = simulate_random_features(**kw, seeds=a.seeds, gaussian_equivalent=a.gaussian_equivalent,
                                   progress=prog)
    if a.json:
        print(json.dumps(sim.to_dict(), default=str))
    else:
        print(f"{model.name} at d={a.d} ({a.seeds} seeds, {sim.seconds:.3g} s): "
              f"{', '.join(f'{k}={v}' for k, v in kw.items())}")
        for k, (mean, se) in sim.observables.items():
            print(f"  {k:<18} {mean:.6g} +- {se:.2g}")
    return 0


def add_model_commands(sub, int_type, dps_type) -> None:
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

    m = sub.add_parser("models", help="list the models and their parameters")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=_cmd_models)

    s = sub.add_parser("solve", help="solve a model's saddle point: theory solve MODEL k=v ...")
    s.add_argument("model")
    s.add_argument("params", nargs="*", help="KEY=VALUE (see `theory models`)")
    s.add_argument("--tol", type=tol_type, default=1e-10)
    s.add_argument("--method", default="auto", choices=["auto", "anderson", "damped", "newton"])
    s.add_argument("--max-iter", type=int_type("max-iter", 1, 10**6), default=5000)
    s.add_argument("--dps", type=dps_type, default=None, help="polish at this many digits")
    s.add_argument("--strict", action="store_true", help="error (exit 2) if not converged")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true")
    g.add_argument("--latex", action="store_true", help="print the saddle-point system")
    s.set_defaults(func=_cmd_solve)

    c = sub.add_parser("curve", help="a learning curve: theory curve MODEL --vary a=0.1:4:40")
    c.add_argument("model")
    c.add_argument("params", nargs="*", help="KEY=VALUE")
    c.add_argument("--vary", required=True, help="NAME=start:stop:count or NAME=v1,v2,...")
    c.add_argument("--observable", default="test_error")
    c.add_argument("--tol", type=tol_type, default=1e-10)
    c.add_argument("--method", default="auto", choices=["auto", "anderson", "damped", "newton"])
    c.add_argument("--max-iter", type=int_type("max-iter", 1, 10**6), default=5000)
    c.add_argument("--plot", help="figure file (.png/.pdf/.svg)")
    c.add_argument("--csv", help="table file")
    c.add_argument("--json", action="store_true")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    c.set_defaults(func=_cmd_curve)

    m = sub.add_parser("simulate", help="finite-size simulation of a model's setting")
    m.add_argument("model")
    m.add_argument("params", nargs="*", help="KEY=VALUE")
    m.add_argument("--d", type=int_type("d", 2, 100_000), default=1000)
    m.add_argument("--seeds", type=int_type("seeds", 2, 10_000), default=10)
    m.add_argument("--gaussian-equivalent", action="store_true",
                   help="use the Gaussian-equivalent features mu0 + mu1 W x + mu_star xi")
    m.add_argument("--json", action="store_true")
    m.add_argument("--quiet", action="store_true")
    m.set_defaults(func=_cmd_simulate)
