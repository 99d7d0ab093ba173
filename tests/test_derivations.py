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


def test_spiked_rf_map_golden_and_values():
    """The (c, r, gamma) map as SymPy, evaluated at the digest's constants of tanh (scipy quad,
    |err| < 1e-14, one-step-digest.md "Constants"), against predicted_map (the code's map)."""
    import sympy as sp

    from theory.simulate.one_step import predicted_map

    mod = _load("spiked_rf_system")
    docs = mod.render()
    for fname, text in docs.items():
        assert (mod.OUT / fname).read_text() == text, fname
    assert r"\operatorname{Var}[\sigma'(z)]" in docs["spiked_rf_map.tex"]
    assert r"\hat{V}_1" in docs["spiked_rf_system.tex"]  # the model's own system
    m = mod.map_expressions()
    mu1, Eg2, var_d = 0.605705509602159, 0.394294490397841, 0.0975237380858574
    for a0 in (0.5, 2.0):
        vals = {mod.eta_tilde: 1.0, mod.alpha0: a0, mod.mu1: mu1, mod.mu1s: mu1,
                mod.mu2s: Eg2, mod.var_dsigma: var_d}
        pm = predicted_map(eta_tilde=1.0, alpha0=a0)["code"]
        for k in ("r", "gamma", "c"):
            assert abs(float(m[k].subs(vals)) - pm[k]) < 1e-9, (k, a0)
    # the definitions are the Gaussian integrals they print as
    z = mod.z
    e = mod.gaussian_mean(z**2).as_integral().doit()
    assert sp.simplify(e - 1) == 0
