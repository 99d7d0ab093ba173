r"""K Gaussian clusters, multi-class ERM (square or cross-entropy loss, l2 penalty): exact asymptotics.

Loureiro, Sicuro, Gerbelot, Pacco, Krzakala, Zdeborová, "Learning Gaussian Mixtures with
Generalised Linear Models: Precise Asymptotics in High-dimensions", NeurIPS 2021,
arXiv:2106.03791v2 (Theorem 1, specialised to K clusters with covariance :math:`\Delta I`). The
paper's body was not readable: **source followed** is ``gmm-digest.md`` Sec. 2.2 (the authors'
``multiK`` code, square-loss channel and l2 prior in closed form), and the general convex-loss
channel **derived below**; equation numbers of the paper are not given.

Model (SPEC convention). Classes :math:`y = e_k` with :math:`P(k) = \rho_k`;
:math:`x = (\mu_k + \sqrt\Delta z)/\sqrt d`, :math:`z\sim\mathcal N(0, I_d)`, :math:`\|\mu_k\|=1`,
Gram matrix :math:`G_{kl} = \mu_k\cdot\mu_l` ("simplex" :math:`\tfrac K{K-1}(I-\mathbf 1
\mathbf 1^\top/K)`, "orthonormal" :math:`I_K`, or given). ERM
:math:`\sum_\nu\ell(y^\nu, Wx^\nu+b) + \tfrac\lambda2\|W\|_F^2`, :math:`W\in\mathbb R^{K\times d}`,
:math:`n = \alpha d`; losses ``square`` :math:`\tfrac12\|y-z\|^2` and ``cross_entropy``
:math:`-z_k+\log\sum_je^{z_j}`. Order parameters :math:`M = W\mu/\sqrt d` (:math:`M_{jk}` =
student row j against mean k), :math:`Q = \Delta WW^\top/d`, :math:`V`, :math:`b`.

**Derivation of the channel for any convex loss** (done here; the digest has only the square
loss in closed form). For a sample of class k the field is :math:`h = Wx+b = M_{:,k}+b+
\sqrt\Delta Wz/\sqrt d`, so over the sample :math:`h\sim\mathcal N(M_{:,k}+b, Q)`. The
replica-symmetric (equivalently Gordon) energetic term is
:math:`\alpha\sum_k\rho_k\mathbb E_\omega\mathcal M_k(\omega)` with the Moreau envelope
:math:`\mathcal M_k(\omega) = \min_z\tfrac12(z-\omega)^\top V^{-1}(z-\omega)+\ell(e_k, z)`,
:math:`\omega\sim\mathcal N(M_{:,k}+b, Q)`. With the proximal point :math:`\mathrm{prox}_k(\omega)`
(the argmin) and the residual :math:`f_k(\omega) = V^{-1}(\mathrm{prox}_k(\omega)-\omega) =
-\nabla\ell(e_k,\mathrm{prox}_k)`, whose Jacobian is :math:`\partial_\omega f_k =
-(I+HV)^{-1}H` (:math:`H = \nabla^2\ell` at the prox; :math:`\partial\mathrm{prox}/\partial\omega
= (I+VH)^{-1}`), stationarity of the replica potential gives

.. math::
   \hat V = \alpha\sum_k\rho_k\mathbb E[(I+HV)^{-1}H],\quad
   \hat Q = \alpha\sum_k\rho_k\mathbb E[f_kf_k^\top],\quad
   \hat M_{:,k} = \alpha\rho_k\mathbb E[f_k],\quad \sum_k\rho_k\mathbb E[f_k] = 0\ (b),

and the l2 prior (per input coordinate the K-vector :math:`w_i` solves
:math:`\min\tfrac\lambda2\|w\|^2+\tfrac\Delta2w^\top\hat Vw-w^\top(\sqrt\Delta\hat Q^{1/2}g+
\hat M\sqrt d\mu_{\cdot i})`, :math:`g\sim\mathcal N(0,I_K)`), with :math:`B = (\lambda I+
\Delta\hat V)^{-1}`:

.. math::
   V = \Delta B,\quad Q = \Delta B(\Delta\hat Q+\hat MG\hat M^\top)B,\quad M = B\hat MG .

For the square loss :math:`\mathrm{prox}_k = (I+V)^{-1}(\omega+Ve_k)`, :math:`H = I`, and these
are the digest's closed forms once its hats are read as :math:`\Delta\hat V, \Delta\hat Q`
(the digest writes :math:`\hat V = \alpha\Delta(I+V)^{-1}`, :math:`V = \Delta(\lambda+\hat V)^{-1}`);
``tests/test_gmm_multiclass.py`` checks the quadrature channel against an independent
implementation of the digest's map to 1e-12. **Exact square-loss solution** (derived here):
V is isotropic, :math:`V = vI` with :math:`\lambda v^2+(\lambda+\alpha\Delta-\Delta)v-\Delta=0`;
with :math:`a = 1/(1+v)`, :math:`\beta = v/\Delta`, :math:`P = I-\rho\mathbf 1^\top`,
:math:`R = \mathrm{diag}(\rho)`, :math:`c = \alpha a\beta`:
:math:`M = cPRG(I+cPRG)^{-1}`, :math:`b = \rho-M\rho`, and with :math:`D = -(I-M)P`,
:math:`Q = [\Delta^2\alpha a^2\beta^2DRD^\top+\Delta\alpha^2a^2\beta^2DRGRD^\top]/(1-\Delta^2\alpha
a^2\beta^2)` (no iteration).

**Cross-entropy.** The loss is invariant under :math:`z\to z+t\mathbf 1`: :math:`\mathbf 1^\top f
= 0`, :math:`H\mathbf 1 = 0`, hence :math:`\hat V\mathbf 1 = 0`, :math:`V\mathbf 1 =
(\Delta/\lambda)\mathbf 1`, :math:`Q\mathbf 1 = 0`, :math:`\mathbf 1^\top M = 0`, and b is
fixed only up to :math:`t\mathbf 1`: we report :math:`\sum_jb_j = 0`. The expectations are
over :math:`\omega = M_{:,k}+b+UC\xi`, :math:`U` an orthonormal basis of
:math:`\mathbf 1^\perp`, :math:`CC^\top = U^\top QU`, :math:`\xi\sim\mathcal N(0,I_{K-1})`. The
prox is a vectorised Newton over all nodes and classes at once (Newton direction
:math:`(I+VH)^{-1}(z-\omega+V(p-e_k))`, Armijo backtracking on the prox objective per node,
each node stopped by its own test :math:`\|\Delta z\|\le10^{-13}(1+\|z\|)`; a node not
converged in 60 steps makes the call raise :class:`~theory.errors.IntegrationError`).

**Rules.** For :math:`K-1\le3` (K <= 4) the channel expectations use the tensor product of the
engine's Gauss-Hermite rule (:func:`theory.numeric.quadrature.hermite_rule`) at two sizes
:math:`n_1<n_2` per dimension; the answer is the :math:`n_2` solve, its error estimate twice
the change from :math:`n_1`. For K >= 5 they use randomised QMC
(:mod:`theory.numeric.qmc`, scrambled Sobol', 8 scramblings of :math:`2^{10}` points): the
fixed point is solved on the pooled points and once per scrambling (warm start); value = the
pooled solve, error = 2 standard errors over scramblings. Solver: Newton on
:math:`x-T(x)` (state :math:`V, Q` upper triangles, M, b), forward-difference Jacobian,
backtracking; start: the exact square-loss solution.

**Observables.** ``test_error`` :math:`=1-\sum_k\rho_kP[h_k>h_j\ \forall j\ne k]`,
:math:`h\sim\mathcal N(M_{:,k}+b,Q)`: a (K-1)-dimensional Gaussian orthant probability, computed by
nested split Gauss rules (:func:`theory.numeric.quadrature.normal_rule`, each coordinate cut
exactly at its constraint, the last one integrated in closed form by :math:`\Phi`) for K <= 4,
error = twice the change between two node counts; by Genz's separation of variables with
randomised QMC (8 x 2^14 points, error = 2 s.e., ~1e-6) for K >= 5. ``train_error``: square
loss, the same orthant
probability for the prox :math:`(I+V)^{-1}(\omega+Ve_k)` (affine in ω); cross-entropy,
randomised QMC over ω (8 x 2^9 points; the region is curved; error 2 s.e., ~5e-4).
``train_loss`` :math:`=\sum_k\rho_k\mathbb E\,\ell(e_k,\mathrm{prox}_k(\omega))`.
``bayes_error`` (orthonormal means only; the digest's formula, written there for them):
:math:`\varepsilon_{BO} = 1-\sum_k\rho_k\int D\xi\prod_{u\ne k}\Phi(\tfrac{\eta_u}{\eta_k}
(\tfrac1{\eta_k}+\xi)+\eta_u\log\tfrac{\rho_k}{\rho_u})`,
:math:`\eta_k^2 = \Delta(1+\Delta/(\rho_k\alpha))`, a one-dimensional integral by the split rule at
two sizes. At K = 2, equal weights it equals :math:`\Phi(-1/(\sqrt2\eta))` (test, 1e-14).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from ..errors import IntegrationError, InputError
from ..numeric.expectation import psd_cholesky
from ..numeric.qmc import qmc_mean, sobol_normal
from ..numeric.quadrature import hermite_rule, normal_rule
from ..symbolic import atoms
from ..symbolic.system import SaddlePointSystem
from .base import Model, SolveResult, choice, make_params, param, register, validate

__all__ = ["GMMMulticlass", "GMMMulticlassParams", "gram_matrix", "class_weights",
           "square_loss_solution", "channel", "prior", "orthant_probability",
           "bayes_error", "ce_prox", "solve_state"]

LOSSES = ("square", "cross_entropy")
ndtr = atoms.Phi._numpy_impl  # the one normal cdf (theory.symbolic.atoms)
log_ndtr = atoms.logPhi._numpy_impl
REFERENCE = ("Loureiro, Sicuro, Gerbelot, Pacco, Krzakala, Zdeborová, NeurIPS 2021, "
             "arXiv:2106.03791v2, Theorem 1 (K clusters, covariance Delta I); source followed: "
             "gmm-digest.md Sec. 2.2 (authors' multiK code) + the convex-loss channel derived in "
             "theory.models.gmm_multiclass")


# ------------------------------------------------------------------ inputs
def gram_matrix(means, K: int) -> np.ndarray:
    r"""The Gram matrix :math:`G_{kl} = \mu_k\cdot\mu_l` of the K means.

    Parameters
    ----------
    means : str or array_like
        ``"simplex"`` (:math:`\tfrac K{K-1}(I-\mathbf 1\mathbf 1^\top/K)`), ``"orthonormal"``
        (:math:`I_K`), a K x K matrix, or its text ``"1,0;0,1"`` (rows separated by ``;``).
    K : int
        Number of classes (>= 2).

    Returns
    -------
    numpy.ndarray, shape (K, K)
        Symmetric positive semi-definite, unit diagonal.

    Raises
    ------
    InputError
        ``K < 2``; an unknown name; a matrix of the wrong size, not symmetric, not PSD or
        without unit diagonal (the means have norm 1).
    """
    K = _check_K("K", K)
    if isinstance(means, str) and means in ("simplex", "orthonormal"):
        if means == "orthonormal":
            return np.eye(K)
        return K / (K - 1) * (np.eye(K) - np.ones((K, K)) / K)
    try:
        if isinstance(means, str):
            G = np.array([[float(t) for t in row.split(",")] for row in means.split(";")])
        else:
            G = np.array(means, dtype=float)
    except (TypeError, ValueError):
        raise InputError("means", means, "'simplex', 'orthonormal' or a K x K Gram matrix "
                         "(text rows separated by ';')") from None
    if G.shape != (K, K):
        raise InputError("means", means, f"a {K} x {K} Gram matrix (K = {K})",
                         hint=f"got shape {G.shape}")
    if not np.all(np.isfinite(G)) or not np.allclose(G, G.T, atol=1e-12):
        raise InputError("means", means, "a finite symmetric Gram matrix")
    if not np.allclose(np.diag(G), 1.0, atol=1e-12):
        raise InputError("means", means, "a Gram matrix with unit diagonal (||mu_k|| = 1)")
    ev = np.linalg.eigvalsh(G)
    if ev[0] < -1e-12:
        raise InputError("means", means, "a positive semi-definite Gram matrix",
                         hint=f"smallest eigenvalue {ev[0]:.3g}")
    return 0.5 * (G + G.T)


def class_weights(rho, K: int) -> np.ndarray:
    r"""The class weights :math:`\rho_k` (default uniform).

    Parameters
    ----------
    rho : None, str or sequence of float
        None (uniform), K numbers or their comma-separated text.
    K : int
        Number of classes.

    Returns
    -------
    numpy.ndarray, shape (K,)

    Raises
    ------
    InputError
        Wrong length, a negative or zero weight, weights not summing to 1 (within 1e-12).
    """
    K = _check_K("K", K)
    if rho is None:
        return np.full(K, 1.0 / K)
    try:
        r = np.array([float(t) for t in rho.split(",")] if isinstance(rho, str) else rho,
                     dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise InputError("rho", rho, f"{K} comma-separated weights") from None
    if r.size != K:
        raise InputError("rho", rho, f"{K} weights (one per class)")
    if not np.all(np.isfinite(r)) or np.any(r <= 0):
        raise InputError("rho", rho, "weights > 0")
    if abs(r.sum() - 1) > 1e-12:
        raise InputError("rho", rho, "weights summing to 1", hint=f"they sum to {r.sum():.15g}")
    return r


def _check_K(name, v) -> int:
    if isinstance(v, bool):
        raise InputError(name, v, "an integer >= 2")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputError(name, v, "an integer >= 2") from None
    if not (math.isfinite(f) and f == int(f) and f >= 2):
        raise InputError(name, v, "an integer >= 2 (the number of classes)")
    return int(f)


def _rho_check(name, v):
    if v is None or (isinstance(v, str) and v.lower() in ("none", "uniform")):
        return None
    if isinstance(v, str):
        try:
            return tuple(float(t) for t in v.split(","))
        except ValueError:
            raise InputError(name, v, "None (uniform) or comma-separated weights") from None
    try:
        return tuple(float(t) for t in v)
    except (TypeError, ValueError):
        raise InputError(name, v, "None (uniform) or a sequence of weights") from None


def _means_check(name, v):
    if isinstance(v, str):
        return v
    try:
        return tuple(tuple(float(t) for t in row) for row in v)
    except (TypeError, ValueError):
        raise InputError(name, v, "'simplex', 'orthonormal' or a K x K Gram matrix") from None


# ------------------------------------------------------------------ rules
@lru_cache(maxsize=64)
def _tensor_gh(r: int, n: int):
    z, w = hermite_rule(n)
    grids = np.meshgrid(*([z] * r), indexing="ij")
    X = np.stack([g.reshape(-1) for g in grids], axis=1)
    W = np.ones(1)
    for _ in range(r):
        W = (W[:, None] * w[None, :]).reshape(-1)
    X.flags.writeable = False
    W.flags.writeable = False
    return X, W


#: Gauss-Hermite sizes per dimension (n1, n2) for the channel, by dimension r of the integral
GH_SIZES = {1: (40, 60), 2: (24, 32), 3: (14, 20)}


def _basis(K: int, loss: str) -> np.ndarray:
    """Columns spanning the directions the loss sees: 1-perp for cross-entropy, all for square."""
    if loss == "square":
        return np.eye(K)
    Z = np.eye(K)[:, :-1] - np.eye(K)[:, -1:]
    U, _ = np.linalg.qr(Z)
    return U


# ------------------------------------------------------------------ cross-entropy prox
def _binv(A):
    """Batched inverse of (N, K, K) matrices: adjugate formulas for K <= 3 (LAPACK's per-matrix
    overhead dominates there), numpy.linalg.inv otherwise."""
    K = A.shape[-1]
    if K == 2:
        a, b, c, d = A[:, 0, 0], A[:, 0, 1], A[:, 1, 0], A[:, 1, 1]
        det = a * d - b * c
        out = np.stack([np.stack([d, -b], -1), np.stack([-c, a], -1)], -2)
        return out / det[:, None, None]
    if K == 3:
        C = np.empty_like(A)
        for i in range(3):
            for j in range(3):
                i1, i2 = [x for x in range(3) if x != i]
                j1, j2 = [x for x in range(3) if x != j]
                C[:, j, i] = (-1) ** (i + j) * (A[:, i1, j1] * A[:, i2, j2]
                                                - A[:, i1, j2] * A[:, i2, j1])
        det = np.einsum("nj,nj->n", A[:, 0, :], C[:, :, 0])
        return C / det[:, None, None]
    return np.linalg.inv(A)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _lse(z):
    m = z.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]


def ce_prox(omega, k, V, *, tol: float = 1e-13, max_iter: int = 60, z0=None):
    r"""Proximal point of the cross-entropy in K dimensions, vectorised over nodes.

    :math:`\mathrm{prox}(\omega) = \arg\min_z\tfrac12(z-\omega)^\top V^{-1}(z-\omega) -
    z_k + \log\sum_je^{z_j}`.

    Parameters
    ----------
    omega : numpy.ndarray, shape (N, K)
        Points.
    k : numpy.ndarray of int, shape (N,)
        Class of each point.
    V : numpy.ndarray, shape (K, K)
        Symmetric positive definite metric.
    tol : float, default 1e-13
        Per-node stopping test :math:`\|\Delta z\|_\infty\le\mathrm{tol}(1+\|z\|_\infty)`.
    max_iter : int, default 60
        Newton steps.
    z0 : numpy.ndarray, shape (N, K), optional
        Starting points (default ``omega``); any start converges (globalised Newton).

    Returns
    -------
    z : numpy.ndarray, shape (N, K)
        The proximal points.
    p : numpy.ndarray, shape (N, K)
        softmax(z).

    Raises
    ------
    IntegrationError
        A node did not converge (its number and step size are given).
    """
    omega = np.asarray(omega, dtype=float)
    N, K = omega.shape
    E = np.zeros((N, K))
    E[np.arange(N), k] = 1.0
    Vinv = np.linalg.inv(V)
    z = omega.copy() if z0 is None else np.array(z0, dtype=float)
    active = np.arange(N)
    eye = np.eye(K)

    def obj(zz, om, ee):
        d = zz - om
        return 0.5 * ((d @ Vinv) * d).sum(-1) + _lse(zz) - (zz * ee).sum(-1)

    for _ in range(max_iter):
        za, oa, ea = z[active], omega[active], E[active]
        p = _softmax(za)
        g = za - oa + (p - ea) @ V  # V symmetric
        H = p[:, :, None] * eye - p[:, :, None] * p[:, None, :]
        J = eye + V @ H
        step = (_binv(J) @ g[..., None])[..., 0]
        small = np.max(np.abs(step), axis=1) <= 1e-3 * (1 + np.max(np.abs(za), axis=1))
        t = np.ones(len(active))
        big = np.flatnonzero(~small)
        if big.size:  # far from the answer: Armijo backtracking on the prox objective
            zb, ob, eb, sb = za[big], oa[big], ea[big], step[big]
            f0 = obj(zb, ob, eb)
            slope = -((g[big] @ Vinv) * sb).sum(-1)
            tb = np.ones(big.size)
            for _ in range(40):
                bad = obj(zb - tb[:, None] * sb, ob, eb) > f0 + 1e-4 * tb * slope
                if not np.any(bad):
                    break
                tb = np.where(bad, 0.5 * tb, tb)
            t[big] = tb
        znew = za - t[:, None] * step
        z[active] = znew
        # per-node test on the full Newton step (quadratic convergence near the answer)
        done = small & (np.max(np.abs(step), axis=1)
                        <= tol * (1 + np.max(np.abs(znew), axis=1)))
        active = active[~done]
        if active.size == 0:
            return z, _softmax(z)
    raise IntegrationError(f"cross-entropy prox: {active.size} of {N} nodes did not converge in "
                           f"{max_iter} Newton steps (largest step "
                           f"{float(np.max(np.abs(step))):.3g})")


def _prox_terms(loss, omega, k, V, z0=None):
    """(f, -df/domega, loss at the prox) at nodes omega (N, K) of classes k (N,)."""
    N, K = omega.shape
    E = np.zeros((N, K))
    E[np.arange(N), k] = 1.0
    if loss == "square":
        A = np.linalg.inv(np.eye(K) + V)
        z = (omega + E @ V) @ A.T
        f = (E - omega) @ A.T
        dneg = np.broadcast_to(A, (N, K, K))
        lval = 0.5 * np.sum((E - z) ** 2, axis=1)
        return f, dneg, lval, z
    z, p = ce_prox(omega, k, V, z0=z0)
    f = E - p
    H = p[:, :, None] * np.eye(K) - p[:, :, None] * p[:, None, :]
    dneg = _binv(np.eye(K) + H @ V) @ H
    lval = _lse(z) - np.sum(z * E, axis=1)
    return f, dneg, lval, z


# ------------------------------------------------------------------ channel and prior
def channel(loss, V, Q, M, b, *, rho, alpha, nodes, weights, basis=None, z0=None):
    r"""The conjugates of the K-dimensional channel by a quadrature rule.

    Parameters
    ----------
    loss : {"square", "cross_entropy"}
    V, Q, M : numpy.ndarray, shape (K, K)
        Order parameters (V symmetric positive definite, Q PSD).
    b : numpy.ndarray, shape (K,)
    rho : numpy.ndarray, shape (K,)
        Class weights.
    alpha : float
        Sample ratio n/d.
    nodes : numpy.ndarray, shape (N, r)
        Nodes of a rule for :math:`\mathcal N(0, I_r)`.
    weights : numpy.ndarray, shape (N,)
        Its weights (sum 1).
    basis : numpy.ndarray, shape (K, r), optional
        :math:`\omega = M_{:,k}+b+UC\xi`, :math:`CC^\top = U^\top QU` (default: identity, r = K).
    z0 : numpy.ndarray, shape (K N, K), optional
        Starting points of the cross-entropy prox (a previous call's ``prox``).

    Returns
    -------
    dict
        ``Vh, Qh, Mh`` (K x K), ``gb`` (:math:`\sum_k\rho_k\mathbb E f_k`, zero at the fixed
        point), ``train_loss``, ``prox`` (K N x K).

    Raises
    ------
    InputError
        Q is not PSD.
    IntegrationError
        A cross-entropy prox did not converge.
    """
    K = V.shape[0]
    U = np.eye(K) if basis is None else basis
    C = psd_cholesky(U.T @ Q @ U, "Q")
    L = U @ C
    N = nodes.shape[0]
    noise = nodes @ L.T  # (N, K)
    omega = ((M + b[:, None]).T[:, None, :] + noise[None, :, :]).reshape(K * N, K)
    cls = np.repeat(np.arange(K), N)
    f, dneg, lval, zp = _prox_terms(loss, omega, cls, V, z0)
    w = (rho[:, None] * weights[None, :]).reshape(-1)  # rho_k w_n
    Vh = alpha * np.einsum("n,nij->ij", w, dneg)
    Qh = alpha * np.einsum("n,ni,nj->ij", w, f, f)
    Ef = np.einsum("kn,kni->ki", weights[None, :] * np.ones((K, 1)), f.reshape(K, N, K))
    Mh = alpha * (rho[:, None] * Ef).T
    gb = (rho[:, None] * Ef).sum(0)
    return {"Vh": 0.5 * (Vh + Vh.T), "Qh": 0.5 * (Qh + Qh.T), "Mh": Mh, "gb": gb,
            "train_loss": float(w @ lval), "prox": zp}


def prior(Vh, Qh, Mh, *, lam, Delta, G):
    r"""The l2 prior update :math:`V = \Delta B`, :math:`Q = \Delta B(\Delta\hat Q+\hat MG\hat M^\top)B`,
    :math:`M = B\hat MG`, :math:`B = (\lambda I+\Delta\hat V)^{-1}`.

    Parameters
    ----------
    Vh, Qh, Mh : numpy.ndarray, shape (K, K)
        Conjugates.
    lam : float
        Penalty :math:`\lambda` (> 0).
    Delta : float
        Noise variance.
    G : numpy.ndarray, shape (K, K)
        Gram matrix of the means.

    Returns
    -------
    V, Q, M : numpy.ndarray, shape (K, K)
    """
    K = Vh.shape[0]
    B = np.linalg.inv(lam * np.eye(K) + Delta * Vh)
    B = 0.5 * (B + B.T)
    V = Delta * B
    Q = Delta * B @ (Delta * Qh + Mh @ G @ Mh.T) @ B
    return V, 0.5 * (Q + Q.T), B @ Mh @ G


def square_loss_solution(*, alpha, lam, Delta, rho, G):
    r"""The exact fixed point of the square-loss system (module docstring).

    Parameters
    ----------
    alpha, lam, Delta : float
        Sample ratio, penalty (> 0), noise variance (> 0).
    rho : numpy.ndarray, shape (K,)
        Class weights.
    G : numpy.ndarray, shape (K, K)
        Gram matrix of the means.

    Returns
    -------
    dict
        ``V, Q, M`` (K x K) and ``b`` (K).

    Raises
    ------
    IntegrationError
        The Q equation has no positive solution (:math:`\Delta^2\alpha a^2\beta^2\ge1`).
    """
    K = len(rho)
    s = lam + alpha * Delta - Delta
    v = 2 * Delta / (s + math.sqrt(s * s + 4 * lam * Delta))
    a, beta = 1 / (1 + v), v / Delta
    c = alpha * a * beta
    P = np.eye(K) - np.outer(rho, np.ones(K))
    R = np.diag(rho)
    X = c * P @ R @ G
    M = np.linalg.solve((np.eye(K) + X).T, X.T).T
    b = rho - M @ rho
    D = -(np.eye(K) - M) @ P
    den = 1 - Delta**2 * alpha * a**2 * beta**2
    if den <= 0:
        raise IntegrationError(f"square loss: no positive Q (1 - Delta^2 alpha a^2 beta^2 = "
                               f"{den:.3g})")
    Q = (Delta**2 * alpha * a**2 * beta**2 * D @ R @ D.T
         + Delta * alpha**2 * a**2 * beta**2 * D @ R @ G @ R @ D.T) / den
    return {"V": v * np.eye(K), "Q": 0.5 * (Q + Q.T), "M": M, "b": b}


# ------------------------------------------------------------------ the fixed point
def _pack(V, Q, M, b):
    iu = np.triu_indices(V.shape[0])
    return np.concatenate([V[iu], Q[iu], M.ravel(), b])


def _unpack(x, K):
    iu = np.triu_indices(K)
    n = len(iu[0])
    V = np.zeros((K, K))
    Q = np.zeros((K, K))
    V[iu] = x[:n]
    Q[iu] = x[n:2 * n]
    V = V + np.triu(V, 1).T
    Q = Q + np.triu(Q, 1).T
    M = x[2 * n:2 * n + K * K].reshape(K, K)
    b = x[2 * n + K * K:]
    return V, Q, M, b


class _Map:
    def __init__(self, loss, alpha, lam, Delta, rho, G, nodes, weights):
        self.loss, self.alpha, self.lam, self.Delta = loss, alpha, lam, Delta
        self.rho, self.G, self.nodes, self.weights = rho, G, nodes, weights
        self.K = len(rho)
        self.U = _basis(self.K, loss)
        self.evals = 0
        self.z = None

    def __call__(self, x, full=False):
        self.evals += 1
        K = self.K
        V, Q, M, b = _unpack(x, K)
        if np.min(np.linalg.eigvalsh(V)) <= 0:
            raise InputError("V", V.tolist(), "positive definite")
        ch = channel(self.loss, V, Q, M, b, rho=self.rho, alpha=self.alpha, nodes=self.nodes,
                     weights=self.weights, basis=self.U, z0=self.z)
        if self.loss == "cross_entropy":
            self.z = ch["prox"]
        V2, Q2, M2 = prior(ch["Vh"], ch["Qh"], ch["Mh"], lam=self.lam, Delta=self.Delta,
                           G=self.G)
        b2 = b + (np.eye(K) + V) @ ch["gb"]
        if self.loss == "cross_entropy":
            b2 = b2 - b2.mean()
        out = _pack(V2, Q2, M2, b2)
        return (out, ch) if full else out


def _newton(F, x0, tol, J=None, max_iter=40):
    """Newton on x - F(x): forward-difference Jacobian, kept while it contracts (Broyden-updated
    steps; recomputed when a step does not halve the residual), backtracking with a fresh one.
    Returns (x, residual, iterations, Jacobian)."""
    x = np.array(x0, dtype=float)
    n = x.size

    def resid(y):
        try:
            r = F(y) - y
        except (InputError, IntegrationError, np.linalg.LinAlgError):
            return None
        return r if np.all(np.isfinite(r)) else None

    def jac(x, r):
        Jm = np.empty((n, n))
        Fx = r + x
        for j in range(n):
            h = 1e-7 * max(1.0, abs(x[j]))
            xp = x.copy()
            xp[j] += h
            Jm[:, j] = (F(xp) - Fx) / h
        return Jm - np.eye(n)

    r = resid(x)
    if r is None:
        return x, math.inf, 0, None
    fresh = False
    for it in range(max_iter):
        res = float(np.max(np.abs(r)) / max(1.0, float(np.max(np.abs(x)))))
        if res <= tol:
            return x, res, it, J
        if J is None:
            J, fresh = jac(x, r), True
        try:
            dx = np.linalg.solve(J, -r)
        except np.linalg.LinAlgError:
            dx = np.linalg.lstsq(J, -r, rcond=None)[0]
        nr = float(np.linalg.norm(r))
        xn = x + dx
        rn = resid(xn)
        if rn is not None and float(np.linalg.norm(rn)) <= 0.5 * nr:
            # Broyden's rank-one update keeps the reused Jacobian consistent with the last step
            J = J + np.outer(rn - r - J @ dx, dx) / float(dx @ dx)
            x, r, fresh = xn, rn, False
            continue
        if not fresh:
            J = None  # an old Jacobian: recompute and retry
            continue
        t = 0.5
        while t > 1e-6:
            xn = x + t * dx
            rn = resid(xn)
            if rn is not None and float(np.linalg.norm(rn)) < (1 - 1e-4 * t) * nr:
                break
            t *= 0.5
        else:
            return x, res, it, J
        x, r, J = xn, rn, None
    res = float(np.max(np.abs(r)) / max(1.0, float(np.max(np.abs(x)))))
    return x, res, max_iter, J


#: the Newton solve goes on to this residual when it can (quadratic convergence: one step more);
#: a point is converged when the residual is <= the user's tol
NEWTON_TOL = 1e-13


def _damped(F, x0, damping=0.5, max_iter=400, stop=1e-4):
    """Damped Picard iteration x <- (1 - damping) F(x) + damping x (the authors' scheme) until
    the relative step is below ``stop``: a start for Newton from a far initial state."""
    x = np.array(x0, dtype=float)
    for _ in range(max_iter):
        try:
            Fx = F(x)
        except (InputError, IntegrationError, np.linalg.LinAlgError):
            break
        if not np.all(np.isfinite(Fx)):
            break
        step = float(np.max(np.abs(Fx - x)) / max(1.0, float(np.max(np.abs(x)))))
        x = (1 - damping) * Fx + damping * x
        if step < stop:
            break
    return x


def _rule(K, loss, level):
    r = K if loss == "square" else K - 1
    if r in GH_SIZES:
        n = GH_SIZES[r][level]
        return _tensor_gh(r, n)
    return None


def solve_state(loss, *, alpha, lam, Delta, rho, G, x0=None, tol=1e-10, J=None):
    """Fixed point (V, Q, M, b) with an error estimate (two rule sizes, or QMC scramblings).

    Parameters
    ----------
    loss : {"square", "cross_entropy"}
    alpha, lam, Delta : float
        Sample ratio, penalty, noise variance.
    rho : numpy.ndarray, shape (K,)
        Class weights.
    G : numpy.ndarray, shape (K, K)
        Gram matrix of the means.
    x0 : numpy.ndarray, optional
        Packed starting state (default: the exact square-loss solution).
    tol : float, default 1e-10
        Relative residual of the Newton solve.
    J : numpy.ndarray, optional
        A Jacobian of x - T(x) near the answer (a previous point's ``J``), reused while it
        contracts.

    Returns
    -------
    dict
        ``J`` (the last Jacobian), ``x`` (packed state), ``err`` (its error estimate, same shape), ``residual``,
        ``iterations``, ``maps`` (the map(s) at the answer, for the observables), ``rule``.
    """
    K = len(rho)
    if loss == "square":
        s = square_loss_solution(alpha=alpha, lam=lam, Delta=Delta, rho=rho, G=G)
        x = _pack(s["V"], s["Q"], s["M"], s["b"])
        F = _Map(loss, alpha, lam, Delta, rho, G, *_tensor_gh(K, 2) if K <= 4 else
                 (sobol_normal(K)[0], np.full(2**12, 2.0**-12)))
        # the exact solution as a fixed point of the quadrature map (quadratic integrands:
        # Gauss-Hermite with 2 nodes per dimension is exact for them)
        r = F(x) - x if K <= 4 else np.zeros_like(x)
        res = float(np.max(np.abs(r)) / max(1.0, float(np.max(np.abs(x)))))
        return {"x": x, "err": 64 * np.finfo(float).eps * np.maximum(1, np.abs(x)),
                "residual": res, "iterations": 0, "maps": [F], "rule": "closed form"}
    if x0 is None:
        s = square_loss_solution(alpha=alpha, lam=lam, Delta=Delta, rho=rho, G=G)
        Pc = np.eye(K) - np.ones((K, K)) / K
        x0 = _pack(s["V"], Pc @ s["Q"] @ Pc, Pc @ s["M"], Pc @ s["b"])
    rule = _rule(K, loss, 0)
    if rule is not None:
        sols = []
        x = x0
        for level in (0, 1):
            F = _Map(loss, alpha, lam, Delta, rho, G, *_rule(K, loss, level))
            x, res, its, J = _newton(F, x, NEWTON_TOL, J)
            if res > tol and level == 0:  # far start: damped iteration first, then Newton
                x = _damped(F, x0)
                x, res, its, J = _newton(F, x, NEWTON_TOL, None)
            sols.append((x, res, its, F))
        (x1, *_), (x2, res, its, F2) = sols
        err = 2 * np.abs(x2 - x1) + 10 * res * np.maximum(1.0, np.abs(x2))
        return {"x": x2, "err": err, "residual": res, "iterations": its, "J": J,
                "maps": [F2], "rule": f"tensor Gauss-Hermite {GH_SIZES[K - 1]}^{K - 1}",
                "x_coarse": x1}
    sets = sobol_normal(K - 1, log2n=10, scrambles=8)
    pooled = np.concatenate(sets)
    Fp = _Map(loss, alpha, lam, Delta, rho, G, pooled, np.full(len(pooled), 1 / len(pooled)))
    x, res, its, J = _newton(Fp, x0, NEWTON_TOL, J)
    if res > tol:
        x = _damped(Fp, x0)
        x, res, its, J = _newton(Fp, x, NEWTON_TOL, None)
    xs = []
    maps = []
    for S in sets:
        F = _Map(loss, alpha, lam, Delta, rho, G, S, np.full(len(S), 1 / len(S)))
        xi, _, _, _ = _newton(F, x, NEWTON_TOL, J)
        xs.append(xi)
        maps.append(F)
    _, se = qmc_mean(np.array(xs))
    return {"x": x, "err": 2 * se, "residual": res, "iterations": its, "maps": [Fp], "J": J,
            "rule": "randomised QMC (8 x 2^10 Sobol')", "xs": xs, "qmc_maps": maps}


# ------------------------------------------------------------------ Gaussian probabilities
def _orthant_nested(m, L, nt):
    n = len(m)
    Z = np.zeros((1, 0))
    W = np.ones(1)
    for i in range(n - 1):
        shift = m[i] + Z @ L[i, :i]
        c = -shift / L[i, i]
        z, w = normal_rule(c[:, None], nt, nt)
        w = np.where(z > c[:, None], w, 0.0)
        Ni = z.shape[1]
        Z = np.concatenate([np.repeat(Z, Ni, axis=0), z.reshape(-1, 1)], axis=1)
        W = (W[:, None] * w).reshape(-1)
        keep = W > 0
        Z, W = Z[keep], W[keep]
    last = ndtr((m[-1] + Z @ L[-1, :-1]) / L[-1, -1])
    return float(W @ last)


def _orthant_qmc(m, L):
    """Genz's separation of variables with randomised QMC: estimates per scrambling."""
    n = len(m)
    ests = []
    for S in sobol_normal(n - 1, log2n=14, scrambles=8, seed=7):
        u = ndtr(S)  # back to uniforms (the set is stored as normals)
        e = np.ones(len(u))
        Z = np.zeros((len(u), n - 1))
        for i in range(n - 1):
            c = -(m[i] + Z[:, :i] @ L[i, :i]) / L[i, i]
            lo = ndtr(c)
            p = 1 - lo
            e *= p
            Z[:, i] = -_ndtri_safe(np.clip((1 - u[:, i]) * p, 1e-300, 1.0))  # z > c
        e *= ndtr((m[-1] + Z @ L[-1, :-1]) / L[-1, -1])
        ests.append(e.mean())
    return qmc_mean(np.array(ests))


def _ndtri_safe(x):
    from scipy.special import ndtri

    return ndtri(x)


def orthant_probability(mean, cov):
    r""":math:`P[Y_i>0\ \forall i]` for :math:`Y\sim\mathcal N(\mathrm{mean}, \mathrm{cov})`,
    with an error estimate.

    Parameters
    ----------
    mean : array_like, shape (n,)
    cov : array_like, shape (n, n)
        Symmetric positive definite.

    Returns
    -------
    value, error : float
        n = 1: :math:`\Phi`; n <= 3: nested split Gauss rules (each coordinate cut exactly at
        its constraint, the last by :math:`\Phi`), error twice the change between 20 and 32
        nodes per piece; n >= 4: Genz's separation of variables with randomised QMC, error 2
        standard errors.

    Raises
    ------
    InputError
        ``cov`` not positive definite.
    """
    m = np.asarray(mean, dtype=float).reshape(-1)
    S = np.asarray(cov, dtype=float)
    try:
        L = np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        raise InputError("cov", S.tolist(), "a positive definite covariance") from None
    if len(m) == 1:
        return float(ndtr(m[0] / L[0, 0])), 4 * np.finfo(float).eps
    if len(m) <= 3:
        v1 = _orthant_nested(m, L, 20)
        v2 = _orthant_nested(m, L, 32)
        return v2, 2 * abs(v2 - v1) + 4 * np.finfo(float).eps
    v, se = _orthant_qmc(m, L)
    return float(v), float(2 * se)


def _correct_probability(loc, cov, k):
    """P[h_k > h_j for all j != k], h ~ N(loc, cov)."""
    K = len(loc)
    D = np.array([np.eye(K)[k] - np.eye(K)[j] for j in range(K) if j != k])
    return orthant_probability(D @ loc, D @ cov @ D.T)


def bayes_error(*, alpha, Delta, rho):
    r"""Bayes-optimal test error, orthonormal means (digest Sec. 2.2, the authors' notebook).

    :math:`\varepsilon_{BO} = 1-\sum_k\rho_k\int D\xi\prod_{u\ne k}\Phi\big(\tfrac{\eta_u}{\eta_k}
    (\tfrac1{\eta_k}+\xi)+\eta_u\log\tfrac{\rho_k}{\rho_u}\big)`,
    :math:`\eta_k = \sqrt{\Delta(1+\Delta/(\rho_k\alpha))}`.

    Parameters
    ----------
    alpha : float
        Sample ratio n/d (> 0).
    Delta : float
        Noise variance (> 0).
    rho : array_like, shape (K,)
        Class weights.

    Returns
    -------
    value, error : float
        The one-dimensional integral by the split normal rule at 60 and 100 nodes per tail;
        error = twice their difference + 8 eps.
    """
    rho = np.asarray(rho, dtype=float)
    eta = np.sqrt(Delta * (1 + Delta / (rho * alpha)))
    vals = []
    for nt in (60, 100):
        z, w = normal_rule(None, nt, nt)
        z, w = z[0], w[0]
        tot = 0.0
        for k in range(len(rho)):
            lg = np.zeros_like(z)
            for u in range(len(rho)):
                if u != k:
                    lg += log_ndtr(eta[u] / eta[k] * (1 / eta[k] + z)
                                   + eta[u] * math.log(rho[k] / rho[u]))
            tot += rho[k] * float(w @ np.exp(lg))
        vals.append(1 - tot)
    return vals[1], 2 * abs(vals[1] - vals[0]) + 8 * np.finfo(float).eps


# ------------------------------------------------------------------ the model
@dataclass(frozen=True, kw_only=True)
class GMMMulticlassParams:
    r"""Validated parameters of :class:`GMMMulticlass` (keyword-only, frozen).

    Attributes
    ----------
    alpha : float, default 2.0
        :math:`\alpha = n/d` (> 0).
    K : int, default 3
        Number of classes (>= 2).
    Delta : float, default 0.5
        :math:`\Delta`: noise variance, covariance :math:`\Delta I` (> 0).
    lam : float, default 0.1
        :math:`\lambda`: penalty :math:`\tfrac\lambda2\|W\|_F^2` (> 0).
    loss : str, default "square"
        ``"square"`` or ``"cross_entropy"``.
    rho : tuple of float or None, default None
        Class weights (None: uniform); text ``"0.2,0.3,0.5"`` on the command line.
    means : str or tuple, default "simplex"
        ``"simplex"``, ``"orthonormal"`` or a K x K Gram matrix (text ``"1,0;0,1"``).
    """
    alpha: float = param(2.0, "α = n/d: samples per dimension")
    K: int = param(3, "K: number of classes (>= 2)", _check_K)
    Delta: float = param(0.5, "Δ: noise variance (covariance Δ I)")
    lam: float = param(0.1, "λ: l2 penalty (λ/2)‖W‖_F²")
    loss: str = param("square", "training loss", choice(*LOSSES))
    rho: tuple | None = param(None, "ρ_k: class weights, comma-separated (default uniform)",
                              _rho_check)
    means: str | tuple = param("simplex", "Gram matrix of the means: simplex, orthonormal, or "
                               "rows 'a,b;c,d'", _means_check)

    def __post_init__(self):
        validate(self)
        class_weights(self.rho, self.K)
        gram_matrix(self.means, self.K)


def _names(K):
    def ij(s, j, k):
        return f"{s}{j}{k}" if K < 10 else f"{s}_{j}_{k}"
    iu = np.triu_indices(K)
    V = [ij("V", j + 1, k + 1) for j, k in zip(*iu)]
    Q = [ij("Q", j + 1, k + 1) for j, k in zip(*iu)]
    M = [ij("M", j + 1, k + 1) for j in range(K) for k in range(K)]
    b = [f"b{j + 1}" if K < 10 else f"b_{j + 1}" for j in range(K)]
    return V + Q + M + b


def _full_state(x, K):
    V, Q, M, b = _unpack(x, K)
    out = {}
    for s, A in (("V", V), ("Q", Q), ("M", M)):
        for j in range(K):
            for k in range(K):
                out[f"{s}{j + 1}{k + 1}" if K < 10 else f"{s}_{j + 1}_{k + 1}"] = float(A[j, k])
    for j in range(K):
        out[f"b{j + 1}" if K < 10 else f"b_{j + 1}"] = float(b[j])
    return out


def _observables(loss, x, K, rho, G, F, p, train=True):
    V, Q, M, b = _unpack(x, K)
    te, te_err = 1.0, 0.0
    for k in range(K):
        P, e = _correct_probability(M[:, k] + b, Q, k)
        te -= rho[k] * P
        te_err += rho[k] * e
    _, ch = F(x, full=True)
    out = {"test_error": te, "train_loss": ch["train_loss"]}
    errs = {"test_error": te_err, "train_loss": 64 * np.finfo(float).eps * abs(ch["train_loss"])}
    if loss == "square":
        A = np.linalg.inv(np.eye(K) + V)
        tr, tr_err = 1.0, 0.0
        for k in range(K):
            P, e = _correct_probability(A @ (M[:, k] + b + V[:, k]), A @ Q @ A.T, k)
            tr -= rho[k] * P
            tr_err += rho[k] * e
        out["train_error"], errs["train_error"] = tr, tr_err
    elif train:
        ests = []
        U = _basis(K, loss)
        L = U @ psd_cholesky(U.T @ Q @ U, "Q")
        for S in sobol_normal(K - 1, log2n=9, scrambles=8, seed=3):
            N = len(S)
            omega = ((M + b[:, None]).T[:, None, :] + (S @ L.T)[None]).reshape(K * N, K)
            cls = np.repeat(np.arange(K), N)
            z, _ = ce_prox(omega, cls, V)
            wrong = (np.argmax(z, axis=1) != cls).reshape(K, N).mean(axis=1)
            ests.append(1 - np.sum(rho * (1 - wrong)))
        v, se = qmc_mean(np.array(ests))
        out["train_error"], errs["train_error"] = float(v), float(2 * se)
    if p is not None and isinstance(p.means, str) and p.means == "orthonormal":
        out["bayes_error"], errs["bayes_error"] = bayes_error(alpha=p.alpha, Delta=p.Delta,
                                                              rho=rho)
    return out, errs


@register
class GMMMulticlass(Model):
    r"""K Gaussian clusters, multi-class ERM with l2 penalty (``theory solve gmm_multiclass``).

    Loureiro et al., arXiv:2106.03791v2, Theorem 1 for K clusters with covariance
    :math:`\Delta I`; the convex-loss channel, the exact square-loss solution and the
    numerics: module docstring.

    Examples
    --------
    >>> from theory import solve
    >>> res = solve("gmm_multiclass", alpha=2.0, K=3, loss="square", lam=0.1)
    >>> res.converged, round(float(res.observables["test_error"]), 6)
    (True, 0.329681)
    """
    name = "gmm_multiclass"
    title = "K Gaussian clusters, multi-class ERM (square / cross-entropy, l2), Loureiro et al. 2021"
    reference = REFERENCE
    Params = GMMMulticlassParams
    simulator = "theory.simulate.gmm:simulate_gmm_multiclass"
    hint = "check lam > 0; for cross_entropy at small lam try a larger lam first"
    observable_docs = {
        "test_error": "1 - sum_k rho_k P[argmax_j (M_jk + b_j + (Q^1/2 xi)_j) = k]",
        "train_error": "0-1 error of argmax of the prox on the training samples",
        "train_loss": "sum_k rho_k E loss(e_k, prox_k(omega))",
        "bayes_error": "Bayes-optimal test error (orthonormal means only)",
    }

    def system(self, p):
        """The saddle-point system in matrix form (for LaTeX; the solve is :meth:`solve_direct`).

        Parameters
        ----------
        p : GMMMulticlassParams
            Validated parameters.

        Returns
        -------
        SaddlePointSystem
            State ``V, Q, M, b`` as non-commuting symbols (matrices).
        """
        return matrix_system(p.loss)

    def values(self, p):
        """Numbers for the scalar parameters of :meth:`system`.

        Parameters
        ----------
        p : GMMMulticlassParams

        Returns
        -------
        dict {str: float}
        """
        return {"alpha": p.alpha, "lambda": p.lam, "Delta": p.Delta}

    def starts(self, p):
        """One start: the exact square-loss solution (packed names).

        Parameters
        ----------
        p : GMMMulticlassParams

        Returns
        -------
        list of dict
        """
        rho, G = class_weights(p.rho, p.K), gram_matrix(p.means, p.K)
        s = square_loss_solution(alpha=p.alpha, lam=p.lam, Delta=p.Delta, rho=rho, G=G)
        return [dict(zip(_names(p.K), _pack(s["V"], s["Q"], s["M"], s["b"]).tolist()))]

    def observable_names(self, p):
        """Every column of a solve at ``p``.

        Parameters
        ----------
        p : GMMMulticlassParams

        Returns
        -------
        list of str
        """
        x = _full_state(np.zeros(len(_names(p.K))), p.K)
        obs = ["test_error", "train_loss", "train_error"]
        if isinstance(p.means, str) and p.means == "orthonormal":
            obs.append("bayes_error")
        return [*x, *obs, "residual", "iterations"]

    def simulation(self, p, d: int) -> dict:
        """Keyword arguments of ``theory.simulate.gmm.simulate_gmm_multiclass`` at size d.

        Parameters
        ----------
        p : GMMMulticlassParams
        d : int
            Input dimension.

        Returns
        -------
        dict
        """
        means = p.means if isinstance(p.means, str) else [list(r) for r in p.means]
        return {"alpha": p.alpha, "d": int(d), "K": p.K,
                "rho": None if p.rho is None else list(p.rho), "Delta": p.Delta,
                "means": means, "loss": p.loss, "lam": p.lam}

    def _solve(self, p, tol, x0=None, J=None):
        t0 = time.perf_counter()
        K = p.K
        rho, G = class_weights(p.rho, K), gram_matrix(p.means, K)
        fields = {f.name: getattr(p, f.name) for f in dataclasses.fields(p)}
        try:
            sol = solve_state(p.loss, alpha=p.alpha, lam=p.lam, Delta=p.Delta, rho=rho, G=G,
                              x0=x0, tol=tol, J=J)
        except IntegrationError as exc:
            return SolveResult(self.name, fields, {}, {}, False, 0, math.nan, tol, str(exc),
                               "gmm-newton", failure="quadrature")
        except InputError as exc:  # the parameters were checked before: an iterate left the domain
            return SolveResult(self.name, fields, {}, {}, False, 0, math.nan, tol,
                               f"the iteration left the domain of the equations: {exc}",
                               "gmm-newton", failure="domain")
        x = sol["x"]
        obs, oerr = _observables(p.loss, x, K, rho, G, sol["maps"][0], p)
        if "x_coarse" in sol:  # the rule's error on the observables: the coarse rule's answer
            F1 = _Map(p.loss, p.alpha, p.lam, p.Delta, rho, G, *_rule(K, p.loss, 0))
            o1, _ = _observables(p.loss, sol["x_coarse"], K, rho, G, F1, None, train=False)
            for k in o1:
                if k != "train_error":
                    oerr[k] = oerr[k] + 2 * abs(obs[k] - o1[k])
        elif "xs" in sol:
            spread = []
            for xi, Fi in zip(sol["xs"], sol["qmc_maps"]):
                oi, _ = _observables(p.loss, xi, K, rho, G, Fi, None, train=False)
                spread.append([oi["test_error"], oi["train_loss"]])
            _, se = qmc_mean(np.array(spread))
            oerr["test_error"] += 2 * float(se[0])
            oerr["train_loss"] += 2 * float(se[1])
        state = _full_state(x, K)
        # the rule's error is a property of each matrix: the largest entry estimate of V, Q, M
        # and b bounds every entry of that block (entrywise level differences can undershoot)
        e = np.array(sol["err"], dtype=float)
        n = K * (K + 1) // 2
        for lo, hi in ((0, n), (n, 2 * n), (2 * n, 2 * n + K * K), (2 * n + K * K, e.size)):
            e[lo:hi] = np.max(e[lo:hi])
        serr = _full_state(e, K)
        res = sol["residual"]
        rel = oerr["test_error"] / max(abs(obs["test_error"]), 1e-300)
        fin = all(math.isfinite(v) for v in (*state.values(), *obs.values()))
        # converged: residual at tol; the test error to its reported bound (QMC above K = 4:
        # the bound is statistical and typically 1e-4, reported, not required at tol)
        ok = fin and res <= tol
        msg = (f"converged ({sol['rule']}): residual {res:.2g} <= tol {tol:.1g}; test_error "
               f"+- {oerr['test_error']:.1g} (relative {rel:.1g})") if ok else (
               f"residual {res:.2g} > tol {tol:.1g}" if fin else "non-finite values")
        r = SolveResult(self.name, fields, state if ok else {k: math.nan for k in state},
                        obs if ok else {k: math.nan for k in obs}, ok, int(sol["iterations"]),
                        res, tol, msg, "gmm-newton", failure=None if ok else
                        ("residual" if fin else "nan"))
        r.observable_errors, r.state_errors = oerr, serr
        r.quadrature_error = float(oerr["test_error"])
        r.seconds = time.perf_counter() - t0
        r._x, r._J = x, sol.get("J")
        if not ok:
            r.last_state = state
        return r

    def solve_direct(self, p, *, tol: float = 1e-10, dps: int | None = None,
                     exact: dict | None = None) -> SolveResult:
        """Solve at one point (exact for the square loss, Newton + two rules otherwise).

        Parameters
        ----------
        p : GMMMulticlassParams
            Validated parameters.
        tol : float, default 1e-10
            Relative residual of the Newton solve.
        dps : None
            Not supported (float64 only).
        exact : dict, optional
            Ignored.

        Returns
        -------
        SolveResult
            State: entries ``Vjk`` (upper triangle), ``Qjk``, ``Mjk`` (all), ``bj``; observables
            ``test_error``, ``train_error``, ``train_loss`` (and ``bayes_error`` for
            orthonormal means), each with ``observable_errors``.

        Raises
        ------
        InputError
            ``dps`` given.
        """
        if dps is not None:
            raise InputError("dps", dps, "None (gmm_multiclass is float64 only)")
        return self._solve(p, tol)

    def curve_fast(self, vary, values, *, tol=1e-10, **params):
        """A curve by warm-started point solves (cross-entropy) or exact points (square).

        Parameters
        ----------
        vary : str
            The varied parameter.
        values : sequence of float
        tol : float, default 1e-10
        **params
            The other parameters.

        Returns
        -------
        list of SolveResult
        """
        out = []
        x0 = J = None
        for v in np.asarray(values, dtype=float).tolist():
            if vary == "K":
                v = int(v)
            p = make_params(self, {**params, vary: v})
            warm = vary != "K" and x0 is not None
            r = self._solve(p, tol, x0=x0 if warm else None, J=J if warm else None)
            if not r.converged and warm:
                r = self._solve(p, tol)
            if r.converged:
                x0, J = r._x, r._J
            out.append(r)
        return out


# ------------------------------------------------------------------ symbolic (LaTeX) form
class _Transpose(sp.Function):
    """Transpose of a matrix-valued symbol (prints as a superscript T)."""

    nargs = 1

    def _latex(self, printer):
        return r"\left(" + printer._print(self.args[0]) + r"\right)^{\top}"


@lru_cache(maxsize=4)
def matrix_system(loss: str = "square") -> SaddlePointSystem:
    r"""The K-class system in matrix form, for LaTeX (non-commuting symbols are matrices).

    Parameters
    ----------
    loss : {"square", "cross_entropy"}

    Returns
    -------
    SaddlePointSystem
        Steps :math:`\hat V, \hat Q, \hat M` (the channel: :math:`\mathbb E` over
        :math:`\omega\sim\mathcal N(M_{:,k}+b, Q)` summed with weights :math:`\rho_k`), B, and
        the prior updates; not numerically solvable (the solve is numerical, module docstring).
    """
    if loss not in LOSSES:
        raise InputError("loss", loss, f"one of {list(LOSSES)}")
    V, Q, M, b = sp.symbols("V Q M b", commutative=False)
    Vh, Qh, Mh, B, f, A, H = sp.symbols("Vhat Qhat Mhat_k B f_k A H_k", commutative=False)
    G, I_, ek, om, sk, Hk = sp.symbols("G I e_k omega_k s_k Hess_k", commutative=False)
    alpha, lam, Delta = sp.symbols("alpha lambda Delta", positive=True)
    Ek = sp.Function(r"\sum_k\rho_k\mathbb{E}_{\omega_k}")
    Ekk = sp.Function(r"\left[\rho_k\mathbb{E}_{\omega_k}\right]_{\mathrm{col}\,k}")
    T = _Transpose
    names = {Vh: r"\hat V", Qh: r"\hat Q", Mh: r"\hat M", om: r"\omega_k",
             sk: r"\mathrm{softmax}(\mathrm{prox}_k(\omega_k))",
             Hk: r"\nabla^2\ell(e_k,\mathrm{prox}_k(\omega_k))"}
    if loss == "square":
        steps = [(A, (I_ + V) ** -1), (f, A * (ek - om)), (Vh, alpha * A)]
        extra = [ek, om]
    else:
        steps = [(f, ek - sk), (H, Hk), (Vh, alpha * Ek((I_ + H * V) ** -1 * H))]
        extra = [ek, sk, Hk]
    steps += [(Qh, alpha * Ek(f * T(f))), (Mh, alpha * Ekk(f)),
              (B, (lam * I_ + Delta * Vh) ** -1)]
    return SaddlePointSystem(
        name=f"gmm_multiclass_{loss}", state=[V, Q, M, b],
        parameters=[alpha, lam, Delta, G, I_, *extra], steps=steps,
        updates={V: Delta * B, Q: Delta * B * (Delta * Qh + Mh * G * T(Mh)) * B,
                 M: B * Mh * G, b: b + (I_ + V) * Ek(f)},
        latex_names=names, reference=REFERENCE)
