"""Where an expression stops being smooth: the one kink finder of the package.

A kink or jump sits where the argument of a non-smooth atom vanishes: the argument of ``Abs``,
``sign``, ``Heaviside``; the pairwise differences of the arguments of ``Max``/``Min``; the
``lhs - rhs`` of every relational condition of a ``Piecewise``. :func:`kink_arguments` lists
these arguments once; the activation breakpoints
(:func:`theory.symbolic.activations.breakpoints`, real points of one variable), the kinks of a
Gaussian integrand (:func:`theory.numeric.expectation._kinks`, points that depend on the
parameters) and the kink features of the quadrature frames all solve ``g = 0`` for the
arguments ``g`` found here.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["NONSMOOTH", "kink_argument", "kink_arguments"]

#: the SymPy classes whose argument (or argument differences, conditions) locate a kink
NONSMOOTH = (sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min, sp.Piecewise)


def kink_argument(node: sp.Basic) -> list[sp.Expr] | None:
    """The kink arguments of one node if it is a non-smooth atom, else ``None``.

    Parameters
    ----------
    node : sympy.Basic
        One node of an expression tree.

    Returns
    -------
    list of sympy.Expr or None
        Expressions ``g`` whose zero set is where ``node`` is not smooth.
    """
    if isinstance(node, (sp.Abs, sp.sign, sp.Heaviside)):
        return [node.args[0]]
    if isinstance(node, (sp.Max, sp.Min)):
        a = node.args
        return [a[i] - a[j] for i in range(len(a)) for j in range(i + 1, len(a))]
    if isinstance(node, sp.Piecewise):
        return [r.lhs - r.rhs for _, cond in node.args
                for r in cond.atoms(sp.core.relational.Relational)]
    return None


def kink_arguments(expr: sp.Basic) -> list[sp.Expr]:
    """Every kink argument of ``expr``, in preorder (duplicates kept).

    Parameters
    ----------
    expr : sympy.Basic
        Any SymPy expression.

    Returns
    -------
    list of sympy.Expr
        The arguments ``g`` such that ``expr`` may fail to be smooth where ``g = 0``.
    """
    out: list[sp.Expr] = []
    for node in sp.preorder_traversal(expr):
        got = kink_argument(node)
        if got is not None:
            out.extend(got)
    return out
