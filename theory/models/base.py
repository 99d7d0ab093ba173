"""What every model shares: the registry, validated parameters, the generic solve and curve.

A model is one file in ``theory/models/`` holding one class decorated with :func:`register`:

* ``name``, ``title``, ``reference`` (paper, arXiv id with version, equation numbers);
* ``Params``: a frozen keyword-only dataclass; each field carries ``metadata`` with ``doc`` and
  ``check`` (a validator from this module), so the CLI can list and validate parameters;
* ``system(p)``: the :class:`~theory.symbolic.system.SaddlePointSystem` (may depend on discrete
  parameters such as the loss); ``values(p)``: numbers for the system's parameter symbols;
* ``starts(p)``: initial states (two or more: different fixed points are all reported);
* optional ``closed_form(p)`` (observables from a closed form, reported next to the solve),
  ``derived(p, state, observables)`` (more observables), ``free_energy``.

The solver, continuation, CLI and LaTeX export use only this interface.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import mpmath
import numpy as np

from ..errors import ConvergenceError, InputError, IntegrationError
from ..numeric.solvers import METHODS, residual_of, solve_fixed_point
from ..numeric.system import compile_system

__all__ = ["MODELS", "register", "get_model", "SolveResult", "Curve", "solve", "curve",
           "positive", "nonnegative", "choice", "param"]

MODELS: dict = {}


def register(cls):
    """Class decorator: add a model to the registry under ``cls.name``."""
    MODELS[cls.name] = cls
    return cls


def get_model(name):
    if not isinstance(name, str):
        return name
    from . import load_all

    load_all()
    if name not in MODELS:
        raise InputError("model", name, f"one of {sorted(MODELS)}")
    return MODELS[name]()


# ---------------------------------------------------------------- parameter validators
def positive(name, v):
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise InputError(name, v, "a real number > 0") from None
    if not (math.isfinite(x) and x > 0):
        raise InputError(name, v, "a finite real number > 0")
    return x


def nonnegative(name, v):
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise InputError(name, v, "a real number >= 0") from None
    if not (math.isfinite(x) and x >= 0):
        raise InputError(name, v, "a finite real number >= 0")
    return x


def choice(*options):
    def check(name, v):
        if v not in options:
            raise InputError(name, v, f"one of {list(options)}")
        return v
    check.options = options
    return check


def activation_check(name, v):
    from ..errors import ParseError
    from ..symbolic.activations import get_activation

    try:
        get_activation(v)
    except ParseError as exc:
        raise InputError(name, v, "a registry name (`theory activations`) or an expression "
                         "in x", hint=str(exc)) from None
    return v


def param(default, doc: str, check: Callable = positive):
    return field(default=default, metadata={"doc": doc, "check": check})


def validate(params) -> None:
    """Run every field's check; frozen dataclasses call this from ``__post_init__``."""
    for f in dataclasses.fields(params):
        chk = f.metadata.get("check")
        if chk is not None:
            object.__setattr__(params, f.name, chk(f.name, getattr(params, f.name)))


def make_params(model, overrides: dict):
    names = {f.name for f in dataclasses.fields(model.Params)}
    unknown = set(overrides) - names
    if unknown:
        raise InputError("parameter", sorted(unknown)[0],
                         f"a parameter of {model.name}: one of {sorted(names)}")
    return model.Params(**overrides)


