r"""Theory against simulation in one call: ``theory compare`` and :func:`compare`.

One model, one varied parameter over a grid, the other parameters fixed. Two sweeps run through
:func:`theory.sweep.run_sweep` (so both resume and both run on any executor):

* the theory, ``kind = "curve"`` over the grid (warm-started continuation, :math:`d \to \infty`),
  into ``DIR/theory.store``;
* the simulation, ``kind = "simulate"`` over the grid :math:`\times` seeds (one task per
  (point, seed), the model's finite-size simulator at input size ``d``, see
  :func:`theory.simulate.dispatch.simulation_call`), into ``DIR/simulation.store``.

A rerun with the same arguments finds every finished task in the two stores and computes
nothing; a rerun after a kill computes only what is missing.

The table (:func:`compare_table`, written to ``DIR/compare.csv``) has one row per grid value
:math:`x`: the theory value :math:`T(x)`, the mean :math:`\bar y` of the observable over the
seeds that finished, its standard error :math:`s/\sqrt n` (:math:`s` the sample standard
deviation with ``ddof=1``, :math:`n` the number of seeds), and the z-score

.. math:: z = \frac{\bar y - T(x)}{s/\sqrt n} .

If the simulation estimates the theory's value without bias, :math:`z` is approximately
standard normal (Student t with :math:`n - 1` degrees of freedom), so :math:`|z| > 3` is
flagged: a finite-size effect larger than the seed noise, or a disagreement. A theory point that
did not converge has no value (NaN, ``converged`` False) and no z-score; it is never compared.
The figure ``DIR/compare.png`` draws the theory line, the simulation means with error bars,
and the z-scores in a second panel, with the fixed parameters in its title and its metadata
(:func:`theory.sweep.plot.save_figure`).
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import sys
import tempfile

import numpy as np

from ..errors import InputError
from .plot import (draw_errorbars, draw_line, mark_failed, save_figure, simulation_summary,
                   spec_dict)

__all__ = ["compare", "compare_table", "compare_figure", "Z_FLAG"]

#: |z| above this is flagged (printed, and ``flagged`` in the JSON)
Z_FLAG = 3.0

#: the columns of the table after the varied parameter
TABLE_COLUMNS = ("theory", "sim_mean", "sim_se", "z", "seeds", "converged")


# ------------------------------------------------------------------ the table
def _match(column, values: np.ndarray) -> np.ndarray:
    """Index into ``values`` of each entry of ``column`` (-1: none within 1e-12 relative)."""
    col = np.asarray(column, dtype=float)
    out = np.full(col.shape, -1, dtype=int)
    for i, v in enumerate(values):
        out[np.isclose(col, v, rtol=1e-12, atol=1e-300)] = i
    return out


def _select(frame, fixed: dict):
    """The rows of ``frame`` at the fixed parameters (those that are columns of it)."""
    if frame is None or len(frame) == 0:
        return frame
    keep = np.ones(len(frame), dtype=bool)
    for k, v in (fixed or {}).items():
        if k not in frame.columns:
            continue
        col = frame[k]
        if isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool):
            keep &= np.isclose(col.to_numpy(dtype=float, na_value=np.nan), float(v),
                               rtol=1e-12, atol=0.0)
        else:
            keep &= (col.astype(str) == str(v)).to_numpy()
    return frame[keep]


def compare_table(theory_frame, sim_frame, *, vary: str, values, observable: str = "test_error",
                  fixed: dict | None = None, seeds: int | None = None, first_seed: int = 0):
    r"""Theory, simulation mean, standard error and z-score at each grid value.

    Parameters
    ----------
    theory_frame : pandas.DataFrame
        Rows of the theory sweep (one per point): ``vary``, ``observable``, ``converged``.
    sim_frame : pandas.DataFrame
        Rows of the simulation sweep (one per (point, seed)): ``vary``, ``observable``,
        ``converged`` (optional), ``seed``.
    vary : str
        The varied parameter.
    values : sequence of float, shape (m,)
        Its grid; the table has one row per value, in this order.
    observable : str, default "test_error"
        The quantity compared (a column of both frames).
    fixed : dict, optional
        The fixed parameters: rows at other values of a parameter that is a column are
        ignored (a store may hold other comparisons too).
    seeds : int, optional
        Keep the seeds ``first_seed .. first_seed + seeds - 1`` only (None: all).
    first_seed : int, default 0
        See ``seeds``.

    Returns
    -------
    pandas.DataFrame
        Columns ``vary``, ``theory`` (NaN where the solve did not converge), ``sim_mean``,
        ``sim_se`` (:math:`s/\sqrt n`, ``ddof=1``), ``z`` :math:`= (\bar y - T)/(s/\sqrt n)`
        (NaN without a theory value or with fewer than 2 seeds), ``seeds`` (:math:`n`, seeds
        that finished with a finite value), ``converged`` (theory converged and every seed
        asked for finished).

    Raises
    ------
    InputError
        ``observable`` or ``vary`` is not a column of a non-empty frame.
    """
    import pandas as pd

    values = np.asarray(values, dtype=float)
    m = values.size
    theory = np.full(m, np.nan)
    th_ok = np.zeros(m, dtype=bool)
    tf = _select(theory_frame, fixed or {})
    if tf is not None and len(tf):
        for col in (vary, observable):
            if col not in tf.columns:
                raise InputError("observable" if col == observable else "vary", col,
                                 f"a column of the theory rows ({sorted(tf.columns)})")
        idx = _match(tf[vary], values)
        conv = (tf["converged"].fillna(False).astype(bool).to_numpy() if "converged" in
                tf.columns else np.ones(len(tf), dtype=bool))
        obs = tf[observable].to_numpy(dtype=float, na_value=np.nan)
        for i, ok, v in zip(idx, conv, obs):
            if i >= 0 and ok and math.isfinite(v):
                theory[i], th_ok[i] = v, True
    mean = np.full(m, np.nan)
    se = np.full(m, np.nan)
    n = np.zeros(m, dtype=int)
    sf = _select(sim_frame, fixed or {})
    if sf is not None and len(sf):
        for col in (vary, observable):
            if col not in sf.columns:
                raise InputError("observable" if col == observable else "vary", col,
                                 f"a column of the simulation rows ({sorted(sf.columns)})")
        if seeds is not None and "seed" in sf.columns:
            s = sf["seed"].to_numpy()
            sf = sf[(s >= first_seed) & (s < first_seed + seeds)]
        sf = sf.assign(_i=_match(sf[vary], values))
        sf = sf[sf["_i"] >= 0]
        summ = simulation_summary(sf, "_i", observable)
        for _, r in summ.iterrows():
            i = int(r["_i"])
            mean[i], se[i], n[i] = r["mean"], r["se"], int(r["n"])
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(th_ok & (n > 1) & (se > 0), (mean - theory) / se, np.nan)
    complete = n == seeds if seeds is not None else n > 0
    out = pd.DataFrame({vary: values, "theory": theory, "sim_mean": mean, "sim_se": se,
                        "z": z, "seeds": n, "converged": th_ok & complete})
    return out


# ------------------------------------------------------------------ the figure
def compare_figure(table, path, *, vary: str, observable: str = "test_error",
                   theory=None, spec: dict | None = None, title: str = "",
                   frame=None) -> pathlib.Path:
    """Draw a :func:`compare_table`: theory line, simulation mean +- s.e., z-scores.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`compare_table`.
    path : str or os.PathLike
        Output file (``.png``, ``.pdf`` or ``.svg``; written atomically).
    vary : str
        The varied parameter (x-axis).
    observable : str, default "test_error"
        The y-axis label.
    theory : pandas.DataFrame, optional
        The theory line on a finer grid (columns ``vary``, ``observable``, ``converged``);
        default: the table's ``theory`` column.
    spec : dict, optional
        What is written into the file's metadata (the comparison and both sweep specs).
    title : str, optional
        The figure's title (the fixed parameters).
    frame : pandas.DataFrame, optional
        Rows whose ``code`` column gives the code version in the metadata.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 5.6))
    ax, axz = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
    x = table[vary].to_numpy(dtype=float)
    if theory is not None and len(theory):
        ok = (theory["converged"].fillna(False).astype(bool).to_numpy()
              if "converged" in theory.columns else np.ones(len(theory), dtype=bool))
        _, bad_t = draw_line(ax, theory[vary], theory[observable].to_numpy(
            dtype=float, na_value=np.nan), ok, label="theory (d → ∞)", gid="compare-theory")
    else:
        th = table["theory"].to_numpy(dtype=float)
        _, bad_t = draw_line(ax, x, th, np.isfinite(th), label="theory (d → ∞)",
                             gid="compare-theory")
    n = table["seeds"].to_numpy()
    _, bad_s = draw_errorbars(ax, x, table["sim_mean"], table["sim_se"], n > 0,
                              label="simulation (mean ± s.e.)", gid="compare-simulation",
                              color="black")
    mark_failed(ax, np.concatenate([bad_t, bad_s]))
    ax.set_ylabel(observable)
    ax.legend(fontsize=7)
    z = table["z"].to_numpy(dtype=float)
    ok = np.isfinite(z)
    axz.axhspan(-Z_FLAG, Z_FLAG, color="0.9", zorder=0)
    axz.axhline(0.0, color="0.5", lw=0.8)
    axz.plot(x[ok], z[ok], "o", ms=4, color="black", gid="compare-z")
    flagged = ok & (np.abs(z) > Z_FLAG)
    if flagged.any():
        axz.plot(x[flagged], z[flagged], "o", ms=7, mfc="none", color="red")
    axz.set_ylabel("z")
    axz.set_xlabel(vary)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, spec=spec or {}, title=" ".join(title.split()), frame=frame)


