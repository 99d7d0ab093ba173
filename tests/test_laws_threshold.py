"""find_threshold (theory/laws/threshold.py): float64 bracket, joint mpmath refinement,
certified digits. Every asserted number comes from a closed form or from the independent
script tests/reference/laws_core_make.py (its output laws_core_reference.json)."""

from __future__ import annotations

import json
import pathlib

import mpmath
import pytest
import sympy as sp

from theory import InputError, Model, SaddlePointSystem
from theory.laws import find_threshold

REF = json.loads((pathlib.Path(__file__).parent / "reference" /
                  "laws_core_reference.json").read_text())

m, beta, h = sp.symbols("m beta h", real=True)
ISING = SaddlePointSystem(name="curie_weiss", state=[m], parameters=[beta, h],
                          updates={m: sp.tanh(beta * (m + h))})


def test_zero_of_an_expression_to_30_digits():
    x = sp.Symbol("x")
    r = find_threshold(x**2 - 2, vary="x", bracket=(1, 2), kind="zero", dps=30)
    with mpmath.workdps(40):
        assert abs(r.value - mpmath.sqrt(2)) <= r.error <= 1e-29
    assert r.digits >= 30 and r.method == "mpmath findroot"


def test_mp_callable_crossing():
    r = find_threshold(lambda t: mpmath.exp(t), vary="t", bracket=(0, 2), kind="crossing",
                       value="2", dps=40)
    with mpmath.workdps(50):
        assert abs(r.value - mpmath.log(2)) <= r.error <= 1e-39


def test_bracket_without_sign_change_is_input_error():
    x = sp.Symbol("x")
    with pytest.raises(InputError, match="changes sign"):
        find_threshold(x**2 + 1, vary="x", bracket=(-1, 2), kind="zero")
    with pytest.raises(InputError, match="kind"):
        find_threshold(x, vary="x", bracket=(-1, 2), kind="sideways")
    with pytest.raises(InputError, match="bracket"):
        find_threshold(x, vary="x", bracket=(2, 1), kind="zero")


def test_stability_of_a_user_model_from_system():
    """m = tanh(beta m): m = 0 loses stability at beta = 1 (F'(0) = beta), exactly."""
    CW = Model.from_system(ISING, defaults={"h": 0.0}, starts={"m": 0.0})
    r = find_threshold(CW, vary="beta", bracket=(0.5, 1.7), kind="stability",
                       params={"h": 0.0}, init={"m": 0.0}, dps=30)
    assert r.method == "mpmath findroot (joint)"
    assert abs(r.value - 1) <= r.error <= 1e-29 and r.digits >= 29
    assert r.state["m"] == 0


def test_jump_of_a_bare_system_saddle_node():
    """m = tanh(beta (m + h)) at beta = 2: the m < 0 branch ends at the fold
    beta (1 - m^2) = 1, i.e. m* = -sqrt(1 - 1/beta), h* = m*... closed form below."""
    r = find_threshold(ISING, vary="h", bracket=(0.0, 0.5), kind="jump",
                       params={"beta": 2.0}, init={"m": -0.9}, points=11, dps=30)
    with mpmath.workdps(50):
        ms = -mpmath.sqrt(1 - mpmath.mpf(1) / 2)
        hs = mpmath.atanh(ms) / 2 - ms  # fixed point: atanh(m)/beta = m + h
        assert abs(r.value - hs) <= r.error <= 1e-29
        assert abs(r.state["m"] - ms) < 1e-25
    assert r.bracket[0] <= float(hs) + 1e-6


def test_gardner_capacity_kappa_1_to_30_digits():
    """The registered gardner model's q -> 1 limit step hat q V^2 crosses 1 at alpha_c:
    against 1/int_{-1}^inf Dt (t+1)^2 by mpmath (reference script)."""
    r = find_threshold("gardner", vary="alpha_c", bracket=(0.3, 1.5),
                       observable=r"\hat{q}V^{2}", value=1, params={"kappa": 1}, dps=30)
    with mpmath.workdps(45):
        ref = mpmath.mpf(REF["gardner_alpha_c_kappa1"])
        assert abs(r.value - ref) <= r.error
        assert abs(r.value - ref) < mpmath.mpf(10) ** -30 * ref
    assert r.digits >= 29


@pytest.mark.slow
def test_weak_recovery_of_noiseless_phase_retrieval_to_30_digits():
    """On the model (state evolution, q = 0 loses stability), not the closed form; the
    closed form 1/E(z^2 - 1)^2 = 1/2 (Mondelli & Montanari arXiv:1708.05932v2) checks it."""
    r = find_threshold("phase_retrieval", vary="alpha", bracket=(0.3, 0.8), kind="stability",
                       init={"q": 0.0}, points=6, dps=30)
    assert r.method == "mpmath findroot (joint)" and r.dps == 30
    with mpmath.workdps(40):
        assert abs(r.value - mpmath.mpf(1) / 2) <= r.error <= 1e-30
    assert r.digits >= 30
    assert r.bracket[0] <= 0.5 <= r.bracket[1]


@pytest.mark.slow
def test_perfect_recovery_spinodal_of_noiseless_phase_retrieval():
    """The low-overlap branch disappears by a saddle-node (jump kind); the model's mpmath map
    cannot reach 15 digits at q ~ 0.85 (split-Gauss levels differ by ~1e-11), so the finder
    refines in float64 (dps=None): joint Newton at the two finest node levels. Reference:
    max_q q/((1-q) I(q)) by two independent quadratures (reference script)."""
    r = find_threshold("phase_retrieval", vary="alpha", bracket=(1.1, 1.2), kind="jump",
                       init={"q": 0.7}, points=3, dps=None)
    ref = REF["pr_spinodal_alpha_nested_quad"]
    slack = REF["pr_spinodal_methods_differ"]
    assert r.method == "float64 Newton (joint)"
    assert abs(r.value - ref) <= r.error + slack
    assert r.error < 1e-8 and r.digits >= 8
    assert abs(r.state["q"] - REF["pr_spinodal_q"]) < 1e-4
    it = REF["pr_spinodal_float_iteration"]
    lo, hi = sorted(it, key=float)
    assert it[lo] < 0.9 < 0.99 < it[hi]  # the reference's own plain iteration: a jump
