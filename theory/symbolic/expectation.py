r"""Gaussian expectations as SymPy objects, and named numeric functions.

The building block of every saddle-point equation:

>>> import sympy as sp
>>> rho, m, q = sp.symbols("rho m q", positive=True)
>>> w0, w1 = gaussians("omega0 omega1", cov=[[rho, m], [m, q]])
>>> e = E(sp.sign(w0) * w1)
>>> print(sp.latex(e))
\mathbb{E}_{\omega_{0}, \omega_{1}}\left[\omega_{1} \operatorname{sign}{\left(\omega_{0} \right)}\right]

An :class:`Expectation` is an ordinary SymPy expression (it can be multiplied, added, differentiated
with respect to parameters, substituted), prints as :math:`\mathbb E` in LaTeX, and compiles with
:func:`theory.numeric.expectation.compile_expression` to tensor split-Gauss quadrature (float64,
vectorised over nodes, with an error estimate) or to nested ``mpmath.quad`` at any ``dps``.

Pieces without a closed form (a proximal operator, a Stieltjes transform) enter as
:func:`numeric_function` objects: SymPy functions that print with their own LaTeX and carry a
NumPy and an mpmath implementation, which the one lambdify bridge
(:mod:`theory.numeric.bridge`) puts in the namespace.
"""

from __future__ import annotations


from collections.abc import Callable

import sympy as sp
from sympy.core.function import ArgumentIndexError

from ..errors import InputError

__all__ = ["GaussianVector", "gaussians", "Expectation", "E", "numeric_function"]

# symbol -> the GaussianVector that declared it (the most recent declaration wins)
_DECLARED: dict = {}  # GaussianSymbol -> its declaration (GaussianVector)


class GaussianSymbol(sp.Symbol):
    """A real symbol made by :func:`gaussians`, tied to its declaration.

    It prints as its name, but two declarations of the same name with different variables or
    covariances make different symbols (the declaration is part of the symbol's identity), so
    :func:`E` without ``over`` always finds the right covariance, whatever was declared
    since. Identical declarations (a notebook cell run twice) make equal symbols.

    Parameters
    ----------
    name : str
        The printed name.
    decl : str
        A deterministic token of the declaration (names and covariance).
    **assumptions
        SymPy assumptions (``real=True``).
    """

    __slots__ = ("_decl",)

    def __new__(cls, name, decl, **assumptions):
        obj = sp.Symbol.__xnew__(cls, name, **assumptions)
        obj._decl = decl
        return obj

    def _hashable_content(self):
        return (*super()._hashable_content(), self._decl)

    def __getnewargs_ex__(self):
        return ((self.name, self._decl), self._assumptions_orig)


class GaussianVector(tuple):
    """A tuple of real SymPy symbols jointly Gaussian with mean 0 and covariance ``cov``.

    Made by :func:`gaussians`.

    Parameters
    ----------
    symbols : tuple of sympy.Symbol
        The variables.
    cov : sympy.ImmutableMatrix
        Their covariance (may hold symbols).
    """

    cov: sp.ImmutableMatrix

    def __new__(cls, symbols, cov):
        obj = super().__new__(cls, symbols)
        obj.cov = cov
        return obj


def gaussians(names: str, cov=None) -> GaussianVector:
    """Declare jointly Gaussian variables (mean 0) with covariance ``cov``.

    Parameters
    ----------
    names : str
        Space- or comma-separated names, e.g. ``"w0 w1"``.
    cov : array_like or sympy.Matrix, optional
        Symmetric d x d covariance (default identity); it may hold symbols (order parameters).
        Positive semi-definiteness is checked when numbers are substituted.

    Returns
    -------
    GaussianVector
        The variables (a tuple of real symbols) with their covariance; :func:`E` finds it from
        the symbols.

    Raises
    ------
    InputError
        If ``cov`` is not d x d or not symmetric.

    Examples
    --------
    >>> import sympy as sp
    >>> q = sp.Symbol("q", positive=True)
    >>> uv = gaussians("u v", cov=[[1, q], [q, 1]])
    >>> u, v = uv
    >>> E(u * v, over=uv)
    E[u*v; u, v]

    ``E(u * v)`` without ``over`` finds the declaration from the symbols (the latest one
    holding them; a warning if an earlier one gave them another covariance).
    """
    syms = sp.symbols(names, real=True)
    if isinstance(syms, sp.Symbol):
        syms = (syms,)
    d = len(syms)
    cov = sp.eye(d) if cov is None else sp.Matrix(cov)
    if cov.shape != (d, d):
        raise InputError("cov", cov.tolist(), f"a {d}x{d} matrix for the {d} variables {names!r}")
    if not cov.is_symmetric():
        raise InputError("cov", cov.tolist(), "a symmetric matrix")
    cov = sp.ImmutableMatrix(cov)
    decl = f"{' '.join(str(s) for s in syms)}|{sp.srepr(cov)}"
    syms = tuple(GaussianSymbol(str(s), decl, real=True) for s in syms)
    vec = GaussianVector(syms, cov)
    for s in syms:
        _DECLARED[s] = vec
    return vec


