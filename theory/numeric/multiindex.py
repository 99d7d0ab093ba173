r"""Multi-index targets g(z_1, ..., z_r): Hermite tensors, information exponent, leap index.

For :math:`z\sim\mathcal N(0, I_r)` and a multi-index :math:`\alpha\in\mathbb N^r`, with
:math:`\mathrm{He}_\alpha(z) = \prod_i \mathrm{He}_{\alpha_i}(z_i)`:

.. math:: c_\alpha = \mathbb E[g(z)\mathrm{He}_\alpha(z)],\qquad
          g = \sum_\alpha c_\alpha \mathrm{He}_\alpha/\alpha!,\qquad
          C_k[i_1..i_k] = \mathbb E[\partial_{i_1}\cdots\partial_{i_k} g] = c_{\alpha(i_1..i_k)} .

Information exponent
    the smallest :math:`k\ge1` with :math:`C_k\ne0`. It is rotation invariant: for
    :math:`g_Q(z) = g(Qz)` with :math:`Q` orthogonal, :math:`C_k(g_Q) = C_k(g)` contracted with
    :math:`Q` in every slot, which is zero iff :math:`C_k(g)` is.  The entries of :math:`C_k` are the
    :math:`c_\alpha` with :math:`|\alpha| = k`, so the coordinate computation is exact.

Leap index (rotation invariant; what ``leap_index`` and ``analyze_target()["leap"]`` report)
    For isotropic Gaussian inputs only rotation-invariant quantities matter to a network, so the
    leap is defined from the *subspace-conditioned staircase*.  Dandi, Krzakala, Loureiro, Pesce,
    Stephan 2023 (arXiv:2305.18270v3), as stated in B. Loureiro's HDR thesis (2025), Theorem
    3.2.2: :math:`U_0 = \{0\}`,

    .. math:: U_{t+1} = U_t \oplus \mathrm{span}\{\mathbb E_{z^\perp}[\nabla_{z^\perp} g
              \mid z_U] : z_U\in U_t\},

    with :math:`z^\perp` the coordinates of :math:`z` in :math:`U_t^\perp`.  That step only learns
    directions reachable with "leap 1".  Theorem 2 of the same paper (slides 004, eq. (9)) says
    that from :math:`U = \{0\}` a leap :math:`\ell` (the information exponent) learns
    :math:`V^\star_\ell`, the span of the singular vectors of :math:`C_\ell`.  We combine both
    (the combination is our derivation, stated here because the digest does not give the
    conditional version for :math:`\ell \ge 2`): at step :math:`t`, with
    :math:`P` the orthogonal projector on :math:`U_t`,

    .. math:: T_k(z_U) = \mathbb E\big[\nabla^{\otimes k}_{z^\perp} g \,\big|\, z_U\big]
              = \mathbb E\big[g\,\mathrm{He}_k\text{-tensor}(z^\perp) \,\big|\, z_U\big]
              \quad(\text{Gaussian integration by parts}),

    a symmetric :math:`k`-tensor on :math:`U_t^\perp` whose entries are functions of :math:`z_U`;
    by polarisation :math:`T_k \equiv 0` iff
    :math:`\mathbb E[\mathrm{He}_k(v\cdot z^\perp)\,g \mid z_U] = 0` for every unit
    :math:`v\in U_t^\perp`.  The step's leap is :math:`k_t = \min\{k\ge1: T_k\not\equiv0\}`, and
    the step learns :math:`W_t` = the span of the mode-1 fibres of :math:`T_{k_t}(z_U)` over all
    :math:`z_U` (for :math:`k_t = 1` this is exactly the thesis' span of conditional gradients;
    for :math:`U_t=\{0\}` it is :math:`V^\star_\ell`); :math:`U_{t+1} = U_t\oplus W_t`.  The
    staircase stops when every :math:`T_k\equiv0`: then every Hermite coefficient of :math:`g` in
    a basis adapted to :math:`U_t\oplus U_t^\perp` with a non-zero :math:`U_t^\perp` part
    vanishes, so :math:`g` is a function of :math:`z_U` alone and :math:`U_t` is its index
    space.  The **leap** is :math:`\max_t k_t` (0 for a constant).  Every object here is
    defined by conditional expectations and subspaces, so a rotation
    :math:`g\mapsto g(Q\,\cdot)` maps :math:`U_t\mapsto Q^\top U_t` and keeps every
    :math:`k_t` and :math:`\dim U_t`.  Always taking the smallest available :math:`k` is the
    staircase itself (each step learns what the fewest samples reveal); we do not minimise over
    other orders.

    Computation (exact for polynomials): with :math:`\Sigma = I-P`,
    :math:`\mathbb E[\partial^\beta g(z)\mid Pz = y] = \partial^\beta G(y)` where
    :math:`G = \exp(\tfrac12\sum_{ij}\Sigma_{ij}\partial_i\partial_j)\,g` (the Gaussian heat
    semigroup: :math:`G(x) = \mathbb E_w[g(x+w)]`, :math:`w\sim\mathcal N(0,\Sigma)`, a finite
    sum for a polynomial; derivatives commute with it).  With :math:`B` a basis of
    :math:`U_t` and :math:`N` one of :math:`U_t^\perp`, :math:`G(Bc + Nt)` is a polynomial in
    :math:`(c, t)` whose part of degree :math:`k` in :math:`t` is
    :math:`T_k(Bc)[Nt,\dots,Nt]/k!` (Taylor expansion across :math:`U_t`), so the smallest
    :math:`k` with a non-zero part is :math:`k_t`, and the span of the coefficient vectors of
    its :math:`t`-gradient, mapped by :math:`N(N^\top N)^{-1}`, is :math:`W_t`.
    :math:`P = B(B^\top B)^{-1}B^\top` and :math:`N` (a null space of :math:`B^\top`) are
    rational in the entries of :math:`B`, so everything stays in the field :math:`K` of the
    coefficients of :math:`g` (sparse polynomials of ``sympy.polys.rings`` and
    ``DomainMatrix`` over :math:`K`, e.g. :math:`\mathbb Q(\sqrt2)`; no normalisation, so no
    new square roots): no floating-point tolerance decides a zero or a rank.

    Example: :math:`g = z_1+z_2+z_1z_2` has :math:`C_1 = (1,1)`, so :math:`U_1=\mathrm{span}(1,1)`;
    with :math:`u=(z_1+z_2)/\sqrt2`, :math:`v=(z_1-z_2)/\sqrt2`, :math:`g=\sqrt2u+(u^2-v^2)/2`,
    :math:`\mathbb E[\partial_v g\mid u] = 0` and :math:`\mathbb E[\partial_v^2 g\mid u] = -1`:
    leap 2, the same as its rotation :math:`\sqrt2z_1+(z_1^2-z_2^2)/2`.

Coordinate leap (``coordinate_leap_index``; basis dependent, kept under its own name)
    Abbe, Boix-Adsera, Misiakiewicz 2023 (arXiv:2302.11055v2, Definition 1), the "leap
    complexity" of the support :math:`S = \{\alpha\ne0: c_\alpha\ne0\}` in the given coordinates:

    .. math:: \mathrm{Leap}(S) = \min_{\pi}\max_i
              \big|\alpha^{\pi(i)}\big|_{[r]\setminus\cup_{j<i}\mathrm{supp}\,\alpha^{\pi(j)}}\big|_1,

    the :math:`\ell_1` mass an element puts on coordinates not yet learned, minimised over orders.
    It changes under rotations (:math:`z_1+z_2+z_1z_2`: 1; rotated: 2).  Greedy is exact:
    learning more coordinates never raises the cost of any element, so always taking the cheapest
    remaining element never makes a later step costlier than in any other order (an exchange
    argument); ``tests/test_multiindex.py`` checks it against brute force.

Non-polynomial targets are expanded numerically up to a total degree ``max_degree`` (quadrature
checked against a second rule with other nodes); their staircase is that of the truncated
expansion, with zeros and ranks decided at a stated tolerance, and is flagged ``exact=False``.
That quadrature is why this module lives in :mod:`theory.numeric` (it was
``theory.symbolic.multiindex``): the exact layer :mod:`theory.symbolic` imports nothing numeric.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

import numpy as np
import sympy as sp
from sympy.polys.constructor import construct_domain
from sympy.polys.matrices import DomainMatrix
from sympy.polys.rings import ring

from ..errors import InputError, IntegrationError
from ..symbolic.parse import parse_expression
from .bridge import numpy_function
from .hermite import normalized_he_table
from .quadrature import normal_rule

__all__ = ["hermite_decomposition", "hermite_tensor", "information_exponent", "leap_index",
           "leap_staircase", "subspace_staircase", "SubspaceStaircase", "LeapStep",
           "coordinate_leap_index", "coordinate_staircase", "Staircase", "analyze_target"]

MAX_EXACT_DEGREE = 16
_ZERO = 1e-11  # numeric coefficients below this x the largest (normalised by sqrt(alpha!)) count as zero
#: largest disagreement (normalised coefficients) between the two quadrature rules of a
#: non-polynomial target before the zero/non-zero decisions are refused
_QUAD_AGREE = 1e-9
#: numeric staircase: zeros and ranks relative to the largest Hermite coefficient
_NUMERIC_REL_TOL = 1e-8


def _natural(s: sp.Symbol):
    parts = re.split(r"(\d+)", s.name)
    return [int(p) if p.isdigit() else p for p in parts]


def _variables(expr, variables):
    if variables is None:
        return tuple(sorted(expr.free_symbols, key=_natural))
    variables = tuple(variables)
    missing = expr.free_symbols - set(variables)
    if missing:
        raise InputError("variables", [str(v) for v in variables],
                         "a list containing every symbol of the target",
                         hint=f"missing: {', '.join(sorted(map(str, missing)))}")
    return variables


def _mono_he(n: int, k: int) -> int:
    """E[z^n He_k(z)] = n!/(n-k)! (n-k-1)!! for n-k even >= 0 (Stein), else 0."""
    if k > n or (n - k) % 2:
        return 0
    return math.factorial(n) // math.factorial(n - k) * math.prod(range(n - k - 1, 0, -2))


def _as_poly(expr, variables) -> sp.Poly:
    """expr as a Poly in ``variables``; rational coefficients go through sparse ring arithmetic
    (no symbolic expansion: a degree-16 power of a sum takes 0.2 s instead of 20 s)."""
    try:
        R = ring(variables, sp.QQ)[0]
        return sp.Poly.from_dict(dict(R.from_expr(expr)) or {(0,) * len(variables): 0},
                                 *variables, domain=sp.QQ)
    except (ValueError, TypeError, sp.polys.polyerrors.PolynomialError,
            sp.polys.polyerrors.CoercionFailed):
        return sp.Poly(expr, *variables)


def _poly_decomposition(expr, variables) -> dict:
    poly = _as_poly(expr, variables)
    if poly.total_degree() > MAX_EXACT_DEGREE:
        raise InputError("expression", str(expr), f"a polynomial of degree <= {MAX_EXACT_DEGREE}")
    K = poly.domain
    out: dict = {}
    for mono, coef in poly.as_dict(native=True).items():
        for alpha in itertools.product(*[range(n, -1, -2) for n in mono]):
            m = math.prod(_mono_he(n, a) for n, a in zip(mono, alpha))
            if m:
                out[alpha] = out.get(alpha, K.zero) + coef * K.convert(m)
    if K.is_QQ or K.is_ZZ:
        return {a: K.to_sympy(v) for a, v in out.items() if v}
    out = {a: sp.nsimplify(sp.expand(K.to_sympy(v))) for a, v in out.items() if v}
    return {a: v for a, v in out.items() if v != 0}


def _numeric_coefficients(expr, variables, max_degree: int, n_nodes: int) -> dict:
    """Normalised coefficients E[g He_alpha/sqrt(alpha!)] by a tensor split-Gauss rule."""
    r = len(variables)
    z, w = normal_rule(None, n_nodes, n_nodes)
    z, w = z[0], w[0]
    grids = np.meshgrid(*([z] * r), indexing="ij")
    weight = np.ones_like(grids[0])
    for i in range(r):
        weight = weight * np.meshgrid(*([w] * r), indexing="ij")[i]
    with np.errstate(all="ignore"):
        vals = np.broadcast_to(np.asarray(numpy_function(expr, variables)(*grids), float),
                               weight.shape)
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
        out[alpha] = float(t.sum())
    return out


def _numeric_decomposition(expr, variables, max_degree: int) -> dict:
    """Tensor split-Gauss quadrature (cut at 0 in every variable), coefficients as Floats.

    The rule with 2x40 nodes per variable is checked against one with 2x33 nodes (no shared
    node): a disagreement above ``_QUAD_AGREE`` times the largest normalised coefficient raises
    IntegrationError, since it would make the zero/non-zero decisions below meaningless (e.g. a
    kink off the coordinate planes).  Normalised coefficients below
    max(1e-11 x largest, 100 x disagreement) are dropped (counted as zero).
    """
    r = len(variables)
    if r > 3:
        raise InputError("expression", str(expr), "a non-polynomial target in at most 3 variables")
    a = _numeric_coefficients(expr, variables, max_degree, 40)
    b = _numeric_coefficients(expr, variables, max_degree, 33)
    err = max(abs(a[k] - b[k]) for k in a)
    scale = max(max(abs(v) for v in a.values()), 1e-300)
    if err > _QUAD_AGREE * scale:
        raise IntegrationError(
            f"Hermite coefficients of {expr} not resolved by the tensor split-Gauss rule: two rules "
            f"with different nodes differ by {err:.3g} > {_QUAD_AGREE:g} x {scale:.3g} (largest "
            "normalised coefficient); the "
            "information exponent and the leap cannot be decided. Hint: a kink off the "
            "coordinate planes (e.g. relu(z1 - z2)) -- rotate the variables so that the kink is "
            "a coordinate plane, or give a polynomial target")
    zero = max(_ZERO * scale, 100 * err)
    out = {}
    for alpha, c in a.items():
        if abs(c) > zero:
            norm = math.sqrt(math.prod(math.factorial(k) for k in alpha))
            out[alpha] = sp.Float(c * norm, 15)
    return out


def _is_polynomial(expr, variables) -> bool:
    return bool(expr.is_polynomial(*variables))


def hermite_decomposition(expr, variables=None, max_degree: int | None = None) -> dict:
    """Nonzero coefficients {alpha: c_alpha}, c_alpha = E[g He_alpha] (exact for polynomials).

    Parameters
    ----------
    expr : SymPy expression (or string) of the target g(z1, ..., zr)
    variables : order of the variables (default: the free symbols in natural order)
    max_degree : total degree of the multi-indices returned; required for non-polynomial
        targets, which are integrated numerically (coefficients are SymPy Floats, dropped below
        1e-11 x the largest normalised one; IntegrationError when two rules with different nodes disagree)

    Returns
    -------
    dict mapping alpha (tuple of ints) to c_alpha (SymPy number).
    """
    expr = sp.sympify(expr)
    variables = _variables(expr, variables)
    if not variables:
        raise InputError("expression", str(expr), "a target that depends on some variable z1, z2, ...")
    if _is_polynomial(expr, variables):
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
    r"""Hermite tensor :math:`C_k = \mathbb E[\nabla^k g]` of a target.

    Parameters
    ----------
    expr : sympy.Expr or str
        The target :math:`g(z_1, \dots, z_r)`.
    k : int
        Order.
    variables : sequence of sympy.Symbol, optional
        Order of the variables (default: the free symbols in natural order).
    max_degree : int, optional
        Total degree for non-polynomial targets (default k).

    Returns
    -------
    sympy.ImmutableDenseNDimArray, shape (r,) * k
        The symmetric tensor; entry :math:`(i_1..i_k)` is :math:`c_\alpha` with
        :math:`\alpha` the multiplicities of the indices.

    Examples
    --------
    >>> z1, z2 = sp.symbols("z1 z2")
    >>> hermite_tensor(z1 * z2, 2).tolist()
    [[0, 1], [1, 0]]
    """
    expr = sp.sympify(expr)
    variables = _variables(expr, variables)
    r = len(variables)
    dec = hermite_decomposition(expr, variables, max_degree if max_degree is not None else (
        None if _is_polynomial(expr, variables) else k))
    flat = []
    for idx in itertools.product(range(r), repeat=k):
        alpha = tuple(idx.count(i) for i in range(r))
        flat.append(dec.get(alpha, sp.Integer(0)))
    return sp.ImmutableDenseNDimArray(flat, (r,) * k) if k else sp.ImmutableDenseNDimArray(flat)


def _support(dec: dict) -> list[tuple]:
    return [a for a, v in dec.items() if any(a) and v != 0]


def information_exponent(expr, variables=None, max_degree: int | None = None) -> int | None:
    r"""Information exponent: the smallest k >= 1 with :math:`C_k = \mathbb E[\nabla^k g] \ne 0`.

    Rotation invariant (see the module docstring); exact for polynomial targets.

    Parameters
    ----------
    expr : sympy.Expr or str
        The target :math:`g(z_1, \dots, z_r)`.
    variables : sequence of sympy.Symbol, optional
        Order of the variables (default: the free symbols in natural order).
    max_degree : int, optional
        Total degree of the Hermite expansion; required for non-polynomial targets (integrated
        numerically, see :func:`hermite_decomposition`).

    Returns
    -------
    int or None
        The exponent; None when g is constant (up to ``max_degree``).

    Examples
    --------
    >>> information_exponent("z1*z2 + z1**3 - 3*z1")  # He_1(z1) He_1(z2) + He_3(z1)
    2
    """
    dec = hermite_decomposition(expr, variables, max_degree)
    degrees = [sum(a) for a in _support(dec)]
    return min(degrees) if degrees else None


# ------------------------------------------------------------------------------------------
# coordinate-wise leap (Abbe, Boix-Adsera, Misiakiewicz 2023): basis dependent
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Staircase:
    """Coordinate staircase of Abbe et al. 2023: multi-indices in turn and the cost of each.

    Parameters
    ----------
    variables : tuple of sympy.Symbol
        The target's variables.
    order : tuple of tuple of int
        The multi-indices, in the order the staircase learns them.
    costs : tuple of int
        Cost of each (the new l1 mass it adds).
    leap : int
        The largest cost (the coordinate leap).
    """

    variables: tuple
    order: tuple
    costs: tuple
    leap: int

    def steps(self) -> list[str]:
        """The staircase as text.

        Returns
        -------
        list of str
            One ``"He_...(z) (+cost)"`` line per multi-index.
        """
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
    """Coordinate leap complexity of a set of multi-indices (0 for the empty set)."""
    _, costs = _greedy([a for a in support if any(a)])
    return max(costs, default=0)


def coordinate_staircase(expr, variables=None, max_degree: int | None = None) -> Staircase:
    r"""The coordinate-wise staircase of Abbe et al. 2023 (arXiv:2302.11055v2, Definition 1).

    Basis dependent; :func:`subspace_staircase` is the rotation-invariant one.

    Parameters
    ----------
    expr : sympy.Expr or str
        The target :math:`g(z_1, \dots, z_r)`.
    variables : sequence of sympy.Symbol, optional
        Order of the variables (default: the free symbols in natural order).
    max_degree : int, optional
        Total degree of the Hermite expansion; required for non-polynomial targets (integrated
        numerically, see :func:`hermite_decomposition`).

    Returns
    -------
    Staircase
        The multi-indices in turn, their costs and the leap.
    """
    expr = sp.sympify(expr)
    variables = _variables(expr, variables)
    return _coordinate_from(hermite_decomposition(expr, variables, max_degree), variables)


def _coordinate_from(dec: dict, variables) -> Staircase:
    order, costs = _greedy(_support(dec))
    return Staircase(variables, tuple(order), tuple(costs), max(costs, default=0))


def coordinate_leap_index(expr, variables=None, max_degree: int | None = None) -> int:
    r"""Coordinate-wise leap (Abbe et al. 2023, Definition 1) in the given coordinates.

    Not rotation invariant: ``z1 + z2 + z1*z2`` gives 1, its rotation
    ``sqrt(2)*z1 + (z1**2 - z2**2)/2`` gives 2.  :func:`leap_index` is the invariant one.

    Parameters
    ----------
    expr : sympy.Expr or str
        The target :math:`g(z_1, \dots, z_r)`.
    variables : sequence of sympy.Symbol, optional
        Order of the variables (default: the free symbols in natural order).
    max_degree : int, optional
        Total degree of the Hermite expansion; required for non-polynomial targets (integrated
        numerically, see :func:`hermite_decomposition`).

    Returns
    -------
    int
        The coordinate leap (0 for a constant target).

    Examples
    --------
    >>> coordinate_leap_index("z1 + z2 + z1*z2")
    1
    """
    return coordinate_staircase(expr, variables, max_degree).leap


# ------------------------------------------------------------------------------------------
# subspace-conditioned staircase: rotation invariant
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LeapStep:
    r"""One step of the subspace staircase.

    Attributes
    ----------
    leap : int
        :math:`k_t`, the smallest k with :math:`\mathbb E[\nabla^k_{z_\perp} g \mid z_U] \ne 0`.
    directions : tuple
        Basis of the directions learned at this step (tuples of SymPy numbers, in the target's
        coordinates; not normalised).
    dimension : int
        :math:`\dim U_{t+1}`, the learned dimension after this step.
    """

    leap: int
    directions: tuple
    dimension: int

    def __str__(self) -> str:
        dirs = ", ".join("(" + ", ".join(str(x) for x in d) + ")" for d in self.directions)
        n = len(self.directions)
        return (f"leap {self.leap}: +{n} direction{'s' if n > 1 else ''} {dirs} "
                f"-> dim {self.dimension}")


@dataclass(frozen=True)
class SubspaceStaircase:
    """The subspace-conditioned (rotation-invariant) staircase of a target; see module docstring.

    Attributes
    ----------
    variables : tuple of sympy.Symbol
        The target's variables.
    steps : tuple of LeapStep
        The steps.
    leap : int
        Max of the steps' leaps (0 for a constant target).
    exact : bool
        True when every zero and rank was decided in exact arithmetic (polynomial targets).
    note : str
        How a numeric staircase was decided (empty when exact).
    """

    variables: tuple
    steps: tuple
    leap: int
    exact: bool = True
    note: str = ""

    @property
    def dimensions(self) -> tuple:
        """dim U_1, dim U_2, ...: the learned dimension after each step."""
        return tuple(s.dimension for s in self.steps)

    @property
    def leaps(self) -> tuple:
        """k_1, k_2, ...: the leap of each step."""
        return tuple(s.leap for s in self.steps)

    def __str__(self) -> str:
        lines = [f"leap {self.leap} (subspace staircase, rotation invariant)"]
        lines += [f"  step {i + 1}: {s}" for i, s in enumerate(self.steps)]
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The staircase as a JSON-ready dict.

        Returns
        -------
        dict
            ``leap``, ``leaps``, ``dimensions``, ``steps`` (text), ``exact``, ``note``.
        """
        return {"leap": self.leap, "leaps": list(self.leaps), "dimensions": list(self.dimensions),
                "steps": [str(s) for s in self.steps], "exact": self.exact, "note": self.note}


