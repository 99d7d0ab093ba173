"""The one bridge from SymPy to numbers: every ``lambdify`` of the project happens here.

``lambdify`` is a printer plus a namespace (SymPy's ``lambdify`` docs, "How it works"). The
namespace here adds the numeric implementations of :class:`~theory.symbolic.expectation.NumericFunction`
objects (named functions without a closed form, e.g. a proximal operator), so an equation that
contains them still compiles -- to NumPy (vectorised) or to mpmath (any precision).

Before printing, :func:`~theory.symbolic.atoms.stabilize` rewrites the common unstable closed
forms into the stable Gaussian atoms of :mod:`theory.symbolic.atoms` (``(1 + erf)/2 -> Phi``,
``log(1 + exp) -> softplus``, ``1/(1 + exp(-u)) -> sigmoid``, ...), whose float64
implementations (``scipy.special.ndtr``, ``log_ndtr``, ``erfcx``, ``expit``, ``logaddexp``) keep
relative accuracy in the tails and whose mpmath implementations work at any precision.

Compiled functions are cached by (expression, arguments, backend): compile once, call in loops.
"""

from __future__ import annotations

from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp

from ..symbolic.atoms import stabilize

__all__ = ["numpy_function", "mpmath_function"]


def _namespace(expr: sp.Expr, backend: str) -> dict:
    ns: dict = {}
    for f in expr.atoms(sp.Function):
        impl = getattr(type(f), "_numpy_impl" if backend == "numpy" else "_mpmath_impl", None)
        if impl is not None:
            ns[type(f).__name__] = impl
    if backend == "mpmath":
        # Heaviside(u, 1/2) is printed as a conditional expression already; sign and Max work
        ns.setdefault("sign", mpmath.sign)
    return ns


@lru_cache(maxsize=4096)
def _compile(expr: sp.Expr, args: tuple, backend: str):
    expr = stabilize(expr, quotients=True)  # also phi^2/Phi -> phi * logPhi1 (no 0/0)
    ns = _namespace(expr, backend)
    modules = [ns, "scipy", "numpy"] if backend == "numpy" else [ns, "mpmath"]
    f = sp.lambdify(args, expr, modules=modules, cse=True)
    if backend == "numpy" and not (expr.free_symbols & set(args)) and not expr.atoms(sp.Function):
        const = f(*([0.0] * len(args)))

        def f_const(*a, _c=const):  # constants must broadcast like the arguments
            return np.full(np.broadcast(*a).shape, _c, dtype=float) if a else _c

        return f_const
    return f


def numpy_function(expr, args):
    """Vectorised NumPy callable ``f(*args)`` of a SymPy expression (cached).

    The one place (with :func:`mpmath_function`) where ``sympy.lambdify`` is called: the
    expression is first rewritten into stable atoms (:func:`theory.symbolic.atoms.stabilize`) and
    the atoms compile to their scipy implementations.

    Parameters
    ----------
    expr : sympy.Expr or str
        The expression.
    args : sequence of sympy.Symbol
        The arguments, in call order.

    Returns
    -------
    callable
        ``f(*arrays)`` broadcasting like NumPy; a constant expression still returns an array of
        the broadcast shape of the inputs.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> numpy_function(x**2 + 1, (x,))(np.array([0.0, 2.0])).tolist()
    [1.0, 5.0]
    """
    expr = sp.sympify(expr)
    return _compile(expr, tuple(args), "numpy")


def mpmath_function(expr, args):
    """mpmath callable ``f(*args)`` of a SymPy expression (cached).

    Parameters
    ----------
    expr : sympy.Expr or str
        The expression.
    args : sequence of sympy.Symbol
        The arguments, in call order.

    Returns
    -------
    callable
        ``f(*mpf)`` evaluated with mpmath; call it inside ``mpmath.workdps(dps)``.
    """
    expr = sp.sympify(expr)
    return _compile(expr, tuple(args), "mpmath")
