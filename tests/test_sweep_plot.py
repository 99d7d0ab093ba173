"""Figures of sweeps (theory.sweep.plot): what is drawn, what is not, and the file's metadata.

Every asserted number comes from the frames built here (the drawn means and standard errors
are recomputed with :mod:`statistics`, not with the code under test); the metadata are read
back from the written files with PIL (PNG), pymupdf (PDF) and ElementTree (SVG).
"""

from __future__ import annotations

import json
import math
import statistics
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

import theory
from theory.errors import InputError
from theory.sweep.plot import FAILED_LABEL, plot_sweep, sweep_figure

ALPHAS = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
SENTINEL = 987.0  # the value a failed row carries: it must never be drawn


def _curve_frame():
    rows = []
    for lam in (0.01, 0.1):
        for a in ALPHAS:
            failed = (lam == 0.1 and a == 2.0)
            rows.append({"psi1": 2.0, "lam": lam, "alpha": a, "converged": not failed,
                         "test_error": SENTINEL if failed else 1.0 / a + lam,
                         "code": "c0ffee"})
    spec = {"kind": "curve", "model": "rf_ridge", "vary": "alpha",
            "fixed": {"psi1": 2.0, "Delta": 0.25},
            "grid": {"lam": [0.01, 0.1], "alpha": ALPHAS}, "observables": ["test_error"]}
    return pd.DataFrame(rows), spec


def _sim_frame():
    rng = np.random.default_rng(7)
    rows = []
    for a in ALPHAS:
        for seed in range(5):
            ok = not (a == 3.0) and not (a == 1.0 and seed == 2)  # 3.0: every seed failed
            rows.append({"psi1": 2.0, "alpha": a, "seed": seed, "converged": ok,
                         "test_error": (1.0 / a + 0.05 * rng.normal()) if ok else SENTINEL})
    spec = {"kind": "simulate", "model": "rf_ridge", "vary": "alpha", "fixed": {"psi1": 2.0},
            "grid": {"alpha": ALPHAS}, "simulate": {"d": 200, "seeds": 5}}
    return pd.DataFrame(rows), spec


def _drawn_y(fig):
    return np.concatenate([np.asarray(l.get_ydata(), dtype=float) for ax in fig.axes
                           for l in ax.lines if l.get_label() != FAILED_LABEL])


def test_curve_lines_one_per_other_grid_value_and_failed_point_not_drawn():
    frame, spec = _curve_frame()
    fig = sweep_figure(frame, spec=spec)
    ax = fig.axes[0]
    lines = [l for l in ax.lines if l.get_gid() and l.get_gid().startswith("sweep-line-")]
    assert [l.get_label() for l in lines] == ["lam=0.01", "lam=0.1"]
    # every converged point is a vertex of its line, with its value
    for lam, line in zip((0.01, 0.1), lines):
        x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        assert x.tolist() == ALPHAS
        for a, v in zip(x, y):
            if lam == 0.1 and a == 2.0:
                assert math.isnan(v)  # the line is broken there
            else:
                assert v == pytest.approx(1.0 / a + lam, rel=1e-15)
    assert SENTINEL not in _drawn_y(fig)
    assert ax.get_ylim()[1] < 10  # the failed value did not stretch the axis either
    failed = [l for l in ax.lines if l.get_label() == FAILED_LABEL]
    assert len(failed) == 1 and np.asarray(failed[0].get_xdata()).tolist() == [2.0]
    assert "psi1=2" in fig._suptitle.get_text() and "Delta=0.25" in fig._suptitle.get_text()


def test_simulation_points_are_mean_and_standard_error():
    frame, spec = _sim_frame()
    fig = sweep_figure(frame, spec=spec)
    ax = fig.axes[0]
    pts = [l for l in ax.lines if l.get_gid() == "sweep-points-0"]
    assert len(pts) == 1
    x, y = np.asarray(pts[0].get_xdata(), float), np.asarray(pts[0].get_ydata(), float)
    assert x.tolist() == ALPHAS[:-1]  # alpha = 3: no seed finished, no point
    # the error bars: a LineCollection whose segments span mean -+ s.e.
    segs = [c for c in ax.collections if len(c.get_segments()) == len(x)][0].get_segments()
    for a, ym, seg in zip(x, y, segs):
        vals = [v for v, ok in zip(frame.loc[frame.alpha == a, "test_error"],
                                   frame.loc[frame.alpha == a, "converged"]) if ok]
        mean = statistics.fmean(vals)
        se = statistics.stdev(vals) / math.sqrt(len(vals))
        assert ym == pytest.approx(mean, rel=1e-13)
        lo, hi = sorted([seg[0][1], seg[1][1]])
        assert lo == pytest.approx(mean - se, rel=1e-12)
        assert hi == pytest.approx(mean + se, rel=1e-12)
    assert len([v for v in frame.loc[frame.alpha == 1.0, "converged"] if v]) == 4
    failed = [l for l in ax.lines if l.get_label() == FAILED_LABEL][0]
    assert sorted(np.asarray(failed.get_xdata()).tolist()) == [1.0, 3.0]
    assert SENTINEL not in _drawn_y(fig)
    assert "d=200, 5 seeds" in fig._suptitle.get_text()


