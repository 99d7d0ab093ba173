"""verify_exponent (theory/laws/exponent.py): exact local slopes, Wynn epsilon on a geometric
lattice, an honest bound. Every law has an exponent known exactly (stated with its source)."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

from theory import InputError
from theory.laws import Law, get_law, law_names, register_law, verify_exponent

n = sp.Symbol("n", positive=True)


def _check(r, truth, tol=1e-10):
    with mpmath.workdps(40):
        assert abs(r.exponent - mpmath.mpf(truth)) <= r.error, (r.exponent, r.error)
    assert r.error <= tol and r.reliable and r.convergence == "power"


def test_power_law_with_1_over_n_correction():
    """n^(-1/2) (1 + 3/n): slope -1/2 - 3/(n + 3) -> -1/2."""
    r = verify_exponent(n ** sp.Rational(-1, 2) * (1 + 3 / n), dps=30)
    _check(r, "-0.5")
    assert r.derived == sp.Rational(-1, 2) and r.agrees is True
    assert r.correction == pytest.approx(1, abs=1e-3)


def test_two_power_corrections():
    """(1 + n)^-1 + n^(-3/2): exponent -1, leading correction n^(-1/2)."""
    r = verify_exponent((1 + n) ** -1 + n ** sp.Rational(-3, 2), dps=30)
    _check(r, -1)
    assert r.derived == -1 and r.agrees
    assert r.correction == pytest.approx(0.5, abs=1e-2)


def test_log_correction_is_flagged_poor():
    """n^(-2/3) log n: slope -2/3 + 1/log n converges like 1/log n -- the tool must say the
    bound is poor (not claim 1e-10), and the poor bound must still hold the truth."""
    r = verify_exponent(n ** sp.Rational(-2, 3) * sp.log(n), dps=30)
    assert r.convergence == "logarithmic" and not r.reliable
    assert r.error > 1e-3 and "POOR" in r.message
    with mpmath.workdps(40):
        assert abs(r.exponent + mpmath.mpf(2) / 3) <= r.error
    assert r.derived == sp.Rational(-2, 3)


@pytest.mark.parametrize("b", ["0.75", "1.5", "2"])
def test_hurwitz_zeta_tail(b):
    """zeta(2b, n) ~ n^(1-2b)/(2b-1) (DLMF 25.11.43): exponent 1 - 2b, with the exact slope
    -2b n zeta(2b+1, n)/zeta(2b, n) (DLMF 25.11.17) from the registered law."""
    r = verify_exponent(get_law("hurwitz_tail", b=b), dps=30)
    _check(r, 1 - 2 * mpmath.mpf(b))
    assert r.agrees is True


def test_hurwitz_by_mpmath_diff():
    """The same law without log_slope: mpmath.diff forms the slopes."""
    s = mpmath.mpf(3)
    law = Law("zeta3", "n", lambda x: mpmath.zeta(s, x), predicted=sp.Integer(-2))
    r = verify_exponent(law, dps=30)
    _check(r, -2)
    assert "mpmath.diff" in r.message


def test_implicit_law_with_implicit_derivative():
    """eps(n) the root of eps^3 + eps = 1/n: eps ~ 1/n, exponent -1; implicit derivative
    d eps/dn = -(1/n^2)/(3 eps^2 + 1), so the slope is -(1/n)/((3 eps^2 + 1) eps)."""
    def eps(x):
        return mpmath.findroot(lambda e: e**3 + e - 1 / x, 1 / x)

    def slope(x):
        e = eps(x)
        return -(1 / x) / ((3 * e**2 + 1) * e)

    r = verify_exponent(Law("cubic_root", "n", eps, log_slope=slope,
                            predicted=sp.Integer(-1)), dps=30)
    _check(r, -1)
    assert r.correction == pytest.approx(2, abs=1e-2)


def test_bad_input():
    with pytest.raises(InputError, match="monotone"):
        verify_exponent((2 + sp.sin(n)) / n)
    with pytest.raises(InputError, match="dps"):
        verify_exponent(1 / n, dps=10)
    with pytest.raises(InputError, match="positive"):
        verify_exponent(-1 / n)
    with pytest.raises(InputError, match="law"):
        get_law("no_such_law")
    with pytest.raises(InputError, match="b"):
        get_law("hurwitz_tail", b=0.25)


def test_registry():
    def factory(p=1.0):
        return Law("tiny", "n", lambda x: x ** (-mpmath.mpf(p)), predicted=-sp.Float(p))

    register_law("test_tiny_law", factory, "n^-p")
    assert "test_tiny_law" in law_names() and "hurwitz_tail" in law_names()
    r = verify_exponent(get_law("test_tiny_law", p=2.5), dps=20, terms=8)
    assert abs(r.exponent + mpmath.mpf("2.5")) <= r.error <= 1e-18
    with pytest.raises(InputError):
        register_law("test_tiny_law", lambda: None, "another")
