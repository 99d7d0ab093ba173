r"""The spiked random-features (sRF) model at finite size (independent of :mod:`theory.models`).

Cui, Pesce, Dandi, Krzakala, Lu, Zdeborová, Loureiro, "Asymptotics of feature learning in
two-layer networks after one gradient-step", ICML 2024 (arXiv:2402.04980v2, Definition 3.1),
in the normalisation of the authors' code (digest ``shared/papers/one-step-digest.md``
Sec. 1.3--1.5 and ``coord/SRF_EQUATIONS.md``; our words):

* inputs :math:`x \sim \mathcal N(0, I_d)`; spike direction :math:`\hat v` uniform on the unit
  sphere; :math:`\hat e_\perp` uniform on the unit sphere of :math:`\hat v^\perp`; teacher
  direction :math:`\theta_\star = \gamma\hat v + \sqrt{1-\gamma^2}\,\hat e_\perp`;
  labels :math:`y = g(\langle\theta_\star, x\rangle) + \sqrt\Delta\,\xi`;
* first layer :math:`W^1 = W + r\,\mathbf 1_p\hat v^\top`, rows of :math:`W` i.i.d. uniform on
  the sphere of radius :math:`\sqrt c` in :math:`\mathbb R^d` (they keep their random component
  along :math:`\hat v`), :math:`p = \beta d`;
* readout :math:`\hat a = \operatorname{argmin}_a \|y - \sigma(XW^{1\top})a/\sqrt p\|^2 +
  \lambda\|a\|^2` (un-normalised sum) on :math:`n = \alpha d` samples; test error
  :math:`\mathbb E(g(\langle\theta_\star, x\rangle) - \hat f(x))^2` on fresh points against the
  noiseless target.

Observables per seed (mean and standard error over seeds): ``test_error``, ``train_loss`` (mean
squared residual), ``q_a`` :math:`= \|\hat a\|^2/p`, and the order parameters of the sRF
equations, measured on :math:`\hat a`: ``m`` :math:`= \mathbf 1^\top\hat a/\sqrt p`, ``zeta``
:math:`= \hat a^\top W\hat v/\sqrt p`, ``psi`` :math:`= \hat a^\top W\hat e_\perp/\sqrt p`,
``q1`` :math:`= \hat a^\top W\Pi W^\top\hat a/p` (:math:`\Pi = I - \hat v\hat v^\top`), ``q2``
:math:`= \|\hat a\|^2/p`.

A list of alpha reuses, per seed, the weights, the test set and nested prefixes of one readout
sample (:func:`theory.simulate.one_step._ridge_path`).
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ._seeds import run_seeds
from .resources import check_resources
from .one_step import _alpha_list, _function_of_one_variable, _real, _ridge_path, _split
from ..errors import InputError

__all__ = ["simulate_spiked_rf", "spiked_rf_weights"]


class _SRF:
    """One seed of the sRF: directions, weights, data."""

    def __init__(self, s: dict, seed: int):
        from ..numeric.bridge import numpy_function
        from ..symbolic.activations import x as X

        self.s = s
        self.rng = np.random.default_rng([seed, 20261202])
        d, p = s["d"], s["p"]
        self.sigma = numpy_function(_function_of_one_variable(s["activation"],
                                                              "activation").expr, (X,))
        self.g = numpy_function(_function_of_one_variable(s["target"], "target").expr, (X,))
        v = self.rng.standard_normal(d)
        self.vhat = v / np.linalg.norm(v)
        e = self.rng.standard_normal(d)
        e -= (e @ self.vhat) * self.vhat
        self.eperp = e / np.linalg.norm(e)
        gam = s["gamma"]
        self.theta = gam * self.vhat + math.sqrt(max(0.0, 1 - gam * gam)) * self.eperp
        W = self.rng.standard_normal((p, d))
        self.W = W * (math.sqrt(s["c"]) / np.linalg.norm(W, axis=1, keepdims=True))
        self.W1 = self.W + s["r"] * np.outer(np.ones(p), self.vhat)

    def data(self, n, noise=True):
        x = self.rng.standard_normal((n, self.s["d"]))
        clean = np.broadcast_to(np.asarray(self.g(x @ self.theta), float), (n,))
        xi = self.rng.standard_normal(n)
        y = clean + (math.sqrt(self.s["Delta"]) * xi if noise else 0.0)
        return x, y, clean

    def features(self, x):
        pre = x @ self.W1.T
        return np.broadcast_to(np.asarray(self.sigma(pre), float), pre.shape)

    def order_parameters(self, a):
        p = self.s["p"]
        Wa = self.W.T @ a
        along = float(Wa @ self.vhat)
        return {"m": float(a.sum()) / math.sqrt(p), "zeta": along / math.sqrt(p),
                "psi": float(Wa @ self.eperp) / math.sqrt(p),
                "q1": (float(Wa @ Wa) - along**2) / p, "q2": float(a @ a) / p}

    def run(self) -> dict:
        s = self.s
        return _ridge_path(self.features, self.data, p=s["p"], ns=s["ns"], lam=s["lam"],
                           n_test=s["n_test"], extra=self.order_parameters)


def _validate(*, d, alpha, beta, r, c, gamma, activation, target, Delta, lam, n_test):
    if not (isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 2):
        raise InputError("d", d, "an integer >= 2")
    beta = _real("beta", beta, 0.0, True, "a finite real number > 0")
    r = _real("r", r, 0.0, False, "a finite real number >= 0")
    c = _real("c", c, 0.0, True, "a finite real number > 0")
    gamma = _real("gamma", gamma, -1.0, False, "a real number in [-1, 1]")
    if gamma > 1:
        raise InputError("gamma", gamma, "a real number in [-1, 1]")
    Delta = _real("Delta", Delta, 0.0, False, "a finite real number >= 0")
    lam = _real("lam", lam, 0.0, True, "a finite real number > 0")
    if not (isinstance(n_test, (int, np.integer)) and not isinstance(n_test, bool)
            and n_test >= 1):
        raise InputError("n_test", n_test, "an integer >= 1")
    p = round(beta * d)
    if p < 2:
        raise InputError("beta", beta, f"a number with p = round(beta d) >= 2 at d = {d}")
    alphas = _alpha_list(alpha, d)
    if alphas is None:
        a = _real("alpha", alpha, 0.0, True, "a number or a non-empty list of numbers > 0")
        if round(a * d) < 1:
            raise InputError("alpha", a, f"a number with n = round(alpha d) >= 1 at d = {d}")
    act = _function_of_one_variable(activation, "activation")
    tg = _function_of_one_variable(target, "target")
    s = {"d": int(d), "p": p, "beta": beta, "r": r, "c": c, "gamma": gamma,
         "activation": str(act.expr), "target": str(tg.expr), "Delta": Delta, "lam": lam,
         "n_test": int(n_test)}
    return s, alphas if alphas is not None else [float(alpha)], alphas is None


def spiked_rf_weights(*, d: int, beta: float = 1.0, r: float, c: float = 1.0,
                      gamma: float = 1.0, seed: int = 0) -> dict:
    r"""The weights and directions of one seed of :func:`simulate_spiked_rf`.

    Definition 3.1 of arXiv:2402.04980v2 in the code normalisation (module docstring).

    Parameters
    ----------
    d : int
        Input dimension (>= 2).
    beta : float, default 1.0
        :math:`p/d > 0`.
    r : float
        Spike strength (>= 0).
    c : float, default 1.0
        Squared row norm of the bulk :math:`W` (> 0).
    gamma : float, default 1.0
        :math:`\langle\hat v, \theta_\star\rangle \in [-1, 1]`.
    seed : int, default 0
        The seed (same stream as :func:`simulate_spiked_rf`).

    Returns
    -------
    dict
        ``W1``, ``W`` (shape (p, d)), ``vhat``, ``eperp``, ``theta_star`` (shape (d,)).

    Raises
    ------
    InputError
        As :func:`simulate_spiked_rf`.
    """
    s, _, _ = _validate(d=d, alpha=1.0, beta=beta, r=r, c=c, gamma=gamma, activation="tanh",
                        target="tanh", Delta=0.0, lam=1.0, n_test=1)
    check_resources(simulate_spiked_rf, {"d": d, "alpha": 1.0, "beta": beta, "n_test": 1})
    net = _SRF(s, seed)
    return {"W1": net.W1, "W": net.W, "vhat": net.vhat, "eperp": net.eperp,
            "theta_star": net.theta}


def simulate_spiked_rf(*, d: int, alpha, beta: float = 1.0, r: float, c: float = 1.0,
                       gamma: float = 1.0, activation="tanh", target="tanh",
                       Delta: float = 0.0, lam: float = 1e-2, seeds: int = 3,
                       first_seed: int = 0, n_test: int = 5000, cache: str | None = None,
                       progress: Callable | bool | None = None) -> Any:
    r"""The sRF model with a ridge readout at size ``d``, over seeds; mean +- standard error.

    Setting and observables in the module docstring (arXiv:2402.04980v2, Definition 3.1, the
    authors' code normalisation; the (r, c, gamma) of a network after one step are given by
    :func:`theory.simulate.one_step.predicted_map`).

    Parameters
    ----------
    d : int
        Input dimension (>= 2).
    alpha : float or list of float
        :math:`n/d > 0` (n = round(alpha d) >= 1). A list: per seed one W, one test set and
        nested prefixes of one readout sample (points of one seed correlated along alpha).
    beta : float, default 1.0
        Width ratio :math:`p/d > 0`.
    r : float
        Spike strength :math:`r \ge 0` (:math:`W^1 = W + r\mathbf 1_p\hat v^\top`).
    c : float, default 1.0
        Squared row norm of :math:`W` (> 0).
    gamma : float, default 1.0
        Overlap :math:`\langle\hat v, \theta_\star\rangle \in [-1, 1]`.
    activation : str or sympy.Expr, default "tanh"
        :math:`\sigma`, registry name or expression in x.
    target : str or sympy.Expr, default "tanh"
        :math:`g`, registry name or expression in x.
    Delta : float, default 0.0
        Label-noise variance (>= 0) of the readout labels (the test error is against the
        noiseless target).
    lam : float, default 1e-2
        Ridge penalty of :math:`\lambda\|a\|^2` (> 0).
    seeds : int, default 3
        Number of seeds (>= 1).
    first_seed : int, default 0
        First seed.
    n_test : int, default 5000
        Test points per seed.
    cache : str or None, optional
        Folder where each finished seed is stored (atomically) and reused.
    progress : callable, bool or None, optional
        ``progress(done, total)`` after each seed; True prints a line on stderr.

    Returns
    -------
    Simulation or list of Simulation
        One Simulation (a single alpha) or one per alpha (a list, in the given order):
        observables ``test_error``, ``train_loss``, ``q_a``, ``m``, ``zeta``, ``psi``, ``q1``,
        ``q2``; ``seconds`` the wall time of the whole call.

    Raises
    ------
    InputError
        ``d`` < 2, ``beta`` <= 0, p < 2, ``r`` < 0, ``c`` <= 0, ``gamma`` outside [-1, 1],
        ``Delta`` < 0, ``lam`` <= 0, ``alpha`` <= 0 (or an empty list, or n < 1), ``seeds`` or
        ``n_test`` < 1, an activation or target that is not a function of one variable.

    Examples
    --------
    >>> sim = simulate_spiked_rf(d=40, alpha=1.0, r=0.5, c=1.0, gamma=0.8, seeds=2,
    ...                          n_test=200)
    >>> 0 < sim.mean("test_error") < 1
    True
    """
    s, alphas, single = _validate(d=d, alpha=alpha, beta=beta, r=r, c=c, gamma=gamma,
                                  activation=activation, target=target, Delta=Delta, lam=lam,
                                  n_test=n_test)
    if not (isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool)
            and seeds >= 1):
        raise InputError("seeds", seeds, "an integer >= 1")
    if not (isinstance(first_seed, (int, np.integer)) and not isinstance(first_seed, bool)):
        raise InputError("first_seed", first_seed, "an integer")
    check_resources(simulate_spiked_rf, {"d": d, "alpha": alphas, "beta": beta,
                                         "n_test": n_test})  # before any array is allocated
    s["ns"] = [round(a * d) for a in alphas]
    s["alphas"] = alphas
    key = hashlib.sha256(json.dumps(s, sort_keys=True).encode()).hexdigest()[:16]
    t0 = time.perf_counter()
    if progress is True:
        def progress(k, tot):
            print(f"spiked_rf d={d}: seed {k}/{tot} ({time.perf_counter() - t0:.1f} s)",
                  file=sys.stderr, flush=True)
    obs, per, cached = run_seeds(lambda k: _SRF(s, k).run(), prefix="srf", key=key,
                                 cache=cache, first_seed=int(first_seed), seeds=int(seeds),
                                 progress=progress)
    s.pop("alphas")
    sims = _split(s, alphas, obs, per, time.perf_counter() - t0, cached, common=())
    if single:
        sims[0].settings.pop("alphas")
        return sims[0]
    return sims