class Expectation(sp.Expr):
    r"""Unevaluated Gaussian expectation :math:`\mathbb E_{X\sim\mathcal N(0,\Sigma)}[f(X)]`.

    Made by :func:`E`. ``args = (integrand, Tuple(*variables), ImmutableMatrix(cov))``; the free
    symbols are those of the integrand other than the variables, and those of the covariance.
    Prints as :math:`\mathbb E` in LaTeX, differentiates by Price's theorem when the covariance
    depends on the variable, and compiles with
    :func:`theory.numeric.expectation.compile_expression`.

    Parameters
    ----------
    integrand : sympy.Expr
        :math:`f`.
    variables : sequence of sympy.Symbol
        The Gaussian variables :math:`X`.
    cov : sympy.Matrix
        :math:`\Sigma`.
    """

    is_commutative = True

    def __new__(cls, integrand, variables, cov):
        integrand = sp.sympify(integrand)
        if integrand == 0:
            return sp.Integer(0)
        variables = sp.Tuple(*variables)
        cov = sp.ImmutableMatrix(cov)
        if cov.shape != (len(variables), len(variables)):
            raise InputError("cov", cov.tolist(), f"a {len(variables)}x{len(variables)} matrix")
        return sp.Expr.__new__(cls, integrand, variables, cov)

    @property
    def integrand(self) -> sp.Expr:
        """The integrand f."""
        return self.args[0]

    @property
    def variables(self) -> tuple:
        """The Gaussian variables, in the covariance's order."""
        return tuple(self.args[1])

    @property
    def cov(self) -> sp.ImmutableMatrix:
        """The covariance matrix."""
        return self.args[2]

    @property
    def free_symbols(self):
        return (self.integrand.free_symbols - set(self.variables)) | self.cov.free_symbols

    def _eval_derivative(self, s):
        r"""d/ds E[f]: E[df/ds], plus Price's theorem when the covariance depends on s.

        For :math:`X\sim\mathcal N(0,\Sigma(s))` (Price 1958, IRE Trans. Inf. Theory 4, 69,
        eq. (1); Papoulis, *Probability, Random Variables and Stochastic Processes*, Sec. 6-4),

        .. math:: \frac{d}{ds}\mathbb E f(X) = \mathbb E\frac{\partial f}{\partial s}
           + \sum_{i<j}\Sigma_{ij}'\,\mathbb E\,\partial_i\partial_j f
           + \tfrac12\sum_i\Sigma_{ii}'\,\mathbb E\,\partial_i^2 f .

        Kinks give Dirac deltas of affine arguments (sign(w0) sign(w1) -> 4 delta(w0) delta(w1)),
        which :func:`theory.numeric.expectation.compile_expression` integrates out exactly
        (conditioning on the hyperplane). When the second derivatives are not of that form
        (derivatives of deltas, Piecewise jumps, deltas of non-affine arguments) the derivative
        of the density is used instead (Gaussian integration by parts):
        :math:`\tfrac12\mathbb E[f\,(x^T\Sigma^{-1}\Sigma'\Sigma^{-1}x-\operatorname{tr}
        \Sigma^{-1}\Sigma')]`, exact but ill-conditioned for near-singular covariances.
        """
        X, S = self.variables, self.cov
        f = self.integrand
        out = Expectation(sp.diff(f, s), X, S) if f.has(s) else sp.Integer(0)
        dS = S.diff(s)
        if all(e == 0 for e in dS):
            return out
        d = len(X)
        price = sp.Integer(0)
        ok = not f.has(sp.Piecewise)
        if ok:
            for i in range(d):
                for j in range(i, d):
                    if dS[i, j] != 0:
                        w = dS[i, j] if i != j else dS[i, i] / 2
                        price += w * sp.diff(f, X[i], X[j])
            ok = _affine_deltas(price, X)
        if ok:
            return out + Expectation(price, X, S)
        x = sp.Matrix(X)
        Si = S.inv()
        score = ((x.T * Si * dS * Si * x)[0, 0] - (Si * dS).trace()) / 2
        return out + Expectation(f * score, X, S)

    def _latex(self, printer):
        sub = ", ".join(printer._print(v) for v in self.variables)
        return rf"\mathbb{{E}}_{{{sub}}}\left[{printer._print(self.integrand)}\right]"

    def _sympystr(self, printer):
        return f"E[{printer._print(self.integrand)}; {', '.join(map(str, self.variables))}]"


