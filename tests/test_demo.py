"""The main job: `theory demo` writes its files, and nothing when the folder is unusable."""

import csv
import json
import math

import pytest

from reference import mei_montanari as mm
from theory.cli import main


@pytest.mark.slow
def test_demo_writes_everything(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"hermite.md", "hermite.csv", "hermite_exact.tex", "verification.md",
            "conditional.png", "conditional.csv", "leap.json"} <= names
    rows = {r["activation"]: r for r in csv.DictReader((out / "hermite.csv").open())}
    assert abs(float(rows["relu"]["mu_0"]) - 1 / math.sqrt(2 * math.pi)) < 1e-15
    assert abs(float(rows["sign"]["mu_1"]) - math.sqrt(2 / math.pi)) < 1e-15
    leaps = json.loads((out / "leap.json").read_text())
    assert leaps["z1*z2*z3*z4"]["leap"] == 4 and leaps["z1 + z1*z2 + z1*z2*z3"]["leap"] == 1
    printed = capsys.readouterr().out
    assert "wrote 12 files" in printed and "one giant step" in printed
    rf = [r for r in csv.DictReader((out / "rf_curves.csv").open()) if r["model"] == "rf_ridge"]
    assert len(rf) == 100
    r = rf[40]  # against the independent 30-digit Mei-Montanari reference
    ref = float(mm.test_error(float(r["value"]), 1.5, 1e-3, 0.5,
                              math.sqrt(0.25 - 1 / (2 * math.pi)), dps=30))
    assert abs(float(r["test_error"]) - ref) < 1e-9 * ref
    assert (out / "rf_curves.png").read_bytes()[:4] == b"\x89PNG"
    assert r"\begin{align*}" in (out / "rf_systems.tex").read_text()
    # one giant step: the sRF curve, the kernel line (digest, "Constants": 0.0274153260354302
    # for tanh, scipy quad) and the bounds at alpha0 -> infinity
    srf = list(csv.DictReader((out / "spiked_rf_curve.csv").open()))
    kl = [r for r in srf if r["setting"] == "kernel_line"][0]
    assert abs(float(kl["test_error"]) - 0.0274153260354302) < 1e-12
    curve = [r for r in srf if r["setting"].startswith("eta_tilde")]
    assert len(curve) == 40 and all(r["converged"] == "True" for r in curve)
    lo = float([r for r in srf if r["setting"] == "lower_bound_alpha0_inf"][0]["test_error"])
    assert all(float(r["test_error"]) > lo for r in curve)
    assert (out / "spiked_rf_curve.png").read_bytes()[:4] == b"\x89PNG"


def test_demo_bad_folder(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["demo", "--out", str(blocker / "sub")]) == 2
    assert "out=" in capsys.readouterr().err
