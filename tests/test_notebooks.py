"""The notebooks run top to bottom (at a small size: the parameter cell is overridden)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


def test_rf_learning_curve_notebook_executes(tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / "rf_learning_curve.ipynb", as_version=4)
    params = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("# param")]
    assert len(params) == 1
    fig = tmp_path / "fig.png"
    params[0].source = (f"D = 80\nSEEDS = 2\nPOINTS = 3\nCACHE = {str(tmp_path / 'c')!r}\n"
                        f"FIGURE = {str(fig)!r}\n")
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    out = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                  for o in c.get("outputs", []))
    assert "max |z|" in out and "wrote" in out
    assert fig.read_bytes()[:4] == b"\x89PNG"
