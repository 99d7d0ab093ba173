r"""Gaussian mixtures at finite size: ERM by convex solvers, and linear separability by LP.

Independent of :mod:`theory.models` (it tests :mod:`theory.models.gmm_binary` and
:mod:`theory.models.gmm_multiclass`). Setting of Loureiro, Sicuro, Gerbelot, Pacco, Krzakala,
Zdeborová, "Learning Gaussian Mixtures with Generalised Linear Models: Precise Asymptotics in
High-dimensions", NeurIPS 2021 (arXiv:2106.03791v2, Sec. 2), in the normalisation of the
authors' code (IdePHICS/GaussMixtureProject; digest ``shared/papers/gmm-digest.md`` Sec. 2.2,
2.3; the session spec ``coord/SPEC.md``, issue 12 conventions):

* **binary**: :math:`y = \pm1`, :math:`P(y = +1) = \rho`,
  :math:`x = (y\mu + \Sigma^{1/2}z)/\sqrt d`, :math:`z \sim \mathcal N(0, I_d)`. The mean is
  normalised to :math:`\|\mu\|^2 = 1` exactly (entries of order :math:`1/\sqrt d`; the mean of
  :math:`x` is then comparable to the noise of :math:`x` along one direction, and
  :math:`m, q = O(1)` for :math:`w` with O(1) entries): "dense" :math:`\mu` is a Gaussian vector
  rescaled; "sparse" :math:`\mu` is a Gaussian vector on ``round(rho_s d)``
  coordinates (entries of variance :math:`1/(\rho_s d)` before the exact rescaling), zero
  elsewhere; the support is the first coordinates for isotropic :math:`\Sigma` and a uniformly
  random subset, independent of the blocks, otherwise (the convention of
  :mod:`theory.models.gmm_binary`).
  :math:`\Sigma` is diagonal: :math:`\Delta I` or, with ``blocks = [(p_1, Delta_1), ...]``,
  consecutive blocks of ``round(p_r d)`` coordinates of variance :math:`\Delta_r`, the first
  block starting at coordinate 0.
  ERM :math:`\sum_\nu \ell(y_\nu, w\cdot x_\nu + b) + \lambda r(w)`,
  :math:`r = \|w\|^2/2` ("l2") or :math:`\|w\|_1` ("l1"), :math:`n = \mathrm{round}(\alpha d)`;
  losses square :math:`(y - z)^2/2`, logistic :math:`\log(1 + e^{-yz})`, hinge
  :math:`\max(0, 1 - yz)`; the intercept :math:`b` is not penalised.
* **multi-class**: :math:`y = e_k` with :math:`P = \rho_k`,
  :math:`x = (\mu_k + \sqrt\Delta z)/\sqrt d`, Gram matrix :math:`\mu_j\cdot\mu_k` equal to
  the simplex :math:`\frac K{K-1}(I - \mathbf 1\mathbf 1^\top/K)` or :math:`I_K`
  ("orthonormal"), the means spanning a random K-dimensional subspace. ERM
  :math:`\sum_\nu \ell(y_\nu, Wx_\nu + b) + \lambda\|W\|_F^2/2`, :math:`W \in \mathbb R^{K\times d}`,
  losses square :math:`\|y - z\|^2/2` and cross-entropy
  :math:`-\log\mathrm{softmax}(z)_k` (multinomial logistic, all K rows penalised).

Solvers (SciPy; scikit-learn is not a dependency of the project, and its LinearSVC penalises the
intercept): square + l2 in closed form (centred data, :math:`(X^\top X + \lambda I)^{-1}X^\top y`,
intercept from the means); logistic + l2 and cross-entropy by Newton-CG with exact Hessian-vector
products; l1 penalties by L-BFGS-B on :math:`w = u - v`, :math:`u, v \ge 0` (a smooth
bound-constrained problem with the same minimiser); hinge + l2 through its dual: for a fixed
intercept :math:`b` the box-constrained dual
:math:`\max_{0\le a\le 1}\sum_\nu a_\nu(1 - y_\nu b) - \|\sum_\nu a_\nu y_\nu x_\nu\|^2/(2\lambda)`
by L-BFGS-B, and :math:`b` by Brent's method on :math:`\sum_\nu a_\nu(b) y_\nu = 0` (the
derivative of the convex profile in :math:`b`); hinge + l1 is a linear programme (HiGHS).
Every fit is certified: its KKT residual (:func:`kkt_residual`, the sup norm of the
stationarity, complementary-slackness and constraint residuals divided by n) is stored per seed
as ``kkt`` and a fit above ``1e-6`` raises :class:`~theory.errors.ConvergenceError`.

Observables per seed, then mean and standard error over seeds: binary ``test_error`` (exact
given the fitted w: :math:`w\cdot x + b \sim \mathcal N(ym + b, q)` on a fresh point, so
:math:`\varepsilon_g = \rho Q(\frac{m+b}{\sqrt q}) + (1-\rho)Q(\frac{m-b}{\sqrt q})`,
:math:`Q(t) = \Phi(-t)`; no test set), ``train_error`` (0-1 error on the training set),
``train_loss`` (:math:`\frac1n\sum_\nu\ell`, without the penalty), ``m`` :math:`=
\mu\cdot w/\sqrt d`, ``q`` :math:`= w^\top\Sigma w/d`, ``b``, ``norm`` :math:`= \|w\|^2/d`.
Multi-class: ``test_error`` (given (M, Q, b) the scores of a fresh point of class k are
:math:`\mathcal N(M_{:,k} + b, Q)`; the probability of a wrong argmax is estimated by
Monte Carlo in K dimensions, 200 000 draws per class, standard deviation < 1.2e-3, included
in the seed-to-seed spread), ``train_error``, ``train_loss``, ``M[j,k]`` :math:`=
w_j\cdot\mu_k/\sqrt d`, ``Q[j,k]`` :math:`= \Delta w_j\cdot w_k/d`, ``b[j]`` (cross-entropy: b
is defined up to a common shift and reported centred, :math:`\sum_j b_j = 0`).

:func:`separable_fraction`: the fraction of instances (multi-class data model above, K >= 2)
for which a linear classifier with intercepts separates the training set: the LP feasibility of
:math:`(w_{y_\nu} - w_j)\cdot x_\nu + b_{y_\nu} - b_j \ge 1` for all :math:`\nu`,
:math:`j \ne y_\nu` (K = 2: :math:`y_\nu(w\cdot x_\nu + b) \ge 1`), by
:func:`scipy.optimize.linprog` (HiGHS).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import optimize, sparse
from scipy.special import expit, log_expit, logsumexp, softmax

from ._seeds import run_seeds
from .resources import check_resources
from .random_features import Simulation
from ..errors import ConvergenceError, InputError
from ..symbolic.atoms import _np_H as _Q  # Q(t) = Phi(-t), the package's one normal tail

__all__ = ["simulate_gmm_binary", "simulate_gmm_multiclass", "separable_fraction",
           "separability_crossings", "max_margin",
           "kkt_residual", "fit_binary", "fit_multiclass", "gmm_binary_data",
           "gmm_multiclass_data"]

#: a fit whose KKT residual (per sample) exceeds this raises ConvergenceError
KKT_TOL = 1e-6
_BIN_LOSSES = ("square", "logistic", "hinge")
_MULTI_LOSSES = ("square", "cross_entropy")


# ----------------------------------------------------------------------------- validation
def _int(name, v, lo):
    if not (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= lo):
        raise InputError(name, v, f"an integer >= {lo}")
    return int(v)


def _real(name, v, lo, strict, allowed, hi=None):
    ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
    ok = ok and math.isfinite(float(v)) and (float(v) > lo if strict else float(v) >= lo)
    ok = ok and (hi is None or float(v) <= hi)
    if not ok:
        raise InputError(name, v, allowed)
    return float(v)


def _alphas(alpha, d):
    single = not isinstance(alpha, (list, tuple, np.ndarray))
    vals = [alpha] if single else list(np.asarray(alpha, dtype=object).ravel())
    if not vals:
        raise InputError("alpha", alpha, "a number or a non-empty list of numbers > 0")
    out = []
    for a in vals:
        a = _real("alpha", a, 0.0, True, "a number or a non-empty list of numbers > 0")
        if round(a * d) < 2:
            raise InputError("alpha", a, f"a number with n = round(alpha d) >= 2 at d = {d}")
        out.append(a)
    return out, single


def _weights(rho, K):
    """The class weights: uniform for None; else K numbers >= 0 summing to 1."""
    if rho is None:
        return [1.0 / K] * K
    r = np.asarray(rho, dtype=float).ravel() if not isinstance(rho, str) else None
    if r is None or r.size != K or not np.all(np.isfinite(r)) or np.any(r < 0) \
            or abs(r.sum() - 1) > 1e-12:
        raise InputError("rho", rho, f"None (uniform) or {K} weights >= 0 summing to 1")
    return [float(t) for t in r]


def _blocks(blocks, d):
    if blocks is None:
        return None
    try:
        bl = [(float(p), float(D)) for p, D in blocks]
    except (TypeError, ValueError):
        raise InputError("blocks", blocks, "None or a list of (fraction, variance) pairs") \
            from None
    if not bl or any(not (math.isfinite(p) and p > 0) for p, _ in bl) \
            or abs(sum(p for p, _ in bl) - 1) > 1e-12:
        raise InputError("blocks", blocks, "(fraction, variance) pairs with fractions > 0 "
                         "summing to 1")
    if any(not (math.isfinite(D) and D > 0) for _, D in bl):
        raise InputError("blocks", blocks, "variances > 0 (a positive definite covariance)")
    return bl


def _key(settings: dict) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def _progress(progress, label, t0):
    if progress is True:
        def progress(k, tot):
            print(f"{label}: {k}/{tot} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr,
                  flush=True)
    return progress


# ----------------------------------------------------------------------------- data
def _binary_instance(s: dict, rng) -> tuple[np.ndarray, np.ndarray]:
    """(mu with ||mu||^2 = 1, diagonal of Sigma) of one seed."""
    d = s["d"]
    if s["means"] == "dense":
        mu = rng.standard_normal(d)
    else:
        k = max(1, round(s["rho_s"] * d))
        mu = np.zeros(d)
        if s["blocks"] is None:  # isotropic: the support's place is immaterial
            mu[:k] = rng.standard_normal(k)
        else:  # a uniformly random support, independent of the blocks (as gmm_binary)
            mu[rng.choice(d, size=k, replace=False)] = rng.standard_normal(k)
    mu /= np.linalg.norm(mu)
    if s["blocks"] is None:
        sig = np.full(d, s["Delta"])
    else:
        sig = np.empty(d)
        start = 0
        for r, (p, D) in enumerate(s["blocks"]):
            stop = d if r == len(s["blocks"]) - 1 else min(d, start + round(p * d))
            sig[start:stop] = D
            start = stop
    return mu, sig


def gmm_binary_data(n: int, mu: np.ndarray, sigma_diag: np.ndarray, rho: float,
                    rng) -> tuple[np.ndarray, np.ndarray]:
    r"""n samples of the two-cluster mixture :math:`x = (y\mu + \Sigma^{1/2}z)/\sqrt d`.

    Parameters
    ----------
    n : int
        Number of samples.
    mu : ndarray, shape (d,)
        The mean (the module's normalisation is :math:`\|\mu\|^2 = 1`).
    sigma_diag : ndarray, shape (d,)
        Diagonal of :math:`\Sigma` (> 0).
    rho : float
        :math:`P(y = +1)`.
    rng : numpy.random.Generator
        The random stream.

    Returns
    -------
    X : ndarray, shape (n, d)
        The inputs (rows :math:`x_\nu`).
    y : ndarray, shape (n,)
        Labels :math:`\pm 1`.
    """
    d = mu.size
    y = np.where(rng.random(n) < rho, 1.0, -1.0)
    X = (np.outer(y, mu) + rng.standard_normal((n, d)) * np.sqrt(sigma_diag)) / math.sqrt(d)
    return X, y


def _mean_matrix(K: int, d: int, means: str, rng) -> np.ndarray:
    """K x d means with Gram mu_j . mu_k = simplex or identity, random subspace."""
    G, _ = np.linalg.qr(rng.standard_normal((d, K)))
    if means == "simplex":
        V = math.sqrt(K / (K - 1)) * (np.eye(K) - 1.0 / K)
    else:
        V = np.eye(K)
    return V @ G.T


def gmm_multiclass_data(n: int, mus: np.ndarray, Delta: float, rho, rng
                        ) -> tuple[np.ndarray, np.ndarray]:
    r"""n samples of the K-cluster mixture :math:`x = (\mu_k + \sqrt\Delta z)/\sqrt d`.

    Parameters
    ----------
    n : int
        Number of samples.
    mus : ndarray, shape (K, d)
        The means (rows; the module's normalisation is :math:`\|\mu_k\|^2 = 1`).
    Delta : float
        Noise variance (> 0).
    rho : sequence of float
        Class weights (K, summing to 1).
    rng : numpy.random.Generator
        The random stream.

    Returns
    -------
    X : ndarray, shape (n, d)
        The inputs.
    labels : ndarray of int, shape (n,)
        Class index in 0..K-1 (the one-hot :math:`y = e_k`).
    """
    K, d = mus.shape
    lab = rng.choice(K, size=n, p=np.asarray(rho, float))
    X = (mus[lab] + math.sqrt(Delta) * rng.standard_normal((n, d))) / math.sqrt(d)
    return X, lab


# ----------------------------------------------------------------------------- losses
def _bin_loss(loss, y, z):
    """Per-sample loss value and derivative in z, shape (n,)."""
    if loss == "square":
        return 0.5 * (y - z) ** 2, z - y
    if loss == "logistic":
        return -log_expit(y * z), -y * expit(-y * z)
    return np.maximum(0.0, 1 - y * z), None


def _ce(Z, lab):
    """Cross-entropy value per sample and its gradient in Z (n x K)."""
    lse = logsumexp(Z, axis=1)
    val = lse - Z[np.arange(len(lab)), lab]
    G = softmax(Z, axis=1)
    G[np.arange(len(lab)), lab] -= 1.0
    return val, G


# ----------------------------------------------------------------------------- binary fits
def _fit_square_l2(X, y, lam, intercept):
    if intercept:
        xm, ym = X.mean(0), y.mean()
        Xc, yc = X - xm, y - ym
    else:
        Xc, yc, xm, ym = X, y, np.zeros(X.shape[1]), 0.0
    n, d = X.shape
    if n >= d:
        w = np.linalg.solve(Xc.T @ Xc + lam * np.eye(d), Xc.T @ yc)
    else:
        w = Xc.T @ np.linalg.solve(Xc @ Xc.T + lam * np.eye(n), yc)
    return w, float(ym - xm @ w), None


def _fit_logistic_l2(X, y, lam, intercept, w0=None):
    n, d = X.shape
    nb = 1 if intercept else 0

    def split(t):
        return t[:d], (t[d] if intercept else 0.0)

    def f(t):
        w, b = split(t)
        z = X @ w + b
        v = -log_expit(y * z)
        g = -y * expit(-y * z)
        out = np.empty(d + nb)
        out[:d] = X.T @ g + lam * w
        if intercept:
            out[d] = g.sum()
        return float(v.sum() + 0.5 * lam * w @ w), out

    def hessp(t, p):
        w, b = split(t)
        z = X @ w + b
        s = expit(y * z)
        h = s * (1 - s)
        pw, pb = split(p)
        u = h * (X @ pw + pb)
        out = np.empty(d + nb)
        out[:d] = X.T @ u + lam * pw
        if intercept:
            out[d] = u.sum()
        return out

    t0 = np.zeros(d + nb) if w0 is None else w0
    res = optimize.minimize(f, t0, jac=True, hessp=hessp, method="trust-ncg",
                            options={"gtol": 1e-10 * n, "maxiter": 500})
    w, b = split(res.x)
    return w, float(b), None


def _fit_l1_smooth(X, y, lam, intercept, loss):
    """Smooth loss + lam ||w||_1 by L-BFGS-B on w = u - v (u, v >= 0)."""
    n, d = X.shape
    nb = 1 if intercept else 0

    def f(t):
        u, v = t[:d], t[d:2 * d]
        w = u - v
        b = t[2 * d] if intercept else 0.0
        val, g = _bin_loss(loss, y, X @ w + b)
        gw = X.T @ g
        out = np.empty(2 * d + nb)
        out[:d] = gw + lam
        out[d:2 * d] = -gw + lam
        if intercept:
            out[2 * d] = g.sum()
        return float(val.sum() + lam * t[:2 * d].sum()), out

    bounds = [(0, None)] * (2 * d) + [(None, None)] * nb
    res = optimize.minimize(f, np.zeros(2 * d + nb), jac=True, method="L-BFGS-B",
                            bounds=bounds, options={"maxiter": 100000, "maxfun": 200000,
                                                    "ftol": 0, "gtol": 1e-11 * n,
                                                    "maxcor": 30})
    t = res.x
    w = t[:d] - t[d:2 * d]
    return w, float(t[2 * d] if intercept else 0.0), None


def _hinge_dual_at(X, y, lam, b, a0):
    """argmax_{0<=a<=1} sum a (1 - y b) - ||X^T(a y)||^2/(2 lam)  (L-BFGS-B)."""
    n = len(y)
    c = 1.0 - y * b

    def f(a):
        w = X.T @ (a * y) / lam
        return float(0.5 * lam * w @ w - c @ a), y * (X @ w) - c

    res = optimize.minimize(f, a0, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * n,
                            options={"maxiter": 50000, "maxfun": 100000, "ftol": 0,
                                     "gtol": 1e-12, "maxcor": 30})
    return res.x


def _fit_hinge_l2(X, y, lam, intercept):
    n = len(y)
    state = {"a": np.full(n, 0.5)}

    def g(b):
        a = _hinge_dual_at(X, y, lam, b, state["a"])
        state["a"] = a
        state[b] = a
        return float(a @ y)

    if intercept:
        lo, hi = -1.0, 1.0
        glo, ghi = g(lo), g(hi)
        # g(b) = sum a y = -F'(b) decreases (F, the profile in b, is convex): bracket its root
        while glo < 0:
            lo, hi, ghi = 2 * lo, lo, glo
            glo = g(lo)
        while ghi > 0:
            lo, hi, glo = hi, 2 * hi, ghi
            ghi = g(hi)
        b = optimize.brentq(g, lo, hi, xtol=1e-13, rtol=1e-13)
        a = state[b] if b in state else _hinge_dual_at(X, y, lam, b, state["a"])
    else:
        b = 0.0
        a = _hinge_dual_at(X, y, lam, 0.0, state["a"])
    w = X.T @ (a * y) / lam
    return w, float(b), a


def _fit_hinge_l1(X, y, lam, intercept):
    """min sum xi + lam sum(u + v), xi >= 1 - y (X(u - v) + b), xi, u, v >= 0 (HiGHS)."""
    n, d = X.shape
    nb = 1 if intercept else 0
    YX = y[:, None] * X
    A = sparse.hstack([sparse.csr_matrix(-YX), sparse.csr_matrix(YX),
                       sparse.csr_matrix(-y[:, None]) if intercept else
                       sparse.csr_matrix((n, 0)), -sparse.eye(n)], format="csr")
    c = np.concatenate([np.full(2 * d, lam), np.zeros(nb), np.ones(n)])
    bounds = [(0, None)] * (2 * d) + [(None, None)] * nb + [(0, None)] * n
    res = optimize.linprog(c, A_ub=A, b_ub=-np.ones(n), bounds=bounds, method="highs",
                           options={"primal_feasibility_tolerance": 1e-10,
                                    "dual_feasibility_tolerance": 1e-10})
    if res.status != 0:
        raise ConvergenceError(f"hinge + l1 LP: HiGHS status {res.status} ({res.message})",
                               float("nan"), KKT_TOL, failure="residual")
    t = res.x
    # the dual of the margin constraints (a in [0, 1]) certifies optimality in kkt_residual
    a = -np.asarray(res.ineqlin.marginals)
    return t[:d] - t[d:2 * d], float(t[2 * d] if intercept else 0.0), a


def fit_binary(X: np.ndarray, y: np.ndarray, *, loss: str, penalty: str, lam: float,
               intercept: bool = True) -> tuple[np.ndarray, float, np.ndarray | None]:
    r"""The binary ERM :math:`\sum_\nu\ell(y_\nu, w\cdot x_\nu + b) + \lambda r(w)`.

    Solvers as in the module docstring (arXiv:2106.03791v2, Sec. 2, code normalisation).

    Parameters
    ----------
    X : ndarray, shape (n, d)
        Inputs (rows).
    y : ndarray, shape (n,)
        Labels :math:`\pm1`.
    loss : {"square", "logistic", "hinge"}
        The loss.
    penalty : {"l2", "l1"}
        :math:`\|w\|^2/2` or :math:`\|w\|_1`.
    lam : float
        :math:`\lambda > 0`.
    intercept : bool, default True
        Fit an unpenalised intercept :math:`b` (else b = 0).

    Returns
    -------
    w : ndarray, shape (d,)
        The minimiser.
    b : float
        The intercept.
    a : ndarray of shape (n,) or None
        Hinge loss: the dual variables in [0, 1] (a certificate for :func:`kkt_residual`).
    """
    if loss == "square" and penalty == "l2":
        return _fit_square_l2(X, y, lam, intercept)
    if loss == "logistic" and penalty == "l2":
        return _fit_logistic_l2(X, y, lam, intercept)
    if loss == "hinge" and penalty == "l2":
        return _fit_hinge_l2(X, y, lam, intercept)
    if loss == "hinge":
        return _fit_hinge_l1(X, y, lam, intercept)
    return _fit_l1_smooth(X, y, lam, intercept, loss)


def kkt_residual(X: np.ndarray, y: np.ndarray, w: np.ndarray, b, *, loss: str,
                 penalty: str = "l2", lam: float, intercept: bool = True,
                 a: np.ndarray | None = None) -> float:
    r"""KKT residual of a candidate ERM minimiser, per sample (0 at the exact minimiser).

    Binary (y of shape (n,), labels :math:`\pm1`): the sup norm, divided by n, of the
    stationarity residual :math:`\nabla_w\sum\ell + \lambda w` (l2) or its distance to
    :math:`-\lambda\,\partial\|w\|_1` (l1), of :math:`\partial_b\sum\ell` (with an intercept),
    and for the hinge loss (dual certificate ``a`` needed, in [0, 1]) of the stationarity
    :math:`\lambda w - \sum a_\nu y_\nu x_\nu` (l2), :math:`\sum a_\nu y_\nu`, and the
    complementary slackness :math:`a_\nu (y_\nu z_\nu - 1)_+`, :math:`(1 - a_\nu)(1 - y_\nu
    z_\nu)_+`. Multi-class (y of shape (n,) of class indices, w of shape (K, d), b of shape
    (K,)): the gradient of :math:`\sum\ell + \lambda\|W\|_F^2/2` in (W, b), divided by n.

    Parameters
    ----------
    X : ndarray, shape (n, d)
        Inputs.
    y : ndarray, shape (n,)
        Labels :math:`\pm1` (binary) or class indices (multi-class).
    w : ndarray, shape (d,) or (K, d)
        Candidate weights.
    b : float or ndarray of shape (K,)
        Candidate intercept(s).
    loss : {"square", "logistic", "hinge", "cross_entropy"}
        The loss ("cross_entropy" and a 2-d ``w`` with "square": multi-class).
    penalty : {"l2", "l1"}, default "l2"
        The penalty (multi-class: l2 only).
    lam : float
        :math:`\lambda`.
    intercept : bool, default True
        Whether b is a free (unpenalised) variable.
    a : ndarray of shape (n,), optional
        Hinge loss: the dual certificate.

    Returns
    -------
    float
        The residual (per sample).

    Raises
    ------
    InputError
        Hinge loss without ``a``.
    """
    n = X.shape[0]
    if np.ndim(w) == 2:
        K = w.shape[0]
        Z = X @ w.T + np.asarray(b)
        if loss == "square":
            Y = np.eye(K)[y]
            G = Z - Y
        else:
            _, G = _ce(Z, y)
        r = [np.abs(G.T @ X + lam * w).max()]
        if intercept:
            r.append(np.abs(G.sum(0)).max())
        return float(max(r)) / n
    z = X @ w + b
    if loss == "hinge":
        if a is None:
            raise InputError("a", None, "the dual certificate of a hinge fit")
        marg = y * z
        r = [float(np.max(a * np.maximum(0.0, marg - 1) + (1 - a) * np.maximum(0.0, 1 - marg))),
             float(max(0.0, -a.min(), a.max() - 1))]
        g = -(a * y)  # a subgradient of the hinge sum in z
    else:
        _, g = _bin_loss(loss, y, z)
        r = []
    gw = X.T @ g
    if penalty == "l2":
        r.append(float(np.abs(gw + lam * w).max()))
    else:
        nz = w != 0
        r.append(float(np.abs(gw[nz] + lam * np.sign(w[nz])).max(initial=0.0)))
        r.append(float(np.maximum(0.0, np.abs(gw[~nz]) - lam).max(initial=0.0)))
    if intercept:
        r.append(abs(float(g.sum())))
    return max(r) / n


# ----------------------------------------------------------------------------- multiclass fits
def _fit_multi_square(X, lab, K, lam):
    Y = np.eye(K)[lab]
    xm, ym = X.mean(0), Y.mean(0)
    Xc, Yc = X - xm, Y - ym
    n, d = X.shape
    if n >= d:
        Wt = np.linalg.solve(Xc.T @ Xc + lam * np.eye(d), Xc.T @ Yc)
    else:
        Wt = Xc.T @ np.linalg.solve(Xc @ Xc.T + lam * np.eye(n), Yc)
    return Wt.T, ym - xm @ Wt


def _fit_multi_ce(X, lab, K, lam):
    """Cross-entropy + lam ||W||^2/2, intercepts b_0..b_{K-2} free and b_{K-1} = 0 (the
    gauge), by trust-region Newton-CG; b is returned centred."""
    n, d = X.shape
    idx = np.arange(n)

    def unpack(t):
        W = t[:K * d].reshape(K, d)
        b = np.append(t[K * d:], 0.0)
        return W, b

    def f(t):
        W, b = unpack(t)
        Z = X @ W.T + b
        val, G = _ce(Z, lab)
        gW = G.T @ X + lam * W
        return float(val.sum() + 0.5 * lam * np.sum(W * W)), \
            np.concatenate([gW.ravel(), G.sum(0)[:-1]])

    def hessp(t, p):
        W, b = unpack(t)
        P = softmax(X @ W.T + b, axis=1)
        PW, pb = unpack(p)
        U = X @ PW.T + pb  # directional change of the scores
        H = P * U - P * (P * U).sum(1, keepdims=True)
        return np.concatenate([(H.T @ X + lam * PW).ravel(), H.sum(0)[:-1]])

    del idx
    res = optimize.minimize(f, np.zeros(K * d + K - 1), jac=True, hessp=hessp,
                            method="trust-ncg", options={"gtol": 1e-10 * n, "maxiter": 500})
    W, b = unpack(res.x)
    return W, b - b.mean()


def fit_multiclass(X: np.ndarray, labels: np.ndarray, *, K: int, loss: str,
                   lam: float) -> tuple[np.ndarray, np.ndarray]:
    r"""The multi-class ERM :math:`\sum_\nu\ell(y_\nu, Wx_\nu + b) + \lambda\|W\|_F^2/2`.

    Parameters
    ----------
    X : ndarray, shape (n, d)
        Inputs.
    labels : ndarray of int, shape (n,)
        Class indices in 0..K-1.
    K : int
        Number of classes.
    loss : {"square", "cross_entropy"}
        :math:`\|y - z\|^2/2` or the multinomial logistic loss.
    lam : float
        :math:`\lambda > 0`.

    Returns
    -------
    W : ndarray, shape (K, d)
        The weights.
    b : ndarray, shape (K,)
        The unpenalised intercepts (cross-entropy: centred, :math:`\sum_j b_j = 0`).
    """
    if loss == "square":
        return _fit_multi_square(X, labels, K, lam)
    return _fit_multi_ce(X, labels, K, lam)


def _certify(r, what):
    if not r <= KKT_TOL:
        raise ConvergenceError(f"{what}: KKT residual {r:.3g} > {KKT_TOL:g}", r, KKT_TOL,
                               failure="residual")


# ----------------------------------------------------------------------------- one seed
def _run_binary(s: dict, seed: int) -> dict:
    rng = np.random.default_rng([seed, 20261201, s["n"]])
    mu, sig = _binary_instance(s, rng)
    X, y = gmm_binary_data(s["n"], mu, sig, s["rho"], rng)
    w, b, a = fit_binary(X, y, loss=s["loss"], penalty=s["penalty"], lam=s["lam"],
                         intercept=s["intercept"])
    kkt = kkt_residual(X, y, w, b, loss=s["loss"], penalty=s["penalty"], lam=s["lam"],
                       intercept=s["intercept"], a=a)
    _certify(kkt, f"gmm_binary {s['loss']}+{s['penalty']} seed {seed}")
    d = s["d"]
    m = float(mu @ w) / math.sqrt(d)
    q = float((sig * w) @ w) / d
    rho = s["rho"]
    sq = math.sqrt(q) if q > 0 else float("nan")
    test = rho * float(_Q((m + b) / sq)) + (1 - rho) * float(_Q((m - b) / sq)) if q > 0 else \
        rho * float(b < 0) + (1 - rho) * float(b > 0)
    z = X @ w + b
    val, _ = _bin_loss(s["loss"], y, z)
    return {"test_error": float(test), "train_error": float(np.mean(y * z <= 0)),
            "train_loss": float(val.mean()), "m": m, "q": q, "b": float(b),
            "norm": float(w @ w) / d, "kkt": kkt}


def _multi_test_error(M, Q, b, rho, rng, draws=200_000):
    K = len(b)
    lam_, U = np.linalg.eigh(Q)
    L = U * np.sqrt(np.maximum(lam_, 0.0))
    err = 0.0
    for k in range(K):
        S = M[:, k] + b + rng.standard_normal((draws, K)) @ L.T
        err += rho[k] * float(np.mean(S.argmax(1) != k))
    return err


def _run_multi(s: dict, seed: int) -> dict:
    rng = np.random.default_rng([seed, 20261203, s["n"]])
    K, d = s["K"], s["d"]
    mus = _mean_matrix(K, d, s["means"], rng)
    X, lab = gmm_multiclass_data(s["n"], mus, s["Delta"], s["rho"], rng)
    W, b = fit_multiclass(X, lab, K=K, loss=s["loss"], lam=s["lam"])
    kkt = kkt_residual(X, lab, W, b, loss=s["loss"], lam=s["lam"])
    _certify(kkt, f"gmm_multiclass {s['loss']} seed {seed}")
    M = W @ mus.T / math.sqrt(d)
    Q = s["Delta"] * (W @ W.T) / d
    Z = X @ W.T + b
    if s["loss"] == "square":
        val = 0.5 * np.sum((Z - np.eye(K)[lab]) ** 2, axis=1)
    else:
        val, _ = _ce(Z, lab)
    out = {"test_error": _multi_test_error(M, Q, b, s["rho"], rng),
           "train_error": float(np.mean(Z.argmax(1) != lab)),
           "train_loss": float(val.mean())}
    for j in range(K):
        for k in range(K):
            out[f"M[{j},{k}]"] = float(M[j, k])
    for j in range(K):
        for k in range(K):
            out[f"Q[{j},{k}]"] = float(Q[j, k])
    for j in range(K):
        out[f"b[{j}]"] = float(b[j])
    out["kkt"] = kkt
    return out


def _per_alpha(run, s, alphas, single, *, prefix, seeds, seed, cache, progress, label):
    t0 = time.perf_counter()
    progress = _progress(progress, label, t0)
    sims = []
    for a in alphas:
        si = {**s, "alpha": a, "n": round(a * s["d"])}
        obs, per, cached = run_seeds(lambda k, si=si: run(si, k), prefix=prefix, key=_key(si),
                                     cache=cache, first_seed=seed, seeds=seeds,
                                     progress=progress, skip=("kkt",))
        sims.append(Simulation({**si, "seeds": seeds, "seed": seed}, obs, per,
                               time.perf_counter() - t0, cached, {"cpus": os.cpu_count()}))
    return sims[0] if single else sims


def simulate_gmm_binary(*, alpha, d: int = 1000, rho: float = 0.5, Delta: float = 1.0,
                        blocks=None, means: str = "dense", rho_s: float = 1.0,
                        loss: str = "logistic", penalty: str = "l2", lam: float,
                        intercept: bool = True, seeds: int = 10, seed: int = 0,
                        cache: str | None = None,
                        progress: Callable | bool | None = None) -> Any:
    r"""ERM on the two-cluster Gaussian mixture at size d, over seeds; mean +- standard error.

    Data, ERM, solvers and observables in the module docstring (arXiv:2106.03791v2, Sec. 2, in
    the authors' code normalisation, ``coord/SPEC.md``).

    Parameters
    ----------
    alpha : float or list of float
        :math:`n/d > 0` (n = round(alpha d) >= 2); a list: one independent simulation per value.
    d : int, default 1000
        Dimension (>= 2).
    rho : float, default 0.5
        :math:`P(y = +1) \in (0, 1)`.
    Delta : float, default 1.0
        Noise variance of the isotropic covariance :math:`\Delta I` (> 0; unused with blocks).
    blocks : list of (float, float) or None, optional
        Block-diagonal :math:`\Sigma`: (fraction, variance) pairs, fractions summing to 1,
        variances > 0, laid out from coordinate 0.
    means : {"dense", "sparse"}, default "dense"
        Gaussian mean on all coordinates, or on round(rho_s d) of them (:math:`\|\mu\|^2 = 1`
        both; module docstring).
    rho_s : float, default 1.0
        Fraction of non-zero mean coordinates (sparse means), in (0, 1].
    loss : {"logistic", "square", "hinge"}, default "logistic"
        The loss.
    penalty : {"l2", "l1"}, default "l2"
        :math:`\lambda\|w\|^2/2` or :math:`\lambda\|w\|_1`.
    lam : float
        :math:`\lambda > 0` (un-normalised sum of losses, as the SPEC).
    intercept : bool, default True
        Fit the unpenalised intercept b.
    seeds : int, default 10
        Number of seeds (>= 1).
    seed : int, default 0
        First seed (seeds ``seed, ..., seed + seeds - 1``).
    cache : str or None, optional
        Folder where each finished seed is stored (atomically: unique temporary name, then
        rename) and reused.
    progress : callable, bool or None, optional
        ``progress(done, total)`` after each seed; True prints a line on stderr.

    Returns
    -------
    Simulation or list of Simulation
        ``observables`` ``test_error`` (exact given w), ``train_error``, ``train_loss``, ``m``,
        ``q``, ``b``, ``norm`` (mean, standard error); ``per_seed`` also ``kkt``.

    Raises
    ------
    InputError
        A parameter outside its range (``rho`` not in (0, 1), a covariance that is not positive
        definite, an unknown loss, penalty or means, ``d`` < 2, n < 2, ...).
    ConvergenceError
        A fit whose KKT residual exceeds 1e-6 per sample.

    Examples
    --------
    >>> sim = simulate_gmm_binary(alpha=2.0, d=50, loss="square", lam=0.1, seeds=2)
    >>> 0 < sim.mean("test_error") < 0.5
    True
    """
    d = _int("d", d, 2)
    alphas, single = _alphas(alpha, d)
    rho = _real("rho", rho, 0.0, True, "a number in (0, 1)", hi=1.0)
    if rho >= 1:
        raise InputError("rho", rho, "a number in (0, 1)")
    Delta = _real("Delta", Delta, 0.0, True, "a finite number > 0 (a positive definite "
                  "covariance)")
    bl = _blocks(blocks, d)
    if means not in ("dense", "sparse"):
        raise InputError("means", means, "'dense' or 'sparse'")
    rho_s = _real("rho_s", rho_s, 0.0, True, "a number in (0, 1]", hi=1.0)
    if loss not in _BIN_LOSSES:
        raise InputError("loss", loss, f"one of {_BIN_LOSSES}")
    if penalty not in ("l2", "l1"):
        raise InputError("penalty", penalty, "'l2' or 'l1'")
    lam = _real("lam", lam, 0.0, True, "a finite number > 0")
    if not isinstance(intercept, (bool, np.bool_)):
        raise InputError("intercept", intercept, "True or False")
    seeds = _int("seeds", seeds, 1)
    seed = _int("seed", seed, 0)
    s = {"model": "gmm_binary", "d": d, "rho": rho, "Delta": Delta if bl is None else None,
         "blocks": bl, "means": means, "rho_s": rho_s if means == "sparse" else 1.0,
         "loss": loss, "penalty": penalty, "lam": lam, "intercept": bool(intercept)}
    check_resources(simulate_gmm_binary, {"d": d, "alpha": alphas, "loss": loss,
                                          "penalty": penalty})  # before any allocation
    return _per_alpha(_run_binary, s, alphas, single, prefix="gmmbin", seeds=seeds, seed=seed,
                      cache=cache, progress=progress, label=f"gmm_binary d={d}")


def simulate_gmm_multiclass(*, alpha, d: int = 1000, K: int, rho=None, Delta: float = 1.0,
                            means: str = "simplex", loss: str = "square", lam: float,
                            seeds: int = 10, seed: int = 0, cache: str | None = None,
                            progress: Callable | bool | None = None) -> Any:
    r"""ERM on the K-cluster Gaussian mixture at size d, over seeds; mean +- standard error.

    Data, ERM, solvers and observables in the module docstring (arXiv:2106.03791v2, Sec. 2, the
    authors' ``multiK`` normalisation, ``coord/SPEC.md``).

    Parameters
    ----------
    alpha : float or list of float
        :math:`n/d > 0` (n = round(alpha d) >= 2); a list: one simulation per value.
    d : int, default 1000
        Dimension (>= K).
    K : int
        Number of classes (>= 2).
    rho : sequence of float or None, optional
        Class weights (K values >= 0 summing to 1); None: uniform.
    Delta : float, default 1.0
        Noise variance (> 0).
    means : {"simplex", "orthonormal"}, default "simplex"
        Gram matrix of the means :math:`\frac K{K-1}(I - \mathbf 1\mathbf 1^\top/K)` or
        :math:`I_K`.
    loss : {"square", "cross_entropy"}, default "square"
        The loss.
    lam : float
        :math:`\lambda > 0` of :math:`\lambda\|W\|_F^2/2`.
    seeds : int, default 10
        Number of seeds (>= 1).
    seed : int, default 0
        First seed.
    cache : str or None, optional
        Folder of the cached seeds.
    progress : callable, bool or None, optional
        ``progress(done, total)`` after each seed; True prints on stderr.

    Returns
    -------
    Simulation or list of Simulation
        ``test_error``, ``train_error``, ``train_loss``, ``M[j,k]``, ``Q[j,k]``, ``b[j]``.

    Raises
    ------
    InputError
        K < 2, weights that do not sum to 1, ``Delta`` <= 0, an unknown loss or means,
        ``d`` < K, n < 2.
    ConvergenceError
        A fit whose KKT residual exceeds 1e-6 per sample.

    Examples
    --------
    >>> sim = simulate_gmm_multiclass(alpha=2.0, d=60, K=3, lam=0.1, seeds=2)
    >>> 0 < sim.mean("test_error") < 2 / 3
    True
    """
    K = _int("K", K, 2)
    d = _int("d", d, 2)
    if d < K:
        raise InputError("d", d, f"an integer >= K = {K}")
    alphas, single = _alphas(alpha, d)
    r = _weights(rho, K)
    Delta = _real("Delta", Delta, 0.0, True, "a finite number > 0")
    if means not in ("simplex", "orthonormal"):
        raise InputError("means", means, "'simplex' or 'orthonormal'")
    if loss not in _MULTI_LOSSES:
        raise InputError("loss", loss, f"one of {_MULTI_LOSSES}")
    lam = _real("lam", lam, 0.0, True, "a finite number > 0")
    seeds = _int("seeds", seeds, 1)
    seed = _int("seed", seed, 0)
    s = {"model": "gmm_multiclass", "d": d, "K": K, "rho": r, "Delta": Delta, "means": means,
         "loss": loss, "lam": lam}
    check_resources(simulate_gmm_multiclass, {"d": d, "alpha": alphas, "K": K, "loss": loss})
    return _per_alpha(_run_multi, s, alphas, single, prefix="gmmmulti", seeds=seeds, seed=seed,
                      cache=cache, progress=progress, label=f"gmm_multiclass d={d}")


# ----------------------------------------------------------------------------- separability
#: an instance is separable when the box-constrained maximal margin exceeds this
MARGIN_TOL = 1e-8


def max_margin(X: np.ndarray, labels: np.ndarray, K: int) -> float:
    r"""The largest margin t of a linear classifier with intercepts and entries of W in [-1, 1].

    The LP :math:`\max t` s.t. :math:`(w_{y_\nu} - w_j)\cdot x_\nu + b_{y_\nu} - b_j \ge t`
    for all :math:`\nu, j \ne y_\nu` (K = 2: one vector, :math:`y_\nu(w\cdot x_\nu + b) \ge t`),
    :math:`|W_{jk}| \le 1`, b free, :math:`t \le 1`, solved by HiGHS
    (:func:`scipy.optimize.linprog`). The training set is linearly separable iff t > 0 (the
    bounded form of the feasibility LP of margin 1: a separating (W, b) rescaled into the box).

    Parameters
    ----------
    X : ndarray, shape (n, d)
        Inputs.
    labels : ndarray of int, shape (n,)
        Classes in 0..K-1.
    K : int
        Number of classes (>= 2).

    Returns
    -------
    float
        The maximal margin t* (<= 1; 0 up to the LP tolerance when not separable).

    Raises
    ------
    ConvergenceError
        HiGHS did not solve the LP.
    """
    n, d = X.shape
    if K == 2:
        y = np.where(labels == 0, 1.0, -1.0)
        A = np.hstack([-y[:, None] * X, -y[:, None], np.ones((n, 1))])
        bounds = [(-1.0, 1.0)] * d + [(None, None), (None, 1.0)]
        nvar = d + 2
    else:
        D = d + 1
        Xt = np.hstack([X, np.ones((n, 1))])
        m = n * (K - 1)
        own = np.repeat(labels, K - 1)
        other = np.array([j for k in labels for j in range(K) if j != k])
        rows = np.repeat(np.arange(m), 2 * D + 1)
        base = np.arange(D)
        cols = np.concatenate([own[:, None] * D + base, other[:, None] * D + base,
                               np.full((m, 1), K * D)], axis=1).ravel()
        Xr = np.repeat(Xt, K - 1, axis=0)
        vals = np.concatenate([-Xr, Xr, np.ones((m, 1))], axis=1).ravel()
        A = sparse.csr_matrix((vals, (rows, cols)), shape=(m, K * D + 1))
        bounds = ([(-1.0, 1.0)] * d + [(None, None)]) * K + [(None, 1.0)]
        nvar = K * D + 1
    c = np.zeros(nvar)
    c[-1] = -1.0
    res = optimize.linprog(c, A_ub=A, b_ub=np.zeros(A.shape[0]), bounds=bounds,
                           method="highs-ipm")
    if res.status != 0:
        raise ConvergenceError(f"separability LP: HiGHS status {res.status} ({res.message})",
                               float("nan"), 0.0, failure="residual")
    return float(-res.fun)


def _separable(X, lab, K) -> bool:
    return max_margin(X, lab, K) > MARGIN_TOL


def separable_fraction(*, alpha, d: int = 400, K: int, Delta: float, rho=None,
                       means: str = "simplex", instances: int = 20, seed: int = 0,
                       cache: str | None = None,
                       progress: Callable | bool | None = None) -> Any:
    r"""Fraction of linearly separable training sets (with intercepts), by LP feasibility.

    The multi-class data model of the module docstring (K = 2 with simplex means is the binary
    mixture :math:`\pm\mu`, :math:`\rho = \rho_1`); an instance is separable when some
    :math:`(W, b)` gives every sample a margin :math:`\ge 1` over every other class (module
    docstring), decided by :func:`scipy.optimize.linprog` with HiGHS. Below the separability
    threshold :math:`\alpha^*_K(\Delta)` (arXiv:2106.03791v2, Sec. 3; the logistic MLE does
    not exist there) the fraction tends to 1 as d grows, above it to 0.

    Parameters
    ----------
    alpha : float or list of float
        :math:`n/d > 0`; a list: one result per value.
    d : int, default 400
        Dimension (>= K).
    K : int
        Number of classes (>= 2).
    Delta : float
        Noise variance (> 0).
    rho : sequence of float or None, optional
        Class weights; None: uniform.
    means : {"simplex", "orthonormal"}, default "simplex"
        Gram matrix of the means.
    instances : int, default 20
        Independent instances (>= 1).
    seed : int, default 0
        First instance seed.
    cache : str or None, optional
        Folder of cached instances.
    progress : callable, bool or None, optional
        ``progress(done, total)`` after each instance.

    Returns
    -------
    Simulation or list of Simulation
        Observable ``separable``: (fraction, binomial standard error
        :math:`\sqrt{f(1-f)/N}`); ``per_seed["separable"]`` the 0/1 outcomes.

    Raises
    ------
    InputError
        K < 2, ``Delta`` <= 0, bad weights or means, ``d`` < K, n < 2.
    ConvergenceError
        HiGHS neither found a point nor proved infeasibility.

    Examples
    --------
    >>> separable_fraction(alpha=0.5, d=40, K=2, Delta=1.0, instances=3).mean("separable")
    1.0
    """
    K = _int("K", K, 2)
    d = _int("d", d, 2)
    if d < K:
        raise InputError("d", d, f"an integer >= K = {K}")
    alphas, single = _alphas(alpha, d)
    r = _weights(rho, K)
    Delta = _real("Delta", Delta, 0.0, True, "a finite number > 0")
    if means not in ("simplex", "orthonormal"):
        raise InputError("means", means, "'simplex' or 'orthonormal'")
    instances = _int("instances", instances, 1)
    seed = _int("seed", seed, 0)
    s = {"model": "gmm_separable", "d": d, "K": K, "rho": r, "Delta": Delta, "means": means}
    check_resources(separable_fraction, {"d": d, "alpha": alphas, "K": K})

    def run(si, k):
        rng = np.random.default_rng([k, 20261204, si["n"], si["K"]])
        mus = _mean_matrix(si["K"], si["d"], si["means"], rng)
        X, lab = gmm_multiclass_data(si["n"], mus, si["Delta"], si["rho"], rng)
        return {"separable": float(_separable(X, lab, si["K"]))}

    out = _per_alpha(run, s, alphas, single, prefix="gmmsep", seeds=instances, seed=seed,
                     cache=cache, progress=progress, label=f"separable K={K} d={d}")
    for sim in ([out] if single else out):
        f = sim.mean("separable")
        sim.observables["separable"] = (f, math.sqrt(f * (1 - f) / instances))
    return out


def separability_crossings(*, d: int = 400, K: int, Delta: float, rho=None,
                           means: str = "simplex", instances: int = 20, seed: int = 0,
                           resolution: int = 2, cache: str | None = None,
                           progress: Callable | bool | None = None) -> Simulation:
    r"""Per instance, the sample ratio at which a growing training set stops being separable.

    Each instance draws one stream of samples (the data model of :func:`separable_fraction`);
    separability of its first n samples is monotone in n (a sample more can only break it), and
    n <= d + 1 points in general position are always separable, so the critical
    :math:`n_c` (largest separable n) is found by doubling from d + 1 and bisection, each step
    one LP (:func:`max_margin`), to within ``resolution`` samples. The fraction of separable
    instances at alpha is the fraction with :math:`\alpha_c = n_c/d \ge \alpha`: it crosses 1/2
    at the median of :math:`\alpha_c`.

    Parameters
    ----------
    d : int, default 400
        Dimension (>= K).
    K : int
        Number of classes (>= 2).
    Delta : float
        Noise variance (> 0).
    rho : sequence of float or None, optional
        Class weights; None: uniform.
    means : {"simplex", "orthonormal"}, default "simplex"
        Gram matrix of the means.
    instances : int, default 20
        Number of instances (>= 2).
    seed : int, default 0
        First instance seed.
    resolution : int, default 2
        Bisection stops when the bracket of :math:`n_c` is this many samples wide (>= 1).
    cache : str or None, optional
        Folder of cached instances.
    progress : callable, bool or None, optional
        ``progress(done, total)`` after each instance.

    Returns
    -------
    Simulation
        ``observables["alpha_c"]`` (mean, standard error), ``observables["median"]``
        (median of :math:`\alpha_c`, standard error :math:`1.2533\,\sigma/\sqrt N`, the
        asymptotic one of a median of Gaussian values), ``per_seed["alpha_c"]``.

    Raises
    ------
    InputError
        K < 2, ``Delta`` <= 0, bad weights or means, ``d`` < K, ``instances`` < 2.
    ConvergenceError
        An LP that HiGHS did not solve.
    """
    K = _int("K", K, 2)
    d = _int("d", d, 2)
    if d < K:
        raise InputError("d", d, f"an integer >= K = {K}")
    r = _weights(rho, K)
    Delta = _real("Delta", Delta, 0.0, True, "a finite number > 0")
    if means not in ("simplex", "orthonormal"):
        raise InputError("means", means, "'simplex' or 'orthonormal'")
    instances = _int("instances", instances, 2)
    seed = _int("seed", seed, 0)
    resolution = _int("resolution", resolution, 1)
    s = {"model": "gmm_separability_crossing", "d": d, "K": K, "rho": r, "Delta": Delta,
         "means": means, "resolution": resolution}
    check_resources(separability_crossings, {"d": d, "K": K})  # before any allocation

    def run(k):
        rng = np.random.default_rng([k, 20261205, d, K])
        mus = _mean_matrix(K, d, means, rng)
        nmax = 64 * d
        X, lab = gmm_multiclass_data(nmax, mus, Delta, r, rng)
        lo, hi = d + 1, 2 * (d + 1)
        while _separable(X[:hi], lab[:hi], K):
            lo, hi = hi, 2 * hi
            if hi > nmax:
                raise ConvergenceError(f"separability: still separable at n = {lo} = "
                                       f"{lo / d:g} d", float("nan"), 0.0, failure="residual")
        while hi - lo > resolution:
            mid = (lo + hi) // 2
            if _separable(X[:mid], lab[:mid], K):
                lo = mid
            else:
                hi = mid
        return {"alpha_c": (lo + hi) / (2 * d)}

    t0 = time.perf_counter()
    obs, per, cached = run_seeds(run, prefix="gmmcross", key=_key(s), cache=cache,
                                 first_seed=seed, seeds=instances,
                                 progress=_progress(progress, f"crossings K={K}", t0))
    ac = np.asarray(per["alpha_c"], float)
    obs["median"] = (float(np.median(ac)), 1.2533 * float(ac.std(ddof=1)) / math.sqrt(len(ac)))
    return Simulation({**s, "instances": instances, "seed": seed}, obs, per,
                      time.perf_counter() - t0, cached, {"cpus": os.cpu_count()})
