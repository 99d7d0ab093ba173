"""Issue 8, kind 3: narrow features between nodes in Gaussian expectations.

Every value is checked against a closed form or an mpmath integral at 30+ digits with explicit
splits (computed here, < 1 s each), never against the code under test. Each check asserts that
the true error is within the reported bound (``report.error``) and that the bound is small.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.special as sc
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.numeric.expectation import compile_expression, register_transition
from theory.symbolic.expectation import E, gaussians, numeric_function

D, rho, m, q, a_, b_ = sp.symbols("Delta rho m q a b", positive=True)
#: the bound reported must be at most this (relative to max(1, |value|))
BOUND = 1e-11
DELTAS = 10.0 ** np.arange(-12.0, 0.01, 0.5)  # log grid 1e-12 .. 1
mpmath.mp.dps = 40


def _Phi_erf(u):
    """Phi written as rf_convex's noisy sign teacher writes it."""
    return (1 + sp.erf(u / sp.sqrt(2))) / 2


def _check(f, args, ref):
    v = f(*args)
    err = f.report.error
    ref = float(ref)
    assert abs(v - ref) <= err, (args, v, ref, abs(v - ref), err)
    assert err <= BOUND * max(1.0, abs(ref)), (args, err)
    return v


# ---------------------------------------------------------------------- one variable
WVEC = gaussians("w")
(w,) = WVEC
STEP_PHI = compile_expression(E(sp.Heaviside(w) * _Phi_erf(w / sp.sqrt(D))), (D,))


def _step_phi_ref(delta):
    """E[Theta(w) Phi(w/sqrt(D))] = P(w > 0, w + sqrt(D) z > 0) = 1/4 + asin(1/sqrt(1+D))/(2 pi),
    written as 1/2 - atan(sqrt(D))/(2 pi) (the asin form cancels near D = 0)."""
    d = mpmath.mpf(float(delta))
    return mpmath.mpf(1) / 2 - mpmath.atan(mpmath.sqrt(d)) / (2 * mpmath.pi)


def test_issue_instance_step_times_phi():
    """The instance of the issue: Delta = 1e-6 returned 0.5 with error 1.1e-16."""
    v = _check(STEP_PHI, (1e-6,), _step_phi_ref(1e-6))
    assert abs(v - 0.499840845110) < 1e-12
    ref = 0.25 + mpmath.asin(1 / mpmath.sqrt(1 + mpmath.mpf(1e-6))) / (2 * mpmath.pi)
    assert abs(_step_phi_ref(1e-6) - ref) < 1e-30


@pytest.mark.parametrize("delta", DELTAS)
def test_step_times_phi_log_grid(delta):
    _check(STEP_PHI, (delta,), _step_phi_ref(delta))


ERF_SHIFT = compile_expression(E(sp.erf(a_ * (w - b_))), (a_, b_))


@pytest.mark.parametrize("a", [1e-3, 1.0, 30.0, 1e3, 1e6, 1e9])
@pytest.mark.parametrize("b", [-2.5, 0.0, 0.3, 1.7, 6.0])
def test_steep_erf_with_offset(a, b):
    """E[erf(a (w - b))] = erf(-a b / sqrt(1 + 2 a^2)) (Gaussian convolution of erf)."""
    A, B = mpmath.mpf(a), mpmath.mpf(b)
    _check(ERF_SHIFT, (a, b), mpmath.erf(-A * B / mpmath.sqrt(1 + 2 * A * A)))


BUMP = compile_expression(E(sp.exp(-a_ * (w - b_) ** 2)), (a_, b_))


@pytest.mark.parametrize("a", [1.0, 1e2, 1e4, 1e8, 1e12])
@pytest.mark.parametrize("b", [0.0, 1.7, -3.0])
def test_narrow_gaussian_bump(a, b):
    """E[exp(-a (w - b)^2)] = exp(-a b^2 / (1 + 2a)) / sqrt(1 + 2a); a = 1e4, b = 1.7 is the
    bump of the issue (its mu_0 = 1.667e-3)."""
    A, B = mpmath.mpf(a), mpmath.mpf(b)
    ref = mpmath.exp(-A * B * B / (1 + 2 * A)) / mpmath.sqrt(1 + 2 * A)
    v = _check(BUMP, (a, b), ref)
    if a == 1e4 and b == 1.7:
        assert abs(v - 1.667e-3) < 1e-6


SHIFTED = compile_expression(E(sp.Heaviside(w - a_ + 1) * _Phi_erf((w - b_) / sp.sqrt(D))),
                             (a_, b_, D))


@settings(max_examples=8, deadline=None)
@given(st.floats(-12.0, 0.0), st.floats(-2.0, 2.0), st.floats(-2.0, 2.0))
def test_shifted_step_and_phi(logd, c, b):
    """E[Theta(w - c) Phi((w - b)/sqrt(D))] against mpmath.quad at 30 digits, split at c, b and
    at b +- 10^k sqrt(D) (the reference's own explicit splits)."""
    delta = 10.0**logd
    with mpmath.workdps(30):
        s = mpmath.sqrt(mpmath.mpf(delta))
        B, C = mpmath.mpf(b), mpmath.mpf(c)
        pts = {C, B} | {B + sg * s * 10**k for k in range(0, 8) for sg in (-1, 1)
                        if s * 10**k < 10}
        pts = [C] + sorted(p for p in pts if p > C) + [mpmath.inf]
        ref = mpmath.quad(lambda x: mpmath.ncdf((x - B) / s) * mpmath.npdf(x), pts)
    _check(SHIFTED, (c + 1, b, delta), ref)


