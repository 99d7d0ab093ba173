"""Classic thresholds (theory.laws.classic) against closed forms, independent 30-digit mpmath
scripts (tests/reference/laws_classic_*.py, which do not import theory) and exact integers.

Must show (issue 11): weak recovery of noiseless phase retrieval at 1/2; Candès--Sur h(1) =
0.438939066883848 and h(2) = 0.344930128404049 to 1e-12; Gardner kappa = 1 to 30 digits; the
Moniri--Hassani outlier count for (0.35, 0.3) is 2; bad input -> one InputError each.
"""

import json
import math
import pathlib
import random
from decimal import Decimal
from fractions import Fraction

import mpmath
import pytest
import sympy as sp

from theory.errors import InputError
from theory.laws.classic import (candes_sur_gamma, candes_sur_h, gardner_capacity,
                                 glm_weak_recovery, moniri_hassani_outliers)
from theory.symbolic.atoms import OutputChannel, abs_channel, sign_channel

REFDIR = pathlib.Path(__file__).parent / "reference"


def _ref(name):
    return json.loads((REFDIR / f"laws_classic_{name}_mp.json").read_text())


def _close(got, ref, digits=30):
    """``digits`` significant digits (the stored references are rounded to 30): |got - ref|
    <= 10^(1 - digits) |ref|, compared at digits + 10."""
    with mpmath.workdps(digits + 10):
        r = mpmath.mpf(ref) if not isinstance(ref, Fraction) else mpmath.mpf(ref.numerator) / ref.denominator
        return abs(mpmath.mpf(got) - r) <= mpmath.mpf(10) ** (1 - digits) * abs(r)


# ------------------------------------------------------------------ weak recovery
def test_weak_recovery_noiseless_phase_retrieval_is_one_half():
    r = glm_weak_recovery("abs")
    assert r.alpha == pytest.approx(0.5, rel=1e-14) and r.linear == 0.0
    assert r.quadratic == pytest.approx(2, rel=1e-14)
    r30 = glm_weak_recovery("abs", dps=30)
    assert _close(r30.alpha, "0.5", 30) and _close(r30.quadratic, "2", 30)
    assert "q = 0 loses stability" in r30.reason
    # the engine's channel object gives the same
    assert glm_weak_recovery(abs_channel(0)).alpha == pytest.approx(0.5, rel=1e-14)


def test_weak_recovery_first_order_channels_closed_forms():
    # sign: E[z|y] = y sqrt(2/pi)/sqrt(1 + Delta), E[z^2|y] = 1 when noiseless
    for D in (0, 0.3):
        r = glm_weak_recovery("sign", Delta=D)
        assert r.alpha == 0.0 and r.linear == pytest.approx(2 / (math.pi * (1 + D)), rel=1e-14)
        assert "every alpha > 0" in r.reason
    s = glm_weak_recovery("sign")
    assert s.quadratic == 0.0 and s.formula == math.inf  # the second-order formula diverges
    # relu: y = 0 w.p. 1/2 with E[z|y=0] = -sqrt(2/pi); y = z > 0 otherwise
    r = glm_weak_recovery("relu")
    assert r.alpha == 0.0 and r.linear == pytest.approx(1 / math.pi + 0.5, rel=1e-14)
    assert r.quadratic == pytest.approx(1.0, rel=1e-14) and r.formula == pytest.approx(1.0)
    # additive Gaussian noise: E[z|y] = y/(1+D), E[z^2|y] - 1 = (y^2 - (1+D))/(1+D)^2
    for D in (0.5, 2.0):
        r = glm_weak_recovery("gaussian", Delta=D)
        assert r.alpha == 0.0 and r.linear == pytest.approx(1 / (1 + D), rel=1e-14)
        assert r.quadratic == pytest.approx(2 / (1 + D) ** 2, rel=1e-14)


def test_weak_recovery_noisy_against_reference():
    ref = _ref("glm")
    for case in ref["cases"]:
        r = glm_weak_recovery(case["channel"], Delta=case["Delta"])
        assert r.quadratic == pytest.approx(float(case["quadratic"]), rel=1e-13), case
        assert r.linear == pytest.approx(float(case["linear"]), rel=1e-13, abs=1e-15), case
        assert r.alpha == pytest.approx(float(case["alpha_wr"]), rel=1e-13), case


@pytest.mark.slow  # ~3-5 s: tanh-sinh at 45 digits over the noisy channel's y-line
def test_weak_recovery_noisy_30_digits():
    case = next(c for c in _ref("glm")["cases"] if c["channel"] == "abs" and c["Delta"] == "0.5")
    r30 = glm_weak_recovery("abs", Delta="0.5", dps=30)
    assert _close(r30.alpha, case["alpha_wr"], 30), (r30.alpha, case)
    assert _close(r30.quadratic, case["quadratic"], 30)


def test_weak_recovery_grows_with_noise():
    a = [glm_weak_recovery("abs", Delta=D).alpha for D in (0.0, 0.1, 0.5, 1.0)]
    assert a[0] == pytest.approx(0.5) and all(x < y for x, y in zip(a, a[1:]))


def test_weak_recovery_custom_channel_needs_support():
    base = abs_channel(0)
    ch = OutputChannel("mine", "y = |z|", base.Z, None, base.label, 0)
    with pytest.raises(InputError, match="support"):
        glm_weak_recovery(ch)
    assert glm_weak_recovery(ch, support=[(0, mpmath.inf)]).alpha == pytest.approx(0.5, rel=1e-14)