class _Exact:
    """Arithmetic of the staircase in the coefficient field K (no tolerance anywhere)."""

    def __init__(self, K):
        self.K = K

    def is_zero(self, poly) -> bool:
        return not poly or all(not c for c in poly.values())

    def columnspace(self, cols: list[list], r: int) -> list[list]:
        M = DomainMatrix([list(row) for row in zip(*cols)], (r, len(cols)), self.K)
        cs = M.columnspace()
        return [list(c) for c in zip(*cs.to_list())] if cs.shape[1] else []

    def projector(self, basis: list[list], r: int) -> list[list]:
        K = self.K
        if not basis:
            return [[K.zero] * r for _ in range(r)]
        B = DomainMatrix([list(row) for row in zip(*basis)], (r, len(basis)), K)
        Bt = B.transpose()
        P = B.matmul(Bt.matmul(B).inv()).matmul(Bt)
        return P.to_list()

    def complement(self, basis: list[list], r: int) -> list[list]:
        """A basis of the orthogonal complement of span(basis) (exact nullspace of B^T)."""
        K = self.K
        if not basis:
            return [[K.one if i == j else K.zero for j in range(r)] for i in range(r)]
        Bt = DomainMatrix([list(v) for v in basis], (len(basis), r), K)
        return Bt.nullspace().to_list()

    def lift(self, ws: list[list], N: list[list]) -> list[list]:
        """Vectors N (N^T N)^{-1} w (the U_perp vectors whose N-coordinates of gradient are w)."""
        K, n, r = self.K, len(N), len(N[0])
        Nm = DomainMatrix([list(row) for row in zip(*N)], (r, n), K)
        W = DomainMatrix([list(row) for row in zip(*ws)], (n, len(ws)), K)
        V = Nm.matmul(Nm.transpose().matmul(Nm).inv()).matmul(W)
        return [list(c) for c in zip(*V.to_list())]


