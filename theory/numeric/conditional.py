r"""Conditional coefficients mu_0(kappa), mu_1(kappa), mu_star(kappa), vectorised and at any dps.

Definitions in :mod:`theory.conventions` (conditional Gaussian equivalence, Cui et al. 2024,
arXiv:2402.04980v2, and the lecture slides accompanying it, "Conditional GET" and "A note
on initialisation").

float64, with *relative* accuracy deep in the tails (issue 8, kind 2):

* closed forms (:func:`~theory.symbolic.conditional.conditional_closed_forms`) are written with
  the stable atoms of :mod:`theory.symbolic.atoms` (relu's mu_1 = Phi(kappa/sqrt c) is 1.13e-19
  at kappa = -9, not 0) and lambdified once for the whole array of kappa;
* otherwise the integral over xi uses the split Gauss rule of
  :func:`~theory.numeric.quadrature.normal_rule` with cuts at the shifted kinks and, when
  sqrt(c) >= :data:`WIDE`, at the shifted feature points of the activation (a rule rescaled to the
  width sqrt(c)); on each side of kappa = 0 it integrates the *decaying* part tau of
  sigma = a + b y + tau(y) (e.g. 1 - tanh y = 2 sigmoid(-2y)), mu_1 = E sigma' (Stein's lemma) for
  continuous activations, and mu_star^2 as the variance of the residual, or by the Hermite
  series sum_k c^k (E sigma^(k))^2 / k! when sqrt(c) <= :data:`SERIES_S`;
* every entry gets a relative error estimate (two node levels + rounding floors); entries not
  resolved to :data:`RESOLVED` (or below the float64 range) are flagged in
  :attr:`ConditionalCoefficients.unresolved` with a reason, in the JSON and in the printed table.

mpmath: ``mpmath.quad`` per kappa with the shifted kinks (and, for large c, the shifted feature
points) as break points; mu_star^2 as the variance of the residual.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp

from ..conventions import BREAK_CLIP
from ..errors import InputError, IntegrationError, check_positive
from ..symbolic.activations import Activation, get_activation, x
from ..symbolic.conditional import c as c_sym
from ..symbolic.conditional import conditional_closed_forms
from ..symbolic.conditional import kappa as kappa_sym
from .bridge import mpmath_function, numpy_function
from .hermite import _fmt, _mp_quad, check_dps
from .quadrature import LEVELS, normal_rule

__all__ = ["ConditionalCoefficients", "conditional_coefficients", "finite_support_family"]

_BLOCK = 1 << 15
#: rounding floor of a split-Gauss sum (relative to the sum of |terms|)
_ROUNDOFF = 4 * np.finfo(float).eps


@dataclass
class ConditionalCoefficients:
    r"""Conditional coefficients at each :math:`\kappa`, for one activation and variance c.

    With :math:`\xi \sim \mathcal N(0, 1)`: :math:`\mu_0(\kappa) = \mathbb E\sigma(\kappa +
    \sqrt c\xi)`, :math:`\mu_1(\kappa) = \mathbb E\sigma'(\kappa + \sqrt c\xi)`,
    :math:`\mu_\star(\kappa)^2 = \mathbb E\sigma^2 - \mu_0^2 - c\mu_1^2`
    (:mod:`theory.conventions`; Cui et al. 2024, arXiv:2402.04980v2).

    Attributes
    ----------
    activation : Activation
        The activation.
    c : float
        Variance of the Gaussian part.
    kappa : numpy.ndarray, shape (n,), or list of mpmath.mpf
        The shifts.
    mu0, mu1, mu_star, E_sigma2 : numpy.ndarray, shape (n,), or list of mpmath.mpf
        :math:`\mu_0, \mu_1, \mu_\star` and :math:`\mathbb E\sigma^2` at each shift.
    method : str
        ``"closed form"``, ``"quadrature"``, ``"interpolation"`` or ``"mpmath"``.
    error : float or None
        Largest estimated relative error over the resolved entries (float64).
    dps : int or None
        None (float64) or the decimal digits.
    unresolved : dict or None
        ``{"mu0": bool array, ...}``: entries not resolved to :data:`RESOLVED`.
    unresolved_reason : dict or None
        Why, per flagged coefficient.
    """

    activation: Activation
    c: float
    kappa: np.ndarray | list
    mu0: np.ndarray | list
    mu1: np.ndarray | list
    mu_star: np.ndarray | list
    E_sigma2: np.ndarray | list
    method: str
    error: float | None = None
    dps: int | None = None
    unresolved: dict | None = None
    unresolved_reason: dict | None = None

    @property
    def resolved(self) -> bool:
        """True if no entry is flagged (see ``unresolved``)."""
        return not self.unresolved or not any(np.any(v) for v in self.unresolved.values())

    def to_dict(self) -> dict:
        """The coefficients as a JSON-ready dict (the keys of ``theory conditional --json``).

        Returns
        -------
        dict
            ``activation``, ``c``, ``kappa``, ``mu0``, ``mu1``, ``mu_star``, ``method`` and,
            in float64, ``error_estimate``, ``unresolved``, ``unresolved_reason`` (numbers as
            floats, or decimal strings when ``dps`` is set).
        """
        conv = (lambda a: [float(v) for v in a]) if self.dps is None else (
            lambda a: [_fmt(v, self.dps) for v in a])
        out: dict = {
            "activation": self.activation.name,
            "c": self.c if self.dps is None else str(self.c),
            "kappa": conv(self.kappa),
            "mu0": conv(self.mu0),
            "mu1": conv(self.mu1),
            "mu_star": conv(self.mu_star),
            "method": self.method,
        }
        if self.dps is None:
            out["error_estimate"] = self.error
            out["error_kind"] = "relative, max over resolved entries"
            if self.unresolved is not None:
                out["unresolved"] = {k: [bool(b) for b in v] for k, v in self.unresolved.items()}
                out["unresolved_reason"] = dict(self.unresolved_reason or {})
        else:
            out["dps"] = self.dps
        return out

    def __str__(self) -> str:
        head = (f"Conditional coefficients of {self.activation.name} at c = {self.c} "
                f"({self.method}{'' if self.dps is None else f', {self.dps} digits'})")
        rows = [head, f"  {'kappa':>12s} {'mu0':>24s} {'mu1':>24s} {'mu_star':>24s}"]
        fl = self.unresolved or {}

        def cell(v, key, i):
            mark = "*" if key in fl and fl[key][i] else ""
            return f"{_fmt(v, self.dps) + mark:>24s}"

        for i, (k, a, b, s) in enumerate(zip(self.kappa, self.mu0, self.mu1, self.mu_star)):
            rows.append(f"  {_fmt(k, self.dps):>12s} {cell(a, 'mu0', i)} "
                        f"{cell(b, 'mu1', i)} {cell(s, 'mu_star', i)}")
        if self.dps is None and self.error is not None:
            rows.append(f"  relative error estimate (resolved entries): {self.error:.2g}")
        for key, why in (self.unresolved_reason or {}).items():
            rows.append(f"  * {key}: {why}")
        return "\n".join(rows)


# ---------------------------------------------------------------------------------------------
# tails: sigma = a + b y + tau(y) with tau decaying on that side (exact identities), so that the
# moments far in a tail are computed from the small tau without cancellation (mu1 of tanh at
# kappa = 40 is E[xi tanh]/sqrt(c) ~ 1e-34, a difference of O(1) terms if tanh is used)

_y = x


def _tail_table() -> dict:
    from ..symbolic.atoms import H, Phi, sigmoid, softplus

    two = sp.Integer(2)
    relu_r, relu_l = sp.Max(-_y, 0), sp.Max(_y, 0)
    a = sp.Rational(1, 100)
    return {
        # piecewise linear: sigma minus its right (left) linear piece is a ramp on the other side
        sp.Max(_y, 0): ((0, 1, relu_r), (0, 0, relu_l)),
        sp.Abs(_y): ((0, 1, two * relu_r), (0, -1, two * relu_l)),
        sp.Max(_y, 0) + a * sp.Min(_y, 0): ((0, 1, (1 - a) * relu_r), (0, a, (1 - a) * relu_l)),
        sp.tanh(_y): ((1, 0, -two * sigmoid(-2 * _y)), (-1, 0, two * sigmoid(2 * _y))),
        sp.erf(_y): ((1, 0, -two * H(sp.sqrt(2) * _y)), (-1, 0, two * H(-sp.sqrt(2) * _y))),
        sigmoid(_y): ((1, 0, -sigmoid(-_y)), (0, 0, sigmoid(_y))),
        softplus(_y): ((0, 1, softplus(-_y)), (0, 0, softplus(_y))),
        _y * sigmoid(_y): ((0, 1, -_y * sigmoid(-_y)), (0, 0, _y * sigmoid(_y))),
        _y * Phi(_y): ((0, 1, -_y * H(_y)), (0, 0, _y * Phi(_y))),
    }


_TAILS: dict | None = None


@lru_cache(maxsize=256)
def _tail_exprs(expr: sp.Expr):
    global _TAILS
    if _TAILS is None:
        _TAILS = _tail_table()
    forms = _TAILS.get(expr)
    if forms is None:
        w = sp.Wild("w", exclude=[x])
        m = expr.match(sp.Max(x, 0) + w * sp.Min(x, 0))  # the leaky relu family
        if m is not None and m[w].is_number:
            a = m[w]
            return ((0, 1, (1 - a) * sp.Max(-x, 0)), (0, a, (1 - a) * sp.Max(x, 0)))
        return ((0, 0, expr), (0, 0, expr))
    return forms


@lru_cache(maxsize=1024)
def _tail_sym(expr: sp.Expr, order: int):
    """The pieces (a, b, tau^(order)) of both sides, differentiated one order at a time."""
    if order == 0:
        return _tail_exprs(expr)
    return tuple((a, b, sp.diff(t, x)) for a, b, t in _tail_sym(expr, order - 1))


@lru_cache(maxsize=1024)
def _tail_forms(expr: sp.Expr, order: int = 0):
    """((a, b, tau^(order) numpy) for kappa >= 0, (a, b, tau^(order)) for kappa < 0) with
    sigma = a + b y + tau(y) exactly, tau decaying on that side."""
    (a0, b0, t0), (a1, b1, t1) = _tail_sym(expr, order)
    f0 = numpy_function(t0, (x,))
    f1 = f0 if t1 == t0 else numpy_function(t1, (x,))
    return ((float(a0), float(b0), f0), (float(a1), float(b1), f1))


@lru_cache(maxsize=256)
def _parity(expr: sp.Expr):
    m = expr.subs(x, -x)
    if sp.expand(m + expr) == 0:
        return "odd"
    if sp.expand(m - expr) == 0:
        return "even"
    return None


def _continuous(act: Activation) -> bool:
    """No jumps (Stein's mu1 = E sigma' holds without delta terms)."""
    return not act.expr.has(sp.sign, sp.Heaviside, sp.Piecewise)


#: from this standard deviation sqrt(c) on, the activation's own scale (y of order 1) is
#: narrow in xi: the rule is cut at xi = (y - kappa)/sqrt(c) for y in _FEATURES (and the kinks)
WIDE = 2.0
_FEATURES = np.array([-32.0, -16.0, -8.0, -4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0])


def _cuts(act: Activation, c: float) -> np.ndarray:
    kinks = [float(b) for b in act.breakpoints]
    if math.sqrt(c) >= WIDE:
        kinks = sorted(set(kinks) | set(_FEATURES.tolist()))
    return np.array(kinks, dtype=float)


#: up to this standard deviation sqrt(c), smooth activations get mu_star^2 from the Hermite
#: series sum_{k>=2} c^k (E sigma^(k))^2 / k! (no residual cancellation of order 1/c)
SERIES_S = 0.2


def _side_values(sides, pos, y):
    """tau of each row's side, evaluated only on that side's rows."""
    if sides[0][2] is sides[1][2] or np.all(pos) or not np.any(pos):
        f = sides[0][2] if sides[0][2] is sides[1][2] or np.all(pos) else sides[1][2]
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(f(y), dtype=float), y.shape)
    out = np.empty(y.shape)
    with np.errstate(all="ignore"):
        out[pos] = sides[0][2](y[pos])
        out[~pos] = sides[1][2](y[~pos])
    return out


def _quadrature_moments(act: Activation, kappa: np.ndarray, c: float, level: int,
                        floors: bool = False):
    """(E sigma, E xi sigma, E (sigma - E sigma - E[xi sigma] xi)^2) over xi for every kappa.

    The third row is mu_star^2 integrated directly as a variance of the residual, which avoids
    the cancellation of E sigma^2 - mu0^2 - c mu1^2 where mu_star is small. Each row integrates
    the decaying part tau of sigma = a + b y + tau(y) on the side of its kappa
    (:func:`_tail_forms`), with cuts at the shifted kinks and, for sqrt(c) >= :data:`WIDE`, at the
    shifted feature points of the activation (a rule rescaled to the width sqrt(c)). For a
    continuous activation E[xi sigma] = sqrt(c) E sigma' (Stein's lemma, no cancellation); for a
    smooth one with sqrt(c) <= :data:`SERIES_S`, mu_star^2 = sum_{k>=2} c^k (E sigma^(k))^2/k!
    (the Hermite expansion of xi -> sigma(kappa + sqrt(c) xi)).
    With ``floors``, also returns the rounding floors (absolute) of the three sums.
    """
    sides = _tail_forms(act.expr)
    sc = math.sqrt(c)
    stein = _continuous(act)
    series = act.smooth and sc <= SERIES_S
    d1 = _tail_forms(act.expr, 1) if stein else None
    nt, nm = LEVELS[level]
    kinks = _cuts(act, c)
    out = np.empty((3, kappa.size))
    flo = np.empty((3, kappa.size))
    if kinks.size == 0:
        z0, w0 = normal_rule(None, nt, nm)
    for s in range(0, kappa.size, _BLOCK):
        k = kappa[s : s + _BLOCK, None]
        if kinks.size == 0:
            z, w = z0, w0
        else:
            z, w = normal_rule((kinks[None, :] - k) / sc, nt, nm)
        y = k + sc * z
        pos = (k >= 0)[:, 0]
        a = np.where(pos, sides[0][0], sides[1][0])
        b = np.where(pos, sides[0][1], sides[1][1])
        v = _side_values(sides, pos, y)
        wb = np.broadcast_to(w, v.shape)
        zb = np.broadcast_to(z, v.shape)
        aw = np.abs(wb)
        av = np.abs(v)
        t0 = np.einsum("ij,ij->i", v, wb)
        t1 = np.einsum("ij,ij->i", v, wb * zb)
        out[0, s : s + _BLOCK] = a + b * k[:, 0] + t0
        if stein:
            dv = _side_values(d1, pos, y)
            m1 = sc * (b + np.einsum("ij,ij->i", dv, wb))
            f1 = sc * (np.abs(b) + np.einsum("ij,ij->i", np.abs(dv), aw))
        else:
            m1 = b * sc + t1
            f1 = np.einsum("ij,ij->i", av, np.abs(wb * zb)) + np.abs(b) * sc
        out[1, s : s + _BLOCK] = m1
        if series:
            tot = np.zeros(k.shape[0])
            ftot = np.zeros(k.shape[0])
            term = np.zeros(k.shape[0])
            for order in range(2, (7 if sc <= 0.01 else 9 if sc <= 0.035 else 11) + 1):
                dk = _side_values(_tail_forms(act.expr, order), pos, y)
                ek = np.einsum("ij,ij->i", dk, wb)
                fk = np.einsum("ij,ij->i", np.abs(dk), aw)
                coef = c**order / math.factorial(order)
                term = coef * ek * ek
                tot += term
                ftot += coef * 2 * np.abs(ek) * fk
        r = v - t0[:, None] - t1[:, None] * zb
        out[2, s : s + _BLOCK] = np.einsum("ij,ij->i", r * r, wb)
        fr = np.einsum("ij,ij->i", np.abs(r) * (av + np.abs(t0)[:, None]
                                               + np.abs(t1[:, None] * zb)), aw)
        if series:
            # the series where its last term (bound of the truncation) is negligible; far in a
            # tail the derivatives grow like (2y)^k and the residual form is kept
            use = 4 * np.abs(term) <= 1e-15 * tot
            out[2, s : s + _BLOCK] = np.where(use, tot, out[2, s : s + _BLOCK])
            fr = np.where(use, ftot / 2 + 4 * np.abs(term) / _ROUNDOFF, fr)
        if floors:
            f0 = np.einsum("ij,ij->i", av, aw) + np.abs(a) + np.abs(b * k[:, 0])
            flo[:, s : s + _BLOCK] = _ROUNDOFF * np.stack([f0, f1, 2 * fr])
    if not np.all(np.isfinite(out)):
        raise IntegrationError(f"conditional integrals of {act.name!r} are not finite")
    return (out, flo) if floors else out


#: arrays of kappa longer than this are evaluated through piecewise Chebyshev interpolation
INTERPOLATE_ABOVE = 4096
#: relative agreement an interpolant can be asked for (rounding of log/exp and Clenshaw)
_INTERP_FLOOR = 5e-14
_DEG = 12


def _interpolated_moments(act: Activation, kappa: np.ndarray, c: float, level: int, tol: float):
    """The three moments of :func:`_quadrature_moments` by piecewise Chebyshev interpolation in kappa.

    The moments are Gaussian convolutions, hence smooth (entire) functions of kappa even for
    kinked activations. The range of kappa is cut into P panels, each interpolated at
    ``_DEG`` Chebyshev points (direct quadrature there), evaluated by Clenshaw's recurrence.
    P doubles until the interpolant matches direct quadrature at 64 sampled kappas within tol
    (relative to each value, or to its rounding floor); mu_star^2 (positive, decaying like a
    Gaussian tail) is interpolated through its logarithm. Returns the moments and per-entry
    relative error estimates (the measured difference plus the rounding of the Clenshaw sum).
    """
    lo, hi = float(kappa.min()), float(kappa.max())
    rng = np.random.default_rng(0)
    check = np.unique(np.concatenate([rng.choice(kappa, 64), [lo, hi]]))
    truth, tflo = _quadrature_moments(act, check, c, level, floors=True)
    n = _DEG
    j = np.arange(n)
    nodes = np.cos(np.pi * (j + 0.5) / n)  # Chebyshev points of the first kind on [-1, 1]
    # DCT-II matrix: coefficients a_m = (2/n) sum_j f(x_j) cos(m pi (j+1/2)/n), a_0 halved
    dct = (2.0 / n) * np.cos(np.pi * np.outer(j, j + 0.5) / n)
    dct[0] *= 0.5
    panels = max(1, int(math.ceil((hi - lo) / (2.0 * math.sqrt(c)))))
    for _ in range(12):
        width = (hi - lo) / panels if hi > lo else 1.0
        centers = lo + width * (np.arange(panels) + 0.5)
        pts = (centers[:, None] + 0.5 * width * nodes[None, :]).ravel()
        vals = _quadrature_moments(act, pts, c, level).reshape(3, panels, n)
        # mu_star^2 > 0 decays like a Gaussian tail: interpolate its logarithm (relative accuracy)
        logstar = bool(np.all(vals[2] > 0))
        if logstar:
            vals[2] = np.log(vals[2])
        coef = np.einsum("mj,qpj->qpm", dct, vals)  # (3, P, n)
        noise = 4 * np.finfo(float).eps * np.sum(np.abs(coef), axis=2)  # (3, P) Clenshaw rounding

        def evaluate(kk, coef=coef, width=width, panels=panels, logstar=logstar, noise=noise):
            idx = np.clip(((kk - lo) / width).astype(np.int64), 0, panels - 1)
            t = 2.0 * (kk - (lo + width * (idx + 0.5))) / width
            t2 = 2.0 * t
            b1 = np.zeros((3, kk.size))
            b2 = np.zeros((3, kk.size))
            cf = coef.transpose(2, 0, 1)  # (n, 3, P)
            for m in range(n - 1, 0, -1):
                b1, b2 = t2 * b1 - b2 + cf[m][:, idx], b1
            v = t * b1 - b2 + cf[0][:, idx]
            nz = noise[:, idx]
            if logstar:
                v[2] = np.exp(v[2])
                nz[2] = nz[2] * v[2]  # absolute error of exp(log value)
            return v, nz

        approx, _ = evaluate(check)
        # relative to each value (mu_star may be tiny in a tail), or to its rounding floor
        err = float(np.max(np.abs(approx - truth) / np.maximum(np.abs(truth), 4 * tflo)))
        # (the log/exp of mu_star^2 and the Clenshaw sums round at a few 1e-15 relative)
        if err <= max(4 * tol, _INTERP_FLOOR):
            out = np.empty((3, kappa.size))
            rel = np.empty((3, kappa.size))
            for s in range(0, kappa.size, 1 << 18):
                v, nz = evaluate(kappa[s : s + (1 << 18)])
                out[:, s : s + (1 << 18)] = v
                rel[:, s : s + (1 << 18)] = err + nz / np.maximum(np.abs(v), 1e-300)
            return out, rel
        panels *= 2
    raise IntegrationError(
        f"interpolation of the conditional coefficients of {act.name!r} in kappa did not reach "
        f"tol {tol:.1g} (error {err:.3g}); pass method='quadrature'"
    )



# remembered level per (expression, c)
_LEVEL_CACHE: dict = {}


def _rel_diff(cur, prev, floor):
    """Difference of two quadrature levels relative to the value (or to its rounding floor)."""
    return np.abs(cur - prev) / np.maximum(np.abs(cur), np.maximum(floor, 1e-300))


def _choose_level(act: Activation, kappa: np.ndarray, c: float, tol: float):
    """Smallest node level whose next level agrees within tol (relative) on a sample of kappas.

    Agreement is measured relative to each value (mu0, mu1, mu_star may be tiny in a tail), or to
    the rounding floor of its sum where that is larger. Remembered per (activation, c, tol)
    together with the kappa range it was checked on; a later call reuses it only inside that
    range. If no level reaches tol, the finest is used and the entries it does not resolve are
    flagged by :func:`_moments`.
    """
    key = (act.expr, c, tol)
    lo, hi = float(kappa.min()), float(kappa.max())
    got = _LEVEL_CACHE.get(key)
    if got is not None and got[2] <= lo and hi <= got[3]:
        return got[0], got[1]
    sample = np.unique(np.concatenate([np.quantile(kappa, np.linspace(0, 1, 9)), [0.0]]))
    prev = _quadrature_moments(act, sample, c, 0)
    best = (len(LEVELS) - 2, np.inf, np.inf)
    for level in range(1, len(LEVELS)):
        cur, flo = _quadrature_moments(act, sample, c, level, floors=True)
        diff = np.abs(cur - prev)
        # converged: every entry within tol of its value, or within its rounding floor
        worst = float(np.max(diff / np.maximum(np.maximum(tol * np.abs(cur), 4 * flo), 1e-300)))
        # the level's error: relative to each value, except entries at their rounding floor
        # (a value crossing zero), whose own estimates are made per entry by _moments
        err = tol * worst
        if worst < best[2]:
            best = (level - 1, err, worst)
        if worst <= 1.0:
            break
        prev = cur
    if worst > 1.0:  # no level resolves every sampled entry: use the finest (entries flagged)
        best = (len(LEVELS) - 2, best[1], worst)
    _LEVEL_CACHE[key] = (best[0], best[1], min(lo, 0.0), max(hi, 0.0))
    return best[0], best[1]


def _moments(act, k, c, tol, method):
    """(moments, per-entry relative error estimate (3, n), method text)."""
    level, err = _choose_level(act, k, c, tol)
    if k.size > INTERPOLATE_ABOVE and method == "auto":
        mom, irel = _interpolated_moments(act, k, c, level, tol)
        # the interpolation error is measured relative to each sampled value (or its floor),
        # plus each entry's own rounding of the Clenshaw sum
        rel = err + irel
        return mom, rel, "split-gauss + Chebyshev interpolation in kappa"
    # every kappa at two levels: the difference (plus the rounding floor) is its error estimate
    top = min(level + 1, len(LEVELS) - 1)
    lower = _quadrature_moments(act, k, c, top - 1)
    mom, flo = _quadrature_moments(act, k, c, top, floors=True)
    rel = _rel_diff(mom, lower, 0.0) + flo / np.maximum(np.abs(mom), 1e-300)
    # a kink farther than BREAK_CLIP standard deviations is clipped by the rule: the tiny
    # values it carries are not resolved relatively (both levels share the clipped cut)
    kinks = np.array([float(b) for b in act.breakpoints])
    if kinks.size:
        far = np.any(np.abs((kinks[None, :] - k[:, None]) / math.sqrt(c)) > BREAK_CLIP, axis=1)
        sides = _tail_forms(act.expr)
        pos = k >= 0
        a = np.where(pos, sides[0][0], sides[1][0])
        b = np.where(pos, sides[0][1], sides[1][1])
        lin = np.stack([a + b * k, b * math.sqrt(c), np.zeros_like(k)])
        # the part carried by the decaying tau may be wrong: harmless only if it is negligible
        bad = far[None, :] & (np.abs(mom - lin) > RESOLVED * np.abs(mom))
        rel[bad] = np.inf
    return mom, rel, "split-gauss"


#: an entry whose estimated relative error exceeds this is flagged as unresolved
RESOLVED = 1e-12
#: below this magnitude a float64 value has lost relative precision (or underflowed)
_TINY = 1e-300


def _closed_numpy(act: Activation):
    """NumPy callables of the closed forms; 'mu_star' only where the activation carries a stable
    form of it (not the cancelling difference E sigma^2 - mu0^2 - c mu1^2)."""
    forms = conditional_closed_forms(act)
    if forms is None:
        return None
    stable = act.conditional_closed is not None and len(act.conditional_closed(kappa_sym, c_sym)) > 3
    out = {k: (None if v is None else numpy_function(v, (kappa_sym, c_sym)))
           for k, v in forms.items() if k != "mu_star"}
    out["mu_star"] = numpy_function(forms["mu_star"], (kappa_sym, c_sym)) if stable else None
    return out


def conditional_coefficients(activation, kappa, c: float = 1.0, *, dps: int | None = None,
                             method: str = "auto", tol: float = 4e-15) -> ConditionalCoefficients:
    r"""Conditional coefficients :math:`\mu_0(\kappa), \mu_1(\kappa), \mu_\star(\kappa)` at variance c.

    Definitions in :class:`ConditionalCoefficients` (conditional Gaussian equivalence, Cui et
    al. 2024, arXiv:2402.04980v2).

    Parameters
    ----------
    activation : str or sympy.Expr
        Registry name, expression string or SymPy expression in x.
    kappa : float or array_like
        Shifts (any shape; flattened).
    c : float, optional
        Variance c > 0 of the Gaussian part (default 1).
    dps : int, optional
        None for float64 (default), else decimal digits (>= 15) through mpmath.
    method : {"auto", "closed", "quadrature"}, optional
        ``"auto"``: closed form if the activation has one, else quadrature; more than
        :data:`INTERPOLATE_ABOVE` kappas through piecewise Chebyshev interpolation in kappa with
        a measured error. ``"quadrature"``: direct quadrature at every kappa.
    tol : float, optional
        Float64 quadrature tolerance between node levels (relative to each value, or to the
        rounding floor of its sum); entries whose estimated relative error exceeds
        :data:`RESOLVED` = 1e-12 are flagged in ``unresolved`` (also in ``to_dict()``).

    Returns
    -------
    ConditionalCoefficients
        The coefficients with their error estimate and flags.

    Raises
    ------
    InputError
        If ``c``, ``dps``, ``kappa`` or ``method`` is not allowed (``method="closed"`` for an
        activation without closed form included).
    IntegrationError
        If the mpmath path cannot reach ``dps`` digits.

    Examples
    --------
    >>> r = conditional_coefficients("sign", [0.0, 1.0])
    >>> bool(abs(r.mu1[0] - (2 / np.pi) ** 0.5) < 1e-15)
    True
    """
    act = get_activation(activation)
    c = check_positive("c", c)
    dps = check_dps(dps)
    if method not in ("auto", "closed", "quadrature"):
        raise InputError("method", method, "one of 'auto', 'closed', 'quadrature'")
    if dps is not None:
        return _mp_conditional(act, kappa, c, dps)
    try:
        k = np.asarray(kappa, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError("kappa", kappa, "a real number or an array of real numbers") from None
    if k.size == 0 or not np.all(np.isfinite(k)):
        raise InputError("kappa", kappa, "a non-empty array of finite real numbers")
    closed = _closed_numpy(act) if method != "quadrature" else None
    if method == "closed" and closed is None:
        raise InputError("method", method, "'auto' or 'quadrature' for this activation",
                         hint=f"{act.name} has no closed-form conditional coefficients")
    n = k.size
    rel = np.zeros((3, n))  # estimated relative errors of mu0, mu1, mu_star
    if closed is not None:
        with np.errstate(all="ignore"):
            m0, m1 = closed["mu0"](k, c), closed["mu1"](k, c)
            e2 = closed["E_sigma2"](k, c) if closed["E_sigma2"] is not None else None
            star = closed["mu_star"](k, c) if closed["mu_star"] is not None else None
        m0, m1 = (np.broadcast_to(np.asarray(v, float), k.shape).copy() for v in (m0, m1))
        used = "closed form"
        # the closed forms are written with the stable atoms: relative error a few ulp
        rel[:2] = 8 * np.finfo(float).eps
        if star is None:
            mom, qrel, qused = _moments(act, k, c, tol, method)
            star = np.sqrt(np.maximum(mom[2], 0.0))
            rel[2] = 0.5 * qrel[2]
            if e2 is None:
                e2 = mom[2] + mom[0] ** 2 + mom[1] ** 2
            used = f"closed form (mu0, mu1) + {qused} (mu_star)"
        else:
            star = np.broadcast_to(np.asarray(star, float), k.shape).copy()
            rel[2] = 8 * np.finfo(float).eps
        e2 = np.broadcast_to(np.asarray(e2, float), k.shape).copy()
    else:
        mom, qrel, used = _moments(act, k, c, tol, method)
        m0, m1 = mom[0], mom[1] / math.sqrt(c)
        e2 = mom[2] + mom[0] ** 2 + mom[1] ** 2
        star = np.sqrt(np.maximum(mom[2], 0.0))
        rel = np.stack([qrel[0], qrel[1], 0.5 * qrel[2]])
    # exact zeros of the symmetry (an odd sigma has mu0(0) = 0, an even one mu1(0) = 0)
    par = _parity(act.expr)
    if par is not None:
        zero = k == 0
        if par == "odd":
            m0 = np.where(zero, 0.0, m0)
        else:
            m1 = np.where(zero, 0.0, m1)
        rel[0 if par == "odd" else 1, zero] = 0.0
    flags, reasons = {}, {}
    for i, (key, v) in enumerate((("mu0", m0), ("mu1", m1), ("mu_star", star))):
        under = (np.abs(v) < _TINY) & (k != 0) & np.isfinite(v)
        loose = rel[i] > RESOLVED
        if not np.all(np.isfinite(v)):
            raise IntegrationError(f"{key} of {act.name!r} at c={c} is not finite")
        flags[key] = under | loose
        if np.any(flags[key]):
            reasons[key] = ("below the float64 range (underflow: only |value| < 1e-300 is known)"
                            if np.all(under[flags[key]]) else
                            f"estimated relative error above {RESOLVED:g} (quadrature or "
                            "underflow); the value is not resolved")
    ok = ~(flags["mu0"] | flags["mu1"] | flags["mu_star"])
    err = float(np.max(rel[:, ok])) if np.any(ok) else None
    return ConditionalCoefficients(act, c, k, m0, m1, star, e2, used, err, None, flags, reasons)


def _scaled_quad(fun, pts, what: str):
    """``_mp_quad`` of ``fun`` divided by its largest magnitude at the break points and their
    midpoints: mpmath.quad stops on an *absolute* error estimate, which for a value far below 1
    (a Gaussian tail) would allow large relative errors."""
    finite = [p for p in pts if mpmath.isfinite(p)]
    probes = finite + [(a + b) / 2 for a, b in zip(finite[:-1], finite[1:])]
    probes += [finite[0] - 1, finite[-1] + 1] if finite else [mpmath.mpf(0)]
    scale = max((abs(fun(t)) for t in probes), default=mpmath.mpf(0))
    if not scale:
        scale = mpmath.mpf(1)
    return _mp_quad(lambda t: fun(t) / scale, pts, what) * scale


def _mp_conditional(act: Activation, kappa, c, dps: int) -> ConditionalCoefficients:
    f = mpmath_function(act.expr, (x,))
    ks = [kappa] if np.ndim(kappa) == 0 and not isinstance(kappa, (list, tuple)) else list(
        np.ravel(np.asarray(kappa, dtype=object)))
    out0, out1, out2, outs, kk = [], [], [], [], []
    with mpmath.workdps(dps + 10):
        cm = mpmath.mpf(str(c)) if not isinstance(c, mpmath.mpf) else c
        sc = mpmath.sqrt(cm)
        for kap in ks:
            km = mpmath.mpf(str(kap)) if not isinstance(kap, mpmath.mpf) else kap
            pts = {mpmath.mpf(0), mpmath.mpf(-4), mpmath.mpf(4), mpmath.mpf(-8), mpmath.mpf(8)}
            for b in act.breakpoints:
                pts.add((mpmath.mpf(sp.N(b, dps + 15)) - km) / sc)
            if sc >= WIDE:  # the activation's own scale is narrow in xi: cut at its features
                pts.update((mpmath.mpf(float(y)) - km) / sc for y in _FEATURES)
            grid = [-mpmath.inf, *sorted(pts), mpmath.inf]
            memo: dict = {}

            def g(t, km=km, memo=memo):
                v = memo.get(t)
                if v is None:
                    v = f(km + sc * t) * mpmath.npdf(t)
                    memo[t] = v
                return v

            m0 = _scaled_quad(g, grid, f"mu0({kap}) of {act.name}")
            m1 = _scaled_quad(lambda t: t * g(t), grid, f"mu1({kap}) of {act.name}") / sc
            e2 = _scaled_quad(lambda t, km=km: f(km + sc * t) ** 2 * mpmath.npdf(t), grid,
                          f"E sigma^2({kap}) of {act.name}")
            # mu_star^2 as the variance of the residual (no e2 - m0^2 - c m1^2 cancellation)
            s2 = _scaled_quad(lambda t, km=km, m0=m0, m1=m1: (f(km + sc * t) - m0 - sc * m1 * t) ** 2
                          * mpmath.npdf(t), grid, f"mu_star^2({kap}) of {act.name}")
            par = _parity(act.expr)
            if km == 0 and par == "odd":
                m0 = mpmath.mpf(0)
            elif km == 0 and par == "even":
                m1 = mpmath.mpf(0)
            out0.append(m0)
            out1.append(m1)
            out2.append(e2)
            outs.append(mpmath.sqrt(s2) if s2 > 0 else mpmath.mpf(0))
            kk.append(km)
    with mpmath.workdps(dps):
        rnd = lambda a: [+v for v in a]  # noqa: E731
        return ConditionalCoefficients(act, c, rnd(kk), rnd(out0), rnd(out1), rnd(outs),
                                       rnd(out2), "mpmath.quad", None, dps)


def finite_support_family(activation, kappa, support, c: float = 1.0, **kw) -> dict:
    r"""The family :math:`\{\mu_i(u\kappa)\}_{u\in V}` of a finite-support second-layer init.

    With second-layer weights :math:`a^0 \in V^p` ("A note on initialisation", the lecture
    slides accompanying Cui et al. 2024, arXiv:2402.04980v2),
    :math:`\sigma(W^1x)_k \asymp \mu_0(u_k\kappa) + \mu_1(u_k\kappa)(Wx)_k +
    \mu_\star(u_k\kappa)\xi_k`.

    Parameters
    ----------
    activation : str or sympy.Expr
        As in :func:`conditional_coefficients`.
    kappa : float or array_like
        Shifts, n values (flattened).
    support : array_like
        The finite support V (non-empty, finite reals).
    c : float, optional
        Variance of the Gaussian part (default 1).
    **kw
        Passed to :func:`conditional_coefficients` (``dps``, ``method``, ``tol``).

    Returns
    -------
    dict
        ``support`` (V), ``kappa``, ``mu0``, ``mu1``, ``mu_star`` (arrays of shape
        (len(V), n)) and ``unresolved`` (``{"mu0": bool array (len(V), n), ...}``).

    Raises
    ------
    InputError
        If ``support`` is empty or not finite.
    """
    u = np.asarray(support, dtype=float).ravel()
    if u.size == 0 or not np.all(np.isfinite(u)):
        raise InputError("support", support, "a non-empty finite set of real numbers")
    k = np.asarray(kappa, dtype=float).ravel()
    r = conditional_coefficients(activation, np.outer(u, k).ravel(), c, **kw)
    shape = (u.size, k.size)
    return {"support": u, "kappa": k, "mu0": np.reshape(r.mu0, shape),
            "mu1": np.reshape(r.mu1, shape), "mu_star": np.reshape(r.mu_star, shape),
            "unresolved": {key: v.reshape(shape) for key, v in (r.unresolved or {}).items()}}
