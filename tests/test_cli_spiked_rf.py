"""``theory solve|curve|simulate spiked_rf`` and ``theory simulate one_step``: outputs, bad input
(one line, exit 2, never a traceback). Fast: main() in-process, small d."""

from __future__ import annotations

import csv
import json
import math
import sys

import pytest

from reference import mei_montanari as mm
from theory.cli import main

# tanh: E[z tanh z], E[tanh^2 z] (one-step-digest.md, "Constants": scipy quad, |err| < 1e-14)
MU1, EG2 = 0.605705509602159, 0.394294490397841
MUSTAR = math.sqrt(EG2 - MU1**2)


def mm_tanh(psi1, psi2, lam):
    """Plain random features, tanh features and tanh target (F1 = mu1, F_star = mu_star):
    Mei-Montanari Theorem 1 at 30 digits (tests/reference/mei_montanari.py, independent)."""
    return float(mm.test_error(psi1, psi2, lam, MU1, MUSTAR, MU1, MUSTAR, 0, dps=30))


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_simulate_one_step_text_json_progress(capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # bars on a terminal only
    code, out, err = run(capsys, "simulate", "one_step", "alpha0=0.5", "alpha=1", "lam=0.01",
                         "--d", "80", "--seeds", "2")
    assert code == 0, err
    assert "simulate one_step d=80" in err and "2/2" in err  # progress on stderr
    assert "test_error" in out and "predicted sRF map" in out and "+-" in out
    code, out, err = run(capsys, "simulate", "one_step", "alpha0=0.5", "alpha=1", "--d", "80",
                         "--seeds", "2", "--json", "--quiet")
    d = json.loads(out)
    assert code == 0 and err == ""
    assert d["settings"]["p"] == 80 and d["settings"]["n0"] == 40 and d["settings"]["n"] == 80
    assert len(d["per_seed"]["test_error"]) == 2
    # the digest's table (Sec. 1.3, tanh, eta_tilde = 1, alpha0 = 0.5: r = 0.6511, c = 1.0769)
    assert abs(d["predicted_map"]["r"] - 0.6511) < 1e-4
    assert abs(d["predicted_map"]["c"] - 1.0769) < 1e-4


def test_simulate_one_step_cache(capsys, tmp_path):
    argv = ["simulate", "one_step", "alpha0=1", "alpha=0.5", "--d", "40", "--seeds", "2",
            "--json", "--quiet", "--cache", str(tmp_path)]
    code, out, _ = run(capsys, *argv)
    first = json.loads(out)
    code, out, _ = run(capsys, *argv)
    second = json.loads(out)
    assert code == 0 and second["cached"] == 2
    assert first["observables"] == second["observables"]


def test_simulate_one_step_no_spike_still_runs(capsys):
    """mu_1 = 0 (sigma = x^2): the network can be simulated; the map is said not to apply."""
    code, out, err = run(capsys, "simulate", "one_step", "alpha0=1", "activation=x**2",
                         "--d", "40", "--seeds", "2", "--quiet")
    assert code == 0 and "not applicable" in out and "mu_1" in out


@pytest.mark.parametrize("argv,word", [
    (["simulate", "one_step", "alpha0=1", "eta_tilde=-1"], "eta_tilde"),
    (["simulate", "one_step", "alpha0=-1"], "alpha0"),
    (["simulate", "one_step", "alpha0=1", "beta=0"], "beta"),
    (["simulate", "one_step", "alpha0=1", "beta=-2"], "beta"),
    (["simulate", "one_step", "alpha0=1", "target=x*y"], "target"),
    (["simulate", "one_step", "alpha0=1", "activation=sign"], "activation"),
    (["simulate", "one_step", "alpha=1"], "alpha0"),
    (["simulate", "one_step", "alpha0=1", "foo=2"], "foo"),
    (["simulate", "one_step", "alpha0=abc"], "alpha0"),
    (["simulate", "one_step", "alpha0=1", "--gaussian-equivalent"], "gaussian-equivalent"),
    (["simulate", "one_step", "alpha0=1", "--cache", "/nonexistent/folder"], "cache"),
])
def test_simulate_one_step_bad_input(capsys, argv, word):
    code, out, err = run(capsys, *argv, "--d", "20", "--seeds", "2", "--quiet")
    assert code == 2 and word in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and out == ""


def test_solve_spiked_rf_at_r0_is_random_features(capsys):
    """r = 0, gamma = 0 (the defaults) and eta_tilde = 0: Mei-Montanari with psi1 = beta,
    psi2 = alpha, lambda_MM = lam / alpha (SRF_EQUATIONS.md), to 1e-9."""
    ref = mm_tanh(2.0, 1.5, 0.03 / 1.5)
    for extra in ([], ["eta_tilde=0", "alpha0=0"], ["eta_tilde=1", "alpha0=0"]):
        code, out, err = run(capsys, "solve", "spiked_rf", "alpha=1.5", "beta=2", "lam=0.03",
                             *extra, "--json", "--quiet")
        d = json.loads(out)
        assert code == 0 and d["converged"], err
        assert abs(d["observables"]["test_error"] - ref) < 1e-9 * ref, extra
    code, out, _ = run(capsys, "solve", "spiked_rf", "alpha=1", "eta_tilde=1", "alpha0=0.5",
                       "--quiet")
    assert code == 0 and "converged" in out and "test_error" in out and "psi" in out
    code, out, _ = run(capsys, "solve", "spiked_rf", "--latex")
    assert code == 0 and r"\hat{V}_1" in out and "Marchenko" in out


def test_curve_spiked_rf(capsys, tmp_path, monkeypatch):
    f_csv = tmp_path / "c.csv"
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # bars on a terminal only
    code, out, err = run(capsys, "curve", "spiked_rf", "--vary", "alpha=0.5,1,2", "beta=0.5",
                         "lam=0.1", "--csv", str(f_csv))
    assert code == 0, err
    assert "3/3" in err and "3 points" in out  # progress on stderr, the table on stdout
    rows = list(csv.DictReader(open(f_csv)))
    for row in rows:
        a = float(row["alpha"])
        ref = mm_tanh(0.5, a, 0.1 / a)
        assert abs(float(row["test_error"]) - ref) < 1e-9 * ref
    code, out, err = run(capsys, "curve", "spiked_rf", "--vary", "alpha=0.5:3:4",
                         "eta_tilde=1", "alpha0=0.5", "lam=0.01", "--json", "--quiet")
    d = json.loads(out)
    assert code == 0 and len(d["points"]) == 4 and err == ""
    te = [p["observables"]["test_error"] for p in d["points"]]
    assert all(0 < t < 0.4 for t in te) and te[-1] < te[0]


def test_simulate_spiked_rf_network_and_srf(capsys, monkeypatch):
    """(eta_tilde, alpha0): the network after one step; (r, c, gamma): the sRF itself; the
    model's d -> infinity value is printed beside the simulation."""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # bars on a terminal only
    code, out, err = run(capsys, "simulate", "spiked_rf", "eta_tilde=1", "alpha0=0.5",
                         "alpha=1", "lam=0.01", "--d", "60", "--seeds", "2")
    assert code == 0, err
    assert "simulate_one_step" in out and "theory (d -> infinity)" in out and "2/2" in err
    code, out, err = run(capsys, "simulate", "spiked_rf", "r=0.5", "c=1", "gamma=0.8",
                         "alpha=1", "lam=0.1", "--d", "60", "--seeds", "2", "--json",
                         "--quiet")
    d = json.loads(out)
    assert code == 0 and d["simulator"].endswith("simulate_spiked_rf")
    assert d["settings"]["r"] == 0.5 and d["settings"]["gamma"] == 0.8
    assert 0 < d["theory_d_infinity"]["test_error"] < 1
    assert len(d["per_seed"]["test_error"]) == 2


@pytest.mark.parametrize("cmd", [["solve", "spiked_rf"],
                                 ["curve", "spiked_rf", "--vary", "alpha=1,2"],
                                 ["simulate", "spiked_rf", "--d", "20", "--seeds", "2"]])
@pytest.mark.parametrize("params,word", [
    (["eta_tilde=-1", "alpha0=1"], "eta_tilde"),
    (["eta_tilde=1", "alpha0=-1"], "alpha0"),
    (["beta=0"], "beta"),
    (["beta=-1"], "beta"),
    (["target=x*y"], "target"),
    (["eta_tilde=1", "alpha0=1", "activation=x**2"], "mu_1"),
    (["eta_tilde=1"], "alpha0"),
    (["r=1", "eta_tilde=1", "alpha0=1"], "eta_tilde"),
])
def test_spiked_rf_bad_input(capsys, cmd, params, word):
    """Issue 10 "Bad input": one clear line naming the parameter, exit 2, no traceback."""
    code, out, err = run(capsys, *cmd, *params, "--quiet")
    assert code == 2 and word in err and "Traceback" not in err, (cmd, params, err)
    assert len(err.strip().splitlines()) == 1 and out == ""


def test_simulate_one_step_alpha_list(capsys):
    """alpha=a1,a2,...: one step per seed, nested readouts, one result per alpha."""
    code, out, _ = run(capsys, "simulate", "one_step", "alpha0=0.5", "alpha=0.5,1,2",
                       "--d", "40", "--seeds", "2", "--json", "--quiet")
    d = json.loads(out)
    assert code == 0 and [p["settings"]["n"] for p in d["points"]] == [20, 40, 80]
    code, _, err = run(capsys, "simulate", "one_step", "alpha0=0.5,1", "--d", "20",
                       "--seeds", "2", "--quiet")
    assert code == 2 and "alpha0" in err and "only alpha takes a list" in err