class _Numeric:
    """Float arithmetic for truncated expansions of non-polynomial targets (tolerance ``tol``)."""

    def __init__(self, K, tol: float):
        self.K, self.tol = K, tol

    def is_zero(self, poly) -> bool:
        return all(abs(float(c)) <= self.tol for c in poly.values())

    def columnspace(self, cols: list[list], r: int) -> list[list]:
        M = np.array([[float(x) for x in c] for c in cols], float).T
        u, s, _ = np.linalg.svd(M, full_matrices=False)
        rank = int(np.sum(s > self.tol))
        return [[self.K.convert(float(x)) for x in u[:, j]] for j in range(rank)]

    def projector(self, basis: list[list], r: int) -> list[list]:
        if not basis:
            return [[self.K.zero] * r for _ in range(r)]
        B = np.array([[float(x) for x in c] for c in basis], float).T
        q, _ = np.linalg.qr(B)
        P = q @ q.T
        return [[self.K.convert(float(x)) for x in row] for row in P]

    def complement(self, basis: list[list], r: int) -> list[list]:
        """An orthonormal basis of the complement (SVD of B)."""
        if not basis:
            return [[self.K.one if i == j else self.K.zero for j in range(r)] for i in range(r)]
        B = np.array([[float(x) for x in c] for c in basis], float).T
        u, _, _ = np.linalg.svd(B, full_matrices=True)
        return [[self.K.convert(float(x)) for x in u[:, j]] for j in range(len(basis), r)]

    def lift(self, ws: list[list], N: list[list]) -> list[list]:
        Nm = np.array([[float(x) for x in c] for c in N], float).T  # orthonormal columns
        return [[self.K.convert(float(x)) for x in Nm @ np.array([float(y) for y in w])]
                for w in ws]


