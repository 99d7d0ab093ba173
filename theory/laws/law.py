r"""A scaling law :math:`\varepsilon(n)` that the library computes, and the registry of named laws.

A :class:`Law` is not a fitted curve: ``evaluate`` returns :math:`\varepsilon(x)` at the
caller's working precision (``mpmath.workdps``), so its local slopes
:math:`d\log\varepsilon/d\log x` can be formed exactly (:func:`theory.laws.exponent.verify_exponent`).

The registry maps a name to a *factory*: a callable taking keyword parameters (floats or
strings, as typed on the command line) and returning a :class:`Law`. ``theory exponent NAME
--in n [PARAM=VALUE ...]`` looks the name up here (:func:`get_law`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

from ..errors import InputError

__all__ = ["Law", "register_law", "get_law", "law_names", "LAWS"]


@dataclass
class Law:
    r"""A law :math:`\varepsilon(x)`, :math:`x\to\infty`, evaluated at any precision.

    Attributes
    ----------
    name : str
        A short name (``"hurwitz_tail"``); it labels results and tables.
    var : str
        The variable's name (``"n"``).
    evaluate : callable mpf -> mpf
        :math:`\varepsilon(x)`, evaluated under the caller's ``mpmath.workdps`` and returned
        at that precision (positive for x in the range examined).
    log_slope : callable mpf -> mpf, optional
        The exact local slope :math:`d\log\varepsilon/d\log x` (e.g. by implicit
        differentiation of a fixed point); None: differentiated numerically at the working
        precision (``mpmath.diff``) or symbolically from ``expression``.
    points : callable int -> mpf, optional
        A lattice :math:`x_j\to\infty` (j = 0, 1, ...) on which the slopes are taken, e.g. the
        transitions of a staircase law; None: a geometric sequence.
    expression : sympy.Expr, optional
        A closed form of :math:`\varepsilon` in the symbol named ``var``, if any.
    predicted : sympy.Expr, optional
        The exponent the theory predicts (derived by SymPy where possible).
    regime : str, optional
        Words naming the regime (``"feature learning"``, ``"refinement"``); default "".
    """

    name: str
    var: str
    evaluate: Callable[[Any], Any]
    log_slope: Callable[[Any], Any] | None = None
    points: Callable[[int], Any] | None = None
    expression: Any = None
    predicted: Any = None
    regime: str = ""


#: name -> (factory, one-line description)
LAWS: dict[str, tuple[Callable[..., Law], str]] = {}


def register_law(name: str, factory: Callable[..., Law], doc: str) -> Callable[..., Law]:
    """Register a law factory under ``name`` (for ``theory exponent NAME``).

    Parameters
    ----------
    name : str
        The registry name (an identifier).
    factory : callable
        Takes keyword parameters (floats or strings as typed, e.g. ``beta=1.5``) and returns a
        :class:`Law`; raises :class:`~theory.errors.InputError` on a bad parameter.
    doc : str
        One line describing the law and its parameters.

    Returns
    -------
    callable
        ``factory`` (so that the call can decorate it).

    Raises
    ------
    InputError
        If ``name`` is not an identifier or is registered already with another factory.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise InputError("name", name, "an identifier (letters, digits, underscores)")
    old = LAWS.get(name)
    if old is not None and old[0] is not factory and (
            getattr(old[0], "__qualname__", None) != getattr(factory, "__qualname__", None)
            or getattr(old[0], "__module__", None) != getattr(factory, "__module__", None)):
        raise InputError("name", name, "a name not registered yet (it names another law)")
    LAWS[name] = (factory, doc)
    return factory


def _load_builtin() -> None:
    """Import the modules that register laws (those present on this branch)."""
    import importlib

    for mod in ("theory.laws.sequential", "theory.laws.hierarchical", "theory.laws.classic"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise


def law_names() -> list[str]:
    """The registered law names, sorted.

    Returns
    -------
    list of str
        Every name :func:`get_law` accepts.
    """
    _load_builtin()
    return sorted(LAWS)


def get_law(name: str, **params) -> Law:
    """Build the registered law ``name`` with ``params``.

    Parameters
    ----------
    name : str
        A registered name (:func:`law_names`).
    **params : float or str
        The factory's keyword parameters.

    Returns
    -------
    Law
        The law.

    Raises
    ------
    InputError
        An unknown name, or a parameter the factory refuses.
    """
    _load_builtin()
    if name not in LAWS:
        raise InputError("law", name, "a registered law (" + ", ".join(sorted(LAWS)) +
                         ") or an expression in the variable")
    factory = LAWS[name][0]
    try:
        return factory(**params)
    except TypeError as exc:
        raise InputError("parameters", params, f"the parameters of law {name!r}",
                         hint=str(exc)) from None


def _number(name: str, v, *, lo=None, hi=None):
    """A keyword parameter of a law factory as an mpf (decimal text read exactly)."""
    import mpmath

    try:
        x = mpmath.mpf(v.strip()) if isinstance(v, str) else mpmath.mpf(v)
    except (TypeError, ValueError):
        raise InputError(name, v, "a real number") from None
    if not mpmath.isfinite(x) or (lo is not None and not x > lo) or (hi is not None and
                                                                    not x < hi):
        raise InputError(name, v, "a finite real number" + (f" > {lo}" if lo is not None else "")
                         + (f" < {hi}" if hi is not None else ""))
    return x


def hurwitz_tail(b=1.5) -> Law:
    r"""The tail :math:`\sum_{k\ge 0}(n + k)^{-2b} = \zeta(2b, n)` (Hurwitz zeta), a law with
    exponent :math:`1 - 2b` (:math:`\zeta(s, n)\sim n^{1-s}/(s-1)`, Euler--Maclaurin; DLMF
    25.11.43) and the exact local slope :math:`-2b\,n\,\zeta(2b+1, n)/\zeta(2b, n)`
    (:math:`\partial_n\zeta(s, n) = -s\,\zeta(s+1, n)`, DLMF 25.11.17).

    Parameters
    ----------
    b : float or str, default 1.5
        Half the power, b > 1/2.

    Returns
    -------
    Law
        ``name="hurwitz_tail"``, ``var="n"``, ``predicted = 1 - 2b``.

    Raises
    ------
    InputError
        If b <= 1/2.
    """
    import mpmath
    import sympy as sp

    bb = _number("b", b, lo=0.5)
    text = b.strip() if isinstance(b, str) else repr(float(b))

    def evaluate(n):
        return mpmath.zeta(2 * mpmath.mpf(text), n)

    def log_slope(n):
        s = 2 * mpmath.mpf(text)
        return -s * n * mpmath.zeta(s + 1, n) / mpmath.zeta(s, n)

    del bb
    return Law(name="hurwitz_tail", var="n", evaluate=evaluate, log_slope=log_slope,
               predicted=1 - 2 * sp.Rational(text), regime="Euler-Maclaurin tail")


register_law("hurwitz_tail", hurwitz_tail, "zeta(2b, n) = sum_k (n + k)^(-2b), exponent 1 - 2b "
             "(parameter b > 1/2)")
