"""Logistic proximal operator against an independent mpmath bisection at 30 digits."""

import mpmath
import numpy as np
import pytest

from theory.numeric import prox as P


def _t_ref(u, V):
    """Root of t - u - V/(1+e^t) on [u, u+V] by plain bisection at 30 digits."""
    with mpmath.workdps(30):
        u, V = mpmath.mpf(u), mpmath.mpf(V)
        lo, hi = u, u + V
        for _ in range(200):
            mid = (lo + hi) / 2
            if mid - u - V / (1 + mpmath.exp(mid)) > 0:
                hi = mid
            else:
                lo = mid
        return (lo + hi) / 2


CASES = [(u, V) for V in (1e-3, 0.1, 1.0, 7.0, 30.0, 300.0)
         for u in (-400.0, -27.064, -5.0, -0.3, 0.0, 0.7, 4.0, 60.0)]


@pytest.mark.parametrize("V", [1e-3, 0.1, 1.0, 7.0, 30.0, 300.0])
def test_prox_matches_bisection(V):
    us = np.array([u for u, v in CASES if v == V])
    for y in (1.0, -1.0):
        eta = P.logistic_prox(y, y * us, np.full_like(us, V))
        for u, e in zip(us, eta):
            ref = float(_t_ref(u, V))
            assert abs(y * e - ref) <= 1e-13 * max(1.0, abs(ref)), (u, V, y * e, ref)


def test_large_V_regression():
    # bracketed Newton without the rtsafe test cycled here and returned h = 28
    t = P._newton_t(np.array([-27.064]), np.array([30.0]))[0]
    assert abs(t - float(_t_ref(-27.064, 30.0))) < 1e-12


def test_derivative_is_implicit_derivative():
    u, V = np.array([-3.0, 0.2, 5.0]), np.array([2.0, 2.0, 2.0])
    d = P.logistic_prox_derivative(1.0, u, V)
    h = 1e-6
    for k in range(3):
        with mpmath.workdps(30):
            fd = (_t_ref(u[k] + h, V[k]) - _t_ref(u[k] - h, V[k])) / (2 * h)
        assert abs(d[k] - float(fd)) < 1e-9
