"""Bayes-optimal GLM examples (theory/models/{perceptron,phase_retrieval,gardner}.py) against
tests/reference/glm_perceptron_mp.json (mpmath at 40 digits; the script does not import theory)
and published constants."""

from __future__ import annotations

import json
import math
from pathlib import Path

import mpmath
import pytest
import sympy as sp

from theory.models import solve
from theory.models.perceptron import perceptron_system
from theory.models.phase_retrieval import weak_recovery_threshold

REF = json.loads((Path(__file__).parent / "reference" / "glm_perceptron_mp.json").read_text())
PG = REF["perceptron_gaussian"]


def test_perceptron_gaussian_alpha1_float64():
    r = solve("perceptron", alpha=1.0)
    assert r.converged
    assert abs(r.observables["q"] - float(PG["alpha=1"]["q"])) <= 1e-12
    # the value quoted in issue 9
    assert abs(r.observables["q"] - 0.486263637016116) <= 1e-12
    for k in ("bayes_error", "gibbs_error"):
        assert abs(r.observables[k] - float(PG["alpha=1"][k])) <= 1e-12


@pytest.mark.slow
def test_perceptron_gaussian_alpha1_dps40():
    r = solve("perceptron", alpha=1, dps=40)
    assert r.converged
    with mpmath.workdps(45):
        err = abs(r.observables["q"] - mpmath.mpf(PG["alpha=1"]["q"]))
        assert err <= mpmath.mpf(10) ** -30, err


def test_perceptron_alpha_1e4_opper_haussler():
    """alpha = 1e4: V = 1/(1 + qh) ~ 2e-8, the integrand lives on |xi| < 1e-4 (graded panels
    follow the width its phi/Phi declare). alpha eps against the mpmath fixed point at 1e4, and
    the alpha -> infinity constants 0.4417, 0.6246 (Opper & Haussler 1991), ratio sqrt 2."""
    r = solve("perceptron", alpha=1e4)
    assert r.converged, r.message
    ref = PG["alpha=1e4"]
    ab, ag = 1e4 * r.observables["bayes_error"], 1e4 * r.observables["gibbs_error"]
    assert abs(ab - float(ref["alpha_bayes_error"])) <= 1e-8
    assert abs(ag - float(ref["alpha_gibbs_error"])) <= 1e-8
    lim_b, lim_g = float(PG["limit"]["alpha_bayes_error"]), float(PG["limit"]["alpha_gibbs_error"])
    # Opper & Haussler quote 0.4417 and 0.6246 (four digits, truncated)
    assert 0.4417 <= lim_b < 0.4418 and 0.6246 <= lim_g < 0.6247
    assert abs(lim_g / lim_b - math.sqrt(2)) <= 1e-15
    assert abs(ab - lim_b) <= 1e-6 and abs(ag - lim_g) <= 1e-6


def test_perceptron_rademacher_alpha1():
    r = solve("perceptron", alpha=1.0, prior="rademacher")
    assert r.converged, r.message
    assert abs(r.observables["q"] - float(REF["perceptron_rademacher"]["alpha=1"]["q"])) <= 1e-9


def test_perceptron_latex_reads_like_the_paper():
    tex = perceptron_system().latex()
    assert r"\frac{\varphi" in tex or r"\Phi" in tex
    assert r"\mathbb{E}_{\xi}" in tex


def test_phase_retrieval_weak_recovery_at_one_half():
    assert abs(weak_recovery_threshold(0.0) - 0.5) <= 1e-6
    lo = solve("phase_retrieval", alpha=0.5 - 1e-3, init={"q": 0.3})
    hi = solve("phase_retrieval", alpha=0.55, init={"q": 0.3})
    assert lo.converged and hi.converged
    assert abs(lo.state["q"]) <= 1e-9 < 1e-3 < hi.state["q"]


def test_noisy_phase_retrieval_threshold():
    ref = float(REF["phase_retrieval_threshold"]["0.1"])
    assert abs(weak_recovery_threshold(0.1) - ref) <= 1e-6