def test_weak_recovery_bad_input():
    with pytest.raises(InputError, match="channel"):
        glm_weak_recovery("cubic")
    with pytest.raises(InputError, match="Delta"):
        glm_weak_recovery("abs", Delta=-0.1)
    with pytest.raises(InputError, match="Delta"):
        glm_weak_recovery("gaussian")
    with pytest.raises(InputError, match="Delta"):
        glm_weak_recovery(sign_channel(0), Delta=0.2)
    with pytest.raises(InputError, match="dps"):
        glm_weak_recovery("abs", dps=3)


# ------------------------------------------------------------------ Gardner
def test_gardner_capacity_against_quadrature_reference():
    for case in _ref("gardner")["cases"]:
        k = case["kappa"]
        assert _close(gardner_capacity(k, dps=30), case["alpha_c"], 30), case
        assert gardner_capacity(float(k)) == pytest.approx(float(case["alpha_c"]), rel=2e-15)
    assert gardner_capacity(0) == 2.0
    assert _close(gardner_capacity("1", dps=30), "0.519572229604937969487655964869", 30)


def test_gardner_capacity_grid_monotone_and_large_margin():
    ks = [i / 4 for i in range(41)]
    a = [gardner_capacity(k) for k in ks]
    assert all(x > y for x, y in zip(a, a[1:]))
    # large kappa: int Dt (t + kappa)^2 over t > -kappa -> 1 + kappa^2 (exponentially close)
    assert gardner_capacity(30) == pytest.approx(1 / 901, rel=1e-15)
    assert _close(gardner_capacity(30, dps=40), Fraction(1, 901), 40)


def test_gardner_bad_input():
    with pytest.raises(InputError, match="kappa"):
        gardner_capacity(-0.5)
    with pytest.raises(InputError, match="kappa"):
        gardner_capacity(float("inf"))
    with pytest.raises(InputError, match="kappa"):
        gardner_capacity("one")


# ------------------------------------------------------------------ Candès--Sur
ISSUE_H = {1: 0.438939066883848, 2: 0.344930128404049}  # issue 11, "What it must show"


def test_candes_sur_issue_values_float64():
    for g, h in ISSUE_H.items():
        assert abs(candes_sur_h(g) - h) < 1e-12
    assert candes_sur_h(0) == 0.5  # Cover 1965


def test_candes_sur_against_quadrature_reference():
    ref = _ref("candes_sur")
    for case in ref["cases"]:
        assert candes_sur_h(float(case["gamma"])) == pytest.approx(float(case["h"]), rel=1e-13)
    case = next(c for c in ref["cases"] if c["gamma"] == "1")
    assert _close(candes_sur_h("1", dps=30), case["h"], 30)


@pytest.mark.slow  # ~2-5 s a value at 40 working digits
def test_candes_sur_30_digits_more_gammas():
    for case in _ref("candes_sur")["cases"]:
        if case["gamma"] in ("2", "0.5"):
            assert _close(candes_sur_h(case["gamma"], dps=30), case["h"], 30), case


def test_candes_sur_grid_decreasing_and_boundary_inverse():
    gs = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0]
    h = [candes_sur_h(g) for g in gs]
    assert all(x > y for x, y in zip(h, h[1:])) and h[-1] > 0
    for g in (0.5, 2.0):
        assert candes_sur_gamma(candes_sur_h(g)) == pytest.approx(g, rel=1e-9)


def test_candes_sur_bad_input():
    with pytest.raises(InputError, match="gamma"):
        candes_sur_h(-1)
    for k in (0, 0.5, 0.7, -0.1):
        with pytest.raises(InputError, match="kappa"):
            candes_sur_gamma(k)


# ------------------------------------------------------------------ Moniri--Hassani
def test_moniri_hassani_issue_case():
    assert moniri_hassani_outliers("0.35", "0.3") == 2
    assert moniri_hassani_outliers(0.35, 0.3) == 2  # floats read by their decimal repr
    assert math.floor(0.3 / (0.5 - 0.35)) == 1  # the naive float64 answer is wrong
    for a1, a2 in ((Fraction(7, 20), Fraction(3, 10)), (Decimal("0.35"), Decimal("0.3")),
                   (sp.Rational(7, 20), sp.Rational(3, 10))):
        assert moniri_hassani_outliers(a1, a2) == 2
    assert moniri_hassani_outliers(0, 0) == 0


def test_moniri_hassani_random_rationals_against_integer_arithmetic():
    rng = random.Random(11)
    hits = 0
    for _ in range(400):
        b, d = rng.randint(1, 60), rng.randint(1, 60)
        a, c = rng.randrange(0, (b + 1) // 2), rng.randrange(0, (d + 1) // 2)
        if 2 * a >= b or 2 * c >= d:
            continue
        # alpha2 = a/b, alpha1 = c/d: floor(2 a d / (b (d - 2 c))) in integers
        exact = (2 * a * d) // (b * (d - 2 * c))
        assert moniri_hassani_outliers(f"{c}/{d}", f"{a}/{b}") == exact
        assert moniri_hassani_outliers(Fraction(c, d), Fraction(a, b)) == exact
        hits += 1
    assert hits > 300


def test_moniri_hassani_bad_input():
    for a1, a2, name in ((0.5, 0.1, "alpha1"), ("0.6", "0.1", "alpha1"), (-0.1, 0.1, "alpha1"),
                         (0.1, 0.5, "alpha2"), (0.1, -0.2, "alpha2"), (float("nan"), 0.1, "alpha1"),
                         (True, 0.1, "alpha1"), ("x", 0.1, "alpha1"), (0.1, None, "alpha2")):
        with pytest.raises(InputError, match=name):
            moniri_hassani_outliers(a1, a2)
