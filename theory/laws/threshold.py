r"""Thresholds of models, saddle-point systems, expressions and callables, to many digits.

A threshold is the value :math:`p^\star` of one parameter at which

* ``"crossing"`` -- an observable :math:`O(x(p), p)` of the fixed point crosses a value;
* ``"stability"`` -- the fixed point :math:`x = F(x; p)` followed from ``init`` loses
  stability: an eigenvalue of the Jacobian :math:`J = \partial F/\partial x` crosses 1
  (:math:`\det(I - J) = 0`; for one order parameter :math:`F'(x) = 1`);
* ``"jump"`` -- the branch followed from ``init`` disappears (a saddle-node: the fixed point
  and :math:`\det(I - J) = 0` hold together) and the iteration jumps to another branch;
* ``"zero"`` -- a closed form (a SymPy expression or an mpmath callable) vanishes.

How (:func:`find_threshold`):

1. **float64 bracket.** The parameter is scanned on ``points`` values of ``bracket``; at each
   one the fixed point is solved in float64 by :func:`theory.models.base.solve` (warm-started
   from the previous point) and the defining function is evaluated (the observable minus the
   value; :math:`\det(I - J)` with :math:`J` by second-order one-sided differences of the
   float64 map at a fixed quadrature level; for ``"jump"`` the step at which the followed state
   jumps or stops converging). No sign change (no jump) in the bracket is an
   :class:`~theory.errors.InputError`. The sign change is narrowed by ``scipy.optimize.brentq``
   (a jump by bisection following the branch), and for ``"jump"`` a float64 Newton step on the
   joint system below gives the start.
2. **mpmath refinement, jointly.** The unknowns are the order parameters and the parameter,
   :math:`z = (x, p)`; the equations are the state equations :math:`x - F(x; p) = 0` plus the
   threshold condition (:math:`O - v`, or :math:`\det(I - J)`), solved by ``mpmath.findroot``
   (``MDNewton``; its Jacobian is a forward difference at the start, kept fixed: a chord
   iteration whose ratio is the difference's error, ~``10^{-dps/2}``). The map is the model's
   own mpmath map (:meth:`theory.numeric.system.CompiledSystem.map_mp`: Gaussian integrals by
   ``mpmath.quad`` or split-Gauss tensor rules at the requested digits); :math:`J` inside the
   equations is a fourth-order one-sided difference with step :math:`h = 10^{-(d/4+2)}` of the
   map evaluated at :math:`d + d/4 + 8` digits (truncation :math:`O(h^4)`, rounding
   :math:`10^{-(d + d/4 + 8)}/h`, both below :math:`10^{-d}`).
3. **certified digits.** Step 2 runs at ``dps`` and at ``dps + 10`` digits, each from the
   float64 start; the error is their difference plus :math:`10^{-\rm dps}|p^\star|`, and the
   certified digits are those on which they agree. Where the model's mpmath map cannot be
   evaluated (its quadrature does not reach the digits, :class:`~theory.errors.IntegrationError`)
   or ``dps=None``, the joint system is solved by Newton's method in float64 at two quadrature
   node levels instead, and the digits are those on which the two levels agree (the result
   says so in ``method`` and ``message``).

This is not bisection of a float solver: bisection in float64 only brackets; the value comes
from Newton's method on the defining equations at the working precision (Seydel, *Practical
Bifurcation and Stability Analysis*, 3rd ed., Springer 2010, Sec. 5.5: the extended systems
for turning points and the direct method).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np

from ..errors import ConvergenceError, InputError, IntegrationError, check_int

__all__ = ["ThresholdResult", "find_threshold", "KINDS"]

#: the kinds of threshold (module docstring)
KINDS = ("crossing", "stability", "jump", "zero")


@dataclass
class ThresholdResult:
    """A threshold and how well it is known.

    Attributes
    ----------
    value : mpmath.mpf or float
        The threshold value of the varied parameter (mpf at ``dps`` digits; a float when the
        refinement ran in float64).
    error : float
        Error bound: the two precisions' (or the two node levels') difference plus the
        rounding of ``value``.
    digits : int
        Certified significant decimal digits (on which the two computations agree).
    bracket : (float, float)
        The float64 bracket of the sign change (or of the jump).
    seconds : float
        Wall time of the whole call.
    kind : str
        One of :data:`KINDS`.
    vary : str
        The varied parameter.
    state : dict {str: mpf or float}
        The order parameters at the threshold (empty for an expression or a callable).
    float64 : float
        The float64 estimate from the bracket (brentq or bisection), for comparison.
    method : str
        ``"mpmath findroot (joint)"``, ``"mpmath findroot"`` (no state) or
        ``"float64 Newton (joint)"``.
    dps : int or None
        The working digits of ``value`` (None: float64).
    message : str
        What was done, and why a fallback was taken.
    """

    value: Any
    error: float
    digits: int
    bracket: tuple
    seconds: float = 0.0
    kind: str = "crossing"
    vary: str = ""
    state: dict = field(default_factory=dict)
    float64: float = math.nan
    method: str = ""
    dps: int | None = None
    message: str = ""

    def to_dict(self) -> dict:
        """JSON-ready: numbers at their digits as strings (mpf) or floats.

        Returns
        -------
        dict
            Every attribute; ``value`` and the state as decimal strings of ``dps`` digits.
        """
        def num(v):
            if isinstance(v, mpmath.mpf):
                return mpmath.nstr(v, self.dps or 17, strip_zeros=False)
            return float(v)

        return {"value": num(self.value), "error": float(self.error), "digits": self.digits,
                "bracket": [float(b) for b in self.bracket], "seconds": self.seconds,
                "kind": self.kind, "vary": self.vary,
                "state": {k: num(v) for k, v in self.state.items()},
                "float64": float(self.float64), "method": self.method, "dps": self.dps,
                "message": self.message}

    def __str__(self) -> str:
        v = mpmath.nstr(self.value, max(self.digits, 1) + 1) if isinstance(
            self.value, mpmath.mpf) else repr(float(self.value))
        lines = [f"{self.kind} threshold  {self.vary} = {v}",
                 f"  certified digits    {self.digits}  (error {self.error:.2g})",
                 f"  float64 bracket     [{self.bracket[0]!r}, {self.bracket[1]!r}]",
                 f"  float64 estimate    {self.float64!r}",
                 f"  method              {self.method}" + (f" at {self.dps} digits"
                                                          if self.dps else ""),
                 f"  seconds             {self.seconds:.2f}"]
        for k, s in self.state.items():
            lines.append(f"  {k:<19} {mpmath.nstr(s, 20) if isinstance(s, mpmath.mpf) else s}")
        if self.message:
            lines.append(f"  note                {self.message}")
        return "\n".join(lines)


# ---------------------------------------------------------------- targets
class _Scalar:
    """An expression or callable g(p): the threshold is g(p) = value."""

    n = 0
    names: tuple = ()

    def __init__(self, f_mp, label: str):
        self.f_mp = f_mp
        self.label = label

    def g_float(self, p: float) -> float:
        with mpmath.workdps(17):
            return float(self.f_mp(mpmath.mpf(p)))

    def equations(self, z, dps: int):
        return [self.f_mp(z[0])]


def _scalar_target(target, vary: str, params: dict, value):
    import sympy as sp

    if isinstance(target, sp.Expr):
        syms = {str(s): s for s in target.free_symbols}
        if vary not in syms:
            raise InputError("vary", vary, f"a symbol of the expression ({', '.join(sorted(syms))})")
        other = set(syms) - {vary} - set(params)
        if other:
            raise InputError("params", params, "a value for every other symbol of the "
                             "expression", hint=f"missing {sorted(other)}")
        from ..numeric.bridge import mpmath_function

        rest = [syms[k] for k in sorted(set(syms) - {vary})]
        f = mpmath_function(target, (syms[vary], *rest))

        def f_mp(p):
            vals = [mpmath.mpf(str(params[str(s)])) if isinstance(params[str(s)], str)
                    else mpmath.mpf(params[str(s)]) for s in rest]
            return f(p, *vals) - _mpv(value)

        return _Scalar(f_mp, str(target))
    if callable(target):
        if params:
            raise InputError("params", params, "empty for a callable target (bind them "
                             "yourself, e.g. with functools.partial)")
        return _Scalar(lambda p: target(p) - _mpv(value), getattr(target, "__name__", "f"))
    raise InputError("target", type(target).__name__, "a model name, Model, SaddlePointSystem, "
                     "SymPy expression or callable")


def _mpv(v):
    return mpmath.mpf(v.strip()) if isinstance(v, str) else mpmath.mpf(v)


class _ModelTarget:
    """A model's fixed point x = F(x; p) and the threshold condition of ``kind``."""

    def __init__(self, target, vary, params, kind, observable, value, init, mid=None):
        from ..models import base
        from ..numeric.system import compile_system

        self.model = base._as_model(target, init)
        self.kind, self.observable, self.value = kind, observable, value
        self.vary = vary
        self.params = dict(params)
        names = [f.name for f in dataclasses.fields(self.model.Params)]
        if vary in self.params:
            raise InputError("params", self.params, f"the other parameters ({vary} is varied)")
        if vary in names and mid is not None:
            self.p0 = base.make_params(self.model, {**self.params, vary: mid})
        else:
            self.p0 = base.make_params(self.model, self.params)
        self.system = self.model.system(self.p0)
        self.cs = compile_system(self.system)
        sn = list(self.system.state_names)
        self.held = None  # index of an order parameter held at the varied value
        if vary in sn:
            if len(sn) > 1:
                raise InputError("vary", vary, "a parameter of the model, or its only order "
                                 "parameter (then held at the varied value)")
            self.held = sn.index(vary)
            if kind in ("stability", "jump"):
                raise InputError("vary", vary, f"a parameter of the model for kind={kind!r}")
        elif vary not in names or vary not in self.system.parameter_names:
            raise InputError("vary", vary, "a parameter of the model passed to its system "
                             f"unchanged: one of {sorted(set(names) & set(self.system.parameter_names))}"
                             f" or the order parameter of a one-state system")
        self.names = tuple(n for n in sn if n != vary)
        self.n = len(self.names)
        if init is not None:
            base.check_init(self.system, init)
        self.init = dict(init) if init is not None else None
        self.level = min(self.model.default_level + 1, max(self.cs.max_level, 0))
        if kind == "crossing":
            self._check_observable()

    # -------------------------------------------------------------- helpers
    def _check_observable(self):
        have = self._quantities()
        if self.observable not in have:
            raise InputError("observable", self.observable, "an observable, step or order "
                             f"parameter of the system: one of {sorted(have)}")

    def _quantities(self) -> list:
        return (list(self.system.observables) + [str(s) for s, _ in self.system.steps]
                + list(self.system.state_names))

    def _p(self, v):
        from ..models import base

        if self.held is not None:
            return self.p0
        return base.make_params(self.model, {**self.params, self.vary: float(v)})

    def _pv_float(self, p, v):
        from ..models import base

        vals = self.model.values(p)
        pv = base._pvals(self.system, vals)
        if self.held is None:
            i = self.system.parameter_names.index(self.vary)
            if not math.isclose(float(pv[i]), float(v), rel_tol=1e-15, abs_tol=0):
                raise InputError("vary", self.vary, "a parameter the model passes to its "
                                 "system unchanged")
        if self.model.system(p) is not self.system:
            raise InputError("bracket", self.vary, "a range in which the model keeps one "
                             "system (it switches system inside the bracket)")
        return pv

    def _full_state(self, x, v):
        x = list(x)
        if self.held is not None:
            x.insert(self.held, v)
        return x

    # -------------------------------------------------------------- float64
    def solve_float(self, v, start):
        """The fixed point at p = v from ``start`` (float64), or None if not converged."""
        from ..models import base

        p = self._p(v)
        pv = self._pv_float(p, v)
        if self.n == 0:
            return np.array([]), pv
        init = dict(zip(self.names, start)) if start is not None else self.init
        try:
            res = base.solve(self.model, init=init, starts=False, tol=1e-9, progress=False,
                             _params=p)
        except ConvergenceError:
            return None, pv
        if not res.converged:
            return None, pv
        return np.array([float(res.state[k]) for k in self.names]), pv

    def F_float(self, x, pv, v, level):
        return np.asarray(self.cs.map(self._full_state(x, v), pv, level), dtype=float)

    def jac_float(self, x, pv, v, level):
        n = self.n
        J = np.empty((n, n))
        f0 = self.F_float(x, pv, v, level)
        for j in range(n):
            h = 1e-5 * max(1.0, abs(x[j]))
            e = np.zeros(n)
            e[j] = h
            f1 = self.F_float(x + e, pv, v, level)
            f2 = self.F_float(x + 2 * e, pv, v, level)
            J[:, j] = (-3 * f0 + 4 * f1 - f2) / (2 * h)
        return J, f0

    def condition_float(self, x, pv, v, level) -> float:
        if self.kind in ("stability", "jump"):
            J, _ = self.jac_float(x, pv, v, level)
            return float(np.linalg.det(np.eye(self.n) - J))
        return self._quantity_float(x, pv, v, level) - float(self.value)

    def _quantity_float(self, x, pv, v, level) -> float:
        st = self._full_state(x, v)
        name = self.observable
        if name in self.system.state_names:
            return float(st[list(self.system.state_names).index(name)])
        if name in self.system.observables:
            return float(self.cs.observables(st, pv, level)[name])
        return float(self.cs.assigned(st, pv, level)[name])

    def equations_float(self, z, level):
        x, v = np.asarray(z[:-1], dtype=float), float(z[-1])
        pv = self._pv_float(self._p(v), v)
        eq = list(x - self.F_float(x, pv, v, level)) if self.n else []
        return np.array(eq + [self.condition_float(x, pv, v, level)])

    # -------------------------------------------------------------- mpmath
    def pv_mp(self, v):
        from ..models import base

        p = self._p(float(v))
        exact = base._exact_inputs(self.model, self.params)
        pm = base._params_mp(p, exact)
        vals = self.model.values_mp(pm, mpmath.mp.dps) if hasattr(self.model, "values_mp") \
            else self.model.values(pm)
        pv = [mpmath.mpf(w) if not isinstance(w, str) else mpmath.mpf(w)
              for w in base._pvals(self.system, vals)]
        if self.held is None:
            pv[self.system.parameter_names.index(self.vary)] = v
        return pv

    def equations(self, z, dps: int):
        """The joint equations at z = (x, p), evaluated at ``dps`` digits."""
        x, v = list(z[:-1]), z[-1]
        pv = self.pv_mp(v)
        st = self._full_state(x, v)
        out = []
        if self.kind in ("stability", "jump"):
            # second-order one-sided differences (the state may sit on the boundary of the
            # map's domain, q = 0): truncation h^2 |F'''|/3 ~ 10^-(dps+6), rounding
            # 3 * 10^-d2 / h ~ 10^-(dps+5)
            d2 = dps + dps // 2 + 8
            with mpmath.workdps(d2 + 5):
                st2 = [+s for s in st]
                pv2 = [+w for w in pv]
                f0 = self.cs.map_mp(st2, pv2, d2)
                J = mpmath.matrix(self.n, self.n)
                for j in range(self.n):
                    k = list(self.system.state_names).index(self.names[j])
                    h = mpmath.mpf(10) ** (-(dps // 2 + 3)) * max(1, abs(x[j]))
                    cols = [f0]
                    for m in (1, 2):
                        xs = list(st2)
                        xs[k] += m * h
                        cols.append(self.cs.map_mp(xs, pv2, d2))
                    for i in range(self.n):
                        J[i, j] = (-3 * cols[0][i] + 4 * cols[1][i] - cols[2][i]) / (2 * h)
                cond = mpmath.det(mpmath.eye(self.n) - J)
            out = [x[i] - f0[i] for i in range(self.n)] + [cond]
        else:
            fx = self.cs.map_mp(st, pv, dps + 5) if self.n else []
            out = [x[i] - fx[i] for i in range(self.n)]
            out.append(self._quantity_mp(st, pv, dps + 5) - _mpv(self.value))
        return [+w for w in out]

    def _quantity_mp(self, st, pv, dps):
        name = self.observable
        if name in self.system.state_names:
            return st[list(self.system.state_names).index(name)]
        if name in self.system.observables:
            return self.cs.observables_mp(st, pv, dps)[name]
        vals = self.cs._run_mp(st, pv, dps, self.cs.n_steps)
        n0 = len(self.cs.params) + len(self.cs.state)
        steps = {str(s): w for (s, *_), w in zip(self.cs._steps, vals[n0:])}
        return steps[name]


# ---------------------------------------------------------------- the finder
def find_threshold(target, *, vary: str, bracket, kind: str = "crossing",
                   observable: str | None = None, value: float | str = 0.0,
                   dps: int | None = 30, params: dict | None = None, init: dict | None = None,
                   points: int = 21) -> ThresholdResult:
    r"""Find a threshold: bracket it in float64, refine it jointly with the fixed point in
    mpmath, certify its digits (module docstring).

    Parameters
    ----------
    target : str, Model, SaddlePointSystem, sympy.Expr or callable
        A registered model name (``theory models``), a Model class or instance (e.g. from
        :meth:`theory.models.base.Model.from_system`), a bare
        :class:`~theory.symbolic.system.SaddlePointSystem` (give ``init``), a SymPy expression
        in the symbol named ``vary``, or a callable ``f(p) -> mpf`` evaluated under the
        caller's ``mpmath.workdps`` (kinds ``"zero"`` and ``"crossing"`` only for the last two).
    vary : str
        The parameter varied: a model parameter that its system receives unchanged, or the
        only order parameter of a one-state system (it is then held at the varied value and
        ``observable`` is evaluated there, e.g. the Gardner capacity as the ``alpha_c`` at
        which the limit equation's :math:`\hat qV^2` crosses 1).
    bracket : (float, float)
        The float64 interval scanned, ``lo < hi``.
    kind : {"crossing", "stability", "jump", "zero"}, default "crossing"
        The defining condition (module docstring). For a model, "zero" is a crossing of 0.
    observable : str, optional
        For "crossing" on a model: an observable, a step (conjugate) or an order parameter of
        the system.
    value : float or str, default 0
        The value crossed (decimal text is read exactly at ``dps`` digits).
    dps : int or None, default 30
        Digits of the mpmath refinement (in [15, 1000]); None: float64 refinement only.
    params : dict {str: float or str}, optional
        The model's other parameters (or the expression's other symbols).
    init : dict {str: float}, optional
        The start of the fixed point followed (a branch: ``{"q": 0.0}`` for the uninformative
        fixed point); default: the model's starts.
    points : int, default 21
        Number of float64 scan points in ``bracket`` (an integer in [3, 10000]).

    Returns
    -------
    ThresholdResult
        The value, its error bound and certified digits, the float64 bracket and estimate,
        the state at the threshold, the method used and the seconds taken.

    Raises
    ------
    InputError
        An unknown kind or target; ``vary`` not a parameter; a bracket that is not an
        increasing pair of finite numbers, or with no sign change (no jump for "jump") of the
        defining function, whose values at the ends are given; ``dps`` outside [15, 1000].
    ConvergenceError
        When the joint refinement does not converge at either precision.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> r = find_threshold(x**2 - 2, vary="x", bracket=(1, 2), kind="zero", dps=30)
    >>> r.digits >= 30, mpmath.nstr(r.value, 20)
    (True, '1.4142135623730950488')
    """
    t0 = time.perf_counter()
    if kind not in KINDS:
        raise InputError("kind", kind, f"one of {KINDS}")
    if dps is not None:
        dps = check_int("dps", dps, 15, 1000)
    points = check_int("points", points, 3, 10000)
    try:
        lo, hi = (float(b) for b in bracket)
    except (TypeError, ValueError):
        raise InputError("bracket", bracket, "a pair (lo, hi) of finite numbers") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise InputError("bracket", bracket, "a pair (lo, hi) of finite numbers with lo < hi")
    params = dict(params or {})
    if kind == "crossing" and observable is None and not _is_scalar(target):
        raise InputError("observable", None, "the name of the observable that crosses "
                         "value (kind='crossing')")
    if _is_scalar(target):
        if kind in ("stability", "jump"):
            raise InputError("kind", kind, "'zero' or 'crossing' for an expression or a "
                             "callable (stability and jump need a model's fixed point)")
        tg: Any = _scalar_target(target, vary, params, value if kind == "crossing" else 0)
    else:
        if kind == "zero":
            kind, value = "crossing", 0.0
            if observable is None:
                raise InputError("observable", None, "the observable that vanishes")
        tg = _ModelTarget(target, vary, params, kind, observable, value, init, 0.5 * (lo + hi))
    what = _what(kind, observable, value)
    if kind == "jump":
        (a, b), x_lo, f64 = _bracket_jump(tg, lo, hi, points, what)
        z0 = _newton_float(tg, list(x_lo) + [0.5 * (a + b)], tg.level)
    else:
        (a, b), x_a, f64 = _bracket_sign(tg, lo, hi, points, what)
        z0 = list(x_a) + [f64]
    if tg.n and kind != "jump":  # the state at the float64 estimate
        x_f, _ = tg.solve_float(f64, list(x_a))
        if x_f is not None:
            z0 = list(x_f) + [f64]
    message = ""
    res = None
    if dps is not None:
        try:
            res = _refine_mp(tg, z0, dps, f64)
        except IntegrationError as exc:
            message = (f"the mpmath map cannot be evaluated at {dps} digits ({_short(exc)}): "
                       "float64 refinement instead")
    if res is None:
        if isinstance(tg, _Scalar):
            raise ConvergenceError(f"{what}: mpmath refinement failed", math.nan, 0.0)
        res = _refine_float(tg, z0)
    value_, err, digits, state, method, rdps = res
    return ThresholdResult(value=value_, error=err, digits=digits, bracket=(a, b),
                           seconds=time.perf_counter() - t0, kind=kind, vary=vary,
                           state=state, float64=f64, method=method, dps=rdps,
                           message=message or f"the root of {what}")


def _short(exc) -> str:
    s = " ".join(str(exc).split())
    return s if len(s) < 160 else s[:157] + "..."


def _is_scalar(target) -> bool:
    import sympy as sp

    from ..symbolic.system import SaddlePointSystem

    if isinstance(target, (str, SaddlePointSystem)):
        return False
    if isinstance(target, sp.Expr):
        return True
    if isinstance(target, type):
        return False
    from ..models.base import Model

    return callable(target) and not isinstance(target, Model)


def _what(kind, observable, value) -> str:
    if kind == "crossing":
        return f"{observable or 'the expression'} - {value}"
    if kind == "zero":
        return "the expression"
    if kind == "stability":
        return "det(I - J) of the followed fixed point"
    return "the followed branch"


def _bracket_sign(tg, lo, hi, points, what):
    """Scan, find the first sign change, narrow it with brentq (float64)."""
    from scipy.optimize import brentq

    grid = np.linspace(lo, hi, points)
    vals, states = [], []
    x = None
    for v in grid:
        if tg.n:
            x, pv = tg.solve_float(v, None if x is None else list(x))
            if x is None:
                vals.append(math.nan)
                states.append(None)
                x = None
                continue
            g = tg.condition_float(x, pv, v, tg.level)
        else:
            g = tg.g_float(v) if isinstance(tg, _Scalar) else tg.condition_float(
                np.array([]), tg._pv_float(tg._p(v), v), v, tg.level)
        vals.append(g)
        states.append(x)
    for i in range(points - 1):
        ga, gb = vals[i], vals[i + 1]
        if math.isfinite(ga) and math.isfinite(gb) and (ga == 0 or ga * gb < 0):
            a, b = float(grid[i]), float(grid[i + 1])
            xa = states[i] if states[i] is not None else np.array([])

            def g(v, xa=xa, a=a, b=b):
                if tg.n:
                    xv, pv = tg.solve_float(v, list(xa))
                    if xv is None:
                        raise InputError("bracket", (a, b), "a bracket where the followed "
                                         "fixed point converges in float64")
                    return tg.condition_float(xv, pv, v, tg.level)
                if isinstance(tg, _Scalar):
                    return tg.g_float(v)
                return tg.condition_float(np.array([]), tg._pv_float(tg._p(v), v), v, tg.level)

            root = a if ga == 0 else brentq(g, a, b, xtol=1e-14, rtol=1e-15)
            return (a, b), xa, float(root)
    shown = ", ".join(f"{v:.4g}" for v in (vals[0], vals[-1]))
    raise InputError("bracket", (lo, hi), f"an interval in which {what} changes sign",
                     hint=f"its values at the ends are {shown}; no sign change on "
                     f"{points} scan points")


def _bracket_jump(tg, lo, hi, points, what):
    """Follow the branch from ``init`` across the bracket; a step whose change of state does
    not shrink under bisection (or where the followed solve stops converging) is a jump."""
    grid = np.linspace(lo, hi, points)
    prev = None
    for i, v in enumerate(grid):
        x, _ = tg.solve_float(v, None if prev is None else list(prev))
        if i == 0 and x is None:
            raise InputError("bracket", (lo, hi), "a bracket whose left end has a fixed point "
                             "(the branch to follow)")
        if prev is not None and (x is None or _jumped(prev, x)):
            found = _bisect_jump(tg, float(grid[i - 1]), float(v), prev, x)
            if found is not None:
                return found
        if x is None:
            break
        prev = x
    raise InputError("bracket", (lo, hi), f"an interval in which {what} jumps (changes "
                     "branch)", hint=f"the fixed point followed from init moves continuously "
                     f"over {points} scan points")


def _bisect_jump(tg, a, b, xa, xb):
    """Bisect towards the discontinuity: keep the half with the larger change of state."""
    for _ in range(60):
        if b - a <= 1e-5 * max(1.0, abs(a)):
            break
        m = 0.5 * (a + b)
        xm, _ = tg.solve_float(m, list(xa))
        left = np.inf if xm is None else float(np.max(np.abs(xm - xa)))
        right = np.inf if xb is None or xm is None else float(np.max(np.abs(xb - xm)))
        if xm is None or left >= right:
            b, xb = m, xm
        else:
            a, xa = m, xm
    if xb is None or _jumped(xa, xb, 1e-3):
        return (a, b), xa, 0.5 * (a + b)
    return None  # a continuous change


def _jumped(x0, x1, frac: float = 0.05) -> bool:
    return bool(np.max(np.abs(x1 - x0)) > frac * max(1.0, float(np.max(np.abs(x0)))))


def _newton_float(tg, z0, level, steps: int = 30):
    """Newton's method in float64 on the joint equations (forward-difference Jacobian)."""
    z = np.array(z0, dtype=float)
    g = tg.equations_float(z, level)
    for _ in range(steps):
        m = z.size
        J = np.empty((m, m))
        for j in range(m):
            h = 1e-7 * max(1.0, abs(z[j]))
            e = np.zeros(m)
            e[j] = h
            J[:, j] = (tg.equations_float(z + e, level) - g) / h
        try:
            step = np.linalg.solve(J, -g)
        except np.linalg.LinAlgError:
            break
        lam = 1.0
        for _h in range(20):
            z1 = z + lam * step
            try:
                g1 = tg.equations_float(z1, level)
            except (InputError, IntegrationError, ValueError):
                g1 = np.full_like(g, np.inf)
            if np.all(np.isfinite(g1)) and np.max(np.abs(g1)) < np.max(np.abs(g)):
                break
            lam /= 2
        else:
            break
        z, g = z1, g1
        if np.max(np.abs(lam * step)) <= 1e-15 * max(1.0, np.max(np.abs(z))):
            break
    return list(z)


def _refine_float(tg, z0):
    """Joint float64 Newton at the two finest node levels; digits where they agree."""
    lev2 = max(tg.cs.max_level, 0)
    lev = max(lev2 - 1, 0)
    z1 = _newton_float(tg, z0, lev)
    z2 = _newton_float(tg, z1, lev2) if lev2 != lev else z1
    v1, v2 = z1[-1], z2[-1]
    err = abs(v1 - v2) + 4e-16 * abs(v2) + _float_residual_bound(tg, z2, lev2)
    digits = _digits(err, v2, 15)
    state = dict(zip(tg.names, map(float, z2[:-1])))
    return float(v2), float(err), digits, state, "float64 Newton (joint)", None


def _float_residual_bound(tg, z, level) -> float:
    g = tg.equations_float(np.asarray(z), level)
    return float(np.max(np.abs(g))) * 10.0  # a crude factor for the conditioning


def _digits(err, v, cap) -> int:
    if err <= 0:
        return cap
    rel = float(err) / max(abs(float(v)), 1e-300)
    return int(max(0, min(cap, math.floor(-math.log10(rel))))) if rel < 1 else 0


def _refine_mp(tg, z0, dps, f64):
    """findroot on the joint equations at dps, then at dps + 10 from that answer; compare."""
    vals = []
    chord: dict = {}
    start = [mpmath.mpf(float(c)) for c in z0]
    for d in (dps, dps + 10):
        with mpmath.workdps(d + 10):
            z = _findroot(tg, [+c for c in start], d, chord)
        vals.append(z)
        start = z
    lo_, hi_ = vals
    with mpmath.workdps(dps + 10):
        diff = abs(lo_[-1] - hi_[-1])
        err = diff + mpmath.mpf(10) ** (-dps) * abs(hi_[-1])
        digits = _digits(diff, hi_[-1], dps)
    with mpmath.workdps(dps):
        value = +hi_[-1]
        state = {k: +s for k, s in zip(tg.names, hi_[:-1])}
    method = "mpmath findroot (joint)" if tg.n else "mpmath findroot"
    return value, max(float(err), 1e-300), digits, state, method, dps


def _findroot(tg, z0, d, chord):
    """``mpmath.findroot`` at ``d`` digits: secant for one unknown, MDNewton with a chord
    Jacobian (forward differences at the first start, kept) for several."""
    m = len(z0)
    memo: dict = {}

    def G(*z):
        key = tuple(z)
        if key not in memo:
            memo[key] = tg.equations(list(z), d)
        return memo[key]

    if m == 1:
        f = lambda v: G(v)[0]  # noqa: E731
        h = mpmath.mpf(10) ** (-8) * max(1, abs(z0[0]))
        root = mpmath.findroot(f, (z0[0], z0[0] + h), solver="secant",
                               tol=mpmath.mpf(10) ** (-(d + 5)), maxsteps=50, verify=False)
        r = abs(f(root))
        if not r <= mpmath.mpf(10) ** (-d) * max(1, abs(root)):
            raise ConvergenceError(f"findroot at {d} digits: residual {mpmath.nstr(r, 3)}",
                                   float(r), 10.0 ** (-d))
        return [root]
    if "J" not in chord:
        g0 = G(*z0)
        J = mpmath.matrix(m, m)
        for j in range(m):
            h = mpmath.mpf(10) ** (-(d // 2)) * max(1, abs(z0[j]))
            zs = list(z0)
            zs[j] += h
            gj = G(*zs)
            for i in range(m):
                J[i, j] = (gj[i] - g0[i]) / h
        chord["J"] = J
    J = chord["J"]
    z = mpmath.findroot(G, z0, solver="mdnewton", J=lambda *z: J,
                        tol=mpmath.mpf(10) ** (-(d + 2)), maxsteps=30, verify=False)
    z = [z[i] for i in range(m)]
    r = max(abs(w) for w in G(*z))
    if not r <= mpmath.mpf(10) ** (-d) * max(1, max(abs(w) for w in z)):
        raise ConvergenceError(f"joint findroot at {d} digits: residual {mpmath.nstr(r, 3)}",
                               float(r), 10.0 ** (-d))
    return z
