"""Finite-size simulations: the fits against independent optimality conditions, caching, and
(slow) theory vs simulation at d = 1000 over 10 seeds, real vs Gaussian-equivalent features.

The d = 1000 simulations are stored (tests/reference/rf_simulations/rf_simulations.json, made by
the make.py next to it with the simulator alone): they took ~4 minutes of the CI run when they
were simulated live here; the simulator itself is tested live above at small d."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from theory.errors import InputError
from theory.models import get_model, solve
from theory.models.base import make_params
from theory.simulate import simulate_random_features
from theory.simulate.random_features import _Problem


def _settings(**kw):
    s = {"d": 40, "p": 60, "n": 90, "activation": "erf", "loss": "square", "lam": 0.1,
         "teacher": "sign", "rho": 1.0, "Delta": 0.0, "Fstar": 0.0,
         "gaussian_equivalent": False, "sphere": False, "n_test": 100,
         "mu": [0.0, 2 / math.sqrt(3 * math.pi), 0.0]}
    s.update(kw)
    return s


@pytest.mark.parametrize("n", [90, 30])  # primal (n >= p) and dual (n < p) closed forms
def test_square_fit_is_the_ridge_solution(n):
    pr = _Problem(_settings(n=n), 0)
    X, y, _, _ = pr.data(n, pr.rng)
    w, _ = pr.fit(X, y)
    A = X / math.sqrt(60)
    # independent: least squares on the augmented system [A; sqrt(lam) I] w = [y; 0]
    ref = np.linalg.lstsq(np.vstack([A, math.sqrt(0.1) * np.eye(60)]),
                          np.concatenate([y, np.zeros(60)]), rcond=None)[0]
    assert np.max(np.abs(w - ref)) < 1e-10


def test_logistic_fit_is_stationary():
    pr = _Problem(_settings(loss="logistic"), 1)
    X, y, _, _ = pr.data(90, pr.rng)
    w, _ = pr.fit(X, y)
    A = X / math.sqrt(60)
    m = y * (A @ w)
    grad = -(A.T @ (y / (1 + np.exp(m)))) + 0.1 * w
    assert np.max(np.abs(grad)) < 1e-6


def test_hinge_fit_closes_the_duality_gap():
    pr = _Problem(_settings(loss="hinge", lam=0.5), 2)
    X, y, _, _ = pr.data(90, pr.rng)
    w, _ = pr.fit(X, y)
    A = X / math.sqrt(60)
    primal = np.maximum(0, 1 - y * (A @ w)).sum() + 0.25 * w @ w
    # dual value at the recovered multipliers a = clip(lam w ... ): use strong duality bound
    # primal >= dual for any feasible a; the optimum a gives equality, and any w gives primal
    # >= optimum: check against a generic convex solver on the primal (subgradient-free: LP)
    import scipy.optimize

    n, p = A.shape
    # min sum xi + lam/2 |w|^2, xi >= 0, xi >= 1 - y A w : a QP solved by SLSQP
    def obj(v):
        return v[p:].sum() + 0.25 * v[:p] @ v[:p]

    cons = [{"type": "ineq", "fun": lambda v: v[p:]},
            {"type": "ineq", "fun": lambda v: v[p:] - 1 + y * (A @ v[:p])}]
    v0 = np.concatenate([w, np.maximum(0, 1 - y * (A @ w)) + 1e-3])
    ref = scipy.optimize.minimize(obj, v0, constraints=cons, method="SLSQP",
                                  options={"maxiter": 500, "ftol": 1e-12})
    assert primal <= ref.fun + 1e-6


def test_linear_features_equal_their_gaussian_equivalent():
    # sigma(x) = x: mu_star = 0, the Gaussian-equivalent features are the features themselves
    kw = dict(d=50, p=80, n=120, activation="x", loss="square", lam=0.1, teacher="linear",
              seeds=3, n_test=200)
    a = simulate_random_features(**kw)
    b = simulate_random_features(**kw, gaussian_equivalent=True)
    for k in ("test_error", "train_loss", "q_w"):
        assert a.per_seed[k] == pytest.approx(b.per_seed[k], rel=1e-9)


def test_cache_resumes(tmp_path):
    kw = dict(d=30, p=40, n=50, loss="logistic", teacher="sign", seeds=3, n_test=100,
              cache=str(tmp_path))
    a = simulate_random_features(**kw)
    b = simulate_random_features(**kw)
    assert a.cached == 0 and b.cached == 3
    assert a.observables == b.observables
    c = simulate_random_features(**{**kw, "seeds": 4})  # one more seed: 3 from the cache
    assert c.cached == 3 and c.per_seed["test_error"][:3] == a.per_seed["test_error"]


def test_progress_and_bad_input():
    seen = []
    simulate_random_features(d=20, p=20, n=20, seeds=2, n_test=50,
                             progress=lambda i, n: seen.append((i, n)))
    assert seen == [(1, 2), (2, 2)]
    for kw, name in [({"d": 0}, "d"), ({"lam": -1.0}, "lam"), ({"loss": "cauchy"}, "loss"),
                     ({"loss": "logistic", "teacher": "linear"}, "teacher"),
                     ({"Delta": -0.1}, "Delta"), ({"activation": "foo("}, "")]:
        args = dict(d=20, p=20, n=20, seeds=2) | kw
        with pytest.raises(InputError) as e:
            simulate_random_features(**args)
        assert name in str(e.value)


# ------------------------------------------------------------------ theory vs simulation
D, SEEDS, NTEST = 1000, 10, 2000
RIDGE = dict(psi2=1.2, lam=5e-3, Fstar=0.3, Delta=0.09)
RIDGE_GRID = np.linspace(0.2, 2.0, 10)  # psi1, through the peak psi1 = psi2
LOGI = dict(gamma=1.0, lam=1e-2, loss="logistic", teacher="sign")
LOGI_GRID = np.linspace(0.3, 2.5, 10)  # alpha


#: the simulations these tests compare with, stored by tests/reference/rf_simulations/make.py
#: (the finite-size simulator only; d = 1000, 10 seeds, 2000 test points): a missing record fails
STORED = Path(__file__).parent / "reference" / "rf_simulations" / "rf_simulations.json"


@pytest.fixture(scope="module")
def sims():
    data = json.loads(STORED.read_text())
    assert (data["d"], data["seeds"], data["n_test"]) == (D, SEEDS, NTEST)
    return data["records"]


def _stored(sims, model, params, ge=False):
    key = json.dumps([model, sorted((k, float(v) if isinstance(v, (int, float, np.floating))
                                     else v) for k, v in params.items()), bool(ge)])
    assert key in sims, f"no stored simulation for {key}: run tests/reference/rf_simulations/make.py"
    return SimpleNamespace(observables={k: tuple(v) for k, v in
                                        sims[key]["observables"].items()})


def _sim(sims, model, grid_name, v, ge=False, **params):
    m = get_model(model)
    p = make_params(m, {**params, grid_name: float(v)})
    return _stored(sims, model, {**params, grid_name: float(v)}, ge), p


@pytest.mark.slow
def test_ridge_theory_vs_simulation(sims):
    """Mei-Montanari risk vs simulation (sphere inputs, relu): 10 points within 3 SE."""
    for v in RIDGE_GRID:
        sim, p = _sim(sims, "rf_ridge", "psi1", v, **RIDGE)
        th = solve("rf_ridge", _params=p).observables["test_error"]
        mean, se = sim.observables["test_error"]
        assert abs(mean - th) < 3 * se, (v, th, mean, se)


@pytest.mark.slow
def test_logistic_sign_teacher_theory_vs_simulation(sims):
    """Gerace et al. replica equations vs logistic regression on random erf features."""
    for v in LOGI_GRID:
        sim, p = _sim(sims, "rf_convex", "alpha", v, **LOGI)
        th = solve("rf_convex", _params=p).observables
        for name in ("test_error", "train_loss", "q_w"):  # the same names on both sides
            mean, se = sim.observables[name]
            assert abs(mean - th[name]) < 3 * se, (v, name, th[name], mean, se)


@pytest.mark.slow
@pytest.mark.parametrize("model,grid,values,params,obs", [
    ("rf_ridge", "psi1", RIDGE_GRID[[1, 5, 9]], RIDGE, "test_error"),
    ("rf_convex", "alpha", LOGI_GRID[[1, 5, 9]], LOGI, "test_error"),
])
def test_real_and_gaussian_equivalent_features_agree(sims, model, grid, values, params, obs):
    for v in values:
        real, _ = _sim(sims, model, grid, v, **params)
        ge, _ = _sim(sims, model, grid, v, ge=True, **params)
        (m1, s1), (m2, s2) = real.observables[obs], ge.observables[obs]
        assert abs(m1 - m2) < 3 * math.hypot(s1, s2), (v, m1, s1, m2, s2)


@pytest.mark.slow
@pytest.mark.parametrize("params", [
    dict(loss="hinge", teacher="sign", lam=0.1, gamma=1.0, alpha=0.5),
    dict(loss="hinge", teacher="sign", lam=0.1, gamma=1.0, alpha=1.5),
    dict(loss="hinge", teacher="sign", lam=0.1, gamma=1.0, alpha=3.0),
    dict(loss="square", teacher="tanh", lam=0.05, gamma=1.0, alpha=0.5, Delta=0.1),
    dict(loss="square", teacher="tanh", lam=0.05, gamma=1.0, alpha=2.0, Delta=0.1),
])
def test_hinge_and_tanh_teacher_theory_vs_simulation(sims, params):
    m = get_model("rf_convex")
    p = make_params(m, params)
    sim = _stored(sims, "rf_convex", params)
    th = solve("rf_convex", _params=p).observables
    for name in ("test_error", "train_loss", "q_w"):  # the same names on both sides
        mean, se = sim.observables[name]
        assert abs(mean - th[name]) < 3 * se, (params, name, th[name], mean, se)
