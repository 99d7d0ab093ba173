"""The spiked random-features model (issue 10 item 4): theory/models/spiked_rf.py.

Independent sources: Mei & Montanari's closed form (model ``rf_ridge``, a scalar reduction of
their Definition 1, no replica equations) for r = 0; the bounds of
:mod:`theory.numeric.spiked_bounds` (least squares in L2(gamma_1), their own 30-digit reference);
a finite-d empirical spectrum (seeded sampling); the 30-digit mpmath reference of helper srfbase
(tests/reference/spiked_rf_mp.py, written without importing theory) when present.
"""

import json
import math
import pathlib

import mpmath
import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import theory
from theory.errors import InputError
from theory.models import get_model
from theory.models.base import make_params
from functools import cache

from theory.numeric.hermite import hermite_expansion
from theory.numeric.spiked_bounds import spiked_bounds

ONE = dict(alpha=1.0, lam=0.01, beta=1.0, r=0.65, c=1.077, gamma=0.56, activation="tanh",
           target="tanh")


@cache
def _mm(act, tgt, alpha, beta, lam, Delta):
    """Mei-Montanari test error for the r = 0 sRF (the map of the module docstring): the mean
    E g is fitted through m when mu0 != 0, else it is part of the unlearnable F_star^2."""
    he = hermite_expansion(tgt, 1)
    Eg, F1, Eg2 = float(he.mu[0]), float(he.mu[1]), float(he.E_sigma2)
    mu0 = float(hermite_expansion(act, 0).mu[0])
    fitted_mean = abs(mu0) > 0
    fs2 = Eg2 - F1**2 - (Eg**2 if fitted_mean else 0.0)
    r = theory.solve("rf_ridge", psi1=beta, psi2=alpha, lam=lam / alpha, activation=act,
                     F1=abs(F1), Fstar=math.sqrt(max(fs2, 0.0)), Delta=Delta)
    assert r.converged
    return r.observables["test_error"]


@pytest.mark.parametrize("act,tgt", [("tanh", "tanh"), ("relu", "tanh"), ("relu", "relu")])
@pytest.mark.parametrize("gamma", [0.0, 1.0])
def test_r0_reduces_to_rf_ridge(act, tgt, gamma):
    """(a) r = 0, c = 1: plain random features, Mei-Montanari with psi1 = beta, psi2 = alpha,
    lam_MM = lam/alpha, at beta in {0.5, 1, 2, 3}. gamma = 0 tests the psi channel, gamma = 1
    (teacher along v) the zeta channel and its zetahat^2/beta term; relu has mu0 != 0 (the
    mean fitted through m)."""
    betas = [0.5, 1.0, 2.0, 3.0]
    for alpha in (0.4, 1.3, 2.5):
        for lam in (1e-3, 0.1):
            cv = theory.curve("spiked_rf", "beta", betas, alpha=alpha, lam=lam, r=0.0, c=1.0,
                              gamma=gamma, activation=act, target=tgt, Delta=0.1)
            for beta, pt in zip(betas, cv.points):
                assert pt.converged, pt.message
                ref = _mm(act, tgt, alpha, beta, lam, 0.1)
                got = pt.observables["test_error"]
                assert abs(got - ref) <= 1e-10 * ref, (alpha, lam, beta, got, ref)
                assert abs(got - ref) <= pt.observable_errors["test_error"] + 1e-14 * ref


def test_r0_intermediate_gamma_and_ridgeless():
    """Any gamma at r = 0 is the same problem (rotation invariance); lam = 0 with beta < alpha
    is the least-squares limit, finite (rf_ridge's ridgeless closed form)."""
    ref = _mm("tanh", "sin", 1.7, 0.6, 0.02, 0.0)
    got = theory.solve("spiked_rf", alpha=1.7, lam=0.02, beta=0.6, r=0, gamma=0.4,
                       target="sin")
    assert abs(got.observables["test_error"] - ref) < 1e-10 * ref
    # an odd activation at r = 0 has mu0 = 0: the target's mean E g is not fitted (m = 0)
    refm = _mm("tanh", "relu", 1.1, 1.5, 0.03, 0.0)
    gotm = theory.solve("spiked_rf", alpha=1.1, lam=0.03, beta=1.5, r=0, target="relu")
    assert gotm.state["m"] == 0.0
    assert abs(gotm.observables["test_error"] - refm) < 1e-10 * refm
    ref0 = _mm("relu", "tanh", 1.7, 0.6, 0.0, 0.05)
    got0 = theory.solve("spiked_rf", alpha=1.7, lam=0.0, beta=0.6, r=0, gamma=0.0,
                        activation="relu", Delta=0.05)
    assert got0.converged, got0.message
    assert abs(got0.observables["test_error"] - ref0) < 1e-10 * ref0


