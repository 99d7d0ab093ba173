"""Issue 8, kind 8: rf_ridge at the interpolation peak psi1 = psi2, small lambda and lambda = 0.

Every value is checked against an independent source:
* tests/reference/mei_montanari.json, written by tests/reference/mei_montanari.py (Definition 1
  of Mei & Montanari, arXiv:1908.05355v5, solved in complex arithmetic at 30 digits with
  continuation in lambda, the printed monomial E0, E1, E2, the lambda -> 0+ limit), on a grid of
  psi1 through the peak at psi2 in {0.5, 1.5, 3}, lambda in {1e-8, 1e-12, 1e-16, 0}, activations
  relu, erf, tanh (mu_1, mu_star from closed forms or mpmath.quad at 50 digits);
* the same reference computed inline at random points (hypothesis);
* the closed form of the ridgeless variance for psi1 < psi2, psi1/(psi2 - psi1) (least squares
  with N < n features: Hastie, Montanari, Rosset, Tibshirani arXiv:1903.08560v5, Thm 1, variance
  sigma^2 gamma/(1 - gamma), gamma = N/n);
* SymPy: the positive-term forms of E0, E1, E2 used by the model equal the polynomials of
  Definition 1.

"Every reported digit right" = |value - reference| <= the reported error bound, and the bound is
not loose: <= 1e-8 relative (in practice ~1e-14).
"""

import json
import math
import pathlib
import time

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference import mei_montanari as mm
from theory.errors import InputError
from theory.models import get_model
from theory.models.base import curve, make_params, solve

REF = json.loads((pathlib.Path(__file__).parent / "reference" / "mei_montanari.json").read_text())
POINTS = REF["points"]
TARGETS = [(1.0, 0.0, 0.0), (1.0, 0.5, 0.09)]  # (F1, Fstar, Delta)


def _ref_obs(row, F1, Fs, Delta):
    with mpmath.workdps(40):
        B, V = mpmath.mpf(row["bias"]), mpmath.mpf(row["variance"])
        if mpmath.isinf(B):
            return {"bias": B, "variance": V, "test_error": mpmath.inf}
        R = (mpmath.mpf(F1) ** 2 * B + (mpmath.mpf(Delta) + mpmath.mpf(Fs) ** 2) * V
             + mpmath.mpf(Fs) ** 2)
        return {"bias": B, "variance": V, "test_error": R}


def _check(res, ref, loose=1e-8):
    """Every observable within its reported bound of the reference; bounds not loose."""
    assert res.converged, res.message
    for k, r in ref.items():
        v, e = res.observables[k], res.observable_errors[k]
        if mpmath.isinf(r):
            assert v == math.inf, (k, v)
            assert "diverge" in res.message and "+inf" in res.message
            continue
        with mpmath.workdps(40):
            err = abs(mpmath.mpf(v) - r)
            assert err <= e, (k, v, r, float(err), e, res.params)
            assert e <= loose * abs(r), (k, e, r)


@pytest.mark.parametrize("act", ["relu", "erf", "tanh"])
@pytest.mark.parametrize("target", TARGETS)
def test_grid_through_the_peak_against_30_digit_reference(act, target):
    F1, Fs, Delta = target
    rows = [r for r in POINTS if r["activation"] == act and not _extreme(r)]
    assert len(rows) == 84
    for row in rows:
        res = solve("rf_ridge", psi1=row["psi1"], psi2=row["psi2"], lam=row["lam"],
                    activation=act, F1=F1, Fstar=Fs, Delta=Delta)
        _check(res, _ref_obs(row, F1, Fs, Delta))


def _extreme(row):
    return (row["psi1"], row["psi2"], row["lam"]) in mm.EXTREMES


