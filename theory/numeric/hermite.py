r"""Hermite coefficients in float64 (split Gauss quadrature) and at any precision (mpmath).

Conventions in :mod:`theory.conventions`: :math:`\mu_k = \mathbb E[\sigma(z)\mathrm{He}_k(z)]`,
:math:`\mu_\star^2 = \mathbb E\sigma^2 - \mu_0^2 - \mu_1^2`.

float64: the line is cut at 0 and at the activation's kinks (found symbolically), every piece gets
a Gauss rule (:func:`~theory.numeric.quadrature.normal_rule`), the node count is raised until
two successive levels agree (that difference is the error estimate), and the level is remembered
per activation. The normalised table :math:`\mathrm{He}_k(z)/\sqrt{k!}` at the nodes is built by
the stable recurrence :math:`h_{k+1} = (z h_k - \sqrt k\, h_{k-1})/\sqrt{k+1}` and cached, so
all of :math:`\mu_0..\mu_K` cost one evaluation of sigma and one matrix-vector product.

mpmath (``dps=``): ``mpmath.quad`` on the line split at the kinks, 0 and +-4, +-8 (NUMERICS.md:
mpmath.quad is right at a kink only if the kink is a break point), at ``dps + 10`` working
digits, with its error estimate checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp

from ..conventions import MIN_DPS
from ..errors import InputError, IntegrationError, check_int
from ..symbolic.activations import Activation, get_activation, x
from ..symbolic.hermite import exact_coefficients, hermite_series
from .bridge import mpmath_function, numpy_function
from .quadrature import LEVELS, normal_rule

__all__ = [
    "HermiteExpansion",
    "hermite_expansion",
    "hermite_coefficients",
    "mu_star",
    "normalized_he_table",
    "check_dps",
]

#: default absolute tolerance on the normalised coefficients mu_k / sqrt(k!)
FLOAT_TOL = 2e-15


@lru_cache(maxsize=64)
def _sqrt_factorials(kmax: int) -> np.ndarray:
    return np.sqrt([float(math.factorial(k)) for k in range(kmax + 1)])


def check_dps(dps) -> int | None:
    if dps is None:
        return None
    return check_int("dps", dps, lo=MIN_DPS, hi=10_000)


def normalized_he_table(z: np.ndarray, kmax: int) -> np.ndarray:
    """Array (kmax+1, *z.shape) of He_k(z)/sqrt(k!) by the stable normalised recurrence."""
    z = np.asarray(z, dtype=float)
    h = np.empty((kmax + 1,) + z.shape)
    h[0] = 1.0
    if kmax >= 1:
        h[1] = z
    for k in range(1, kmax):
        h[k + 1] = (z * h[k] - math.sqrt(k) * h[k - 1]) / math.sqrt(k + 1)
    return h


@lru_cache(maxsize=256)
def _rule(breaks: tuple, level: int, kmax: int):
    nt, nm = LEVELS[level]
    z, w = normal_rule(np.array(breaks, dtype=float) if breaks else None, nt, nm)
    z, w = z[0], w[0]
    table = normalized_he_table(z, kmax) * w  # weights folded in: mu_k/sqrt(k!) = table @ sigma
    table.flags.writeable = False
    return z, table


def _float_breaks(act: Activation) -> tuple:
    return tuple(float(b) for b in act.breakpoints)


# remembered level per (expression, kmax): the first call adapts, later calls reuse it
_LEVEL_CACHE: dict = {}


def _float_coefficients(act: Activation, kmax: int, tol: float):
    """(normalised mu_0..mu_kmax, E sigma^2, error estimate, nodes used) in float64."""
    f = numpy_function(act.expr, (x,))
    breaks = _float_breaks(act)
    key = (act.expr, kmax, tol)
    kk = max(kmax, 2)

    def at(level):
        z, table = _rule(breaks, level, kk)
        s = np.asarray(f(z), dtype=float)
        if not np.all(np.isfinite(s)):
            raise IntegrationError(
                f"activation {act.name!r} is not finite at a quadrature node (z = "
                f"{z[~np.isfinite(s)][0]:.4g}); its Gaussian integral may diverge"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            c = table @ s
            e2 = table[0] @ (s * s)
        if not (np.all(np.isfinite(c)) and np.isfinite(e2)):
            raise IntegrationError(
                f"the Gaussian integrals of {act.name!r} overflow at the quadrature nodes: "
                "E[sigma(z)^2] must be finite (sigma may grow like exp(z^2/4) or faster)"
            )
        return c, e2, z.size

    if key in _LEVEL_CACHE:
        level, err = _LEVEL_CACHE[key]
        c, e2, n = at(level)
        return c[: kmax + 1], e2, err, n
    prev = at(0)
    for level in range(1, len(LEVELS)):
        cur = at(level)
        scale = max(1.0, float(np.max(np.abs(cur[0]))), abs(cur[1]))
        err = max(float(np.max(np.abs(cur[0] - prev[0]))), abs(cur[1] - prev[1]))
        if err <= tol * scale:
            # the lower level already met the tolerance: remember it (cheaper), report err
            _LEVEL_CACHE[key] = (level - 1, err)
            return prev[0][: kmax + 1], prev[1], err, prev[2]
        prev = cur
    raise IntegrationError(
        f"Hermite coefficients of {act.name!r} up to k={kmax} did not converge: successive "
        f"quadrature levels differ by {err:.3g} > tol {tol:.1g} with {prev[2]} nodes; the "
        "activation may grow too fast for a Gaussian integral or have kinks SymPy cannot locate"
    )


def _mp_points(act: Activation, shift=0, scale=1):
    pts = {mpmath.mpf(0), mpmath.mpf(-4), mpmath.mpf(4), mpmath.mpf(-8), mpmath.mpf(8)}
    for b in act.breakpoints:
        pts.add((mpmath.mpf(sp.N(b, mpmath.mp.dps + 5)) - shift) / scale)
    return [-mpmath.inf, *sorted(pts), mpmath.inf]


def _mp_quad(fun, pts, what: str):
    value, err = mpmath.quad(fun, pts, error=True, maxdegree=10)
    if err > mpmath.mpf(10) ** (-(mpmath.mp.dps - 8)) * max(1, abs(value)):
        raise IntegrationError(
            f"mpmath.quad for {what} reached error {mpmath.nstr(err, 3)}, more than "
            f"1e-{mpmath.mp.dps - 8} needed"
        )
    return value


def _mp_coefficients(act: Activation, kmax: int, dps: int):
    """(mu_0..mu_kmax, E sigma^2) as mpf at dps digits."""
    f = mpmath_function(act.expr, (x,))
    memo: dict = {}

    def values(z):
        got = memo.get(z)
        if got is None:
            s = f(z)
            he = [mpmath.mpf(1), z]
            for k in range(1, kmax):
                he.append(z * he[k] - k * he[k - 1])
            got = (s * mpmath.npdf(z), he)
            memo[z] = got
        return got

    with mpmath.workdps(dps + 10):
        pts = _mp_points(act)
        mus = [
            _mp_quad(lambda z, k=k: values(z)[0] * values(z)[1][k], pts, f"mu_{k} of {act.name}")
            for k in range(kmax + 1)
        ]
        e2 = _mp_quad(lambda z: f(z) ** 2 * mpmath.npdf(z), pts, f"E sigma^2 of {act.name}")
    with mpmath.workdps(dps):
        return [+m for m in mus], +e2


@dataclass
class HermiteExpansion:
    r"""Hermite expansion of an activation, :math:`\sigma = \sum_k \mu_k \mathrm{He}_k/k!`.

    Attributes
    ----------
    activation : the :class:`~theory.symbolic.activations.Activation`
    kmax : largest k computed
    mu : mu_0..mu_kmax (NumPy float64 array, or list of mpf when ``dps`` is set)
    E_sigma2 : E[sigma(z)^2]
    mu_star : sqrt(E sigma^2 - mu_0^2 - mu_1^2)
    exact : exact SymPy values of mu_0..mu_kmax where an exact tier applies, else None
    tier : which exact tier (``closed``, ``polynomial``, ``piecewise``) or None
    method : ``"split-gauss"`` (float64) or ``"mpmath.quad"``
    error : error estimate of the normalised coefficients (float64 path)
    nodes : quadrature nodes used (float64 path)
    dps : None (float64) or the decimal digits
    """

    activation: Activation
    kmax: int
    mu: object
    E_sigma2: object
    mu_star: object
    exact: list | None = None
    tier: str | None = None
    method: str = "split-gauss"
    error: float | None = None
    nodes: int | None = None
    dps: int | None = None

    @property
    def mu_normalized(self):
        """mu_k / sqrt(k!), the coefficients in the orthonormal basis."""
        if self.dps is None:
            return np.asarray(self.mu) / _sqrt_factorials(self.kmax)
        with mpmath.workdps(self.dps):
            return [m / mpmath.sqrt(mpmath.factorial(k)) for k, m in enumerate(self.mu)]

    def residual(self, k: int):
        r"""Squared L2 norm of the part above degree k: :math:`\|P_{>k}\sigma\|^2 =
        \mathbb E\sigma^2 - \sum_{j\le k}\mu_j^2/j!` (k <= kmax)."""
        k = check_int("k", k, lo=0, hi=self.kmax)
        if self.dps is None:
            return float(self.E_sigma2 - np.sum(np.asarray(self.mu_normalized[: k + 1]) ** 2))
        with mpmath.workdps(self.dps):
            return self.E_sigma2 - mpmath.fsum(m**2 for m in self.mu_normalized[: k + 1])

    def dual_kernel(self, rho):
        r"""Dual kernel :math:`k(\rho) = \mathbb E[\sigma(u)\sigma(v)] \approx \sum_{k\le K}
        \mu_k^2\rho^k/k!` and a bound on the truncation error,
        :math:`|\rho|^{K+1}\|P_{>K}\sigma\|^2`. Returns (value, bound)."""
        if self.dps is None:
            r = np.asarray(rho, dtype=float)
            if np.any(np.abs(r) > 1):
                raise InputError("rho", rho, "a correlation in [-1, 1]")
            c2 = np.asarray(self.mu_normalized) ** 2
            val = sum(c2[k] * r**k for k in range(self.kmax + 1))
            bound = np.abs(r) ** (self.kmax + 1) * max(self.residual(self.kmax), 0.0)
            return val, bound
        with mpmath.workdps(self.dps):
            r = mpmath.mpf(rho)
            if abs(r) > 1:
                raise InputError("rho", rho, "a correlation in [-1, 1]")
            c2 = [m**2 for m in self.mu_normalized]
            val = mpmath.fsum(c2[k] * r**k for k in range(self.kmax + 1))
            return val, abs(r) ** (self.kmax + 1) * max(self.residual(self.kmax), 0)

    def information_exponent(self, tol: float | None = None) -> int | None:
        """Smallest k >= 1 with mu_k != 0 (exactly when an exact tier applies, else |mu_k/sqrt k!|
        > tol, default 100 x the error estimate); None if all of mu_1..mu_kmax vanish."""
        if self.exact is not None:
            for k in range(1, self.kmax + 1):
                if sp.simplify(self.exact[k]) != 0:
                    return k
            return None
        if tol is None:
            tol = 1e-12 if self.dps is None else float(mpmath.mpf(10) ** (-(self.dps - 5)))
        norm = self.mu_normalized
        for k in range(1, self.kmax + 1):
            if abs(float(norm[k])) > tol:
                return k
        return None

    def series(self) -> sp.Expr:
        """The truncated series as a SymPy expression (exact coefficients when known)."""
        mus = self.exact if self.exact is not None else [sp.Float(float(m), 17) for m in self.mu]
        return hermite_series(mus)

    def latex(self) -> str:
        lines = [rf"\sigma(x) = {self.activation.latex()}"]
        if self.exact is not None:
            for k, m in enumerate(self.exact):
                lines.append(rf"\mu_{{{k}}} = {sp.latex(m)}")
        else:
            for k, m in enumerate(self.mu):
                lines.append(rf"\mu_{{{k}}} = {_fmt(m, self.dps)}")
        lines.append(rf"\mu_\star = {_fmt(self.mu_star, self.dps)}")
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"

    def to_dict(self) -> dict:
        if self.dps is None:
            mu = [float(m) for m in self.mu]
            star, e2 = float(self.mu_star), float(self.E_sigma2)
        else:
            mu = [_fmt(m, self.dps) for m in self.mu]
            star, e2 = _fmt(self.mu_star, self.dps), _fmt(self.E_sigma2, self.dps)
        out = {
            "activation": self.activation.name,
            "expression": str(self.activation.expr),
            "kmax": self.kmax,
            "mu": mu,
            "mu_star": star,
            "E_sigma2": e2,
            "method": self.method,
            "exact_tier": self.tier,
        }
        if self.exact is not None:
            out["exact"] = [str(m) for m in self.exact]
        if self.dps is None:
            out["error_estimate"] = self.error
            out["nodes"] = self.nodes
        else:
            out["dps"] = self.dps
        return out

    def __str__(self) -> str:
        rows = [f"Hermite expansion of {self.activation.name} = {self.activation.expr}"
                f"  ({self.method}{'' if self.dps is None else f', {self.dps} digits'})"]
        for k, m in enumerate(self.mu):
            ex = f"   = {self.exact[k]}" if self.exact is not None else ""
            rows.append(f"  mu_{k:<2d} = {_fmt(m, self.dps)}{ex}")
        rows.append(f"  mu_star = {_fmt(self.mu_star, self.dps)}")
        return "\n".join(rows)


def _fmt(v, dps):
    if dps is None:
        return f"{float(v):.17g}"
    return mpmath.nstr(v, dps, min_fixed=-5, max_fixed=5) if v != 0 else "0"


def hermite_expansion(activation, kmax: int = 10, *, dps: int | None = None,
                      tol: float = FLOAT_TOL, exact: bool = True) -> HermiteExpansion:
    """Hermite coefficients mu_0..mu_kmax, E sigma^2 and mu_star of an activation.

    Parameters
    ----------
    activation : registry name, ``family:PARAM``, expression string or SymPy expression in x
    kmax : largest degree, 0 <= kmax <= 200
    dps : None for float64, else decimal digits (>= 15) for mpmath
    tol : float64 path: absolute tolerance on mu_k/sqrt(k!) (relative to max(1, |.|))
    exact : also compute the exact SymPy coefficients where an exact tier applies

    Examples
    --------
    >>> h = hermite_expansion("relu", 3)
    >>> abs(h.mu[1] - 0.5) < 1e-15 and abs(h.mu[3]) < 1e-15
    True
    """
    kmax = check_int("kmax", kmax, lo=0, hi=200)
    dps = check_dps(dps)
    act = get_activation(activation)
    ex, tier = exact_coefficients(act, kmax) if exact else ([None], None)
    ex = ex if tier is not None else None
    if dps is None:
        c, e2, err, n = _float_coefficients(act, kmax, tol)
        mu = c * _sqrt_factorials(kmax)
        star2 = e2 - c[0] ** 2 - (c[1] ** 2 if kmax >= 1 else _float_coefficients(act, 1, tol)[0][1] ** 2)
        return HermiteExpansion(act, kmax, mu, e2, math.sqrt(max(star2, 0.0)), ex, tier,
                                "split-gauss", err, n, None)
    mus, e2 = _mp_coefficients(act, max(kmax, 1), dps)
    with mpmath.workdps(dps):
        star2 = e2 - mus[0] ** 2 - mus[1] ** 2
        star = mpmath.sqrt(star2) if star2 > 0 else mpmath.mpf(0)
    return HermiteExpansion(act, kmax, mus[: kmax + 1], e2, star, ex, tier, "mpmath.quad",
                            None, None, dps)


def hermite_coefficients(activation, kmax: int = 10, *, dps: int | None = None):
    """mu_0..mu_kmax only (float64 array, or list of mpf at ``dps``)."""
    return hermite_expansion(activation, kmax, dps=dps, exact=False).mu


def mu_star(activation, *, dps: int | None = None):
    """mu_star = sqrt(E sigma^2 - mu_0^2 - mu_1^2)."""
    return hermite_expansion(activation, 1, dps=dps, exact=False).mu_star