def test_r0_matches_rf_convex_square_loss():
    """(a') the same point from the generic replica equations of rf_convex (square loss, linear
    teacher, Marchenko-Pastur prior) through rf_ridge's exact map."""
    from theory.models.rf_ridge import RFRidge

    he = hermite_expansion("tanh", 1)
    F1, Fs = float(he.mu[1]), math.sqrt(float(he.E_sigma2) - float(he.mu[1]) ** 2)
    m = RFRidge()
    eq = m.replica_equivalent(make_params(m, dict(psi1=2.0, psi2=1.5, lam=0.05 / 1.5,
                                                  activation="tanh", F1=F1, Fstar=Fs)))
    fs = eq.pop("Fstar")
    rc = theory.solve("rf_convex", **eq)
    got = theory.solve("spiked_rf", alpha=1.5, lam=0.05, beta=2.0, r=0, gamma=0.0)
    assert abs(got.observables["test_error"] - (rc.observables["test_error"] + fs**2)) < 1e-9


def test_one_point_defaults_and_errors():
    res = theory.solve("spiked_rf", **ONE)
    assert res.converged, res.message
    assert res.residual <= 1e-10
    assert set(res.state) == {"V1", "V2", "m", "zeta", "psi", "q1", "q2"}
    for k in ("test_error", "Vhat1", "Vhat2", "qhat1", "qhat2", "zetahat", "psihat"):
        assert k in res.observables and k in res.observable_errors
    assert res.observable_errors["test_error"] <= 1e-10
    # the kernel line is above the sRF error at this setting (feature learning helps)
    assert 0 < res.observables["test_error"] < 0.5


@pytest.mark.parametrize("gamma", [0.9, 1.0])
def test_error_bound_covers_a_finer_rule(gamma):
    """The reported bound covers the difference to a solve on a finer kappa rule (level + 2);
    sign target: a kink in kappa at gamma = 1 (the rule is split there), a narrow layer of
    width rho/gamma at gamma = 0.9."""
    from theory.models import spiked_rf as mod

    res = theory.solve("spiked_rf", **{**ONE, "target": "sign", "gamma": gamma})
    assert res.converged, res.message
    p = make_params(mod.SpikedRF(), {**ONE, "target": "sign", "gamma": gamma})
    lev = res.level + 2
    z, w, vals, _ = mod._nodes(*mod._group_key(p), lev)
    comp = mod._compiled(mod.SpikedRF().system(p))
    params = {k: np.array([float(v)]) for k, v in mod.SpikedRF().values(p).items()}
    params["lambda"] = params.pop("lambda")
    F = mod._Map(comp, params, {"kappa": z, "w": w, **vals}, 1)
    st, resid, _, _ = mod._solve_structured(F, 1)
    _, obs = F(st, observables=True)
    diff = abs(float(obs["test_error"][0]) - res.observables["test_error"])
    assert diff <= res.observable_errors["test_error"], (diff, res.observable_errors)


@pytest.mark.slow
def test_mpmath_polish_agrees_within_the_float64_bound():
    """dps = 20: Newton in mpmath on mpmath kappa rules (closed-form coefficients of relu and
    sign); the float64 answer lies within its reported bound of the polished one."""
    kw = dict(alpha=1.3, lam=0.05, beta=2.0, r=0.7, c=1.077, gamma=1.0, activation="relu",
              target="sign")
    f = theory.solve("spiked_rf", **kw)
    p = theory.solve("spiked_rf", **kw, dps=20)
    assert p.converged and p.dps == 20, p.message
    assert isinstance(p.observables["test_error"], mpmath.mpf)
    assert p.observable_errors["test_error"] < 1e-18
    diff = abs(float(p.observables["test_error"]) - f.observables["test_error"])
    assert diff <= f.observable_errors["test_error"], (diff, f.observable_errors)
    for k in f.state:
        assert abs(float(p.state[k]) - f.state[k]) <= f.state_errors[k] + 1e-15, k


def test_latex_from_the_same_system():
    m = get_model("spiked_rf")
    p = make_params(m, ONE)
    tex = m.system(p).latex()
    for piece in (r"\mu_0", r"\mu_1", r"\mu_\star", r"\mathbb{E}_{\kappa}", r"g_\beta",
                  r"\hat{V}_1"):
        assert piece in tex, piece