# Polynomials below are sparse PolyElements of sympy.polys.rings over the field K (fast exact
# arithmetic; a PolyElement is a dict {exponent tuple: coefficient in K}).

def _heat(g, S: list[list]):
    """exp(1/2 sum_ij S_ij d_i d_j) g = E_w[g(x + w)], w ~ N(0, S) (finite for a polynomial)."""
    R = g.ring
    K, xs, r = R.domain, R.gens, R.ngens
    half = K.convert(sp.Rational(1, 2)) if K.is_Exact else K.convert(0.5)
    out, term, n = g, g, 1
    while term:
        acc = R.zero
        for i in range(r):
            di = term.diff(xs[i])
            if not di:
                continue
            for j in range(r):
                if S[i][j]:
                    acc += di.diff(xs[j]) * S[i][j]
        term = acc * (half / K.convert(n))
        out += term
        n += 1
    return out


def _linear_subs(poly, lin: list):
    """poly(lin_1(c), ..., lin_r(c)) for linear PolyElements lin_i of another ring."""
    R = lin[0].ring
    out = R.zero
    powers: dict = {}
    for mono, c in poly.items():
        t = R.one
        for i, e in enumerate(mono):
            if e:
                if (i, e) not in powers:
                    powers[(i, e)] = lin[i] ** e
                t = t * powers[(i, e)]
            if not t:
                break
        if t:
            out += t * c
    return out