# ---------------------------------------------------------------- results
@dataclass
class SolveResult:
    """One solved saddle point.

    ``state`` (order parameters by name), ``observables`` (by name), ``converged``,
    ``iterations``, ``residual`` (undamped, relative), ``tol``, ``history`` (residual per
    iteration), ``message``, ``method``, ``quadrature_error`` (map at the node level used vs the
    next level, at the answer), ``alternatives`` (other fixed points reached from other starts),
    ``closed_form`` (observables from the model's closed form, when it has one),
    ``observable_errors`` (absolute error bound of each observable, when the model reports
    them).
    """

    model: str
    params: dict
    state: dict
    observables: dict
    converged: bool
    iterations: int
    residual: float
    tol: float
    message: str
    method: str = ""
    history: list = field(default_factory=list)
    quadrature_error: float = 0.0
    level: int = 0
    alternatives: list = field(default_factory=list)
    closed_form: dict = field(default_factory=dict)
    violations: list = field(default_factory=list)
    seconds: float = 0.0
    dps: int | None = None
    observable_errors: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        def num(v):
            if isinstance(v, mpmath.mpf):
                return mpmath.nstr(v, self.dps or 17, strip_zeros=False)
            if isinstance(v, (float, np.floating)):
                return float(v)
            return v

        d = {k: getattr(self, k) for k in ("model", "converged", "iterations", "tol",
                                             "message", "method", "quadrature_error", "level",
                                             "seconds", "dps")}
        d["residual"] = num(self.residual)
        d["params"] = {k: num(v) for k, v in self.params.items()}
        d["state"] = {k: num(v) for k, v in self.state.items()}
        d["observables"] = {k: num(v) for k, v in self.observables.items()}
        d["closed_form"] = {k: num(v) for k, v in self.closed_form.items()}
        d["observable_errors"] = {k: float(v) for k, v in self.observable_errors.items()}
        d["alternatives"] = self.alternatives
        d["violations"] = [[w, num(v) if not isinstance(v, str) else v]
                           for w, v in self.violations]
        return d

    def __str__(self) -> str:
        lines = [f"{self.model}: {self.message}"]
        for title, dct in (("state", self.state), ("observables", self.observables),
                           ("closed form", self.closed_form)):
            if dct:
                lines.append(f"  {title}:")
                for k, v in dct.items():
                    err = self.observable_errors.get(k) if dct is self.observables else None
                    pm = f"  +- {err:.2g}" if err is not None else ""
                    lines.append(f"    {k:<22} {_fmt(v, self.dps)}{pm}")
        for alt in self.alternatives:
            lines.append(f"  other fixed point: {alt}")
        return "\n".join(lines)

    _repr_pretty_ = lambda self, p, cycle: p.text(str(self))  # noqa: E731


def _fmt(v, dps=None):
    if isinstance(v, mpmath.mpf):
        return mpmath.nstr(v, dps or 17)
    try:
        return f"{float(v):.12g}"
    except (TypeError, ValueError):
        return str(v)


@dataclass
class Curve:
    """Solved points along one varied parameter (all converged, or the curve raised)."""

    model: str
    vary: str
    values: np.ndarray
    points: list
    seconds: float = 0.0

    def column(self, name: str) -> np.ndarray:
        p0 = self.points[0]
        if name in p0.state:
            return np.array([p.state[name] for p in self.points], dtype=float)
        if name in p0.observables:
            return np.array([p.observables[name] for p in self.points], dtype=float)
        if name in p0.closed_form:
            return np.array([p.closed_form[name] for p in self.points], dtype=float)
        raise InputError("column", name, f"one of {self.columns()}")

    def columns(self) -> list:
        p0 = self.points[0]
        return [*p0.state, *p0.observables, *[f"closed_form.{k}" for k in p0.closed_form]]

    def rows(self) -> list:
        out = []
        for v, p in zip(self.values, self.points):
            row = {self.vary: float(v)}
            row.update({k: float(x) for k, x in p.state.items()})
            row.update({k: float(x) for k, x in p.observables.items()})
            row.update({f"closed_form.{k}": float(x) for k, x in p.closed_form.items()})
            row.update({f"{k}.error": float(x) for k, x in p.observable_errors.items()})
            row.update({"residual": float(p.residual), "iterations": p.iterations})
            out.append(row)
        return out

    def to_dict(self) -> dict:
        return {"model": self.model, "vary": self.vary, "seconds": self.seconds,
                "points": [p.to_dict() for p in self.points]}


# ---------------------------------------------------------------- generic solve
def _vec(system, state: dict) -> np.ndarray:
    return np.array([float(state[n]) for n in system.state_names])


def _pvals(system, values: dict) -> list:
    missing = [n for n in system.parameter_names if n not in values]
    if missing:
        raise InputError("values", sorted(values), "a value for every system parameter",
                         hint=f"missing {missing}")
    return [values[n] for n in system.parameter_names]


def _solve_at_level(cs, pv, x0, tol, method, damping, level, max_iter):
    def F(x):
        return cs.map(x, pv, level)

    def admissible(x):
        return cs.constraint_violations(x, pv, level)

    return solve_fixed_point(F, x0, tol=tol, method=method, damping=damping,
                             max_iter=max_iter, admissible=admissible)


def _solve_one(model, p, system, cs, pv, x0, tol, method, damping, level, max_iter):
    """Solve at a node level, then check the level: the next level must agree at the answer."""
    fp = None
    qerr = 0.0
    iterations = 0
    for lev in range(level, cs.max_level + 1):
        fp = _solve_at_level(cs, pv, x0, tol, method, damping, lev, max_iter)
        iterations += fp.iterations
        if not fp.converged or not cs.groups:
            return fp, lev, 0.0, iterations
        if lev == cs.max_level:
            break
        try:
            fine = cs.map(fp.x, pv, lev + 1)
        except IntegrationError:
            return fp, lev, np.inf, iterations
        qerr = residual_of(fp.x, fine)
        if qerr <= tol:
            return fp, lev, qerr, iterations
        x0 = fp.x
    fp.converged = False
    fp.message = (f"quadrature not resolved: the map at node level {lev} and the next differ "
                  f"by {qerr:.3g} > tol {tol:.1g} at the answer")
    return fp, lev, qerr, iterations


