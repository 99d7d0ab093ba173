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
    assert "wrote 10 files" in capsys.readouterr().out
    rf = [r for r in csv.DictReader((out / "rf_curves.csv").open()) if r["model"] == "rf_ridge"]
    assert len(rf) == 100
    r = rf[40]  # against the independent 30-digit Mei-Montanari reference
    ref = float(mm.test_error(float(r["value"]), 1.5, 1e-3, 0.5,
                              math.sqrt(0.25 - 1 / (2 * math.pi)), dps=30))
    assert abs(float(r["test_error"]) - ref) < 1e-9 * ref
    assert (out / "rf_curves.png").read_bytes()[:4] == b"\x89PNG"
    assert r"\begin{align*}" in (out / "rf_systems.tex").read_text()


def test_demo_bad_folder(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["demo", "--out", str(blocker / "sub")]) == 2
    assert "out=" in capsys.readouterr().err
