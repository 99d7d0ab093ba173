"""Models against independent references: Mei-Montanari in mpmath, the replica system,
closed-form limits (lambda -> infinity, the kernel limit, OLS), bad input and strict mode."""

import math

import mpmath
import numpy as np
import pytest
import scipy.integrate

from reference import mei_montanari as mm
from theory.errors import ConvergenceError, InputError
from theory.models import get_model
from theory.models.base import curve, make_params, solve

RELU_MU1 = 0.5
RELU_MUSTAR = math.sqrt(0.25 - 1 / (2 * math.pi))  # E relu^2 - mu0^2 - mu1^2, closed form

# (psi1, psi2, lam, F1, Fstar, tau): the interpolation peak psi1 = psi2 at small lambda
GRID = [(1.5, 1.5, 1e-4, 1.0, 0.0, 0.0), (1.5, 1.5, 1e-4, 1.0, 0.5, 0.3),
        (0.5, 2.0, 1e-3, 1.0, 0.0, 0.2), (3.0, 1.0, 1e-2, 1.0, 0.7, 0.0),
        (0.3, 0.8, 1e-1, 1.0, 0.0, 0.5), (2.0, 2.1, 1e-3, 0.8, 0.2, 0.1)]


@pytest.mark.parametrize("pt", GRID)
def test_rf_ridge_matches_mpmath_reference(pt):
    psi1, psi2, lam, F1, Fs, tau = pt
    res = solve("rf_ridge", psi1=psi1, psi2=psi2, lam=lam, F1=F1, Fstar=Fs, Delta=tau**2)
    assert res.converged, res.message
    ref = float(mm.test_error(psi1, psi2, lam, RELU_MU1, RELU_MUSTAR, F1, Fs, tau, dps=30))
    assert abs(res.observables["test_error"] - ref) <= 1e-9 * ref


@pytest.mark.parametrize("pt", GRID)
def test_replica_square_loss_equals_mei_montanari(pt):
    """The generic replica system (rf_convex, square loss, MP spectrum) = the closed form."""
    psi1, psi2, lam, F1, Fs, tau = pt
    m = get_model("rf_ridge")
    p = make_params(m, dict(psi1=psi1, psi2=psi2, lam=lam, F1=F1, Fstar=Fs, Delta=tau**2))
    eq = m.replica_equivalent(p)
    Fstar = eq.pop("Fstar")
    rep = solve("rf_convex", tol=1e-12, **eq)
    assert rep.converged, rep.message
    ref = float(mm.test_error(psi1, psi2, lam, RELU_MU1, RELU_MUSTAR, F1, Fs, tau, dps=30))
    assert abs(rep.observables["test_error"] + Fstar**2 - ref) <= 1e-8 * ref


def test_rf_ridge_at_50_digits():
    res = solve("rf_ridge", psi1=1.5, psi2=1.5, lam=1e-4, dps=40)
    assert res.converged and res.dps == 40
    with mpmath.workdps(60):
        ref = mm.test_error(1.5, 1.5, mpmath.mpf(1e-4), mpmath.mpf(1) / 2,
                            mpmath.sqrt(mpmath.mpf(1) / 4 - 1 / (2 * mpmath.pi)), dps=50)
        # mu_1, mu_star at 40+ digits too (exact relu values): 40 digits agree
        assert abs(res.observables["test_error"] - ref) < mpmath.mpf(10) ** -38 * ref


def test_lambda_to_infinity_predicts_zero():
    # the estimator shrinks to 0: risk -> E f*^2 = F1^2 + Fstar^2 (Mei-Montanari Thm 1)
    r = solve("rf_ridge", psi1=3, psi2=1.5, lam=1e8, F1=1.2, Fstar=0.5, Delta=0.16)
    assert r.observables["test_error"] == pytest.approx(1.44 + 0.25, rel=1e-6)
    r = solve("rf_convex", lam=1e8, loss="square", teacher="linear", rho=1.44, Delta=0.3)
    assert r.observables["test_error"] == pytest.approx(1.44, rel=1e-6)
    r = solve("rf_convex", lam=1e8, loss="logistic", teacher="sign")
    assert r.observables["train_loss"] == pytest.approx(math.log(2), rel=1e-6)


def _mp_stieltjes_quad(z, gamma):
    """int dmu(x)/(x + z) and int dmu/(x + z)^2 for Marchenko-Pastur of ratio gamma (quad)."""
    lo, hi = (1 - math.sqrt(gamma)) ** 2, (1 + math.sqrt(gamma)) ** 2

    def dens(x):
        return math.sqrt(max(0.0, (hi - x) * (x - lo))) / (2 * math.pi * gamma * x)

    atom = max(0.0, 1 - 1 / gamma)
    m = scipy.integrate.quad(lambda x: dens(x) / (x + z), lo, hi, epsabs=1e-14,
                             epsrel=1e-13, limit=200)[0] + atom / z
    mp = scipy.integrate.quad(lambda x: dens(x) / (x + z) ** 2, lo, hi, epsabs=1e-14,
                              epsrel=1e-13, limit=200)[0] + atom / z**2
    return m, mp