def solve(model, *, tol: float = 1e-10, method: str = "auto", damping: float = 0.0,
          strict: bool = False, dps: int | None = None, init: dict | None = None,
          level: int | None = None, max_iter: int = 5000, starts: bool = True,
          **params) -> SolveResult:
    """Solve a model's saddle point at one parameter point.

    Parameters
    ----------
    model : a registered model name (``theory models`` lists them) or instance
    tol : tolerance on the undamped relative residual
    method : "auto" | "anderson" | "damped" | "newton" (see :mod:`theory.numeric.solvers`)
    strict : raise :class:`~theory.errors.ConvergenceError` instead of returning an
        unconverged result
    dps : polish the float64 answer with ``mpmath.findroot`` at ``dps`` digits and evaluate the
        observables there
    init : a starting state (by order-parameter name); default: every start of the model
    starts : with ``init=None``, run every start of the model and report all distinct fixed
        points (True), or only the first (False)
    **params : the model's parameters (``theory models`` lists them with their ranges)
    """
    t0 = time.perf_counter()
    model = get_model(model)
    if method not in METHODS:
        raise InputError("method", method, f"one of {METHODS}")
    if not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise InputError("tol", tol, "a number in (0, 1)")
    p = params.pop("_params", None) or make_params(model, params)
    direct = getattr(model, "solve_direct", None)
    if direct is not None:  # a model with its own well-conditioned solve (rf_ridge)
        res = direct(p, tol=tol, dps=dps)
        res.seconds = time.perf_counter() - t0
        if strict and not res.converged:
            raise ConvergenceError(f"{model.name} did not converge ({res.message})",
                                   float(res.residual), tol, hint=model.hint, result=res)
        return res
    system = model.system(p)
    cs = compile_system(system)
    values = model.values(p)
    pv = _pvals(system, values)
    lev0 = model.default_level if level is None else int(level)
    lev0 = min(lev0, cs.max_level)
    inits = [init] if init is not None else model.starts(p)
    if init is None and not starts:
        inits = inits[:1]
    found = []
    for st in inits:
        x0 = _vec(system, st)
        fp, lev, qerr, its = _solve_one(model, p, system, cs, pv, x0, tol, method, damping,
                                        lev0, max_iter)
        found.append((fp, lev, qerr, its, st))
    # distinct converged fixed points
    good = [f for f in found if f[0].converged]
    distinct: list = []
    for f in good:
        if not any(np.max(np.abs(f[0].x - g[0].x) / np.maximum(1, np.abs(g[0].x))) < 1e-6
                   for g in distinct):
            distinct.append(f)
    best = distinct[0] if distinct else min(found, key=lambda f: f[0].residual)
    fp, lev, qerr, its, st = best
    state = dict(zip(system.state_names, fp.x.tolist()))
    obs = {}
    if fp.converged:
        obs = cs.observables(fp.x, pv, lev)
        obs.update(model.derived(p, state, obs))
    alts = []
    for f in distinct[1:]:
        alt = {"state": dict(zip(system.state_names, f[0].x.tolist()))}
        o = cs.observables(f[0].x, pv, f[1])
        alt["observables"] = o
        if hasattr(model, "free_energy"):
            alt["free_energy"] = model.free_energy(p, alt["state"], o)
        alts.append(alt)
    msg = fp.message
    if len(distinct) > 1:
        msg += f"; {len(distinct)} distinct fixed points from {len(inits)} starts (see " \
               "alternatives)"
    res = SolveResult(model.name, dataclasses.asdict(p), state, obs, fp.converged,
                      its, fp.residual, tol, msg, fp.method, fp.history, qerr, lev,
                      alts, {}, fp.violations)
    if res.converged and dps is not None:
        if hasattr(model, "values_mp"):  # constants (mu_1, mu_star, ...) at dps digits too
            with mpmath.workdps(dps + 10):
                pv = _pvals(system, model.values_mp(p, dps + 10))
        _polish_mp(cs, system, pv, res, dps, model, p)
    if hasattr(model, "closed_form"):
        cf = model.closed_form(p, dps=dps)
        if cf:
            res.closed_form = cf
    res.seconds = time.perf_counter() - t0
    if strict and not res.converged:
        raise ConvergenceError(f"{model.name} did not converge ({res.message})",
                               float(res.residual), tol, hint=model.hint, result=res)
    return res


