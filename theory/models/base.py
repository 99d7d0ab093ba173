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

Failures are data, never silent: an unconverged :class:`SolveResult` has NaN state and
observables, ``converged=False`` and ``failure`` naming the check that failed (a key of
:data:`theory.errors.FAILURE_HINTS`: residual, stall, budget, quadrature, constraint, nan,
domain, polish, interrupted) with its own numbers in ``message``; strict use raises
:class:`~theory.errors.ConvergenceError` with the hint for that failure. Curves keep every point,
flagged (``converged`` and ``failure`` columns), and Ctrl-C keeps the finished points.

Parameters given as decimal text (``"0.3"``), :class:`fractions.Fraction`, :class:`decimal.Decimal`
or ``mpmath.mpf`` are validated in float64 but handed to the mpmath path (``dps=``) at the working
precision: ``psi1="0.3"`` is the decimal 0.3 there, not the double 0.29999999999999998890.
"""

from __future__ import annotations

import copy
import dataclasses
import decimal
import fractions
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import mpmath
import numpy as np

from ..errors import FAILURE_HINTS, ConvergenceError, InputError, IntegrationError, check_int
from ..numeric.solvers import (DEFAULT_MAX_EVALUATIONS, DEFAULT_MAX_TIME, METHODS, Budget,
                               residual_of, solve_fixed_point)
from ..numeric.system import compile_system

__all__ = ["MODELS", "register", "get_model", "SolveResult", "Curve", "solve", "curve",
           "positive", "nonnegative", "choice", "param"]

MODELS: dict = {}


def register(model=None, *, replace: bool = False):
    """Add a model class to the registry under ``model.name`` (a class decorator).

    Parameters
    ----------
    model : type or None
        A :class:`Model` subclass (a model file's class, or :meth:`Model.from_system`'s);
        None when used as ``@register(replace=True)``.
    replace : bool, default False
        Replace a model already registered under that name (the package's own included).
        Without it a taken name is refused: which model ``solve("name")`` runs never depends
        on the order of imports.

    Returns
    -------
    type or callable
        ``model`` itself; ``theory models``, ``theory solve NAME`` and :func:`get_model` then
        know it. With ``model=None``, the decorator that registers its argument.

    Raises
    ------
    InputError
        ``model`` is not a Model subclass, its ``name`` is not an identifier-like string, or
        the name is taken and ``replace`` is not True.
    """
    if model is None:  # @register(replace=True)
        return lambda c: register(c, replace=replace)
    if not (isinstance(model, type) and issubclass(model, Model)):
        raise InputError("model", model, "a Model subclass (Model.from_system(system) builds "
                         "one from a SaddlePointSystem)")
    name = model.name
    if not isinstance(name, str) or not name or not all(
            c.isalnum() or c in "_-.[],=" for c in name):
        raise InputError("name", name, "a non-empty name of letters, digits and _ - . [ ] , =")
    if not isinstance(replace, bool):
        raise InputError("replace", replace, "True or False")
    from . import load_all

    load_all()  # the package's own models first: a clash is seen now, not at import
    old = MODELS.get(name)
    if not replace and old is not None and old is not model and not _same_origin(old, model):
        raise InputError("name", name, "a name not yet registered", hint=f"{name!r} is "
                         f"taken by the model {old.title or old.__qualname__!r}: choose "
                         "another name, or register(model, replace=True) to replace it")
    MODELS[name] = model
    return model


def _same_origin(a, b) -> bool:
    """The same class defined again (a module or notebook cell run twice)."""
    return (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__) and \
        not getattr(a, "_from_system", False)


def get_model(name):
    """A model instance.

    Parameters
    ----------
    name : str, Model subclass, Model instance or SaddlePointSystem
        A registered name (``theory models`` lists them), a model class (instantiated), an
        instance (returned as is) or a bare system (wrapped by :meth:`Model.from_system`).

    Returns
    -------
    Model

    Raises
    ------
    InputError
        An unknown name, or an object that is none of these.

    Examples
    --------
    >>> from theory import get_model
    >>> get_model("rf_ridge").name
    'rf_ridge'
    """
    from ..symbolic.system import SaddlePointSystem

    if isinstance(name, SaddlePointSystem):
        return Model.from_system(name)()
    if isinstance(name, type) and issubclass(name, Model):
        return name()
    if not isinstance(name, str):
        if not isinstance(name, Model) and not hasattr(name, "system"):
            raise InputError("model", name, "a model name (`theory models`), a Model, or a "
                             "SaddlePointSystem")
        return name
    from . import load_all

    load_all()
    if name not in MODELS:
        raise InputError("model", name, f"one of {sorted(MODELS)}")
    return MODELS[name]()


# ---------------------------------------------------------------- parameter validators
def positive(name, v):
    """Parameter check: a finite real number > 0 (use as ``param(..., check=positive)``).

    Parameters
    ----------
    name : str
        The parameter's name (quoted by the error).
    v : float, str, fractions.Fraction, decimal.Decimal or mpmath.mpf
        The value given.

    Returns
    -------
    float
        ``float(v)``.

    Raises
    ------
    InputError
        ``v`` is not a number, not finite, or not > 0.
    """
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise InputError(name, v, "a real number > 0") from None
    if not (math.isfinite(x) and x > 0):
        raise InputError(name, v, "a finite real number > 0")
    return x


def nonnegative(name, v):
    """Parameter check: a finite real number >= 0 (use as ``param(..., check=nonnegative)``).

    Parameters
    ----------
    name : str
        The parameter's name (quoted by the error).
    v : float, str, fractions.Fraction, decimal.Decimal or mpmath.mpf
        The value given.

    Returns
    -------
    float
        ``float(v)``.

    Raises
    ------
    InputError
        ``v`` is not a number, not finite, or negative.
    """
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise InputError(name, v, "a real number >= 0") from None
    if not (math.isfinite(x) and x >= 0):
        raise InputError(name, v, "a finite real number >= 0")
    return x


def real(name, v):
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise InputError(name, v, "a real number") from None
    if not math.isfinite(x):
        raise InputError(name, v, "a finite real number")
    return x


def choice(*options):
    """Parameter check factory: the value must be one of ``options`` (a discrete parameter).

    Parameters
    ----------
    *options : object
        The allowed values (``theory models`` lists them).

    Returns
    -------
    callable
        ``check(name, v) -> v``, raising :class:`~theory.errors.InputError` when ``v`` is not
        one of ``options``; its ``options`` attribute holds them.

    Examples
    --------
    >>> check = choice("square", "logistic")
    >>> check("loss", "square")
    'square'
    """
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
    """A field of a model's ``Params`` dataclass with its documentation and its check.

    Parameters
    ----------
    default : object
        Default value (``dataclasses.MISSING`` for a required parameter).
    doc : str
        Meaning of the parameter, with its symbol in the paper (``theory models`` shows it).
    check : callable, default positive
        ``check(name, value) -> value``: :func:`positive`, :func:`nonnegative`,
        :func:`choice` (...) or any validator raising :class:`~theory.errors.InputError`.

    Returns
    -------
    dataclasses.Field
        ``field(default=default, metadata={"doc": doc, "check": check})``.
    """
    return field(default=default, metadata={"doc": doc, "check": check})


def validate(params) -> None:
    """Run every field's check; frozen dataclasses call this from ``__post_init__``."""
    for f in dataclasses.fields(params):
        chk = f.metadata.get("check")
        if chk is not None:
            object.__setattr__(params, f.name, chk(f.name, getattr(params, f.name)))


def make_params(model, overrides: dict):
    """``model.Params(**overrides)``; an unknown or a missing required parameter is an
    :class:`InputError` naming it."""
    fields = dataclasses.fields(model.Params)
    names = {f.name for f in fields}
    unknown = set(overrides) - names
    if unknown:
        raise InputError("parameter", sorted(unknown)[0],
                         f"a parameter of {model.name}: one of {sorted(names)}")
    for f in fields:
        if f.name not in overrides and f.default is dataclasses.MISSING and \
                f.default_factory is dataclasses.MISSING:
            raise InputError(f.name, None, f"given: {model.name} has no default for "
                             f"{f.name} ({f.metadata.get('doc') or 'a system parameter'})",
                             hint=f"pass {f.name}=... (theory models lists the parameters)")
    return model.Params(**overrides)


# ---------------------------------------------------------------- results
@dataclass
class SolveResult:
    r"""One solved saddle point (what :func:`solve` returns).

    Attributes
    ----------
    model : str
        Name of the model.
    params : dict {str: value}
        The parameters of the solve, as validated.
    state : dict {str: float or mpmath.mpf}
        Order parameters by name (NaN when the solve failed).
    observables : dict {str: float or mpmath.mpf}
        Observables by name (NaN when the solve failed).
    converged : bool
        Whether every check passed.
    iterations : int
        Iterations of the fixed-point / Newton solver.
    residual : float
        Undamped relative residual of the map at the answer.
    tol : float
        The tolerance asked for.
    message : str
        What happened, with its numbers.
    method : str
        The solver method used.
    history : list of float
        Residual per iteration.
    quadrature_error : float
        Change of the map between the node level used and the next level, at the answer.
    level : int
        Quadrature node level used.
    alternatives : list
        Other fixed points reached from other starts.
    closed_form : dict {str: float}
        Observables from the model's closed form, when it has one.
    violations : list of (str, value)
        Constraints violated at the answer (what, value).
    seconds : float
        Wall time of the solve.
    dps : int or None
        Decimal digits of the mpmath polish (None: float64 only).
    observable_errors : dict {str: float}
        Error bound of each observable: the model's bound when it reports one, else the
        gradient times the state bound plus the observable's own quadrature error.
    state_errors : dict {str: float}
        Error bound of each order parameter: :math:`(I - J)^{-1}` times the residual and the
        quadrature error of the map, with a safety factor 2; after a ``dps`` polish the
        mpmath bound (the next Newton step, and the map at ``dps`` against ``dps + 10``
        digits).
    failure : str or None
        None when converged, else the check that failed: a key of
        :data:`theory.errors.FAILURE_HINTS` (``message`` gives its numbers).
    last_state : dict {str: float}
        The best iterate of a failed solve, for diagnosis only (``state`` is NaN then).
    near_critical : bool
        True when :math:`I - J` is nearly singular or Newton converges only linearly (a
        multiple root at a phase transition): the bounds are then widened from the observed
        shrink factor of the Newton steps, and ``message`` says so with the smallest singular
        value.
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
    state_errors: dict = field(default_factory=dict)
    failure: str | None = None
    last_state: dict = field(default_factory=dict)
    near_critical: bool = False

    @property
    def hint(self) -> str:
        """The hint for this result's failure ("" when converged)."""
        return FAILURE_HINTS.get(self.failure, "") if self.failure else ""

    def to_dict(self) -> dict:
        """JSON-ready: mpf values as decimal strings, NaN and inf as None.

        Returns
        -------
        dict
            Every attribute except ``history``, numbers made JSON-safe (mpf as a decimal
            string of ``dps`` digits, NaN and inf as None).
        """
        def num(v):
            if isinstance(v, mpmath.mpf):
                if not mpmath.isfinite(v):
                    return None
                return mpmath.nstr(v, self.dps or 17, strip_zeros=False)
            if isinstance(v, (float, np.floating)):
                return float(v) if math.isfinite(v) else None
            return v

        d = {k: getattr(self, k) for k in ("model", "converged", "failure", "iterations",
                                             "tol", "message", "method", "level",
                                             "seconds", "dps")}
        d["quadrature_error"] = num(self.quadrature_error)
        d["last_state"] = {k: num(v) for k, v in self.last_state.items()}
        d["residual"] = num(self.residual)
        d["params"] = {k: num(v) for k, v in self.params.items()}
        d["state"] = {k: num(v) for k, v in self.state.items()}
        d["observables"] = {k: num(v) for k, v in self.observables.items()}
        d["closed_form"] = {k: num(v) for k, v in self.closed_form.items()}
        d["observable_errors"] = {k: float(v) for k, v in self.observable_errors.items()}
        d["state_errors"] = {k: float(v) for k, v in self.state_errors.items()}
        d["near_critical"] = self.near_critical
        d["alternatives"] = self.alternatives
        d["violations"] = [[w, num(v) if not isinstance(v, str) else v]
                           for w, v in self.violations]
        return d

    def __str__(self) -> str:
        lines = [f"{self.model}: {self.message}"]
        if self.failure:
            lines[0] = f"{self.model}: FAILED ({self.failure}): {self.message}"
            if self.hint:
                lines.append(f"  hint: {self.hint}")
        for title, dct in (("state", self.state), ("observables", self.observables),
                           ("closed form", self.closed_form)):
            if dct:
                lines.append(f"  {title}:")
                for k, v in dct.items():
                    err = (self.observable_errors if dct is self.observables else
                           self.state_errors if dct is self.state else {}).get(k)
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
    """Solved points along one varied parameter.

    Every point is kept: a point that failed has NaN state and observables, ``converged`` False
    and ``failure`` naming the check that failed (see :class:`SolveResult`); ``rows()`` has a
    ``converged`` and a ``failure`` column. ``interrupted`` is True when Ctrl-C stopped the
    curve (the points not reached are flagged ``"interrupted"``).

    Attributes
    ----------
    model : str
        Name of the model.
    vary : str
        Name of the varied parameter.
    values : numpy.ndarray of float, shape (n,)
        Values of the varied parameter.
    points : list of SolveResult, length n
        The solve at each value.
    seconds : float
        Wall time of the whole curve.
    interrupted : bool
        True when Ctrl-C stopped the curve.
    """

    model: str
    vary: str
    values: np.ndarray
    points: list
    seconds: float = 0.0
    interrupted: bool = False

    @property
    def converged(self) -> np.ndarray:
        """Boolean mask of the converged points."""
        return np.array([bool(p.converged) for p in self.points])

    @property
    def failed(self) -> list:
        """[(value, failure, message)] of the points that did not converge."""
        return [(float(v), p.failure or "residual", p.message)
                for v, p in zip(self.values, self.points) if not p.converged]

    def _names(self) -> tuple:
        state, obs, cf = [], [], []
        for p in sorted(self.points, key=lambda q: not q.converged):
            state += [k for k in p.state if k not in state]
            obs += [k for k in p.observables if k not in obs]
            cf += [k for k in p.closed_form if k not in cf]
        return state, obs, cf

    def column(self, name: str) -> np.ndarray:
        r"""One column (NaN at failed points), as :meth:`rows` has it.

        Parameters
        ----------
        name : str
            The varied parameter, an order parameter, an observable, ``closed_form.NAME``,
            ``residual``, ``iterations`` or ``converged`` (1.0 / 0.0).

        Returns
        -------
        numpy.ndarray of float, shape (n,)
            Its value at each point of the curve, NaN where the point failed.

        Raises
        ------
        InputError
            ``name`` is not a column.
        """
        if name == self.vary:
            return np.asarray(self.values, dtype=float)
        if name in ("residual", "iterations", "converged"):
            return np.array([float(getattr(p, name)) for p in self.points], dtype=float)
        state, obs, cf = self._names()
        key = name[len("closed_form."):] if name.startswith("closed_form.") else name
        for names, attr in ((state, "state"), (obs, "observables"), (cf, "closed_form")):
            if key in names and (attr == "closed_form" or name == key):
                return np.array([_as_float(getattr(p, attr).get(key), p.converged)
                                 for p in self.points], dtype=float)
        raise InputError("column", name, f"one of {self.columns()}")

    def columns(self) -> list:
        """Names :meth:`column` accepts: order parameters, observables, closed forms.

        Returns
        -------
        list of str
            State names, observable names, then ``closed_form.<name>`` of the closed forms.
        """
        state, obs, cf = self._names()
        return [*state, *obs, *[f"closed_form.{k}" for k in cf]]

    def rows(self) -> list:
        """One dict per point: the varied value, state, observables, closed forms, residual,
        iterations, ``converged`` and ``failure`` ("" when converged); NaN where it failed.

        Returns
        -------
        list of dict
            One ``{column: value}`` per point, in the order of :attr:`values` (the error of
            each observable as ``<name>.error``).
        """
        state, obs, cf = self._names()
        out = []
        for v, p in zip(self.values, self.points):
            # later updates win: the varied value, the state and the solver's columns are
            # never hidden by an observable of the same name (SaddlePointSystem refuses such
            # names; a model's derived observables are kept from doing it here)
            row: dict = {k: _as_float(p.observables.get(k), p.converged) for k in obs}
            row.update({f"{k}.error": float(x) for k, x in p.observable_errors.items()})
            row.update({f"closed_form.{k}": _as_float(p.closed_form.get(k), True) for k in cf})
            row.update({k: _as_float(p.state.get(k), p.converged) for k in state})
            row[self.vary] = float(v)
            row.update({"residual": float(p.residual), "iterations": p.iterations,
                        "converged": bool(p.converged), "failure": p.failure or ""})
            row = {self.vary: row.pop(self.vary), **row}
            out.append(row)
        return out

    def to_frame(self):
        """:meth:`rows` as a pandas DataFrame (with the ``converged`` and ``failure`` columns);
        pandas is optional and not a dependency of theory.

        Returns
        -------
        pandas.DataFrame
            One row per point, the columns of :meth:`rows`.

        Raises
        ------
        ImportError
            pandas is not installed.
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("Curve.to_frame needs pandas (pip install pandas); "
                              "Curve.rows() gives the same table as a list of dicts") from None
        return pd.DataFrame(self.rows())

    def to_dict(self) -> dict:
        """JSON-ready (NaN as None): the points, plus which failed and why.

        Returns
        -------
        dict
            ``model``, ``vary``, ``seconds``, ``interrupted``, ``converged`` (one bool a
            point), ``failed`` (value, failure, message) and ``points`` (each
            :meth:`SolveResult.to_dict`).
        """
        return {"model": self.model, "vary": self.vary, "seconds": self.seconds,
                "interrupted": self.interrupted,
                "converged": [bool(p.converged) for p in self.points],
                "failed": [{"value": v, "failure": f, "message": m} for v, f, m in self.failed],
                "points": [p.to_dict() for p in self.points]}


def _as_float(v, ok: bool = True) -> float:
    if v is None or not ok:
        return float("nan")
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


# ---------------------------------------------------------------- generic solve
def _vec(system, state: dict) -> np.ndarray:
    return np.array([float(state[n]) for n in system.state_names])


def check_init(system, init, what: str = "init") -> dict:
    """``init`` as {order-parameter name: float}, or an :class:`InputError` naming the order
    parameter that is missing, unknown or not a finite number."""
    names = system.state_names
    if not isinstance(init, dict):
        raise InputError(what, init, f"a dict {{order parameter: start}} for {list(names)}")
    init = {str(k): v for k, v in init.items()}
    missing = [n for n in names if n not in init]
    if missing:
        raise InputError(what, init, f"a start for every order parameter {list(names)}",
                         hint=f"missing {', '.join(repr(n) for n in missing)}")
    unknown = [k for k in init if k not in names]
    if unknown:
        raise InputError(what, init, f"starts of the order parameters {list(names)} only",
                         hint=f"{', '.join(repr(k) for k in unknown)} is not an order parameter")
    out = {}
    for n in names:
        try:
            out[n] = float(init[n])
        except (TypeError, ValueError):
            raise InputError(f"{what}[{n!r}]", init[n], "a finite real number") from None
        if not math.isfinite(out[n]):
            raise InputError(f"{what}[{n!r}]", init[n], "a finite real number")
    return out


def _pvals(system, values: dict) -> list:
    missing = [n for n in system.parameter_names if n not in values]
    if missing:
        raise InputError("values", sorted(values), "a value for every system parameter",
                         hint=f"missing {missing}")
    return [values[n] for n in system.parameter_names]


#: keyword arguments of solve/curve: a system parameter cannot have these names
_SOLVE_OPTIONS = frozenset({"tol", "method", "damping", "strict", "dps", "init", "level",
                            "max_iter", "starts", "max_time", "max_evaluations", "progress",
                            "solver_progress"})


def _as_model(model, init):
    """The model instance behind ``model``; a bare :class:`SaddlePointSystem` is wrapped by
    :meth:`Model.from_system` with ``init`` as its start."""
    from ..symbolic.system import SaddlePointSystem

    if isinstance(model, SaddlePointSystem):
        if init is not None:
            check_init(model, init)
        return Model.from_system(model, starts=init)()
    return get_model(model)


def _solve_at_level(cs, pv, x0, tol, method, damping, level, max_iter, budget, names,
                    progress, label):
    outside: dict = {}  # domain constraint -> evaluations it refused

    def F(x):
        try:
            return cs.map(x, pv, level)
        except InputError as exc:
            if exc.param == "state" and str(exc.allowed).startswith("inside the domain"):
                what = str(exc.allowed)[len("inside the domain of the map ("):-1]
                outside[what] = outside.get(what, 0) + 1
            raise

    def admissible(x):
        return cs.constraint_violations(x, pv, level)

    fp = solve_fixed_point(F, x0, tol=tol, method=method, damping=damping,
                           max_iter=max_iter, admissible=admissible, budget=budget,
                           names=names, progress=progress, label=label)
    if fp.failure == "nan" and outside:
        # the iteration kept leaving the region a constraint allows: the constraint (not a
        # NaN of the map) stopped it, and most likely excludes the fixed point
        which = max(outside, key=outside.get)
        fp.failure = "constraint"
        fp.message = (f"the constraint {which} excludes the fixed point the iteration heads "
                      f"for: {outside[which]} of the evaluations left the region it allows "
                      f"(best residual {fp.residual:.3g} > tol {tol:.1g}); check the "
                      f"constraint, or the start ({fp.message})")
    return fp


def _jacobian(cs, pv, lev, x, fx):
    """Forward-difference Jacobian ``dF/dx`` of the map at ``x`` (``fx = F(x)``; relative step
    1e-7, backward where the forward step leaves the domain): n evaluations of the map."""
    n = x.size
    J = np.empty((n, n))
    for j in range(n):
        h = 1e-7 * max(1.0, abs(x[j]))
        xh = x.copy()
        xh[j] += h
        try:
            fh = cs.map(xh, pv, lev)
        except (IntegrationError, InputError):
            # the forward step left the domain (q + h > 1 at 1 - q ~ 1e-8): backward
            h = -h
            xh[j] = x[j] + h
            fh = cs.map(xh, pv, lev)
        J[:, j] = (fh - fx) / h
    return J


#: safety factor on the quadrature error of a node level estimated by its difference to the
#: next level (the next level's own error is assumed at most half of it; measured: the next
#: level's error is 0.1-3% of this level's on the kinked 2-D arc-cosine integrand)
QUAD_SAFETY = 2.0
#: safety factor on the linearised (Newton-step) error estimates
NEWTON_SAFETY = 2.0
#: chord ratio |(I-J)^{-1} G(x1)| / |x1 - x0| above which the fixed point counts as
#: near-critical (quadratic convergence would make it ~|x1 - x0| * curvature / sigma << 1)
NONLINEAR_RATIO = 0.1
#: smallest singular value of I - J, relative to max(1, ||J||), below which a fixed point is
#: near-critical
CRITICAL_SIGMA = 1e-6


def _quadrature_propagated(cs, pv, lev, x, fx, fine):
    """``(I - J)^{-1} (F_{lev+1}(x) - F_lev(x))``: the quadrature error of the map carried to the
    state (first order), with ``J`` the Jacobian at level ``lev``; returns (vector, J) or
    (None, None) when the Jacobian cannot be formed."""
    try:
        with np.errstate(all="ignore"):
            J = _jacobian(cs, pv, lev, x, fx)
            if not np.all(np.isfinite(J)):
                return None, None
            s = np.linalg.solve(np.eye(x.size) - J, fine - fx)
    except (IntegrationError, InputError, np.linalg.LinAlgError, ValueError,
            ZeroDivisionError, FloatingPointError):
        return None, None
    return (s, J) if np.all(np.isfinite(s)) else (None, None)


def _newton_critical(cs, pv, lev, x, fx, r, max_steps=60):
    """Newton's method with a fresh Jacobian per step at a near-critical fixed point, where
    the steps shrink only linearly (a k-fold root: by (k-1)/k per step). Stops when a step
    would not lower the residual, leaves the admissible region, or is below ten times the
    finite-difference step of the Jacobian (which cannot resolve the curvature further).
    Returns (x, F(x), residual, the step computed at x, its shrink factor rho, sigma_min)."""
    n = x.size
    prev = None
    ratios: list = []
    d = np.zeros(n)
    sig = np.nan
    for _ in range(max_steps):
        J = _jacobian(cs, pv, lev, x, fx)
        A = np.eye(n) - J
        d = np.linalg.solve(A, fx - x)
        D = np.maximum(1.0, np.abs(x))
        sig = float(np.linalg.svd(A * D[None, :] / D[:, None], compute_uv=False)[-1])
        nd = float(np.max(np.abs(d)))
        if prev is not None and prev > 0:
            ratios.append(nd / prev)
        h = 1e-7 * max(1.0, float(np.max(np.abs(x))))
        if not np.all(np.isfinite(d)) or nd <= 10 * h:
            break
        x1 = x + d
        if cs.constraint_violations(x1, pv, lev):
            break
        f1 = cs.map(x1, pv, lev)
        r1 = residual_of(x1, f1)
        if not r1 < r:
            break
        x, fx, r, prev = x1, f1, r1, nd
    rho = max(ratios[-3:]) if ratios else 0.5  # one step only: a double root's factor
    return x, fx, r, d, min(rho, 0.95), sig


def _refine(model, p, system, cs, pv, lev, fp):
    """Newton refinement of a converged fixed point and its error bounds (state and
    observables).

    A residual ``max|F(x) - x|/max(1, |x|) <= tol`` does not make the state accurate to
    ``tol``: the error of ``x`` is about ``(I - J)^{-1}`` times (the residual + the quadrature
    error of ``F``), and near a phase boundary ``I - J`` is close to singular (a hinge point
    of rf_convex at alpha = 6.25, lam = 1e-6 converged to residual 7e-11 with q_s off by
    1.3e-8 relative). One Newton step ``x1 = x + (I - J)^{-1} (F(x) - x)`` (forward-difference
    Jacobian, relative step 1e-7) is taken when it lowers the residual and stays admissible.

    Error bound of the reported state (``state_errors``), per order parameter:

    * Newton part: ``2 |(I - J)^{-1} (F(x1) - x1)|`` (the chord step at ``x1``, no new
      Jacobian); when that chord step is not much shorter than the Newton step (ratio
      > :data:`NONLINEAR_RATIO`) or the smallest singular value sigma of ``I - J`` is below
      :data:`CRITICAL_SIGMA` ``max(1, ||J||)``, the fixed point is **near-critical** (a
      multiple root: m = tanh(beta m) at beta = 1): Newton steps with fresh Jacobians follow
      until they stop shrinking, and the bound is ``2 |last step| / (1 - rho)`` with ``rho`` the
      observed shrink factor per step (a k-fold root: rho = (k-1)/k, error = k |step|);
    * quadrature part: ``2 |(I - J)^{-1} (F_{level+1}(x) - F_level(x))|`` (see
      :data:`QUAD_SAFETY`);
    * rounding: ``4 eps (|x_i| + ||(I - J)^{-1}|| max(||x||, ||F(x)||))``.

    Observable errors: ``sum_j |dO/dx_j| err_j`` (forward-difference gradient) + 2 |O at the
    next node level - O| + ``4 eps |O|``. Returns (fp, state errors, observable errors) with
    ``fp.near_critical`` and ``fp.sigma`` set; both dicts are empty when the Jacobian cannot
    be formed (the map fails next to the answer).
    """
    x = np.asarray(fp.x, dtype=float)
    names = system.state_names
    n = x.size
    eps = np.finfo(float).eps
    fp.near_critical, fp.sigma = False, float("nan")
    quad = cs.groups and lev < cs.max_level

    def obs_at(z, level):
        o = cs.observables(z, pv, level)
        o.update(model.derived(p, dict(zip(names, z.tolist())), o))
        return o

    try:
        with np.errstate(all="ignore"):
            fx = cs.map(x, pv, lev)
            r0 = residual_of(x, fx)
            J = getattr(fp, "jac", None)
            if J is None:
                J = _jacobian(cs, pv, lev, x, fx)
            if not np.all(np.isfinite(J)):
                return fp, {}, {}
            A = np.eye(n) - J
            delta = np.linalg.solve(A, fx - x)
            if not np.all(np.isfinite(delta)):
                return fp, {}, {}
            x1 = x + delta
            take = False
            if not cs.constraint_violations(x1, pv, lev):
                f1 = cs.map(x1, pv, lev)
                r1 = residual_of(x1, f1)
                take = bool(r1 <= r0)
            if take:
                chord = np.linalg.solve(A, f1 - x1)
                nd = float(np.max(np.abs(delta)))
                rho = float(np.max(np.abs(chord))) / nd if nd > 0 else 0.0
                xr, fr, rr, err_n = x1, f1, r1, NEWTON_SAFETY * np.abs(chord)
            else:
                rho = 0.0
                xr, fr, rr, err_n = x, fx, r0, NEWTON_SAFETY * np.abs(delta)
            # singular values of I - J in the units of the residual (each order parameter
            # scaled by max(1, |x_i|)): independent of the units the state is written in
            D = np.maximum(1.0, np.abs(xr))
            Js = J * D[None, :] / D[:, None]
            sig = float(np.linalg.svd(np.eye(n) - Js, compute_uv=False)[-1])
            scale = max(1.0, float(np.linalg.norm(Js, 2)))
            note = ""
            if rho > NONLINEAR_RATIO or sig < CRITICAL_SIGMA * scale:
                fp.near_critical = True
                xr, fr, rr, d, rho_c, sig = _newton_critical(cs, pv, lev, xr, fr, rr)
                err_n = NEWTON_SAFETY * np.abs(d) / (1.0 - rho_c)
                J = _jacobian(cs, pv, lev, xr, fr)
                A = np.eye(n) - J
                note = (f"; NEAR-CRITICAL fixed point: the smallest singular value of I - J is "
                        f"{sig:.2g} (||J|| = {scale:.2g}) and Newton steps shrink by "
                        f"~{rho_c:.2g} per step (a multiple root, linear convergence): the "
                        f"error bound is widened to 2 |step| / (1 - {rho_c:.2g}) = "
                        f"{float(np.max(err_n)):.2g}")
            fp.sigma = sig
            Ainv = np.linalg.inv(A)
            # rounding: each F_i carries ~eps max(|x_i|, |F_i|), carried by |(I - J)^{-1}|
            floor = 4 * eps * (np.abs(xr) + np.abs(Ainv) @ np.maximum(np.abs(xr), np.abs(fr)))
            err_q = np.zeros(n)
            if quad:
                sq = getattr(fp, "qstate", None)
                if sq is None:
                    sq = Ainv @ (cs.map(xr, pv, lev + 1) - fr)
                err_q = QUAD_SAFETY * np.abs(sq)
            err = err_n + err_q + floor
            D = np.maximum(1.0, np.abs(xr))
            fp.bound_parts = (float(np.max(err_n / D)), float(np.max(err_q / D)),
                              float(np.max(floor / D)))
            if not np.all(np.isfinite(err)):
                return fp, {}, {}
            # observables: gradient times the state error, plus their own quadrature error
            obs = obs_at(xr, lev)
            oq = obs_at(xr, lev + 1) if quad else obs
            obs_err = {k: QUAD_SAFETY * abs(float(oq[k]) - float(v)) + 4 * eps * abs(float(v))
                       for k, v in obs.items() if k in oq}
            for j in range(n):
                h = 1e-7 * max(1.0, abs(xr[j]))
                xh = xr.copy()
                xh[j] += h
                try:
                    oh = obs_at(xh, lev)
                except (IntegrationError, InputError):
                    h = -h
                    xh[j] = xr[j] + h
                    oh = obs_at(xh, lev)
                for k in obs_err:
                    if k in oh:
                        obs_err[k] += abs((float(oh[k]) - float(obs[k])) / h) * err[j]
    except (IntegrationError, InputError, np.linalg.LinAlgError, ValueError, ZeroDivisionError,
            FloatingPointError):
        return fp, {}, {}
    if xr is not x:
        fp.x, fp.residual = xr, rr
        fp.message += (f"; refined by {'Newton steps' if fp.near_critical else 'one Newton step'}"
                       f" to residual {rr:.1e}")
    fp.message += note
    fp.observables_at_x = obs
    return fp, {k: float(e) for k, e in zip(names, err)}, obs_err


def _check_bound(fp, tol) -> None:
    """"converged" means the error bound is within ``tol`` (relative, as the residual): a
    quadrature part above it fails the solve as "quadrature", a Newton part above it (not at
    a near-critical point, which is flagged instead) as "residual"; a bound set by float64
    rounding alone is stated in the message (only ``dps=`` can do better)."""
    parts = getattr(fp, "bound_parts", None)
    if parts is None or not fp.converged:
        return
    newton, quad, floor = parts
    if quad > tol:
        fp.converged, fp.failure = False, "quadrature"
        fp.message += (f"; the quadrature error of the map, carried to the state, is "
                       f"{quad:.2g} > tol {tol:.1g}")
    elif newton > tol and not getattr(fp, "near_critical", False):
        fp.converged, fp.failure = False, "residual"
        fp.message += (f"; the error bound of the state (I - J)^-1 (F(x) - x) is {newton:.2g} "
                       f"> tol {tol:.1g}")
    elif floor > tol:
        fp.message += (f"; float64 rounding carried by (I - J)^-1 limits the state to "
                       f"{floor:.2g} > tol {tol:.1g} (solve with dps= for more digits)")


def _solve_one(model, p, system, cs, pv, x0, tol, method, damping, level, max_iter,
               budget=None, progress=None, label=""):
    """Solve at a node level, then check the level: the next level must agree at the answer."""
    fp = None
    qerr = 0.0
    iterations = 0
    names = list(system.state_names)
    note = ""
    for lev in range(level, cs.max_level + 1):
        fp = _solve_at_level(cs, pv, x0, tol, method, damping, lev, max_iter, budget, names,
                             progress, f"{label} (node level {lev})" if cs.groups else label)
        iterations += fp.iterations
        if not fp.converged or not cs.groups:
            if note and not fp.converged:
                fp.message = f"{fp.message} ({note})"
            return fp, lev, qerr if note else 0.0, iterations
        if lev == cs.max_level:
            break
        try:
            fine = cs.map(fp.x, pv, lev + 1)
        except (IntegrationError, InputError) as exc:
            fp.converged, fp.failure = False, "quadrature"
            fp.message = (f"quadrature not checked: the map at node level {lev + 1} cannot be "
                          f"evaluated at the answer of level {lev} ({exc}); residual at level "
                          f"{lev}: {fp.residual:.2g}")
            return fp, lev, np.inf, iterations
        qerr = residual_of(fp.x, fine)
        carried = ""
        if qerr <= tol:
            # the difference of the levels carried to the state by (I - J)^{-1}: near a
            # phase boundary a small quadrature error of F is a large error of the state
            try:
                coarse = cs.map(fp.x, pv, lev)
            except (IntegrationError, InputError):
                coarse = None
            sq, J = (None, None) if coarse is None else \
                _quadrature_propagated(cs, pv, lev, fp.x, coarse, fine)
            if sq is None:
                return fp, lev, qerr, iterations
            qstate = QUAD_SAFETY * float(np.max(np.abs(sq) / np.maximum(1.0, np.abs(fp.x))))
            if qstate <= tol:
                fp.jac, fp.qstate = J, sq
                return fp, lev, qerr, iterations
            carried = (f", which the fixed point amplifies to a state error of {qstate:.3g} "
                       f"(2 |(I - J)^-1 (F_{lev + 1} - F_{lev})|)")
        note = (f"after level {lev} was not resolved: levels {lev} and {lev + 1} differ by "
                f"{qerr:.3g}{carried} > tol {tol:.1g}")
        x0 = fp.x
    fp.converged, fp.failure = False, "quadrature"
    fp.message = (f"quadrature not resolved: at the answer of level {lev - 1}, "
                  f"{note.split(': ', 1)[-1]}; level {lev} is the finest (its fixed-point "
                  f"residual is {fp.residual:.2g} <= tol {tol:.1g})"
                  if lev == cs.max_level and lev > level else
                  f"quadrature not resolved: the map at node level {lev} and the next differ "
                  f"by {qerr:.3g} > tol {tol:.1g} at the answer (fixed-point residual "
                  f"{fp.residual:.2g})")
    return fp, lev, qerr, iterations


_EXACT_TYPES = (str, fractions.Fraction, decimal.Decimal, mpmath.mpf)


def _exact_inputs(model, params: dict) -> dict:
    """The real-valued parameters given exactly (decimal text, Fraction, Decimal, mpf)."""
    kinds = {f.name: f.type for f in dataclasses.fields(model.Params)}
    out = {}
    for k, v in params.items():
        if kinds.get(k) not in (float, "float") or not isinstance(v, _EXACT_TYPES):
            continue
        if isinstance(v, str):
            try:
                float(v)
                mpmath.mpf(v.strip())
            except (ValueError, TypeError):
                continue  # the validator names it
        out[k] = v.strip() if isinstance(v, str) else v
    return out


def to_mpf(v):
    """``v`` as an mpf at the current working precision, keeping decimal text and fractions
    exact to that precision (``"0.3"`` -> the decimal 0.3, not the double nearest to it)."""
    if isinstance(v, fractions.Fraction):
        return mpmath.mpf(v.numerator) / v.denominator
    if isinstance(v, decimal.Decimal):
        return mpmath.mpf(str(v))
    if isinstance(v, str):
        return mpmath.mpf(v.strip())
    return +mpmath.mpf(v)


def _params_mp(p, exact: dict):
    """A copy of the (validated, float) parameters with the exact inputs as mpf at the current
    working precision; models' ``values``/``values_mp`` then pass them to the mpmath path."""
    if not exact:
        return p
    q = copy.copy(p)
    for k, v in exact.items():
        object.__setattr__(q, k, to_mpf(v))
    return q


def solve(model, /, *, tol: float = 1e-10, method: str = "auto", damping: float = 0.0,
          strict: bool = False, dps: int | None = None, init: dict | None = None,
          level: int | None = None, max_iter: int = 5000, starts: bool = True,
          max_time: float | None = DEFAULT_MAX_TIME,
          max_evaluations: int | None = DEFAULT_MAX_EVALUATIONS, progress=None,
          **params) -> SolveResult:
    """Solve a saddle-point system or a model at one parameter point.

    The fixed point ``x = F(x)`` is found in float64 (Anderson acceleration, damped iteration
    or Newton; :mod:`theory.numeric.solvers`), with the Gaussian expectations at a node level
    checked against the next level, refined by one Newton step, and optionally polished by
    Newton's method in mpmath at ``dps`` digits.

    Parameters
    ----------
    model : SaddlePointSystem, str, Model subclass or Model instance
        A bare :class:`~theory.symbolic.system.SaddlePointSystem` (wrapped by
        :meth:`Model.from_system`; give every system parameter and ``init``), a registered
        model name (``theory models`` lists them), or a model class or instance.
    tol : float, default 1e-10
        Tolerance on the undamped relative residual ``max|F(x) - x| / max(1, |x|)``, in (0, 1).
    method : {"auto", "anderson", "damped", "newton"}, default "auto"
        The float64 fixed-point method.
    damping : float, default 0.0
        Damping of the "damped" method (new = (1 - damping) F(x) + damping x).
    strict : bool, default False
        Raise :class:`~theory.errors.ConvergenceError` instead of returning an unconverged
        result; its message names the check that failed (residual, stall, budget, quadrature
        level, constraint, NaN in the map) with its numbers.
    dps : int, optional
        Polish the float64 answer by Newton's method at ``dps`` digits (in [15, 10000]) and
        evaluate the observables there; parameters given as decimal text, Fraction, Decimal or
        mpf enter that path exactly (``psi1="0.3"`` is 3/10 to ``dps`` digits).
    init : dict {str: float}, optional
        A starting state, one value per order parameter (by name). Default: every start of the
        model; required for a bare system.
    level : int, optional
        First quadrature node level (default: the model's): an integer from 0 to one below
        the finest level of the system's rules (the finest checks the level below it).
    max_iter : int, default 5000
        Iterations per solver phase (an integer >= 1).
    starts : bool, default True
        With ``init=None``, run every start of the model and report all distinct fixed points
        (True), or only the first (False).
    max_time, max_evaluations : float and int, optional
        Budget of the whole call (all starts and node levels): seconds (default 300) and
        evaluations of the map (default 200000); None for no limit. When spent, the result
        fails with ``failure="budget"``.
    progress : None, False or callable
        None: a throttled line on stderr once a solve has run 3 s; False: silent; a callable
        receives a dict (see :func:`~theory.numeric.solvers.solve_fixed_point`).
    **params : float or str
        The model's parameters by name (for a system: its ``parameter_names``). Decimal text is
        read exactly by the ``dps`` path.

    Returns
    -------
    SolveResult
        ``state`` and ``observables`` by name, ``converged``, ``residual``, error bounds
        (``state_errors``, ``observable_errors``: the residual and the quadrature error of the
        map carried to the state by ``(I - J)^{-1}``; "converged" means they are within
        ``tol``), ``near_critical`` (a nearly singular ``I - J``: the bound is widened and the
        message says so). Never an unconverged state as an answer: a
        failed solve has NaN state and observables, ``converged=False`` and ``failure`` set
        (the best iterate is in ``last_state``; ``message`` names the check and its numbers).

    Raises
    ------
    InputError
        A parameter that is unknown, missing (no default) or outside its range; an ``init``
        that misses an order parameter or names one the system does not have; a bad ``tol``,
        ``method``, ``dps``, ``level`` or ``max_iter``; a ``starts`` callable that raises.
    ConvergenceError
        With ``strict=True``, when the solve failed.

    Examples
    --------
    The Bayes-optimal teacher-student perceptron, Gaussian prior and sign channel (the GLM
    state evolution of Barbier et al., PNAS 116, 5451 (2019), arXiv:1708.03395):

    >>> import sympy as sp
    >>> from theory import E, Phi, SaddlePointSystem, gaussians, phi, solve
    >>> q, qhat, alpha = sp.symbols("q qhat alpha", positive=True)
    >>> xi = gaussians("xi")
    >>> u = sp.sqrt(q / (1 - q)) * xi[0]
    >>> system = SaddlePointSystem(name="perceptron", state=[q], parameters=[alpha],
    ...     steps=[(qhat, 2 * alpha / (1 - q) * E(phi(u)**2 / Phi(u), over=xi))],
    ...     updates={q: qhat / (1 + qhat)})
    >>> res = solve(system, alpha=1, init={"q": 0.5})
    >>> res.converged, round(res.state["q"], 12)
    (True, 0.486263637016)
    >>> import mpmath
    >>> res = solve(system, alpha=1, init={"q": 0.5}, dps=20, progress=False)
    >>> mpmath.nstr(res.state["q"], 20)
    '0.48626363701611648854'
    """
    t0 = time.perf_counter()
    model = _as_model(model, init)
    if method not in METHODS:
        raise InputError("method", method, f"one of {METHODS}")
    if isinstance(tol, bool) or not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise InputError("tol", tol, "a number in (0, 1)")
    if dps is not None:
        dps = check_int("dps", dps, 15, 10000)
    max_iter = check_int("max_iter", max_iter, 1, 10**9)
    budget = Budget(max_time, max_evaluations)
    given = params.pop("_params", None)
    exact = params.pop("_exact", None) or {}
    label = params.pop("_label", None) or model.name + "".join(
        f" {k}={v}" for k, v in params.items())
    if given is None:
        exact = {**exact, **_exact_inputs(model, params)}
    p = given or make_params(model, params)
    direct = getattr(model, "solve_direct", None)
    if direct is not None:  # a model with its own well-conditioned solve (rf_ridge)
        res = direct(p, tol=tol, dps=dps, exact=exact)
        res.seconds = time.perf_counter() - t0
        if dps is not None and exact:
            with mpmath.workdps(dps):
                for k, v in exact.items():
                    res.params[k] = to_mpf(v)
        if not res.converged and res.failure is None:
            res.failure = "residual"
        if strict and not res.converged:
            raise ConvergenceError(f"{model.name} did not converge: {res.failure} check failed "
                                   f"({res.message})", float(res.residual), tol,
                                   hint=model.hint if res.failure == "residual" else res.hint,
                                   result=res, failure=res.failure or "residual")
        return res
    system = model.system(p)
    cs = compile_system(system)
    values = model.values(p)
    pv = _pvals(system, values)
    if level is not None and not cs.groups:
        level = check_int("level", level, 0, 1000)  # no expectation: any level is the same
    elif level is not None:
        level = check_int("level", level, 0, max(cs.max_level - 1, 0))
    lev0 = model.default_level if level is None else level
    lev0 = min(lev0, max(cs.max_level - 1, 0) if cs.groups else cs.max_level)
    inits = [check_init(system, init)] if init is not None else model.starts(p)
    if init is None and not starts:
        inits = inits[:1]
    found: list = []
    for st in inits:
        if budget.exhausted and found:
            break
        x0 = _vec(system, st)
        fp, lev, qerr, its = _solve_one(model, p, system, cs, pv, x0, tol, method, damping,
                                        lev0, max_iter, budget, progress, label)
        if fp.failure == "domain":
            cause = _diagnose_domain(cs, system, pv, x0, lev)
            if cause:
                fp.message = fp.message.replace(" (unphysical state?)", "") + f"; cause: {cause}"
        found.append((fp, lev, qerr, its, st))
    # distinct converged fixed points
    good = [f for f in found if f[0].converged]
    distinct: list = []
    for f in good:
        if not any(np.max(np.abs(f[0].x - g[0].x) / np.maximum(1, np.abs(g[0].x))) < 1e-6
                   for g in distinct):
            distinct.append(f)
    best = distinct[0] if distinct else _most_informative(found)
    fp, lev, qerr, its, st = best
    state_err: dict = {}
    obs_err: dict = {}
    if fp.converged:
        fp, state_err, obs_err = _refine(model, p, system, cs, pv, lev, fp)
        _check_bound(fp, tol)
    state = dict(zip(system.state_names, fp.x.tolist()))
    obs: dict = {}
    last: dict = {}
    if fp.converged:
        try:
            cached = getattr(fp, "observables_at_x", None)  # computed by _refine at this state
            if cached is not None:
                obs = cached
            else:
                obs = cs.observables(fp.x, pv, lev)
                obs.update(model.derived(p, state, obs))
        except (IntegrationError, InputError) as exc:
            fp.converged, fp.failure = False, "nan"
            fp.message = (f"the state converged (residual {fp.residual:.2g}) but the "
                          f"observables cannot be evaluated there: {exc}")
            obs = {}
    if not fp.converged:
        last = state
        state = {k: float("nan") for k in system.state_names}
        obs = {k: float("nan") for k in system.observables}
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
    failure = None if fp.converged else (fp.failure or "residual")
    res = SolveResult(model.name, dataclasses.asdict(p), state, obs, fp.converged,
                      its, fp.residual, tol, msg, fp.method, fp.history, qerr, lev,
                      alts, {}, fp.violations, failure=failure, last_state=last)
    if fp.converged:
        res.near_critical = bool(getattr(fp, "near_critical", False))
        res.state_errors = state_err
        res.observable_errors = {k: max(v, 4 * np.finfo(float).eps * abs(obs[k]))
                                 for k, v in obs_err.items() if k in obs and np.isfinite(v)}
    if res.converged and dps is not None:
        with mpmath.workdps(dps + 10):
            pm = _params_mp(p, exact)
            vals = model.values_mp(pm, dps + 10) if hasattr(model, "values_mp") else \
                model.values(pm)
            pv = _pvals(system, vals)
            for k in exact:
                res.params[k] = +getattr(pm, k)
        _polish_mp(cs, system, pv, res, dps, model, p, budget, progress, label)
    if hasattr(model, "closed_form"):
        if dps is not None and exact:  # the closed form at dps digits sees the exact inputs
            with mpmath.workdps(dps + 10):
                cf = model.closed_form(_params_mp(p, exact), dps=dps)
        else:
            cf = model.closed_form(p, dps=dps)
        if cf:
            res.closed_form = cf
    res.seconds = time.perf_counter() - t0
    if strict and not res.converged:
        hint = model.hint if res.failure == "residual" else res.hint
        raise ConvergenceError(f"{model.name} did not converge: {res.failure} check failed "
                               f"({res.message})", float(res.residual), tol, hint=hint,
                               result=res, failure=res.failure or "residual")
    return res


def _diagnose_domain(cs, system, pv, x0, level) -> str | None:
    """Why the map cannot be evaluated at the start ``x0``, in words with numbers: the first
    step whose value is not finite and, for a one-dimensional expectation in it, where its
    integrand stops being finite (a float64 overflow, underflow or 0/0 of a closed form, e.g.
    ``1 + erf(x)`` = 0 below x = -5.9) or that it is finite nowhere (a square root or log of a
    negative number: the start is outside the map's domain). None when no cause is found."""
    try:
        with np.errstate(all="ignore"):
            return _diagnose(cs, system, pv, x0, level)
    except Exception:  # a diagnosis must never hide the original failure
        return None


def _diagnose(cs, system, pv, x0, level):
    import sympy as sp

    from ..numeric.bridge import numpy_function

    start = ", ".join(f"{n}={float(v):.6g}" for n, v in zip(system.state_names, x0))
    for i in range(cs.n_steps):
        try:
            vals = cs._run(x0, pv, level, i + 1)
            if np.isfinite(vals[-1]):
                continue
        except (IntegrationError, InputError, ValueError, ZeroDivisionError, OverflowError,
                np.linalg.LinAlgError):
            pass
        sym, _outer, nodes, _dummies, known = cs._mp_steps[i]
        vals = cs._run(x0, pv, level, i)
        name = sym.name if not str(sym).startswith("F_") else f"the update of {str(sym)[2:]}"
        for nd in nodes:
            if len(nd.variables) != 1:
                continue
            var = nd.variables[0]
            with np.errstate(all="ignore"):
                var_val = float(np.asarray(numpy_function(nd.cov[0, 0], known)(*vals)))
                if not (np.isfinite(var_val) and var_val >= 0):
                    return (f"the variance of {var} in E[...] of step {name} is {var_val:.6g} at "
                            f"the start ({start})")
                z = np.linspace(-40.0, 40.0, 16001)
                f = np.asarray(numpy_function(nd.integrand, (var, *known))(
                    z * np.sqrt(var_val), *vals), dtype=float) * np.ones_like(z)
            bad = ~np.isfinite(f)
            if not bad.any():
                continue
            text = sp.sstr(nd.integrand)
            text = text if len(text) <= 120 else text[:117] + "..."
            if bad.all():
                return (f"the integrand {text} of step {name} is {f[0]} at every point "
                        f"{var} in [-40, 40] standard deviations, at the start ({start}): an "
                        "operation outside its domain (a square root or log of a negative "
                        "number?): give a start inside the domain of the map")
            j = int(np.argmin(np.where(bad, np.abs(z), np.inf)))
            ok = z[~bad]
            return (f"the integrand {text} of step {name} is {f[j]} at {var} = {z[j]:.4g} "
                    f"standard deviations (finite for {var} in [{ok.min():.4g}, "
                    f"{ok.max():.4g}]) at the start ({start}): a float64 overflow, underflow or "
                    "0/0 in a closed form (1 + erf(x) is 0 below x = -5.9, exp(x) overflows "
                    "above 709); write it with the stable atoms theory.Phi, H, logPhi, Mills, "
                    "softplus, sigmoid")
        return f"step {name} is not finite at the start ({start})"
    return None


_FAILURE_RANK = {"residual": 0, "stall": 1, "quadrature": 2, "constraint": 3, "budget": 4,
                 "nan": 5, "domain": 6}


def _most_informative(found):
    """Of failed starts, the one that got furthest: the smallest finite residual, preferring
    failures later in the pipeline (a converged-but-unresolved level over a stall)."""
    def key(f):
        r = f[0].residual
        return (0, r) if np.isfinite(r) else (1, _FAILURE_RANK.get(f[0].failure, 9))

    return min(found, key=key)


def _polish_mp(cs, system, pv, res, dps, model, p, budget=None, progress=None, label=""):
    """Newton polish with ``mpmath.findroot`` at ``dps`` digits, inside the solve's budget
    (each evaluation of the mpmath map counts; a progress line after 3 s as in the float
    phase)."""
    from ..numeric import solvers

    t0 = budget.t0 if budget is not None else time.perf_counter()
    shown = [0.0, 0]

    def tick():
        if budget is not None:
            budget.spend()
        shown[1] += 1
        now = time.perf_counter()
        if progress is False or now - t0 < solvers.PROGRESS_AFTER or \
                now - shown[0] < solvers.PROGRESS_EVERY:
            return
        shown[0] = now
        info = {"label": label, "phase": f"mpmath polish ({dps} digits)",
                "iteration": shown[1], "evaluations": shown[1], "residual": float("nan"),
                "seconds": now - t0}
        if callable(progress):
            progress(info)
        else:
            import sys

            sys.stderr.write(f"\r{label}: mpmath polish at {dps} digits, evaluation "
                             f"{shown[1]}, {now - t0:.0f} s   ")
            sys.stderr.flush()
            shown.append(True)

    with mpmath.workdps(dps + 10):
        pmp = [v if isinstance(v, (str, mpmath.mpf)) else mpmath.mpf(v) for v in pv]
        x0 = [mpmath.mpf(res.state[n]) for n in system.state_names]

        def F(x):
            tick()
            return cs.map_mp(list(x), pmp, dps)

        try:
            x, fx, JG, steps = _newton_mp(F, x0, dps)
            errs, rho = _mp_errors(cs, pmp, dps, x, fx, JG, F, steps)
        except (ValueError, ZeroDivisionError) as exc:
            _polish_failed(res, system, f"mpmath polish at {dps} digits failed from the "
                           f"float64 answer (residual {float(res.residual):.2g}): {exc}")
            return
        except solvers.BudgetExhausted as exc:
            _polish_failed(res, system, f"mpmath polish at {dps} digits stopped after "
                           f"{shown[1]} evaluations: {exc}", failure="budget")
            return
        finally:
            if len(shown) > 2:
                import sys

                sys.stderr.write("\n")
        r = _rel_residual_mp(x, fx)
        obs = cs.observables_mp(x, pmp, dps)
        obs_err = _mp_observable_errors(cs, pmp, dps, x, obs, errs, model, p, system)
    with mpmath.workdps(dps):
        res.state = {n: +v for n, v in zip(system.state_names, x)}
        res.observables = {k: +v for k, v in obs.items()}
        res.observables.update(model.derived(p, res.state, res.observables))
        res.residual = +r
    # the float64 bounds no longer apply: the errors at dps digits (a plain float each; below
    # 1e-308 they are reported as 1e-308, never as 0)
    res.state_errors = {n: max(float(e), 1e-308) for n, e in zip(system.state_names, errs)}
    res.observable_errors = {k: max(float(e), 1e-308) for k, e in obs_err.items()
                             if k in res.observables}
    res.dps = dps
    need = mpmath.mpf(10) ** (-dps)
    res.converged = r <= need
    if res.converged:
        res.message = f"converged at {dps} digits: residual {mpmath.nstr(r, 3)}"
        if rho > NONLINEAR_RATIO:
            res.near_critical = True
            res.message += (f"; NEAR-CRITICAL fixed point: Newton steps shrink only by ~{rho:.2g}"
                            f" per step (a multiple root): the error bound is widened to "
                            f"{max(res.state_errors.values()):.2g}")
    else:
        _polish_failed(res, system, f"mpmath polish reached residual {mpmath.nstr(r, 3)} > "
                       f"1e-{dps} (the {dps}-digit tolerance)")


def _mp_errors(cs, pmp, dps, x, fx, JG, F, steps=()) -> tuple:
    """Error bound of each order parameter after the polish at ``dps`` digits (working
    precision ``dps + 10``): ``2 |(I - J)^{-1} (F(x) - x)|`` (the next Newton step, with the
    last Jacobian) + ``2 |(I - J)^{-1} (F_{dps+10}(x) - F_dps(x))|`` (the map at ``dps`` digits
    against the map at ``dps + 10``: its quadrature and rounding error carried to the state)
    + ``10^-dps |x|`` (the answer rounded to ``dps`` digits). When the last two Newton steps
    shrank by less than 10x (ratio rho > 0.1 above the precision floor: a multiple root, where
    Newton converges linearly and a k-fold root leaves an error of (k-1) times the last step),
    the step part is ``2 |last step| / (1 - rho)``. Returns (bounds, rho)."""
    n = len(x)
    if JG is None:  # no Newton step was needed: form the Jacobian once
        h0 = mpmath.mpf(10) ** (-((dps + 10) // 2))
        g = [a - b for a, b in zip(fx, x)]
        JG = mpmath.matrix(n, n)
        for j in range(n):
            hj = h0 * max(1, abs(x[j]))
            xh = list(x)
            xh[j] += hj
            fh = F(xh)
            for i in range(n):
                JG[i, j] = ((fh[i] - xh[i]) - g[i]) / hj
    with mpmath.workdps(dps + 20):
        hi = cs.map_mp(list(x), [+v for v in pmp], dps + 10)
    step = mpmath.lu_solve(JG, mpmath.matrix([b - a for a, b in zip(fx, x)]))
    quad = mpmath.lu_solve(JG, mpmath.matrix([a - b for a, b in zip(hi, fx)]))
    ulp = mpmath.mpf(10) ** (-dps)
    steps = list(steps)
    rho = float(steps[-1] / steps[-2]) if len(steps) > 1 and steps[-2] > 0 else 0.0
    if len(steps) < 2 or steps[-1] <= ulp * max(1, max(abs(v) for v in x)):
        rho = 0.0  # steps at the precision floor are noise, not a sign of a multiple root
    part = [2 * abs(v) for v in step]
    if rho > NONLINEAR_RATIO:
        wide = 2 * steps[-1] / (1 - min(rho, 0.95))
        part = [max(v, wide) for v in part]
    return [part[i] + 2 * abs(quad[i]) + ulp * abs(x[i]) for i in range(n)], rho


def _mp_observable_errors(cs, pmp, dps, x, obs, errs, model, p, system) -> dict:
    """Error bound of each observable at ``dps`` digits: ``2 |O_{dps+10} - O_dps|`` + the
    change of O along the state's error vector (a directional difference) + ``10^-dps |O|``."""
    names = system.state_names

    def with_derived(z, o):
        o = dict(o)
        o.update(model.derived(p, dict(zip(names, z)), o))
        return o

    obs = with_derived(x, obs)
    with mpmath.workdps(dps + 20):
        hi = with_derived(x, cs.observables_mp(list(x), [+v for v in pmp], dps + 10))
    size = max(errs)
    out = {k: 2 * abs(hi[k] - v) + mpmath.mpf(10) ** (-dps) * abs(v) for k, v in obs.items()
           if k in hi}
    if size > 0:
        h = mpmath.mpf(10) ** (-((dps + 10) // 2))
        xs = [a + h * e / size for a, e in zip(x, errs)]
        try:
            moved = with_derived(xs, cs.observables_mp(xs, pmp, dps))
        except (ValueError, ZeroDivisionError, IntegrationError, InputError):
            moved = None
        for k in out:
            if moved is not None and k in moved:
                out[k] += 2 * abs(moved[k] - obs[k]) / h * size
    return out


def _rel_residual_mp(x, fx):
    return max(abs(a - b) / max(1, abs(b)) for a, b in zip(fx, x))


def _newton_mp(F, x0, dps: int, max_steps: int = 30):
    """Newton's method on ``G(x) = F(x) - x`` at the working precision (``dps + 10`` digits),
    from a float64 fixed point: returns ``(x, F(x))``.

    The Jacobian is a forward difference with relative step ``10^-((dps + 10)/2)`` (error of
    that order, so each step multiplies the error by ~``max(error, 10^-(dps/2))``: two or three
    steps from a float64 answer reach ``dps`` digits). A step that does not lower the relative
    residual is halved (at most 8 times); the iteration stops when the residual is below
    ``10^-(dps + 5)``, stops decreasing (the precision floor of the map), or after
    ``max_steps``. ``n + 1`` evaluations of ``F`` per step for ``n`` order parameters (mpmath's
    ``findroot`` with a tolerance below the working precision cannot stop early and spent
    ~30 evaluations on the 1-dimensional perceptron). Raises ZeroDivisionError when the
    Jacobian is singular. Returns ``(x, F(x), J, steps)`` with ``J`` the last Jacobian of
    ``F(x) - x`` (None when no step was needed) and the sizes of the steps taken.
    """
    n = len(x0)
    x = list(x0)
    fx = list(F(x))
    r = _rel_residual_mp(x, fx)
    target = mpmath.mpf(10) ** (-(dps + 5))
    floor = mpmath.mpf(10) ** (-dps)
    h0 = mpmath.mpf(10) ** (-((dps + 10) // 2))
    J, steps = None, []
    for _ in range(max_steps):
        if not r > target:  # also stops on NaN (reported by the caller's check)
            break
        g = [a - b for a, b in zip(fx, x)]
        J = mpmath.matrix(n, n)
        for j in range(n):
            hj = h0 * max(1, abs(x[j]))
            xh = list(x)
            xh[j] += hj
            fh = F(xh)
            for i in range(n):
                J[i, j] = ((fh[i] - xh[i]) - g[i]) / hj
        step = mpmath.lu_solve(J, mpmath.matrix([-v for v in g]))
        lam = mpmath.mpf(1)
        for _half in range(9):
            x1 = [a + lam * step[i] for i, a in enumerate(x)]
            f1 = list(F(x1))
            r1 = _rel_residual_mp(x1, f1)
            if r1 < r:
                break
            lam /= 2
        else:
            break  # no step lowers the residual: the map's precision floor
        slow = r1 > r / 10
        steps.append(max(abs(lam * v) for v in step))
        x, fx, r = x1, f1, r1
        if slow and r <= floor:
            break
    return x, fx, J, steps


def _polish_failed(res, system, message, failure="polish"):
    res.converged, res.failure, res.message = False, failure, message
    res.last_state = dict(res.state)
    res.state = {k: float("nan") for k in system.state_names}
    res.observables = {k: float("nan") for k in res.observables}


#: most points of one curve
MAX_POINTS = 100_000


def parse_grid(text: str) -> np.ndarray:
    """``"a:b:n"`` (n points from a to b, inclusive) or a comma list -> array."""
    try:
        if ":" in text:
            a, b, count = text.split(":")
            n = int(count)
            if not 1 <= n <= MAX_POINTS:
                raise ValueError
            out = np.linspace(float(a), float(b), n)
        else:
            out = np.array([float(t) for t in text.split(",")])
    except ValueError:
        raise InputError("vary", text, f"NAME=start:stop:count (count in [1, {MAX_POINTS}]) "
                         "or NAME=v1,v2,...") from None
    if not np.all(np.isfinite(out)):
        raise InputError("vary", text, "finite numbers: NAME=start:stop:count or "
                         "NAME=v1,v2,...")
    return out


def curve(model, vary: str, values: Sequence[float] | np.ndarray, /, *, tol: float = 1e-10,
          method: str = "auto", damping: float = 0.0, strict: bool = True,
          max_iter: int = 5000, progress: Callable | None = None,
          max_time: float | None = DEFAULT_MAX_TIME,
          max_evaluations: int | None = DEFAULT_MAX_EVALUATIONS, solver_progress=None,
          init: dict | None = None, **params) -> Curve:
    """Solve along one parameter with warm starts (continuation).

    Parameters
    ----------
    model : SaddlePointSystem, str, Model subclass or Model instance
        As in :func:`solve` (a bare system needs ``init``).
    vary : str
        The parameter varied.
    values : sequence of float, shape (n,)
        Its values, in the order solved (all validated before any solve).
    tol, method, damping, max_iter : as in :func:`solve`
    strict : bool, default True
        True: the first point that fails raises :class:`~theory.errors.ConvergenceError`
        naming the point and the failed check (the points finished before it are in
        ``exc.curve``). False: every point is kept, a failed one with NaN values,
        ``converged=False`` and its ``failure`` (see :class:`Curve`).
    progress : callable, optional
        ``progress(done, total)`` after each point.
    max_time, max_evaluations : float and int, optional
        Budget of each point's solve (see :func:`solve`).
    solver_progress : None, False or callable
        Passed to :func:`solve` as ``progress`` (None: a throttled stderr line for a point that
        takes more than 3 s; False: silent).
    init : dict {str: float}, optional
        Start of the first point (every order parameter by name); required for a bare system.
    **params : float or str
        The other parameters, fixed along the curve.

    Returns
    -------
    Curve
        One :class:`SolveResult` per value (``points``), columns by name (:meth:`Curve.column`,
        :meth:`Curve.rows`, :meth:`Curve.to_frame`).

    Raises
    ------
    InputError
        ``vary`` is not a parameter or is also given as a fixed value, ``values`` is empty or
        not finite, a parameter is missing or out of range, ``init`` misses an order parameter.
    ConvergenceError
        With ``strict=True``, at the first point that fails.

    Notes
    -----
    The first point starts from ``init`` (else every start of the model); each next point
    starts from the last converged answer (and falls back to the model's starts if that
    fails). Ctrl-C (KeyboardInterrupt) stops the curve and returns the finished points, with
    the points not reached flagged ``"interrupted"`` and ``Curve.interrupted`` True (a
    RuntimeWarning says so).

    Examples
    --------
    >>> import sympy as sp
    >>> from theory import SaddlePointSystem, curve
    >>> m, beta = sp.symbols("m beta", positive=True)
    >>> system = SaddlePointSystem(state=[m], parameters=[beta], updates={m: sp.tanh(beta * m)})
    >>> c = curve(system, "beta", [1.5, 2.0, 3.0], init={"m": 1.0})
    >>> c.column("m").round(6).tolist()  # m = tanh(beta m), mpmath.findroot: 0.8585596...
    [0.85856, 0.957504, 0.994902]
    """
    t0 = time.perf_counter()
    model = _as_model(model, init)
    if not isinstance(vary, str):
        raise InputError("vary", vary, "the name of a parameter (a string)")
    try:
        grid = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError("values", values, "a non-empty list of finite numbers") from None
    if grid.ndim != 1 or grid.size == 0 or not np.all(np.isfinite(grid)):
        raise InputError("values", grid.tolist() if grid.size < 20 else "...",
                         "a non-empty list of finite numbers")
    names = {f.name for f in dataclasses.fields(model.Params)}
    if vary not in names:
        raise InputError("vary", vary, f"a parameter of {model.name}: one of {sorted(names)}")
    if vary in params:
        raise InputError("vary", vary, "a parameter not also given as a fixed value")
    fast = _fast_curve(model, vary, grid, params, init, strict, progress, t0, dict(
        tol=tol, method=method, damping=damping, max_iter=max_iter, max_time=max_time,
        max_evaluations=max_evaluations, progress=solver_progress))  # vectorised paths
    if fast is not None:
        return fast
    all_params = [make_params(model, {**params, vary: float(v)}) for v in grid]  # all valid
    exact = _exact_inputs(model, params)
    points: list = []
    prev = None
    level = None
    kw = dict(tol=tol, method=method, damping=damping, max_iter=max_iter, max_time=max_time,
              max_evaluations=max_evaluations, progress=solver_progress, _exact=exact)
    try:
        for i, p in enumerate(all_params):
            res = _curve_point(model, vary, grid, i, p, prev=prev, level=level, init=init,
                               strict=strict, kw=kw, points=points, t0=t0)
            points.append(res)
            if res.converged:
                prev, level = res, res.level
            if progress:
                progress(i + 1, len(grid))
    except KeyboardInterrupt:
        done = len(points)
        for p in all_params[done:]:
            points.append(SolveResult(model.name, dataclasses.asdict(p), {}, {}, False, 0,
                                      float("nan"), tol, "interrupted (Ctrl-C) before this "
                                      "point was solved", failure="interrupted"))
        warnings.warn(f"curve interrupted after {done} of {len(grid)} points: the finished "
                      "points are kept", RuntimeWarning, stacklevel=2)
        return Curve(model.name, vary, grid, points, time.perf_counter() - t0,
                     interrupted=True)
    return Curve(model.name, vary, grid, points, time.perf_counter() - t0)


class Model:
    """Base class with defaults for the optional parts of a model.

    A model file subclasses it, sets ``name``, ``title``, ``reference`` and ``Params``, and
    defines :meth:`system`, ``values(p)`` and ``starts(p)`` (see the module docstring);
    :meth:`from_system` builds one from a bare saddle-point system.
    """

    name = ""
    title = ""
    reference = ""
    default_level = 2
    hint = "try method='damped' with damping=0.5, or another init"

    #: the validated parameters: a frozen keyword-only dataclass (set by every model)
    Params: type

    def system(self, p):
        """The :class:`~theory.symbolic.system.SaddlePointSystem` at parameters ``p``.

        Parameters
        ----------
        p : Params
            Validated parameters (an instance of the model's ``Params``).

        Returns
        -------
        SaddlePointSystem
            The fixed-point map (it may depend on discrete parameters of ``p``).
        """
        raise NotImplementedError

    #: names of the observables :meth:`derived` adds (declare them so that the CLI can check
    #: ``--observable`` before solving)
    derived_names: tuple = ()

    def derived(self, p, state, observables) -> dict:
        """More observables computed from a solved fixed point (none by default).

        Parameters
        ----------
        p : Params
            Validated parameters.
        state : dict {str: float or mpmath.mpf}
            The solved order parameters.
        observables : dict {str: float or mpmath.mpf}
            The system's observables at the fixed point.

        Returns
        -------
        dict {str: float or mpmath.mpf}
            Extra observables by name (declare their names in :attr:`derived_names`).
        """
        return {}

    def observable_names(self, p) -> list | None:
        """Every column a solve or curve at ``p`` can report, known before solving (None when
        :meth:`derived` is overridden without :attr:`derived_names`).

        Parameters
        ----------
        p : Params
            Validated parameters.

        Returns
        -------
        list of str or None
            State names, observables, derived observables, ``residual`` and ``iterations``.
        """
        if type(self).derived is not Model.derived and not self.derived_names:
            return None
        system = self.system(p)
        names = [*system.state_names, *system.observables, *self.derived_names,
                 "residual", "iterations"]
        return names

    def parameters(self) -> list:
        """[(name, default, doc, allowed)] for listing.

        Returns
        -------
        list of tuple
            One ``(name, default, doc, allowed)`` per field of ``Params``: default
            ``"(required)"`` when there is none, ``allowed`` a phrase from its check
            (``"> 0"``, ``"one of [...]"``, ...).
        """
        out = []
        for f in dataclasses.fields(self.Params):
            chk = f.metadata.get("check")
            allowed = ("> 0" if chk is positive else ">= 0" if chk is nonnegative else
                       "real" if chk is real else
                       f"one of {list(chk.options)}" if chk is not None and hasattr(chk, "options") else
                       "an activation name or expression" if chk is activation_check else "")
            default = "(required)" if f.default is dataclasses.MISSING else f.default
            out.append((f.name, default, f.metadata.get("doc", ""), allowed))
        return out

    @classmethod
    def from_system(cls, system, *, defaults: dict | None = None, starts=None,
                    constraints: Sequence | None = None, name: str | None = None,
                    title: str | None = None, checks: dict | None = None) -> type:
        r"""A :class:`Model` subclass around a bare saddle-point system.

        A Model adds to a system what the solver, the CLI and the registry need: validated
        parameters (a frozen keyword-only ``Params`` dataclass generated from
        ``system.parameters``), their defaults, the starting states, extra physical
        constraints. :func:`solve` and :func:`curve` call this themselves on a bare
        :class:`~theory.symbolic.system.SaddlePointSystem`; call it to give defaults or to
        :func:`register` the model for the command line.

        Parameters
        ----------
        system : SaddlePointSystem
            The fixed-point map.
        defaults : dict {str: float}, optional
            Default values of system parameters. A parameter without a default must be given
            to every solve (else :class:`~theory.errors.InputError` naming it).
        starts : dict, list of dict, or callable, optional
            Starting states ``{order parameter: value}`` (every order parameter); a callable
            ``starts(p) -> list of dict`` may depend on the parameters ``p``. Without starts,
            every solve needs ``init=``.
        constraints : list of Constraint or sympy.Expr, optional
            Constraints added to the system's (an expression ``e`` means ``e > 0``).
        name : str, optional
            Registry and CLI name; default ``system.name``.
        title : str, optional
            One line shown by ``theory models``.
        checks : dict {str: "positive" | "nonnegative" | "real" | callable}, optional
            The validation of each parameter. Default: from the symbol's SymPy assumptions
            (``positive=True``: > 0, ``nonnegative=True``: >= 0, otherwise any finite real).

        Returns
        -------
        type
            A :class:`Model` subclass (instantiate it, pass it to :func:`solve` /
            :func:`curve`, or :func:`register` it).

        Raises
        ------
        InputError
            ``system`` is not a SaddlePointSystem; a default, check or start names something
            that is not a parameter / order parameter of the system; a default fails its
            check; a start misses an order parameter; a parameter name is not a Python
            identifier.

        Examples
        --------
        >>> import sympy as sp
        >>> from theory import Model, SaddlePointSystem, solve
        >>> m, beta = sp.symbols("m beta", positive=True)
        >>> system = SaddlePointSystem(name="mean_field", state=[m], parameters=[beta],
        ...                            updates={m: sp.tanh(beta * m)})
        >>> MeanField = Model.from_system(system, defaults={"beta": 2.0}, starts={"m": 1.0})
        >>> MeanField.Params()
        mean_fieldParams(beta=2.0)
        >>> round(float(solve(MeanField).state["m"]), 12)
        0.957504024077
        """
        import keyword

        import sympy as sp

        from ..symbolic.system import Constraint, SaddlePointSystem

        if not isinstance(system, SaddlePointSystem):
            raise InputError("system", type(system).__name__, "a SaddlePointSystem")
        pnames = system.parameter_names
        defaults = dict(defaults or {})
        checks = dict(checks or {})
        for what, dct in (("defaults", defaults), ("checks", checks)):
            for k in dct:
                if k not in pnames:
                    raise InputError(what, k, f"a parameter of the system: one of "
                                     f"{list(pnames)}")
        if constraints:
            extra = []
            for c in constraints:
                if not isinstance(c, Constraint):
                    e = sp.sympify(c, strict=True)
                    c = Constraint(e, f"{sp.sstr(e)} > 0")
                extra.append(c)
            system = dataclasses.replace(system, constraints=[*system.constraints, *extra])
        kinds = {"positive": positive, "nonnegative": nonnegative, "real": real}
        fields = []
        for sym in system.parameters:
            n = str(sym)
            if not n.isidentifier() or keyword.iskeyword(n):
                raise InputError("parameters", n, "Python identifiers (a keyword such as "
                                 "lambda cannot be a keyword argument)", hint="name the "
                                 "symbol lam and print it as \\lambda with latex_names")
            if n in _SOLVE_OPTIONS:
                raise InputError("parameters", n, "names other than the options of solve and "
                                 f"curve {sorted(_SOLVE_OPTIONS)}", hint="rename the symbol "
                                 "and print it as in the paper with latex_names")
            chk = checks.get(n)
            if chk is None:
                chk = positive if sym.is_positive else nonnegative if sym.is_nonnegative \
                    else real
            elif isinstance(chk, str):
                if chk not in kinds:
                    raise InputError(f"checks[{n!r}]", chk, f"one of {sorted(kinds)} or a "
                                     "callable check(name, value) -> value")
                chk = kinds[chk]
            elif not callable(chk):
                raise InputError(f"checks[{n!r}]", chk, "a callable check(name, value)")
            md = {"doc": f"system parameter {n}", "check": chk}
            if n in defaults:
                chk(n, defaults[n])  # a bad default fails here, not at the first solve
                fields.append((n, float, field(default=defaults[n], metadata=md)))
            else:
                fields.append((n, float, field(metadata=md)))
        mname = name if name is not None else system.name
        if not isinstance(mname, str) or not mname:
            raise InputError("name", mname, "a non-empty string")
        ident = "".join(c if c.isalnum() else "_" for c in mname)
        Params = dataclasses.make_dataclass(
            f"{ident}Params", fields, frozen=True, kw_only=True,
            namespace={"__post_init__": lambda self: validate(self)})
        if starts is None or callable(starts):
            start_list = starts
        else:
            start_list = [starts] if isinstance(starts, dict) else list(starts)
            start_list = [check_init(system, st, "starts") for st in start_list]
        the_system = system

        def _system(self, p):
            r"""The saddle-point system (the same for every ``p``).

            Parameters
            ----------
            p : Params
                Validated parameters.

            Returns
            -------
            SaddlePointSystem
                The system given to :meth:`Model.from_system`.
            """
            return the_system

        def _values(self, p):
            r"""Numbers for the system's parameter symbols, by name.

            Parameters
            ----------
            p : Params
                Validated parameters.

            Returns
            -------
            dict {str: float}
                The value of each system parameter.
            """
            return {n: getattr(p, n) for n in pnames}

        def _starts(self, p):
            r"""The starting states given to :meth:`Model.from_system` (evaluated at ``p``).

            Parameters
            ----------
            p : Params
                Validated parameters.

            Returns
            -------
            list of dict {str: float}
                Starting states, every order parameter given.

            Raises
            ------
            InputError
                No starts were given (then every solve needs ``init=``), or a start is not a
                state.
            """
            if start_list is None:
                raise InputError("init", None, "a starting state {order parameter: value} for "
                                 f"{list(the_system.state_names)}", hint="pass init={...} to "
                                 "solve/curve, or starts= to Model.from_system")
            if callable(start_list):
                fname = getattr(start_list, "__name__", repr(start_list))
                try:
                    got = start_list(p)
                except Exception as exc:  # the user's callable: name it, never a traceback
                    raise InputError("starts", fname, "a callable starts(p) -> list of "
                                     "{order parameter: value} that runs at these parameters",
                                     hint=f"it raised {type(exc).__name__}: {exc}") from exc
                if isinstance(got, dict):
                    got = [got]
                if not isinstance(got, (list, tuple)) or not got:
                    raise InputError("starts", fname, "a callable returning a non-empty list "
                                     "of {order parameter: value}", hint=f"it returned {got!r}")
                return [check_init(the_system, st, "starts") for st in got]
            return [dict(st) for st in start_list]

        attrs = {"name": mname, "title": title or f"saddle-point system {system.name}",
                 "reference": system.reference or "(no reference given: a user-defined "
                 "system, Model.from_system)", "Params": Params, "system": _system,
                 "values": _values, "starts": _starts, "_from_system": True,
                 "__doc__": f"Model built by Model.from_system from the system {system.name}."}
        return type(f"{ident}Model", (cls,), attrs)


def _curve_point(model, vary, grid, i, p, *, prev, level, init, strict, kw, points, t0):
    """One point of a curve (the sequential path, shared by :func:`curve` and
    :func:`_curve_batched`): warm start from ``prev`` (the last converged point), else
    ``init``, else the model's own starts; ``strict`` raises :class:`ConvergenceError`
    carrying the curve so far (``grid[:i]``, ``points``)."""
    at = f"{model.name} at {vary}={grid[i]:g}"
    res = None
    if prev is not None:
        res = solve(model, init=prev.state, level=level, _params=p, _label=at, **kw)
        if not res.converged:
            res = None
    elif init is not None:
        res = solve(model, init=init, level=level, _params=p, _label=at, **kw)
        if not res.converged and not getattr(model, "_from_system", False):
            res = None  # a model's own starts get their chance
    if res is None:
        res = solve(model, level=level, _params=p, _label=at, **kw)
    if not res.converged and strict:
        exc = ConvergenceError(
            f"{model.name} at {vary}={grid[i]:g} did not converge: {res.failure} check "
            f"failed ({res.message})", float(res.residual), kw["tol"],
            hint=model.hint if res.failure == "residual" else res.hint, result=res,
            failure=res.failure or "residual")
        exc.curve = Curve(model.name, vary, grid[:i], points,
                          time.perf_counter() - t0)
        raise exc
    return res


# ---------------------------------------------------------------- vectorised curves (speed)
def validate_varied(model, vary: str, grid: np.ndarray) -> np.ndarray:
    """The varied parameter's check applied to the whole grid at once.

    Parameters
    ----------
    model : Model
    vary : str
        A field of ``model.Params``.
    grid : numpy.ndarray of float, shape (n,)

    Returns
    -------
    numpy.ndarray of float, shape (n,)
        The grid (finite; the checks :func:`positive`, :func:`nonnegative`, :func:`real` are
        vectorised, any other check runs per value).

    Raises
    ------
    InputError
        At the first value the field's check rejects (the same error as the scalar check).
    """
    chk = next(f for f in dataclasses.fields(model.Params) if f.name == vary).metadata.get(
        "check")
    grid = np.asarray(grid, dtype=float)
    if chk is None:
        return grid
    with np.errstate(invalid="ignore"):
        ok = {positive: grid > 0, nonnegative: grid >= 0, real: np.isfinite(grid)}.get(chk)
    if ok is None or not np.all(ok & np.isfinite(grid)):
        return np.array([chk(vary, v) for v in grid.tolist()], dtype=float)
    return grid


def _fast_curve(model, vary, grid, params, init, strict, progress, t0, kw):
    """The :class:`Curve` by a vectorised path, or None for the sequential one: the model's
    ``curve_fast`` (closed forms), else :func:`_curve_batched` (maps that broadcast)."""
    fast = getattr(model, "curve_fast", None)
    if fast is not None:
        pts = fast(vary, grid, tol=kw["tol"], **params)
        if pts is None:
            return None
        if progress:
            progress(len(grid), len(grid))
        return Curve(model.name, vary, grid, pts, time.perf_counter() - t0)
    points: list = []
    try:
        if _curve_batched(model, vary, grid, params, init, strict, progress, t0, kw,
                          points) is None:
            return None
    except KeyboardInterrupt:  # as the sequential path: the finished points are kept
        done = len(points)
        for v in grid[done:]:
            points.append(SolveResult(model.name, {**params, vary: float(v)}, {}, {}, False, 0,
                                      float("nan"), kw["tol"], "interrupted (Ctrl-C) before "
                                      "this point was solved", failure="interrupted"))
        warnings.warn(f"curve interrupted after {done} of {len(grid)} points: the finished "
                      "points are kept", RuntimeWarning, stacklevel=3)
        return Curve(model.name, vary, grid, points, time.perf_counter() - t0,
                     interrupted=True)
    return Curve(model.name, vary, grid, points, time.perf_counter() - t0)


def _curve_batched(model, vary, grid, params, init, strict, progress, t0, kw, points):
    """The curve of a system whose map broadcasts (no Gaussian expectation) in one batched
    iteration (:func:`~theory.numeric.solvers.solve_batched`), or None (not applicable).

    The first point is solved as by the sequential path (every start of the model, or
    ``init``); its answer starts every other point of the batch. Each converged column gets
    what :func:`solve` gives a point: the constraint check, the Newton step and error estimates
    of :func:`_refine`, the observables, ``derived`` and the closed form. A column that did not
    converge (or violates a constraint) is solved by the sequential path (warm start from the
    last converged point, then the model's starts); ``strict`` raises as there. The points
    are appended to ``points``; returns it, or None (nothing appended).
    """
    from ..numeric.solvers import FixedPoint, solve_batched

    if len(grid) < 3 or kw["method"] != "auto" or getattr(model, "solve_direct", None):
        return None
    ps = [make_params(model, {**params, vary: float(v)}) for v in grid]  # all valid
    system = model.system(ps[0])
    cs = compile_system(system)
    if not cs.broadcasts or any(model.system(p) is not system for p in ps[1:]):
        return None
    kw = {**kw, "_exact": _exact_inputs(model, params)}
    tol = kw["tol"]
    prev, level = None, None

    def sequential(i, p):
        return _curve_point(model, vary, grid, i, p, prev=prev, level=level, init=init,
                            strict=strict, kw=kw, points=points, t0=t0)

    try:
        pv = np.array([_pvals(system, model.values(p)) for p in ps[1:]], dtype=float).T
    except (TypeError, ValueError):
        return None  # values that are not plain floats: point by point
    first = sequential(0, ps[0])
    if not first.converged:
        return None  # the sequential path reports it point by point
    points.append(first)
    if progress:
        progress(1, len(grid))
    prev, level = first, first.level
    x0 = _vec(system, first.state)
    bf = solve_batched(cs, list(pv), x0, tol=tol, damping=kw["damping"],
                       max_iter=kw["max_iter"])
    pre = _refine_batched(model, system, cs, pv, bf)
    for i, p in enumerate(ps[1:], 1):
        t1 = time.perf_counter()
        j = i - 1
        res = None
        if bf.converged[j]:
            fp = FixedPoint(bf.x[:, j].copy(), True, float(bf.residual[j]),
                            int(bf.iterations[j]), bf.evaluations, "anderson-batched",
                            f"converged: residual {bf.residual[j]:.2g} <= tol {tol:.1g} "
                            f"(anderson, batched over the {len(grid) - 1} points)")
            res = _batched_point(model, p, system, cs, pv[:, j].tolist(), level, fp, tol,
                                 pre[j])
            if res is not None:
                res.seconds = time.perf_counter() - t1
        if res is None:
            res = sequential(i, p)
        points.append(res)
        if res.converged:
            prev, level = res, res.level
        if progress:
            progress(i + 1, len(grid))
    return points


def _refine_batched(model, system, cs, pv, bf):
    """:func:`_refine` for every converged column of a batched solve at once (one batched map
    for the forward-difference Jacobians, batched linear solves): per column, None (the column
    is refined by :func:`_refine` itself: not converged, a model with ``derived``, a Jacobian or
    step that is not finite, a step that leaves the admissible region) or
    (x, residual, message suffix, state errors, observable errors, observables)."""
    B = bf.x.shape[1]
    out: list = [None] * B
    cols = np.flatnonzero(bf.converged)
    if cols.size == 0 or type(model).derived is not Model.derived:
        return out
    names, onames = system.state_names, list(system.observables)
    x, P = bf.x[:, cols], pv[:, cols]
    n, m = x.shape
    try:
        with np.errstate(all="ignore"):
            fx = cs.map_arrays(x, P)
            g = fx - x
            r0 = _column_res(x, fx)
            h = 1e-7 * np.maximum(1.0, np.abs(x))  # (n, m): the step of row j in column k
            Xh = np.repeat(x[:, None, :], n, axis=1)  # (n, n, m): block j perturbs row j
            Xh[np.arange(n), np.arange(n), :] += h
            Fh = cs.map_arrays(Xh.reshape(n, n * m), np.tile(P, (1, n))).reshape(n, n, m)
            J = (Fh - Xh - g[:, None, :]) / h[None, :, :]  # J[i, j, k] = dG_i/dx_j
            ok = np.all(np.isfinite(J), axis=(0, 1))
            Jk = np.where(ok, J, np.eye(n)[:, :, None]).transpose(2, 0, 1)
            delta = -np.linalg.solve(Jk, g.T[:, :, None])[:, :, 0].T
            ok &= np.all(np.isfinite(delta), axis=0)
            x1 = x + np.where(ok, delta, 0.0)
            for _what, good in cs.constraints_arrays(x1, P):
                ok &= good
            e1 = cs.evaluate_arrays(x1, P)
            r1 = _column_res(x1, np.array([np.broadcast_to(u, (m,)) for u in e1["__map__"]]))
            e0 = cs.evaluate_arrays(x, P)
            o0, o1 = (np.array([np.broadcast_to(e[k], (m,)) for k in onames],
                               dtype=float).reshape(len(onames), m) for e in (e0, e1))
    except (IntegrationError, InputError, np.linalg.LinAlgError, ValueError,
            ZeroDivisionError, FloatingPointError):
        return out
    oerr = np.abs(o1 - o0)
    for c, k in enumerate(cols.tolist()):
        if not ok[c]:
            continue
        better = r1[c] <= r0[c]
        xs, r, o = (x1[:, c], r1[c], o1[:, c]) if better else (x[:, c], r0[c], o0[:, c])
        note = f"; refined by one Newton step to residual {r1[c]:.1e}" if better else ""
        out[k] = (xs.copy(), float(r), note, dict(zip(names, np.abs(delta[:, c]).tolist())),
                  dict(zip(onames, oerr[:, c].tolist())), dict(zip(onames, o.tolist())))
    return out


def _column_res(x, fx):
    """:func:`~theory.numeric.solvers.residual_of` of every column (inf where not finite)."""
    with np.errstate(invalid="ignore"):
        r = np.max(np.abs(fx - x) / np.maximum(1.0, np.abs(x)), axis=0)
    return np.where(np.all(np.isfinite(fx), axis=0) & np.all(np.isfinite(x), axis=0), r,
                    np.inf)


def _batched_point(model, p, system, cs, pv, lev, fp, tol, pre=None):
    """The :class:`SolveResult` of one converged column of a batched solve, built as
    :func:`solve` builds it (refinement, error estimates, observables, closed form); None when
    the observables cannot be evaluated (the sequential path then reports the point).
    ``pre``: the column's batched refinement (:func:`_refine_batched`), else :func:`_refine`."""
    if pre is not None:
        fp.x, fp.residual, note, state_err, obs_err, fp.observables_at_x = pre
        fp.message += note
    else:
        fp, state_err, obs_err = _refine(model, p, system, cs, pv, lev, fp)
    state = dict(zip(system.state_names, fp.x.tolist()))
    try:
        obs = getattr(fp, "observables_at_x", None)
        if obs is None:
            obs = cs.observables(fp.x, pv, lev)
            obs.update(model.derived(p, state, obs))
    except (IntegrationError, InputError):
        return None
    if not all(np.isfinite(_as_float(v)) for v in state.values()):
        return None
    res = SolveResult(model.name, dataclasses.asdict(p), state, obs, True, fp.iterations,
                      fp.residual, tol, fp.message, fp.method, [], 0.0, lev, [], {}, [])
    res.state_errors = state_err
    res.observable_errors = {k: max(v, 4 * np.finfo(float).eps * abs(obs[k]))
                             for k, v in obs_err.items() if k in obs and np.isfinite(v)}
    if hasattr(model, "closed_form"):
        cf = model.closed_form(p, dps=None)
        if cf:
            res.closed_form = cf
    return res
