r"""Figures of a sweep: one line per combination of the other grid parameters, simulations as
mean :math:`\pm` standard error, failed points marked (never drawn as values), and the spec,
the theory version and the code version written into the file.

:func:`plot_sweep` reads a :class:`~theory.sweep.run.SweepResult` (or the
:class:`pandas.DataFrame` of its rows, with the spec) and writes PNG, PDF or SVG;
:func:`sweep_figure` returns the :class:`matplotlib.figure.Figure` itself (what the tests
inspect). ``theory sweep SPEC --plot FILE`` and ``theory compare`` draw with them.

What is drawn, per observable (one panel each, sharing the x-axis ``spec.vary``):

* ``kind = "solve"`` or ``"curve"``: a line through the converged points of each combination of
  the non-x grid parameters; a failed point (``converged`` False, a value that is not a
  finite number, or a grid value of the spec with no row: its task raised) breaks the line
  and is marked by a red ``x`` on the x-axis.
* ``kind = "simulate"``: at each point, the mean over the seeds that finished and its standard
  error :math:`s/\sqrt n` (:math:`s` the sample standard deviation, ``ddof=1``) as an error
  bar; a point with a failed or missing seed is marked too (its mean is over the other seeds;
  one with no finished seed is only marked).

The file carries its provenance: PNG text chunks ``Title``, ``Description`` (the spec as JSON),
``Software`` and ``theory_spec``, ``theory_version``, ``theory_code``; PDF Info ``Title``,
``Subject`` (the spec as JSON), ``Keywords`` (``theory_version=...; theory_code=...``),
``Creator``; SVG ``<metadata>`` (Dublin Core ``title``, ``description`` = the spec as JSON,
``subject`` keywords with both versions, ``creator``). The code version is the one the rows
were computed with (their ``code`` column), else :func:`theory.store.code_version`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import pathlib
import textwrap
from collections.abc import Sequence

import numpy as np

from ..errors import InputError

__all__ = ["plot_sweep", "sweep_figure", "FORMATS"]

#: file formats :func:`plot_sweep` writes (by the path's suffix)
FORMATS = (".png", ".pdf", ".svg")

#: columns of a sweep's rows that are not parameters or observables
META_COLUMNS = frozenset({
    "converged", "failure", "message", "residual", "iterations", "quadrature_error", "seconds",
    "worker", "version", "theory_version", "code", "code_version", "kind", "task_kind", "seed",
    "_key", "_committed", "model", "d"})

#: the label of the failed-point markers (one legend entry per panel)
FAILED_LABEL = "failed (not drawn)"


# ------------------------------------------------------------------ the spec, as a dict
def _jsonable(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return v.item()
    if isinstance(v, os.PathLike):
        return os.fspath(v)
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: getattr(v, f.name) for f in dataclasses.fields(v)}
    if isinstance(v, (set, frozenset, tuple)):
        return list(v)
    return str(v)


def spec_dict(spec) -> dict:
    """The spec of a sweep as a plain dict (a :class:`dict`, a spec object with ``to_dict()``,
    a dataclass, or any object with the spec's attributes)."""
    if spec is None:
        return {}
    if isinstance(spec, dict):
        out = dict(spec)
    elif hasattr(spec, "to_dict"):
        out = dict(spec.to_dict())
    elif dataclasses.is_dataclass(spec) and not isinstance(spec, type):
        out = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
    else:
        out = {k: getattr(spec, k) for k in ("kind", "model", "vary", "fixed", "grid",
                                             "points", "observables", "simulate", "options",
                                             "store") if hasattr(spec, k)}
    out.pop("raw", None)  # SweepSpec: the spec as read (its parsed fields are kept)
    # a round trip through JSON: numbers, strings and lists only (what the file stores)
    return json.loads(json.dumps(out, default=_jsonable, sort_keys=True))


def _fmt(v) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, (int, float, np.floating, np.integer)):
        return f"{float(v):g}" if isinstance(v, (float, np.floating)) else str(v)
    return str(v)


def spec_title(spec: dict, *, width: int = 90) -> str:
    """``"<kind> <model>: k=v, ...; d=..., N seeds"`` (the fixed parameters), wrapped."""
    head = f"{spec.get('model', '')}".strip()
    fixed = spec.get("fixed") or {}
    parts = ", ".join(f"{k}={_fmt(v)}" for k, v in fixed.items())
    text = head + (f": {parts}" if parts else "")
    sim = spec.get("simulate") or {}
    if spec.get("kind") == "simulate" and sim:
        extra = []
        if "d" in sim:
            extra.append(f"d={sim['d']}")
        if "seeds" in sim:
            extra.append(f"{sim['seeds']} seeds")
        if extra:
            text += "; " + ", ".join(extra)
    return "\n".join(textwrap.wrap(text, width)) if text else ""