def test_one_step_parametrisation():
    from theory.simulate.one_step import predicted_map

    mp_ = predicted_map(eta_tilde=1.0, alpha0=2.0, activation="tanh", target="tanh")["code"]
    a = theory.solve("spiked_rf", alpha=1.0, eta_tilde=1.0, alpha0=2.0)
    b = theory.solve("spiked_rf", alpha=1.0, r=mp_["r"], c=mp_["c"], gamma=mp_["gamma"])
    assert a.params["r"] == mp_["r"] and a.params["c"] == mp_["c"]
    assert a.observables["test_error"] == b.observables["test_error"]
    # alpha0 = 0: no step, plain random features
    z = theory.solve("spiked_rf", alpha=1.0, eta_tilde=1.0, alpha0=0.0)
    assert (z.params["r"], z.params["c"], z.params["gamma"]) == (0.0, 1.0, 0.0)


@pytest.mark.parametrize("kw,name,phrase", [
    (dict(eta_tilde=-1.0, alpha0=1.0), "eta_tilde", ">= 0"),
    (dict(eta_tilde=1.0, alpha0=-0.5), "alpha0", ">= 0"),
    (dict(beta=0.0), "beta", "> 0"),
    (dict(beta=-1.0), "beta", "> 0"),
    (dict(gamma=1.2), "gamma", "[0, 1]"),
    (dict(r=-0.1), "r", ">= 0"),
    (dict(c=0.0), "c", "> 0"),
    (dict(target="x*y"), "target", "one variable"),
    (dict(eta_tilde=1.0, alpha0=1.0, activation="cos"), "activation", "mu_1"),
    (dict(eta_tilde=1.0, alpha0=1.0, r=0.5), "r", "eta_tilde"),
    (dict(eta_tilde=1.0), "alpha0", "eta_tilde"),
    (dict(lam=0.0, beta=2.0, alpha=1.0), "lam", "beta >= alpha"),
    (dict(spectrum="empirical"), "d", "integer"),
    (dict(spectrum="random"), "spectrum", "deterministic"),
])
def test_bad_input(kw, name, phrase):
    """(d) one clear InputError naming the parameter and its allowed range."""
    args = dict(alpha=1.0, lam=0.01)
    args.update(kw)
    with pytest.raises(InputError) as exc:
        theory.solve("spiked_rf", **args)
    assert exc.value.param == name, str(exc.value)
    assert phrase in str(exc.value), str(exc.value)


def test_even_activation_at_r0_refused():
    with pytest.raises(InputError, match="mu_1"):
        theory.solve("spiked_rf", alpha=1.0, r=0.0, activation="x**2")


def _risk_opt(alpha, **kw):
    """min over lam of the test error: a coarse vectorised grid, then minimize_scalar on log lam."""
    grid = np.logspace(-5, 2, 15)
    cv = theory.curve("spiked_rf", "lam", grid, alpha=alpha, **kw)
    te = cv.column("test_error")
    i = int(np.nanargmin(te))
    lo, hi = math.log(grid[max(i - 1, 0)]), math.log(grid[min(i + 1, grid.size - 1)])

    def f(t):
        return theory.solve("spiked_rf", alpha=alpha, lam=math.exp(t), **kw).observables[
            "test_error"]
    r = minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-3})
    return min(float(r.fun), float(te[i]))


def _psi_channel(act, tgt, r, c, gamma):
    """E[mu1 h1]^2 / E[mu1^2]: the part of y that the psi channel (mu1(kappa) z) can fit; an
    independent split-Gauss quadrature of the foundation's coefficients."""
    from theory.numeric.conditional import conditional_coefficients
    from theory.numeric.quadrature import normal_rule

    z, w = normal_rule(np.array([-4.0, -1.0, 1.0, 4.0]), 80, 80)
    z, w = z[0], w[0]
    mu1 = np.asarray(conditional_coefficients(act, r * z, c).mu1)
    rho = math.sqrt(1 - gamma**2)
    h1 = rho * np.asarray(conditional_coefficients(tgt, gamma * z, rho**2).mu1)
    return float(w @ (mu1 * h1)) ** 2 / float(w @ mu1**2)


