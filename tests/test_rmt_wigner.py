"""Semicircle law and BBP (spiked Wigner, spiked covariance) at float64 and at 30 digits.

Independent sources: scipy quadrature of the density (Stieltjes transforms), the 30-digit script
tests/reference/laws_classic_bbp_mp.py (outliers as ROOTS of the outlier equation with the
Stieltjes transform integrated from the density, overlaps from the resolvent, thresholds where
the root leaves the edge; it does not import theory), and sampled matrices (n = 1000, 5-6 seeds,
within 4 standard errors).
"""

import json
import math
import pathlib
import warnings

import mpmath
import numpy as np
import pytest
import scipy.integrate
import scipy.linalg

from theory.errors import InputError
from theory.numeric import rmt

REF = json.loads((pathlib.Path(__file__).parent / "reference" / "laws_classic_bbp_mp.json")
                 .read_text())
D30 = mpmath.mpf(10) ** -29  # 30 significant digits on O(1) numbers


def _quad(f, lo, hi):
    with warnings.catch_warnings():  # roundoff notices near 1e-14; the asserts bound the error
        warnings.simplefilter("ignore", scipy.integrate.IntegrationWarning)
        return scipy.integrate.quad(f, lo, hi, limit=200, epsabs=1e-14, epsrel=1e-13)[0]


@pytest.mark.parametrize("var", [1.0, 2.0, 0.3])
def test_semicircle_density_mass_and_moments(var):
    lo, hi = rmt.semicircle_edges(var)
    assert (lo, hi) == pytest.approx((-2 * math.sqrt(var), 2 * math.sqrt(var)), rel=1e-15)
    assert _quad(lambda x: rmt.semicircle_density(x, var), lo, hi) == pytest.approx(1, abs=1e-10)
    m2 = _quad(lambda x: x * x * rmt.semicircle_density(x, var), lo, hi)
    m4 = _quad(lambda x: x**4 * rmt.semicircle_density(x, var), lo, hi)
    assert m2 == pytest.approx(var, rel=1e-10)  # Catalan numbers: 1, 2 (times var^k)
    assert m4 == pytest.approx(2 * var**2, rel=1e-10)
    assert rmt.semicircle_density(hi + 0.1, var) == 0.0


@pytest.mark.parametrize("var", [1.0, 2.0])
@pytest.mark.parametrize("z", [3.0, -3.5, 1 + 1j, 0.5j, -0.3 - 2j, 2.1 + 0.01j, 40.0])
def test_semicircle_stieltjes_and_derivative_vs_quadrature(var, z):
    lo, hi = rmt.semicircle_edges(var)

    def q(power):
        re = _quad(lambda x: (rmt.semicircle_density(x, var) / (x - z) ** power).real, lo, hi)
        im = _quad(lambda x: (rmt.semicircle_density(x, var) / (x - z) ** power).imag, lo, hi)
        return re + 1j * im

    g = rmt.semicircle_stieltjes(z, var)
    assert abs(g - q(1)) < 1e-9 * max(1, abs(g))
    assert abs(var * g * g + z * g + 1) < 1e-13  # the quadratic, right root
    gp = rmt.semicircle_stieltjes_derivative(z, var)
    assert abs(gp - q(2)) < 1e-7 * max(1, abs(gp))


def test_semicircle_branch():
    z = np.array([0.3 + 1e-3j, -1.9 + 0.2j, 5 + 5j, -7 + 1e-9j])
    g = rmt.semicircle_stieltjes(z)
    assert np.all(g.imag > 0)  # Herglotz: Im g > 0 on the upper half-plane
    assert np.all(np.abs(rmt.semicircle_stieltjes(np.conj(z)) - np.conj(g)) < 1e-15)
    big = 1e6 + 3e5j
    assert abs(rmt.semicircle_stieltjes(big) * big + 1) < 1e-11  # g ~ -1/z
    # on the cut (limit from above): -x/2 + i sqrt(4 - x^2)/2, Im g = pi rho
    assert rmt.semicircle_stieltjes(1.0 + 0j) == pytest.approx(-0.5 + 1j * math.sqrt(3) / 2)