def _along(poly, S: list[list], i: int):
    """Derivative along the i-th column of S: sum_j S_ji d_j poly."""
    acc = poly.ring.zero
    for j, x in enumerate(poly.ring.gens):
        if S[j][i]:
            acc += poly.diff(x) * S[j][i]
    return acc


def _staircase_poly(g, arith) -> list[LeapStep]:
    """The subspace staircase of a polynomial g (a PolyElement over a field K); see module
    docstring.

    At each step, with B a basis of U and N one of its orthogonal complement, the smoothed
    polynomial G = E_w[g(x + w)] (w ~ N(0, I - P)) is written in the coordinates x = B c + N t.
    Its part of degree k in t is T_k(Bc)[N t, ..., N t]/k!, so T_k vanishes on U iff that part is
    zero (the Taylor expansion in the directions of U_perp); the span of the mode-1 fibres is
    the span of the coefficient vectors of its t-gradient w, mapped back by
    (I - P) grad = N (N^T N)^{-1} w.
    """
    R = g.ring
    K, r = R.domain, R.ngens
    basis: list[list] = []
    steps: list[LeapStep] = []
    while len(basis) < r:
        P = arith.projector(basis, r)
        S = [[(K.one if i == j else K.zero) - P[i][j] for j in range(r)] for i in range(r)]
        if basis and all(arith.is_zero(_along(g, S, i)) for i in range(r)):
            break  # every derivative along U_perp vanishes: g is a function of z_U
        G = _heat(g, S)
        N = arith.complement(basis, r)
        m, n = len(basis), len(N)
        Rct, *cts = ring([f"c{j}" for j in range(m)] + [f"t{j}" for j in range(n)], K)
        lin = [sum((v * u[i] for v, u in zip(cts, basis + N) if u[i]), Rct.zero)
               for i in range(r)]
        H = _linear_subs(G, lin)
        parts: dict = {}
        for mono, coef in H.items():
            k = sum(mono[m:])
            if k:
                parts.setdefault(k, {})[mono] = coef
        parts = {k: p for k, p in parts.items() if not arith.is_zero(p)}
        if not parts:
            break
        k = min(parts)
        grads: dict = {}
        for mono, coef in parts[k].items():
            for j in range(n):
                e = mono[m + j]
                if e:
                    lower = mono[:m + j] + (e - 1,) + mono[m + j + 1:]
                    grads.setdefault(lower, [K.zero] * n)[j] += coef * K.convert(e)
        ws = arith.columnspace(list(grads.values()), n)
        if not ws:  # numeric mode only: every fibre below the rank tolerance
            break
        new_dirs = arith.lift(ws, N)
        basis = basis + new_dirs
        steps.append(LeapStep(k, tuple(tuple(_display(v, K)) for v in new_dirs), len(basis)))
    return steps