def _polish_mp(cs, system, pv, res, dps, model, p):
    with mpmath.workdps(dps + 10):
        pmp = [v if isinstance(v, (str, mpmath.mpf)) else mpmath.mpf(v) for v in pv]
        x0 = [mpmath.mpf(res.state[n]) for n in system.state_names]

        def G(*x):
            fx = cs.map_mp(list(x), pmp, dps)
            return [a - b for a, b in zip(fx, x)]

        try:
            x = mpmath.findroot(G, x0, tol=mpmath.mpf(10) ** (-2 * dps))
        except (ValueError, ZeroDivisionError) as exc:
            res.converged = False
            res.message = f"mpmath polish at {dps} digits failed: {exc}"
            return
        x = list(x) if hasattr(x, "__len__") else [x]
        r = max(abs(a) / max(1, abs(b)) for a, b in zip(G(*x), x))
        obs = cs.observables_mp(x, pmp, dps)
    with mpmath.workdps(dps):
        res.state = {n: +v for n, v in zip(system.state_names, x)}
        res.observables = {k: +v for k, v in obs.items()}
        res.observables.update(model.derived(p, res.state, res.observables))
        res.residual = +r
    res.dps = dps
    need = mpmath.mpf(10) ** (-dps)
    res.converged = r <= need
    res.message = (f"converged at {dps} digits: residual {mpmath.nstr(r, 3)}" if res.converged
                   else f"mpmath polish reached residual {mpmath.nstr(r, 3)} > 1e-{dps}")


def parse_grid(text: str) -> np.ndarray:
    """``"a:b:n"`` (n points from a to b, inclusive) or a comma list -> array."""
    try:
        if ":" in text:
            a, b, n = text.split(":")
            n = int(n)
            if n < 1:
                raise ValueError
            return np.linspace(float(a), float(b), n)
        return np.array([float(t) for t in text.split(",")])
    except ValueError:
        raise InputError("vary", text,
                         "NAME=start:stop:count (count >= 1) or NAME=v1,v2,...") from None


def curve(model, vary: str, values: Sequence[float], *, tol: float = 1e-10,
          method: str = "auto", damping: float = 0.0, strict: bool = True,
          max_iter: int = 5000, progress: Callable | None = None, **params) -> Curve:
    """Solve along ``vary`` = each of ``values`` with warm starts (continuation).

    The first point uses every start of the model; each next point starts from the previous
    answer (and falls back to the model's starts if that fails). With ``strict`` (default) a
    point that does not converge raises :class:`ConvergenceError` naming the point, so nothing
    half-done is returned. ``progress(done, total)`` is called after each point.
    """
    t0 = time.perf_counter()
    model = get_model(model)
    values = np.asarray(values, dtype=float)
    names = {f.name for f in dataclasses.fields(model.Params)}
    if vary not in names:
        raise InputError("vary", vary, f"a parameter of {model.name}: one of {sorted(names)}")
    fast = getattr(model, "curve_fast", None)
    if fast is not None:
        pts = fast(vary, values, tol=tol, **params)
        if pts is not None:
            if progress:
                progress(len(values), len(values))
            return Curve(model.name, vary, values, pts, time.perf_counter() - t0)
    all_params = [make_params(model, {**params, vary: float(v)}) for v in values]  # all valid
    points = []
    prev = None
    level = None
    for i, (v, p) in enumerate(zip(values, all_params)):
        res = None
        if prev is not None:
            res = solve(model, tol=tol, method=method, damping=damping, init=prev.state,
                        level=level, max_iter=max_iter, _params=p)
            if not res.converged:
                res = None
        if res is None:
            res = solve(model, tol=tol, method=method, damping=damping, level=level,
                        max_iter=max_iter, _params=p)
        if not res.converged and strict:
            raise ConvergenceError(f"{model.name} at {vary}={v:g} did not converge "
                                   f"({res.message})", float(res.residual), tol,
                                   hint=model.hint, result=res)
        points.append(res)
        prev, level = res, res.level
        if progress:
            progress(i + 1, len(values))
    return Curve(model.name, vary, values, points, time.perf_counter() - t0)


class Model:
    """Base class with defaults for the optional parts of a model."""

    name = ""
    title = ""
    reference = ""
    default_level = 2
    hint = "try method='damped' with damping=0.5, or another init"

    def derived(self, p, state, observables) -> dict:
        return {}

    def parameters(self) -> list:
        """[(name, default, doc, allowed)] for listing."""
        out = []
        for f in dataclasses.fields(self.Params):
            chk = f.metadata.get("check")
            allowed = ("> 0" if chk is positive else ">= 0" if chk is nonnegative else
                       f"one of {list(chk.options)}" if hasattr(chk, "options") else
                       "an activation name or expression" if chk is activation_check else "")
            out.append((f.name, f.default, f.metadata.get("doc", ""), allowed))
        return out
