"""Conditional coefficients against closed forms, direct quadrature and a 60-digit reference."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import erf

from conftest import CLOSED_FORM_VS_QUAD, FLOAT_TIGHT, ROUNDOFF
from theory.errors import InputError
from theory.numeric import conditional as cond
from theory.numeric.conditional import conditional_coefficients, finite_support_family
from theory.numeric.hermite import hermite_expansion


def test_sign_closed_form_at_c1():
    """sign, c = 1: mu0 = erf(k/sqrt2), mu1 = sqrt(2/pi) e^{-k^2/2}, mu*^2 = 1 - mu0^2 - mu1^2."""
    k = np.linspace(-4, 4, 81)
    r = conditional_coefficients("sign", k, 1.0)
    mu0 = erf(k / math.sqrt(2))
    mu1 = math.sqrt(2 / math.pi) * np.exp(-(k**2) / 2)
    assert np.max(np.abs(r.mu0 - mu0)) < ROUNDOFF * 2
    assert np.max(np.abs(r.mu1 - mu1)) < ROUNDOFF * 2
    assert np.max(np.abs(r.mu_star**2 - (1 - mu0**2 - mu1**2))) < ROUNDOFF * 4
    q = conditional_coefficients("sign", k, 1.0, method="quadrature")  # no closed form used
    assert np.max(np.abs(q.mu0 - mu0)) < FLOAT_TIGHT
    assert np.max(np.abs(q.mu1 - mu1)) < FLOAT_TIGHT


@pytest.mark.parametrize("name", ["relu", "abs", "leaky_relu", "sign", "erf", "sin", "cos",
                                  "monomial:3", "hermite:4"])
@pytest.mark.parametrize("c", [0.3, 1.0, 2.5])
def test_closed_forms_against_quadrature(name, c):
    k = np.linspace(-3.5, 3.5, 29)
    a = conditional_coefficients(name, k, c, method="closed")
    b = conditional_coefficients(name, k, c, method="quadrature")
    scale = np.maximum(1.0, np.abs(b.mu0))
    assert np.max(np.abs(a.mu0 - b.mu0) / scale) < CLOSED_FORM_VS_QUAD
    assert np.max(np.abs(a.mu1 - b.mu1) / np.maximum(1.0, np.abs(b.mu1))) < CLOSED_FORM_VS_QUAD
    # mu_star^2 compared (the closed form's square root amplifies round-off where mu_star ~ 0)
    d2 = np.abs(a.mu_star**2 - b.mu_star**2) / np.maximum(1.0, b.E_sigma2)
    assert np.max(d2) < CLOSED_FORM_VS_QUAD


@pytest.mark.parametrize("method", ["auto", "quadrature"])
def test_against_60_digit_reference(conditional_ref, method):
    worst = 0.0
    for e in conditional_ref["entries"]:
        r = conditional_coefficients(e["activation"], [float(e["kappa"])], float(e["c"]),
                                     method=method)
        for key, got in (("mu0", r.mu0[0]), ("mu1", r.mu1[0]), ("mu_star", r.mu_star[0])):
            ref = float(mpmath.mpf(e[key]))
            err = abs(got - ref) / max(1.0, abs(ref))
            worst = max(worst, err)
            assert err < FLOAT_TIGHT, (e["activation"], e["kappa"], e["c"], key, err)
    assert worst < FLOAT_TIGHT


@pytest.mark.slow
def test_mpmath_path_against_reference(conditional_ref):
    for e in conditional_ref["entries"][::5]:
        r = conditional_coefficients(e["activation"], [e["kappa"]], float(e["c"]), dps=40)
        with mpmath.workdps(60):
            for key in ("mu0", "mu1", "mu_star"):
                assert abs(getattr(r, key)[0] - mpmath.mpf(e[key])) < mpmath.mpf("1e-35"), e


@pytest.mark.parametrize("name", ["relu", "sign", "tanh", "erf", "gelu", "sigmoid"])
def test_reduces_to_plain_coefficients_at_zero(name):
    """kappa = 0, c = 1: mu0(0) = mu_0, mu1(0) = mu_1, mu_star(0) = mu_star."""
    h = hermite_expansion(name, 2, exact=False)
    r = conditional_coefficients(name, [0.0], 1.0)
    assert abs(r.mu0[0] - h.mu[0]) < FLOAT_TIGHT
    assert abs(r.mu1[0] - h.mu[1]) < FLOAT_TIGHT
    assert abs(r.mu_star[0] - h.mu_star) < FLOAT_TIGHT


def test_interpolation_path_matches_direct_quadrature():
    rng = np.random.default_rng(1)
    k = rng.normal(size=cond.INTERPOLATE_ABOVE * 3) * 1.5
    a = conditional_coefficients("tanh", k, 0.7)
    assert "interpolation" in a.method
    idx = rng.choice(k.size, 100, replace=False)
    b = conditional_coefficients("tanh", k[idx], 0.7, method="quadrature")
    for key in ("mu0", "mu1", "mu_star"):
        assert np.max(np.abs(getattr(a, key)[idx] - getattr(b, key))) < FLOAT_TIGHT


@settings(max_examples=20, deadline=None)
@given(st.floats(-4, 4), st.floats(0.05, 4))
def test_stein_form_of_mu1(kappa, c):
    """mu1 = E sigma'(kappa + sqrt c xi) computed from sigma' agrees with E[xi sigma]/sqrt c."""
    a = conditional_coefficients("tanh", [kappa], c, method="quadrature").mu1[0]
    b = conditional_coefficients("1 - tanh(x)^2", [kappa], c, method="quadrature").mu0[0]
    assert abs(a - b) < FLOAT_TIGHT


def test_finite_support_family():
    fam = finite_support_family("sign", [0.0, 0.5, 1.0], [-1.0, 1.0, 2.0])
    assert fam["mu0"].shape == (3, 3)
    for i, u in enumerate([-1.0, 1.0, 2.0]):
        assert np.allclose(fam["mu0"][i], erf(u * np.array([0.0, 0.5, 1.0]) / math.sqrt(2)),
                           rtol=0, atol=ROUNDOFF * 2)


def test_bad_input():
    with pytest.raises(InputError, match="c="):
        conditional_coefficients("relu", [0.0], 0.0)
    with pytest.raises(InputError, match="c="):
        conditional_coefficients("relu", [0.0], -1.0)
    with pytest.raises(InputError, match="kappa"):
        conditional_coefficients("relu", [np.nan])
    with pytest.raises(InputError, match="dps"):
        conditional_coefficients("relu", [0.0], dps=3)
    with pytest.raises(InputError, match="method"):
        conditional_coefficients("tanh", [0.0], method="closed")


@pytest.mark.parametrize("name", ["relu", "abs", "leaky_relu:0.2"])
@pytest.mark.parametrize("c", [0.3, 1.0, 3.0])
def test_closed_mu_star_has_no_cancellation_band(name, c):
    """Closed-form mu_star against direct split quadrature on a dense kappa grid.

    Regression: relu at c = 1 was off by up to 5e-12 (relative) for kappa in (-3.65, -3.1),
    where the closed form of E sigma^2 cancels but the old mask did not trigger.
    """
    k = np.linspace(-8.0, 8.0, 1601)
    a = conditional_coefficients(name, k, c=c)
    b = conditional_coefficients(name, k, c=c, method="quadrature")
    rel = np.abs(a.mu_star - b.mu_star) / np.abs(b.mu_star)
    # the quadrature cannot resolve a kink farther than BREAK_CLIP standard deviations: it
    # flags those entries (they used to be returned silently, compared with the same quadrature)
    ok = ~b.unresolved["mu_star"]
    assert not np.any(b.unresolved["mu_star"][np.abs(k) / np.sqrt(c) <= 11.9])
    assert rel[ok].max() < 3e-14, (k[ok][rel[ok].argmax()], rel[ok].max())