def _display(v: list, K) -> list:
    """A direction as SymPy numbers (display only): exact ones divided by their first non-zero
    entry and, when rational, scaled to coprime integers; numeric ones as 6-digit Floats with a
    positive first non-zero entry."""
    if not K.is_Exact:
        x = np.array([float(t) for t in v])
        nz = x[np.abs(x) > 1e-12]
        x = x * (np.sign(nz[0]) if nz.size else 1.0)
        return [sp.Float(t if abs(t) > 1e-12 else 0.0, 6) for t in x]
    first = next(x for x in v if x)
    vals = [K.to_sympy(K.quo(x, first)) for x in v]
    if all(x.is_Rational for x in vals):
        den = sp.ilcm(*[x.q for x in vals]) if len(vals) > 1 else vals[0].q
        ints = [int(x * den) for x in vals]
        g = math.gcd(*ints) or 1
        return [sp.Integer(x // g) for x in ints]
    return vals


def subspace_staircase(expr, variables=None, max_degree: int | None = None) -> SubspaceStaircase:
    """The rotation-invariant (subspace-conditioned) staircase of a target g(z1, ..., zr).

    Parameters
    ----------
    expr : SymPy expression or string of the target
    variables : order of the variables (default: the free symbols in natural order)
    max_degree : for non-polynomial targets, the total degree of the Hermite expansion used
        (required); the staircase is then that of the truncated expansion, decided in floating
        point at a relative tolerance 1e-8, and flagged ``exact=False``

    Returns
    -------
    SubspaceStaircase : the steps (leap k_t, directions learned, dim U_{t+1}) and the leap
        max_t k_t.  Definition and derivation: module docstring (Dandi et al. 2023,
        arXiv:2305.18270v3; staircase theorem as in Loureiro's HDR thesis, Theorem 3.2.2).
    """
    expr = sp.sympify(expr)
    variables = _variables(expr, variables)
    if not variables:
        raise InputError("expression", str(expr), "a target that depends on some variable z1, z2, ...")
    if _is_polynomial(expr, variables):
        if expr.has(sp.Float):  # decimals as written (as the parser reads them): exact
            expr = sp.nsimplify(expr, rational=True)
        poly = _as_poly(expr, variables)
        if poly.total_degree() > MAX_EXACT_DEGREE:
            raise InputError("expression", str(expr),
                             f"a polynomial of degree <= {MAX_EXACT_DEGREE}")
        coeffs = poly.coeffs()
        K, _ = construct_domain(coeffs, extension=True)
        if K.is_EX or K.is_RR or K.is_CC or K.is_ComplexField:
            raise InputError("expression", str(expr),
                             "a polynomial with rational or algebraic coefficients (or "
                             "polynomial in constants such as pi) for an exact leap")
        K = K.get_field()
        if max_degree is not None:  # truncate the Hermite expansion (not the monomials)
            dec = {a: c for a, c in _poly_decomposition(expr, variables).items()
                   if sum(a) <= max_degree}
            expr = _from_hermite(dec, variables)
        g = _as_poly(expr, variables) if max_degree is not None else poly
        g = sp.Poly(g, *variables, domain=K)
        steps = _staircase_poly(ring(variables, K)[0].from_dict(g.as_dict(native=True)),
                                _Exact(K))
        return SubspaceStaircase(variables, tuple(steps), max((s.leap for s in steps), default=0))
    dec = hermite_decomposition(expr, variables, max_degree)
    scale = max((abs(float(v)) / math.sqrt(math.prod(math.factorial(a) for a in al))
                 for al, v in dec.items()), default=1.0)
    tol = _NUMERIC_REL_TOL * max(scale, 1e-300)
    K = sp.RR
    g = sp.Poly(_from_hermite(dec, variables), *variables, domain=K)
    steps = _staircase_poly(ring(variables, K)[0].from_dict(g.as_dict(native=True)),
                            _Numeric(K, tol))
    note = (f"numeric: staircase of the Hermite expansion truncated at total degree {max_degree} "
            f"(quadrature), zeros and ranks decided at {tol:.1e}; directions reached only "
            f"through higher degrees are not seen")
    return SubspaceStaircase(variables, tuple(steps), max((s.leap for s in steps), default=0),
                             exact=False, note=note)


def _from_hermite(dec: dict, variables) -> sp.Expr:
    """sum_alpha c_alpha He_alpha(z) / alpha!."""
    return sp.Add(*[c * sp.Mul(*[sp.hermite_prob(a, v) / sp.factorial(a)
                                 for a, v in zip(alpha, variables)])
                    for alpha, c in dec.items()])


def leap_staircase(expr, variables=None, max_degree: int | None = None) -> SubspaceStaircase:
    r"""Alias of :func:`subspace_staircase` (the leap reported everywhere is the invariant one).

    Parameters
    ----------
    expr : sympy.Expr or str
        The target :math:`g(z_1, \dots, z_r)`.
    variables : sequence of sympy.Symbol, optional
        Order of the variables (default: the free symbols in natural order).
    max_degree : int, optional
        Total degree of the Hermite expansion; required for non-polynomial targets (integrated
        numerically, see :func:`hermite_decomposition`).

    Returns
    -------
    SubspaceStaircase
        The steps and the leap.
    """
    return subspace_staircase(expr, variables, max_degree)


def leap_index(expr, variables=None, max_degree: int | None = None) -> int:
    r"""Rotation-invariant leap index: the max step of the subspace staircase (module docstring).

    ``coordinate_leap_index`` gives the coordinate-wise value of Abbe et al. 2023.

    Parameters
    ----------
    expr : sympy.Expr or str
        The target :math:`g(z_1, \dots, z_r)`.
    variables : sequence of sympy.Symbol, optional
        Order of the variables (default: the free symbols in natural order).
    max_degree : int, optional
        Total degree of the Hermite expansion; required for non-polynomial targets (integrated
        numerically, see :func:`hermite_decomposition`).

    Returns
    -------
    int
        The leap index (Dandi et al. 2023, arXiv:2305.18270v3); 0 for a constant target.

    Examples
    --------
    >>> leap_index("z1 + z2 + z1*z2")
    2
    """
    return subspace_staircase(expr, variables, max_degree).leap


def analyze_target(target, max_degree: int | None = None) -> dict:
    r"""Everything the CLI prints for ``theory leap EXPR``.

    Keys: ``variables``; ``leap`` (rotation invariant, subspace staircase); ``leaps`` and
    ``dimensions`` (k_t and dim U_t of each step); ``staircase`` (one line per step);
    ``coordinate_leap`` and ``coordinate_staircase`` (Abbe et al. 2023, basis dependent);
    ``information_exponent``; ``coefficients`` (Hermite, non-polynomial targets: up to degree
    6); ``exact``; ``note``.

    Parameters
    ----------
    target : str or sympy.Expr
        The target in variables ``z1, z2, ...`` (a string is parsed safely).
    max_degree : int, optional
        Total degree of the Hermite expansion of a non-polynomial target (default 6).

    Returns
    -------
    dict
        The keys above (the JSON of ``theory leap --json``).

    Raises
    ------
    InputError
        If the target has no variable or ``max_degree`` is out of range.
    """
    expr = parse_expression(target, None, symbol_pattern=r"z\d+|x\d*") if isinstance(target, str) \
        else sp.sympify(target)
    variables = _variables(expr, None)
    if not variables:
        raise InputError("expression", str(target), "a target in variables z1, z2, ...")
    if max_degree is None and not _is_polynomial(expr, variables):
        max_degree = 6
    dec = hermite_decomposition(expr, variables, max_degree)
    cst = _coordinate_from(dec, variables)
    sst = subspace_staircase(expr, variables, max_degree)
    sup = _support(dec)
    return {
        "variables": [str(v) for v in variables],
        "leap": sst.leap,
        "leaps": list(sst.leaps),
        "dimensions": list(sst.dimensions),
        "staircase": [str(s) for s in sst.steps],
        "coordinate_leap": cst.leap,
        "coordinate_staircase": cst.steps(),
        "information_exponent": min((sum(a) for a in sup), default=None),
        "coefficients": {str(a): str(v) for a, v in sorted(dec.items())},
        "exact": sst.exact,
        "note": sst.note,
    }