# ------------------------------------------------------------------ inputs
def _grid(values) -> np.ndarray:
    from ..models.base import parse_grid

    grid = parse_grid(values) if isinstance(values, str) else np.asarray(values, dtype=float)
    if grid.ndim != 1 or grid.size == 0:
        raise InputError("values", values, "a non-empty list of numbers or start:stop:count")
    if not np.all(np.isfinite(grid)):
        raise InputError("values", values, "finite numbers")
    if np.unique(grid).size != grid.size:
        raise InputError("values", values, "distinct grid values (each x once)")
    return grid


def _int(name: str, v, lo: int, hi: int | None = None, why: str = "") -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo or (
            hi is not None and v > hi):
        rng = f"an integer >= {lo}" if hi is None else f"an integer in [{lo}, {hi}]"
        raise InputError(name, v, rng + why)
    return int(v)


def _check(model, vary, values, *, d, seeds, first_seed, observable, workers, client,
           scheduler, params):
    """Every input checked before anything runs: model, grid, parameters, the simulator at
    each point, its memory (ResourceError), the observable on both sides."""
    from ..models.base import get_model, make_params
    from ..simulate.dispatch import MODEL_SIMULATIONS, simulation_call

    m = get_model(model)
    if not hasattr(m, "simulation") and m.name not in MODEL_SIMULATIONS:
        raise InputError("model", m.name, "a model with a finite-size simulator (rf_ridge, "
                         "rf_convex, spiked_rf, gmm_binary, gmm_multiclass, ...)")
    fields = [f for f, *_ in m.parameters()]
    if vary not in fields:
        raise InputError("vary", vary, f"a parameter of {m.name}: one of {sorted(fields)}")
    if vary in params:
        raise InputError("vary", vary, "a parameter not also given as a fixed parameter")
    grid = _grid(values)
    d = _int("d", d, 1)
    seeds = _int("seeds", seeds, 2, None, " (a standard error needs two seeds)")
    first_seed = _int("first_seed", first_seed, 0)
    if workers is not None:
        workers = _int("workers", workers, 1, 1024)
    if sum(x is not None for x in (workers, client, scheduler)) > 1:
        raise InputError("workers", workers, "given alone: one of workers, scheduler, client")
    p0 = make_params(m, {**params, vary: float(grid[0])})
    known = m.observable_names(p0)
    if known is not None and observable not in known:
        raise InputError("observable", observable, f"an observable of {m.name}: one of "
                         f"{sorted(known)}")
    calls = [simulation_call(m.name, {**params, vary: float(v)}, d) for v in grid]
    try:
        from ..simulate.resources import check_resources
    except ImportError:  # pragma: no cover - resources land with issue 13 (helper simcli)
        check_resources = None
    if check_resources is not None:
        for c in calls:
            check_resources(c.fn, c.kwargs)
    return m, grid, d, seeds, first_seed, workers