def test_registered_transition_by_name():
    """A named function (e.g. a stable Phi atom) declares its scaled argument once registered."""
    Phi_t = numeric_function("Phi_t", 1, sc.ndtr, mpmath.ncdf, latex=r"\Phi")
    register_transition("Phi_t")
    f = compile_expression(E(sp.Heaviside(w) * Phi_t(w / sp.sqrt(D)), over=WVEC), (D,))
    for delta in (1e-12, 1e-8, 1e-4):
        _check(f, (delta,), _step_phi_ref(delta))


def test_mpmath_twin_resolves_narrow_phi():
    f = compile_expression(E(sp.Heaviside(w) * _Phi_erf(w / sp.sqrt(D)), over=WVEC), (D,), dps=30)
    for delta in (1e-12, 1e-6, 1e-2):
        with mpmath.workdps(40):
            ref = _step_phi_ref(delta)
        assert abs(f(mpmath.mpf(delta)) - ref) < mpmath.mpf(10) ** -29


# ---------------------------------------------------------------------- the rf_convex channel
w0, w1 = gaussians("omega0 omega1", cov=[[rho, m], [m, q]])
CHANNEL_STEP = compile_expression(E(_Phi_erf(w0 / sp.sqrt(D)) * sp.Heaviside(w1)), (D, rho, m, q))
CHANNEL_LIN = compile_expression(E(_Phi_erf(w0 / sp.sqrt(D)) * w1), (D, rho, m, q))
CHANNEL_HINGE = compile_expression(E(_Phi_erf(w0 / sp.sqrt(D)) * sp.Max(0, 1 - w1)),
                                   (D, rho, m, q))
SQUARE = compile_expression(E(sum(_Phi_erf(y * w0 / sp.sqrt(D)) * (y - w1) ** 2 for y in (1, -1))),
                            (D, rho, m, q))
COVS = [(1.0, 0.5, 1.0), (1.3, 0.9, 0.7), (1.0, 0.999, 1.0), (1.0, 0.99999, 1.0),
        (2.0, -1.2, 0.8), (1.0, 1.0 - 1e-9, 1.0)]
CHANNEL_DELTAS = [0.0, 1e-300, 1e-12, 1e-10, 1e-8, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.03, 1.0]


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("delta", CHANNEL_DELTAS)
def test_noisy_sign_channel_closed_forms(cov, delta):
    """(omega0, omega1) correlated, P(y|omega0) = Phi(y omega0/sqrt(D)):
    E[Phi(w0/sqrt D) Theta(w1)] = 1/4 + asin(m/sqrt(q(rho+D)))/(2 pi) (orthant probability of
    (w0 + sqrt(D) z, w1)), E[Phi(w0/sqrt D) w1] = m/sqrt(2 pi (rho+D)), and the square-loss
    channel sum_y E[Phi(y w0/sqrt D)(y - w1)^2] = 1 + q - 4 m/sqrt(2 pi (rho + D))."""
    r, mm, qq = (mpmath.mpf(x) for x in cov)
    d = mpmath.mpf(delta)
    args = (delta, *cov)
    _check(CHANNEL_STEP, args, mpmath.mpf(1) / 4 + mpmath.asin(mm / mpmath.sqrt(qq * (r + d)))
           / (2 * mpmath.pi))
    _check(CHANNEL_LIN, args, mm / mpmath.sqrt(2 * mpmath.pi * (r + d)))
    _check(SQUARE, args, 1 + qq - 4 * mm / mpmath.sqrt(2 * mpmath.pi * (r + d)))


@pytest.mark.parametrize("cov", [(1.0, 0.5, 1.0), (1.0, 0.99999, 1.0), (2.0, -1.2, 0.8)])
@pytest.mark.parametrize("delta", [1e-12, 1e-6, 1e-3, 1.0])
def test_noisy_sign_channel_hinge(cov, delta):
    """E[Phi(w0/sqrt D) max(0, 1 - w1)] = E_w1[max(0, 1 - w1) Phi((m/q) w1 / sqrt(rho - m^2/q
    + D))], a 1-D mpmath integral split at 0 and 1 (the conditional law of w0 given w1)."""
    r, mm, qq = (mpmath.mpf(x) for x in cov)
    d = mpmath.mpf(delta)
    s = mpmath.sqrt(r - mm * mm / qq + d)
    sq = mpmath.sqrt(qq)
    ref = mpmath.quad(lambda x: (1 - x) * mpmath.ncdf(mm / qq * x / s) * mpmath.npdf(x, 0, sq),
                      [-mpmath.inf] + sorted({mpmath.mpf(0), -s * qq / abs(mm),
                                              s * qq / abs(mm)}) + [1])
    _check(CHANNEL_HINGE, (delta, *cov), ref)


@pytest.mark.veryslow
def test_mpmath_twin_channel():
    """The mpmath twin follows the same frame and graded cuts (slow: a 2-D tensor rule in
    mpmath with graded panels takes minutes)."""
    f = compile_expression(E(_Phi_erf(w0 / sp.sqrt(D)) * sp.Heaviside(w1)), (D, rho, m, q), dps=15)
    d = mpmath.mpf(1e-4)
    with mpmath.workdps(40):
        ref = mpmath.mpf(1) / 4 + mpmath.asin(mpmath.mpf(0.9) / mpmath.sqrt(
            mpmath.mpf(0.7) * (mpmath.mpf(1.3) + d))) / (2 * mpmath.pi)
    v = f(d, mpmath.mpf(1.3), mpmath.mpf(0.9), mpmath.mpf(0.7))
    assert abs(v - ref) < mpmath.mpf(10) ** -14
