r"""Finite-size simulation of random-features learning (independent of :mod:`theory.models`).

The setting of Gerace et al. 2020 (arXiv:2002.09339v2, Sec. 2): inputs
:math:`c \sim \mathcal N(0, I_d)`, projection :math:`F \in \mathbb R^{d\times p}` with i.i.d.
:math:`\mathcal N(0, 1)` entries, features :math:`x = \sigma(F^\top c/\sqrt d) \in \mathbb R^p`,
teacher :math:`y = f_0(\omega_0) + F_\star\,\mathrm{He}_2(\omega_0/\sqrt\rho)/\sqrt2 +
\sqrt\Delta\,\zeta` with :math:`\omega_0 = \theta\cdot c/\sqrt d`, :math:`\|\theta\|^2 = \rho d`
(the :math:`F_\star` term is a purely nonlinear part of norm :math:`F_\star`, as in Mei &
Montanari's target), and the estimator

.. math:: \hat w = \operatorname{argmin}_w \sum_{\mu=1}^n \ell(y^\mu, x^\mu\cdot w/\sqrt p)
          + \frac\lambda2 \|w\|^2 .

With ``sphere=True`` the inputs and the rows of :math:`F^\top` are rescaled to the sphere of
radius :math:`\sqrt d` (Mei & Montanari's setting, arXiv:1908.05355v5 Sec. 2).

``gaussian_equivalent=True`` replaces the features by
:math:`\mu_0 + \mu_1 F^\top c/\sqrt d + \mu_\star \xi`, :math:`\xi \sim \mathcal N(0, I_p)` (the
Gaussian equivalence principle), with the same seed for :math:`F, c, \theta`, the label noise
and the test set, so that a real run and its Gaussian twin are paired.

The loss and the teacher are the objects of :mod:`theory.losses` (a registry name, e.g.
``"huber(delta=0.5)"``, or an instance): labels come from the channel's ``sample``, the fit is
the loss's ``erm`` -- L-BFGS on the primal with the loss's value and gradient by default; the
square loss overrides it with the closed form (primal or dual, whichever is smaller), the hinge
loss with L-BFGS-B on the box-constrained dual
:math:`\max_{0\le a\le 1} \sum_\mu a_\mu - \|\sum_\mu a_\mu y^\mu x^\mu\|^2/(2\lambda p)`.
Each run reports the optimiser's gradient norm; a run that did not reach it raises.

Observables per seed, then mean and standard error over seeds, named as in the models
(:mod:`theory.conventions`): ``test_error`` (linear and tanh teachers:
:math:`\mathbb E(f_0 + F_\star\mathrm{He}_2/\sqrt2 - \hat y)^2` on a fresh test set against the
noiseless target; sign teacher: ``test_error_clean``), for the sign teacher
``test_error_clean`` (:math:`P(\operatorname{sign}\hat y \ne \operatorname{sign}\omega_0)`, against
the clean label), ``test_error_noisy`` (:math:`P(\operatorname{sign}\hat y \ne y)` against fresh
noisy labels :math:`y = \operatorname{sign}(\omega_0 + \sqrt\Delta\zeta)`) and ``test_mse``
(:math:`\mathbb E(\operatorname{sign}\omega_0 + F_\star\mathrm{He}_2/\sqrt2 - \hat y)^2`),
``train_loss`` (:math:`\frac1n\sum\ell`),
``train_objective`` (``train_loss`` + :math:`\lambda\|w\|^2/(2n)`), ``q_w`` = :math:`\|w\|^2/p`,
``q_s`` = :math:`\|Fw\|^2/(pd)`, ``m_s`` = :math:`\theta\cdot Fw/(d\sqrt p)`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from ._seeds import run_seeds
from .resources import check_resources
from ..errors import InputError
from ..losses import CHANNELS, LOSSES, get_channel, get_loss

__all__ = ["simulate_random_features", "Simulation", "LOSSES", "TEACHERS"]

#: the registries of :mod:`theory.losses` (names of losses and of teacher channels)
TEACHERS = CHANNELS


@dataclass
class Simulation:
    r"""Mean and standard error over seeds of every observable.

    ``observables[name] = (mean, standard error)``; ``per_seed[name]`` the raw values;
    ``settings`` what was simulated; ``seconds`` the wall time (cached seeds cost nothing).

    Attributes
    ----------
    settings : dict
        What was simulated: the arguments of :func:`simulate_random_features` as used (the loss
        and teacher as their names, numbers as floats) and ``mu`` = [mu0, mu1, mu_star] of the
        activation.
    observables : dict {str: (float, float)}
        Mean and standard error over the seeds of each observable (standard error NaN for one
        seed).
    per_seed : dict {str: list of float}
        The value of each observable at each seed (and the optimiser's ``gradient_norm``).
    seconds : float
        Wall time.
    cached : int
        Number of seeds read from the cache instead of simulated.
    machine : dict
        Where it ran (``cpus``).
    """

    settings: dict
    observables: dict
    per_seed: dict
    seconds: float
    cached: int = 0
    machine: dict = field(default_factory=dict)

    def mean(self, name: str) -> float:
        r"""Mean over the seeds of one observable.

        Parameters
        ----------
        name : str
            An observable (a key of :attr:`observables`).

        Returns
        -------
        float
            Its mean.
        """
        return self.observables[name][0]

    def se(self, name: str) -> float:
        r"""Standard error of the mean over the seeds of one observable.

        Parameters
        ----------
        name : str
            An observable (a key of :attr:`observables`).

        Returns
        -------
        float
            std(ddof=1)/sqrt(seeds); NaN with one seed.
        """
        return self.observables[name][1]

    def to_dict(self) -> dict:
        r"""Every field as a plain dict (``dataclasses.asdict``), JSON-ready.

        Returns
        -------
        dict
            ``settings``, ``observables``, ``per_seed``, ``seconds``, ``cached``, ``machine``.
        """
        return asdict(self)


def _check(name, v, ok, allowed):
    if not ok(v):
        raise InputError(name, v, allowed)


class _Problem:
    """One seed: data, features, fit, observables."""

    def __init__(self, s: dict, seed: int, loss=None, teacher=None):
        self.s = s
        self.loss = get_loss(s["loss"] if loss is None else loss)
        self.teacher = get_channel(s["teacher"] if teacher is None else teacher)
        self.rng = np.random.default_rng([seed, 20260521])
        self.rng_xi = np.random.default_rng([seed, 20260521, 1])  # GE noise: own stream
        d, p = s["d"], s["p"]
        self.F = self.rng.standard_normal((d, p))
        if s["sphere"]:
            self.F *= math.sqrt(d) / np.linalg.norm(self.F, axis=0)
        th = self.rng.standard_normal(d)
        self.theta = th * math.sqrt(s["rho"] * d) / np.linalg.norm(th)
        from ..numeric.bridge import numpy_function
        from ..symbolic.activations import get_activation, x as X

        self.sigma = numpy_function(get_activation(s["activation"]).expr, (X,))

    def data(self, n, rng, noise=True):
        s, d, p = self.s, self.s["d"], self.s["p"]
        c = rng.standard_normal((n, d))
        if s["sphere"]:
            c *= math.sqrt(d) / np.linalg.norm(c, axis=1, keepdims=True)
        pre = c @ (self.F / math.sqrt(d))
        if s["gaussian_equivalent"]:
            mu0, mu1, mus = s["mu"]
            X = mu0 + mu1 * pre + mus * self.rng_xi.standard_normal((n, p))
        else:
            X = np.asarray(self.sigma(pre), dtype=float)
            if X.shape != pre.shape:
                X = np.broadcast_to(X, pre.shape).copy()
        w0 = c @ (self.theta / math.sqrt(d))
        clean = self.teacher.clean(w0)
        nl = None
        if s["Fstar"]:
            nl = s["Fstar"] * (w0**2 / s["rho"] - 1.0) / math.sqrt(2.0)
            clean = clean + nl
        zeta = rng.standard_normal(n)  # drawn always: real and Gaussian twins stay paired
        y = self.teacher.sample(w0, zeta, noise=s["Delta"] if noise else 0.0, nonlinear=nl)
        return X, y, clean, w0

    def fit(self, X, y):
        """The loss object's empirical risk minimiser on features / sqrt(p)."""
        return self.loss.erm(X / math.sqrt(self.s["p"]), y, self.s["lam"])

    def run(self) -> dict:
        s, p, d = self.s, self.s["p"], self.s["d"]
        X, y, _, _ = self.data(s["n"], self.rng)
        w, gnorm = self.fit(X, y)
        lam, n = s["lam"], s["n"]
        yhat = X @ w / math.sqrt(p)
        losses = self.loss.value(y, yhat)
        out = {"train_loss": float(losses.mean())}
        out["train_objective"] = out["train_loss"] + lam * float(w @ w) / (2 * n)
        Fw = self.F @ w
        out["q_w"] = float(w @ w) / p
        out["q_s"] = float(Fw @ Fw) / (p * d)
        out["m_s"] = float(self.theta @ Fw) / (d * math.sqrt(p))
        se2 = ce = cn = 0.0
        left = s["n_test"]
        while left > 0:  # test set in blocks (memory); fresh noisy labels next to clean ones
            m = min(left, 4096)
            Xt, yn, clean, w0 = self.data(m, self.rng)
            yt = Xt @ w / math.sqrt(p)
            se2 += float(((clean - yt) ** 2).sum())
            ce += float(((yt >= 0) != (w0 >= 0)).sum())
            cn += float(((yt >= 0) != (yn >= 0)).sum())
            left -= m
        nt = s["n_test"]
        if self.teacher.discrete:  # the names of theory.conventions (as rf_convex reports them)
            out["test_error"] = out["test_error_clean"] = ce / nt
            out["test_error_noisy"] = cn / nt
            out["test_mse"] = se2 / nt
        else:
            out["test_error"] = se2 / nt
        out["gradient_norm"] = gnorm
        return out


def _key(settings: dict) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def simulate_random_features(*, d: int, p: int, n: int, activation: str = "erf",
                             loss="square", lam: float = 1e-2, teacher="linear",
                             rho: float = 1.0, Delta: float = 0.0, Fstar: float = 0.0,
                             seeds: int = 10, first_seed: int = 0,
                             gaussian_equivalent: bool = False, sphere: bool = False,
                             n_test: int = 4000, cache: str | None = None,
                             progress: Callable | None = None) -> Simulation:
    r"""Train random features at size ``d`` over ``seeds`` seeds; mean +- standard error.

    The setting and the observables are those of the module docstring (Gerace et al.,
    arXiv:2002.09339v2, Sec. 2; Mei & Montanari, arXiv:1908.05355v5, Sec. 2 with
    ``sphere=True``).

    Parameters
    ----------
    d : int
        Input dimension (>= 1).
    p : int
        Number of features (>= 1).
    n : int
        Number of training samples (>= 1).
    activation : str, default "erf"
        Registry name or expression in x (see ``theory activations``).
    loss : str or Loss, default "square"
        A :mod:`theory.losses` name ("square", "logistic", "hinge", "huber",
        "huber(delta=0.5)", ...; margin losses need labels +-1: teacher "sign") or a Loss.
    lam : float, default 1e-2
        Ridge penalty :math:`\lambda` of :math:`\frac\lambda2\|w\|^2` (> 0).
    teacher : str or Channel, default "linear"
        A :mod:`theory.losses` channel name ("linear", "sign", "tanh") or a Channel.
    rho : float, default 1.0
        :math:`\|\theta\|^2/d` (> 0).
    Delta : float, default 0.0
        Label-noise variance :math:`\Delta` (>= 0; sign teacher: on the pre-activation).
    Fstar : float, default 0.0
        Norm :math:`F_\star` of the nonlinear part
        :math:`F_\star\mathrm{He}_2(\omega_0/\sqrt\rho)/\sqrt2` of the target (>= 0; square loss
        only).
    seeds : int, default 10
        Number of independent runs (>= 1).
    first_seed : int, default 0
        Seed of the first run; runs use ``first_seed, ..., first_seed + seeds - 1``.
    gaussian_equivalent : bool, default False
        Features :math:`\mu_0 + \mu_1 F^\top c/\sqrt d + \mu_\star\xi` (paired seeds).
    sphere : bool, default False
        Inputs and projections on the sphere of radius :math:`\sqrt d` (Mei-Montanari).
    n_test : int, default 4000
        Test points per seed.
    cache : str or None, optional
        A folder; each finished seed is stored there and reused (a sweep can resume).
    progress : callable or None, optional
        ``progress(done, total)`` after each seed.

    Returns
    -------
    Simulation
        Mean and standard error of every observable, the raw values per seed and the settings.

    Raises
    ------
    InputError
        A size that is not an integer >= 1, ``lam``/``rho`` not > 0, ``Delta``/``Fstar``
        negative, a margin loss with a regression teacher, ``Fstar`` > 0 with a loss other than
        the square loss, an unknown loss, teacher or activation.
    ConvergenceError
        The fit of a seed did not reach its gradient tolerance.
    """
    for name, v in (("d", d), ("p", p), ("n", n), ("seeds", seeds), ("n_test", n_test)):
        _check(name, v, lambda t: isinstance(t, (int, np.integer)) and t >= 1,
               "an integer >= 1")
    _check("lam", lam, lambda t: math.isfinite(t) and t > 0, "a finite real number > 0")
    _check("rho", rho, lambda t: math.isfinite(t) and t > 0, "a finite real number > 0")
    _check("Delta", Delta, lambda t: math.isfinite(t) and t >= 0, "a finite real number >= 0")
    _check("Fstar", Fstar, lambda t: math.isfinite(t) and t >= 0, "a finite real number >= 0")
    loss_obj, teacher_obj = get_loss(loss), get_channel(teacher)
    if loss_obj.margin and not teacher_obj.discrete:
        raise InputError("teacher", teacher, f"a teacher with labels +-1 (sign) with the "
                         f"{loss_obj} loss")
    if Fstar and not (teacher_obj.accepts_fstar and loss_obj.exact_step(0, 1) is not None):
        raise InputError("Fstar", Fstar, f"0 with the {loss_obj} loss and the {teacher_obj} "
                         "teacher", hint="the target's He_2 part equals Gaussian noise of "
                         "variance Fstar^2 only for the square loss (second moments)")
    from ..numeric.hermite import hermite_expansion
    from ..symbolic.activations import get_activation

    get_activation(activation)  # validates
    h = hermite_expansion(activation, 2, exact=False)
    settings = {"d": int(d), "p": int(p), "n": int(n), "activation": activation,
                "loss": str(loss_obj), "lam": float(lam), "teacher": str(teacher_obj),
                "rho": float(rho), "Delta": float(Delta), "Fstar": float(Fstar),
                "gaussian_equivalent": bool(gaussian_equivalent), "sphere": bool(sphere),
                "n_test": int(n_test),
                "mu": [float(h.mu[0]), float(h.mu[1]), float(h.mu_star)]}
    check_resources(simulate_random_features, settings)  # before any array is allocated
    t0 = time.perf_counter()
    obs, per, cached = run_seeds(
        lambda k: _Problem(settings, k, loss_obj, teacher_obj).run(), prefix="rf",
        key=_key(settings), cache=cache, first_seed=first_seed, seeds=seeds, progress=progress,
        skip=("gradient_norm",))
    return Simulation(settings, obs, per, time.perf_counter() - t0, cached,
                      {"cpus": os.cpu_count()})
