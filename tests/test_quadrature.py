"""The split Gauss rules: exactness on closed-form moments, orthogonality, shipped table."""

from __future__ import annotations

import json
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROUNDOFF
from theory.numeric import quadrature as q
from theory.numeric.hermite import normalized_he_table


def _halfmoment(j):  # int_0^inf t^j e^{-t^2/2} dt = 2^{(j-1)/2} Gamma((j+1)/2)
    return float(mpmath.power(2, mpmath.mpf(j - 1) / 2) * mpmath.gamma(mpmath.mpf(j + 1) / 2))


@pytest.mark.parametrize("n", [5, 20, 40, 80, 112])
def test_halfrange_rule_exact_on_moments(n):
    t, w = q.halfrange_rule(n)
    for j in range(0, 2 * n, max(1, n // 7)):
        assert abs((w * t**j).sum() / _halfmoment(j) - 1) < 50 * ROUNDOFF


def test_halfrange_float_rule_matches_mpmath_rule():
    t, w = q.halfrange_rule(30)
    tm, wm = q.halfrange_rule_mp(30, 30)
    assert np.max(np.abs(t - np.array([float(v) for v in tm]))) < 1e-14
    assert np.max(np.abs(w - np.array([float(v) for v in wm]))) < 1e-15


def test_shipped_recurrence_table_is_what_the_generator_makes(tmp_path):
    """Golden test: regenerate a short table and compare with the shipped one."""
    path = tmp_path / "rec.json"
    q.write_recurrence_table(path, n=40, dps=40)
    fresh = json.loads(path.read_text())
    shipped = json.loads(q._DATA.read_text())
    for key in ("alpha", "beta"):
        for a, b in zip(fresh[key], shipped[key][:40]):
            assert abs(float(a) - float(b)) <= 1e-30 * max(1.0, abs(float(b)))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 30), st.integers(0, 30), st.sampled_from(q.LEVELS[2:]))
def test_orthogonality_of_he(j, k, level):
    """E[He_j He_k]/sqrt(j! k!) = delta_jk under the split rule (exact for j + k < 2 n_tail)."""
    z, w = q.normal_rule(None, *level)
    h = normalized_he_table(z[0], 30)
    val = (w[0] * h[j] * h[k]).sum()
    assert abs(val - (1.0 if j == k else 0.0)) < 100 * ROUNDOFF


@settings(max_examples=40, deadline=None)
@given(st.floats(-6, 6), st.integers(0, 12))
def test_truncated_moments_exact(b, n):
    """E[z^n 1{z > b}] from the closed-form recursion I_n = b^{n-1} phi(b) + (n-1) I_{n-2}."""
    z, w = q.normal_rule([b], 16, 32)  # tails exact; the finite panel [b, 0] converges
    got = (w * z**n * (z > b)).sum()
    phi = math.exp(-b * b / 2) / math.sqrt(2 * math.pi)
    i0, i1 = 0.5 * math.erfc(b / math.sqrt(2)), phi
    moments = [i0, i1]
    for m in range(2, n + 1):
        moments.append(b ** (m - 1) * phi + (m - 1) * moments[m - 2])
    # the scale of the sum, not of its value: E[z^9 1{z > -6}] = 0.0129 is a cancellation of
    # terms ~90 (hypothesis found b = -6, n = 9 off by 2e-13 absolute, 2e-15 of the scale)
    scale = float((w * np.abs(z) ** n * (z > b)).sum())
    assert abs(got - moments[n]) < 1e-13 * max(1.0, abs(moments[n]), scale)


def test_rows_with_their_own_breaks():
    """Each row cut at its own kink: E sign(z - b) = -erf(b/sqrt 2) row by row."""
    b = np.array([[-3.0], [-0.4], [0.0], [1.7], [30.0]])
    z, w = q.normal_rule(b, 16, 20)
    got = (w * np.sign(z - b)).sum(axis=1)
    want = [-math.erf(v / math.sqrt(2)) for v in b[:, 0]]
    assert np.max(np.abs(got - want)) < 2 * ROUNDOFF


def test_plain_gauss_hermite_is_slow_at_a_kink():
    """Why we split (NUMERICS.md): 160 plain nodes still miss relu's mu_2 by > 1e-5."""
    z, w = q.hermite_rule(160)
    mu2 = (w * np.maximum(z, 0) * (z * z - 1)).sum()
    assert abs(mu2 - 1 / math.sqrt(2 * math.pi)) > 1e-5