def _versions(frame) -> tuple[str, str]:
    import theory

    code = ""
    for col in ("code", "code_version"):
        if frame is not None and col in frame.columns:
            vals = sorted({str(v) for v in frame[col].dropna().unique()})
            code = ",".join(vals)
            break
    if not code:
        try:
            from ..store import code_version

            code = code_version()
        except ImportError:  # pragma: no cover - the store lands with issue 13
            code = "unknown"
    return theory.__version__, code


def file_metadata(fmt: str, *, title: str, spec: dict, version: str, code: str) -> dict:
    """The ``metadata=`` of :meth:`matplotlib.figure.Figure.savefig` for one format."""
    text = json.dumps(spec, sort_keys=True)
    keywords = f"theory_version={version}; theory_code={code}"
    creator = f"theory {version} (code {code})"
    if fmt == ".png":
        return {"Title": title, "Description": text, "Software": creator,
                "theory_spec": text, "theory_version": version, "theory_code": code}
    if fmt == ".pdf":
        return {"Title": title, "Subject": text, "Keywords": keywords, "Creator": creator}
    return {"Title": title, "Description": text, "Keywords": [keywords], "Creator": creator}


def save_figure(fig, path, *, spec: dict, title: str, frame=None) -> pathlib.Path:
    """Write ``fig`` to ``path`` (format by suffix) with the provenance metadata, atomically
    (:func:`theory.store.atomic_write`)."""
    path = pathlib.Path(path)
    fmt = path.suffix.lower()
    if fmt not in FORMATS:
        raise InputError("path", os.fspath(path), "a file name ending in " + ", ".join(FORMATS))
    folder = path.parent if str(path.parent) else pathlib.Path(".")
    if not folder.is_dir():
        raise InputError("path", os.fspath(path), "a file in an existing folder")
    version, code = _versions(frame)
    meta = file_metadata(fmt, title=title, spec=spec, version=version, code=code)
    import io

    from ..store import atomic_write

    buf = io.BytesIO()
    fig.savefig(buf, format=fmt[1:], metadata=meta, dpi=120)
    atomic_write(path, buf.getvalue())
    return path