def test_semicircle_stieltjes_mp_against_reference():
    for row in REF["semicircle_stieltjes"]:
        z = complex(row["z"])
        got = rmt.semicircle_stieltjes_mp(z, dps=30)
        with mpmath.workdps(40):
            ref = mpmath.mpc(row["re"], row["im"])
            assert abs(got - ref) < D30, (row, got)
        assert abs(rmt.semicircle_stieltjes(z) - complex(ref)) < 1e-15


def test_wigner_bbp_closed_forms_against_reference_roots():
    for row in REF["wigner"]:
        th, var = row["theta"], row["var"]
        with mpmath.workdps(40):
            lam, over = mpmath.mpf(row["outlier"]), mpmath.mpf(row["overlap"])
            assert abs(rmt.wigner_bbp_outlier_mp(th, var, dps=30) - lam) < D30 * lam, row
            assert abs(rmt.wigner_bbp_overlap_mp(th, var, dps=30) - over) < D30, row
        assert rmt.wigner_bbp_outlier(float(th), float(var)) == pytest.approx(float(lam), rel=1e-15)
        assert rmt.wigner_bbp_overlap(float(th), float(var)) == pytest.approx(float(over),
                                                                              abs=1e-15)
        # the outlier solves the library's own outlier equation too
        with mpmath.workdps(40):
            assert abs(rmt.wigner_outlier_equation(lam, th, var)) < 100 * D30  # F' ~ 5 at 1.01


def test_wigner_threshold_is_where_the_root_leaves_the_edge():
    for row in REF["wigner_threshold"]:
        got = rmt.wigner_bbp_threshold_mp(row["var"], dps=30)
        with mpmath.workdps(40):
            ref = mpmath.mpf(row["theta_c"])
            assert abs(got - ref) < D30, row
        assert rmt.wigner_bbp_threshold(float(row["var"])) == pytest.approx(float(ref), rel=1e-15)
    with mpmath.workdps(60):
        assert abs(rmt.wigner_bbp_threshold_mp(1, dps=50) - 1) < mpmath.mpf(10) ** -50
    # below the threshold: no outlier, the top eigenvalue sticks to the edge, overlap 0
    assert rmt.wigner_bbp_outlier(0.7) == 2.0 and rmt.wigner_bbp_overlap(0.7) == 0.0
    assert rmt.wigner_bbp_outlier_mp("0.7", dps=30) == 2 and rmt.wigner_bbp_overlap_mp(1, dps=30) == 0


def test_covariance_bbp_mp_against_reference_roots():
    for row in REF["covariance"]:
        th, g = row["theta"], row["gamma"]
        with mpmath.workdps(40):
            lam, over = mpmath.mpf(row["outlier"]), mpmath.mpf(row["overlap"])
            assert abs(rmt.bbp_outlier_mp(th, g, dps=30) - lam) < D30 * lam, row
            assert abs(rmt.bbp_overlap_mp(th, g, dps=30) - over) < D30, row
            assert abs(rmt.bbp_outlier_equation(lam, th, g)) < 100 * D30
        assert rmt.bbp_outlier(float(th), float(g)) == pytest.approx(float(lam), rel=1e-14)
        assert rmt.bbp_overlap(float(th), float(g)) == pytest.approx(float(over), abs=1e-14)
    for row in REF["covariance_threshold"]:
        with mpmath.workdps(40):
            ref = mpmath.mpf(row["theta_c"])
            assert abs(rmt.bbp_threshold_mp(row["gamma"], dps=30) - ref) < D30, row


