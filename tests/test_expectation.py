"""Gaussian expectations as SymPy objects: LaTeX, float64 tensor quadrature, mpmath twin."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.errors import InputError
from theory.numeric.expectation import compile_expression, psd_cholesky
from theory.symbolic.expectation import E, Expectation, gaussians, numeric_function

rho, m, q, Delta, alpha, V = sp.symbols("rho m q Delta alpha V", positive=True)
TOL = 1e-12


def test_latex_and_algebra():
    w0, w1 = gaussians("omega0 omega1", cov=[[rho, m], [m, q]])
    e = alpha / V * E(sp.sign(w0) * w1)
    assert r"\mathbb{E}_{\omega_{0}, \omega_{1}}" in sp.latex(e)
    assert e.free_symbols == {alpha, V, rho, m, q}
    assert sp.diff(e, alpha) == e / alpha
    assert isinstance(e.subs(alpha, 2), sp.Expr)


@settings(max_examples=15, deadline=None)
@given(st.floats(0.2, 2.0), st.floats(-0.9, 0.9), st.floats(0.2, 2.0))
def test_sign_teacher_overlap(r, corr, qq):
    """E[sign(w0) w1] = m sqrt(2/(pi rho)) (Gaussian regression of w1 on w0)."""
    mm = corr * math.sqrt(r * qq)
    w0, w1 = gaussians("omega0 omega1", cov=[[rho, m], [m, q]])
    f = compile_expression(E(sp.sign(w0) * w1), (rho, m, q))
    assert abs(f(r, mm, qq) - mm * math.sqrt(2 / (math.pi * r))) < TOL


def test_three_dimensional_with_noise():
    """E[(sign(w0) + sqrt(D) zeta - w1)^2] = 1 + D + q - 2 m sqrt(2/(pi rho))."""
    w0, w1, z = gaussians("omega0 omega1 zeta", cov=[[rho, m, 0], [m, q, 0], [0, 0, 1]])
    f = compile_expression(E((sp.sign(w0) + sp.sqrt(Delta) * z - w1) ** 2), (rho, m, q, Delta))
    val = f(rho=1.3, m=0.5, q=0.7, Delta=0.2)
    assert abs(val - (1 + 0.2 + 0.7 - 2 * 0.5 * math.sqrt(2 / (math.pi * 1.3)))) < TOL


@pytest.mark.parametrize("r", [-0.95, -0.3, 0.0, 0.4, 0.99])
def test_two_kinks_arc_cosine(r):
    """E[relu(a) relu(b)] = (sqrt(1-r^2) + (pi - arccos r) r)/(2 pi): a kink in each variable."""
    a, b = gaussians("a b", cov=[[1, m], [m, 1]])
    f = compile_expression(E(sp.Max(a, 0) * sp.Max(b, 0)), (m,))
    exact = (math.sqrt(1 - r * r) + (math.pi - math.acos(r)) * r) / (2 * math.pi)
    assert abs(f(r) - exact) < TOL


def test_degenerate_covariance_nishimori_point():
    """q = m = rho makes the covariance singular: w1 = w0, E[sign(w0) w1] = sqrt(2 rho/pi)."""
    w0, w1 = gaussians("omega0 omega1", cov=[[rho, m], [m, q]])
    f = compile_expression(E(sp.sign(w0) * w1), (rho, m, q))
    assert abs(f(0.7, 0.7, 0.7) - math.sqrt(2 * 0.7 / math.pi)) < TOL


def test_square_loss_prox_channel():
    """The square-loss channel: V_hat = alpha/V E[1 - d_w eta] with eta = (w + V y)/(1 + V)
    gives alpha/(1 + V) (DESIGN.md); the prox is a named numeric function."""
    w0, w1, z = gaussians("omega0 omega1 zeta", cov=[[rho, m, 0], [m, q, 0], [0, 0, 1]])
    y_, w_, V_ = sp.symbols("y w V_", real=True)
    deta = numeric_function("deta", 3, lambda y, w, v: np.ones_like(w) / (1 + v),
                            lambda y, w, v: 1 / (1 + v), latex=r"\partial_\omega\eta")
    eta = numeric_function("eta", 3, lambda y, w, v: (w + v * y) / (1 + v),
                           lambda y, w, v: (w + v * y) / (1 + v), latex=r"\eta",
                           derivatives={1: deta})
    y = sp.sign(w0) + sp.sqrt(Delta) * z
    Vhat = alpha / V * E(1 - sp.diff(eta(y, w1, V), w1))
    assert r"\partial_\omega\eta" in sp.latex(Vhat)
    f = compile_expression(Vhat, (alpha, V, rho, m, q, Delta))
    assert abs(f(2.0, 0.5, 1.0, 0.3, 0.4, 0.1) - 2.0 / 1.5) < TOL
    # a quantity where the prox values matter: E[(y - eta)^2] = E[(y - w1)^2] / (1 + V)^2
    g = compile_expression(E((y - eta(y, w1, V)) ** 2), (V, rho, m, q, Delta))
    expect = (1 + 0.1 + 0.4 - 2 * 0.3 * math.sqrt(2 / math.pi)) / 1.5**2
    assert abs(g(0.5, 1.0, 0.3, 0.4, 0.1) - expect) < TOL


def test_parameter_grid():
    (w,) = gaussians("w", cov=[[q]])
    f = compile_expression(E(sp.Abs(w)), (q,))
    qs = np.array([0.25, 1.0, 4.0])
    assert np.max(np.abs(f(qs) - np.sqrt(2 * qs / math.pi))) < TOL


def test_mpmath_twin_exact_pieces():
    """30 digits on a piecewise-polynomial 2-D integrand against the closed form."""
    w0, w1 = gaussians("omega0 omega1", cov=[[rho, m], [m, q]])
    f = compile_expression(E(sp.sign(w0) * w1), (rho, m, q), dps=30)
    with mpmath.workdps(40):
        exact = mpmath.mpf(3) / 5 * mpmath.sqrt(2 / mpmath.pi)
        got = f(1, mpmath.mpf(3) / 5, mpmath.mpf(4) / 5)
        assert abs(got - exact) < mpmath.mpf("1e-29")


def test_mpmath_twin_smooth_1d():
    """1-D tanh^2 at 30 digits against an independent mpmath.quad."""
    (w,) = gaussians("w", cov=[[q]])
    f = compile_expression(E(sp.tanh(w) ** 2), (q,), dps=30)
    with mpmath.workdps(40):
        ref = mpmath.quad(lambda t: mpmath.tanh(mpmath.sqrt(2) * t) ** 2 * mpmath.npdf(t),
                          [-mpmath.inf, 0, mpmath.inf])
        assert abs(f(2) - ref) < mpmath.mpf("1e-29")


@pytest.mark.slow
def test_mpmath_twin_smooth_2d():
    """E[tanh(a) tanh(b)] at 20 digits against the dual-kernel series sum mu_k^2 r^k / k!,
    with tanh's mu_k from a 60-digit mpmath.quad (independent of the tensor rule)."""
    a, b = gaussians("a b", cov=[[1, m], [m, 1]])
    f = compile_expression(E(sp.tanh(a) * sp.tanh(b)), (m,), dps=20)
    r = mpmath.mpf("0.3")
    with mpmath.workdps(30):
        total = mpmath.mpf(0)
        for k in range(1, 50, 2):  # 0.3^49 < 1e-25
            mu = mpmath.quad(lambda t, k=k: mpmath.tanh(t) * mpmath.hermite(k, t / mpmath.sqrt(2))
                             * 2 ** (-mpmath.mpf(k) / 2) * mpmath.npdf(t),
                             [-mpmath.inf, -4, 0, 4, mpmath.inf])
            total += mu**2 * r**k / mpmath.factorial(k)
        assert abs(f(r) - total) < mpmath.mpf("1e-19")


def test_bad_input():
    with pytest.raises(InputError, match="cov"):
        gaussians("a b", cov=[[1, 2], [3, 1]])
    (w,) = gaussians("w", cov=[[q]])
    f = compile_expression(E(w**2), (q,))
    with pytest.raises(InputError, match="positive semi-definite"):
        f(-1.0)
    with pytest.raises(InputError, match="missing"):
        compile_expression(E(w**2) * alpha, (q,))
    with pytest.raises(InputError, match="positive semi-definite"):
        psd_cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))
    assert isinstance(E(w), Expectation)
