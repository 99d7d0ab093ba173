r"""Linear separability of K Gaussian clusters: the threshold :math:`\alpha^*_K(\Delta)`.

Data as :mod:`theory.models.gmm_multiclass` (SPEC: :math:`x = (\mu_k+\sqrt\Delta z)/\sqrt d`,
:math:`\|\mu_k\| = 1`, Gram matrix G, weights :math:`\rho_k`). The n = αd samples are
*linearly separable* when some W, b give the right argmax of :math:`Wx+b` on every sample
(intercept included). For :math:`\alpha<\alpha^*_K` they are (with probability → 1), above
not; the multinomial-logistic MLE exists only above. Loureiro et al., arXiv:2106.03791v2, show
the threshold against Δ for K = 2...5 (their Fig. 3); the formula was not readable (digest Sec.
2.5): **derived here** as follows.

**Derivation (max-margin limit of the saddle point).** Take the convex loss
:math:`\ell_k(z) = \tfrac12\mathrm{dist}(z, C_k^{(1)})^2`, :math:`C_k^{(1)} = \{h: h_k-h_j\ge1\
\forall j\ne k\}`: the data are separable iff its ERM at :math:`\lambda\to0^+` has zero training
loss, and at the threshold the min-norm interpolator's norm diverges. In the saddle point of
:mod:`~theory.models.gmm_multiclass` put :math:`V = v/\lambda`, :math:`\hat V = \lambda\tilde V`,
:math:`\hat M = \lambda\tilde M`, :math:`\hat Q = \lambda^2\tilde Q`: as λ → 0 the prox becomes
the projection :math:`\Pi_k` onto :math:`C_k^{(1)}` in the metric :math:`v^{-1}`, and the
equations keep their form with λ → 1 (:math:`v = \Delta(I+\Delta\tilde V)^{-1}`,
:math:`f = v^{-1}(\Pi_k(\omega)-\omega)`). Let the norm diverge, :math:`(M, b, Q) = (tM_0, tb_0,
t^2Q_0)`, t → ∞: the margin drops out (:math:`\Pi_k` becomes the projection on the cone
:math:`C_k = \{h_k\ge h_j\}`) and :math:`v\to0` on :math:`\mathbf 1^\perp` (on
:math:`\mathbf 1`, along which every :math:`C_k` is invariant, :math:`v = \Delta`). Writing
:math:`Q = Q_\perp+\Delta MG^+M^\top` (the part of the noise carried by the mean directions,
fixed by M, and the rest) the limit equations are, with :math:`N_k` the projector on the normal
space of the face reached and :math:`D_k = \mathbb E[\Pi_k(\omega)-\omega]`,
:math:`\omega\sim\mathcal N(M_{:,k}+b, Q)`:

.. math::
   \alpha\sum_k\rho_k\mathbb E[N_k] = I,\quad
   Q_\perp = \alpha\sum_k\rho_k\mathbb E[(\Pi_k-\omega)(\Pi_k-\omega)^\top],\quad
   M = \tfrac\alpha\Delta[\textstyle\sum_k\rho_kD_kG_{kl}]_l,\quad \sum_k\rho_kD_k = 0

(on :math:`\mathbf 1^\perp`). By Price's theorem (:math:`\partial_{\sigma^2}\mathbb E\,
\mathrm{dist}^2 = \mathbb E\,\mathrm{tr}N`) and Stein's lemma these are the stationarity
conditions of the ratio of :math:`\mathrm{tr}\,Q_\perp` to the expected squared distance,
which gives

.. math::
   \alpha^*_K = \max_{t\ge0}\ \frac{K-1}{\mathbb E_\xi\,\mathrm{dist}^2\big(te_1+
   \sigma(t)\xi,\ C_1\big)},\qquad \sigma(t)^2 = 1+\Delta_{\mathrm{eff}}t^2,

once reduced by symmetry: for uniform weights and simplex or orthonormal means the ERM solution
is unique, hence invariant under permutations of the classes, so :math:`M\propto G` (on
:math:`\mathbf 1^\perp`), b = 0, and :math:`Q_\perp`, v are isotropic on :math:`\mathbf 1^\perp`;
the matrix equations reduce to their traces: the second gives α = (K-1)/E dist² at
:math:`Q_\perp = P_{\mathbf 1^\perp}`, the first is its stationarity in the scale of
:math:`Q_\perp` (Price), the third its stationarity in t. :math:`\xi\sim\mathcal N(0, I_K)`
(the component along :math:`\mathbf 1` does not change the distance);
:math:`\Delta_{\mathrm{eff}} = \Delta` for orthonormal means and :math:`\Delta(K-1)/K` for the
simplex (its means are :math:`\sqrt{K/(K-1)}` times further apart). K = 2 (any weights, any
Gram, :math:`g = G_{12}`): one dimension, with the bias,
:math:`\alpha^*_2 = \max_{a,\beta}1/\sum_{\pm}\rho_\pm\mathbb E(-(a\pm\beta)-\sigma\zeta)_+^2`,
:math:`\sigma^2 = 1+\Delta a^2\cdot2/(1-g)`; for the simplex (g = -1, the binary model with means
±μ) this is the Gardner / Candès-Sur-type binary formula
:math:`\max_{m,b}1/\mathbb E_{y,\zeta}(-m-yb-\sqrt{1+\Delta m^2}\,\zeta)_+^2` (limits: Δ → ∞
gives Cover's 2, Δ → 0 gives ∞). The K = 2 expectation is closed form,
:math:`\mathbb E(-a-\sigma\zeta)_+^2 = (a^2+\sigma^2)\Phi(-a/\sigma)-a\sigma\varphi(a/\sigma)`.

**Numerics (K >= 3).** The squared distance to the cone is only :math:`C^1` (piecewise
quadratic), on which a tensor Gauss-Hermite rule converges slowly and its level-to-level change
is not a trustworthy error bound; the (K-1)-dimensional expectation therefore uses randomised
QMC (:mod:`theory.numeric.qmc`, 8 scramblings of :math:`2^{15}` scrambled Sobol' points) for
every K >= 3. The projection onto :math:`C_1` is exact (sort the other coordinates;
:math:`h_1 = h_j = \tau` on the active set, :math:`\tau-\omega_1 = \sum_j(\omega_j-\tau)_+`).
t is maximised (bounded Brent) on the pooled points; the error is 2 standard errors of
:math:`\alpha^*` over the scramblings at that t (the value at a maximum is insensitive to t at
first order).

**Checks.** K = 2 against gmmbin's independent ``separability_threshold_binary`` and against the
30-digit mpmath computation of the binary formula (tests/reference/gmm_multi_separability_mp.py):
relative 1e-15. The K-general QMC code path at K = 2 reproduces the closed form within its error
bar. LP feasibility (scipy HiGHS, intercept included): K = 3, Δ = 1, d = 150, 10 instances:
separable fraction 1.0 at α = 3.0 and 0.5 at α = 3.67 (predicted 3.669); gmmsim's stored K = 4,
Δ = 0.5 crossings (d = 50, 12 instances): median 5.72 ± 0.22 (predicted 5.60). The symmetric
reduction for K >= 3 assumes the permutation-invariant solution (unique ERM solution at every
λ > 0, hence in the limit); the non-symmetric cases (non-uniform weights, a general Gram matrix,
K >= 3) are refused rather than guessed.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize_scalar

from ..errors import InputError
from ..numeric.qmc import qmc_mean, sobol_normal
from ..symbolic import atoms

__all__ = ["separability_threshold", "cone_distance2", "SeparabilityResult"]

_PHI0 = 1 / math.sqrt(2 * math.pi)
ndtr = atoms.Phi._numpy_impl  # the one normal cdf (theory.symbolic.atoms)


class SeparabilityResult(float):
    """The threshold α* (a float) with ``error`` (its error estimate) and ``t`` (the maximiser).

    Parameters
    ----------
    value : float
        α*.
    error : float
        Error estimate (K = 2: optimiser and round-off; K >= 3: 2 QMC standard errors).
    t : float
        The maximising mean scale (K = 2: ``a``).
    beta : float, optional
        The maximising bias (K = 2).
    """

    error: float
    t: float
    beta: float

    def __new__(cls, value, error, t, beta=0.0):
        obj = super().__new__(cls, value)
        obj.error, obj.t, obj.beta = float(error), float(t), float(beta)
        return obj


def _check(K, Delta, rho, means):
    if isinstance(K, bool):
        raise InputError("K", K, "an integer >= 2")
    try:
        fK = float(K)
    except (TypeError, ValueError):
        raise InputError("K", K, "an integer >= 2") from None
    if not (math.isfinite(fK) and fK == int(fK) and fK >= 2):
        raise InputError("K", K, "an integer >= 2 (the number of classes)")
    K = int(fK)
    try:
        D = float(Delta)
    except (TypeError, ValueError):
        raise InputError("Delta", Delta, "a real number > 0") from None
    if not (math.isfinite(D) and D > 0):
        raise InputError("Delta", Delta, "a finite real number > 0 (covariance Delta I must be "
                         "positive definite)")
    if rho is None:
        r = np.full(K, 1.0 / K)
    else:
        try:
            r = np.array([float(x) for x in (rho.split(",") if isinstance(rho, str) else rho)])
        except (TypeError, ValueError):
            raise InputError("rho", rho, f"{K} weights") from None
        if r.size != K:
            raise InputError("rho", rho, f"{K} weights (one per class)")
        if not np.all(np.isfinite(r)) or np.any(r <= 0):
            raise InputError("rho", rho, "weights > 0")
        if abs(r.sum() - 1) > 1e-12:
            raise InputError("rho", rho, "weights summing to 1",
                             hint=f"they sum to {r.sum():.15g}")
    if isinstance(means, str):
        if means == "simplex":
            G = K / (K - 1) * (np.eye(K) - np.ones((K, K)) / K)
        elif means == "orthonormal":
            G = np.eye(K)
        else:
            raise InputError("means", means, "'simplex', 'orthonormal' or a K x K Gram matrix")
    else:
        try:
            G = np.array(means, dtype=float)
        except (TypeError, ValueError):
            raise InputError("means", means, "'simplex', 'orthonormal' or a K x K Gram "
                             "matrix") from None
        if G.shape != (K, K):
            raise InputError("means", means, f"a {K} x {K} Gram matrix", hint=f"shape {G.shape}")
        if not np.allclose(G, G.T, atol=1e-12) or not np.allclose(np.diag(G), 1, atol=1e-12):
            raise InputError("means", means, "a symmetric Gram matrix with unit diagonal")
        if np.linalg.eigvalsh(G)[0] < -1e-12:
            raise InputError("means", means, "a positive semi-definite Gram matrix")
    return K, D, r, G


def _plus2(a, s):
    """E(-a - s zeta)_+^2, zeta ~ N(0, 1)."""
    return (a * a + s * s) * ndtr(-a / s) - a * s * _PHI0 * np.exp(-0.5 * (a / s) ** 2)


def _threshold_2(Delta, rho, g):
    if g >= 1 - 1e-12:
        raise InputError("means", "identical means", "distinct means (G_12 < 1)")
    de = 2 * Delta / (1 - g)  # sigma^2 = 1 + de * a^2

    def E(a, beta):
        s = math.sqrt(1 + de * a * a)
        return rho[0] * _plus2(a + beta, s) + rho[1] * _plus2(a - beta, s)

    def inner(a):
        if abs(rho[0] - rho[1]) < 1e-15:
            return E(a, 0.0), 0.0
        r = minimize_scalar(lambda bb: E(a, bb), bracket=(-1.0, 1.0),
                            options={"xtol": 1e-13, "maxiter": 500})
        return r.fun, r.x

    # minimise E over a >= 0 (E -> 1/2 as a -> 0 at balance; at a -> inf E ~ Delta-limited)
    amax = 50.0 / math.sqrt(max(de, 1e-6))
    r = minimize_scalar(lambda a: inner(a)[0], bounds=(0.0, amax), method="bounded",
                        options={"xatol": 1e-12, "maxiter": 1000})
    Emin, beta = inner(r.x)
    val = 1.0 / Emin
    return SeparabilityResult(val, 64 * np.finfo(float).eps * val, r.x, beta)


def cone_distance2(omega):
    r"""Squared Euclidean distance of each row of ``omega`` to :math:`C_1 = \{h: h_1\ge h_j\}`.

    Parameters
    ----------
    omega : numpy.ndarray, shape (N, K)

    Returns
    -------
    numpy.ndarray, shape (N,)
        :math:`\min_\tau[(\tau-\omega_1)^2+\sum_{j>1}(\omega_j-\tau)_+^2]` (the exact projection:
        the active set is a prefix of the other coordinates sorted downwards).
    """
    w = np.asarray(omega, dtype=float)
    x = w[:, 0]
    s = -np.sort(-w[:, 1:], axis=1)  # descending
    cs = np.cumsum(s, axis=1)
    a = np.arange(1, s.shape[1] + 1)
    tau = (x[:, None] + cs) / (1 + a)  # tau if the top-a coordinates are active
    nxt = np.concatenate([s[:, 1:], np.full((len(x), 1), -np.inf)], axis=1)
    ok = (s > tau) & (tau >= nxt)
    # rows with omega_1 >= max others: distance 0
    idx = np.argmax(ok, axis=1)
    has = ok.any(axis=1)
    t = tau[np.arange(len(x)), idx]
    d2 = (t - x) ** 2 + np.sum(np.clip(s - t[:, None], 0, None) ** 2, axis=1)
    return np.where(has & (s[:, 0] > x), d2, 0.0)


def _threshold_sym(K, De, log2n=15, scrambles=8):
    sets = sobol_normal(K - 1, log2n=log2n, scrambles=scrambles, seed=11)
    Z = np.eye(K)[:, :-1] - np.eye(K)[:, -1:]
    U, _ = np.linalg.qr(Z)  # orthonormal basis of 1-perp
    noise = [S @ U.T for S in sets]  # (N, K) isotropic on 1-perp
    e1 = np.eye(K)[0]

    def E(t, which=None):
        s = math.sqrt(1 + De * t * t)
        if which is None:
            return float(np.mean([cone_distance2(t * e1 + s * n).mean() for n in noise]))
        return cone_distance2(t * e1 + s * noise[which]).mean()

    tmax = 50.0 / math.sqrt(De)
    r = minimize_scalar(E, bounds=(0.0, tmax), method="bounded",
                        options={"xatol": 1e-8, "maxiter": 500})
    vals = [(K - 1) / E(r.x, i) for i in range(len(noise))]
    v, se = qmc_mean(np.array(vals))
    return SeparabilityResult((K - 1) / E(r.x), 2 * float(se), r.x)


def separability_threshold(K, *, Delta, rho=None, means="simplex"):
    r"""The sample ratio :math:`\alpha^*_K` below which K Gaussian clusters are linearly separable.

    Parameters
    ----------
    K : int
        Number of classes (>= 2).
    Delta : float
        Noise variance, covariance :math:`\Delta I` (> 0).
    rho : None, str or sequence of float, optional
        Class weights (default uniform). K >= 3: uniform only.
    means : str or array_like, default "simplex"
        ``"simplex"``, ``"orthonormal"`` or (K = 2 only) a 2 x 2 Gram matrix.

    Returns
    -------
    SeparabilityResult
        A float (α* = n/d) with ``error``, ``t`` (maximiser) and ``beta`` (K = 2 bias).
        Derivation and numerics: module docstring (K = 2 closed form + Brent, error ~1e-14;
        K >= 3 randomised QMC, error 2 s.e., ~1e-4 relative).

    Raises
    ------
    InputError
        K < 2, Delta <= 0, weights not > 0 or not summing to 1, a bad Gram matrix, or (K >= 3)
        non-uniform weights / a general Gram matrix (the symmetric reduction does not apply;
        the general optimisation is not implemented).

    Examples
    --------
    >>> a = separability_threshold(2, Delta=1e6)  # pure noise: Cover's 2
    >>> round(float(a), 4)
    2.0
    """
    K, D, r, G = _check(K, Delta, rho, means)
    if K == 2:
        return _threshold_2(D, r, float(G[0, 1]))
    if not np.allclose(r, 1.0 / K, atol=1e-15):
        raise InputError("rho", rho, "uniform weights for K >= 3 (the symmetric reduction of "
                         "the module docstring; the general case is not implemented)")
    if not isinstance(means, str):
        raise InputError("means", means, "'simplex' or 'orthonormal' for K >= 3")
    De = D if means == "orthonormal" else D * (K - 1) / K
    return _threshold_sym(K, De)
