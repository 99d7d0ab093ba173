"""Random-matrix helpers against quadrature of the density, mpmath and sampled matrices."""

import math

import numpy as np
import pytest
import scipy.integrate

from theory.errors import InputError
from theory.numeric import rmt
from theory.symbolic.spectra import mp_stieltjes_negative
from theory.numeric.bridge import numpy_function
import sympy as sp

GAMMAS = [0.25, 1.0, 2.5]


def _quad_g(z, gamma, var=1.0, power=1):
    """int dmu(x)/(x - z)^power by adaptive quadrature of the density + the atom."""
    lo, hi = rmt.mp_edges(gamma, var)
    def f(x, part):
        return ((rmt.mp_density(x, gamma, var) / (x - z) ** power).real if part == 0
                             else (rmt.mp_density(x, gamma, var) / (x - z) ** power).imag)
    re = scipy.integrate.quad(lambda x: f(x, 0), lo, hi, limit=200, epsabs=1e-13)[0]
    im = scipy.integrate.quad(lambda x: f(x, 1), lo, hi, limit=200, epsabs=1e-13)[0]
    return re + 1j * im + rmt.mp_atom(gamma) / (0 - z) ** power


@pytest.mark.parametrize("gamma", GAMMAS)
def test_density_normalised(gamma):
    lo, hi = rmt.mp_edges(gamma)
    mass = scipy.integrate.quad(lambda x: rmt.mp_density(x, gamma), lo, hi, limit=200)[0]
    assert abs(mass + rmt.mp_atom(gamma) - 1) < 1e-9
    mean = scipy.integrate.quad(lambda x: x * rmt.mp_density(x, gamma), lo, hi, limit=200)[0]
    assert abs(mean - 1) < 1e-9  # E tr(FF^T/p)/d = 1


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("z", [-0.7, -30.0, 0.3 + 0.5j, 5.0 - 2.0j, 12.0, 2.0 + 0.05j])
def test_stieltjes_and_derivative_vs_quadrature(gamma, z):
    g = rmt.mp_stieltjes(z, gamma)
    assert abs(g - _quad_g(z, gamma)) < 1e-8 * max(1, abs(g))
    gp = rmt.mp_stieltjes_derivative(z, gamma)
    assert abs(gp - _quad_g(z, gamma, power=2)) < 1e-7 * max(1, abs(gp))


def test_stieltjes_mpmath_and_symbolic_closed_form_agree():
    for gamma in GAMMAS:
        for w in (-0.01, -1.0, -100.0):
            ref = rmt.mp_stieltjes_mp(w, gamma, dps=40)
            assert abs(complex(ref).imag) < 1e-30
            assert abs(rmt.mp_stieltjes(w, gamma) - float(ref.real)) < 1e-14 * abs(float(ref.real))
            f = numpy_function(mp_stieltjes_negative(), tuple(sp.symbols("w gamma", real=True)))
            assert abs(f(w, gamma) - float(ref.real)) < 1e-14 * abs(float(ref.real))


def test_variance_scaling():
    z = -0.4 + 0.2j
    assert abs(rmt.mp_stieltjes(z, 0.5, var=3.0) - rmt.mp_stieltjes(z / 3, 0.5) / 3) < 1e-14


def test_empirical_spectrum_matches_mp():
    spec = rmt.sample_mp_spectrum(800, 1600, seed=1)
    lo, hi = rmt.mp_edges(0.5)
    assert abs(spec.eigenvalues.min() - lo) < 0.05 and abs(spec.eigenvalues.max() - hi) < 0.1
    for z in (-1.0, 1.0 + 0.5j):
        assert abs(spec.stieltjes(z) - rmt.mp_stieltjes(z, 0.5)) < 5e-3
    assert abs(spec.moment(2) - 1.5) < 0.02  # int x^2 dmu = 1 + gamma
    dens, edges = spec.histogram(40)
    assert abs(np.sum(dens * np.diff(edges)) - 1) < 1e-12


def test_empirical_atom_when_gamma_above_one():
    spec = rmt.sample_mp_spectrum(600, 200, seed=2)
    assert abs(spec.cdf(1e-8) - rmt.mp_atom(3.0)) < 1e-12


def test_bbp_outlier_and_overlap_vs_sampled_spike():
    d, p, theta = 500, 1000, 2.0  # gamma = 0.5, threshold 0.707
    rng = np.random.default_rng(3)
    v = np.zeros(d)
    v[0] = 1.0
    X = rng.standard_normal((p, d))
    X[:, 0] *= math.sqrt(1 + theta)
    S = X.T @ X / p
    w, U = np.linalg.eigh(S)
    assert abs(w[-1] - rmt.bbp_outlier(theta, 0.5)) < 0.15
    assert abs(U[:, -1] @ v) ** 2 == pytest.approx(rmt.bbp_overlap(theta, 0.5), abs=0.05)
    assert rmt.bbp_threshold(0.5) == pytest.approx(math.sqrt(0.5))
    assert rmt.bbp_overlap(0.5, 0.5) == 0.0
    assert rmt.bbp_outlier(0.5, 0.5) == pytest.approx((1 + math.sqrt(0.5)) ** 2)


def test_bad_input():
    with pytest.raises(InputError, match="gamma"):
        rmt.mp_edges(-1)
    with pytest.raises(InputError, match="theta"):
        rmt.bbp_outlier(-0.1, 1.0)
    with pytest.raises(InputError, match="symmetric"):
        rmt.EmpiricalSpectrum.of(np.array([[0.0, 1.0], [0.0, 0.0]]))
