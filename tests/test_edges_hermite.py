"""Issue 8, kind 1 (coefficients far below their own rounding error) and the Hermite part of
kind 3 (narrow features between nodes).

Every returned mu_k must be within its reported bound of an independent value, or flagged; the
float64 path may not print a coefficient it cannot resolve as if it were right; k runs to 200
without overflow; the mpmath path reaches the coefficients float64 cannot.

Independent values: ``tests/reference/hermite_high_k.json`` (made by
``tests/reference/hermite_high_k.py``, which does not import theory: 50-digit composite
Gauss--Legendre at 110 digits, or closed forms confirmed by that quadrature), and closed forms
computed here in mpmath (exp(a x + b): mu_k = a^k e^{b + a^2/2}; sin(a x + b): a^k e^{-a^2/2}
sin(b + k pi/2); a Gaussian bump; erf(a x + b) by Stein's lemma).
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.cli import main
from theory.errors import IntegrationError
from theory.numeric import hermite as H
from theory.numeric.hermite import hermite_expansion
from theory.symbolic.activations import REGISTRY, get_activation

REF = Path(__file__).parent / "reference" / "hermite_high_k.json"
E_HALF = math.exp(-0.5)


@pytest.fixture(scope="module")
def ref() -> dict:
    if not REF.exists():
        pytest.fail(f"missing {REF}: run python tests/reference/hermite_high_k.py")
    return json.loads(REF.read_text())["activations"]


def _names():
    if not REF.exists():
        return ["relu"]
    return list(json.loads(REF.read_text())["activations"])



# --- the whole family: registry + typed activations, k <= 200, against the 50-digit reference ---

@pytest.mark.parametrize("name", _names())
def test_float64_every_mu_within_its_bound_or_flagged(name, ref):
    r = ref[name]
    h = hermite_expansion(name, 200, exact=False)
    assert len(h.mu) == len(h.bound) == len(h.resolved) == 201
    for k_text, want in r["mu"].items():
        k = int(k_text)
        w = float(mpmath.mpf(want)) if abs(mpmath.mpf(want)) < 1e300 else math.inf
        b = h.bound[k]
        ref_err = 1e-50 * max(1.0, abs(w))  # the reference's own accuracy (asserted there)
        # the bound holds for mu_k itself, flagged or not
        assert abs(h.mu[k] - w) <= b + ref_err or (math.isinf(b) and not h.resolved[k]), (
            name, k, h.mu[k], w, b)
        if h.resolved[k]:
            assert b <= max(H.RESOLVE_RTOL * abs(h.mu[k]), H.RESOLVE_ATOL)
    star = float(mpmath.mpf(r["mu_star"]))
    assert abs(h.mu_star - star) <= h.mu_star_bound + 1e-300


FAST_MP = ["relu", "sin", "exp(x)"]
SLOW_MP = ["sign", "erf", "abs(sin(3*x))", "Heaviside(x-0.3)"]


@pytest.mark.parametrize("name", FAST_MP + [pytest.param(n, marks=pytest.mark.veryslow) for n in SLOW_MP])
def test_mpmath_50_digits_within_bound(name, ref):
    r = ref[name]
    kmax = 30 if name in ("abs(sin(3*x))",) else 200
    h = hermite_expansion(name, kmax, dps=50, exact=False)
    with mpmath.workdps(60):
        for k_text, want in r["mu"].items():
            k = int(k_text)
            if k > kmax:
                continue
            tol = mpmath.mpf(10) ** -50 * max(1, abs(mpmath.mpf(want)))
            assert abs(h.mu[k] - mpmath.mpf(want)) <= h.bound[k] + tol, (name, k)
            assert h.resolved[k], (name, k)


#: the dps path refuses these at k = 200 (IntegrationError "cancellation keeps growing"): a
#: refusal, not a wrong value; known failure, see the closing note of issue 8
MP_K200_REFUSED = {"abs(sin(3*x))", "sign(cos(2*x))", "atan(5*x)"}


def _k200_params():
    out = []
    for n in _names():
        marks = [pytest.mark.veryslow]
        if n in MP_K200_REFUSED:
            marks.append(pytest.mark.xfail(strict=True, raises=IntegrationError,
                                           reason="dps path refuses at k = 200"))
        out.append(pytest.param(n, marks=marks))
    return out


@pytest.mark.parametrize("name", _k200_params())
def test_mpmath_50_digits_every_activation_k200(name, ref):
    r = ref[name]
    h = hermite_expansion(name, 200, dps=50, exact=False)
    with mpmath.workdps(60):
        for k_text, want in r["mu"].items():
            k = int(k_text)
            tol = mpmath.mpf(10) ** -50 * max(1, abs(mpmath.mpf(want)))
            assert abs(h.mu[k] - mpmath.mpf(want)) <= h.bound[k] + tol, (name, k)


# --- the instances of the issue ----------------------------------------------------------------

def test_sin_mu37_is_exact_and_the_quadrature_value_is_flagged():
    h = hermite_expansion("sin", 41)
    assert abs(h.mu[37] - E_HALF) <= 2e-16 and h.resolved[37] and h.source[37] == "exact"
    # the raw float64 quadrature (no closed form, no parity) cannot resolve mu_37: it is flagged,
    # and its bound still covers the true value
    q = H._float_numbers(get_activation("sin"), 41, H.FLOAT_TOL, None, None)
    mu, bound, resolved = q[0], q[5], q[6]
    assert not resolved[37]
    for k in range(42):
        true = E_HALF * [0, 1, 0, -1][k % 4]
        assert abs(mu[k] - true) <= bound[k], k
    assert all(resolved[k] for k in range(1, 10, 2))  # odd k: |mu_k| = e^{-1/2}


def test_exp_x_all_k_equal_e_half():
    h = hermite_expansion("exp(x)", 40)
    assert np.all(np.abs(h.mu - math.exp(0.5)) <= 4e-16) and all(h.resolved)
    q = H._float_numbers(get_activation("exp(x)"), 40, H.FLOAT_TOL, None, None)
    assert all(abs(m - math.exp(0.5)) <= b for m, b in zip(q[0], q[5]))
    assert not q[6][40]  # the quadrature value of mu_40 is flagged


def test_tanh_even_coefficients_vanish_by_parity():
    h = hermite_expansion("tanh", 60)
    assert h.mu[54] == 0 and h.bound[54] == 0 and h.source[54] == "parity"
    assert all(h.mu[k] == 0 for k in range(0, 61, 2))


@pytest.mark.parametrize("kmax", [171, 172, 200])
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_kmax_to_200_no_overflow(name, kmax):
    h = hermite_expansion(name, kmax, exact=False)
    assert len(h.mu) == kmax + 1
    for m, b, ok in zip(h.mu, h.bound, h.resolved):
        assert ok is False or (math.isfinite(m) and math.isfinite(b))
    d = h.to_dict()
    json.dumps(d)
    assert len(d["resolved"]) == kmax + 1


def test_mpmath_quadrature_reaches_sin_mu37():
    """The mpmath quadrature (not the closed form) reaches mu_37 of sin at 40 digits."""
    mus, e2, bounds, be2, n = H._mp_coefficients(get_activation("sin"), 41, 40)
    with mpmath.workdps(50):
        for k in (1, 20, 37, 41):
            true = mpmath.exp(-mpmath.mpf(1) / 2) * [0, 1, 0, -1][k % 4]
            assert abs(mus[k] - true) <= bounds[k] <= mpmath.mpf(10) ** -40, k
        assert abs(e2 - (1 - mpmath.exp(-2)) / 2) <= be2


def _cli(capsys, *argv):
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_cli_sin_41_and_exp_40(capsys):
    code, out = _cli(capsys, "hermite", "sin", "--kmax", "41")
    assert code == 0
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("mu_37"))
    assert "0.6065306597126334" in line and "unresolved" not in out
    code, out = _cli(capsys, "hermite", "exp(x)", "--kmax", "40")
    assert code == 0 and "unresolved" not in out
    assert out.count("1.648721270700128") >= 41


def test_cli_tanh_200_flags_unresolved_entries(capsys):
    code, out = _cli(capsys, "hermite", "tanh", "--kmax", "200")
    assert code == 0 and "Traceback" not in out
    assert "unresolved" in out
    code, out = _cli(capsys, "hermite", "tanh", "--kmax", "200", "--json")
    d = json.loads(out)
    assert d["unresolved"] and all(not d["resolved"][k] for k in d["unresolved"])
    assert all(isinstance(b, float) for b in d["mu_bound"])


def test_cli_sin_dps40_kmax40(capsys):
    code, out = _cli(capsys, "hermite", "sin", "--kmax", "40", "--dps", "40")
    assert code == 0
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("mu_37"))
    assert "0.6065306597126334236037995349911804534419" in line


# --- families sampled with hypothesis: closed forms computed here -----------------------------

RAT = st.fractions(min_value=-3, max_value=3, max_denominator=8)


@settings(max_examples=25, deadline=None)
@given(RAT.filter(lambda a: a != 0), st.fractions(min_value=-2, max_value=2, max_denominator=4),
       st.integers(0, 200))
def test_exponential_family_exact(a, b, k):
    h = hermite_expansion(f"exp({a}*x + {b})", k, exact=False)
    with mpmath.workdps(30):
        am, bm = mpmath.mpf(a.numerator) / a.denominator, mpmath.mpf(b.numerator) / b.denominator
        true = am**k * mpmath.exp(bm + am**2 / 2)
    if abs(true) > 1e300:
        assert not h.resolved[k]
        return
    assert abs(h.mu[k] - float(true)) <= h.bound[k] + 1e-300 and h.resolved[k]


@settings(max_examples=8, deadline=None)
@given(RAT.filter(lambda a: a != 0), st.fractions(min_value=-2, max_value=2, max_denominator=4),
       st.integers(0, 40))
def test_sine_family_quadrature_bound_holds(a, b, k):
    """Raw float64 quadrature of sin(a x + b): every entry within its bound of the closed form."""
    act = get_activation(f"sin({a}*x + {b})")
    q = H._float_numbers(act, k, H.FLOAT_TOL, None, None)
    with mpmath.workdps(30):
        am, bm = mpmath.mpf(a.numerator) / a.denominator, mpmath.mpf(b.numerator) / b.denominator
        true = float(am**k * mpmath.exp(-am**2 / 2) * mpmath.sin(bm + k * mpmath.pi / 2))
        noise = float(abs(am) ** k * 1e-27)  # sin(k pi / 2) at 30 digits is ~1e-30, not 0
    assert abs(q[0][k] - true) <= q[5][k] + noise
    h = hermite_expansion(act, k, exact=False)  # and the exact tier gives it to rounding
    assert abs(h.mu[k] - true) <= h.bound[k] + noise


# --- kind 3, Hermite part: narrow features the expression declares ------------------------------

def _bump_mu(A, b, k):
    """E[exp(-A (z - b)^2) He_k(z)]: phi(z) e^{-A(z-b)^2} = C N(m, s^2), and
    E He_k(m + s xi) = sum_j C(k, 2j) m^{k-2j} (s^2 - 1)^j (2j - 1)!!."""
    with mpmath.workdps(40):
        b = Fraction(b)
        A, b = mpmath.mpf(A), mpmath.mpf(b.numerator) / b.denominator
        s2 = 1 / (1 + 2 * A)
        m = 2 * A * b * s2
        C = mpmath.exp(-A * b * b * s2) * mpmath.sqrt(s2)
        tot = mpmath.fsum(mpmath.binomial(k, 2 * j) * m ** (k - 2 * j) * (s2 - 1) ** j
                          * mpmath.fac2(2 * j - 1) for j in range(k // 2 + 1))
        return float(C * tot)


def test_issue_bump():
    h = hermite_expansion("exp(-1e4*(x-1.7)**2)", 4)
    assert abs(h.mu[0] - 1.667e-3) < 1e-6
    for k in range(5):
        assert abs(h.mu[k] - _bump_mu(10000, Fraction(17, 10), k)) <= h.bound[k] and h.resolved[k]


@settings(max_examples=20, deadline=None)
@given(st.sampled_from([30, 1e2, 1e4, 1e6]), st.fractions(min_value=-3, max_value=3, max_denominator=10),
       st.integers(0, 8))
def test_narrow_bump_family(A, b, k):
    h = hermite_expansion(f"exp(-{A}*(x - ({b}))**2)", k)
    true = _bump_mu(A, b, k)
    assert abs(h.mu[k] - true) <= h.bound[k] + 1e-300, (A, b, k, h.mu[k], true)
    assert h.resolved[k] or h.bound[k] > H.RESOLVE_ATOL


@settings(max_examples=20, deadline=None)
@given(st.sampled_from([10, 100, 1000]), st.fractions(min_value=-3, max_value=3, max_denominator=10))
def test_steep_erf_family(a, b):
    """erf(a x + b): mu_0 = erf(b / sqrt(1 + 2a^2)), mu_1 = 2a e^{-b^2/(1+2a^2)}/sqrt(pi (1+2a^2))."""
    h = hermite_expansion(f"erf({a}*x + ({b}))", 1)
    with mpmath.workdps(30):
        q = 1 + 2 * mpmath.mpf(a) ** 2
        bm = mpmath.mpf(b.numerator) / b.denominator
        mu0 = float(mpmath.erf(bm / mpmath.sqrt(q)))
        mu1 = float(2 * a * mpmath.exp(-bm**2 / q) / mpmath.sqrt(mpmath.pi * q))
    assert abs(h.mu[0] - mu0) <= h.bound[0] and h.resolved[0]
    assert abs(h.mu[1] - mu1) <= h.bound[1] and h.resolved[1]


def test_steep_softplus_mpmath_issue_values():
    """log(1 + e^{100x}): mu_1 = 50, mu_2 = 39.887667968355803011 (the issue's values)."""
    h = hermite_expansion("log(1+exp(100*x))", 2, dps=30)
    assert abs(h.mu[1] - 50) <= h.bound[1] <= mpmath.mpf(10) ** -28
    with mpmath.workdps(30):
        assert abs(h.mu[2] - mpmath.mpf("39.887667968355803011")) < mpmath.mpf(10) ** -17


def test_feature_points_declared_scales():
    from theory.numeric.hermite import feature_points
    from theory.symbolic.parse import parse_expression

    pts = feature_points(parse_expression("exp(-1e4*(x-1.7)**2)"))
    assert min(abs(p - 1.7) for p in pts) < 1e-12
    assert any(0 < p - 1.7 < 0.01 for p in pts)
    pts = feature_points(parse_expression("log(1+exp(100*x))"))
    assert any(0 < p < 0.02 for p in pts)
    assert feature_points(parse_expression("tanh(x)")) == ()
