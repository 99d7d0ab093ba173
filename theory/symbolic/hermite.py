r"""Hermite polynomials and exact Hermite coefficients in SymPy.

Conventions (:mod:`theory.conventions`): :math:`\mathrm{He}_k` probabilists',
:math:`\mu_k = \mathbb E[\sigma(z)\mathrm{He}_k(z)]`, :math:`\sigma = \sum_k \mu_k\mathrm{He}_k/k!`.

Exact coefficients come from the first tier that applies (the tier is recorded):

1. ``closed``  -- a hand-derived closed form carried by the activation (relu, sign, abs, erf, gelu,
   sin, cos, leaky relu; derivations in :mod:`theory.symbolic.activations`);
2. ``polynomial`` -- :math:`\mathbb E[z^n\mathrm{He}_k(z)] = \frac{n!}{(n-k)!}(n-k-1)!!` for
   even :math:`n-k\ge0` (Stein's lemma), exact rationals;
3. ``exponential`` -- sums of polynomial x exponential terms
   :math:`\sigma = \sum_i p_i(x)e^{\alpha_i x+\beta_i}` with complex constants (exp(a x), sin,
   cos, sinh, cosh, x sin x, ...): by Stein's lemma and the shift :math:`\mathbb E[q(z)e^{\alpha z}]
   = e^{\alpha^2/2}\mathbb E[q(z+\alpha)]`,
   :math:`\mu_k = \sum_i e^{\beta_i+\alpha_i^2/2}\sum_{j\le\deg p_i}\binom kj\alpha_i^{k-j}
   \mathbb E[p_i^{(j)}(z+\alpha_i)]`, e.g. :math:`\mu_k(e^{ax}) = a^k e^{a^2/2}`;
4. ``piecewise`` -- piecewise polynomials (``Abs``, ``sign``, ``Heaviside``, ``Max``, ``Min``,
   ``Piecewise`` of polynomials): each piece is integrated exactly with
   :math:`I_n(a,b) = \int_a^b z^n\varphi = [-z^{n-1}\varphi]_a^b + (n-1) I_{n-2}(a, b)`.

Anything else has no exact tier (``None``) and is computed numerically
(:mod:`theory.numeric.hermite`), which never needs symbolic integration.
"""

from __future__ import annotations

import sympy as sp

from functools import lru_cache

from .activations import Activation, get_activation, x
from .atoms import Phi
from .kinks import NONSMOOTH

__all__ = [
    "He",
    "exact_coefficient",
    "exact_coefficients",
    "exact_second_moment",
    "exponential_terms",
    "gaussian_interval_moment",
    "smooth_piece",
    "hermite_series",
]


def He(k: int, var: sp.Symbol = x) -> sp.Expr:
    r"""Probabilists' Hermite polynomial :math:`\mathrm{He}_k` (monic).

    Parameters
    ----------
    k : int
        Degree >= 0.
    var : sympy.Symbol, optional
        The variable (default ``x``).

    Returns
    -------
    sympy.Expr
        :math:`\mathrm{He}_k(\mathrm{var})`, orthogonal for the standard Gaussian with
        :math:`\mathbb E[\mathrm{He}_j\mathrm{He}_k] = k!\,\delta_{jk}`.

    Examples
    --------
    >>> He(3)
    x**3 - 3*x
    """
    return sp.hermite_prob(int(k), var)


def _phi(z):
    if z in (sp.oo, -sp.oo):
        return sp.Integer(0)
    return sp.exp(-(z**2) / 2) / sp.sqrt(2 * sp.pi)


def _Phi(z):
    """The normal cdf of the package (:class:`theory.symbolic.atoms.Phi`) in its erf form,
    which SymPy simplifies exactly (``Phi(1) - Phi(-1) = erf(1/sqrt 2)``)."""
    return Phi(z).rewrite(sp.erf)


def gaussian_interval_moment(n: int, a, b) -> sp.Expr:
    r"""Truncated Gaussian moment :math:`\int_a^b z^n\varphi(z)\,dz`, exactly.

    Parameters
    ----------
    n : int
        Power >= 0.
    a, b : sympy.Expr
        Bounds (SymPy numbers or :math:`\pm\infty`).

    Returns
    -------
    sympy.Expr
        The integral, by the recurrence :math:`I_n = [-z^{n-1}\varphi]_a^b + (n-1)I_{n-2}`.

    Examples
    --------
    >>> gaussian_interval_moment(2, 0, sp.oo)
    1/2
    """
    def boundary(z, m):
        if z in (sp.oo, -sp.oo):
            return sp.Integer(0)
        return z**m * _phi(z)

    prev2 = _Phi(b) - _Phi(a)  # I_0
    if n == 0:
        return prev2
    prev1 = _phi(a) - _phi(b)  # I_1
    for m in range(2, n + 1):
        cur = boundary(a, m - 1) - boundary(b, m - 1) + (m - 1) * prev2
        prev2, prev1 = prev1, cur
    return prev1


