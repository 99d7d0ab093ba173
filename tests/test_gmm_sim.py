"""The Gaussian-mixture simulators (theory.simulate.gmm): optimality of every ERM fit (KKT, an
independent certificate), the exact test-error formula against a fresh test set, seeding,
cache, separability by LP, bad input, and the CLI route."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
from scipy.special import ndtr

from theory.errors import InputError
from theory.store import Store
from theory.simulate.gmm import (fit_binary, fit_multiclass, gmm_binary_data,
                                 gmm_multiclass_data, kkt_residual, max_margin,
                                 separability_crossings, separable_fraction,
                                 simulate_gmm_binary, simulate_gmm_multiclass)


def _binary(n=120, d=40, rho=0.7, seed=3, sparse=False):
    rng = np.random.default_rng(seed)
    mu = rng.standard_normal(d)
    if sparse:
        mu[d // 4:] = 0
    mu /= np.linalg.norm(mu)
    sig = np.where(np.arange(d) < d // 2, 0.3, 1.0)
    return gmm_binary_data(n, mu, sig, rho, rng)


@pytest.mark.parametrize("loss", ["square", "logistic", "hinge"])
@pytest.mark.parametrize("penalty", ["l2", "l1"])
@pytest.mark.parametrize("intercept", [True, False])
def test_binary_fit_satisfies_kkt(loss, penalty, intercept):
    X, y = _binary(sparse=penalty == "l1")
    w, b, a = fit_binary(X, y, loss=loss, penalty=penalty, lam=0.1, intercept=intercept)
    r = kkt_residual(X, y, w, b, loss=loss, penalty=penalty, lam=0.1, intercept=intercept, a=a)
    assert r < 1e-6, (loss, penalty, r)
    if not intercept:
        assert b == 0.0
    # the certificate can fail: a perturbed candidate is far from stationary
    w2 = w + 0.05 * np.random.default_rng(0).standard_normal(w.size)
    r2 = kkt_residual(X, y, w2, b + 0.1, loss=loss, penalty=penalty, lam=0.1,
                      intercept=intercept, a=a)
    assert r2 > 1e-4


@pytest.mark.parametrize("loss", ["square", "logistic", "hinge"])
def test_binary_fit_is_a_minimum(loss):
    """Convex objective: the fit beats random perturbations (independent of the KKT code)."""
    X, y = _binary()
    lam = 0.1
    w, b, _ = fit_binary(X, y, loss=loss, penalty="l2", lam=lam)

    def obj(w, b):
        z = X @ w + b
        v = {"square": 0.5 * (y - z) ** 2, "logistic": np.log1p(np.exp(-y * z)),
             "hinge": np.maximum(0, 1 - y * z)}[loss]
        return v.sum() + lam * w @ w / 2

    rng = np.random.default_rng(1)
    f0 = obj(w, b)
    for _ in range(20):
        assert obj(w + 1e-3 * rng.standard_normal(w.size), b + 1e-3 * rng.standard_normal()) \
            >= f0 - 1e-12


@pytest.mark.parametrize("loss", ["square", "cross_entropy"])
def test_multiclass_fit_satisfies_kkt(loss):
    rng = np.random.default_rng(2)
    mus = np.eye(3, 30)
    X, lab = gmm_multiclass_data(90, mus, 0.5, [0.2, 0.3, 0.5], rng)
    W, b = fit_multiclass(X, lab, K=3, loss=loss, lam=0.1)
    assert kkt_residual(X, lab, W, b, loss=loss, lam=0.1) < 1e-6
    W2 = W + 0.05 * np.random.default_rng(1).standard_normal(W.shape)
    assert kkt_residual(X, lab, W2, b, loss=loss, lam=0.1) > 1e-4
    if loss == "cross_entropy":
        assert abs(b.sum()) < 1e-12


def test_binary_test_error_formula_matches_fresh_test_set():
    """test_error is exact given (m, q, b): check it against 40000 fresh points."""
    d, rho = 50, 0.7
    rng = np.random.default_rng(5)
    mu = rng.standard_normal(d)
    mu /= np.linalg.norm(mu)
    sig = np.full(d, 0.5)
    X, y = gmm_binary_data(150, mu, sig, rho, rng)
    w, b, _ = fit_binary(X, y, loss="logistic", penalty="l2", lam=0.1)
    m, q = mu @ w / math.sqrt(d), (sig * w) @ w / d
    formula = rho * ndtr(-(m + b) / math.sqrt(q)) + (1 - rho) * ndtr(-(m - b) / math.sqrt(q))
    Xt, yt = gmm_binary_data(40000, mu, sig, rho, rng)
    emp = np.mean(yt * (Xt @ w + b) <= 0)
    assert abs(emp - formula) < 4 * math.sqrt(formula * (1 - formula) / 40000)


def test_multiclass_test_error_matches_fresh_test_set():
    d, K = 40, 3
    rng = np.random.default_rng(6)
    sim = simulate_gmm_multiclass(alpha=2.0, d=d, K=K, Delta=0.5, lam=0.1, seeds=1, seed=4)
    # rebuild the seed's problem and test on fresh points
    from theory.simulate.gmm import _mean_matrix

    r2 = np.random.default_rng([4, 20261203, 80])
    mus = _mean_matrix(K, d, "simplex", r2)
    X, lab = gmm_multiclass_data(80, mus, 0.5, [1 / 3] * 3, r2)
    W, b = fit_multiclass(X, lab, K=K, loss="square", lam=0.1)
    M = W @ mus.T / math.sqrt(d)
    assert M[0, 0] == pytest.approx(sim.mean("M[0,0]"), abs=1e-12)
    Xt, lt = gmm_multiclass_data(40000, mus, 0.5, [1 / 3] * 3, rng)
    emp = np.mean((Xt @ W.T + b).argmax(1) != lt)
    te = sim.mean("test_error")
    assert abs(emp - te) < 4 * math.sqrt(te * (1 - te) / 40000) + 4e-3  # + MC of the formula


def test_seeding_and_cache(tmp_path):
    kw = dict(alpha=1.5, d=40, loss="logistic", lam=0.1, seeds=3)
    a = simulate_gmm_binary(**kw)
    b = simulate_gmm_binary(**kw)
    assert a.per_seed == b.per_seed
    c = simulate_gmm_binary(**{**kw, "seed": 1})
    assert c.per_seed["m"][:2] == a.per_seed["m"][1:]  # seeds 1, 2 shared
    assert c.per_seed["m"][2] != a.per_seed["m"][2]
    assert a.se("m") == pytest.approx(np.std(a.per_seed["m"], ddof=1) / math.sqrt(3))
    first = simulate_gmm_binary(**kw, cache=str(tmp_path))
    again = simulate_gmm_binary(**kw, cache=str(tmp_path))
    assert first.cached == 0 and again.cached == 3
    assert again.observables == first.observables == a.observables
    store = Store(tmp_path, create=False)  # the cache is a results store: one entry per seed
    assert len(store.keys()) == 3 and store.verify() == []
    assert not any(f.endswith(".tmp") for f in os.listdir(store.entries))
    sims = simulate_gmm_binary(**{**kw, "alpha": [1.0, 1.5]}, cache=str(tmp_path))
    assert [s.settings["alpha"] for s in sims] == [1.0, 1.5]
    assert sims[1].cached == 3 and sims[1].observables == a.observables


def test_blocks_and_sparse_means_observables():
    sim = simulate_gmm_binary(alpha=2.0, d=60, loss="square", lam=0.1, seeds=2,
                              blocks=[(0.5, 0.2), (0.5, 1.0)], means="sparse", rho_s=0.5)
    assert sim.mean("q") < sim.mean("norm")  # q = w^T Sigma w/d with Sigma <= I
    assert sim.settings["blocks"] == [(0.5, 0.2), (0.5, 1.0)]


def test_max_margin_and_separable_fraction():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 30)) / math.sqrt(30)
    assert max_margin(X, np.arange(20) % 3, 3) > 1e-3  # n <= d + 1: always separable
    Xd = np.vstack([X[:5], X[:5]])  # the same points with other labels: not separable
    lab = np.r_[np.zeros(5, int), np.ones(5, int)]
    assert abs(max_margin(Xd, lab, 2)) < 1e-8
    assert abs(max_margin(Xd, np.r_[np.zeros(5, int), np.full(5, 2)], 3)) < 1e-8
    assert separable_fraction(alpha=0.5, d=20, K=2, Delta=1.0, instances=3).mean(
        "separable") == 1.0
    f = separable_fraction(alpha=[0.5, 12.0], d=20, K=3, Delta=1.0, instances=3)
    assert f[0].mean("separable") == 1.0 and f[1].mean("separable") == 0.0
    c = separability_crossings(d=20, K=2, Delta=1.0, instances=3)
    assert all(21 / 20 <= a < 12 for a in c.per_seed["alpha_c"])


@pytest.mark.parametrize("kw, param", [
    (dict(alpha=1.0, lam=0.1, rho=1.0), "rho"),
    (dict(alpha=1.0, lam=0.1, Delta=-1.0), "Delta"),
    (dict(alpha=1.0, lam=0.1, blocks=[(0.5, 1.0), (0.5, -0.2)]), "blocks"),
    (dict(alpha=1.0, lam=0.1, blocks=[(0.5, 1.0), (0.6, 0.2)]), "blocks"),
    (dict(alpha=1.0, lam=0.1, loss="huber"), "loss"),
    (dict(alpha=1.0, lam=0.1, penalty="l3"), "penalty"),
    (dict(alpha=1.0, lam=0.0), "lam"),
    (dict(alpha=-1.0, lam=0.1), "alpha"),
    (dict(alpha=[], lam=0.1), "alpha"),
    (dict(alpha=1.0, lam=0.1, seeds=0), "seeds"),
    (dict(alpha=1.0, lam=0.1, means="block"), "means"),
])
def test_binary_bad_input(kw, param):
    with pytest.raises(InputError) as e:
        simulate_gmm_binary(d=20, **kw)
    assert e.value.param == param


@pytest.mark.parametrize("kw, param", [
    (dict(K=1), "K"),
    (dict(K=3, rho=[0.5, 0.6, 0.1]), "rho"),
    (dict(K=3, rho=[0.5, 0.5]), "rho"),
    (dict(K=3, means="random"), "means"),
    (dict(K=3, loss="hinge"), "loss"),
    (dict(K=3, Delta=0.0), "Delta"),
])
def test_multiclass_bad_input(kw, param):
    with pytest.raises(InputError) as e:
        simulate_gmm_multiclass(alpha=1.0, d=20, lam=0.1, **kw)
    assert e.value.param == param
    sep = {k: v for k, v in kw.items() if k in ("K", "rho", "means", "Delta")}
    if param in ("K", "rho", "means", "Delta"):
        with pytest.raises(InputError) as e:
            separable_fraction(alpha=1.0, d=20, **{"K": 3, "Delta": 1.0, **sep})
        assert e.value.param == param


def test_cli_simulate_gmm(capsys):
    from theory.cli import main

    assert main(["simulate", "gmm_binary", "alpha=2", "loss=square", "lam=0.1", "Delta=0.5",
                 "--d", "40", "--seeds", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "theory.simulate.gmm.simulate_gmm_binary" in out and "test_error" in out
    assert main(["simulate", "gmm_multiclass", "alpha=2", "K=3", "lam=0.1", "--d", "30",
                 "--seeds", "2", "--quiet", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["settings"]["K"] == 3 and "M[0,0]" in res["observables"]
    assert main(["simulate", "gmm_binary", "alpha=2", "rho=1.5", "--d", "40"]) == 2
