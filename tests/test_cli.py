"""The command line: JSON shapes, exit codes, one-line errors, nothing executed from input."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys

import pytest

from theory.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_hermite_json(capsys):
    code, out, _ = run(capsys, "hermite", "relu", "--kmax", "3", "--json")
    d = json.loads(out)
    assert code == 0 and len(d["mu"]) == 4
    assert abs(d["mu"][1] - 0.5) < 1e-15 and abs(d["mu"][0] - 1 / math.sqrt(2 * math.pi)) < 1e-15
    assert abs(d["mu_star"] - math.sqrt(0.25 - 1 / (2 * math.pi))) < 1e-15


def test_hermite_json_dps_gives_strings(capsys):
    code, out, _ = run(capsys, "hermite", "sign", "--kmax", "1", "--dps", "30", "--json")
    d = json.loads(out)
    assert code == 0 and all(isinstance(m, str) for m in d["mu"])
    assert d["mu"][1].startswith("0.79788456080286535587989211986")  # sqrt(2/pi)


def test_hermite_latex(capsys):
    code, out, _ = run(capsys, "hermite", "erf", "--kmax", "1", "--latex")
    assert code == 0 and r"\frac{2 \sqrt{3}}{3 \sqrt{\pi}}" in out


def test_conditional_json(capsys):
    code, out, _ = run(capsys, "conditional", "sign", "--kappa", "0,1", "--json")
    d = json.loads(out)
    assert code == 0 and set(d) >= {"kappa", "mu0", "mu1", "mu_star"}
    assert abs(d["mu0"][1] - math.erf(1 / math.sqrt(2))) < 1e-15
    assert abs(d["mu1"][1] - math.sqrt(2 / math.pi) * math.exp(-0.5)) < 1e-15


def test_conditional_dps(capsys):
    code, out, _ = run(capsys, "conditional", "sign", "--kappa", "1", "--dps", "25", "--json")
    d = json.loads(out)
    assert d["mu0"][0].startswith("0.68268949213708589717")  # erf(1/sqrt 2)


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["hermite", "__import__('os').system('id')"], "cannot parse"),
        (["hermite", "nosuch"], "relu"),  # lists the known activations
        (["hermite", "relu", "--kmax", "-1"], "kmax"),
        (["hermite", "relu", "--dps", "10"], "dps"),
        (["conditional", "relu", "--c", "0"], "c="),
        (["conditional", "relu", "--c", "-2"], "c="),
        (["conditional", "relu", "--kappa", "1,x"], "kappa"),
        (["hermite", "exp(x^2)"], "E[sigma(z)^2] must be finite"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, needle):
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1


def test_console_script_runs_nothing_from_input(tmp_path):
    exe = shutil.which("theory") or None
    target = tmp_path / "pwned"
    cmd = [exe] if exe else [sys.executable, "-m", "theory.cli"]
    p = subprocess.run(cmd + ["hermite", f"__import__('os').system('touch {target}')"],
                       capture_output=True, text=True)
    assert p.returncode == 2 and not target.exists()
    assert p.stderr.count("\n") == 1