@pytest.mark.parametrize("target", TARGETS)
def test_extremes_against_reference(target):
    """psi in 1e-3..1e3, lambda = 5e-324 (smallest double), 1e-300, 1e12, 1e30, and
    |psi1 - psi2| = 2^-40 across the crossover lambda ~ (psi1 - psi2)^2 and at lambda = 0."""
    F1, Fs, Delta = target
    rows = [r for r in POINTS if r["activation"] == "relu" and _extreme(r)]
    assert len(rows) == len(mm.EXTREMES)
    for row in rows:
        res = solve("rf_ridge", psi1=row["psi1"], psi2=row["psi2"], lam=row["lam"], F1=F1,
                    Fstar=Fs, Delta=Delta)
        _check(res, _ref_obs(row, F1, Fs, Delta))


@pytest.mark.parametrize("lam", [1e-15, 1e-18])
def test_issue_instance_peak_small_lambda(lam):
    """psi1 = psi2 = 1.5, lambda = 1e-15 (was wrong at 1e-4 while 'converged') and 1e-18 (3e-3)."""
    row = next(r for r in POINTS if r["activation"] == "relu" and r["psi1"] == 1.5
               and r["psi2"] == 1.5 and r["lam"] == lam)
    res = solve("rf_ridge", psi1=1.5, psi2=1.5, lam=lam)
    _check(res, _ref_obs(row, 1.0, 0.0, 0.0), loose=1e-12)


@pytest.mark.parametrize("lam", [1e-8, 1e-12, 1e-16, 0.0])
@pytest.mark.parametrize("act", ["relu", "tanh"])
def test_curve_through_the_peak_does_not_raise(lam, act):
    """psi1 = 1.49, psi2 = 1.5 did not converge for lambda <= 1e-8: a curve through the peak
    raised. Now the whole curve solves (strict), and its grid points match the reference."""
    grid = PSI = sorted(mm.PSI_GRID[1.5])
    c = curve("rf_ridge", "psi1", grid, psi2=1.5, lam=lam, activation=act)
    assert len(c.points) == len(PSI)
    for v, pt in zip(grid, c.points):
        row = next(r for r in POINTS if r["activation"] == act and r["psi1"] == v
                   and r["psi2"] == 1.5 and r["lam"] == lam)
        _check(pt, _ref_obs(row, 1.0, 0.0, 0.0))
    # a dense curve through the peak, strict: nothing raises; finite except psi1 = psi2 at 0
    dense = np.linspace(1.4, 1.6, 201)
    c = curve("rf_ridge", "psi1", dense, psi2=1.5, lam=lam, activation=act)
    te = c.column("test_error")
    peak = np.isclose(dense, 1.5, rtol=0, atol=1e-12)
    if lam == 0:
        assert np.all(np.isinf(te[peak])) and np.all(np.isfinite(te[~peak]))
    else:
        assert np.all(np.isfinite(te))
    assert int(np.argmax(np.where(np.isfinite(te), te, np.inf))) == int(np.argmax(peak))


def test_lambda_zero_is_the_ridgeless_limit_and_negative_is_refused():
    res = solve("rf_ridge", psi1=1.5, psi2=1.5, lam=0)
    assert res.converged and math.isinf(res.observables["test_error"])
    assert "psi1 = psi2" in res.message and "+inf" in res.message
    # a zero target part times an infinite response is 0, not nan
    res = solve("rf_ridge", psi1=1.5, psi2=1.5, lam=0, F1=0)
    assert res.observables["test_error"] == 0.0 and math.isinf(res.observables["bias"])
    for bad in (-1e-3, -1e-300, float("nan"), float("inf")):
        with pytest.raises(InputError, match="lam"):
            solve("rf_ridge", lam=bad)


@pytest.mark.parametrize("act", ["relu", "erf", "tanh"])
@pytest.mark.parametrize("psi1,psi2", [(0.2, 0.5), (1.2, 1.5), (1.499, 1.5), (1.0, 3.0),
                                       (2.999, 3.0), (1e-3, 1e3)])