def _spiked_wigner(n, theta, seed):
    G = np.random.default_rng(seed).standard_normal((n, n))
    Y = (G + G.T) / math.sqrt(2 * n)
    Y[0, 0] += theta  # v = e_1
    w, U = scipy.linalg.eigh(Y, subset_by_index=[n - 1, n - 1])
    return w[0], U[0, 0] ** 2


def test_spiked_wigner_sampled():
    n, seeds, theta = 1000, range(5), 2.0
    lam, over = np.array([_spiked_wigner(n, theta, s) for s in seeds]).T
    for data, ref in ((lam, rmt.wigner_bbp_outlier(theta)), (over, rmt.wigner_bbp_overlap(theta))):
        se = data.std(ddof=1) / math.sqrt(len(data))
        assert abs(data.mean() - ref) < 4 * se + 1e-3, (data.mean(), ref, se)


def test_wigner_below_threshold_and_bulk_sampled():
    spec = rmt.sample_wigner_spectrum(1000, seed=5, theta=0.5)
    assert abs(spec.eigenvalues.max() - 2.0) < 0.05  # edge, Tracy-Widom scale n^-2/3 = 0.01
    assert abs(spec.stieltjes(1 + 1j) - rmt.semicircle_stieltjes(1 + 1j)) < 5e-3
    assert spec.moment(2) == pytest.approx(1.0, abs=0.02)


def test_spiked_covariance_sampled():
    d, p, theta = 500, 1000, 1.5
    lam, over = [], []
    for seed in range(6):
        X = np.random.default_rng(10 + seed).standard_normal((p, d))
        X[:, 0] *= math.sqrt(1 + theta)
        w, U = scipy.linalg.eigh(X.T @ X / p, subset_by_index=[d - 1, d - 1])
        lam.append(w[0])
        over.append(U[0, 0] ** 2)
    for data, ref in ((np.array(lam), rmt.bbp_outlier(theta, 0.5)),
                      (np.array(over), rmt.bbp_overlap(theta, 0.5))):
        se = data.std(ddof=1) / math.sqrt(len(data))
        assert abs(data.mean() - ref) < 4 * se + 2e-3, (data.mean(), ref, se)


def test_bad_input():
    with pytest.raises(InputError, match="var"):
        rmt.semicircle_edges(0)
    with pytest.raises(InputError, match="var"):
        rmt.semicircle_stieltjes_mp(1j, var=-1)
    with pytest.raises(InputError, match="theta"):
        rmt.wigner_bbp_outlier(-1.0)
    with pytest.raises(InputError, match="theta"):
        rmt.wigner_bbp_overlap_mp("-0.5")
    with pytest.raises(InputError, match="dps"):
        rmt.bbp_threshold_mp(0.5, dps=2)
    with pytest.raises(InputError, match="gamma"):
        rmt.bbp_outlier_mp(1, "nan")
    with pytest.raises(InputError, match="n"):
        rmt.sample_wigner_spectrum(0)


def test_threshold_machinery_finds_bbp_where_the_root_leaves_the_edge():
    """theory.laws.threshold.find_threshold (kind "zero") on the outlier equations evaluated at
    the bulk edge reproduces both BBP thresholds to 30 certified digits."""
    from theory.laws.threshold import find_threshold

    r = find_threshold(lambda th: rmt.wigner_outlier_equation(2, th), vary="theta",
                       bracket=(0.5, 2), kind="zero", dps=30)
    assert r.digits >= 30 and abs(r.value - 1) < D30

    def at_edge(th, gamma="0.3"):  # numbers read at the caller's working precision
        g = mpmath.mpf(gamma)
        return rmt.bbp_outlier_equation((1 + mpmath.sqrt(g)) ** 2, th, g)

    r = find_threshold(at_edge, vary="theta", bracket=(0.1, 2), kind="zero", dps=30)
    ref = next(c for c in REF["covariance_threshold"] if c["gamma"] == "0.3")["theta_c"]
    with mpmath.workdps(40):
        assert r.digits >= 30 and abs(r.value - mpmath.mpf(ref)) < D30