def _affine_deltas(expr, variables) -> bool:
    """True if every DiracDelta in ``expr`` is of order 0 with an argument affine in
    ``variables``, and deltas appear only as factors of products."""
    vs = set(variables)
    for dl in expr.atoms(sp.DiracDelta):
        if len(dl.args) > 1 and dl.args[1] != 0:
            return False
        g = dl.args[0]
        if any(sp.diff(g, v).free_symbols & vs for v in variables):
            return False
    for p in expr.atoms(sp.Pow):
        if p.base.has(sp.DiracDelta):
            return False
    return True


def E(integrand, over: GaussianVector | None = None) -> Expectation:
    """The expectation of ``integrand`` over declared Gaussian variables.

    Parameters
    ----------
    integrand : sympy.Expr
        The integrand.
    over : GaussianVector, optional
        The variables to integrate over. Omitted, they are the declared Gaussian symbols
        appearing in the integrand, which must all come from one :func:`gaussians` declaration.

    Returns
    -------
    Expectation
        The unevaluated expectation (0 for a zero integrand).

    Raises
    ------
    InputError
        If ``over`` is omitted and the integrand holds variables of no or several declarations.
    """
    integrand = sp.sympify(integrand)
    if over is None:
        over = _declaration_of(integrand)
    return Expectation(integrand, tuple(over), over.cov)


def _declaration_of(integrand) -> GaussianVector:
    """The :func:`gaussians` declaration an integrand's Gaussian symbols come from.

    Each declaration makes its own symbols (:class:`GaussianSymbol`): a variable declared again
    with another covariance is another symbol, so this look-up is never ambiguous.
    """
    vecs = {id(_DECLARED[s]): _DECLARED[s] for s in integrand.free_symbols if s in _DECLARED}
    if len(vecs) != 1:
        raise InputError(
            "over", None, "the GaussianVector to integrate over",
            hint="the integrand holds variables of "
            f"{len(vecs)} declarations; pass over=...",
        )
    return next(iter(vecs.values()))


def numeric_function(name: str, nargs: int, numpy_impl: Callable, mpmath_impl: Callable | None = None,
                     *, latex: str | None = None, derivatives: dict | None = None,
                     shown_args: int | None = None):
    r"""A named SymPy function with numeric implementations (no closed form needed).

    Parameters
    ----------
    name : str
        The SymPy name (also the lambdify namespace key).
    nargs : int
        Number of arguments.
    numpy_impl : callable
        Vectorised implementation, ``f(*arrays) -> array``.
    mpmath_impl : callable, optional
        Scalar mpmath implementation (for ``dps=``).
    latex : str, optional
        LaTeX name, e.g. ``r"\eta"`` prints as ``\eta(y, \omega)``.
    derivatives : dict, optional
        ``{argument index (0-based): numeric_function}`` for the partial derivatives.
    shown_args : int, optional
        Print only the first ``shown_args`` arguments in LaTeX (the others are parameters the
        paper leaves implicit, e.g. the aspect ratio of :math:`g_\mu(-z)`); 0 prints the
        ``latex`` head alone, without an argument list.

    Returns
    -------
    type
        A ``sympy.Function`` subclass; calling it on symbols makes an expression that prints,
        differentiates (through ``derivatives``) and compiles to ``numpy_impl``/``mpmath_impl``.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> y, w, V = sp.symbols("y omega V", real=True)
    >>> eta = numeric_function("eta_sq", 3, lambda y, w, V: (w + V * y) / (1 + V), latex=r"\eta")
    >>> sp.latex(eta(y, w, V))
    '\\eta\\left(y, \\omega, V\\right)'
    """
    derivatives = dict(derivatives or {})

    def fdiff(self, argindex=1):
        d = derivatives.get(argindex - 1)
        if d is None:
            raise ArgumentIndexError(self, argindex)
        return d(*self.args)

    def _latex(self, printer, exp=None):
        head = latex or sp.latex(sp.Symbol(name))
        shown = self.args if shown_args is None else self.args[:shown_args]
        body = (rf"{head}\left({', '.join(printer._print(a) for a in shown)}\right)" if shown
                else head)  # shown_args=0: the head is the whole printed form
        return body if exp is None else rf"{body}^{{{exp}}}"

    attrs = {
        "nargs": nargs,
        "_numpy_impl": staticmethod(numpy_impl),
        "_mpmath_impl": staticmethod(mpmath_impl) if mpmath_impl is not None else None,
        "fdiff": fdiff,
        "_latex": _latex,
        "is_real": True,
    }
    return type(name, (sp.Function,), attrs)