# ------------------------------------------------------------------ drawing
def draw_line(ax, x, y, ok, *, label: str, gid: str):
    """A theory line: the points with ``ok`` and a finite value, broken at the others."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    good = np.asarray(ok, dtype=bool) & np.isfinite(y)
    order = np.argsort(x, kind="stable")
    yy = np.where(good, y, np.nan)[order]
    (line,) = ax.plot(x[order], yy, "-", marker="." if x.size <= 20 else None, ms=4,
                      label=label)
    line.set_gid(gid)
    return line, x[~good]


def draw_errorbars(ax, x, mean, se, ok, *, label: str, gid: str, color=None):
    """Simulation points: mean +- standard error where ``ok`` and the mean is finite."""
    x = np.asarray(x, dtype=float)
    mean = np.asarray(mean, dtype=float)
    se = np.asarray(se, dtype=float)
    good = np.asarray(ok, dtype=bool) & np.isfinite(mean)
    cont = ax.errorbar(x[good], mean[good], yerr=np.where(np.isfinite(se), se, 0.0)[good],
                       fmt="o", ms=4, capsize=3, label=label, color=color)
    cont.lines[0].set_gid(gid)
    return cont, x[~good]


def mark_failed(ax, xs, *, gid: str = "sweep-failed"):
    """Red ``x`` markers on the x-axis at the failed points (no value is drawn there)."""
    xs = np.unique(np.asarray(xs, dtype=float))
    if xs.size == 0:
        return None
    (line,) = ax.plot(xs, np.zeros(xs.size), "x", color="red", ms=7, mew=1.5, clip_on=False,
                      transform=ax.get_xaxis_transform(), label=FAILED_LABEL, zorder=5)
    line.set_gid(gid)
    return line


def _ok_column(frame, obs: str) -> np.ndarray:
    ok = np.ones(len(frame), dtype=bool)
    if "converged" in frame.columns:
        ok &= frame["converged"].fillna(False).astype(bool).to_numpy()
    vals = frame[obs].to_numpy(dtype=float, na_value=np.nan)
    return ok & np.isfinite(vals)


def _group_keys(spec: dict, frame, vary: str) -> list[str]:
    keys = list((spec.get("grid") or {}).keys())
    for pt in spec.get("points") or []:
        keys += [k for k in pt if k not in keys]
    keys = [k for k in keys if k != vary and k in frame.columns]
    # only the ones that actually vary in these rows
    return [k for k in keys if frame[k].nunique(dropna=False) > 1]


def _label(keys: Sequence[str], combo) -> str:
    if not keys:
        return ""
    combo = combo if isinstance(combo, tuple) else (combo,)
    return ", ".join(f"{k}={_fmt(v)}" for k, v in zip(keys, combo))


def simulation_summary(frame, vary: str, obs: str, keys: Sequence[str] = ()):
    r"""Mean, standard error and count over the finished seeds at each point.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per (point, seed): the parameters, ``obs``, and ``converged`` (optional).
    vary : str
        The x-axis parameter.
    obs : str
        The observable.
    keys : sequence of str
        The other parameters that tell the points apart.

    Returns
    -------
    pandas.DataFrame
        Columns ``keys``, ``vary``, ``mean``, ``se`` (:math:`s/\sqrt n`, ``ddof=1``; NaN for
        one seed), ``n`` (finished seeds), ``failed`` (seeds that failed or gave a non-finite
        value); one row per point, sorted by ``keys`` then ``vary``.
    """
    import pandas as pd

    cols = [*keys, vary]
    work = frame[cols].copy()
    work["_v"] = frame[obs].to_numpy(dtype=float, na_value=np.nan)
    work["_ok"] = _ok_column(frame, obs)
    rows = []
    for combo, g in work.groupby(cols, sort=True, dropna=False):
        combo = combo if isinstance(combo, tuple) else (combo,)
        v = g.loc[g["_ok"], "_v"].to_numpy()
        n = int(v.size)
        mean = float(v.mean()) if n else math.nan
        se = float(v.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        rows.append({**dict(zip(cols, combo)), "mean": mean, "se": se, "n": n,
                     "failed": int((~g["_ok"]).sum())})
    return pd.DataFrame(rows, columns=[*cols, "mean", "se", "n", "failed"])


def _frame_and_spec(result_or_frame, spec):
    import pandas as pd

    if isinstance(result_or_frame, pd.DataFrame):
        frame = result_or_frame
        spec = spec if spec is not None else frame.attrs.get("spec")
    elif hasattr(result_or_frame, "frame"):
        frame = result_or_frame.frame()
        spec = spec if spec is not None else getattr(result_or_frame, "spec", None)
    else:
        raise InputError("result_or_frame", type(result_or_frame).__name__,
                         "a SweepResult or a pandas.DataFrame of its rows")
    if spec is None:
        raise InputError("spec", None, "the sweep's spec (a SweepSpec or its dict) to plot a "
                         "bare DataFrame: it names the x-axis (vary) and the parameters")
    return frame, spec_dict(spec)


def _vary_of(spec: dict, frame) -> str:
    vary = spec.get("vary")
    if not vary:
        grid = [k for k in (spec.get("grid") or {}) if k in frame.columns]
        if len(grid) != 1:
            raise InputError("vary", None, "the x-axis parameter of the spec (set `vary`; the "
                             f"grid has {len(grid)} parameters: {grid})")
        vary = grid[0]
    if vary not in frame.columns:
        raise InputError("vary", vary, f"a column of the sweep's rows (have {list(frame.columns)})")
    return vary


def _observables_of(spec: dict, frame, observables) -> list[str]:
    if observables is None:
        observables = spec.get("observables") or (
            ["test_error"] if "test_error" in frame.columns else None)
    if isinstance(observables, str):
        observables = [observables]
    numeric = [c for c in frame.columns if c not in META_COLUMNS and not c.startswith("err_")
               and frame[c].dtype.kind in "fiu"]
    if not observables:
        raise InputError("observables", None, f"names of columns to draw, among {numeric}")
    for o in observables:
        if o not in frame.columns:
            raise InputError("observables", o, f"columns of the sweep's rows, among {numeric}")
    return list(observables)


def sweep_figure(result_or_frame, *, spec=None, observables=None):
    """The figure of a sweep (see the module docstring for what is drawn).

    Parameters
    ----------
    result_or_frame : SweepResult or pandas.DataFrame
        The sweep's result, or its rows (one per point, or per (point, seed) for ``kind =
        "simulate"``; columns: every parameter, the observables, ``converged``, ``seed``).
    spec : SweepSpec or dict, optional
        The sweep's spec (``kind``, ``model``, ``vary``, ``fixed``, ``grid``,
        ``observables``, ``simulate``); required with a bare DataFrame unless its
        ``attrs["spec"]`` holds it.
    observables : str or list of str, optional
        What to draw, one panel each (default: the spec's ``observables``, else
        ``test_error``).

    Returns
    -------
    matplotlib.figure.Figure
        One axis per observable; each has one line (theory) or one error-bar container
        (simulations) per combination of the non-x grid parameters, and the failed points as
        red ``x`` markers labelled :data:`FAILED_LABEL`.

    Raises
    ------
    InputError
        No spec for a bare frame, no x-axis, or an observable that is not a column.
    """
    from matplotlib.figure import Figure

    frame, sd = _frame_and_spec(result_or_frame, spec)
    vary = _vary_of(sd, frame)
    obs_list = _observables_of(sd, frame, observables)
    keys = _group_keys(sd, frame, vary)
    simulated = sd.get("kind") == "simulate" or (
            sd.get("kind") is None and "seed" in frame.columns)
    expected = _expected(sd, vary)
    seeds = (sd.get("simulate") or {}).get("seeds") if simulated else None
    fig = Figure(figsize=(6.4, 2.2 + 2.4 * len(obs_list)))
    axes = fig.subplots(len(obs_list), 1, sharex=True, squeeze=False)[:, 0]
    for ax, obs in zip(axes, obs_list):
        failed: list = []
        if simulated:
            summ = simulation_summary(frame, vary, obs, keys)
            groups = summ.groupby(keys, sort=True) if keys else [((), summ)]
            for i, (combo, g) in enumerate(groups):
                _, bad = draw_errorbars(ax, g[vary], g["mean"], g["se"], g["n"] > 0,
                                        label=_label(keys, combo) or "simulation (mean ± s.e.)",
                                        gid=f"sweep-points-{i}")
                failed += list(bad) + list(g.loc[g["failed"] > 0, vary])
                if seeds:  # tasks that raised have no row: fewer seeds than asked
                    failed += list(g.loc[g["n"] + g["failed"] < seeds, vary])
                failed += _missing(expected, g[vary])
        else:
            work = frame.assign(_ok=_ok_column(frame, obs))
            groups = work.groupby(keys, sort=True) if keys else [((), work)]
            for i, (combo, g) in enumerate(groups):
                _, bad = draw_line(ax, g[vary], g[obs].to_numpy(dtype=float, na_value=np.nan),
                                   g["_ok"], label=_label(keys, combo) or "theory",
                                   gid=f"sweep-line-{i}")
                failed += list(bad) + _missing(expected, g[vary])
        mark_failed(ax, failed)
        ax.set_ylabel(obs)
        if _log_axis(sd, vary):
            ax.set_xscale("log")
        ax.legend(fontsize=7)
    axes[-1].set_xlabel(vary)
    title = spec_title(sd)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def _expected(spec: dict, vary: str) -> list[float]:
    """The x values the spec asks for (its grid of ``vary``, when given as numbers)."""
    g = (spec.get("grid") or {}).get(vary)
    try:
        return [float(v) for v in g] if isinstance(g, list) else []
    except (TypeError, ValueError):
        return []


def _missing(expected: list[float], have) -> list[float]:
    """Values of ``expected`` with no row (a task that raised, or one not run yet)."""
    have = np.asarray(have, dtype=float)
    return [v for v in expected if not np.any(np.isclose(have, v, rtol=1e-12, atol=0.0))]


def _log_axis(spec: dict, vary: str) -> bool:
    """A log x-axis for a geometric grid (``log = true`` in the spec) spanning > 20x."""
    g = (spec.get("grid") or {}).get(vary)
    if isinstance(g, dict):
        return bool(g.get("log"))
    try:
        v = np.sort(np.asarray(g, dtype=float))
    except (TypeError, ValueError):
        return False
    if v.ndim != 1 or v.size < 3 or not np.all(v > 0) or v[-1] / v[0] <= 20:
        return False
    r = v[1:] / v[:-1]
    return bool(np.allclose(r, r[0], rtol=1e-6))


def plot_sweep(result_or_frame, path, *, spec=None, observables=None) -> pathlib.Path:
    """Draw a sweep into a PNG, PDF or SVG file with its provenance in the file's metadata.

    Parameters
    ----------
    result_or_frame : SweepResult or pandas.DataFrame
        As in :func:`sweep_figure`.
    path : str or os.PathLike
        Output file; the format is its suffix (``.png``, ``.pdf`` or ``.svg``); written
        atomically.
    spec : SweepSpec or dict, optional
        As in :func:`sweep_figure`.
    observables : str or list of str, optional
        As in :func:`sweep_figure`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InputError
        An unknown suffix, a missing folder, or what :func:`sweep_figure` refuses.

    Notes
    -----
    The metadata (see the module docstring) hold the spec as JSON, ``theory.__version__`` and
    the code version of the rows; read them back with ``PIL.Image.open(path).text`` (PNG),
    ``pymupdf.open(path).metadata`` (PDF) or the SVG's ``<metadata>`` element.
    """
    fmt = pathlib.Path(path).suffix.lower()
    if fmt not in FORMATS:
        raise InputError("path", os.fspath(path), "a file name ending in " + ", ".join(FORMATS))
    frame, sd = _frame_and_spec(result_or_frame, spec)
    fig = sweep_figure(frame, spec=sd, observables=observables)
    return save_figure(fig, path, spec=sd, title=spec_title(sd, width=10_000), frame=frame)
