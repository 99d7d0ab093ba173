"""``theory models | solve | curve | simulate``: outputs, exit codes, nothing half-written."""

from __future__ import annotations

import csv
import json
import math
import sys

import pytest

from reference import mei_montanari as mm
from theory.cli import main

RELU_MUSTAR = math.sqrt(0.25 - 1 / (2 * math.pi))


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_models_lists_parameters(capsys):
    code, out, _ = run(capsys, "models")
    assert code == 0
    for word in ("rf_ridge", "rf_convex", "psi1", "alpha", "arXiv:1908.05355v5",
                 "arXiv:2002.09339v2", "huber"):
        assert word in out
    code, out, _ = run(capsys, "models", "--json")
    d = json.loads(out)
    assert {p["name"] for p in d["rf_convex"]["parameters"]} >= {"alpha", "gamma", "lam", "loss"}


def test_solve_json_matches_reference(capsys):
    code, out, _ = run(capsys, "solve", "rf_ridge", "psi1=1.5", "psi2=1.5", "lam=1e-4",
                       "--json")
    d = json.loads(out)
    ref = float(mm.test_error(1.5, 1.5, 1e-4, 0.5, RELU_MUSTAR, dps=30))
    assert code == 0 and d["converged"]
    assert abs(d["observables"]["test_error"] - ref) < 1e-9 * ref


def test_solve_text_and_latex(capsys):
    code, out, _ = run(capsys, "solve", "rf_convex", "alpha=1", "gamma=0.5")
    assert code == 0 and "converged" in out and "test_error" in out
    code, out, _ = run(capsys, "solve", "rf_convex", "--latex")
    assert code == 0 and r"\begin{aligned}" in out and r"g_\mu" in out


def test_curve_writes_csv_plot_json(capsys, tmp_path, monkeypatch):
    f_csv, f_png = tmp_path / "c.csv", tmp_path / "c.png"
    code, out, err = run(capsys, "curve", "rf_ridge", "--vary", "psi1=0.5:3:5", "psi2=1.5",
                         "--csv", str(f_csv), "--plot", str(f_png), "--json")
    assert code == 0
    rows = list(csv.DictReader(open(f_csv)))
    assert len(rows) == 5 and float(rows[-1]["psi1"]) == 3.0
    assert f_png.read_bytes()[:4] == b"\x89PNG"
    d = json.loads(out)
    assert len(d["points"]) == 5
    ref = float(mm.test_error(3.0, 1.5, 1e-3, 0.5, RELU_MUSTAR, dps=30))
    assert abs(float(rows[-1]["test_error"]) - ref) < 1e-9 * ref
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # bars on a terminal only
    code, out, err = run(capsys, "curve", "rf_convex", "--vary", "alpha=0.5,1", "gamma=0.5")
    assert code == 0 and "2/2" in err and "2 points" in out  # progress bar on stderr


def test_curve_that_fails_keeps_flagged_rows(capsys, tmp_path):
    """Issue 8, kind 10: failed points are kept as NaN and flagged, stderr names them, exit 1;
    no figure when nothing converged (nothing to draw), never a half-written file."""
    f_csv, f_png = tmp_path / "c.csv", tmp_path / "c.png"
    code, _, err = run(capsys, "curve", "rf_convex", "--vary", "alpha=0.5:2:3", "--method",
                       "damped", "--max-iter", "1", "--csv", str(f_csv), "--plot", str(f_png),
                       "--quiet")
    assert code == 1 and "did not converge" in err and "residual" in err
    assert "3 of 3 points did not converge" in err
    rows = list(csv.DictReader(open(f_csv)))
    assert len(rows) == 3
    assert all(r["converged"] == "False" and r["failure"] == "residual" for r in rows)
    assert all(math.isnan(float(r["test_error"])) for r in rows)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv"]


@pytest.mark.parametrize("argv,word", [
    (["solve", "rf_ridge", "psi1=-1"], "psi1"),
    (["solve", "rf_convex", "lam=-0.01"], "lam"),
    (["solve", "rf_convex", "loss=cauchy"], "loss"),
    (["solve", "nosuch"], "model"),
    (["solve", "rf_convex", "alpha"], "KEY=VALUE"),
    (["solve", "rf_convex", "alpha=abc"], "alpha"),
    (["curve", "rf_convex", "--vary", "alpha=1:2"], "vary"),
    (["curve", "rf_convex", "--vary", "beta=1:2:3"], "vary"),
    (["curve", "rf_convex", "--vary", "alpha=1:2:3", "alpha=2"], "vary"),
    (["curve", "rf_convex", "--vary", "alpha=1:2:3", "--plot", "x.gif"], "plot"),
    (["solve", "rf_convex", "--tol", "1e-30"], "tol"),
    (["simulate", "rf_ridge", "F1=0", "--d", "20", "--seeds", "2"], "F1"),
])
def test_bad_input_exit_2_names_the_parameter(capsys, argv, word):
    code, out, err = run(capsys, *argv)
    assert code == 2 and word in err and "Traceback" not in err


def test_simulate_json(capsys):
    code, out, err = run(capsys, "simulate", "rf_convex", "alpha=1", "gamma=1", "--d", "60",
                         "--seeds", "3", "--json", "--quiet")
    d = json.loads(out)
    assert code == 0 and d["settings"]["p"] == 60 and d["settings"]["n"] == 60
    mean, se = d["observables"]["test_error"]
    assert 0 < mean < 0.5 and se > 0
    assert len(d["per_seed"]["test_error"]) == 3
