"""notebooks/one_step_spiked_rf.ipynb runs top to bottom at a small size (parameter cell
overridden: d = 60, 2 seeds, 2 simulated and 4 theory points per line, 2 colours per panel)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


def test_one_step_spiked_rf_notebook_executes(tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / "one_step_spiked_rf.ipynb", as_version=4)
    params = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("# param")]
    assert len(params) == 1
    assert "D = 2000" in params[0].source  # the full figure's size
    fig = tmp_path / "fig.png"
    params[0].source = ("D = 60\nSEEDS = 2\nPOINTS = 2\nTHEORY_POINTS = 4\n"
                        "ALPHA0_LEFT = [0.0, 0.5]\nALPHA0_RIGHT = [0.0, 5.0]\n"
                        "R_VALUES = [0.0, 1.0]\n"
                        f"CACHE = {str(tmp_path / 'c')!r}\nFIGURE = {str(fig)!r}\n")
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    out = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                  for o in c.get("outputs", []))
    assert "max |z|" in out and "wrote" in out and "0 points failed" in out
    assert "kernel line" in out
    assert fig.read_bytes()[:4] == b"\x89PNG"
