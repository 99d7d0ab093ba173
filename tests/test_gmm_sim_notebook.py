"""notebooks/gaussian_mixtures.ipynb runs top to bottom at a small size (parameter cell
overridden: 4 theory points per line, the separability lines for K = 2, 3 at Delta = 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


@pytest.mark.slow
def test_gaussian_mixtures_notebook_executes(tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / "gaussian_mixtures.ipynb", as_version=4)
    params = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("# param")]
    assert len(params) == 1
    assert "THEORY_POINTS = 40" in params[0].source  # the full figure's resolution
    fig = tmp_path / "fig.png"
    params[0].source = ("THEORY_POINTS = 4\nDELTAS = [1.0]\nKS = [2, 3]\n"
                        f"STORED = {str(ROOT / 'tests' / 'reference' / 'gmm_sim')!r}\n"
                        f"FIGURE = {str(fig)!r}\n")
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    out = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                  for o in c.get("outputs", []))
    assert "max |z|" in out and "wrote" in out and "0 points failed" in out
    assert "LP crossing" in out
    assert fig.read_bytes()[:4] == b"\x89PNG"
