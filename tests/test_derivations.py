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


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "derivations" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_rf_systems_golden():
    mod = _load("rf_systems")
    docs = mod.render()
    for fname, text in docs.items():
        assert (mod.OUT / fname).read_text() == text, fname
    assert r"\kappa_\star" in docs["rf_convex_logistic_sign.tex"]
    assert r"\nu_k = i a_k" in docs["rf_ridge_mei_montanari.tex"]  # solved as nu_k = i a_k


# Compiling every exported file with pdflatex and checking its layout: tests/test_latex_layout.py