def test_metadata_read_back_from_png_pdf_svg(tmp_path):
    frame, spec = _curve_frame()
    for ext in ("png", "pdf", "svg"):
        assert plot_sweep(frame, tmp_path / f"f.{ext}", spec=spec) == tmp_path / f"f.{ext}"
    from PIL import Image

    text = Image.open(tmp_path / "f.png").text
    assert json.loads(text["theory_spec"]) == json.loads(json.dumps(spec))
    assert text["theory_version"] == theory.__version__ and text["theory_code"] == "c0ffee"
    assert "psi1=2" in text["Title"] and "Delta=0.25" in text["Title"]

    pymupdf = pytest.importorskip("pymupdf")
    meta = pymupdf.open(tmp_path / "f.pdf").metadata
    assert json.loads(meta["subject"])["fixed"] == {"psi1": 2.0, "Delta": 0.25}
    assert f"theory_version={theory.__version__}" in meta["keywords"]
    assert "theory_code=c0ffee" in meta["keywords"]
    assert "psi1=2" in meta["title"]

    root = ET.parse(tmp_path / "f.svg").getroot()
    dc = "{http://purl.org/dc/elements/1.1/}"
    desc = root.find(f".//{dc}description").text
    assert json.loads(desc)["grid"]["lam"] == [0.01, 0.1]
    subject = " ".join(e.text for e in root.iter() if e.tag.endswith("li"))
    assert "theory_code=c0ffee" in subject
    # the drawn lines, by their ids: two lines and one failed marker, no more
    ids = [e.get("id") for e in root.iter() if (e.get("id") or "").startswith("sweep-")]
    assert sorted(ids) == ["sweep-failed", "sweep-line-0", "sweep-line-1"]


def test_result_object_and_attrs_spec(tmp_path):
    frame, spec = _curve_frame()

    class Result:  # what run_sweep returns, as far as plotting needs
        def frame(self):
            return frame

    Result.spec = spec
    assert plot_sweep(Result(), tmp_path / "r.png").exists()
    frame.attrs["spec"] = spec
    assert plot_sweep(frame, tmp_path / "a.svg").exists()


def test_bad_input_is_one_input_error(tmp_path):
    frame, spec = _curve_frame()
    with pytest.raises(InputError, match="path"):
        plot_sweep(frame, tmp_path / "f.jpg", spec=spec)
    with pytest.raises(InputError, match="spec"):
        plot_sweep(frame.copy(), tmp_path / "f.png")
    with pytest.raises(InputError, match="observables"):
        plot_sweep(frame, tmp_path / "f.png", spec=spec, observables=["no_such"])
    with pytest.raises(InputError, match="path"):
        plot_sweep(frame, tmp_path / "missing" / "f.png", spec=spec)
    assert not list(tmp_path.iterdir())  # nothing half-written


# ------------------------------------------------------------------ real sweeps
def test_real_curve_sweep_divergent_point_marked(tmp_path):
    """rf_ridge at lam = 0 (ridgeless) diverges at psi2 = psi1 (Mei & Montanari, Theorem 1: the
    interpolation peak, +inf): that point is marked, never drawn; lam = 0.01 is whole."""
    from theory.sweep import load_spec, run_sweep

    psi2 = [1.0, 1.5, 2.0, 2.5, 3.0]
    spec = load_spec({"kind": "curve", "model": "rf_ridge", "vary": "psi2",
                      "fixed": {"psi1": 2.0}, "grid": {"lam": [0.0, 0.01], "psi2": psi2},
                      "store": str(tmp_path / "c.store")})
    res = run_sweep(spec, progress=False)
    fig = sweep_figure(res)
    ax = fig.axes[0]
    lines = {l.get_label(): np.asarray(l.get_ydata(), float) for l in ax.lines}
    assert set(lines) == {"lam=0", "lam=0.01", FAILED_LABEL}
    assert np.isnan(lines["lam=0"][2]) and np.isfinite(np.delete(lines["lam=0"], 2)).all()
    assert np.isfinite(lines["lam=0.01"]).all()
    failed = [l for l in ax.lines if l.get_label() == FAILED_LABEL][0]
    assert np.asarray(failed.get_xdata()).tolist() == [2.0]
    path = plot_sweep(res, tmp_path / "c.pdf")
    pymupdf = pytest.importorskip("pymupdf")
    meta = json.loads(pymupdf.open(path).metadata["subject"])
    assert meta["fixed"] == {"psi1": 2.0} and meta["grid"]["lam"] == [0.0, 0.01]
    assert pymupdf.open(path).metadata["keywords"].endswith(
        str(res.frame()["code_version"].iloc[0]))


def test_real_simulation_sweep_task_that_raised_is_marked(tmp_path, monkeypatch):
    from theory.sweep import load_spec, run_sweep
    from theory.sweep.tasks import FAULT_ENV

    monkeypatch.setenv(FAULT_ENV, json.dumps({"match": {"psi2": 1.5}, "times": -1,
                                              "dir": str(tmp_path / "faults")}))
    spec = load_spec({"kind": "simulate", "model": "rf_ridge", "vary": "psi2",
                      "fixed": {"psi1": 1.0, "lam": 0.1}, "grid": {"psi2": [1.0, 1.5, 2.0]},
                      "simulate": {"d": 40, "seeds": 3}, "store": str(tmp_path / "s.store")})
    res = run_sweep(spec, retries=0, progress=False)
    assert len(res.failed) == 3  # every seed of psi2 = 1.5 raised
    fig = sweep_figure(res)
    ax = fig.axes[0]
    pts = [l for l in ax.lines if l.get_gid() == "sweep-points-0"][0]
    assert np.asarray(pts.get_xdata()).tolist() == [1.0, 2.0]
    frame = res.frame()
    for x, y in zip(pts.get_xdata(), pts.get_ydata()):
        assert y == pytest.approx(statistics.fmean(frame.loc[frame.psi2 == x, "test_error"]),
                                  rel=1e-13)
    failed = [l for l in ax.lines if l.get_label() == FAILED_LABEL][0]
    assert np.asarray(failed.get_xdata()).tolist() == [1.5]