def theory_grid(grid: np.ndarray, points: int) -> np.ndarray:
    """The theory's grid: the simulation's values and ``points`` evenly spaced values between
    their smallest and largest (sorted, each once; the continuation runs along it)."""
    fine = np.linspace(grid.min(), grid.max(), points) if points > 1 else np.array([])
    keep = [v for v in fine if not np.any(np.isclose(v, grid, rtol=1e-9, atol=0.0))]
    return np.sort(np.concatenate([grid, np.asarray(keep, dtype=float)]))


def _specs(name, vary, grid, *, d, seeds, first_seed, observable, params, theory_points):
    fixed = {k: (float(v) if isinstance(v, (int, float, np.floating, np.integer))
                 and not isinstance(v, bool) else v) for k, v in params.items()}
    common = {"model": name, "vary": vary, "fixed": fixed,
              "grid": {vary: [float(v) for v in grid]}, "observables": [observable]}
    theory = {"kind": "curve", **common,
              "grid": {vary: [float(v) for v in theory_grid(grid, theory_points)]}}
    sim = {"kind": "simulate", **common,
           "simulate": {"d": int(d), "seeds": int(seeds), "first_seed": int(first_seed)}}
    return theory, sim


def _title(name, vary, fixed, d, seeds) -> str:
    import textwrap

    parts = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                      for k, v in fixed.items())
    text = (f"{name}: theory (d → ∞) vs simulation (d={d}, {seeds} seeds)"
            + (f"; {parts}" if parts else ""))
    return "\n".join(textwrap.wrap(text, 80))