def test_ridgeless_variance_below_the_peak_is_least_squares(act, psi1, psi2):
    """lambda = 0, psi1 < psi2 (N < n): V = psi1/(psi2 - psi1) for every activation."""
    res = solve("rf_ridge", psi1=psi1, psi2=psi2, lam=0, activation=act)
    with mpmath.workdps(40):
        exact = mpmath.mpf(psi1) / (mpmath.mpf(psi2) - mpmath.mpf(psi1))
        assert abs(res.observables["variance"] - exact) <= res.observable_errors["variance"]
        assert res.observable_errors["variance"] <= 1e-13 * exact


def test_positive_forms_equal_definition_1():
    """The model's -E0, -E1, -E2 (positive terms in P = -chi, u_k = psi_k - t(P)) are the
    polynomials of Definition 1 (printed form, as in tests/reference/mei_montanari.py)."""
    import sympy as sp

    from theory.models.rf_ridge import _bias_variance

    P, Z, u1, u2 = sp.symbols("P Z u1 u2", positive=True)
    c = -P
    t = P * (1 + Z + Z * P) / (1 + Z * P)
    p1, p2 = t + u1, t + u2
    E0 = (-c**5 * Z**3 + 3 * c**4 * Z**2 + (p1 * p2 - p2 - p1 + 1) * c**3 * Z**3
          - 2 * c**3 * Z**2 - 3 * c**3 * Z + (p1 + p2 - 3 * p1 * p2 + 1) * c**2 * Z**2
          + 2 * c**2 * Z + c**2 + 3 * p1 * p2 * c * Z - p1 * p2)
    E1 = p2 * c**3 * Z**2 - p2 * c**2 * Z + p1 * p2 * c * Z - p1 * p2
    E2 = (c**5 * Z**3 - 3 * c**4 * Z**2 + (p1 - 1) * c**3 * Z**3 + 2 * c**3 * Z**2
          + 3 * c**3 * Z + (-p1 - 1) * c**2 * Z**2 - 2 * c**2 * Z - c**2)
    e1, e2, e0 = _bias_variance(P, u1, u2, p1, p2, Z)
    for mine, paper in ((e0, E0), (e1, E1), (e2, E2)):
        assert sp.simplify(sp.together(mine + paper)) == 0


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(psi2=st.floats(0.05, 20), rel=st.one_of(st.floats(-0.9, 3),
                                               st.floats(-1e-3, 1e-3)),
       loglam=st.floats(-16, 2), act=st.sampled_from(["relu", "erf"]),
       Fs=st.floats(0, 1), Delta=st.floats(0, 1))
def test_random_points_against_inline_reference(psi2, rel, loglam, act, Fs, Delta):
    psi1 = psi2 * (1 + rel)
    lam = 10.0**loglam
    m1, ms = mm.activation_constants(act, 30)
    with mpmath.workdps(80):  # the reference takes tau = sqrt(Delta): exact to 80 digits
        tau = mpmath.sqrt(mpmath.mpf(Delta))
    ref = mm.observables(psi1, psi2, lam, m1, ms, 1.0, Fs, tau, dps=20)
    res = solve("rf_ridge", psi1=psi1, psi2=psi2, lam=lam, activation=act, Fstar=Fs, Delta=Delta)
    _check(res, ref)


def test_mpmath_path_at_the_peak_and_ridgeless():
    """dps = 40: every reported digit against the reference at 45 digits (lambda = 1e-16 at
    psi1 = 1.49, and lambda = 0 below and above the peak)."""
    m1, ms = mm.activation_constants("relu", 60)
    for psi1, lam in ((1.49, 1e-16), (1.49, 0.0), (1.6, 0.0)):
        res = solve("rf_ridge", psi1=psi1, psi2=1.5, lam=lam, dps=40)
        assert res.converged and res.dps == 40, res.message
        ref = mm.observables(psi1, 1.5, lam, m1, ms, dps=45)
        with mpmath.workdps(50):
            for k, r in ref.items():
                assert abs(res.observables[k] - r) <= res.observable_errors[k]
                assert res.observable_errors[k] <= 1e-38 * abs(r)


