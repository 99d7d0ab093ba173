"""notebooks/scaling_laws.ipynb runs top to bottom at a small size (parameter cell overridden:
k = 20, 30 points over 4 decades, one exponent checked with 5 Richardson levels)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


@pytest.mark.slow  # a kernel start: ~8 s of CPU, 20-30 s wall on a loaded machine
def test_scaling_laws_notebook_executes(tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / "scaling_laws.ipynb", as_version=4)
    params = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("# param")]
    assert len(params) == 1
    assert "K = 200" in params[0].source  # the full figure's size
    fig = tmp_path / "fig.png"
    params[0].source = ("BETA = 1.0\nD = 100\nK = 20\nPOINTS = 30\nSHOWN = 4\nDECADES = 4\n"
                        "CHECK_BETAS = [1.0]\nLEVELS = 5\n"
                        f"FIGURE = {str(fig)!r}\n")
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    out = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                  for o in c.get("outputs", []))
    assert "sigma_c = 4.367330221857034" in out  # the reference value (laws_seq_values.json)
    found = re.search(r"beta = 1\.0: exponent (\S+) \+- (\S+); predicted -1/2", out)
    assert found, out
    assert abs(float(found.group(1)) + 0.5) < 1e-12 and float(found.group(2)) < 1e-10
    assert "eps n/(k_c d)" in out and "wrote" in out
    assert fig.read_bytes()[:4] == b"\x89PNG"