def test_kernel_limit_psi1_to_infinity():
    """psi1 -> inf: kernel ridge = linear ridge (Hastie, Montanari, Rosset, Tibshirani 2019,
    arXiv:1903.08560v5, Thm 1: B = r^2 l^2 m'(-l), V = s^2 g (m(-l) - l m'(-l))) with
    l = (mu_star^2 + psi2 lam)/(mu1^2 psi2), g = 1/psi2, r^2 = F1^2, s^2 = tau^2 + Fstar^2."""
    psi2, lam, F1, Fs, tau = 1.5, 1e-2, 1.0, 0.3, 0.2
    l = (RELU_MUSTAR**2 + psi2 * lam) / (RELU_MU1**2 * psi2)
    g = 1 / psi2
    m, mp = _mp_stieltjes_quad(l, g)
    kernel = F1**2 * l**2 * mp + (tau**2 + Fs**2) * g * (m - l * mp) + Fs**2
    errs = []
    for psi1 in (1e3, 1e4, 1e5):
        r = solve("rf_ridge", psi1=psi1, psi2=psi2, lam=lam, F1=F1, Fstar=Fs, Delta=tau**2)
        errs.append(abs(r.observables["test_error"] - kernel))
    assert errs[-1] < 3e-5 * kernel
    assert errs[0] / errs[1] > 5 and errs[1] / errs[2] > 5  # O(1/psi1) approach


@pytest.mark.parametrize("gamma,alpha", [(0.5, 2.0), (0.25, 1.0), (0.8, 3.0)])
def test_ols_on_isotropic_data(gamma, alpha):
    """Linear features, lambda -> 0, n/d = alpha/gamma > 1: mse = Delta/(n/d - 1) (the OLS
    variance on isotropic Gaussian data; OLS is invariant under the invertible map F^T)."""
    r = solve("rf_convex", activation="x", gamma=gamma, alpha=alpha, lam=1e-9, loss="square",
              teacher="linear", Delta=0.5)
    assert r.converged, r.message
    assert r.observables["test_error"] == pytest.approx(0.5 / (alpha / gamma - 1), rel=1e-7)


def test_curve_warm_start_matches_pointwise():
    # logistic: a property (warm starts reach the cold-start fixed point); the values themselves
    # are checked against simulations in tests/test_simulation.py
    vals = np.linspace(0.5, 3, 4)
    c = curve("rf_convex", "alpha", vals, gamma=0.5, lam=0.05)
    for v, pt in zip(vals, c.points):
        one = solve("rf_convex", alpha=v, gamma=0.5, lam=0.05)
        assert pt.observables["test_error"] == pytest.approx(
            one.observables["test_error"], rel=1e-8)
    c = curve("rf_ridge", "psi1", np.linspace(0.2, 4, 100), psi2=1.5, lam=1e-3)
    assert len(c.points) == 100 and all(p.converged for p in c.points)
    for k in (0, 37, 99):  # the vectorised curve against the independent reference
        ref = float(mm.test_error(c.values[k], 1.5, 1e-3, RELU_MU1, RELU_MUSTAR, dps=30))
        assert abs(c.points[k].observables["test_error"] - ref) <= 1e-9 * ref


@pytest.mark.parametrize("loss", ["logistic", "hinge"])
def test_sign_teacher_losses_converge_and_are_admissible(loss):
    r = solve("rf_convex", alpha=1.5, gamma=0.5, lam=0.05, loss=loss, teacher="sign")
    assert r.converged, r.message
    assert 0 < r.observables["test_error"] < 0.5
    assert r.state["V_s"] > 0 and r.state["V_w"] > 0 and r.quadrature_error <= 1e-10


def test_tanh_teacher_square_loss():
    r = solve("rf_convex", loss="square", teacher="tanh", alpha=2, gamma=0.5, lam=0.01)
    assert r.converged
    # lam -> inf limit sanity: mse at lam = 1e8 is E tanh(w)^2 by quadrature
    r0 = solve("rf_convex", loss="square", teacher="tanh", lam=1e8)
    e = scipy.integrate.quad(lambda w: math.tanh(w) ** 2 * math.exp(-w * w / 2)
                             / math.sqrt(2 * math.pi), -40, 40, epsabs=1e-14)[0]
    assert r0.observables["test_error"] == pytest.approx(e, rel=1e-6)
    assert r.observables["test_error"] < e


