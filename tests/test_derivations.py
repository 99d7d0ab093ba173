"""Golden test: the generated LaTeX in derivations/out is what the script makes now."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_hermite_closed_forms_golden():
    spec = importlib.util.spec_from_file_location(
        "hcf", ROOT / "derivations" / "hermite_closed_forms.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.OUT.read_text() == mod.render()
    text = mod.render()
    assert r"\mu_{1} &= \frac{1}{2}" in text  # relu
    assert r"\frac{2 \sqrt{3}}{3 \sqrt{\pi}}" in text  # erf mu_1 = 2/sqrt(3 pi)
