"""``theory threshold`` and ``theory exponent`` (theory/cli_laws.py): output, JSON, exit codes,
bad input as one line with exit 2, and a fast ``theory --help``."""

from __future__ import annotations

import contextlib
import io
import json
import pathlib
import resource
import subprocess
import sys

import mpmath
import pytest

from theory.cli import main

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def one_line(code, err, word):
    assert code == 2, (code, err)
    assert err.count("\n") == 1 and err.startswith("theory: error:") and word in err, err


def test_exponent_of_an_expression():
    code, out, _ = run("exponent", "n^(-1/2)*(1 + 3/n)", "--in", "n")
    assert code == 0
    assert "SymPy limit of x d log eps/dx : -1/2" in out
    shown, bound = out.split("exponent ", 1)[1].split("  (", 1)[0].split(" +- ")
    assert float(bound) <= 1e-10  # the printed value is -1/2 within the printed bound
    with mpmath.workdps(40):
        assert abs(mpmath.mpf(shown) + mpmath.mpf(1) / 2) <= mpmath.mpf(bound)
    code, out, _ = run("exponent", "t^(-3/2) + (1+t)^(-1)", "--in", "t", "--json")
    d = json.loads(out)
    assert code == 0 and d["derived"] == "-1" and d["agrees"] and d["error"] <= 1e-10
    with mpmath.workdps(40):
        assert abs(mpmath.mpf(d["exponent"]) + 1) <= d["error"]


def test_exponent_of_a_registered_law_with_parameters():
    code, out, _ = run("exponent", "hurwitz_tail", "b=1.25", "--json")
    d = json.loads(out)
    assert code == 0 and d["predicted"] == "-3/2" and d["reliable"]
    with mpmath.workdps(40):
        assert abs(mpmath.mpf(d["exponent"]) + mpmath.mpf(3) / 2) <= d["error"] <= 1e-10


def test_exponent_with_a_log_says_poor_and_exits_1():
    code, out, err = run("exponent", "n^(-2/3)*log(n)")
    assert code == 1 and "logarithmic" in out and "POOR" in err


def test_exponent_bad_input():
    one_line(*run("exponent", "(2 + sin(n))/n")[::2], word="monotone")
    one_line(*run("exponent", "no_such_law")[::2], word="registered law")
    one_line(*run("exponent", "hurwitz_tail", "b=0.2")[::2], word="b=")
    one_line(*run("exponent", "n^-1", "--dps", "5")[::2], word="dps")
    one_line(*run("exponent", "import os")[::2], word="parse")


def test_threshold_gardner_json():
    code, out, _ = run("threshold", "gardner", "--vary", "alpha_c=0.3:1.5", "--observable",
                       r"\hat{q}V^{2}", "--value", "1", "kappa=1", "--json")
    d = json.loads(out)
    assert code == 0 and d["digits"] >= 29 and d["kind"] == "crossing"
    with mpmath.workdps(40):
        k = mpmath.mpf(1)  # closed form 1/((1 + k^2) Phi(k) + k phi(k)) (Gardner 1988)
        ref = 1 / ((1 + k**2) * mpmath.ncdf(k) + k * mpmath.npdf(k))
        assert abs(mpmath.mpf(d["value"]) - ref) <= d["error"] <= 1e-29


def test_threshold_text_output():
    code, out, _ = run("threshold", "gardner", "--vary", "alpha_c=1:3", "--observable",
                       r"\hat{q}V^{2}", "--value", "1", "kappa=0", "--dps", "20", "--points", "4")
    assert code == 0 and "crossing threshold  alpha_c = 2.0" in out and "certified digits" in out


def test_threshold_bad_input():
    one_line(*run("threshold", "gardner", "--vary", "alpha_c=0.6:1.5", "--observable",
                  r"\hat{q}V^{2}", "--value", "1", "kappa=1")[::2], word="changes sign")
    one_line(*run("threshold", "gardner", "--vary", "alpha_c=2:1", "--observable",
                  r"\hat{q}V^{2}", "kappa=1")[::2], word="--vary")
    one_line(*run("threshold", "gardner", "--vary", "alpha_c=0.3:1.5", "--observable", "foo",
                  "kappa=1")[::2], word="observable")
    one_line(*run("threshold", "no_such_model", "--vary", "a=0:1", "--observable", "x")[::2],
             word="no_such_model")
    one_line(*run("threshold", "phase_retrieval", "--vary", "beta=0:1", "--kind",
                  "stability")[::2], word="vary")


def test_help_stays_fast():
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run([sys.executable, "-m", "theory.cli", "--help"], capture_output=True,
                       text=True, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert p.returncode == 0 and "threshold" in p.stdout and "exponent" in p.stdout
    assert cpu < 0.3, f"theory --help took {cpu:.2f} s of CPU"
    code = "import sys, theory.cli_laws; assert 'sympy' not in sys.modules and 'mpmath' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


# --------------------------------------------------------------------------- theory classic
def test_classic_values_against_independent_sources(capsys):
    """`theory classic`: the Gardner capacity at kappa = 1 against the independent 30-digit
    script (tests/reference/laws_classic_gardner_mp.json), Moniri-Hassani (0.35, 0.3) = 2 (the
    issue; exact rationals), the spiked-Wigner outlier theta + 1/theta and overlap 1 - 1/theta^2
    (closed forms) at theta = 3."""
    import json as _json
    from pathlib import Path

    import mpmath

    from theory.cli import main

    assert main(["classic", "gardner", "kappa=1", "--json"]) == 0
    got = _json.loads(capsys.readouterr().out)
    ref = _json.loads((Path(__file__).parent / "reference" /
                       "laws_classic_gardner_mp.json").read_text())
    want = next(c["alpha_c"] for c in ref["cases"] if c["kappa"] == "1")
    assert abs(mpmath.mpf(got["alpha_c"]) - mpmath.mpf(want)) < mpmath.mpf("1e-29")
    assert main(["classic", "moniri_hassani", "alpha1=0.35", "alpha2=0.3", "--json"]) == 0
    assert _json.loads(capsys.readouterr().out)["outliers"] == "2"
    assert main(["classic", "wigner_bbp", "theta=3", "--json"]) == 0
    got = _json.loads(capsys.readouterr().out)
    with mpmath.workdps(40):
        assert abs(mpmath.mpf(got["outlier"]) - (3 + mpmath.mpf(1) / 3)) < mpmath.mpf("1e-28")
        assert abs(mpmath.mpf(got["overlap"]) - (1 - mpmath.mpf(1) / 9)) < mpmath.mpf("1e-28")


@pytest.mark.parametrize("argv, names", [
    (["classic", "moniri_hassani", "alpha1=0.5", "alpha2=0.3"], "alpha1"),
    (["classic", "moniri_hassani", "alpha1=0.2", "alpha2=0.7"], "alpha2"),
    (["classic", "gardner", "kappa=-1"], "kappa"),
    (["classic", "gardner", "kapa=1"], "kapa"),
    (["classic", "gardner", "kappa=1", "kappa=2"], "kappa"),
    (["classic", "nothing"], "nothing"),
])
def test_classic_bad_input_one_line_exit_2(argv, names):
    res = subprocess.run([sys.executable, "-m", "theory.cli", *argv], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and names in lines[0] and "Traceback" not in res.stderr