@pytest.mark.parametrize("model,kw,name", [
    ("rf_ridge", {"psi1": -1}, "psi1"), ("rf_ridge", {"psi2": 0}, "psi2"),
    ("rf_ridge", {"lam": -0.1}, "lam"), ("rf_convex", {"alpha": -2}, "alpha"),
    ("rf_convex", {"lam": -1e-3}, "lam"), ("rf_convex", {"loss": "cauchy"}, "loss"),
    ("rf_convex", {"teacher": "relu"}, "teacher"), ("rf_convex", {"Delta": -1}, "Delta"),
    ("rf_convex", {"loss": "logistic", "teacher": "linear"}, "teacher"),
    ("rf_convex", {"gama": 1}, "parameter"), ("rf_convex", {"activation": "__import__('os')"},
                                               "activation"),
])
def test_bad_input_names_the_parameter(model, kw, name):
    with pytest.raises(InputError) as e:
        solve(model, **kw)
    assert name in str(e.value)


def test_strict_non_convergence_raises_with_residual():
    with pytest.raises(ConvergenceError) as e:
        solve("rf_convex", alpha=2, gamma=0.5, lam=1e-2, max_iter=1, method="damped",
              damping=0.9, strict=True)
    assert e.value.residual > e.value.tol
    assert "residual" in str(e.value) and "tol" in str(e.value)
    r = solve("rf_convex", alpha=2, gamma=0.5, lam=1e-2, max_iter=1, method="damped",
              damping=0.9)
    assert not r.converged and r.failure == "residual"
    # a failed point is NaN and flagged, never the unconverged state as an answer
    assert r.observables and all(math.isnan(v) for v in r.observables.values())
    assert all(math.isnan(v) for v in r.state.values()) and r.last_state


def _square_linear_map_mp(x, alpha, gamma, lam, k1, ks, rho, Delta):
    """The rf_convex map for square loss + linear teacher with the channel integrals done by hand:
    eta = (w + V y)/(1 + V), so E(1 - eta')/V = 1/(1 + V), E(eta - w)^2/V^2 =
    (rho - 2M + Q + Delta)/(1 + V)^2, E[(w0 - M w1/Q)(eta - w)]/(V V0) = 1/(1 + V);
    g_mu(-z) from the quadratic gamma w g^2 + (w + gamma - 1) g + 1 = 0 (its positive root)."""
    Vs, qs, ms, Vw, qw = x
    V, Q, M = k1**2 * Vs + ks**2 * Vw, k1**2 * qs + ks**2 * qw, k1 * ms
    eV, eq, em = 1 / (1 + V), (rho - 2 * M + Q + Delta) / (1 + V) ** 2, 1 / (1 + V)
    Vhs, qhs, mhs = alpha / gamma * k1**2 * eV, alpha / gamma * k1**2 * eq, alpha / gamma * k1 * em
    Vhw, qhw = alpha * ks**2 * eV, alpha * ks**2 * eq
    z = (lam + Vhw) / Vhs
    w = -z
    g = (-(w + gamma - 1) - mpmath.sqrt((w + gamma - 1) ** 2 - 4 * gamma * w)) / (2 * gamma * w)
    gp = -(g + gamma * g**2) / (2 * gamma * w * g + w + gamma - 1)
    a = rho * mhs**2 + qhs
    return [(1 - z * g) / Vhs,
            a / Vhs**2 * (1 - 2 * z * g + z**2 * gp) + qhw / Vhs**2 * (g - z * gp),
            rho * mhs / Vhs * (1 - z * g),
            gamma / (lam + Vhw) * (1 / gamma - 1 + z * g),
            gamma * qhw / (lam + Vhw) ** 2 * (1 / gamma - 1 + z**2 * gp)
            + gamma * a / Vhs**2 * (g - z * gp)]


def test_rf_convex_maps_match_hand_integrated_map():
    """float64 map and its mpmath twin (what --dps relies on) against the square-loss channel
    integrated by hand at 30 digits, at a converged state."""
    from theory.models.base import _pvals
    from theory.numeric.system import compile_system

    m = get_model("rf_convex")
    p = make_params(m, dict(alpha=2, gamma=0.5, lam=0.1, loss="square", teacher="linear",
                            Delta=0.2))
    s = m.system(p)
    cs, pv = compile_system(s), _pvals(s, m.values(p))
    r = solve(m, _params=p)
    x = np.array(list(r.state.values()))
    f = cs.map(x, pv, r.level)
    vals = dict(zip(s.parameter_names, pv))
    with mpmath.workdps(30):
        ref = _square_linear_map_mp([mpmath.mpf(v) for v in x],
                                    *[mpmath.mpf(vals[k]) for k in (
                                        "alpha", "gamma", "lambda", "kappa_1", "kappa_star",
                                        "rho", "Delta")])
    with mpmath.workdps(20):
        g = cs.map_mp([mpmath.mpf(v) for v in x], [mpmath.mpf(v) for v in pv], 20)
    for a, b, c in zip(g, f, ref):
        assert abs(a - c) < mpmath.mpf(10) ** -17 * max(1, abs(c))
        assert abs(b - float(c)) < 1e-13 * max(1, abs(float(c)))
