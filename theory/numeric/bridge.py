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
Inside :func:`source_store` (what :func:`theory.numeric.system.compile_system` opens) the
generated NumPy source of each function is also looked up in, and recorded into, the on-disk
cache of :mod:`theory.numeric.diskcache`, so a fresh process executes stored source instead of
running ``stabilize`` + CSE + the printer again. :data:`STATS` counts both.
"""

from __future__ import annotations

import builtins
import importlib
import linecache
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp

from ..symbolic.atoms import stabilize

__all__ = ["numpy_function", "mpmath_function", "source_store", "STATS"]

#: counters: ``lambdify`` runs (NumPy and mpmath) and NumPy functions built from the disk cache
STATS = {"lambdify": 0, "disk_hits": 0}
#: the active disk-cache session (:class:`theory.numeric.diskcache.Session`) or None
_STORE = None
#: modules searched (in order) for a global name of generated code that the base namespace
#: of lambdify does not hold
_MODULES = ("numpy", "scipy.special", "scipy", "math")
_BASE: dict | None = None


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
    store = _global_store() if backend == "numpy" and _STORE is None else None
    if store is None:
        return _lambdify(expr, args, backend)
    key = store.entry_key(expr, args)
    rec = store.get(key)
    if rec is not None:
        f = _from_record(rec, expr)
        if f is not None:
            STATS["disk_hits"] += 1
            f._theory_source = rec
            return f
    f = _lambdify(expr, args, backend)
    got = getattr(f, "_theory_source", None)
    if got is not None:
        store.put(key, got)
    return f


_GLOBAL: list = []  # [Session or None] once opened


def _global_store():
    """The process-wide disk store for functions compiled outside :func:`compile_system`
    (named numeric functions, Hermite integrands, ...): read once, merged back at exit."""
    if not _GLOBAL:
        from . import diskcache

        _GLOBAL.append(diskcache.open_global())
    return _GLOBAL[0]


def _lambdify(expr: sp.Expr, args: tuple, backend: str):
    expr = stabilize(expr, quotients=True)  # also phi^2/Phi -> phi * logPhi1 (no 0/0)
    ns = _namespace(expr, backend)
    modules = [ns, "scipy", "numpy"] if backend == "numpy" else [ns, "mpmath"]
    f = sp.lambdify(args, expr, modules=modules, cse=True)
    STATS["lambdify"] += 1
    const = backend == "numpy" and not (expr.free_symbols & set(args)) \
        and not expr.atoms(sp.Function)
    record = _record(f, ns, const) if backend == "numpy" else None
    if const:
        f = _constant(f, len(args))
    if record is not None:
        f._theory_source = record
    return f


def _constant(f, n: int):
    const = f(*([0.0] * n))

    def f_const(*a, _c=const):  # constants must broadcast like the arguments
        return np.full(np.broadcast(*a).shape, _c, dtype=float) if a else _c

    return f_const


def _base_namespace() -> dict:
    """The namespace lambdify gives NumPy/SciPy code (before any expression-specific name)."""
    global _BASE
    if _BASE is None:
        g = sp.lambdify([], sp.Integer(0), modules=["scipy", "numpy"])
        _BASE = dict(g.__globals__)
    return _BASE


def _code_names(code) -> set:
    names = set(code.co_names)
    for c in code.co_consts:
        if hasattr(c, "co_names"):
            names |= _code_names(c)
    return names


def _locate(name: str, obj):
    """(module, attribute) holding ``obj`` under a stable import path, else None."""
    qual = getattr(obj, "__qualname__", None)
    mod = getattr(obj, "__module__", None)
    if isinstance(mod, str) and isinstance(qual, str) and "<" not in qual and "." not in qual:
        try:
            if getattr(importlib.import_module(mod), qual) is obj:
                return [mod, qual]
        except (ImportError, AttributeError):
            pass
    for m in _MODULES:
        try:
            if getattr(importlib.import_module(m), name, None) is obj:
                return [m, name]
        except ImportError:  # pragma: no cover
            continue
    return None


def _record(f, ns: dict, const: bool) -> dict | None:
    """Source text of a lambdified function and how to rebuild its globals (None if it
    uses a global that cannot be found again by module and name)."""
    src = "".join(linecache.getlines(f.__code__.co_filename))
    if not src:
        return None
    base = _base_namespace()
    glob: dict = {}
    for name in sorted(_code_names(f.__code__)):
        if name not in f.__globals__ or name in ("builtins", "range"):
            continue
        obj = f.__globals__[name]
        if name in ns:  # a numeric implementation of a named function of the expression
            glob[name] = ["ns", _locate(name, obj)]
        elif base.get(name) is obj:
            glob[name] = ["base"]
        else:
            where = _locate(name, obj)
            if where is None:
                return None
            glob[name] = ["module", where]
    return {"source": src, "globals": glob, "const": bool(const), "nargs": f.__code__.co_argcount}


def _from_record(rec: dict, expr: sp.Expr):
    """Rebuild a function from a stored record (None if a global cannot be resolved)."""
    try:
        base = _base_namespace()
        own = None
        namespace = {"builtins": builtins, "range": range}
        for name, how in rec["globals"].items():
            if how[0] == "base":
                namespace[name] = base[name]
            elif how[0] == "module":
                namespace[name] = getattr(importlib.import_module(how[1][0]), how[1][1])
            else:  # "ns": from the expression itself, else by module and name
                if own is None:
                    own = _namespace(expr, "numpy")
                if name in own:
                    namespace[name] = own[name]
                elif how[1] is not None:
                    namespace[name] = getattr(importlib.import_module(how[1][0]), how[1][1])
                else:
                    return None
        code = compile(rec["source"], "<theory-cached>", "exec")
        local: dict = {}
        exec(code, namespace, local)  # source text written by this module (no pickle)
        f = local["_lambdifygenerated"]
    except Exception:  # any mismatch: rebuild with lambdify
        return None
    return _constant(f, int(rec["nargs"])) if rec.get("const") else f


@contextmanager
def source_store(store) -> Iterator[None]:
    """Within the block, NumPy compilations read and record generated source in ``store``.

    Parameters
    ----------
    store : theory.numeric.diskcache.Session or None
        The disk-cache session of the system being compiled; None does nothing.

    Yields
    ------
    None
        Control returns to the block; the previous store is restored after it.
    """
    global _STORE
    prev, _STORE = _STORE, store
    try:
        yield
    finally:
        _STORE = prev


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
    args = tuple(args)
    store = _STORE
    if store is None:
        return _compile(expr, args, "numpy")
    key = store.entry_key(expr, args)
    rec = store.get(key)
    f = None
    if rec is not None:  # rebuilt with the globals of THIS expression (its named functions)
        f = _from_record(rec, expr)
        if f is not None:
            STATS["disk_hits"] += 1
            f._theory_source = rec
    if f is None:
        f = _compile(expr, args, "numpy")
    if rec is None:
        got = getattr(f, "_theory_source", None)
        if got is not None:
            store.put(key, got)
    return f


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