# ------------------------------------------------------------------ the Python call
def compare(model, vary: str, values, *, d: int, seeds: int, observable: str = "test_error",
            out=None, workers: int | None = None, client=None, scheduler: str | None = None,
            progress=None, first_seed: int = 0, theory_points: int = 41, **params):
    r"""Theory (:math:`d \to \infty`) against the finite-size simulation along one parameter.

    Runs the two sweeps of the module docstring through :func:`theory.sweep.run_sweep` and
    tabulates them with :func:`compare_table`.

    Parameters
    ----------
    model : str
        A registered model with a finite-size simulator (``theory models``; e.g. ``rf_ridge``,
        ``rf_convex``, ``spiked_rf``, ``gmm_binary``).
    vary : str
        The varied parameter (a parameter of the model).
    values : sequence of float or str
        Its grid: a list, or ``"start:stop:count"`` (distinct values).
    d : int
        Input dimension of the simulation (>= 1; its memory is checked before anything runs).
    seeds : int
        Seeds per point (>= 2), ``first_seed .. first_seed + seeds - 1``.
    observable : str, default "test_error"
        The quantity compared (an observable of the model and of its simulator).
    out : str or os.PathLike, optional
        Folder for ``theory.store``, ``simulation.store``, ``compare.csv`` and ``compare.png``
        (created; a rerun resumes from its stores). None: a temporary folder, removed after.
    workers : int, optional
        Local worker processes (see :func:`~theory.sweep.run_sweep`).
    client : distributed.Client, optional
        A Dask client to run the tasks on.
    scheduler : str, optional
        A Dask scheduler address (``"tcp://host:8786"``).
    progress : None, bool or callable, optional
        Passed to :func:`~theory.sweep.run_sweep` (None: a bar when stderr is a terminal).
    first_seed : int, default 0
        The first seed.
    theory_points : int, default 41
        The theory is also solved at this many evenly spaced values between the smallest and
        the largest grid value, for the figure's line (0: at the grid values only).
    **params : float or str
        The fixed parameters of the model.

    Returns
    -------
    pandas.DataFrame
        The table of :func:`compare_table` (columns ``vary``, ``theory``, ``sim_mean``,
        ``sim_se``, ``z``, ``seeds``, ``converged``); ``attrs`` holds ``flagged`` (the grid
        values with :math:`|z| >` :data:`Z_FLAG`), ``csv`` and ``png`` (paths, None without
        ``out``), ``theory`` and ``simulation`` (``{"total", "computed", "skipped",
        "failed"}`` of each sweep) and ``spec``.

    Raises
    ------
    InputError
        Unknown model, a model without a simulator, a bad grid or parameter, an observable the
        model does not have, ``seeds < 2``; :class:`~theory.errors.ResourceError` (an
        InputError) when one seed at ``d`` does not fit in memory.
    KeyboardInterrupt
        A sweep was interrupted; what finished is kept in the stores (rerun to resume).
    """
    m, grid, d, seeds, first_seed, workers = _check(
        model, vary, values, d=d, seeds=seeds, first_seed=first_seed, observable=observable,
        workers=workers, client=client, scheduler=scheduler, params=params)
    from ..store import atomic_write
    from . import load_spec, run_sweep
    theory_points = _int("theory_points", theory_points, 0, 10_000)
    spec_t, spec_s = _specs(m.name, vary, grid, d=d, seeds=seeds, first_seed=first_seed,
                            observable=observable, params=params, theory_points=theory_points)
    tmp = None
    if out is None:
        tmp = tempfile.TemporaryDirectory(prefix="theory-compare-")
        folder = pathlib.Path(tmp.name)
    else:
        folder = pathlib.Path(out)
        if folder.exists() and not folder.is_dir():
            raise InputError("out", os.fspath(out), "a folder (not a file)")
        folder.mkdir(parents=True, exist_ok=True)
    own = None
    try:
        if scheduler is not None:  # one connection for both sweeps
            from distributed import Client

            try:
                own = client = Client(scheduler, timeout="20s")
            except OSError as exc:
                raise InputError("scheduler", scheduler, "the address of a running Dask "
                                 f"scheduler, tcp://host:port ({exc})") from None
            scheduler = None
        runs = {}
        for label, spec in (("theory", spec_t), ("simulation", spec_s)):
            store = folder / f"{label}.store"
            res = run_sweep(load_spec({**spec, "store": os.fspath(store)}), store=store,
                            workers=workers, scheduler=scheduler, client=client,
                            progress=progress)
            runs[label] = res
            if res.interrupted:
                kept = res.skipped + res.computed
                raise KeyboardInterrupt(f"{kept} of {res.total} {label} tasks kept in {store}; "
                                        "rerun the same command to resume")
        tf, sf = runs["theory"].frame(), runs["simulation"].frame()
        table = compare_table(tf, sf, vary=vary, values=grid, observable=observable,
                              fixed=spec_t["fixed"], seeds=seeds, first_seed=first_seed)
        meta = {"compare": {"model": m.name, "vary": vary, "values": [float(v) for v in grid],
                            "d": d, "seeds": seeds, "first_seed": first_seed,
                            "observable": observable, "fixed": spec_t["fixed"],
                            "theory_points": theory_points},
                "theory_spec": spec_dict(spec_t), "simulation_spec": spec_dict(spec_s)}
        z = table["z"].to_numpy(dtype=float)
        flagged = [float(v) for v, zz in zip(grid, z) if math.isfinite(zz) and abs(zz) > Z_FLAG]
        csv = png = None
        if out is not None:
            csv, png = folder / "compare.csv", folder / "compare.png"
            atomic_write(csv, table.to_csv(index=False).encode())
            compare_figure(table, png, vary=vary, observable=observable, spec=meta,
                           theory=_select(tf, spec_t["fixed"]),
                           title=_title(m.name, vary, spec_t["fixed"], d, seeds), frame=sf)
        table.attrs.update({
            "flagged": flagged, "csv": csv, "png": png, "spec": meta,
            **{label: {"total": r.total, "computed": r.computed, "skipped": r.skipped,
                       "failed": [msg for _, msg in r.failed]} for label, r in runs.items()}})
        return table
    finally:
        if own is not None:
            own.close()
        if tmp is not None:
            tmp.cleanup()