@pytest.mark.parametrize("kappa", ["0", "0.5", "1", "2"])
def test_gardner_capacity_from_the_saddle_point(kappa):
    r = solve("gardner", kappa=float(kappa))
    assert r.converged
    ref = float(REF["gardner_capacity"][kappa])
    assert abs(r.state["alpha_c"] - ref) <= 1e-13 * ref
    if kappa == "0":
        assert abs(r.state["alpha_c"] - 2.0) <= 1e-14


def test_gardner_capacity_kappa1_30_digits():
    r = solve("gardner", kappa="1", dps=30)
    assert r.converged
    with mpmath.workdps(40):
        err = abs(r.state["alpha_c"] - mpmath.mpf("0.519572229604937969487656"))
        assert err <= mpmath.mpf(10) ** -24, err  # the 24 digits


def test_channels_in_models_have_no_erf():
    for e in perceptron_system().updates.values():
        assert not e.has(sp.erf, sp.erfc)


@pytest.mark.parametrize("a", [1.0, 1e2, 1e4, 1e8])
def test_narrow_integrand_gets_graded_panels(a):
    """Generic, not perceptron-specific: a 1-D expectation whose integrand declares a narrow
    transition (phi(a xi), width 1/a) is integrated on panels graded around it, at every node
    level. E[a phi(a xi)] = a / sqrt(2 pi (1 + a^2)) (Gaussian convolution, closed form)."""
    from theory.numeric.system import compile_system
    from theory.symbolic.atoms import phi
    from theory.symbolic.expectation import E, gaussians
    from theory.symbolic.system import SaddlePointSystem

    m, s = sp.symbols("m a", positive=True)
    (x,) = gaussians("x")
    cs = compile_system(SaddlePointSystem(name="spike", state=[m], parameters=[s], steps=[],
                                          updates={m: E(s * phi(s * x))}))
    exact = a / math.sqrt(2 * math.pi * (1 + a * a))
    for level in (1, 2, 3):
        got = float(cs.map([0.5], [a], level)[0])
        assert abs(got - exact) <= 1e-13 * exact, (level, got, exact)


def test_gardner_finite_q_saddle_point_reaches_q1_at_the_capacity():
    """The finite-q saddle point q/(1-q)^2 = alpha E g_out^2 (gardner_volume_system), solved on
    its map: V = 1 - q vanishes linearly as alpha -> alpha_c(kappa = 1) from below (V / (1 -
    alpha/alpha_c) tends to a constant), and above alpha_c the map has no fixed point (F > qh):
    the limit system of the model is the limit of this one."""
    import numpy as np
    from scipy.optimize import brentq

    from theory.models.gardner import gardner_volume_system
    from theory.numeric.system import compile_system

    cs = compile_system(gardner_volume_system())
    ac = float(REF["gardner_capacity"]["1"])
    slopes = []
    for frac in (0.999, 0.9999):
        def f(lq, a=ac * frac):
            return math.log(float(cs.map([math.exp(lq)], [a, 1.0], 3)[0])) - lq

        qh = math.exp(brentq(f, -5.0, 40.0, xtol=1e-13))
        V = (1 + math.sqrt(4 * qh + 1)) / (2 * qh + 1 + math.sqrt(4 * qh + 1))
        slopes.append(V / (1 - frac))
    assert 0.6 < slopes[1] < slopes[0] < 0.75 and abs(slopes[1] - slopes[0]) < 0.01
    above = [float(cs.map([qh], [1.001 * ac, 1.0], 3)[0]) / qh for qh in np.logspace(-2, 12, 30)]
    assert min(above) > 1.0


@pytest.mark.slow
def test_own_model_notebook_executes_fast(tmp_path):
    """notebooks/own_model.ipynb: the perceptron in one cell of <= 15 lines with the public API,
    solved, printed, in LaTeX and polished at 40 digits, in < 30 s."""
    import time

    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    path = Path(__file__).resolve().parent.parent / "notebooks" / "own_model.ipynb"
    nb = nbformat.read(path, as_version=4)
    model_cell = [c for c in nb.cells if c.cell_type == "code"][0]
    assert len(model_cell.source.strip().splitlines()) <= 15
    assert "from theory import" in model_cell.source
    t0 = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert time.perf_counter() - t0 < 30
    out = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                  for o in c.get("outputs", []))
    assert "0.486263637016" in out and "converged" in out
    assert "0.486263637016116488536550208810165105455" in out  # 39 digits of the reference
