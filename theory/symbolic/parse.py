"""Safe parsing of user-typed expressions into SymPy, without executing any code.

The text is parsed by :func:`ast.parse` (which only builds a syntax tree, never runs it) and the
tree is walked with a whitelist: numbers, the allowed variables, the named constants ``pi``, ``e``
(also ``E``), the operators ``+ - * / ** ^`` and calls of the functions in :data:`FUNCTIONS`.
Anything else -- attributes, subscripts, keywords, strings, lambdas, comprehensions, unknown names
-- is refused with a :class:`~theory.errors.ParseError` that says what was found.

``sympy.sympify`` / ``parse_expr`` are *not* used: both call ``eval``.

The Gaussian and logistic functions are the stable named atoms of :mod:`theory.symbolic.atoms`
(``Phi``, ``H``, ``phi``, ``logPhi``, ``Mills``, ``sigmoid``, ``softplus``; ``erfc(u)`` is read as
``2 H(sqrt2 u)``, which SymPy does not rewrite as ``2 - erfc(-u)``), and the parsed expression
goes through :func:`~theory.symbolic.atoms.stabilize`, so that typed forms such as
``log(1+exp(100*x))`` or ``(1+erf(x/sqrt(2)))/2`` keep relative accuracy in the tails.
"""

from __future__ import annotations

import ast
import re

import sympy as sp

from ..errors import ParseError
from . import atoms

__all__ = ["parse_expression", "FUNCTIONS", "CONSTANTS"]

_x = sp.Symbol("x", real=True)


def _hermite_he(k, x):
    """He_k(x), probabilists' Hermite polynomial (k a non-negative integer literal)."""
    if not (k.is_Integer and k >= 0):
        raise ParseError(str(k), "He(k, x) needs a non-negative integer k")
    return sp.hermite_prob(int(k), x)


_LEAKY_DEFAULT = sp.Rational(1, 100)


def _leaky(x, a=_LEAKY_DEFAULT):
    return sp.Max(x, 0) + a * sp.Min(x, 0)


#: name -> (callable building the SymPy expression, allowed numbers of arguments)
FUNCTIONS: dict[str, tuple] = {
    "sin": (sp.sin, (1,)),
    "cos": (sp.cos, (1,)),
    "tan": (sp.tan, (1,)),
    "sinh": (sp.sinh, (1,)),
    "cosh": (sp.cosh, (1,)),
    "tanh": (sp.tanh, (1,)),
    "exp": (sp.exp, (1,)),
    "log": (sp.log, (1,)),
    "sqrt": (sp.sqrt, (1,)),
    "abs": (sp.Abs, (1,)),
    "Abs": (sp.Abs, (1,)),
    "sign": (sp.sign, (1,)),
    "erf": (sp.erf, (1,)),
    "erfc": (lambda u: 2 * atoms.H(sp.sqrt(2) * u), (1,)),
    "atan": (sp.atan, (1,)),
    "arctan": (sp.atan, (1,)),
    "heaviside": (lambda u: sp.Heaviside(u, sp.Rational(1, 2)), (1,)),
    "Heaviside": (lambda u: sp.Heaviside(u, sp.Rational(1, 2)), (1,)),
    "max": (sp.Max, (2, 3, 4)),
    "Max": (sp.Max, (2, 3, 4)),
    "min": (sp.Min, (2, 3, 4)),
    "Min": (sp.Min, (2, 3, 4)),
    "relu": (lambda u: sp.Max(u, 0), (1,)),
    "sigmoid": (atoms.sigmoid, (1,)),
    "softplus": (atoms.softplus, (1,)),
    "Phi": (atoms.Phi, (1,)),
    "H": (atoms.H, (1,)),
    "phi": (atoms.phi, (1,)),
    "logPhi": (atoms.logPhi, (1,)),
    "Mills": (atoms.Mills, (1,)),
    "He": (_hermite_he, (2,)),
    "leaky_relu": (_leaky, (1, 2)),
}

CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "e": sp.E, "E": sp.E}

_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}

_MAX_LEN = 2000
_MAX_POW = 64


def parse_expression(
    text: str,
    variables: tuple[str, ...] | None = ("x",),
    *,
    symbol_pattern: str | None = None,
    stable: bool = True,
) -> sp.Expr:
    """Parse ``text`` into a SymPy expression without executing code.

    Parameters
    ----------
    text : the expression, e.g. ``"tanh(2*x) + 0.1*x^3"``
    variables : names allowed as (real) variables; ``None`` with ``symbol_pattern`` set allows
        every name matching the pattern (e.g. ``r"z\\d+"`` for multi-index targets)
    symbol_pattern : regular expression (full match) for extra allowed variable names
    stable : apply :func:`~theory.symbolic.atoms.stabilize` (exact rewrites into stable atoms)

    Returns
    -------
    sympy.Expr with real symbols.

    Raises
    ------
    ParseError : syntax error, unknown name or function, or a construct that is not arithmetic.

    Examples
    --------
    >>> parse_expression("max(x, 0)")
    Max(0, x)
    """
    if not isinstance(text, str):
        raise ParseError(repr(text), "expected a string")
    if len(text) > _MAX_LEN:
        raise ParseError(text[:40] + "...", f"longer than {_MAX_LEN} characters")
    allowed = set(variables or ())
    pattern = re.compile(symbol_pattern) if symbol_pattern else None
    try:
        # ``^`` is power in mathematics; Python would give it a lower precedence than ``+``
        tree = ast.parse(text.strip().replace("^", "**"), mode="eval")
    except SyntaxError as exc:
        raise ParseError(text, f"syntax error ({exc.msg})") from None

    def name_ok(n: str) -> bool:
        return n in allowed or (pattern is not None and pattern.fullmatch(n) is not None)

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ParseError(text, f"only numbers are allowed as constants, got {node.value!r}")
            if isinstance(node.value, int):
                return sp.Integer(node.value)
            return sp.Rational(repr(node.value)) if abs(node.value) < 1e15 else sp.Float(node.value)
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            if name_ok(node.id):
                return sp.Symbol(node.id, real=True)
            if node.id in FUNCTIONS:
                raise ParseError(text, f"{node.id!r} is a function: call it, e.g. {node.id}(x)")
            vars_txt = ", ".join(sorted(allowed)) or "none"
            raise ParseError(
                text,
                f"unknown name {node.id!r} (variables: {vars_txt}; constants: pi, e; "
                f"functions: {', '.join(sorted(FUNCTIONS))})",
            )
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = walk(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            a, b = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Pow) and b.is_number and abs(b) > _MAX_POW:
                raise ParseError(text, f"exponent {b} is larger than {_MAX_POW}")
            return _BINOPS[type(node.op)](a, b)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise ParseError(text, "only plain function calls like tanh(x) are allowed")
            fname = node.func.id
            if fname not in FUNCTIONS:
                raise ParseError(
                    text,
                    f"unknown function {fname!r} (allowed: {', '.join(sorted(FUNCTIONS))})",
                )
            if node.keywords:
                raise ParseError(text, f"keyword arguments are not allowed in {fname}(...)")
            fn, nargs = FUNCTIONS[fname]
            if len(node.args) not in nargs:
                raise ParseError(text, f"{fname} takes {' or '.join(map(str, nargs))} argument(s)")
            return fn(*[walk(a) for a in node.args])
        raise ParseError(text, f"{type(node).__name__} is not allowed (only arithmetic)")

    expr = walk(tree)
    if not isinstance(expr, sp.Expr):
        raise ParseError(text, "not an arithmetic expression")
    return atoms.stabilize(expr) if stable else expr
