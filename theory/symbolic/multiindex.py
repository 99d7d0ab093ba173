r"""Multi-index targets g(z_1, ..., z_r): Hermite tensors, information exponent, leap index.

For :math:`z\sim\mathcal N(0, I_r)` and a multi-index :math:`\alpha\in\mathbb N^r`, with
:math:`\mathrm{He}_\alpha(z) = \prod_i \mathrm{He}_{\alpha_i}(z_i)`:

.. math:: c_\alpha = \mathbb E[g(z)\mathrm{He}_\alpha(z)],\qquad
          g = \sum_\alpha c_\alpha \mathrm{He}_\alpha/\alpha!,\qquad
          C_k[i_1..i_k] = \mathbb E[\partial_{i_1}\cdots\partial_{i_k} g] = c_{\alpha(i_1..i_k)} .

* information exponent: the smallest :math:`k\ge1` with :math:`C_k\ne0`;
* leap index (Abbe, Boix-Adsera, Misiakiewicz 2023, arXiv:2302.11055v2, Definition 1 -- the
  "leap complexity" of the support :math:`S = \{\alpha\ne0: c_\alpha\ne0\}`):

  .. math:: \mathrm{Leap}(S) = \min_{\pi}\max_i
            \big|\alpha^{\pi(i)}\big|_{[r]\setminus\cup_{j<i}\mathrm{supp}\,\alpha^{\pi(j)}}\big|_1,

  the :math:`\ell_1` mass an element puts on coordinates not yet learned, minimised over orders.
  Used with one giant gradient step by Dandi et al. 2023 (arXiv:2305.18270v3): a network learns
  the target's directions leap by leap; the slides' examples: :math:`z_1+z_1z_2+z_1z_2z_3` has
  leap 1, :math:`\mathrm{He}_k(z_1)` leap k, :math:`z_1z_2z_3z_4` leap 4.

Greedy is exact: learning more coordinates never raises the cost of any element, so always
taking the cheapest remaining element never makes a later step costlier than in any other order
(an exchange argument); ``tests/test_multiindex.py`` checks it against brute force.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..errors import InputError
from .parse import parse_expression

__all__ = ["hermite_decomposition", "hermite_tensor", "information_exponent", "leap_index",
           "leap_staircase", "Staircase", "analyze_target"]

MAX_EXACT_DEGREE = 16
_ZERO = 1e-11  # numeric coefficients below this (normalised by sqrt(alpha!)) count as zero


def _natural(s: sp.Symbol):
    parts = re.split(r"(\d+)", s.name)
    return [int(p) if p.isdigit() else p for p in parts]


def _variables(expr, variables):
    if variables is None:
        return tuple(sorted(expr.free_symbols, key=_natural))
    return tuple(variables)


def _mono_he(n: int, k: int) -> sp.Integer:
    """E[z^n He_k(z)] = n!/(n-k)! (n-k-1)!! for n-k even >= 0 (Stein), else 0."""
    if k > n or (n - k) % 2:
        return sp.Integer(0)
    return sp.factorial(n) / sp.factorial(n - k) * sp.factorial2(n - k - 1)


def _poly_decomposition(expr, variables) -> dict:
    poly = sp.Poly(sp.expand(expr), *variables)
    if poly.total_degree() > MAX_EXACT_DEGREE:
        raise InputError("expression", str(expr), f"a polynomial of degree <= {MAX_EXACT_DEGREE}")
    out: dict = {}
    for mono, coef in poly.terms():
        for alpha in itertools.product(*[range(n, -1, -2) for n in mono]):
            v = coef * sp.Mul(*[_mono_he(n, a) for n, a in zip(mono, alpha)])
            if v != 0:
                out[alpha] = out.get(alpha, 0) + v
    return {a: sp.nsimplify(v) for a, v in out.items() if v != 0}


def _numeric_decomposition(expr, variables, max_degree: int) -> dict:
    """Tensor split-Gauss quadrature (cut at 0 in every variable), coefficients as Floats."""
    from ..numeric.bridge import numpy_function
    from ..numeric.hermite import normalized_he_table
    from ..numeric.quadrature import normal_rule

    r = len(variables)
    if r > 3:
        raise InputError("expression", str(expr), "a non-polynomial target in at most 3 variables")
    z, w = normal_rule(None, 40, 40)
    z, w = z[0], w[0]
    grids = np.meshgrid(*([z] * r), indexing="ij")
    weight = np.ones_like(grids[0])
    for i in range(r):
        weight = weight * np.meshgrid(*([w] * r), indexing="ij")[i]
    vals = np.broadcast_to(np.asarray(numpy_function(expr, variables)(*grids), float), weight.shape)
    if not np.all(np.isfinite(vals)):
        raise InputError("expression", str(expr), "a target with finite values")
    h = normalized_he_table(z, max_degree)  # He_k / sqrt(k!)
    out = {}
    for alpha in itertools.product(range(max_degree + 1), repeat=r):
        if sum(alpha) > max_degree:
            continue
        t = vals * weight
        for i, a in enumerate(alpha):
            shape = [1] * r
            shape[i] = -1
            t = t * h[a].reshape(shape)
        c = float(t.sum())
        if abs(c) > _ZERO:
            out[alpha] = sp.Float(c * float(np.sqrt(np.prod([float(sp.factorial(a)) for a in alpha]))), 15)
    return out


def hermite_decomposition(expr, variables=None, max_degree: int | None = None) -> dict:
    """Nonzero coefficients {alpha: c_alpha}, c_alpha = E[g He_alpha] (exact for polynomials).

    Non-polynomial targets need ``max_degree`` (total degree of the multi-indices computed) and
    are integrated numerically (coefficients are SymPy Floats, zero below 1e-11).
    """
    expr = sp.sympify(expr)
    variables = _variables(expr, variables)
    if not variables:
        raise InputError("expression", str(expr), "a target that depends on some variable z1, z2, ...")
    if expr.is_polynomial(*variables):
        out = _poly_decomposition(expr, variables)
        if max_degree is not None:
            out = {a: v for a, v in out.items() if sum(a) <= max_degree}
        return out
    if max_degree is None:
        raise InputError("max_degree", None, "an integer >= 1 for a non-polynomial target",
                         hint=f"{expr} is not a polynomial")
    if not isinstance(max_degree, int) or not 1 <= max_degree <= 12:
        raise InputError("max_degree", max_degree, "an integer in [1, 12]")
    return _numeric_decomposition(expr, variables, max_degree)


def hermite_tensor(expr, k: int, variables=None, max_degree: int | None = None):
    """C_k as a symmetric ImmutableDenseNDimArray of shape (r,)*k."""
    expr = sp.sympify(expr)
    variables = _variables(expr, variables)
    r = len(variables)
    dec = hermite_decomposition(expr, variables, max_degree if max_degree is not None else (
        None if expr.is_polynomial(*variables) else k))
    flat = []
    for idx in itertools.product(range(r), repeat=k):
        alpha = tuple(idx.count(i) for i in range(r))
        flat.append(dec.get(alpha, sp.Integer(0)))
    return sp.ImmutableDenseNDimArray(flat, (r,) * k) if k else sp.ImmutableDenseNDimArray(flat)


def _support(dec: dict) -> list[tuple]:
    return [a for a, v in dec.items() if any(a) and v != 0]


def information_exponent(expr, variables=None, max_degree: int | None = None) -> int | None:
    """Smallest k >= 1 with C_k != 0; None when g is constant (up to ``max_degree``)."""
    dec = hermite_decomposition(expr, variables, max_degree)
    degrees = [sum(a) for a in _support(dec)]
    return min(degrees) if degrees else None


@dataclass(frozen=True)
class Staircase:
    """The learning order: multi-indices in turn, the cost (new l1 mass) of each, the leap."""

    variables: tuple
    order: tuple
    costs: tuple
    leap: int

    def steps(self) -> list[str]:
        return [f"{_he_name(a, self.variables)} (+{c})" for a, c in zip(self.order, self.costs)]


def _he_name(alpha, variables) -> str:
    parts = [f"He{a}({v})" if a > 1 else str(v) for a, v in zip(alpha, variables) if a]
    return "*".join(parts) or "1"


def _cost(alpha, learned) -> int:
    return sum(a for i, a in enumerate(alpha) if a and i not in learned)


def _greedy(support: list[tuple]):
    learned: set = set()
    remaining = list(support)
    order, costs = [], []
    while remaining:
        best = min(remaining, key=lambda a: (_cost(a, learned), sum(a), a))
        order.append(best)
        costs.append(_cost(best, learned))
        learned |= {i for i, a in enumerate(best) if a}
        remaining.remove(best)
    return order, costs


def leap_of_support(support: list[tuple]) -> int:
    """Leap complexity of a set of multi-indices (0 for the empty set)."""
    _, costs = _greedy([a for a in support if any(a)])
    return max(costs, default=0)


def leap_staircase(expr, variables=None, max_degree: int | None = None) -> Staircase:
    expr = sp.sympify(expr)
    variables = _variables(expr, variables)
    order, costs = _greedy(_support(hermite_decomposition(expr, variables, max_degree)))
    return Staircase(variables, tuple(order), tuple(costs), max(costs, default=0))


def leap_index(expr, variables=None, max_degree: int | None = None) -> int:
    return leap_staircase(expr, variables, max_degree).leap


def analyze_target(target, max_degree: int | None = None) -> dict:
    """Everything the CLI prints for ``theory leap EXPR``: variables, leap, information exponent,
    staircase and the Hermite coefficients (non-polynomial targets: up to degree 6)."""
    expr = parse_expression(target, None, symbol_pattern=r"z\d+|x\d*") if isinstance(target, str) \
        else sp.sympify(target)
    variables = _variables(expr, None)
    if not variables:
        raise InputError("expression", str(target), "a target in variables z1, z2, ...")
    if max_degree is None and not expr.is_polynomial(*variables):
        max_degree = 6
    dec = hermite_decomposition(expr, variables, max_degree)
    st = leap_staircase(expr, variables, max_degree)
    sup = _support(dec)
    return {
        "variables": [str(v) for v in variables],
        "leap": st.leap,
        "information_exponent": min((sum(a) for a in sup), default=None),
        "staircase": st.steps(),
        "coefficients": {str(a): str(v) for a, v in sorted(dec.items())},
        "exact": bool(expr.is_polynomial(*variables)),
    }
