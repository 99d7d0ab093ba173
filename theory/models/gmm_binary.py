r"""Two Gaussian clusters, a linear classifier with an intercept: exact asymptotics of ERM.

Loureiro, Sicuro, Gerbelot, Pacco, Krzakala, Zdeborová, "Learning Gaussian Mixtures with
Generalised Linear Models: Precise Asymptotics in High-dimensions", NeurIPS 2021,
arXiv:2106.03791v2 (Theorem 1 for K = 2; the paper's equation numbers were not readable).
**Source followed**: the equations as the authors' code implements them
(IdePHICS/GaussMixtureProject, ``K2mix/``), recorded in ``shared/papers/gmm-digest.md`` Sec. 2.3,
re-derived here in one notation (below); where the digest and the derivation differ, the
derivation is used and the difference is stated.

Data (the normalisation of the authors' code, SPEC.md): :math:`y = \pm1`,
:math:`P(y = +1) = \rho`, :math:`x = (y\mu + \Sigma^{1/2}z)/\sqrt d`, :math:`z\sim\mathcal N(0,
I_d)`, :math:`\|\mu\|^2 = 1`; :math:`\Sigma` diagonal. The coordinates fall into classes c of
fraction :math:`f_c`, variance :math:`\sigma_c` and mean power :math:`\tau_c = \mathbb E\,
\tilde\mu_i^2` (:math:`\tilde\mu = \sqrt d\,\mu`): dense means and blocks ``p_r:Delta_r``:
:math:`(p_r, \Delta_r, 1)`; sparse means (a fraction :math:`\rho_s` of the coordinates carries
:math:`\tilde\mu_i\sim\mathcal N(0, 1/\rho_s)`, the support independent of the blocks):
:math:`(p_r\rho_s, \Delta_r, 1/\rho_s)` and :math:`(p_r(1 - \rho_s), \Delta_r, 0)`.
Estimator: :math:`\min_{w, b}\sum_\nu\ell(y_\nu, w\cdot x_\nu + b) + \lambda r(w)`,
:math:`r = \|w\|^2/2` (l2) or :math:`\|w\|_1` (l1), :math:`n = \alpha d`; square
:math:`(y - z)^2/2`, logistic :math:`\log(1 + e^{-yz})`, hinge :math:`\max(0, 1 - yz)`
(:mod:`theory.losses`).

Order parameters: :math:`m = \mu\cdot w/\sqrt d = \tilde\mu\cdot w/d` (w with O(1) entries),
:math:`q = w^\top\Sigma w/d`, V, the intercept b.
The pre-activation of a sample of label y is :math:`w\cdot x + b = ym + b + \sqrt q\,\xi`.

**Channel** (derived as the Gaussian-covariate replica/AMP equations with a mean; matches the
digest's square-loss and logistic formulae term by term). With
:math:`\omega_y = ym + b + \sqrt q\,\xi`, :math:`h = \operatorname{prox}_{V\ell(y,\cdot)}
(\omega_y)`, :math:`f = (h - \omega)/V = -\partial_z\ell(y, h)`, and :math:`\mathbb E` over
:math:`y` and :math:`\xi\sim\mathcal N(0,1)`:

.. math:: \hat V = \alpha\,\mathbb E\Bigl[\frac{1 - \partial_\omega h}{V}\Bigr],\quad
   \hat q = \alpha\,\mathbb E f^2,\quad \hat m = \alpha\,\mathbb E[yf],\quad
   0 = \mathbb E f\ \ (b\text{'s stationarity}).

The last is :math:`\partial_b` of the empirical risk. (The digest writes it for the logistic
loss as :math:`\mathbb E[\rho\ell'(p_1 + b) + (1 - \rho)\ell'(-p_2 - b)] = 0`; since
:math:`\ell' < 0` that sum never vanishes: the signs are :math:`\rho\ell'(p_1 + b) - (1 -
\rho)\ell'(-p_2 - b)`; for the square loss both give the digest's :math:`b = (2\rho - 1)(1 -
m)`. The authors' code has the same sum in its logistic ``_update_bias``; their published
curves are all at :math:`\rho = 1/2`, where b = 0 either way.) b is a state variable updated by one Newton step on that equation,
:math:`b \leftarrow b + \alpha\,\mathbb E f/\hat V` (:math:`\partial_b\mathbb E f =
-\hat V/\alpha`), exact for the square loss.
For the margin losses everything depends on :math:`u = y\omega \sim\mathcal N(m + yb, q)`:
square, :math:`yf = (1 - u)/(1 + V)`, :math:`\partial_\omega h = 1/(1 + V)`; hinge,
:math:`yf = 1` on :math:`u < 1 - V`, :math:`(1 - u)/V` on :math:`[1 - V, 1]` (where
:math:`\partial_\omega h = 0`), 0 beyond; both are Gaussian partial moments in closed form.
Logistic: :math:`yf = \sigma(-t)`, :math:`t - u = V\sigma(-t)` (:mod:`theory.numeric.prox`),
:math:`(1 - \partial_\omega h)/V = \ell''(t)/(1 + V\ell''(t))`: a 1-D expectation over
:math:`\xi`, done by composite Gauss--Legendre panels on :math:`[-10, 10]` of width
:math:`\min(1, 2.5/\sqrt q)` (the prox bends on a scale O(1) in u, i.e. :math:`1/\sqrt q`
in :math:`\xi`: a plain Gauss--Hermite rule stops converging at large q), the error read from
the next node level.

**Prior** (per coordinate, :math:`B = \hat m\tilde\mu + \sqrt{\hat q\sigma}\,g`,
:math:`w = \operatorname{argmin}\,\hat V\sigma w^2/2 - Bw + \lambda r(w)`; :math:`m =
\mathbb E\tilde\mu w`, :math:`q = \mathbb E\sigma w^2`, :math:`V = \mathbb E\sigma\,\partial_Bw`).
l2, with :math:`D_c = \lambda + \hat V\sigma_c` (the digest's block formulae):

.. math:: V = \sum_c f_c\frac{\sigma_c}{D_c},\quad m = \sum_c f_c\frac{\tau_c\hat m}{D_c},\quad
   q = \sum_c f_c\frac{\sigma_c(\tau_c\hat m^2 + \hat q\sigma_c)}{D_c^2}.

l1 (derived: for Gaussian :math:`\tilde\mu` the field B is Gaussian of variance
:math:`s_c^2 = \tau_c\hat m^2 + \hat q\sigma_c`, :math:`w = \operatorname{soft}_\lambda(B)/(\hat
V\sigma)`; Stein's lemma for m), with :math:`P_c = \operatorname{erfc}(\lambda/\sqrt{2s_c^2})`,
:math:`t_c = \lambda/s_c`:

.. math:: V = \sum_c f_c\frac{P_c}{\hat V},\quad m = \sum_c f_c\frac{\tau_c\hat mP_c}{\hat V
   \sigma_c},\quad q = \sum_c f_c\frac{2s_c^2[(1 + t_c^2)Q(t_c) - t_c\varphi(t_c)]}{\hat V^2
   \sigma_c}.

(The digest's :math:`V = \mathbb E_z\operatorname{erfc}((\lambda + \hat mz)/\sqrt{2\hat q\Delta})
/\hat V` is the same :math:`P_c` before the average over :math:`\tilde\mu` is done.)

**Observables**. :math:`\varepsilon_g = \rho Q((m + b)/\sqrt q) + (1 - \rho)Q((m - b)/\sqrt q)`;
training error :math:`\mathbb E\,1\{yh \le 0\}` (:math:`yh = t`, increasing in u: square and
hinge :math:`P(u < -V)`, logistic :math:`P(u < -V/2)`); ``train_loss`` =
:math:`\mathbb E\,\ell(y, h)`, the mean loss over the training set without the penalty.

**Bayes-optimal error** (:func:`bayes_error`, derived): with the labels known,
:math:`y_\nu\sqrt d x_\nu = \tilde\mu/\sqrt d\cdot\sqrt d + y_\nu\Sigma^{1/2}z_\nu` are n
noisy looks at the mean; per coordinate the posterior mean :math:`\eta_c` of :math:`\tilde\mu`
given :math:`S = \tilde\mu + \sqrt{\sigma_c/\alpha}\,g`. The predictive law of a test point
given y is Gaussian (:math:`N(y\hat\mu, \Sigma + O(1/d))`), so the Bayes rule is
:math:`\operatorname{sign}(2\hat\mu^\top\Sigma^{-1}x + \log\frac\rho{1-\rho})` (for a
non-Gaussian prior the log-ratio is linear in x up to :math:`O(d^{-1/2})`), and with
:math:`A = \sum_cf_c\mathbb E[\eta_c^2]/\sigma_c` (:math:`= \sum_cf_c\mathbb E[\eta_c\tilde\mu]
/\sigma_c`, MMSE orthogonality)

.. math:: \varepsilon_{BO} = \rho\,Q\Bigl(\frac{A + L/2}{\sqrt A}\Bigr) + (1 - \rho)\,
   Q\Bigl(\frac{A - L/2}{\sqrt A}\Bigr),\qquad L = \log\frac\rho{1 - \rho};

Gaussian means: :math:`\mathbb E\eta_c^2 = \tau_c^2\alpha/(\tau_c\alpha + \sigma_c)`.
Isotropic, :math:`\rho = 1/2`: :math:`\varepsilon_{BO} = Q(\sqrt{\alpha/(\Delta(\alpha +
\Delta))})`. **Mapping to the multi-class formula** of the digest (orthonormal means
:math:`\mu_1\perp\mu_2`, noise :math:`\Delta_K`): the half-distance between the means is
:math:`1/\sqrt2`; rescaling x by :math:`\sqrt2` gives this model with :math:`\Delta =
2\Delta_K`, and :math:`Q(\sqrt{\alpha/(2\Delta_K(\alpha + 2\Delta_K))}) =
\Phi(-1/(\sqrt2\eta))`, :math:`\eta^2 = \Delta_K(1 + 2\Delta_K/\alpha)` (tested to 1e-14).
(K = 2 simplex means, :math:`\mu_2 = -\mu_1`, are this model with :math:`\Delta = \Delta_K`.)

**Separability** (:func:`separability_threshold_binary`): see its docstring.

**Checks** (tests/test_gmm_binary.py): an independent quad/brentq/hybr reference solver
(1e-8, every loss x penalty, blocks, sparse means, :math:`\rho \ne 1/2`); the authors' own
published theory curves ``K2mix/data/theory/*.csv`` (logistic, hinge, ridge, lasso with block
covariances: V, m, q, b, test error, training loss to ~1e-9; their hinge training loss lacks a
factor :math:`\sqrt q`, E[(A - Z)_+] for :math:`\sqrt q\,`E[(A - Z)_+]); the square loss in
closed form; the written-down system solved by the engine's generic solver. Normalisation of
sparse means: SPEC.md's :math:`\tilde\mu_i\sim\mathcal N(0, 1/\rho_s)` on the support
(:math:`\|\mu\| = 1`); the authors' ``CorrModel`` uses :math:`\mathcal N(0, 1)`
(:math:`\|\mu\|^2 = \rho_s`).

**Solver**: Newton's method on :math:`F(x) - x`, :math:`x = (V, q, m, b)`, with a
forward-difference Jacobian and backtracking (damped Picard steps when Newton stalls; the
undamped Picard iteration of the authors' code diverges), warm starts with a secant predictor
along a curve. Residual :math:`\max|F(x) - x|/\max(1, |x|)`; the error bound of every state
variable and observable is :math:`2|(I - J)^{-1}(F_{\ell+1} - F_\ell)|` (two node levels;
zero for the closed-form channels) plus the residual carried the same way.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.special import erfcx

from ..errors import InputError
from ..losses import get_loss
from ..symbolic import atoms
from .base import Model, SolveResult, choice, make_params, param, positive, register, validate

__all__ = ["GMMBinary", "GMMBinaryParams", "bayes_error", "separability_threshold_binary",
           "coordinate_classes", "gmm_binary_system"]

REFERENCE = ("Loureiro, Sicuro, Gerbelot, Pacco, Krzakala, Zdeborová (2021), Learning Gaussian "
             "mixtures with generalised linear models: precise asymptotics in high dimensions, "
             "arXiv:2106.03791v2, Theorem 1 (K = 2); equations as in the authors' code "
             "IdePHICS/GaussMixtureProject K2mix (shared/papers/gmm-digest.md Sec. 2.3), "
             "re-derived (module docstring)")

LOSS_NAMES = ("square", "logistic", "hinge")
PENALTY_NAMES = ("l2", "l1")
STATE = ("V", "q", "m", "b")
HATS = ("Vhat", "qhat", "mhat")
OBSERVABLES = ("test_error", "train_error", "train_loss", "bayes_error", "Vhat", "qhat", "mhat")
_SQ2 = math.sqrt(2.0)
_ISQ2PI = 1.0 / math.sqrt(2.0 * math.pi)
_L = 10.0  # the xi range of the logistic rule: phi(10) ~ 8e-23
_LEVELS = (8, 12, 16, 20)  # Gauss-Legendre nodes per panel


# ---------------------------------------------------------------- parameters
def _open_unit(name, v):
    x = positive(name, v)
    if not x < 1:
        raise InputError(name, v, "a number in the open interval (0, 1)")
    return x


def _unit_half_open(name, v):
    x = positive(name, v)
    if not x <= 1:
        raise InputError(name, v, "a number in (0, 1]")
    return x


def parse_blocks(name, v):
    r"""Check and canonicalise a block covariance: ``"p1:D1,p2:D2,..."`` or [(p1, D1), ...].

    Parameters
    ----------
    name : str
        The parameter's name (quoted by the error).
    v : str or sequence of (float, float) or None
        Fractions :math:`p_r` (> 0, summing to 1) and variances :math:`\Delta_r` (> 0); ""
        or None for the isotropic covariance.

    Returns
    -------
    str
        The canonical text ``"p1:D1,p2:D2"`` ("" for isotropic).

    Raises
    ------
    InputError
        Not pairs of numbers, a fraction outside (0, 1], a variance <= 0 or not finite (the
        covariance is not positive definite), fractions not summing to 1 (to 1e-9).
    """
    if v is None or (isinstance(v, str) and not v.strip()):
        return ""
    pairs = []
    try:
        if isinstance(v, str):
            for part in v.split(","):
                a, c = part.split(":")
                pairs.append((float(a), float(c)))
        else:
            for a, c in v:
                pairs.append((float(a), float(c)))
    except (TypeError, ValueError):
        raise InputError(name, v, "blocks as 'p1:Delta1,p2:Delta2,...' (fractions p_r > 0 "
                         "summing to 1, variances Delta_r > 0)") from None
    if not pairs:
        return ""
    for a, c in pairs:
        if not (math.isfinite(a) and 0 < a <= 1):
            raise InputError(name, v, "block fractions p_r in (0, 1]", hint=f"p_r = {a!r}")
        if not (math.isfinite(c) and c > 0):
            raise InputError(name, v, "block variances Delta_r > 0 and finite (a positive "
                             "definite covariance)", hint=f"Delta_r = {c!r}")
    tot = sum(a for a, _ in pairs)
    if abs(tot - 1.0) > 1e-9:
        raise InputError(name, v, "block fractions p_r summing to 1",
                         hint=f"they sum to {tot!r}")
    return ",".join(f"{a!r}:{c!r}" for a, c in pairs)


@dataclass(frozen=True, kw_only=True)
class GMMBinaryParams:
    r"""Validated parameters of :class:`GMMBinary` (keyword-only, frozen).

    Attributes
    ----------
    alpha : float, default 1.0
        :math:`\alpha = n/d` (> 0).
    lam : float, default 0.1
        Penalty strength :math:`\lambda` (> 0).
    rho : float, default 0.5
        :math:`P(y = +1)`, in (0, 1).
    Delta : float, default 1.0
        Isotropic noise variance (> 0); not used when ``blocks`` is given.
    blocks : str, default ""
        Block-diagonal covariance ``"p1:Delta1,p2:Delta2,..."`` (fractions summing to 1,
        variances > 0); "" for isotropic ``Delta``.
    means : {"dense", "sparse"}, default "dense"
        Dense means, or a fraction ``rho_s`` of coordinates carrying the mean.
    rho_s : float, default 1.0
        Support fraction of sparse means, in (0, 1].
    loss : {"square", "logistic", "hinge"}, default "logistic"
    penalty : {"l2", "l1"}, default "l2"
    """

    alpha: float = param(1.0, "n/d: samples per dimension")
    lam: float = param(0.1, "penalty strength lambda (l2: lam ||w||^2/2, l1: lam ||w||_1)")
    rho: float = param(0.5, "P(y = +1), in (0, 1)", _open_unit)
    Delta: float = param(1.0, "isotropic noise variance (ignored when blocks is given)")
    blocks: str = param("", "block covariance 'p1:Delta1,p2:Delta2' (fractions sum to 1)",
                        parse_blocks)
    means: str = param("dense", "mean vector: dense, or sparse (fraction rho_s)",
                       choice("dense", "sparse"))
    rho_s: float = param(1.0, "support fraction of sparse means, in (0, 1]", _unit_half_open)
    loss: str = param("logistic", "loss", choice(*LOSS_NAMES))
    penalty: str = param("l2", "penalty", choice(*PENALTY_NAMES))

    def __post_init__(self):
        validate(self)


def coordinate_classes(p) -> tuple:
    r"""(f, sigma, tau): fractions, variances and mean powers of the coordinate classes.

    Parameters
    ----------
    p : GMMBinaryParams
        Validated parameters.

    Returns
    -------
    f, sigma, tau : numpy.ndarray of float, shape (C,)
        Fraction :math:`f_c`, variance :math:`\sigma_c`, :math:`\tau_c = \mathbb E\tilde\mu_i^2`
        of each class (module docstring); :math:`\sum_cf_c = 1`, :math:`\sum_cf_c\tau_c = 1`.
    """
    rows = []
    for fr, var in _block_pairs(p):
        if p.means == "sparse" and p.rho_s < 1:
            rows += [(fr * p.rho_s, var, 1.0 / p.rho_s), (fr * (1 - p.rho_s), var, 0.0)]
        else:
            rows.append((fr, var, 1.0))
    a = np.array(rows, dtype=float)
    return a[:, 0].copy(), a[:, 1].copy(), a[:, 2].copy()


def _block_pairs(p) -> list:
    """[(p_r, Delta_r)] of the validated parameters ([(1, Delta)] when isotropic)."""
    if not p.blocks:
        return [(1.0, float(p.Delta))]
    out = []
    for s in p.blocks.split(","):
        a, c = s.split(":")
        out.append((float(a), float(c)))
    return out


# ---------------------------------------------------------------- Gaussian pieces
_Phi = atoms.Phi._numpy_impl  # the one normal cdf (theory.symbolic.atoms)

def _Q(x):
    return _Phi(-np.asarray(x, float))


def _phi(x):
    x = np.asarray(x, float)
    return _ISQ2PI * np.exp(-0.5 * x * x)


def _interval_prob(A, B):
    """P(A < Z < B) without cancellation in either tail."""
    return np.where(A > 0, _Phi(-A) - _Phi(-B), _Phi(B) - _Phi(A))


def _partial(mu, s, a, b):
    """(P, E[u 1], E[u^2 1]) on a < u < b for u ~ N(mu, s^2) (a, b may be +-inf)."""
    with np.errstate(invalid="ignore"):
        A, B = (a - mu) / s, (b - mu) / s
        P = _interval_prob(A, B)
        pa, pb = _phi(A), _phi(B)
        Aa = np.where(np.isfinite(A), A * pa, 0.0)
        Bb = np.where(np.isfinite(B), B * pb, 0.0)
    M1 = pa - pb
    M2 = P + Aa - Bb
    return P, M1, M2  # moments of t = (u - mu)/s


def _J2(t):
    """E[(Z - t)_+^2] = (1 + t^2) Q(t) - t phi(t), relative accuracy for large t."""
    t = np.asarray(t, float)
    big = t > 3.0
    tb = np.where(big, t, 3.0)
    # Mills ratio R = Q/phi = sqrt(pi/2) erfcx(t/sqrt2)
    R = math.sqrt(math.pi / 2) * erfcx(tb / _SQ2)
    v_big = _phi(tb) * ((1 + tb * tb) * R - tb)
    v_small = (1 + t * t) * _Q(t) - t * _phi(t)
    return np.where(big, v_big, v_small)


# ---------------------------------------------------------------- channels
@functools.lru_cache(maxsize=64)
def xi_rule(level: int, panels: int) -> tuple:
    r"""Composite Gauss--Legendre rule for :math:`\mathbb E_{\xi\sim\mathcal N(0,1)}` on
    :math:`[-10, 10]` (``panels`` equal panels, ``_LEVELS[level]`` nodes each; cached).

    Parameters
    ----------
    level : int
        Node level (index into ``_LEVELS``).
    panels : int
        Number of panels.

    Returns
    -------
    z, w : numpy.ndarray, shape (N,)
        Nodes and weights (:math:`\sum w \approx 1`).
    """
    from ..numeric.quadrature import legendre_rule

    u, w = legendre_rule(_LEVELS[level])
    edges = np.linspace(-_L, _L, panels + 1)
    half = 0.5 * (edges[1:] - edges[:-1])
    mid = 0.5 * (edges[1:] + edges[:-1])
    z = (mid[:, None] + half[:, None] * u).ravel()
    wz = (half[:, None] * w).ravel() * _phi(z)
    z.flags.writeable = False
    wz.flags.writeable = False
    return z, wz


def panels_for(q) -> int:
    """Panels of :func:`xi_rule` for a variance q: width min(1, 2.5/sqrt q) (at most 4000)."""
    h = min(1.0, 2.5 / math.sqrt(max(float(q), 1e-300)))
    return int(min(4000, math.ceil(2 * _L / h)))


class _Channel:
    """Conjugates and observables of one loss at (alpha, rho); V, q, m, b arrays of one shape."""

    def __init__(self, loss: str, alpha, rho, level: int = 1, panels: int = 20):
        self.loss, self.alpha, self.rho, self.level = loss, alpha, rho, level
        self.panels = panels
        self.obj = get_loss(loss)

    def hats(self, V, q, m, b, *, observables=False):
        """(Vhat, qhat, mhat, E f) [and (train_error, train_loss)]."""
        a, rho = self.alpha, self.rho
        V, q, m, b = (np.asarray(v, float) for v in (V, q, m, b))
        s = np.sqrt(q)
        ys = np.array([1.0, -1.0])
        rys = np.array([rho, 1.0 - rho])
        shp = (2,) + (1,) * V.ndim
        y = ys.reshape(shp)
        ry = rys.reshape(shp)
        mu = m + y * b  # (2, ...): u = y omega ~ N(mu, q)
        if self.loss == "square":
            d = 1.0 + V
            e1 = (1.0 - mu) / d  # E[y f]
            e2 = ((1.0 - mu) ** 2 + q) / d**2  # E f^2
            ev = np.broadcast_to(1.0 / d, mu.shape)
            if observables:
                te = _Q((mu + V) / s)
                tl = ((1.0 - mu) ** 2 + q) / (2 * d**2)
        elif self.loss == "hinge":
            Pl, _, _ = _partial(mu, s, -np.inf, 1.0 - V)
            Pm, M1m, M2m = _partial(mu, s, 1.0 - V, 1.0)
            c = 1.0 - mu
            e1 = Pl + (c * Pm - s * M1m) / V
            e2 = Pl + (c * c * Pm - 2 * c * s * M1m + q * M2m) / V**2
            ev = Pm / V
            if observables:
                te = _Q((mu + V) / s)
                k = (1.0 - V - mu) / s  # E[(1 - V - u)_+] = s E[(k - Z)_+]
                tl = s * (k * _Phi(k) + _phi(k))
        else:  # logistic: one prox call for both labels and every column
            z, wz = xi_rule(self.level, self.panels)
            u = mu[..., None] + s[..., None] * z
            Vb = np.broadcast_to(V[..., None], u.shape)
            t = self.obj.prox(1.0, u, Vb)
            sg = _sigm(-t)
            l2 = self.obj.hess(1.0, t)
            e1 = sg @ wz
            e2 = (sg * sg) @ wz
            ev = (l2 / (1.0 + Vb * l2)) @ wz
            if observables:
                te = _Q((mu + 0.5 * V) / s)
                tl = self.obj.value(1.0, t) @ wz
        Vh = a * np.sum(ry * ev, axis=0)
        qh = a * np.sum(ry * e2, axis=0)
        mh = a * np.sum(ry * e1, axis=0)
        Ef = np.sum(ry * y * e1, axis=0)
        if observables:
            return Vh, qh, mh, Ef, np.sum(ry * te, axis=0), np.sum(ry * tl, axis=0)
        return Vh, qh, mh, Ef


def _sigm(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def prior_update(penalty: str, lam, Vh, qh, mh, f, sigma, tau):
    r"""The prior equations: (V, q, m) from the conjugates (module docstring).

    Parameters
    ----------
    penalty : {"l2", "l1"}
    lam, Vh, qh, mh : float or numpy.ndarray
        :math:`\lambda, \hat V, \hat q, \hat m` (broadcast together).
    f, sigma, tau : numpy.ndarray, shape (C,)
        The coordinate classes (:func:`coordinate_classes`).

    Returns
    -------
    V, q, m : float or numpy.ndarray
    """
    ex = np.asarray(Vh, float)[..., None]
    lm = np.asarray(lam, float)[..., None]
    qx = np.asarray(qh, float)[..., None]
    mx = np.asarray(mh, float)[..., None]
    if penalty == "l2":
        D = lm + ex * sigma
        V = np.sum(f * sigma / D, axis=-1)
        m = np.sum(f * tau * mx / D, axis=-1)
        q = np.sum(f * sigma * (tau * mx * mx + qx * sigma) / D**2, axis=-1)
        return V, q, m
    s2 = tau * mx * mx + qx * sigma
    with np.errstate(divide="ignore", invalid="ignore"):
        sc = np.sqrt(s2)
        t = np.where(sc > 0, lm / sc, np.inf)
        P = np.where(sc > 0, 2.0 * _Phi(-t), 0.0)
        Es2 = np.where(sc > 0, 2.0 * s2 * _J2(np.where(np.isfinite(t), t, 0.0)), 0.0)
    V = np.sum(f * P, axis=-1) / np.asarray(Vh, float)
    m = np.sum(f * tau * mx * P / sigma, axis=-1) / np.asarray(Vh, float)
    q = np.sum(f * Es2 / sigma, axis=-1) / np.asarray(Vh, float) ** 2
    return V, q, m


# ---------------------------------------------------------------- the map and its solve
class _Map:
    """x = (V, q, m, b) -> F(x) at fixed parameters (one point); x of shape (4,) or (4, k)."""

    def __init__(self, p, level: int = 1, panels: int | None = None):
        self.p = p
        self.classes = coordinate_classes(p)
        self.level = level
        self.panels = panels
        self.evals = 0

    def _ch(self, q):
        if self.panels is None:  # fixed at the first evaluation: one rule for the whole solve
            self.panels = panels_for(np.max(q))
        return _Channel(self.p.loss, self.p.alpha, self.p.rho, self.level, self.panels)

    def with_level(self, level):
        return _Map(self.p, level, self.panels)

    def __call__(self, x):
        self.evals += 1
        x = np.asarray(x, float)
        V, q, m, b = x
        with np.errstate(all="ignore"):
            bad = ~((V > 0) & (q > 0) & np.all(np.isfinite(x), axis=0))
            Vs, qs = np.where(bad, 1.0, V), np.where(bad, 1.0, q)
            ms, bs = np.where(bad, 0.0, m), np.where(bad, 0.0, b)
            Vh, qh, mh, Ef = self._ch(qs).hats(Vs, qs, ms, bs)
            Vn, qn, mn = prior_update(self.p.penalty, self.p.lam, Vh, qh, mh, *self.classes)
            bn = bs + self.p.alpha * Ef / Vh
            out = np.array([Vn, qn, mn, bn], dtype=float)
            bad = bad | ~(Vh > 0) | ~(qh >= 0)
        return np.where(bad, np.nan, out)

    def observables(self, x):
        """Observables at the columns of x (arrays of shape x.shape[1:])."""
        V, q, m, b = np.asarray(x, float)
        Vh, qh, mh, _, tre, trl = self._ch(q).hats(V, q, m, b, observables=True)
        s = np.sqrt(q)
        rho = self.p.rho
        te = rho * _Q((m + b) / s) + (1 - rho) * _Q((m - b) / s)
        return {"test_error": te, "train_error": tre, "train_loss": trl, "Vhat": Vh,
                "qhat": qh, "mhat": mh}


def _res(x, fx):
    if not np.all(np.isfinite(fx)):
        return np.inf
    return float(np.max(np.abs(fx - x) / np.maximum(1.0, np.abs(x))))


def _jac(F, x, fx):
    """dF/dx by forward differences, the n perturbed states in one vectorised call."""
    h = 1e-7 * np.maximum(1.0, np.abs(x))
    X = x[:, None] + np.diag(h)
    return (F(X) - fx[:, None]) / h[None, :]


def _newton(F, x0, tol, max_iter=80, max_time=60.0):
    """Newton on F(x) - x (FD Jacobian, backtracking; damped Picard when stalled).

    The step is taken in (log V, log q, m, b), so V and q stay positive whatever the step
    (V grows like 1/lam in the separable phase of the hinge).

    Returns (x, fx, residual, iterations, J or None, history)."""
    t0 = time.perf_counter()
    x = np.array(x0, float)
    fx = F(x)
    r = _res(x, fx)
    hist = [r]
    its = 0
    J = None
    while r > tol and its < max_iter and time.perf_counter() - t0 < max_time:
        its += 1
        if not np.isfinite(r):
            return x, fx, r, its, None, hist
        J = _jac(F, x, fx)
        g = fx - x
        scale = np.array([x[0], x[1], 1.0, 1.0])
        try:
            du = np.linalg.solve((J - np.eye(x.size)) * scale[None, :], -g)
        except np.linalg.LinAlgError:
            du = None
        step_ok = False
        if du is not None and np.all(np.isfinite(du)):
            lam_ = 1.0
            # at most a factor e^2 in V and q per step, and 2 max(1, |.|) in m, b
            cap = max(1.0, float(np.max(np.abs(du[:2])) / 2.0),
                      float(np.max(np.abs(du[2:]) / (2 * np.maximum(1.0, np.abs(x[2:]))))))
            du = du / cap
            for _ in range(30):
                st = lam_ * du
                xn = np.array([x[0] * math.exp(st[0]), x[1] * math.exp(st[1]), x[2] + st[2],
                               x[3] + st[3]])
                if xn[0] > 0 and xn[1] > 0:
                    fn = F(xn)
                    rn = _res(xn, fn)
                    if rn < (1 - 1e-4 * lam_) * r or (rn <= tol):
                        step_ok = True
                        break
                lam_ *= 0.5
        if not step_ok:  # damped Picard (the authors' iteration), kept only if it helps
            xn, fn, rn = x, fx, r
            for mix in (0.3, 0.1):
                xc, fc = x, fx
                for _ in range(30):
                    cand = xc + mix * (fc - xc)
                    if not (cand[0] > 0 and cand[1] > 0):
                        break
                    fcand = F(cand)
                    if not np.all(np.isfinite(fcand)):
                        break
                    xc, fc = cand, fcand
                rc = _res(xc, fc)
                if rc < rn:
                    xn, fn, rn = xc, fc, rc
                    break
            if not rn < r:
                return x, fx, r, its, J, hist
        x, fx, r = xn, fn, rn
        hist.append(r)
    return x, fx, r, its, J, hist


GENERIC_STARTS = ((1.0, 1.0, 0.5, 0.0), (0.1, 4.0, 1.5, 0.0), (10.0, 0.5, 0.3, 0.0))


def _solve_point(p, tol, x0=None, level=1):
    """Solve one point: (SolveResult, state vector or None).

    Newton from ``x0`` (else the generic starts) at node level ``level``; the xi rule's panels
    are refitted to the answer's q, and the level raised while the error bound (levels
    ``level``/``level + 1``) exceeds ``tol``."""
    t0 = time.perf_counter()
    best = None
    if x0 is not None:
        F = _Map(p, level)
        best = (F, _newton(F, np.asarray(x0, float), 0.01 * tol))
    if (best is None or not best[1][2] <= tol) and p.lam < 1e-2:
        got = _lam_path(p, tol, level)
        if got is not None:
            best = got
    if best is None or not best[1][2] <= tol:
        for st in [_start_for(p, np.array(s_)) for s_ in GENERIC_STARTS]:
            F = _Map(p, level)
            out = _newton(F, st, 0.01 * tol)
            if best is None or out[2] < best[1][2]:
                best = (F, out)
            if out[2] <= tol:
                break
    F, (x, fx, r, its, J, hist) = best
    if r > tol or not np.isfinite(r):
        msg = f"residual {r:.2g} > tol {tol:.1g} after {its} Newton steps"
        return _failed(p, tol, msg, x, r, its, "residual" if np.isfinite(r) else "nan",
                       time.perf_counter() - t0), None
    if p.loss != "logistic":
        return _finish(p, F, x, fx, r, its, J, tol, t0, hist), x
    while True:
        need = panels_for(x[1])
        if need > F.panels or F.panels > 2 * need + 2:  # the rule was fitted to another q
            F = _Map(p, F.level, need)
            x, fx, r, its2, J, h2 = _newton(F, x, 0.01 * tol)
            its, hist = its + its2, hist + h2
        res = _finish(p, F, x, fx, r, its, J, tol, t0, hist)
        if res.converged or res.failure != "quadrature" or F.level + 2 >= len(_LEVELS):
            return res, (x if res.converged else None)
        F = _Map(p, F.level + 1, F.panels)
        x, fx, r, its2, J, h2 = _newton(F, x, 0.01 * tol)
        its, hist = its + its2, hist + h2


def _lam_path(p, tol, level):
    """Continuation in lam from 1e-1 down to ``p.lam`` (half a decade a step, halved on
    failure), each start extrapolated from the last two answers in log lam (log V, log q, m,
    b linear in log lam: V ~ 1/lam in the separable phase). (map, Newton output) or None."""
    path: list = []  # (log lam, u) with u = (log V, log q, m, b)
    lk = 0.1
    step = 0.5
    target = math.log10(p.lam)
    cur = math.log10(lk)
    while True:
        pk = dataclasses.replace(p, lam=10.0**cur)
        if len(path) >= 2:
            (l1, u1), (l2, u2) = path[-2], path[-1]
            u = u2 + (u2 - u1) * (cur - l2) / (l2 - l1)
            starts = [np.array([math.exp(u[0]), math.exp(u[1]), u[2], u[3]])]
        elif path:
            u2 = path[-1][1]
            starts = [np.array([math.exp(u2[0]), math.exp(u2[1]), u2[2], u2[3]])]
        else:
            starts = [_start_for(p, np.array(s_)) for s_ in GENERIC_STARTS]
        ok = None
        for st in starts:
            Fk = _Map(pk, level)
            out = _newton(Fk, st, 0.01 * tol)
            if out[2] <= tol:
                ok = (Fk, out)
                break
        if ok is None:
            if not path or step < 0.05:
                return None
            cur = path[-1][0]
            step *= 0.5
        else:
            xk = ok[1][0]
            path.append((cur, np.array([math.log(xk[0]), math.log(xk[1]), xk[2], xk[3]])))
            if cur <= target:
                return ok
            step = min(0.5, step * 1.5)
        cur = max(target, cur - step)


def _start_for(p, s):
    """A generic start with b at the square-loss value."""
    x = s.copy()
    x[3] = (2 * p.rho - 1) * (1 - min(x[2], 0.9))
    return x


def _finish(p, F, x, fx, r, its, J, tol, t0, hist):
    """Error bounds, observables, the SolveResult (converged or flagged)."""
    n = 4
    if J is None:
        J = _jac(F, x, fx)
    try:
        Ainv = np.linalg.inv(np.eye(n) - J)
    except np.linalg.LinAlgError:
        Ainv = np.full((n, n), np.inf)
    qerr = np.zeros(n)
    lev = F.level
    # observables at x and at the n forward-difference points, in one call
    hs = 1e-6 * np.maximum(1.0, np.abs(x))
    X = np.concatenate([x[:, None], x[:, None] + np.diag(hs)], axis=1)
    allobs = F.observables(X)
    obs = {k: float(v[0]) for k, v in allobs.items()}
    oq = {k: 0.0 for k in obs}
    if p.loss == "logistic":
        F2 = F.with_level(lev + 1)
        qerr = F2(x) - fx
        o2 = F2.observables(x)
        oq = {k: abs(float(o2[k]) - obs[k]) for k in obs}
    with np.errstate(invalid="ignore", over="ignore"):
        serr = 2 * np.abs(Ainv @ (np.abs(qerr) + np.abs(fx - x))) + 4e-16 * np.abs(x)
    state = dict(zip(STATE, x.tolist()))
    oerr = {}
    for k, v in allobs.items():  # gradient times the state bound, plus own quadrature error
        grad = (v[1:] - v[0]) / hs
        oerr[k] = float(np.abs(grad) @ serr + 2 * oq[k] + 4e-16 * abs(obs[k]))
    obs["bayes_error"] = bayes_error(alpha=p.alpha, rho=p.rho, Delta=p.Delta, blocks=p.blocks,
                                     means=p.means, rho_s=p.rho_s)
    oerr["bayes_error"] = 4e-15
    rel = float(np.max(serr / np.maximum(1.0, np.abs(x))))
    ok = bool(r <= tol and rel <= tol and np.all(np.isfinite(x)))
    if ok:
        msg = (f"converged: Newton, residual {r:.2g} <= tol {tol:.1g}; state error bound "
               f"{rel:.1g} (relative)")
        if p.loss == "logistic":
            msg += f"; xi rule {F.panels} panels, levels {lev}/{lev + 1}"
    elif x[1] < 1e-12 * max(1.0, abs(x[3])):
        msg = (f"the estimator is w = 0 (q = {x[1]:.2g}, V = {x[0]:.2g}: the penalty "
               f"thresholds every coordinate; b = {x[3]:.6g}): a boundary of the saddle point, "
               "not solved to an error bound here (lower lam)")
    else:
        msg = (f"state error bound {rel:.2g} > tol {tol:.1g} (xi rule {F.panels} panels, "
               f"levels {lev}/{lev + 1}; residual {r:.2g})")
    failure = None if ok else ("domain" if x[1] < 1e-12 * max(1.0, abs(x[3])) else
                               "quadrature")
    res = SolveResult("gmm_binary", dataclasses.asdict(p), state if ok else
                      {k: math.nan for k in STATE}, obs if ok else {k: math.nan for k in obs},
                      ok, int(its), float(r), tol, msg, "newton-fd", list(hist),
                      float(np.max(np.abs(qerr))), lev, failure=failure,
                      last_state={} if ok else state)
    res.state_errors = dict(zip(STATE, serr.tolist())) if ok else {}
    res.observable_errors = oerr if ok else {}
    res.seconds = time.perf_counter() - t0
    return res


def _failed(p, tol, msg, x, r, its, failure, seconds):
    res = SolveResult("gmm_binary", dataclasses.asdict(p), {k: math.nan for k in STATE},
                      {k: math.nan for k in OBSERVABLES}, False, int(its), float(r), tol, msg,
                      "newton-fd", failure=failure,
                      last_state=dict(zip(STATE, np.asarray(x, float).tolist())))
    res.seconds = seconds
    return res


# ---------------------------------------------------------------- Bayes-optimal error
def _mmse_overlap(alpha, sigma, tau, rho_s_class):
    """E[eta^2] for the scalar channel S = mu + sqrt(sigma/alpha) g."""
    v = sigma / alpha
    if tau == 0:
        return 0.0
    if rho_s_class is None:  # Gaussian mean N(0, tau)
        return tau * tau / (tau + v)
    # Gauss-Bernoulli: rho_s N(0, tau) + (1 - rho_s) delta_0 (tau = 1/rho_s)
    from scipy import integrate

    rs = rho_s_class
    s1, s0 = math.sqrt(tau + v), math.sqrt(v)

    def eta2_density(S):
        a = rs * math.exp(-0.5 * (S / s1) ** 2) / s1
        c = (1 - rs) * math.exp(-0.5 * (S / s0) ** 2) / s0
        if a + c == 0.0:
            return 0.0
        eta = a / (a + c) * tau / (tau + v) * S
        return eta * eta * (a + c) * _ISQ2PI

    lim = 12 * s1
    pts = [-s0 * 6, -s0, 0.0, s0, s0 * 6]
    val = 0.0
    edges = sorted({-lim, *[x for x in pts if -lim < x < lim], lim})
    for lo, hi in zip(edges[:-1], edges[1:]):
        val += integrate.quad(eta2_density, lo, hi, epsabs=1e-15, epsrel=1e-13, limit=200)[0]
    return val


def bayes_error(*, alpha, rho=0.5, Delta=1.0, blocks="", means="dense", rho_s=1.0) -> float:
    r"""The Bayes-optimal test error of the two-cluster model (module docstring, derived).

    :math:`\varepsilon_{BO} = \rho Q((A + L/2)/\sqrt A) + (1 - \rho)Q((A - L/2)/\sqrt A)`,
    :math:`L = \log(\rho/(1 - \rho))`, :math:`A = \sum_c f_c\,\mathbb E[\eta_c^2]/\sigma_c`
    with :math:`\eta_c` the posterior mean of :math:`\tilde\mu_i` from
    :math:`S = \tilde\mu_i + \sqrt{\sigma_c/\alpha}\,g` (Gaussian means: :math:`\tau_c^2\alpha/
    (\tau_c\alpha + \sigma_c)`; sparse: Gauss--Bernoulli, by ``scipy.integrate.quad``).
    Isotropic, :math:`\rho = 1/2`, dense: :math:`Q(\sqrt{\alpha/(\Delta(\alpha + \Delta))})`,
    the digest's K = 2 formula :math:`\Phi(-1/(\sqrt2\eta))` at :math:`\Delta = 2\Delta_K`.

    Parameters
    ----------
    alpha : float
        n/d (> 0).
    rho : float, default 0.5
        :math:`P(y = +1)`, in (0, 1).
    Delta : float, default 1.0
        Isotropic variance (> 0), unless ``blocks``.
    blocks : str or sequence of (float, float), default ""
        Block covariance (see :class:`GMMBinaryParams`).
    means : {"dense", "sparse"}, default "dense"
    rho_s : float, default 1.0
        Support fraction of sparse means.

    Returns
    -------
    float
        :math:`\varepsilon_{BO}`.

    Raises
    ------
    InputError
        A parameter outside its range (as :class:`GMMBinaryParams`).
    """
    p = GMMBinaryParams(alpha=alpha, lam=1.0, rho=rho, Delta=Delta, blocks=blocks, means=means,
                        rho_s=rho_s)
    f, sigma, tau = coordinate_classes(p)
    sparse = p.means == "sparse" and p.rho_s < 1
    A = 0.0
    if sparse:
        for fr, var in _block_pairs(p):
            A += fr * _mmse_overlap(p.alpha, var, 1.0 / p.rho_s, p.rho_s) / var
    else:
        A = float(np.sum(f * np.array([_mmse_overlap(p.alpha, s_, t_, None)
                                       for s_, t_ in zip(sigma, tau)]) / sigma))
    L = math.log(p.rho / (1 - p.rho))
    sA = math.sqrt(A)
    return float(p.rho * _Q((A + L / 2) / sA) + (1 - p.rho) * _Q((A - L / 2) / sA))


# ---------------------------------------------------------------- separability
def _sep_h(t, rho, Delta):
    """h(t1, t0) = sum_y rho_y E[(sqrt(1 + t1^2 Delta) Z - t1 - y t0)_+^2] and its gradient."""
    t1, t0 = t
    s2 = 1.0 + t1 * t1 * Delta
    s = math.sqrt(s2)
    val, g1, g0 = 0.0, 0.0, 0.0
    for y, ry in ((1.0, rho), (-1.0, 1.0 - rho)):
        a = (t1 + y * t0) / s
        J2 = float(_J2(a))
        J1 = float(_phi(a) - a * _Q(a))  # E[(Z - a)_+]
        val += ry * s2 * J2
        # d/dt1 [s2 J2(a)] = 2 t1 Delta J2 + s2 (-2 J1) da/dt1, da/dt1 = 1/s - a t1 Delta/s2
        g1 += ry * (2 * t1 * Delta * J2 - 2 * s2 * J1 * (1 / s - a * t1 * Delta / s2))
        g0 += ry * (-2 * s2 * J1 * y / s)
    return val, np.array([g1, g0])


def separability_threshold_binary(*, rho=0.5, Delta=1.0, blocks="", means="dense",
                                  rho_s=1.0) -> float:
    r"""The sample ratio :math:`\alpha_{sep} = n/d` below which the two-cluster data are
    linearly separable (with an intercept) with probability -> 1.

    Derivation (a Gardner / Cover / Candès--Sur computation adapted to the mixture). Write the
    direction as :math:`w = \sqrt d\,c\,\hat\mu + v`, :math:`v\perp\mu`. For the isotropic
    covariance :math:`\Delta I`, the component of :math:`\sqrt d\,x` along :math:`\hat\mu` is
    :math:`y + \sqrt\Delta g` and the orthogonal part is isotropic, :math:`\sqrt\Delta` times a
    standard Gaussian independent of y. The data are separable iff some (c, b, v) gives
    :math:`y(c(y + \sqrt\Delta g) + b) + \sqrt\Delta\,y\,v\cdot z_\perp/\sqrt d > 0` for all
    :math:`\nu`. For fixed offsets, Gardner's capacity (Gordon's theorem) says that
    :math:`\{v: \|v\|^2 = d,\ v\cdot\xi_\nu/\sqrt d \ge \kappa_\nu\}` (isotropic
    :math:`\xi_\nu`) is non-empty w.h.p. iff :math:`\alpha\,\mathbb E(\kappa - Z)_+^2 < 1`;
    the scale of v is free, so with :math:`\kappa_\nu = -(t_1(1 + \sqrt\Delta\,yg) + t_0y)`
    (:math:`yg\sim g`) and :math:`t_1\sqrt\Delta g + Z\sim\sqrt{1 + t_1^2\Delta}\,Z`:

    .. math:: \alpha_{sep} = 1/h,\qquad h = \min_{t_1, t_0}\sum_{y=\pm1}\rho_y\,
       (1 + t_1^2\Delta)\,\Psi\Bigl(\frac{t_1 + yt_0}{\sqrt{1 + t_1^2\Delta}}\Bigr),\qquad
       \Psi(a) = \mathbb E(Z - a)_+^2 = (1 + a^2)Q(a) - a\varphi(a),

    :math:`\rho_{+1} = \rho`, :math:`\rho_{-1} = 1 - \rho`. h is convex in
    :math:`(t_1, t_0)` (an expectation of a convex function of an affine map), minimised
    here by Newton's method on its closed-form gradient. Checks: :math:`\Delta\to\infty` gives
    :math:`h = 1/2` at t = 0, Cover's :math:`\alpha = 2`. The same capacity argument at
    margin 1 gives the hard-margin SVM (the :math:`\lambda\to0^+` hinge) as
    :math:`\min q` over (m, b, q) subject to :math:`\alpha\sum_y\rho_y\mathbb E(1 - m - yb
    - \sqrt qZ)_+^2 \le q - \Delta m^2`; its scaling limit :math:`q\to\infty` is the
    condition :math:`\alpha h \le 1` above. Tests: the hinge saddle point at
    :math:`\lambda = 10^{-7}` equals that program's minimiser (q to 1e-9), and its
    :math:`1/\sqrt q` extrapolates to zero at :math:`\alpha_{sep}` (1e-3).
    A block-diagonal :math:`\Sigma` is reduced to this by whitening (separability is invariant
    under :math:`x\mapsto\Sigma^{-1/2}x`): noise I and mean :math:`\Sigma^{-1/2}\mu`, i.e.
    :math:`\Delta_{eff} = 1/\|\Sigma^{-1/2}\mu\|^2 = 1/\sum_cf_c\tau_c/\sigma_c`
    (dense blocks: :math:`1/\sum_rp_r/\Delta_r`; only the norm of the whitened mean
    matters, so sparse means enter the same way).

    Parameters
    ----------
    rho : float, default 0.5
        :math:`P(y = +1)`, in (0, 1).
    Delta : float, default 1.0
        Isotropic noise variance (> 0), unless ``blocks``.
    blocks : str or sequence of (float, float), default ""
        Block covariance ``"p1:Delta1,..."``.
    means : {"dense", "sparse"}, default "dense"
    rho_s : float, default 1.0
        Support fraction of sparse means.

    Returns
    -------
    float
        :math:`\alpha_{sep}` (to ~1e-13 relative; tests/reference/gmm_binary_separability_mp.py
        gives 30 digits).

    Raises
    ------
    InputError
        ``rho`` outside (0, 1), ``Delta`` <= 0, bad ``blocks``, ``means`` or ``rho_s``.
    """
    p = GMMBinaryParams(alpha=1.0, lam=1.0, rho=rho, Delta=Delta, blocks=blocks, means=means,
                        rho_s=rho_s)
    rho = p.rho
    f, sigma, tau = coordinate_classes(p)
    Delta = 1.0 / float(np.sum(f * tau / sigma))
    # Newton on the gradient (Hessian by central differences of the closed-form gradient)
    t = np.array([0.0, 0.0])
    val, g = _sep_h(t, rho, Delta)
    for _ in range(100):
        H = np.empty((2, 2))
        for j in range(2):
            e = np.zeros(2)
            e[j] = 1e-6 * max(1.0, abs(t[j]))
            H[:, j] = (_sep_h(t + e, rho, Delta)[1] - _sep_h(t - e, rho, Delta)[1]) / (2 * e[j])
        H = 0.5 * (H + H.T)
        dt = -np.linalg.solve(H, g)
        st = 1.0
        while True:
            vn, gn = _sep_h(t + st * dt, rho, Delta)
            if vn <= val + 1e-16 * abs(val) or st < 1e-8:
                break
            st *= 0.5
        t = t + st * dt
        done = np.max(np.abs(st * dt)) < 1e-12 * max(1.0, float(np.max(np.abs(t))))
        val, g = vn, gn
        if done:
            break
    return 1.0 / val


# ---------------------------------------------------------------- the symbolic system
_SYSTEMS: dict = {}


def gmm_binary_system(loss: str = "logistic", penalty: str = "l2") -> object:
    r"""The saddle-point system (isotropic covariance, dense means) as a
    :class:`~theory.symbolic.system.SaddlePointSystem`, for the LaTeX export and
    ``theory solve gmm_binary --latex``.

    The numbers come from the vectorised closed forms and quadrature of this module (the same
    equations); this object writes them down.

    Parameters
    ----------
    loss : {"square", "logistic", "hinge"}
    penalty : {"l2", "l1"}

    Returns
    -------
    SaddlePointSystem
        State V, q, m, b; parameters alpha, lam (printed as lambda), rho, Delta.
    """
    from ..symbolic.expectation import E, gaussians
    from ..symbolic.system import SaddlePointSystem

    key = (loss, penalty)
    if key in _SYSTEMS:
        return _SYSTEMS[key]
    alpha, lam, rho, Delta = sp.symbols("alpha lam rho Delta", positive=True)
    V, q = sp.symbols("V q", positive=True)
    m, b = sp.symbols("m b", real=True)
    Vh, qh, mh = sp.symbols(r"\hat{V} \hat{q} \hat{m}", real=True)
    (xi,) = vec = gaussians("xi")
    obj = get_loss(loss)
    parts = {}
    for yv, ry in ((1, rho), (-1, 1 - rho)):
        om = yv * m + b + sp.sqrt(q) * xi
        eta, deta, lv = obj.prox_symbolic(sp.Integer(yv), om, V)
        f = (eta - om) / V
        parts[yv] = (ry, f, deta)
    Ev = sum(ry * E((1 - de) / V, over=vec) for ry, f, de in parts.values())
    Eq = sum(ry * E(f**2, over=vec) for ry, f, de in parts.values())
    Em = sum(ry * yv * E(f, over=vec) for yv, (ry, f, de) in parts.items())
    Ef = sum(ry * E(f, over=vec) for ry, f, de in parts.values())
    if penalty == "l2":
        D = lam + Vh * Delta
        upd = {V: Delta / D, q: Delta * (mh**2 + qh * Delta) / D**2, m: mh / D,
               b: b + alpha * Ef / Vh}
    else:
        s2 = mh**2 + qh * Delta
        P = 2 * atoms.Phi(-lam / sp.sqrt(s2))
        t = lam / sp.sqrt(s2)
        Qt = atoms.Phi(-t)
        J2 = (1 + t**2) * Qt - t * sp.exp(-t**2 / 2) / sp.sqrt(2 * sp.pi)
        upd = {V: P / Vh, q: 2 * s2 * J2 / (Vh**2 * Delta), m: mh * P / (Vh * Delta),
               b: b + alpha * Ef / Vh}
    Qf = lambda x_: atoms.Phi(-x_)  # noqa: E731
    system = SaddlePointSystem(
        name=f"gmm_binary[{loss},{penalty}]", state=[V, q, m, b],
        parameters=[alpha, lam, rho, Delta],
        steps=[(Vh, alpha * Ev), (qh, alpha * Eq), (mh, alpha * Em)],
        updates=upd,
        observables={"test_error": rho * Qf((m + b) / sp.sqrt(q))
                     + (1 - rho) * Qf((m - b) / sp.sqrt(q))},
        reference=REFERENCE, latex_names={lam: r"\lambda"})
    _SYSTEMS[key] = system
    return system


# ---------------------------------------------------------------- the model
@register
class GMMBinary(Model):
    """Two Gaussian clusters, ERM with an intercept (``theory solve gmm_binary``).

    Square, logistic and hinge losses; l2 and l1 penalties; isotropic or block covariance;
    dense or sparse means; order parameters V, q, m, b (module docstring). Solved by its own
    vectorised Newton solve (:meth:`solve_direct`, :meth:`curve_fast`).
    """

    name = "gmm_binary"
    title = "Two Gaussian clusters, linear classifier with intercept (square/logistic/hinge, " \
        "l2/l1)"
    reference = REFERENCE
    Params = GMMBinaryParams
    simulator = "theory.simulate.gmm:simulate_gmm_binary"
    derived_names = ("bayes_error",)

    def system(self, p):
        """The system written symbolically (isotropic, dense) for the LaTeX export.

        Parameters
        ----------
        p : GMMBinaryParams
            Validated parameters.

        Returns
        -------
        SaddlePointSystem
            :func:`gmm_binary_system` for ``p.loss``, ``p.penalty``.
        """
        return gmm_binary_system(p.loss, p.penalty)

    def values(self, p):
        """Numbers for the system's parameter symbols.

        Parameters
        ----------
        p : GMMBinaryParams
            Validated parameters.

        Returns
        -------
        dict {str: float}
            ``alpha``, ``lam``, ``rho``, ``Delta``.
        """
        return {"alpha": p.alpha, "lam": p.lam, "rho": p.rho, "Delta": p.Delta}

    def starts(self, p):
        """Generic starting states (V, q, m, b).

        Parameters
        ----------
        p : GMMBinaryParams
            Validated parameters.

        Returns
        -------
        list of dict {str: float}
        """
        return [dict(zip(STATE, _start_for(p, np.array(s)).tolist())) for s in GENERIC_STARTS]

    def observable_names(self, p):
        """Every column a solve or curve reports.

        Parameters
        ----------
        p : GMMBinaryParams
            Validated parameters.

        Returns
        -------
        list of str
        """
        return [*STATE, *OBSERVABLES, "residual", "iterations"]

    def solve_direct(self, p, *, tol: float = 1e-10, dps: int | None = None,
                     exact: dict | None = None, init=None) -> SolveResult:
        """Solve one point (Newton, closed forms / composite Gauss--Legendre; module docstring).

        Parameters
        ----------
        p : GMMBinaryParams
            Validated parameters.
        tol : float, default 1e-10
            Tolerance on the relative residual and on the relative state error bound.
        dps : None
            No mpmath polish for this model (anything else is refused).
        exact : dict or None
            Ignored.
        init : dict or None
            A start {V, q, m, b}.

        Returns
        -------
        SolveResult
            State V, q, m, b; observables (module docstring) with error bounds.

        Raises
        ------
        InputError
            ``dps`` given.
        """
        if dps is not None:
            raise InputError("dps", dps, "None: gmm_binary has no mpmath polish (its float64 "
                             "error bounds are reported)")
        x0 = None if init is None else [float(init[k]) for k in STATE]
        return _solve_point(p, tol, x0)[0]

    def curve_fast(self, vary, values, *, tol=1e-10, **params):
        """A curve by warm-started Newton solves (secant predictor from the last two points).

        Parameters
        ----------
        vary : str
            The varied parameter.
        values : sequence of float
            Its values.
        tol : float, default 1e-10
            As in :meth:`solve_direct`.
        **params
            The other parameters.

        Returns
        -------
        list of SolveResult
            One per value.

        Raises
        ------
        InputError
            An invalid parameter.
        """
        grid = np.asarray(values, dtype=float)
        ps = [make_params(self, {**params, vary: float(v)}) for v in grid]
        out = []
        hist: list = []  # (value, state) of converged points
        for v, p in zip(grid, ps):
            x0 = None
            if len(hist) >= 2:
                (v1, x1), (v2, x2) = hist[-2], hist[-1]
                if v2 != v1:
                    x0 = x2 + (x2 - x1) * (v - v2) / (v2 - v1)
                    if not (x0[0] > 0 and x0[1] > 0):
                        x0 = x2
            elif hist:
                x0 = hist[-1][1]
            res, x = _solve_point(p, tol, x0)
            if x is None and x0 is not None and hist:
                res, x = _solve_point(p, tol, hist[-1][1])
            if x is not None:
                hist.append((float(v), np.array([res.state[k] for k in STATE])))
            out.append(res)
        return out

    def simulation(self, p, d: int) -> dict:
        """Arguments of ``theory.simulate.gmm.simulate_gmm_binary`` at input size d (SPEC.md).

        Parameters
        ----------
        p : GMMBinaryParams
            Validated parameters.
        d : int
            Input dimension (n = alpha d samples).

        Returns
        -------
        dict
            Keyword arguments (without ``seeds``): ``alpha, d, rho, Delta, blocks`` (None or a
            list of (p_r, Delta_r)), ``means, rho_s, loss, penalty, lam, intercept=True``.
        """
        blocks = _block_pairs(p) if p.blocks else None
        return {"alpha": float(p.alpha), "d": int(d), "rho": float(p.rho),
                "Delta": float(p.Delta), "blocks": blocks, "means": p.means,
                "rho_s": float(p.rho_s), "loss": p.loss, "penalty": p.penalty,
                "lam": float(p.lam), "intercept": True}