@pytest.mark.parametrize("setting", ["figure3", pytest.param("one_step", marks=pytest.mark.slow)])
def test_optimal_risk_between_bounds(setting):
    """(c) the lam-optimised risk lies between the bounds of spiked_bounds (Cui et al. 2024,
    Fig. 3 setting c = 1, r = 0.9, gamma = 1, tanh / sin; and a one-step setting).

    At gamma < 1 (every one-step setting) spiked_bounds' L is NOT a lower bound (its docstring
    says so): the features also fit mu1(kappa) z through psi. The lower bound is then the
    distance of y to span{mu0, kappa mu1, mu1 z} = L - E[mu1 h1]^2/E[mu1^2] (z is independent
    of kappa: the third basis function is orthogonal to the two others); the risk is
    measured below L there."""
    if setting == "figure3":
        kw = dict(r=0.9, c=1.0, gamma=1.0, activation="tanh", target="sin")
    else:
        from theory.simulate.one_step import predicted_map
        m = predicted_map(eta_tilde=2.0, alpha0=20.0, activation="tanh", target="tanh")["code"]
        kw = dict(r=m["r"], c=m["c"], gamma=m["gamma"], activation="tanh", target="tanh")
    b = spiked_bounds(kw["activation"], kw["target"], r=kw["r"], c=kw["c"], gamma=kw["gamma"])
    low = b.lower
    if kw["gamma"] < 1:
        low = b.lower - _psi_channel(kw["activation"], kw["target"], kw["r"], kw["c"],
                                     kw["gamma"])
    prev = math.inf
    below_L = False
    for alpha in (0.5, 2.0, 8.0):
        R = _risk_opt(alpha, beta=1.0, **kw)
        assert low - 1e-9 <= R <= b.upper + 1e-9, (alpha, low, R, b.upper)
        below_L |= R < b.lower
        assert R <= prev + 1e-9  # more data does not hurt at the optimal lam
        prev = R
    assert below_L == (kw["gamma"] < 1)


EMP = dict(alpha=2.0, lam=0.1, beta=0.5, r=0.65, c=1.077, gamma=0.56, activation="tanh",
           target="tanh")


def test_empirical_spectrum_close_at_moderate_d():
    """(b, fast part) four sampled W at d = 300: their mean is within 3 standard errors of the
    deterministic equivalent (the seed fluctuation is O(1/sqrt(d)): the weights F, H are
    chi-square)."""
    de = theory.solve("spiked_rf", **EMP).observables["test_error"]
    vals = []
    for s in range(4):
        em = theory.solve("spiked_rf", **EMP, spectrum="empirical", d=300, seed=s)
        assert em.converged, em.message
        vals.append(em.observables["test_error"])
    se = np.std(vals, ddof=1) / 2
    assert abs(np.mean(vals) - de) <= 3 * se, (vals, de)
    assert 0 < se < 0.02


@pytest.mark.slow
def test_empirical_gap_shrinks_with_d():
    """(b) deterministic equivalent vs empirical spectrum, 6 seeds per d: within the seed
    fluctuation at d = 2000 and the gap and the fluctuation shrink with d (numbers recorded in
    spiked_rf.EMPIRICAL_CHECK)."""
    de = theory.solve("spiked_rf", **EMP).observables["test_error"]
    gaps, stds = [], []
    for d in (250, 500, 1000, 2000):
        vals = [theory.solve("spiked_rf", **EMP, spectrum="empirical", d=d, seed=s)
                .observables["test_error"] for s in range(6)]
        gaps.append(abs(np.mean(vals) - de))
        stds.append(float(np.std(vals, ddof=1)))
    assert gaps[-1] <= 3 * stds[-1] / math.sqrt(6)
    assert gaps[-1] < gaps[0] and stds[-1] < stds[0]


_REF = pathlib.Path(__file__).parent / "reference" / "spiked_rf_mp.json"


@pytest.mark.skipif(not _REF.exists(), reason="tests/reference/spiked_rf_mp.json (srfbase)")
def test_against_srfbase_mpmath_reference():
    """(e) helper srfbase's independent 30-digit implementation of the same system (MP law by
    quadrature of its density, no import of theory): every point to 1e-10, within our bound."""
    data = json.loads(_REF.read_text())
    pts = data["points"]
    assert len(pts) >= 10
    betas = set()
    for pt in pts:
        prm = {k: float(pt[k]) for k in ("alpha", "lam", "beta", "r", "c", "gamma", "Delta")}
        betas.add(prm["beta"])
        res = theory.solve("spiked_rf", activation=pt["activation"], target=pt["target"], **prm)
        assert res.converged, res.message
        for key in ("test_error", "Vhat1", "qhat1", "zetahat", "psihat"):
            ref = float(mpmath.mpf(pt[key]))
            got = res.observables[key]
            assert abs(got - ref) <= 1e-10 * max(1.0, abs(ref)), (pt, key, got, ref)
            assert abs(got - ref) <= res.observable_errors[key] + 1e-15 * abs(ref), (key,)
        for key in ("m", "q1", "q2", "V1", "V2", "zeta", "psi"):
            ref = float(mpmath.mpf(pt[key]))
            assert abs(res.state[key] - ref) <= 1e-10 * max(1.0, abs(ref)), (pt, key)
    assert {0.5, 1.0, 2.0} <= betas
