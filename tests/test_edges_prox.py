"""Issue 8, kind 6: proximal operators at large V (and everywhere else the equations reach).

Every prox (logistic, hinge, square; float64 and the mpmath twins) and its derivative are
checked against references computed here without any ``theory`` code: the logistic prox by
plain bisection at 50 digits on the defining equation t - u = V / (1 + e^t) (u = y omega,
eta = y t), the hinge and square ones from their case definitions evaluated in mpmath. The
derivative reference is 1 / (1 + V l''(t)) with l''(t) = 1 / ((1 + e^t)(1 + e^-t)) at the
50-digit root (implicit differentiation of the defining equation).

Range: V log-uniform in [1e-12, 1e60], |omega| log-uniform in [1e-8, 1e8] (and 0), y = +-1,
plus the cancellation family u = -V/2 (1 + delta), where t crosses 0.

Accuracy asked: relative 1e-13. Where t passes through 0 (u ~ -V/2) relative accuracy of t is
limited by the conditioning of t(u, V) itself: t is then allowed an extra error
4 eps |u| dt/du (eps = 2^-52, dt/du = d eta/d omega), the error that a one-ulp change of the
exact float input u causes; the test reports the worst ratio.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.numeric import prox as P

EPS = 2.0 ** -52
REL = 1e-13  # the accuracy asked by the issue


# ------------------------------------------------------------------ independent references
def t_ref(u, V, dps=50):
    """Root of t - u - V/(1+e^t) on [u, u + V] by bisection at ``dps`` digits (mpf)."""
    with mpmath.workdps(dps):
        u, V = mpmath.mpf(u), mpmath.mpf(V)
        lo, hi = u, u + V
        tiny = mpmath.mpf(10) ** (5 - dps)
        for _ in range(1000):
            mid = (lo + hi) / 2
            if mid - u - V / (1 + mpmath.exp(mid)) > 0:
                hi = mid
            else:
                lo = mid
            if hi - lo <= tiny * max(abs(lo), abs(hi), tiny):
                break
        return (lo + hi) / 2


def d_ref(t, V, dps=50):
    with mpmath.workdps(dps):
        return 1 / (1 + mpmath.mpf(V) / ((1 + mpmath.exp(t)) * (1 + mpmath.exp(-t))))


def check_logistic(y, omega, V, eta, deta):
    u = y * omega
    t = t_ref(u, V)
    d = d_ref(t, V)
    with mpmath.workdps(50):
        err = abs(mpmath.mpf(float(eta)) - y * t)
        allowed = REL * abs(t) + 4 * EPS * abs(u) * d
        derr = abs(mpmath.mpf(float(deta)) - d) / d
    assert err <= allowed, (y, omega, V, float(eta), mpmath.nstr(y * t, 20), float(err))
    assert derr <= REL, (y, omega, V, float(deta), mpmath.nstr(d, 20), float(derr))
    return float(err / allowed)


# ------------------------------------------------------------------ the instances of the issue
def test_issue_instances():
    assert P.logistic_prox_derivative(1, 0, 1e12) == pytest.approx(0.039315896474953104,
                                                                   rel=REL)
    assert P.logistic_prox(1, 0, 1e60) == pytest.approx(133.26278259180332, rel=REL)
    # and against the bisection reference here
    check_logistic(1.0, 0.0, 1e12, P.logistic_prox(1, 0, 1e12),
                   P.logistic_prox_derivative(1, 0, 1e12))
    check_logistic(1.0, 0.0, 1e60, P.logistic_prox(1, 0, 1e60),
                   P.logistic_prox_derivative(1, 0, 1e60))


# ------------------------------------------------------------------ families
log_V = st.floats(-12, 60)
log_w = st.floats(-8, 8)
sign = st.sampled_from([-1.0, 1.0])


@settings(max_examples=300, deadline=None)
@given(lv=log_V, lw=log_w, s=sign, y=sign)
def test_logistic_prox_loguniform(lv, lw, s, y):
    V, omega = 10.0 ** lv, s * 10.0 ** lw
    check_logistic(y, omega, V, P.logistic_prox(y, omega, V),
                   P.logistic_prox_derivative(y, omega, V))


@settings(max_examples=150, deadline=None)
@given(lv=log_V, delta=st.floats(-1e-2, 1e-2), y=sign)
def test_logistic_prox_through_zero(lv, delta, y):
    """u = -V/2 (1 + delta): t crosses 0, u + (t - u) cancels (the old code lost all digits)."""
    V = 10.0 ** lv
    omega = -y * V / 2 * (1 + delta)
    check_logistic(y, omega, V, P.logistic_prox(y, omega, V),
                   P.logistic_prox_derivative(y, omega, V))


def test_logistic_prox_vectorised_grid():
    """One vectorised call over a grid (the way the quadrature calls it), tails included."""
    Vs = 10.0 ** np.arange(-12, 61, 4.5)
    ws = np.concatenate([-(10.0 ** np.arange(-8, 8.1, 2)), [0.0], 10.0 ** np.arange(-8, 8.1, 2)])
    V, w = np.meshgrid(Vs, ws)
    for y in (1.0, -1.0):
        eta = P.logistic_prox(y, w, V)
        deta = P.logistic_prox_derivative(y, w, V)
        for k in range(0, V.size, 3):
            check_logistic(y, w.flat[k], V.flat[k], eta.flat[k], deta.flat[k])


@settings(max_examples=40, deadline=None)
@given(lv=log_V, lw=log_w, s=sign, y=sign)
def test_logistic_prox_mp_twin(lv, lw, s, y):
    """The mpmath twin at 30 digits against 50-digit bisection (relative 1e-28, or the
    conditioning allowance at 30 digits near t = 0)."""
    V, omega = 10.0 ** lv, s * 10.0 ** lw
    u = y * omega
    t = t_ref(u, V)
    d = d_ref(t, V)
    with mpmath.workdps(30):
        eta = P.logistic_prox_mp(mpmath.mpf(y), mpmath.mpf(omega), mpmath.mpf(V))
        deta = P.logistic_prox_derivative_mp(mpmath.mpf(y), mpmath.mpf(omega), mpmath.mpf(V))
    with mpmath.workdps(50):
        e30 = mpmath.mpf(10) ** -28
        assert abs(eta - y * t) <= e30 * (abs(t) + abs(u) * d), (y, omega, V)
        assert abs(deta - d) <= e30 * d, (y, omega, V)


def test_logistic_loss_tails():
    x = np.array([-1e8, -800.0, -40.0, 0.0, 40.0, 800.0, 1e8])
    for y in (1.0, -1.0):
        got = P.logistic_loss(y, x)
        for xi, g in zip(x, got):
            with mpmath.workdps(40):
                ref = mpmath.log1p(mpmath.exp(-y * mpmath.mpf(xi)))
                assert abs(g - ref) <= REL * ref + 1e-300, (y, xi, g)  # underflow below


# ------------------------------------------------------------------ hinge and square
def hinge_ref(y, omega, V):
    """argmin_x (x - omega)^2/(2V) + max(0, 1 - y x), case by case in mpmath (y = +-1)."""
    with mpmath.workdps(40):
        y, omega, V = mpmath.mpf(y), mpmath.mpf(omega), mpmath.mpf(V)
        # candidates: the minimiser of each smooth piece, clipped to its piece, and the kink
        cands = [1 / y]
        a = omega + V * y  # piece y x < 1
        if y * a < 1:
            cands.append(a)
        if y * omega > 1:  # piece y x > 1
            cands.append(omega)
        f = lambda x: (x - omega) ** 2 / (2 * V) + max(0, 1 - y * x)  # noqa: E731
        best = min(cands, key=f)
        # derivative: 1 where the minimiser moves with omega (a smooth piece), 0 at the kink
        d = 0 if best == 1 / y and not (a == best or omega == best) else 1
        return best, d


@settings(max_examples=200, deadline=None)
@given(lv=log_V, lw=log_w, s=sign, y=sign)
def test_hinge_prox(lv, lw, s, y):
    V, omega = 10.0 ** lv, s * 10.0 ** lw
    ref, dref = hinge_ref(y, omega, V)
    got = float(P.hinge_prox(y, omega, V))
    with mpmath.workdps(40):
        # omega + V y is one rounding: relative 1e-13 unless it cancels (its own conditioning)
        assert abs(got - ref) <= REL * abs(ref) + 2 * EPS * (abs(omega) + V), (y, omega, V)
        got_mp = P.hinge_prox_mp(mpmath.mpf(y), mpmath.mpf(omega), mpmath.mpf(V))
        assert abs(got_mp - ref) <= mpmath.mpf(10) ** -35 * (abs(ref) + 1)
    assert float(P.hinge_prox_derivative(y, omega, V)) == dref
    assert float(P.hinge_prox_derivative_mp(y, mpmath.mpf(omega), mpmath.mpf(V))) == dref
    # minimality: the objective at eta is not above its value at nearby points
    f = lambda x: (x - omega) ** 2 / (2 * V) + max(0.0, 1 - y * x)  # noqa: E731
    assert f(got) <= min(f(got * (1 + 1e-9) + 1e-12), f(got * (1 - 1e-9) - 1e-12)) + 1e-12 * (
        abs(f(got)) + 1)


@settings(max_examples=200, deadline=None)
@given(lv=log_V, lw=log_w, s=sign, y=st.floats(-1e3, 1e3))
def test_square_prox(lv, lw, s, y):
    V, omega = 10.0 ** lv, s * 10.0 ** lw
    with mpmath.workdps(40):
        ref = (mpmath.mpf(omega) + mpmath.mpf(V) * mpmath.mpf(y)) / (1 + mpmath.mpf(V))
        dref = 1 / (1 + mpmath.mpf(V))
        got = P.square_prox(y, omega, V)
        scale = (abs(omega) + V * abs(y)) / (1 + V)  # conditioning of the sum omega + V y
        assert abs(got - ref) <= REL * abs(ref) + 4 * EPS * scale, (y, omega, V, got)
        assert abs(P.square_prox_derivative(y, omega, V) - dref) <= REL * dref
        got_mp = P.square_prox_mp(mpmath.mpf(y), mpmath.mpf(omega), mpmath.mpf(V))
        assert abs(got_mp - ref) <= mpmath.mpf(10) ** -35 * (abs(ref) + scale)


def test_prox_is_the_minimiser_logistic():
    """eta minimises (x - omega)^2/(2V) + log(1 + e^{-yx}): the objective is not lower a
    relative 1e-7 step away (a definition check independent of the fixed-point equation)."""
    rng = np.random.default_rng(3)
    V = 10.0 ** rng.uniform(-6, 12, 200)
    w = rng.normal(0, 30, 200)
    y = rng.choice([-1.0, 1.0], 200)
    eta = P.logistic_prox(y, w, V)
    with mpmath.workdps(60):
        for k in range(200):
            f = lambda x, k=k: (x - w[k]) ** 2 / (2 * V[k]) + mpmath.log1p(  # noqa: E731
                mpmath.exp(-y[k] * x))
            e = mpmath.mpf(eta[k])
            h = mpmath.mpf(1e-7) * (abs(e) + 1e-3 * math.sqrt(V[k]))
            assert f(e) <= f(e + h) and f(e) <= f(e - h), k


@pytest.mark.parametrize("args,name", [((1.0, 0.0, -1.0), "V"), ((1.0, 0.0, 0.0), "V"),
                                       ((1.0, float("nan"), 1.0), "omega"),
                                       ((1.0, 0.0, float("inf")), "V")])
def test_bad_input_named(args, name):
    from theory.errors import InputError

    with pytest.raises(InputError) as e:
        P.logistic_prox(*args)
    assert e.value.param == name