# ------------------------------------------------------------------ the command line
def _cmd_compare(a) -> int:
    """``theory compare``: run, print the table (or JSON), exit 0 (1: a theory point or a
    simulation task failed)."""
    from ..cli_models import _parse_kv
    from ..models.base import get_model

    model = get_model(a.model)
    if "=" not in a.vary:
        raise InputError("vary", a.vary, "NAME=start:stop:count or NAME=v1,v2,...")
    name, grid = (t.strip() for t in a.vary.split("=", 1))
    params = _parse_kv(model, a.params)
    out = a.out or f"compare-{model.name}-{name}"
    quiet = a.quiet or a.json
    try:
        table = compare(model.name, name, grid, d=a.d, seeds=a.seeds, first_seed=a.first_seed,
                        observable=a.observable, out=out, workers=a.workers,
                        scheduler=a.scheduler, theory_points=a.theory_points, progress=False if quiet else None, **params)
    except KeyboardInterrupt as exc:
        why = " ".join(str(exc).split()) or f"the finished tasks are kept in {out}; rerun the " \
            "same command to resume"
        sys.stderr.write(f"\ntheory: interrupted: {why}\n")
        return 130
    at = table.attrs
    failed = [*at["theory"]["failed"], *at["simulation"]["failed"]]
    if a.json:
        rows = [{k: _json_value(v) for k, v in r.items()} for r in table.to_dict("records")]
        print(json.dumps({"model": model.name, "vary": name, "d": a.d, "seeds": a.seeds,
                          "observable": a.observable, "fixed": params, "rows": rows,
                          "flagged": at["flagged"], "z_flag": Z_FLAG, "csv": str(at["csv"]),
                          "png": str(at["png"]), "theory": at["theory"],
                          "simulation": at["simulation"]}))
    else:
        print(_title(model.name, name, params, a.d, a.seeds).replace("\n", " "))
        print(format_table(table, name, a.observable))
        if at["flagged"]:
            print(f"|z| > {Z_FLAG:g} at {name} = " + ", ".join(f"{v:g}" for v in at["flagged"])
                  + ": the simulation is off the theory by more than its seed noise "
                  "(finite d, or a disagreement)")
        else:
            print(f"|z| <= {Z_FLAG:g} at every point: simulation and theory agree within "
                  "their standard errors")
        t, s = at["theory"], at["simulation"]
        print(f"tasks: theory {t['computed']} computed, {t['skipped']} from the store; "
              f"simulation {s['computed']} computed, {s['skipped']} from the store")
        print(f"wrote {at['csv']} and {at['png']}")
    for msg in failed:
        sys.stderr.write(f"theory: failed task: {' '.join(str(msg).split())}\n")
    bad = ~table["converged"].to_numpy(dtype=bool)
    if bad.any():
        sys.stderr.write(f"theory: {int(bad.sum())} of {len(table)} points incomplete (theory "
                         "not converged or seeds missing): no z-score there\n")
        return 1
    return 0


def _json_value(v):
    """A table cell as JSON: NaN -> null, numpy scalars -> Python (full precision)."""
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer, int)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return float(v) if math.isfinite(v) else None
    return v


def format_table(table, vary: str, observable: str) -> str:
    """The table as aligned text (the CLI's output)."""
    head = (f"{vary:>10} {'theory':>12} {'sim mean':>12} {'s.e.':>10} {'z':>7} {'seeds':>5}"
            f"   ({observable})")
    lines = [head]
    for _, r in table.iterrows():
        z = r["z"]
        flag = " *" if math.isfinite(z) and abs(z) > Z_FLAG else ""
        lines.append(f"{r[vary]:>10.4g} {r['theory']:>12.6g} {r['sim_mean']:>12.6g} "
                     f"{r['sim_se']:>10.3g} {z:>7.2f} {int(r['seeds']):>5}{flag}")
    return "\n".join(lines)