def _poly_moment_he(poly: sp.Poly, k: int) -> sp.Expr:
    """E[p(z) He_k(z)] for a polynomial p (exact)."""
    total = sp.Integer(0)
    for (n,), c in poly.terms():
        if n >= k and (n - k) % 2 == 0:
            total += c * sp.factorial(n) / sp.factorial(n - k) * sp.factorial2(n - k - 1)
    return total




def smooth_piece(expr: sp.Expr, at, var: sp.Symbol = x) -> sp.Expr:
    """The analytic branch of ``expr`` that holds around the point ``at`` (not a breakpoint).

    Every ``Abs``, ``sign``, ``Heaviside``, ``Max``, ``Min`` and ``Piecewise`` is replaced by the
    branch it takes at ``at``; e.g. ``Max(x, 0)`` at 1 is ``x``. Used to integrate piecewise
    expressions piece by piece.

    Parameters
    ----------
    expr : sympy.Expr
        A piecewise expression in ``var``.
    at : number
        A point that is not a breakpoint.
    var : sympy.Symbol, optional
        The variable (default ``x``).

    Returns
    -------
    sympy.Expr
        The analytic expression valid around ``at``.

    Examples
    --------
    >>> smooth_piece(sp.Max(x, 0) + sp.Abs(x - 2), 1)
    2
    """
    at = sp.nsimplify(at)

    def value(e):
        return complex(sp.N(e.subs(var, at), 30)).real

    def pick(e):
        if isinstance(e, sp.Abs):
            g = e.args[0]
            return g if value(g) >= 0 else -g
        if isinstance(e, sp.sign):
            return sp.Integer(1 if value(e.args[0]) > 0 else -1)
        if isinstance(e, sp.Heaviside):
            return sp.Integer(1 if value(e.args[0]) > 0 else 0)
        if isinstance(e, sp.Max):
            return max(e.args, key=value)
        if isinstance(e, sp.Min):
            return min(e.args, key=value)
        if isinstance(e, sp.Piecewise):
            for val, cond in e.args:
                if cond is sp.true or bool(cond.subs(var, at)):
                    return val
            return sp.nan
        return e

    return expr.replace(lambda e: isinstance(e, NONSMOOTH), pick)


def _piecewise_polynomial_pieces(act: Activation):
    """[(a, b, Poly)] covering the line if sigma is piecewise polynomial, else None."""
    cuts = [-sp.oo, *act.breakpoints, sp.oo]
    pieces = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        if a is -sp.oo and b is sp.oo:
            mid = sp.Integer(0)
        elif a is -sp.oo:
            mid = b - 1
        elif b is sp.oo:
            mid = a + 1
        else:
            mid = (a + b) / 2
        piece = sp.expand(smooth_piece(act.expr, mid))
        if not piece.is_polynomial(x):
            return None
        pieces.append((a, b, sp.Poly(piece, x)))
    return pieces


@lru_cache(maxsize=256)
def exponential_terms(expr: sp.Expr, var: sp.Symbol = x):
    """[(Poly p_i, alpha_i, beta_i)] with expr = sum_i p_i(var) exp(alpha_i var + beta_i), or None.

    sin, cos, sinh, cosh are rewritten as exponentials (complex alpha); anything else that is
    not a polynomial times exponentials of affine arguments gives None.

    Parameters
    ----------
    expr : sympy.Expr
        The expression.
    var : sympy.Symbol, optional
        The variable (default ``x``).

    Returns
    -------
    list of tuple or None
        ``[(p_i, alpha_i, beta_i)]`` (``sympy.Poly``, numbers) with
        ``expr = sum_i p_i(var) exp(alpha_i var + beta_i)``, or None.
    """
    if not expr.has(sp.exp, sp.sin, sp.cos, sp.sinh, sp.cosh) or expr.has(*NONSMOOTH):
        return None
    try:
        e = sp.expand(expr.rewrite(sp.exp))
    except Exception:  # pragma: no cover - SymPy rewrite failures
        return None
    out = []
    for term in sp.Add.make_args(e):
        alpha, beta, rest = sp.Integer(0), sp.Integer(0), sp.Integer(1)
        for f in sp.Mul.make_args(term):
            if isinstance(f, sp.exp):
                u = sp.expand(f.args[0])
                if not u.is_polynomial(var):
                    return None
                pu = sp.Poly(u, var)
                if pu.degree() > 1:
                    return None
                alpha += pu.coeff_monomial(var)
                beta += pu.coeff_monomial(1)
            elif f.is_Pow and isinstance(f.base, sp.exp):
                u = sp.expand(f.base.args[0] * f.exp)
                if not (f.exp.is_number and u.is_polynomial(var) and sp.Poly(u, var).degree() <= 1):
                    return None
                pu = sp.Poly(u, var)
                alpha += pu.coeff_monomial(var)
                beta += pu.coeff_monomial(1)
            else:
                rest *= f
        if not rest.is_polynomial(var) or not all(c.is_number for c in sp.Poly(rest, var).coeffs()):
            return None
        if not (alpha.is_number and beta.is_number):
            return None
        out.append((sp.Poly(rest, var), alpha, beta))
    if not any(a != 0 for _, a, _ in out):
        return None  # a plain polynomial: the polynomial tier
    return tuple(out)


