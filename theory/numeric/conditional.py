r"""Conditional coefficients mu_0(kappa), mu_1(kappa), mu_star(kappa), vectorised and at any dps.

Definitions in :mod:`theory.conventions` (conditional Gaussian equivalence, Cui et al. 2024,
arXiv:2402.04980v2; slides ``shared/papers/004``, "Conditional GET" and "A note on
initialisation").

float64: where the activation carries closed forms (:func:`~theory.symbolic.conditional.
conditional_closed_forms`) they are lambdified once and evaluated on the whole array of kappa;
otherwise (and for missing entries, e.g. E erf^2) the integral over xi is done with the split
Gauss rule of :func:`~theory.numeric.quadrature.normal_rule`, each kappa with its own cut at the
shifted kink :math:`\xi = (b-\kappa)/\sqrt c`, all kappas at once in blocks. The node level is
chosen on a sample of kappas by comparing successive levels (the error estimate).

mpmath: ``mpmath.quad`` per kappa with the shifted kinks as break points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

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
#: closed-form mu_star^2 below this fraction of E sigma^2 is recomputed as a residual variance
CANCELLATION = 1e-2  # rows per block: bounds memory at BLOCK x nodes doubles


@dataclass
class ConditionalCoefficients:
    """mu0, mu1, mu_star (and E sigma^2) at each kappa, for one activation and variance c."""

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

    def to_dict(self) -> dict:
        conv = (lambda a: [float(v) for v in a]) if self.dps is None else (
            lambda a: [_fmt(v, self.dps) for v in a])
        out = {
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
        else:
            out["dps"] = self.dps
        return out

    def __str__(self) -> str:
        head = (f"Conditional coefficients of {self.activation.name} at c = {self.c} "
                f"({self.method}{'' if self.dps is None else f', {self.dps} digits'})")
        rows = [head, f"  {'kappa':>12s} {'mu0':>24s} {'mu1':>24s} {'mu_star':>24s}"]
        for k, a, b, s in zip(self.kappa, self.mu0, self.mu1, self.mu_star):
            rows.append(f"  {_fmt(k, self.dps):>12s} {_fmt(a, self.dps):>24s} "
                        f"{_fmt(b, self.dps):>24s} {_fmt(s, self.dps):>24s}")
        return "\n".join(rows)


def _quadrature_moments(act: Activation, kappa: np.ndarray, c: float, level: int):
    """(E sigma, E xi sigma, E (sigma - E sigma - E[xi sigma] xi)^2) over xi for every kappa.

    The third row is mu_star^2 integrated directly as a variance of the residual, which avoids
    the cancellation of E sigma^2 - mu0^2 - c mu1^2 where mu_star is small.
    """
    f = numpy_function(act.expr, (x,))
    sc = math.sqrt(c)
    nt, nm = LEVELS[level]
    kinks = np.array([float(b) for b in act.breakpoints])
    out = np.empty((3, kappa.size))
    if kinks.size == 0:
        z0, w0 = normal_rule(None, nt, nm)
    for s in range(0, kappa.size, _BLOCK):
        k = kappa[s : s + _BLOCK, None]
        if kinks.size == 0:
            z, w = z0, w0
        else:
            z, w = normal_rule((kinks[None, :] - k) / sc, nt, nm)
        v = f(k + sc * z)
        m0 = np.einsum("ij,ij->i", v, np.broadcast_to(w, v.shape))
        m1 = np.einsum("ij,ij->i", v, np.broadcast_to(w * z, v.shape))
        r = v - m0[:, None] - m1[:, None] * z
        out[0, s : s + _BLOCK] = m0
        out[1, s : s + _BLOCK] = m1
        out[2, s : s + _BLOCK] = np.einsum("ij,ij->i", r * r, np.broadcast_to(w, v.shape))
    if not np.all(np.isfinite(out)):
        raise IntegrationError(f"conditional integrals of {act.name!r} are not finite")
    return out


#: arrays of kappa longer than this are evaluated through piecewise Chebyshev interpolation
INTERPOLATE_ABOVE = 4096
_DEG = 12


def _interpolated_moments(act: Activation, kappa: np.ndarray, c: float, level: int, tol: float):
    """The three moments of :func:`_quadrature_moments` by piecewise Chebyshev interpolation in kappa.

    The moments are Gaussian convolutions, hence smooth (entire) functions of kappa even for
    kinked activations. The range of kappa is cut into P panels, each interpolated at
    ``_DEG`` Chebyshev points (direct quadrature there), evaluated by Clenshaw's recurrence.
    P doubles until the interpolant matches direct quadrature at 64 sampled kappas within tol;
    that measured difference is returned as the error.
    """
    lo, hi = float(kappa.min()), float(kappa.max())
    rng = np.random.default_rng(0)
    check = np.unique(np.concatenate([rng.choice(kappa, 64), [lo, hi]]))
    truth = _quadrature_moments(act, check, c, level)
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
        coef = np.einsum("mj,qpj->qpm", dct, vals)  # (3, P, n)

        def evaluate(kk, coef=coef, width=width, panels=panels):
            idx = np.clip(((kk - lo) / width).astype(np.int64), 0, panels - 1)
            t = 2.0 * (kk - (lo + width * (idx + 0.5))) / width
            t2 = 2.0 * t
            b1 = np.zeros((3, kk.size))
            b2 = np.zeros((3, kk.size))
            cf = coef.transpose(2, 0, 1)  # (n, 3, P)
            for m in range(n - 1, 0, -1):
                b1, b2 = t2 * b1 - b2 + cf[m][:, idx], b1
            return t * b1 - b2 + cf[0][:, idx]

        approx = evaluate(check)
        err = float(np.max(np.abs(approx - truth) / np.maximum(1.0, np.abs(truth))))
        if err <= 4 * tol:
            out = np.empty((3, kappa.size))
            for s in range(0, kappa.size, 1 << 18):
                out[:, s : s + (1 << 18)] = evaluate(kappa[s : s + (1 << 18)])
            return out, err
        panels *= 2
    raise IntegrationError(
        f"interpolation of the conditional coefficients of {act.name!r} in kappa did not reach "
        f"tol {tol:.1g} (error {err:.3g}); pass method='quadrature'"
    )


#: rounding floor of a split-Gauss sum (relative); a tolerance below it cannot be verified
_ROUNDOFF = 4 * np.finfo(float).eps

# remembered level per (expression, c)
_LEVEL_CACHE: dict = {}


def _choose_level(act: Activation, kappa: np.ndarray, c: float, tol: float):
    """Smallest node level whose next level agrees within tol on a sample of the kappas.

    Remembered per (activation, c, tol) together with the kappa range it was checked on; a
    later call reuses it only inside that range.
    """
    key = (act.expr, c, tol)
    lo, hi = float(kappa.min()), float(kappa.max())
    got = _LEVEL_CACHE.get(key)
    if got is not None and got[2] <= lo and hi <= got[3]:
        return got[0], got[1]
    sample = np.unique(np.concatenate([np.quantile(kappa, np.linspace(0, 1, 9)), [0.0]]))
    prev = _quadrature_moments(act, sample, c, 0)
    for level in range(1, len(LEVELS)):
        cur = _quadrature_moments(act, sample, c, level)
        # levels cannot agree better than the rounding of the sums: the integrands carry
        # factors up to (kappa/sqrt c)^2 far in a tail, so the floor grows with it there
        allowed = np.maximum(tol, _ROUNDOFF * (sample / math.sqrt(c)) ** 2)
        err = float(np.max(np.abs(cur - prev) / np.maximum(1.0, np.abs(cur)) / allowed)) * tol
        if err <= tol:
            _LEVEL_CACHE[key] = (level - 1, err, min(lo, 0.0), max(hi, 0.0))
            return level - 1, err
        prev = cur
    raise IntegrationError(
        f"conditional coefficients of {act.name!r} at c={c} did not converge: successive "
        f"quadrature levels differ by {err:.3g} > tol {tol:.1g}"
    )


def _moments(act, k, c, tol, method):
    level, err = _choose_level(act, k, c, tol)
    if k.size > INTERPOLATE_ABOVE and method == "auto":
        mom, ierr = _interpolated_moments(act, k, c, level, tol)
        return mom, max(err, ierr), "split-gauss + Chebyshev interpolation in kappa"
    return _quadrature_moments(act, k, c, level), err, "split-gauss"


def _closed_numpy(act: Activation):
    forms = conditional_closed_forms(act)
    if forms is None:
        return None
    return {k: (None if v is None else numpy_function(v, (kappa_sym, c_sym)))
            for k, v in forms.items() if k != "mu_star"}


def conditional_coefficients(activation, kappa, c: float = 1.0, *, dps: int | None = None,
                             method: str = "auto", tol: float = 4e-15) -> ConditionalCoefficients:
    r"""mu_0(kappa), mu_1(kappa), mu_star(kappa) at variance c.

    Parameters
    ----------
    activation : registry name, expression string or SymPy expression in x
    kappa : a number or an array of shifts (any shape; flattened)
    c : variance c > 0 of the Gaussian part
    dps : None for float64, else decimal digits (>= 15) through mpmath
    method : ``"auto"`` (closed form if the activation has one, else quadrature; more than
        :data:`INTERPOLATE_ABOVE` kappas through piecewise Chebyshev interpolation in kappa with a
        measured error), ``"closed"`` or ``"quadrature"`` (direct quadrature at every kappa)
    tol : float64 quadrature tolerance (relative to max(1, |value|))

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
    err = None
    if closed is not None:
        with np.errstate(all="ignore"):
            m0 = closed["mu0"](k, c)
            m1 = closed["mu1"](k, c)
            e2 = closed["E_sigma2"](k, c) if closed["E_sigma2"] is not None else None
        used = "closed form"
        if e2 is None:
            mom, err, used = _moments(act, k, c, tol, method)
            e2 = mom[2] + mom[0] ** 2 + mom[1] ** 2
            used = f"closed form (mu0, mu1) + {used} (E sigma^2)"
        m0, m1, e2 = (np.broadcast_to(np.asarray(v, float), k.shape).copy() for v in (m0, m1, e2))
        star2 = e2 - m0**2 - c * m1**2
        # where mu_star^2 is a small difference of large closed-form terms, the square root
        # amplifies the cancellation: integrate the residual variance directly there
        # (and where E sigma^2 itself is tiny against the scale kappa^2 + c of the argument:
        # deep in a flat tail, e.g. relu at kappa/sqrt(c) = -6, its closed form cancels too)
        # the closed forms' terms are at most O(kappa^2 + c + E sigma^2): their rounding error
        # relative to mu_star^2 is below eps / CANCELLATION away from the mask
        bad = star2 < CANCELLATION * (e2 + k * k + c)
        if np.any(bad):
            mom, err2, _ = _moments(act, k[bad], c, tol, method)
            star2[bad] = mom[2]
            err = err2 if err is None else max(err, err2)
            used += " (mu_star by quadrature where the closed form cancels)"
        star = np.sqrt(np.maximum(star2, 0.0))
    else:
        mom, err, used = _moments(act, k, c, tol, method)
        m0, m1 = mom[0], mom[1] / math.sqrt(c)
        e2 = mom[2] + mom[0] ** 2 + mom[1] ** 2
        star = np.sqrt(np.maximum(mom[2], 0.0))
    return ConditionalCoefficients(act, c, k, m0, m1, star, e2, used, err, None)


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
            pts = [-mpmath.inf, *sorted(pts), mpmath.inf]
            memo: dict = {}

            def g(t, km=km, memo=memo):
                v = memo.get(t)
                if v is None:
                    v = f(km + sc * t) * mpmath.npdf(t)
                    memo[t] = v
                return v

            m0 = _mp_quad(g, pts, f"mu0({kap}) of {act.name}")
            m1 = _mp_quad(lambda t: t * g(t), pts, f"mu1({kap}) of {act.name}") / sc
            e2 = _mp_quad(lambda t, km=km: f(km + sc * t) ** 2 * mpmath.npdf(t), pts,
                          f"E sigma^2({kap}) of {act.name}")
            s2 = e2 - m0**2 - cm * m1**2
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

    Slides ``shared/papers/004``, "A note on initialisation": with :math:`a^0\in V^p`,
    :math:`\sigma(W^1x)_k \asymp \mu_0(u_k\kappa) + \mu_1(u_k\kappa)(Wx)_k + \mu_\star(u_k\kappa)\xi_k`.

    Returns {'support': V, 'kappa': kappa, 'mu0': (|V|, n), 'mu1': ..., 'mu_star': ...}.
    """
    u = np.asarray(support, dtype=float).ravel()
    if u.size == 0 or not np.all(np.isfinite(u)):
        raise InputError("support", support, "a non-empty finite set of real numbers")
    k = np.asarray(kappa, dtype=float).ravel()
    r = conditional_coefficients(activation, np.outer(u, k).ravel(), c, **kw)
    shape = (u.size, k.size)
    return {"support": u, "kappa": k, "mu0": r.mu0.reshape(shape),
            "mu1": r.mu1.reshape(shape), "mu_star": r.mu_star.reshape(shape)}