def test_mpmath_path_takes_exact_decimal_inputs():
    """psi1 = "0.3" on the mpmath path is the decimal 0.3, not the float 0.2999...: the answer
    matches the reference at the decimal to 40 digits and differs from the one at the float."""
    m = get_model("rf_ridge")
    p = make_params(m, {"psi1": 0.3, "psi2": 0.3, "lam": 1e-10})
    m1, ms = mm.activation_constants("relu", 60)
    res = m.solve_direct(p, dps=40, exact={"psi1": "0.3", "psi2": "0.3", "lam": "1e-10"})
    with mpmath.workdps(50):
        dec = mm.observables("0.3", "0.3", "1e-10", m1, ms, dps=45)["test_error"]
        flt = mm.observables(0.3, 0.3, 1e-10, m1, ms, dps=45)["test_error"]
        got = res.observables["test_error"]
        assert abs(got - dec) <= res.observable_errors["test_error"] <= 1e-38 * dec
        assert abs(got - flt) > 1e3 * res.observable_errors["test_error"]
    # parameters held as decimal text in the dataclass itself (the --dps route) are exact too
    q = make_params(m, {"psi1": 0.3, "psi2": 0.3, "lam": 1e-10})
    for k, text in (("psi1", "0.3"), ("psi2", "0.3"), ("lam", "1e-10")):
        object.__setattr__(q, k, text)
    res1 = m.solve_direct(q, dps=40)
    with mpmath.workdps(50):
        assert abs(res1.observables["test_error"] - dec) <= res1.observable_errors["test_error"]
    assert m.solve_direct(q).converged  # the float path takes them as floats
    # Fractions and mpf are exact too
    from fractions import Fraction

    with mpmath.workdps(60):  # an mpf made at the working precision (not at 15 digits)
        psi2 = mpmath.mpf("0.3")
    res2 = m.solve_direct(p, dps=40, exact={"psi1": Fraction(3, 10), "psi2": psi2,
                                           "lam": Fraction(1, 10**10)})
    with mpmath.workdps(50):
        assert abs(res2.observables["test_error"] - dec) <= res2.observable_errors["test_error"]


def test_polish_when_the_float64_bound_exceeds_tol():
    """tol below what float64 reaches: the point is recomputed with mpmath at 30 digits and
    its bound is then ~1 ulp."""
    row = next(r for r in POINTS if r["activation"] == "tanh" and r["psi1"] == 1.499
               and r["psi2"] == 1.5 and r["lam"] == 1e-16)
    res = solve("rf_ridge", psi1=1.499, psi2=1.5, lam=1e-16, activation="tanh", tol=1e-16)
    assert "polished with mpmath" in res.method
    _check(res, _ref_obs(row, 1.0, 0.0, 0.0), loose=4e-16)


def test_vectorised_curve_stays_fast():
    vals = np.linspace(0.2, 4, 100)
    curve("rf_ridge", "psi1", vals, psi2=1.5, lam=1e-3)  # warm the caches
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        c = curve("rf_ridge", "psi1", vals, psi2=1.5, lam=1e-3)
        best = min(best, time.perf_counter() - t0)
    assert len(c.points) == 100 and all(p.converged for p in c.points)
    assert best < 0.1, best  # was 42 ms with the 2-D Newton; now ~20 ms with error bounds


def test_error_bounds_without_extended_precision(monkeypatch):
    """Where long double is plain double the bounds come from mpmath at 30 digits: same checks."""
    import theory.models.rf_ridge as rr

    monkeypatch.setattr(rr, "_EXTENDED", False)
    grid = [1.49, 1.499, 1.5, 1.51]
    for lam in (1e-16, 0.0):
        c = curve("rf_ridge", "psi1", grid, psi2=1.5, lam=lam, activation="tanh", Fstar=0.5,
                  Delta=0.09)
        for v, pt in zip(grid, c.points):
            row = next(r for r in POINTS if r["activation"] == "tanh" and r["psi1"] == v
                       and r["psi2"] == 1.5 and r["lam"] == lam)
            _check(pt, _ref_obs(row, 1.0, 0.5, 0.09))
