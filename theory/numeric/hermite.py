r"""Hermite coefficients in float64 (split Gauss quadrature) and at any precision (mpmath).

Conventions in :mod:`theory.conventions`: :math:`\mu_k = \mathbb E[\sigma(z)\mathrm{He}_k(z)]`,
:math:`\mu_\star^2 = \mathbb E\sigma^2 - \mu_0^2 - \mu_1^2`.

Every returned :math:`\mu_k` carries an error bound that holds for :math:`\mu_k` itself
(``HermiteExpansion.bound``) and a flag (``resolved``); ``issue 8, kind 1``.

* Exact values first: where an exact tier applies (:mod:`theory.symbolic.hermite`: hand-derived
  closed forms, polynomials, polynomial x exponential sums such as sin, cos, exp(a x), piecewise
  polynomials) the float (or mpf) is the exact value rounded; coefficients that vanish by parity
  are exactly 0.
* float64: the line is cut at 0, at the activation's kinks (found symbolically, periodic kinks
  inside :math:`|x| \le 40`) and at *feature points*, graded points around the narrow scales the
  expression declares (an exponent :math:`-a(x-b)^2` with large a, a steep affine argument
  :math:`a x + b` of tanh/erf/exp/log..., see :func:`feature_points`); every piece gets a Gauss rule
  (:func:`~theory.numeric.quadrature.normal_rule`) and the node count is raised until two
  successive levels (which share no node) agree for every k to the tolerance or to rounding.
  The normalised table :math:`\mathrm{He}_k(z)/\sqrt{k!}` at the nodes is built by the stable
  recurrence and cached, so all of :math:`c_k = \mu_k/\sqrt{k!}` cost one evaluation of sigma
  and one matrix-vector product. The bound on :math:`\mu_k` is
  :math:`\sqrt{k!}\,(2|c_k^{(L)} - c_k^{(L+1)}| + r_k) + 2(k+1)\epsilon|\mu_k|`, with the rounding
  bound :math:`r_k = 2\epsilon(N/4 + k + 10 + \mathrm{ops} + z_i^2)\sum_i|w_i h_k(z_i)\sigma(z_i)|`
  (summation, recurrence, the weights' exponentials and the evaluation of sigma). Since the true
  :math:`|\mu_k|` of sin, cos, exp stays O(1) while :math:`\sqrt{k!}` grows, float64 quadrature
  cannot resolve them beyond k ~ 20: such entries are flagged, never returned as if right.
* mpmath (``dps=``): Gauss rules whose nodes and weights are computed at the working precision
  (Gauss--Legendre panels of width <= 1 between the cuts over the range where the Gaussian
  weight matters, half-range Hermite rules for the tails beyond), the
  working precision raised by the measured cancellation :math:`\log_{10}(\sum|w\sigma
  \mathrm{He}_k| / |\mu_k|)`; two rules that share no node must agree (their difference is the
  error bound of the finer one).
* Kinks beyond the cut range L (infinitely many isolated kinks) are left to the tail rules; their
  effect is bounded by Cauchy--Schwarz, :math:`|\int_{|z|>L}\sigma\,\mathrm{He}_k\varphi| \le
  \sqrt{k!}\,(\mathbb E[\sigma^2 1_{|z|>L}])^{1/2}`, which is added to the bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ..conventions import BREAK_CLIP, MIN_DPS
from ..errors import InputError, IntegrationError, check_int
from ..symbolic.activations import Activation, KINK_RANGE, get_activation, kinks_truncated, x
from ..symbolic.hermite import exact_coefficient, exact_coefficients, hermite_series
from .bridge import mpmath_function, numpy_function
from .quadrature import LEVELS, normal_rule, split_rule_mp

__all__ = [
    "HermiteExpansion",
    "hermite_expansion",
    "hermite_coefficients",
    "mu_star",
    "normalized_he_table",
    "feature_points",
    "check_dps",
]

#: default absolute tolerance on the normalised coefficients mu_k / sqrt(k!)
FLOAT_TOL = 2e-15
#: an entry is *resolved* when its bound is <= max(RESOLVE_RTOL |mu_k|, RESOLVE_ATOL)
RESOLVE_RTOL = 1e-6
RESOLVE_ATOL = 1e-12
#: an affine argument a x + b with |a| > STEEP (a Gaussian exponent with a > STEEP^2 / 2)
#: declares a feature of width 1/|a| that gets graded cut points
STEEP = 4.0
_GRADES = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
_EPS = float(np.finfo(float).eps)


@lru_cache(maxsize=64)
def _sqrt_factorials(kmax: int) -> np.ndarray:
    """sqrt(k!) for k <= kmax as floats (a running product: no overflow up to k = 200,
    sqrt(200!) ~ 1e187; relative error <= 2k eps)."""
    out = np.ones(kmax + 1)
    for k in range(1, kmax + 1):
        out[k] = out[k - 1] * math.sqrt(k)
    out.flags.writeable = False
    return out


def check_dps(dps) -> int | None:
    """Validate a working precision.

    Parameters
    ----------
    dps : int or None
        Decimal digits for the mpmath path, or None for float64.

    Returns
    -------
    int or None
        ``dps`` as an int in ``[MIN_DPS, 10000]``, or None.

    Raises
    ------
    InputError
        If ``dps`` is not an integer in that range.
    """
    if dps is None:
        return None
    return check_int("dps", dps, lo=MIN_DPS, hi=10_000)


def normalized_he_table(z: np.ndarray, kmax: int) -> np.ndarray:
    r"""Normalised Hermite polynomials :math:`\mathrm{He}_k(z)/\sqrt{k!}`, k = 0..kmax.

    Parameters
    ----------
    z : array_like of float
        Points (any shape).
    kmax : int
        Largest degree.

    Returns
    -------
    numpy.ndarray, shape (kmax + 1, \*z.shape)
        Row k is :math:`\mathrm{He}_k(z)/\sqrt{k!}`, by the stable normalised recurrence
        :math:`h_{k+1} = (z h_k - \sqrt k\, h_{k-1})/\sqrt{k+1}`.

    Examples
    --------
    >>> normalized_he_table([2.0], 2)[:, 0].round(12).tolist()  # He_2(2)/sqrt(2) = 3/sqrt(2)
    [1.0, 2.0, 2.12132034356]
    """
    z = np.asarray(z, dtype=float)
    h = np.empty((kmax + 1,) + z.shape)
    h[0] = 1.0
    if kmax >= 1:
        h[1] = z
    for k in range(1, kmax):
        h[k + 1] = (z * h[k] - math.sqrt(k) * h[k - 1]) / math.sqrt(k + 1)
    return h


# ---------------------------------------------------------------------------------------------
# what the expression declares: kinks, narrow features, parity, exact values


@lru_cache(maxsize=512)
def feature_points(expr: sp.Expr, var: sp.Symbol = x) -> tuple:
    r"""Graded cut points around the narrow features that ``expr`` declares (sorted floats).

    * a steep affine argument: any one-argument function of :math:`u = a x + b` with
      :math:`|a| >` :data:`STEEP` (tanh, erf, a logistic :math:`1/(1+e^{-a x})`, a softplus
      :math:`\log(1+e^{a x})`, ...) has its transition at :math:`-b/a` with width :math:`1/|a|`;
    * a narrow Gaussian :math:`e^{-A x^2 + B x + C}` with :math:`A > \mathrm{STEEP}^2/2` is
      centred at :math:`B/(2A)` with width :math:`1/\sqrt{2A}`.

    The points are centre + width x (0, +-0.5, +-1, +-2, ..., +-32): quadrature panels between
    them resolve the feature whatever its position relative to a fixed node grid (issue 8,
    kind 3: nested rules that both miss a narrow bump agree to 1e-16 and prove nothing).

    Parameters
    ----------
    expr : sympy.Expr
        The activation's expression.
    var : sympy.Symbol, optional
        Its variable (default ``x``).

    Returns
    -------
    tuple of float
        The cut points, sorted (empty when nothing narrow is declared).
    """
    pts: set = set()
    for node in sp.preorder_traversal(expr):
        if not (isinstance(node, sp.Function) and len(node.args) == 1):
            continue
        u = node.args[0]
        if var not in u.free_symbols or not u.is_polynomial(var):
            continue
        poly = sp.Poly(sp.expand(u), var)
        if not all(c.is_number for c in poly.coeffs()):
            continue
        try:
            cz = [complex(c) for c in poly.all_coeffs()]
        except TypeError:
            continue
        if any(abs(c.imag) > 0 for c in cz):
            continue
        co = [c.real for c in cz]
        if poly.degree() == 1 and abs(co[0]) > STEEP:
            centre, width = -co[1] / co[0], 1.0 / abs(co[0])
        elif poly.degree() == 2 and isinstance(node, sp.exp) and -co[0] > STEEP**2 / 2:
            centre, width = co[1] / (-2 * co[0]), 1.0 / math.sqrt(-2 * co[0])
        else:
            continue
        for g in (0.0, *_GRADES, *(-g for g in _GRADES)):
            p = centre + g * width
            if abs(p) <= BREAK_CLIP:
                pts.add(round(p, 15))
    return tuple(sorted(pts))


@lru_cache(maxsize=512)
def _parity(expr: sp.Expr) -> str | None:
    """'even' / 'odd' / None: a numeric screen at 30 digits, then a symbolic proof."""
    f = mpmath_function(expr, (x,))
    with mpmath.workdps(30):
        try:
            vals = [(f(mpmath.mpf(t)), f(-mpmath.mpf(t))) for t in ("0.3183", "1.2247", "2.71", "0.0577")]
        except Exception:  # noqa: BLE001 - no numeric screen, no parity claim
            return None
        tol = mpmath.mpf(10) ** -25
        even = all(abs(a - b) <= tol * (1 + abs(a)) for a, b in vals)
        odd = all(abs(a + b) <= tol * (1 + abs(a)) for a, b in vals)
    if not (even or odd):
        return None
    m = expr.subs(x, -x)
    if isinstance(m - expr, sp.Expr) and (even and (m - expr) == 0 or odd and (m + expr) == 0):
        return "even" if even else "odd"
    if even and sp.simplify(m - expr) == 0:
        return "even"
    if odd and sp.simplify(m + expr) == 0:
        return "odd"
    return None


def _parity_zero(parity: str | None, k: int) -> bool:
    return (parity == "odd" and k % 2 == 0) or (parity == "even" and k % 2 == 1)


@lru_cache(maxsize=256)
def _cheap_exact(act: Activation, kmax: int):
    """Exact SymPy mu_0..mu_kmax from a cheap tier (closed, polynomial), or None."""
    if act.mu_closed is None and not act.is_polynomial:
        return None
    out = []
    for k in range(kmax + 1):
        v, tier = exact_coefficient(act, k)
        if v is None:
            return None
        out.append(v)
    return tuple(out), tier


@lru_cache(maxsize=256)
def _exponential_numbers(expr: sp.Expr, kmax: int, dps: int):
    """mu_0..mu_kmax of a polynomial x exponential sum (see :mod:`theory.symbolic.hermite`) in
    mpmath at ``dps`` digits, and bounds: the same formula as the exact tier, evaluated with
    complex mpf; the rounding bound is 10^-(dps-3) times the sum of the terms' moduli (the sum
    cancels for sin(a x + b) at some k). None when the tier does not apply."""
    from ..symbolic.hermite import exponential_terms

    terms = exponential_terms(expr)
    if terms is None:
        return None
    with mpmath.workdps(dps + 10):
        num = []
        for p, alpha, beta in terms:
            a = mpmath.mpc(sp.re(alpha).evalf(dps + 15), sp.im(alpha).evalf(dps + 15))
            b = mpmath.mpc(sp.re(beta).evalf(dps + 15), sp.im(beta).evalf(dps + 15))
            coeffs = [mpmath.mpc(complex(c)) if not c.is_Rational else mpmath.mpf(c.p) / c.q
                      for c in p.all_coeffs()[::-1]]
            num.append((coeffs, a, b))
        mus, bounds = [], []
        for k in range(kmax + 1):
            tot, mod = mpmath.mpc(0), mpmath.mpf(0)
            for coeffs, a, b in num:
                pref = mpmath.exp(b + a * a / 2)
                dp = list(coeffs)
                for j in range(min(k, len(coeffs) - 1) + 1):
                    # E[p^(j)(z + a)] = sum_n c_n sum_{i even} C(n, i) a^(n-i) (i-1)!!
                    m = mpmath.mpc(0)
                    for n, cn in enumerate(dp):
                        if cn == 0:
                            continue
                        for i in range(0, n + 1, 2):
                            m += cn * mpmath.binomial(n, i) * a ** (n - i) * mpmath.fac2(i - 1)
                    t = pref * mpmath.binomial(k, j) * a ** (k - j) * m
                    tot += t
                    mod += abs(t)
                    dp = [dp[n + 1] * (n + 1) for n in range(len(dp) - 1)]
            mus.append(tot.real)
            bounds.append(abs(tot.real) * mpmath.mpf(10) ** (-dps) + mod * mpmath.mpf(10) ** (-(dps + 7)))
    return tuple(mus), tuple(bounds)


class _Numeric:
    """Exact-tier values evaluated numerically (mpf values with rounding bounds)."""

    def __init__(self, pair):
        self.values, self.bounds = pair

    def __getitem__(self, k):
        return self.values[k]


def _exact_e2(act: Activation):
    """E sigma^2 exactly for polynomial and polynomial x exponential activations, else None."""
    from ..symbolic.hermite import exact_second_moment

    if not act.smooth:
        return None
    return exact_second_moment(act.expr)


def _exact_float(v: sp.Expr) -> float:
    try:
        return float(sp.re(sp.N(v, 20)))
    except OverflowError:  # pragma: no cover
        return math.inf


def _float_breaks(act: Activation) -> tuple:
    """Cuts for the float64 rules: kinks inside +-BREAK_CLIP (deduplicated) + feature points."""
    pts = {float(b) for b in act.breakpoints if abs(float(b)) <= BREAK_CLIP}
    pts.update(feature_points(act.expr))
    return tuple(sorted(pts))


def _kinks_beyond(act: Activation, limit: float) -> bool:
    return kinks_truncated(act.expr) is not None or any(abs(float(b)) > limit for b in act.breakpoints)


# ---------------------------------------------------------------------------------------------
# float64


@lru_cache(maxsize=256)
def _rule(breaks: tuple, level: int, kmax: int, ops: int = 0):
    """Nodes, table[k, i] = w_i He_k(z_i)/sqrt(k!), and the rounding table 2 eps (N/4 + k + 10
    + 2 ops + z_i^2)|table| (ops: operation count of sigma, for its evaluation)."""
    nt, nm = LEVELS[level]
    z, w = normal_rule(np.array(breaks, dtype=float) if breaks else None, nt, nm)
    z, w = z[0], w[0]
    table = normalized_he_table(z, kmax) * w  # weights folded in: mu_k/sqrt(k!) = table @ sigma
    grow = z.size / 4 + 10 + 2 * ops + np.arange(kmax + 1)[:, None] + z[None, :] ** 2
    atable = 2 * _EPS * grow * np.abs(table)
    for a in (z, table, atable):
        a.flags.writeable = False
    return z, table, atable


# remembered level per (expression, kmax, tol): the first call adapts, later calls reuse it
_LEVEL_CACHE: dict = {}


@lru_cache(maxsize=512)
def _derivative_function(expr: sp.Expr):
    """NumPy sigma' (for the evaluation-error bound), or None where it does not compile (a
    DiracDelta from a jump) -- the jumps are at the cuts, never at a node."""
    d = sp.diff(expr, x)
    if d.has(sp.DiracDelta) or d.has(sp.Subs) or d.has(sp.Derivative):
        d = d.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.Integer(0))
        if d.has(sp.Subs) or d.has(sp.Derivative):
            return None
    try:
        f = numpy_function(d, (x,))
        with np.errstate(all="ignore"):
            np.asarray(f(np.array([0.5, -1.5])), dtype=float)
    except Exception:  # pragma: no cover - a derivative NumPy cannot evaluate
        return None
    return f


@lru_cache(maxsize=512)
def _ops(expr: sp.Expr) -> int:
    return int(sp.count_ops(expr))


def _float_coefficients(act: Activation, kmax: int, tol: float):
    """Normalised c_0..c_kmax, E sigma^2, their absolute error bounds, and the node count.

    Returns (c, e2, c_bound, e2_bound, nodes)."""
    f = numpy_function(act.expr, (x,))
    breaks = _float_breaks(act)
    key = (act.expr, kmax, tol)
    kk = max(kmax, 2)
    kk1 = max(kmax, 1) + 1  # mu_1 is always returned (mu_star needs it)
    ops = _ops(act.expr)
    fprime = _derivative_function(act.expr)

    def at(level):
        z, table, atable = _rule(breaks, level, kk, ops)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            s = np.asarray(f(z), dtype=float)
        if s.shape != z.shape:
            s = np.broadcast_to(s, z.shape)
        if not np.all(np.isfinite(s)):
            raise IntegrationError(
                f"activation {act.name!r} is not finite at a quadrature node (z = "
                f"{z[~np.isfinite(s)][0]:.4g}); its Gaussian integral may diverge"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            c = table @ s
            s2 = s * s
            e2 = table[0] @ s2
            a = np.abs(s)
            if fprime is not None:
                # sigma evaluated at a rounded node z(1 + eps): add |z sigma'(z)| (a steep sigma,
                # e.g. a narrow bump, amplifies the node's rounding)
                with np.errstate(all="ignore"):
                    d = np.abs(z * np.asarray(fprime(z), dtype=float))
                d = np.where(np.isfinite(d), d, 0.0)
            rnd = atable @ a
            if fprime is not None:
                rnd = rnd + (4 * _EPS) * (np.abs(table) @ d)
            rnd2 = atable[0] @ s2 + (4 * ops * _EPS) * abs(e2)
            if fprime is not None:
                # the same node rounding in sigma^2 (2 |sigma| |z sigma'|): without it E sigma^2
                # of exp(-1e6 (x - 2.5)^2) was 1.03x outside its bound (issue 8 review)
                rnd2 = rnd2 + (8 * _EPS) * (np.abs(table[0]) @ (a * d))
        if not (np.all(np.isfinite(c)) and np.isfinite(e2) and np.all(np.isfinite(rnd))):
            raise IntegrationError(
                f"the Gaussian integrals of {act.name!r} overflow at the quadrature nodes: "
                "E[sigma(z)^2] must be finite (sigma may grow like exp(z^2/4) or faster)"
            )
        tail = 0.0
        if _kinks_beyond(act, BREAK_CLIP):
            far = np.abs(z) > BREAK_CLIP
            tail = 2 * math.sqrt(float(table[0][far] @ s2[far])) if np.any(far) else 0.0
        return c, e2, rnd, rnd2, tail, z.size

    if key in _LEVEL_CACHE:
        level, dc, de2 = _LEVEL_CACHE[key]
        c, e2, rnd, rnd2, tail, n = at(level)
        return c[:kk1], e2, (2 * dc + rnd + tail)[:kk1], 2 * de2 + rnd2, n
    prev = at(0)
    for level in range(1, len(LEVELS)):
        cur = at(level)
        dc = np.abs(cur[0] - prev[0])
        de2 = abs(cur[1] - prev[1])
        scale = max(1.0, abs(cur[1]))
        ok = np.all(dc <= np.maximum(tol * scale, prev[2] + cur[2])) and de2 <= max(
            tol * scale, prev[3] + cur[3])
        if ok or level == len(LEVELS) - 1:
            low = dc[: min(kmax, 2) + 1]
            if not ok and (de2 > 1e-8 * scale or np.any(low > 1e-8 * scale)):
                raise IntegrationError(
                    f"Hermite coefficients of {act.name!r} did not converge: successive "
                    f"quadrature levels differ by {max(de2, float(np.max(low))):.3g} in E sigma^2 "
                    f"or mu_0..mu_2 with {prev[5]} nodes; the activation may grow too fast for a "
                    "Gaussian integral or have kinks SymPy cannot locate"
                )
            # the lower level met the tolerance: remember it (cheaper); its error ~ the difference
            _LEVEL_CACHE[key] = (level - 1, dc, de2)
            c, e2, rnd, rnd2, tail, n = prev
            return c[:kk1], e2, (2 * dc + rnd + tail)[:kk1], 2 * de2 + rnd2, n
        prev = cur
    raise AssertionError("unreachable")  # pragma: no cover


def _star_bound(e2, be2, m0, b0, m1, b1):
    """mu_star and a bound on its error from those of E sigma^2, mu_0, mu_1."""
    s2 = e2 - m0 * m0 - m1 * m1
    b2 = be2 + 2 * abs(m0) * b0 + 2 * abs(m1) * b1 + b0 * b0 + b1 * b1
    return s2, b2


# ---------------------------------------------------------------------------------------------
# mpmath


def _mp_quad(fun, pts, what: str):
    """mpmath.quad with its error estimate checked (used by the conditional coefficients)."""
    value, err = mpmath.quad(fun, pts, error=True, maxdegree=10)
    if err > mpmath.mpf(10) ** (-(mpmath.mp.dps - 8)) * max(1, abs(value)):
        raise IntegrationError(
            f"mpmath.quad for {what} reached error {mpmath.nstr(err, 3)}, more than "
            f"1e-{mpmath.mp.dps - 8} needed"
        )
    return value


def _mp_cut_range(dps: int, kmax: int) -> float:
    """|x| beyond which kinks are left to the tail rules: sqrt(k!) e^{-L^2/4} < 10^-(dps+5)."""
    lsf = 0.5 * math.lgamma(kmax + 1) / math.log(10)
    return min(float(KINK_RANGE), 2 * math.sqrt((dps + 5 + lsf) * math.log(10)))


def _mp_levels(kmax: int) -> list[tuple[int, int]]:
    """(half-range nodes per tail, Gauss--Legendre degree per panel) of the mp rules j = 0, 1, ..."""
    base = (kmax + 1) // 2
    return [(base + 16, 4), (base + 28, 5), (base + 48, 6), (base + 80, 7)]


def _mp_grid(dps: int, kmax: int) -> float:
    """Half-width of the panelled range: beyond it the Gaussian weight (and He_k^2 phi, whose
    mass reaches 2 sqrt(k)) is below 10^-(dps+5), so the tail rules see a negligible integrand."""
    return math.ceil(max(math.sqrt(2 * (dps + 5) * math.log(10)), 2 * math.sqrt(kmax) + 6))


def _mp_rule(cuts: tuple, n_tail: int, degree: int, work: int) -> list:
    """[(z, w)] with sum w f(z) = E f(z), cut at ``cuts`` (sorted mpf, 0 included), nodes and
    weights computed at ``work`` digits: the shared split rule with panels of width <= 1."""
    return split_rule_mp(cuts, n_tail, degree, work, panel=1)


def _mp_pass(f, rule, kmax: int, cut: float, tail_needed: bool):
    """One rule: (mu_0..mu_kmax, E sigma^2, sum |w sigma He_k|, tail bound on c_k, nodes)."""
    mu = [mpmath.mpf(0)] * (kmax + 1)
    ab = [mpmath.mpf(0)] * (kmax + 1)
    e2 = mpmath.mpf(0)
    far2 = mpmath.mpf(0)
    for z, w in rule:
        s = f(z)
        ws = w * s
        e2 += ws * s
        if tail_needed and abs(z) > cut:
            far2 += ws * s
        h0, h1 = mpmath.mpf(1), z
        mu[0] += ws
        ab[0] += abs(ws)
        if kmax >= 1:
            mu[1] += ws * z
            ab[1] += abs(ws * z)
        for k in range(1, kmax):
            h0, h1 = h1, z * h1 - k * h0
            t = ws * h1
            mu[k + 1] += t
            ab[k + 1] += abs(t)
    tail = 2 * mpmath.sqrt(far2) if tail_needed else mpmath.mpf(0)
    return mu, e2, ab, tail, len(rule)


def _mp_coefficients(act: Activation, kmax: int, dps: int):
    """(mu, E sigma^2, bounds of mu, bound of E sigma^2, nodes) as mpf at ``dps`` digits."""
    f = mpmath_function(act.expr, (x,))
    cut = _mp_cut_range(dps, kmax)
    tail_needed = _kinks_beyond(act, cut)
    target = mpmath.mpf(10) ** (-dps)
    work = dps + 20
    for _attempt in range(4):
        with mpmath.workdps(work):
            pts = {mpmath.mpf(0)}
            for b in act.breakpoints:
                if abs(float(b)) <= cut:
                    pts.add(mpmath.mpf(sp.N(b, work + 5)))
            pts.update(mpmath.mpf(p) for p in feature_points(act.expr))
            grid = _mp_grid(dps, kmax)
            pts.update(mpmath.mpf(g) for g in (-grid, grid))
            cuts = tuple(sorted(pts))
            levels = _mp_levels(kmax)
            sqf = [mpmath.sqrt(mpmath.factorial(k)) for k in range(kmax + 1)]
            j0 = 1 if dps >= 40 else 0  # 24-node panels cannot reach 40 digits near a pole
            prev = _mp_pass(f, _mp_rule(cuts, *levels[j0], work), kmax, cut, tail_needed)
            # cancellation measured on the first rule: raise the working precision if it eats
            # more than the margin
            lost = max((float(mpmath.log10(a / max(abs(m), 1)))
                        for m, a in zip(prev[0], prev[2]) if a > 0), default=0.0)
            if lost > work - dps - 10:
                work = int(dps + lost + 20)
                continue
            rnd_scale = mpmath.mpf(10) ** (-work) * (len(levels) + 4 * 10)
            for j in range(j0 + 1, len(levels)):
                cur = _mp_pass(f, _mp_rule(cuts, *levels[j], work), kmax, cut, tail_needed)
                bounds = [abs(a - b) + rnd_scale * (cur[4] + k) * ab + t * sq
                          for k, (a, b, ab, sq, t) in enumerate(
                              zip(cur[0], prev[0], cur[2], sqf, [cur[3]] * (kmax + 1)))]
                be2 = abs(cur[1] - prev[1]) + rnd_scale * cur[4] * abs(cur[1]) + cur[3] ** 2
                done = all(b <= target * max(1, abs(m)) for b, m in zip(bounds, cur[0]))
                done = done and be2 <= target * max(1, abs(cur[1]))
                if done or j == len(levels) - 1:
                    with mpmath.workdps(dps):
                        # rounding the results to dps digits: add 10^-dps relative to the bounds
                        out = [+m for m in cur[0]]
                        ulp = mpmath.mpf(10) ** (-dps)
                        return (out, +cur[1], [+(b + abs(m) * ulp) for b, m in zip(bounds, out)],
                                +(be2 + abs(cur[1]) * ulp), cur[4])
                prev = cur
    raise IntegrationError(  # pragma: no cover - the precision loop settles in two attempts
        f"mpmath Hermite coefficients of {act.name!r}: the cancellation keeps growing with the "
        f"working precision ({work} digits)"
    )


@dataclass
class HermiteExpansion:
    r"""Hermite expansion of an activation, :math:`\sigma = \sum_k \mu_k \mathrm{He}_k/k!`.

    Attributes
    ----------
    activation : Activation
        The activation (:class:`~theory.symbolic.activations.Activation`).
    kmax : int
        Largest k computed.
    mu : numpy.ndarray, shape (kmax + 1,), or list of mpmath.mpf
        :math:`\mu_0, \dots, \mu_{k_{\max}}` (float64, or mpf when ``dps`` is set).
    E_sigma2 : float or mpmath.mpf
        :math:`\mathbb E[\sigma(z)^2]`.
    mu_star : float or mpmath.mpf
        :math:`\mu_\star = (\mathbb E\sigma^2 - \mu_0^2 - \mu_1^2)^{1/2}`.
    exact : list of sympy.Expr or None
        Exact values of :math:`\mu_0..\mu_{k_{\max}}` where an exact tier applies.
    tier : str or None
        Which exact tier (``closed``, ``polynomial``, ``exponential``, ``piecewise``).
    method : str
        ``"split-gauss"`` (float64) or ``"mpmath-gauss"``.
    error : float
        Largest of the error bounds of the returned :math:`\mu_k` (absolute, on
        :math:`\mu_k` itself).
    nodes : int
        Quadrature nodes used.
    dps : int or None
        None (float64) or the decimal digits.
    bound : list
        Per-entry bound on :math:`|\mu_k - \mu_k^{\rm true}|` (0 for exact values).
    resolved : list of bool
        Per-entry flag; False where the bound exceeds
        ``max(RESOLVE_RTOL * abs(mu_k), RESOLVE_ATOL)`` (float64) or
        :math:`10^{1-\mathrm{dps}}\max(1, |\mu_k|)` (mpmath): such entries are printed as
        unresolved, never as if right.
    source : list of str
        Per entry, ``"exact"``, ``"parity"`` (vanishes by parity) or ``"quadrature"``.
    E_sigma2_bound, mu_star_bound : float or mpmath.mpf
        Bounds on :math:`\mathbb E\sigma^2` and :math:`\mu_\star`.
    """

    activation: Activation
    kmax: int
    mu: Any
    E_sigma2: Any
    mu_star: Any
    exact: list | None = None
    tier: str | None = None
    method: str = "split-gauss"
    error: float | None = None
    nodes: int | None = None
    dps: int | None = None
    bound: list = field(default_factory=list)
    resolved: list = field(default_factory=list)
    source: list = field(default_factory=list)
    E_sigma2_bound: Any = 0.0
    mu_star_bound: Any = 0.0

    @property
    def mu_normalized(self):
        """mu_k / sqrt(k!), the coefficients in the orthonormal basis."""
        if self.dps is None:
            return np.asarray(self.mu) / _sqrt_factorials(self.kmax)
        with mpmath.workdps(self.dps):
            return [m / mpmath.sqrt(mpmath.factorial(k)) for k, m in enumerate(self.mu)]

    @property
    def all_resolved(self) -> bool:
        """True when every entry is resolved (see ``resolved``)."""
        return all(self.resolved)

    def residual(self, k: int):
        r"""Squared L2 norm of the part of the activation above degree k.

        Parameters
        ----------
        k : int
            Degree, ``0 <= k <= kmax``.

        Returns
        -------
        float or mpmath.mpf
            :math:`\|P_{>k}\sigma\|^2 = \mathbb E\sigma^2 - \sum_{j\le k}\mu_j^2/j!`.

        Examples
        --------
        >>> round(hermite_expansion("relu", 1).residual(1), 12)  # mu_star^2 = 1/4 - 1/(2 pi)
        0.090845056908
        """
        k = check_int("k", k, lo=0, hi=self.kmax)
        if self.dps is None:
            return float(self.E_sigma2 - np.sum(np.asarray(self.mu_normalized[: k + 1]) ** 2))
        with mpmath.workdps(self.dps):
            return self.E_sigma2 - mpmath.fsum(m**2 for m in self.mu_normalized[: k + 1])

    def dual_kernel(self, rho):
        r"""Dual kernel :math:`k(\rho) = \mathbb E[\sigma(u)\sigma(v)]`, truncated at kmax.

        Parameters
        ----------
        rho : float or array_like
            Correlation of the standard Gaussians u, v, in [-1, 1].

        Returns
        -------
        value : float, numpy.ndarray or mpmath.mpf
            :math:`\sum_{k\le K}\mu_k^2\rho^k/k!`, K = kmax.
        bound : float, numpy.ndarray or mpmath.mpf
            Bound on the truncation error, :math:`|\rho|^{K+1}\|P_{>K}\sigma\|^2`.

        Raises
        ------
        InputError
            If some ``rho`` is outside [-1, 1].
        """
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
        r"""Information exponent: the smallest k >= 1 with :math:`\mu_k \ne 0`.

        Parameters
        ----------
        tol : float, optional
            Threshold on :math:`|\mu_k/\sqrt{k!}|` when no exact tier applies (default 1e-12
            in float64, :math:`10^{5-\mathrm{dps}}` in mpmath); :math:`|\mu_k|` must also exceed
            its error bound.

        Returns
        -------
        int or None
            The exponent (decided exactly when an exact tier applies), or None if all of
            :math:`\mu_1..\mu_{k_{\max}}` vanish.
        """
        if self.exact is not None:
            for k in range(1, self.kmax + 1):
                if sp.simplify(self.exact[k]) != 0:
                    return k
            return None
        if tol is None:
            tol = 1e-12 if self.dps is None else float(mpmath.mpf(10) ** (-(self.dps - 5)))
        norm = self.mu_normalized
        for k in range(1, self.kmax + 1):
            if abs(float(norm[k])) > tol and abs(self.mu[k]) > self.bound[k]:
                return k
        return None

    def series(self) -> sp.Expr:
        r"""The truncated series :math:`\sum_{k\le K}\mu_k\mathrm{He}_k(x)/k!`.

        Returns
        -------
        sympy.Expr
            The series in x (exact coefficients when known, else 17-digit floats).
        """
        mus = self.exact if self.exact is not None else [sp.Float(float(m), 17) for m in self.mu]
        return hermite_series(mus)

    def _entry(self, k: int) -> str:
        """mu_k as printed: its justified digits, or 'unresolved' with the float and its bound."""
        m, b = self.mu[k], self.bound[k]
        if self.source and self.source[k] in ("exact", "parity"):
            return _fmt(m, self.dps)
        if not self.resolved[k]:
            return (f"unresolved (quadrature value {_fmt(m, None, 3)}, error bound "
                    f"{float(b):.2g}; {'raise --dps' if self.dps else 'use --dps'})")
        return _fmt(m, self.dps, _digits(m, b, self.dps))

    def latex(self) -> str:
        r"""The coefficients as LaTeX.

        Returns
        -------
        str
            An ``aligned`` environment: the activation, each :math:`\mu_k` (exact, its
            justified digits, or "unresolved") and :math:`\mu_\star`.
        """
        lines = [rf"\sigma(x) = {self.activation.latex()}"]
        if self.exact is not None:
            for k, m in enumerate(self.exact):
                lines.append(rf"\mu_{{{k}}} = {sp.latex(m)}")
        else:
            for k in range(self.kmax + 1):
                if self.resolved[k]:
                    lines.append(rf"\mu_{{{k}}} = {_fmt(self.mu[k], self.dps, _digits(self.mu[k], self.bound[k], self.dps))}")
                else:
                    lines.append(rf"\mu_{{{k}}} = \text{{unresolved (bound {float(self.bound[k]):.2g})}}")
        lines.append(rf"\mu_\star = {_fmt(self.mu_star, self.dps, _digits(self.mu_star, self.mu_star_bound, self.dps))}")
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"

    def to_dict(self) -> dict:
        """The expansion as a JSON-ready dict (the keys of ``theory hermite --json``).

        Returns
        -------
        dict
            ``activation``, ``expression``, ``kmax``, ``mu``, ``mu_star``, ``E_sigma2``,
            per-entry ``mu_bound`` and ``resolved``, and the method fields; numbers are floats,
            or decimal strings when ``dps`` is set.
        """
        if self.dps is None:
            mu = [float(m) for m in self.mu]
            star, e2 = float(self.mu_star), float(self.E_sigma2)
            bounds = [float(b) for b in self.bound]
        else:
            mu = [_fmt(m, self.dps) for m in self.mu]
            star, e2 = _fmt(self.mu_star, self.dps), _fmt(self.E_sigma2, self.dps)
            bounds = [mpmath.nstr(b, 3) for b in self.bound]
        out = {
            "activation": self.activation.name,
            "expression": str(self.activation.expr),
            "kmax": self.kmax,
            "mu": mu,
            "mu_bound": bounds,
            "resolved": [bool(r) for r in self.resolved],
            "source": list(self.source),
            "unresolved": [k for k, r in enumerate(self.resolved) if not r],
            "mu_star": star,
            "mu_star_bound": float(self.mu_star_bound),
            "E_sigma2": e2,
            "E_sigma2_bound": float(self.E_sigma2_bound),
            "method": self.method,
            "exact_tier": self.tier,
        }
        if self.exact is not None:
            out["exact"] = [str(m) for m in self.exact]
        out["error_estimate"] = self.error
        out["nodes"] = self.nodes
        if self.dps is not None:
            out["dps"] = self.dps
        return out

    def __str__(self) -> str:
        rows = [f"Hermite expansion of {self.activation.name} = {self.activation.expr}"
                f"  ({self.method}{'' if self.dps is None else f', {self.dps} digits'};"
                " each value to its error bound)"]
        for k in range(self.kmax + 1):
            ex = f"   = {self.exact[k]}" if self.exact is not None else ""
            src = self.source[k] if self.source else ""
            tag = "" if src == "quadrature" or not self.resolved[k] else f"  [{src}]"
            err = (f"  +- {1.05 * float(self.bound[k]):.1e}" if self.resolved[k] and src == "quadrature"
                   else "")
            rows.append(f"  mu_{k:<2d} = {self._entry(k)}{err}{tag}{ex}")
        rows.append(f"  mu_star = {_fmt(self.mu_star, self.dps, _digits(self.mu_star, self.mu_star_bound, self.dps))}"
                    f"  +- {1.05 * float(self.mu_star_bound):.1e}")
        bad = [k for k, r in enumerate(self.resolved) if not r]
        if bad:
            rows.append(f"  unresolved: mu_k for k in {_ranges(bad)} (cancellation: the error bound "
                        f"exceeds the value's accuracy in {'float64' if self.dps is None else f'{self.dps} digits'}"
                        f"; {'raise --dps' if self.dps else 'rerun with --dps 50'})")
        return "\n".join(rows)


def _ranges(ks) -> str:
    out, start = [], ks[0]
    for a, b in zip(ks, ks[1:] + [None]):
        if b != a + 1:
            out.append(f"{start}" if start == a else f"{start}..{a}")
            start = b
    return ", ".join(out)


def _digits(v, b, dps) -> int:
    """Significant digits to print v with error bound b (at most 17 / dps)."""
    top = 17 if dps is None else dps
    try:
        v, b = abs(float(v)), abs(float(b))
    except OverflowError:
        return top
    if b == 0 or v == 0:
        return top
    if not math.isfinite(v) or not math.isfinite(b):
        return 3
    # two digits past the first uncertain one: the printed rounding adds <= 5% of b
    return int(max(1, min(top, math.ceil(math.log10(v / b)) + 2)))


def _fmt(v, dps, digits=None):
    if dps is None:
        return f"{float(v):.{digits or 17}g}"
    return mpmath.nstr(v, digits or dps, min_fixed=-5, max_fixed=5) if v != 0 else "0"


def _resolved_float(m: float, b: float) -> bool:
    return bool(math.isfinite(m) and math.isfinite(b)
                and b <= max(RESOLVE_RTOL * abs(m), RESOLVE_ATOL))


def hermite_expansion(activation, kmax: int = 10, *, dps: int | None = None,
                      tol: float = FLOAT_TOL, exact: bool = True) -> HermiteExpansion:
    r"""Hermite coefficients :math:`\mu_0..\mu_{k_{\max}}`, :math:`\mathbb E\sigma^2` and :math:`\mu_\star`.

    :math:`\mu_k = \mathbb E[\sigma(z)\mathrm{He}_k(z)]`, :math:`z \sim \mathcal N(0, 1)`
    (:mod:`theory.conventions`). Every :math:`\mu_k` comes with an error bound on
    :math:`\mu_k` itself (``.bound``) and a flag (``.resolved``); exact values are used where an
    exact tier applies (also for the floats), coefficients that vanish by parity are 0, and
    entries float64 cannot resolve (cancellation: :math:`\sqrt{k!}` times the rounding of the
    normalised integral exceeds :math:`|\mu_k|`) are flagged.

    Parameters
    ----------
    activation : str or sympy.Expr
        Registry name, ``family:PARAM``, expression string or SymPy expression in x.
    kmax : int, optional
        Largest degree, 0 <= kmax <= 200 (default 10).
    dps : int, optional
        None for float64 (default), else decimal digits (>= 15) for mpmath.
    tol : float, optional
        Float64 path: absolute tolerance on :math:`\mu_k/\sqrt{k!}` (relative to
        max(1, E sigma^2)).
    exact : bool, optional
        Also compute the exact SymPy coefficients where an exact tier applies (default True).

    Returns
    -------
    HermiteExpansion
        Coefficients, bounds, flags and exact values.

    Raises
    ------
    InputError
        If ``kmax`` or ``dps`` is out of range, or the activation is unknown.
    ParseError
        If an expression string is refused by the safe parser.
    IntegrationError
        If the mpmath path cannot reach ``dps`` digits.

    Examples
    --------
    >>> h = hermite_expansion("relu", 3)
    >>> bool(abs(h.mu[1] - 0.5) < 1e-15 and abs(h.mu[3]) < 1e-15)
    True
    """
    kmax = check_int("kmax", kmax, lo=0, hi=200)
    dps = check_dps(dps)
    act = get_activation(activation)
    ex: list | None
    ex, tier = exact_coefficients(act, kmax) if exact else ([None], None)
    ex = ex if tier is not None else None
    known: Any = ex
    if known is None:
        cheap = _cheap_exact(act, kmax)
        if cheap is not None:
            known, tier_known = list(cheap[0]), cheap[1]
            if exact:
                ex, tier = known, tier_known
    parity = _parity(act.expr)
    if known is None and act.smooth and not exact:
        expo = _exponential_numbers(act.expr, kmax, 30 if dps is None else dps + 5)
        if expo is not None:
            known = _Numeric(expo)
    elif known is None and act.smooth and exact:
        pass  # exact_coefficients already tried the exponential tier
    if dps is None:
        return _float_expansion(act, kmax, tol, ex, tier, known, parity)
    return _mp_expansion(act, kmax, dps, ex, tier, known, parity)


@lru_cache(maxsize=256)
def _exact_floats(known: tuple) -> tuple[np.ndarray, np.ndarray]:
    mu = np.array([_exact_float(v) for v in known])
    with np.errstate(invalid="ignore"):
        bound = np.where(np.isfinite(mu), np.abs(mu) * _EPS, np.inf)
    return mu, bound


@lru_cache(maxsize=256)
def _parity_mask(parity, kmax: int) -> tuple[np.ndarray, tuple]:
    mask = np.array([_parity_zero(parity, k) for k in range(kmax + 1)])
    return mask, tuple("parity" if m else "quadrature" for m in mask)


#: float64 results per (activation, kmax, tol, exact values known): sigma is evaluated at the
#: same nodes on every call, so the numbers are reused (each call gets its own copies)
_FLOAT_RESULTS: dict = {}


def _float_expansion(act, kmax, tol, ex, tier, known, parity) -> HermiteExpansion:
    key = (act, kmax, tol, known is None)
    got = _FLOAT_RESULTS.get(key)
    if got is None:
        got = _float_numbers(act, kmax, tol, known, parity)
        if len(_FLOAT_RESULTS) > 4096:
            _FLOAT_RESULTS.clear()
        _FLOAT_RESULTS[key] = got
    mu, e2, star, err, n, bound, resolved, source, be2, bstar = got
    return HermiteExpansion(act, kmax, mu.copy(), e2, star, ex, tier, "split-gauss", err, n, None,
                            list(bound), list(resolved), list(source), be2, bstar)


def _float_numbers(act, kmax, tol, known, parity):
    kq = kmax if known is None else 1  # with exact values only mu_0, mu_1, E sigma^2 are integrated
    c, e2, cb, be2, n = _float_coefficients(act, kq, tol)
    c1, cb1 = c[1], cb[1]
    e2x = _exact_e2(act) if known is not None else None
    if e2x is not None:
        e2 = _exact_float(e2x)
        be2 = abs(e2) * _EPS
    if isinstance(known, _Numeric):
        mu = np.array([float(v) for v in known.values[: kmax + 1]])
        bound = np.array([float(b) for b in known.bounds[: kmax + 1]]) + np.abs(mu) * _EPS
        source = ["exact"] * (kmax + 1)
    elif known is not None:
        mu, bound = (a.copy() for a in _exact_floats(tuple(known)))
        source = ["exact"] * (kmax + 1)
    else:
        sf = _sqrt_factorials(kmax)
        mu = c[: kmax + 1] * sf
        cb = cb[: kmax + 1]
        bound = sf * cb + np.abs(mu) * (2 * _EPS) * np.arange(1, kmax + 2)
        mask, src = _parity_mask(parity, kmax)
        if parity is not None:
            mu[mask] = 0.0
            bound[mask] = 0.0
        source = list(src)
    with np.errstate(invalid="ignore"):
        resolved = (np.isfinite(mu) & np.isfinite(bound)
                    & (bound <= np.maximum(RESOLVE_RTOL * np.abs(mu), RESOLVE_ATOL))).tolist()
    if kmax >= 1:
        m0, b0, m1, b1 = mu[0], bound[0], mu[1], bound[1]
    else:
        m0, b0 = mu[0], bound[0]
        m1, b1 = c1, cb1
        if known is None and _parity_zero(parity, 1):
            m1, b1 = 0.0, 0.0
    s2, bs2 = _star_bound(e2, be2, m0, b0, m1, b1)
    bs2 += 4 * _EPS * abs(e2)
    star = math.sqrt(max(s2, 0.0))
    bstar = min(bs2 / star, math.sqrt(bs2)) if star > 0 else math.sqrt(bs2)
    err = float(np.max(bound))
    mu.flags.writeable = False
    return mu, e2, star, err, n, bound.tolist(), resolved, source, be2, bstar


def _mp_expansion(act, kmax, dps, ex, tier, known, parity) -> HermiteExpansion:
    kq = max(kmax, 1) if known is None else 1
    mus, e2, bounds, be2, n = _mp_coefficients(act, kq, dps)
    e2x = _exact_e2(act) if known is not None else None
    if e2x is not None:
        with mpmath.workdps(dps + 10):
            e2 = mpmath.mpf(sp.re(sp.N(e2x, dps + 10)))
        be2 = abs(e2) * mpmath.mpf(10) ** (-dps - 1)
    target = mpmath.mpf(10) ** (-dps)
    with mpmath.workdps(dps):
        mu, bound, source, resolved = [], [], [], []
        for k in range(kmax + 1):
            if isinstance(known, _Numeric):
                mu.append(+known.values[k])
                bound.append(known.bounds[k] + abs(mu[-1]) * target / 10)
                source.append("exact")
            elif known is not None:
                with mpmath.workdps(dps + 10):
                    v = mpmath.mpf(sp.re(sp.N(known[k], dps + 10)))
                mu.append(+v)
                bound.append(abs(+v) * target / 10)
                source.append("exact")
            elif _parity_zero(parity, k):
                mu.append(mpmath.mpf(0))
                bound.append(mpmath.mpf(0))
                source.append("parity")
            else:
                mu.append(mus[k])
                bound.append(bounds[k])
                source.append("quadrature")
            resolved.append(bool(bound[-1] <= 10 * target * max(1, abs(mu[-1]))))
        m1, b1 = (mu[1], bound[1]) if kmax >= 1 else (mus[1], bounds[1])
        if kmax < 1 and known is None and _parity_zero(parity, 1):
            m1, b1 = mpmath.mpf(0), mpmath.mpf(0)
        s2, bs2 = _star_bound(e2, be2, mu[0], bound[0], m1, b1)
        star = mpmath.sqrt(s2) if s2 > 0 else mpmath.mpf(0)
        bstar = min(bs2 / star, mpmath.sqrt(bs2)) if star > 0 else mpmath.sqrt(bs2)
        err = max(bound) if bound else mpmath.mpf(0)
    return HermiteExpansion(act, kmax, mu, e2, star, ex, tier, "mpmath-gauss", float(err), n, dps,
                            bound, resolved, source, be2, bstar)


def hermite_coefficients(activation, kmax: int = 10, *, dps: int | None = None):
    r"""Hermite coefficients :math:`\mu_0..\mu_{k_{\max}}` only.

    Parameters
    ----------
    activation : str or sympy.Expr
        As in :func:`hermite_expansion`.
    kmax : int, optional
        Largest degree (default 10).
    dps : int, optional
        None for float64, else decimal digits for mpmath.

    Returns
    -------
    numpy.ndarray, shape (kmax + 1,), or list of mpmath.mpf
        The coefficients; see :func:`hermite_expansion` for their error bounds and flags.

    Examples
    --------
    >>> hermite_coefficients("sign", 3).round(12).tolist()
    [0.0, 0.797884560803, 0.0, -0.797884560803]
    """
    return hermite_expansion(activation, kmax, dps=dps, exact=False).mu


def mu_star(activation, *, dps: int | None = None):
    r"""The non-linear part :math:`\mu_\star = (\mathbb E\sigma^2 - \mu_0^2 - \mu_1^2)^{1/2}`.

    Parameters
    ----------
    activation : str or sympy.Expr
        As in :func:`hermite_expansion`.
    dps : int, optional
        None for float64, else decimal digits for mpmath.

    Returns
    -------
    float or mpmath.mpf
        :math:`\mu_\star`.

    Examples
    --------
    >>> round(mu_star("sign"), 12)  # sqrt(1 - 2/pi)
    0.602810274989
    """
    return hermite_expansion(activation, 1, dps=dps, exact=False).mu_star