def _shifted_mean(p: sp.Poly, alpha) -> sp.Expr:
    """E[p(z + alpha)], z ~ N(0, 1), exactly."""
    total = sp.Integer(0)
    for (n,), c in p.terms():
        for i in range(0, n + 1, 2):
            total += c * sp.binomial(n, i) * alpha ** (n - i) * sp.factorial2(i - 1)
    return total


def _exponential_coefficient(terms, k: int) -> sp.Expr:
    total = sp.Integer(0)
    for p, alpha, beta in terms:
        inner, dp = sp.Integer(0), p
        for j in range(min(k, p.degree()) + 1):
            inner += sp.binomial(k, j) * alpha ** (k - j) * _shifted_mean(dp, alpha)
            dp = dp.diff()
        total += sp.exp(beta + alpha**2 / 2) * inner
    total = sp.expand(total)
    if total.has(sp.I):
        total = sp.expand(sp.re(total))  # sigma is real, so is mu_k
    return total


def exact_coefficient(activation, k: int) -> tuple[sp.Expr | None, str | None]:
    r"""Exact Hermite coefficient :math:`\mu_k = \mathbb E[\sigma(z)\mathrm{He}_k(z)]`.

    Parameters
    ----------
    activation : str, sympy.Expr or Activation
        The activation (see :func:`~theory.symbolic.activations.get_activation`).
    k : int
        Degree >= 0.

    Returns
    -------
    value : sympy.Expr or None
        :math:`\mu_k` exactly, or None when no exact tier applies.
    tier : str or None
        ``"closed"``, ``"polynomial"``, ``"exponential"`` or ``"piecewise"``, or None.

    Examples
    --------
    >>> exact_coefficient("relu", 1)
    (1/2, 'closed')
    """
    act = get_activation(activation)
    if act.mu_closed is not None:
        return sp.sympify(act.mu_closed(k)), "closed"
    if act.is_polynomial:
        return sp.sympify(_poly_moment_he(sp.Poly(sp.expand(act.expr), x), k)), "polynomial"
    terms = exponential_terms(act.expr) if act.smooth else None
    if terms is not None:
        return _exponential_coefficient(terms, k), "exponential"
    if not act.smooth:
        pieces = _piecewise_polynomial_pieces(act)
        if pieces is not None:
            hk = sp.Poly(He(k), x)
            total = sp.Integer(0)
            for a, b, p in pieces:
                q = p * hk
                for (n,), c in q.terms():
                    total += c * gaussian_interval_moment(n, a, b)
            return sp.simplify(total), "piecewise"
    return None, None


@lru_cache(maxsize=256)
def exact_second_moment(expr: sp.Expr, var: sp.Symbol = x) -> sp.Expr | None:
    r"""Exact second moment :math:`\mathbb E[\sigma(z)^2]`, :math:`z \sim \mathcal N(0, 1)`.

    Parameters
    ----------
    expr : sympy.Expr
        :math:`\sigma` as an expression in ``var``.
    var : sympy.Symbol, optional
        The variable (default ``x``).

    Returns
    -------
    sympy.Expr or None
        The moment when :math:`\sigma^2` is a polynomial or a sum of polynomials times
        exponentials of affine arguments, else None.

    Examples
    --------
    >>> exact_second_moment(x**2)
    3
    """
    sq = sp.expand(expr**2)
    if sq.is_polynomial(var):
        return sp.sympify(_poly_moment_he(sp.Poly(sq, var), 0))
    terms = exponential_terms(sq, var)
    if terms is None:
        return None
    return _exponential_coefficient(terms, 0)


def exact_coefficients(activation, kmax: int) -> tuple[list, str | None]:
    r"""Exact Hermite coefficients :math:`\mu_0..\mu_{k_{\max}}`.

    Parameters
    ----------
    activation : str, sympy.Expr or Activation
        The activation.
    kmax : int
        Largest degree.

    Returns
    -------
    values : list
        ``kmax + 1`` SymPy values, or a list of None when no exact tier applies.
    tier : str or None
        The exact tier used, or None.
    """
    out, tier = [], None
    for k in range(kmax + 1):
        v, tier = exact_coefficient(activation, k)
        if v is None:
            return [None] * (kmax + 1), None
        out.append(v)
    return out, tier


def hermite_series(mus, var: sp.Symbol = x) -> sp.Expr:
    r"""The Hermite series :math:`\sum_{k}\mu_k\mathrm{He}_k(x)/k!` of given coefficients.

    Parameters
    ----------
    mus : sequence
        :math:`\mu_0, \mu_1, \dots` (exact SymPy values or floats).
    var : sympy.Symbol, optional
        The variable (default ``x``).

    Returns
    -------
    sympy.Expr
        The truncated series.

    Examples
    --------
    >>> hermite_series([0, 1, 1])
    x**2/2 + x - 1/2
    """
    return sp.Add(*[sp.sympify(m) * He(k, var) / sp.factorial(k) for k, m in enumerate(mus)])
