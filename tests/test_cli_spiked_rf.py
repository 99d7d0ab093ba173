"""``theory solve|curve|simulate spiked_rf`` and ``theory simulate one_step``: outputs, bad input
(one line, exit 2, never a traceback). Fast: main() in-process, small d."""

from __future__ import annotations

import json

import pytest

from theory.cli import main


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_simulate_one_step_text_json_progress(capsys):
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
