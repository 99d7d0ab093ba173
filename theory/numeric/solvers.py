r"""Fixed-point solvers for saddle-point maps ``x = F(x)``, generic over a state vector.

* **damped iteration** ``x <- (1-\delta) F(x) + \delta x``;
* **Anderson acceleration** (type II, memory ``m``), safeguarded: a step whose map cannot be
  evaluated (an inadmissible covariance) or whose residual grows is replaced by a damped step
  and the memory is cleared;
* **batched** (:func:`solve_fixed_point_batched`, :func:`solve_batched`): Anderson iteration
  of a whole parameter grid at once, for maps that broadcast over parameter arrays, and the
  vectorised safeguarded Newton :func:`bracketed_newton` for batches of scalar equations;
* **Newton** (``scipy.optimize.root``, Powell hybrid) on ``F(x) - x``, used to polish or when
  iteration stalls -- never trusted alone: from a generic start it finds unphysical roots of
  these systems (isotropic ridge at alpha = 0.5: V < 0), so every answer goes through the
  model's admissibility check.

The residual is always the *undamped* one, ``max_i |F_i(x) - x_i| / max(1, |x_i|)`` -- a test on
the damped increment is looser by ``1/(1-\delta)`` (NUMERICS.md).

No call runs long in silence: a :class:`Budget` (``max_time`` seconds, ``max_evaluations`` of
the map, with defaults) stops the solve with ``failure="budget"``; a damped phase whose best
residual has not decreased by 1% over ``stall_window`` iterations stops with ``"stall"``; a
throttled progress line goes to stderr once a solve has run ``progress_after`` seconds. Every
unconverged outcome names the check that failed (``FixedPoint.failure``, one of
:data:`theory.errors.FAILURE_HINTS`) with its own numbers -- the residual against the
tolerance, the violated constraint, the order parameter that went NaN and the iteration, the
budget spent, or the stalled residual.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, IntegrationError, TheoryError

__all__ = ["FixedPoint", "Budget", "solve_fixed_point", "residual_of", "METHODS",
           "DEFAULT_MAX_TIME", "DEFAULT_MAX_EVALUATIONS", "BatchedFixedPoint",
           "solve_fixed_point_batched", "solve_batched", "bracketed_newton"]

METHODS = ("auto", "anderson", "damped", "newton")

#: default budget of one solve (all starts and node levels together)
DEFAULT_MAX_TIME = 300.0
DEFAULT_MAX_EVALUATIONS = 200_000
#: a damped phase stops when its best residual has not dropped by 1% over this many iterations
DEFAULT_STALL_WINDOW = 200
#: a progress line goes to stderr once a solve has run this long (seconds), then every second
PROGRESS_AFTER = 3.0
PROGRESS_EVERY = 1.0


def residual_of(x: np.ndarray, fx: np.ndarray) -> float:
    """The undamped residual ``max_i |F_i(x) - x_i| / max(1, |x_i|)``.

    Parameters
    ----------
    x : numpy.ndarray
        State, shape (n,).
    fx : numpy.ndarray
        The map at ``x``, shape (n,).

    Returns
    -------
    float
        The residual; inf if anything is not finite.
    """
    if not (np.all(np.isfinite(fx)) and np.all(np.isfinite(x))):
        return float("inf")
    return float(np.max(np.abs(fx - x) / np.maximum(1.0, np.abs(x))))


class BudgetExhausted(Exception):
    """Raised inside a solve when its :class:`Budget` is spent (caught by the solver)."""


class Budget:
    """Time and evaluation budget shared by every phase, start and node level of one solve.

    Parameters
    ----------
    max_time : seconds (None: no limit)
    max_evaluations : evaluations of the map (None: no limit)
    """

    def __init__(self, max_time: float | None = DEFAULT_MAX_TIME,
                 max_evaluations: int | None = DEFAULT_MAX_EVALUATIONS):
        if max_time is not None and not (isinstance(max_time, (int, float))
                                         and max_time > 0):
            raise InputError("max_time", max_time, "a number of seconds > 0, or None")
        if max_evaluations is not None and (isinstance(max_evaluations, bool) or not isinstance(
                max_evaluations, (int, np.integer)) or max_evaluations < 1):
            raise InputError("max_evaluations", max_evaluations, "an integer >= 1, or None")
        self.max_time, self.max_evaluations = max_time, max_evaluations
        self.t0 = time.perf_counter()
        self.last_print = 0.0
        self.evaluations = 0
        self.exhausted = ""

    def elapsed(self) -> float:
        """Seconds since the budget was created.

        Returns
        -------
        float
            Wall-clock seconds.
        """
        return time.perf_counter() - self.t0

    def spend(self) -> None:
        """Count one evaluation; raise :class:`BudgetExhausted` when the budget is spent."""
        if self.exhausted:
            raise BudgetExhausted(self.exhausted)
        self.evaluations += 1
        if self.max_evaluations is not None and self.evaluations > self.max_evaluations:
            self.exhausted = (f"evaluation budget exhausted: {self.max_evaluations} evaluations "
                              f"of the map (max_evaluations={self.max_evaluations}) in "
                              f"{self.elapsed():.3g} s")
        elif self.max_time is not None and self.elapsed() > self.max_time:
            self.exhausted = (f"time budget exhausted: {self.elapsed():.3g} s > max_time="
                              f"{self.max_time:g} s after {self.evaluations} evaluations")
        if self.exhausted:
            raise BudgetExhausted(self.exhausted)


@dataclass
class FixedPoint:
    """Outcome of :func:`solve_fixed_point` (a bare vector; models wrap it with names).

    ``failure`` is ``None`` when converged, else the check that failed (a key of
    :data:`theory.errors.FAILURE_HINTS`); ``message`` states it with its numbers.

    Attributes
    ----------
    x : numpy.ndarray
        The last (or converged) state.
    converged : bool
        Residual below the tolerance and no constraint violated.
    residual : float
        Undamped residual at ``x`` (:func:`residual_of`).
    iterations : int
        Iterations of every phase together.
    evaluations : int
        Evaluations of the map.
    method : str
        The phases run (e.g. ``"anderson+newton"``).
    message : str
        What happened, with the numbers of the failed check.
    history : list of float
        Residual after each iteration.
    violations : list
        Constraints violated at ``x`` (from ``admissible``).
    seconds : float
        Wall-clock time of the solve.
    failure : str or None
        None when converged, else the failed check.
    """

    x: np.ndarray
    converged: bool
    residual: float
    iterations: int
    evaluations: int
    method: str
    message: str
    history: list = field(default_factory=list)
    violations: list = field(default_factory=list)
    seconds: float = 0.0
    failure: str | None = None


class _Evaluator:
    def __init__(self, F, admissible, budget, names, hist, progress, label):
        self.F, self.admissible = F, admissible
        self.budget, self.names, self.hist = budget, names, hist
        self.progress, self.label = progress, label
        self.calls = 0
        self.best = (None, np.inf, None)
        self.last_error = ""
        self.undefined = 0  # evaluations where the map raised or returned NaN/inf
        self.first_undefined = ""
        self.phase = ""
        self.t0 = time.perf_counter()
        self.last_print = 0.0
        self.printed = False

    def _name(self, i: int) -> str:
        return self.names[i] if self.names is not None and i < len(self.names) else f"x[{i}]"

    def _state(self, x) -> str:
        return ", ".join(f"{self._name(i)}={v:.4g}" for i, v in enumerate(np.ravel(x)))

    def _undefined(self, why: str, x) -> None:
        self.undefined += 1
        self.last_error = why
        if not self.first_undefined:
            self.first_undefined = (f"{why} at iteration {len(self.hist)} (evaluation "
                                    f"{self.calls}, state {self._state(x)})")

    def __call__(self, x):
        """(F(x), residual) or (None, inf) if the map fails at x (raises, or NaN/inf)."""
        if self.budget is not None:
            self.budget.spend()
        self.calls += 1
        self._report()
        if not np.all(np.isfinite(x)):
            self._undefined("the iterate is not finite", x)
            return None, np.inf
        try:
            with np.errstate(all="ignore"):
                fx = np.asarray(self.F(x), dtype=float)
        except (IntegrationError, InputError, np.linalg.LinAlgError, ZeroDivisionError,
                OverflowError, ValueError) as exc:
            what = str(exc) if isinstance(exc, TheoryError) else f"{type(exc).__name__} {exc}"
            self._undefined(f"the map raised: {what}", x)
            return None, np.inf
        bad = np.flatnonzero(~np.isfinite(fx))
        if bad.size:
            i = int(bad[0])
            self._undefined(f"the map returned {fx[i]} for {self._name(i)}", x)
            return None, np.inf
        r = residual_of(x, fx)
        if r < self.best[1] and np.isfinite(r):
            self.best = (x.copy(), r, fx.copy())
        return fx, r

    def _report(self) -> None:
        if self.progress is False:
            return
        now = time.perf_counter()
        # timed from the start of the whole solve (the budget is shared by its starts and node
        # levels), so a long solve made of many short pieces still reports
        t0 = self.budget.t0 if self.budget is not None else self.t0
        last = max(self.last_print, getattr(self.budget, "last_print", 0.0))
        if now - t0 < PROGRESS_AFTER or now - last < PROGRESS_EVERY:
            return
        self.last_print = now
        if self.budget is not None:
            self.budget.last_print = now
        info = {"label": self.label, "phase": self.phase, "iteration": len(self.hist),
                "evaluations": self.calls, "residual": self.best[1], "seconds": now - t0}
        if callable(self.progress):
            self.progress(info)
            return
        sys.stderr.write(f"\r{self.label or 'solve'}: {self.phase} iteration {len(self.hist)}, "
                         f"best residual {self.best[1]:.2e}, {now - t0:.0f} s   ")
        sys.stderr.flush()
        self.printed = True

    def done(self) -> None:
        if self.printed:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _damped(ev, x, fx, r, tol, max_iter, damping, hist, window):
    """Damped iteration; returns (x, F(x), r, iterations, why it stopped)."""
    it = 0
    best, best_it = r, 0
    shortened = False  # steps shortened because the map was undefined beyond them
    ev.phase = f"damped({damping:g})"
    while r > tol:
        if it >= max_iter:
            return x, fx, r, it, "nan" if shortened else "max_iter"
        xn = (1.0 - damping) * fx + damping * x
        fxn, rn = ev(xn)
        it += 1
        if fxn is None:  # the undamped step left the admissible region: shorten it
            damping = 0.5 * (1.0 + damping)
            shortened = True
            if damping > 0.999:
                return x, fx, r, it, "nan"
            continue
        x, fx, r = xn, fxn, rn
        hist.append(r)
        if r < 0.99 * best:
            best, best_it = r, it
        elif it - best_it > window:
            # stalled against the edge of the map's domain: the cause is the undefined map
            return x, fx, r, it, "nan" if shortened else "stall"
    return x, fx, r, it, "tol"


def _anderson(ev, x, fx, r, tol, max_iter, damping, m, hist):
    beta = 1.0 - damping
    X, R = [], []  # histories of x and of residual vectors g = F(x) - x
    it, stall, best = 0, 0, r
    ev.phase = "anderson"
    while r > tol:
        if it >= max_iter:
            return x, fx, r, it, "max_iter"
        g = fx - x
        X.append(x.copy())
        R.append(g.copy())
        if len(X) > m + 1:
            X.pop(0)
            R.pop(0)
        if len(X) >= 2:
            dX = np.diff(np.array(X), axis=0).T
            dR = np.diff(np.array(R), axis=0).T
            try:
                gam = np.linalg.lstsq(dR, g, rcond=None)[0]
                xn = x + beta * g - (dX + beta * dR) @ gam
            except np.linalg.LinAlgError:
                xn = x + beta * g
        else:
            xn = x + beta * g
        fxn, rn = ev(xn)
        it += 1
        if fxn is None or rn > 10.0 * r:  # safeguard: plain damped step, memory cleared
            X, R = [], []
            xn = x + beta * g
            fxn, rn = ev(xn)
            it += 1
            if fxn is None:
                beta *= 0.5
                if beta < 1e-3:
                    return x, fx, r, it, "nan"
                continue
        x, fx, r = xn, fxn, rn
        hist.append(r)
        if r < 0.5 * best:
            best, stall = r, 0
        else:
            stall += 1
            if stall > 60:
                return x, fx, r, it, "nan" if beta < 1.0 - damping else "stall"
    return x, fx, r, it, "tol"


def _newton(ev, x, tol):
    ev.phase = "newton"

    def G(v):
        fx, _ = ev(v)
        if fx is None:
            return np.full_like(v, 1e6)
        return fx - v

    try:
        import scipy.optimize  # imported when first needed (0.5-2 s of import time)

        sol = scipy.optimize.root(G, x, method="hybr", tol=min(tol, 1e-13) * 1e-2)
    except (TheoryError, ValueError, np.linalg.LinAlgError):
        return None, None, np.inf, 0
    fx, r = ev(sol.x)
    return sol.x, fx, r, int(sol.get("nfev", 0))


def solve_fixed_point(F: Callable, x0, *, tol: float = 1e-10, method: str = "auto",
                      damping: float = 0.0, max_iter: int = 5000, memory: int = 6,
                      admissible: Callable | None = None, budget: Budget | None = None,
                      max_time: float | None = DEFAULT_MAX_TIME,
                      max_evaluations: int | None = DEFAULT_MAX_EVALUATIONS,
                      stall_window: int = DEFAULT_STALL_WINDOW, names=None,
                      progress=None, label: str = "") -> FixedPoint:
    r"""Solve ``x = F(x)``.

    Parameters
    ----------
    F : the map, array -> array (may raise a ``theory`` error where it is undefined)
    x0 : starting point
    tol : tolerance on the undamped residual :func:`residual_of`
    method : "auto" (Anderson, then Newton polish / rescue, then damped iteration with growing
        damping), "anderson", "damped", or "newton" (still checked for admissibility)
    damping : \delta in ``x <- (1-\delta)F(x) + \delta x`` (0 = plain iteration)
    max_iter : iterations per phase
    admissible : ``x -> list of violated constraints`` (empty when physical)
    budget : a :class:`Budget` shared with other solves (default: a new one from ``max_time``
        seconds, default 300, and ``max_evaluations`` evaluations of the map, default 200000)
    memory : Anderson memory (default 6)
    max_time, max_evaluations : the budget of a new :class:`Budget` when ``budget`` is None
    stall_window : a damped phase stops ("stall") when its best residual has not decreased by
        1% over this many iterations (default 200)
    names : names of the components of x (for messages: which order parameter went NaN)
    progress : None (a throttled line on stderr once the solve has run 3 s), False (silent),
        or a callable receiving a dict (label, phase, iteration, evaluations, residual, seconds)
    label : what the progress line is about (e.g. the model and the point)

    Returns
    -------
    FixedPoint
        ``converged`` is True only when the undamped residual is <= tol and no constraint is
        violated; otherwise ``failure`` names the check that failed: "residual" (max_iter
        reached), "stall", "budget", "nan" (the map became undefined along the iteration and
        the step could not be shortened), "constraint", or "domain" (undefined at x0).
    """
    if method not in METHODS:
        raise InputError("method", method, f"one of {METHODS}")
    if not 0.0 <= damping < 1.0:
        raise InputError("damping", damping, "a number in [0, 1)")
    if isinstance(stall_window, bool) or not isinstance(stall_window, int) or stall_window < 1:
        raise InputError("stall_window", stall_window, "an integer >= 1")
    if budget is None:
        budget = Budget(max_time, max_evaluations)
    t0 = time.perf_counter()
    x = np.array(x0, dtype=float)
    hist: list = []
    ev = _Evaluator(F, admissible, budget, names, hist, progress, label)
    try:
        return _solve(ev, x, tol, method, damping, max_iter, memory, admissible,
                      stall_window, hist, t0)
    finally:
        ev.done()


def _solve(ev, x, tol, method, damping, max_iter, memory, admissible, window, hist, t0):
    used: list = []
    iters = 0
    why = ""
    try:
        fx, r = ev(x)
    except BudgetExhausted as exc:
        return FixedPoint(x, False, np.inf, 0, ev.calls, method, f"did not start: {exc}",
                          hist, seconds=time.perf_counter() - t0, failure="budget")
    if fx is None:
        return FixedPoint(x, False, np.inf, 0, ev.calls, method,
                          f"the map cannot be evaluated at the starting point: {ev.last_error}",
                          hist, seconds=time.perf_counter() - t0, failure="domain")
    hist.append(r)
    try:
        if method in ("auto", "anderson"):
            x, fx, r, it, why = _anderson(ev, x, fx, r, tol, max_iter, damping, memory, hist)
            iters += it
            used.append("anderson")
        if method == "damped":
            x, fx, r, it, why = _damped(ev, x, fx, r, tol, max_iter, damping, hist, window)
            iters += it
            used.append("damped")
        if method == "newton" or (method == "auto" and r > tol):
            xb = ev.best[0] if ev.best[0] is not None else x
            xn, fxn, rn, it = _newton(ev, xb, tol)
            iters += it
            used.append("newton")
            if fxn is not None and rn < r:
                bad = admissible(xn) if admissible else []
                if not bad or method == "newton":
                    x, fx, r = xn, fxn, rn
                    hist.append(r)
            if method == "newton":
                why = "tol" if r <= tol else ("nan" if not np.isfinite(r) else "residual")
        if method == "auto" and r > tol:
            for d in (0.5, 0.8, 0.95):
                xb, rb, fb = ev.best
                x, fx, r = (xb, fb, rb) if xb is not None else (x, fx, r)
                x, fx, r, it, why = _damped(ev, x, fx, r, tol, max_iter, d, hist, window)
                iters += it
                used.append(f"damped({d})")
                if r <= tol:
                    break
    except BudgetExhausted:
        why = "budget"
    # the best point seen is the answer (a last Anderson step may have been worse)
    if ev.best[0] is not None and ev.best[1] < r:
        x, r, fx = ev.best
    violations = admissible(x) if admissible else []
    converged = r <= tol and not violations
    how = "+".join(used) or method
    failure = None
    if violations:
        failure = "constraint"
        msg = "reached an unphysical point: " + "; ".join(f"{w} (value {v})" for w, v in
                                                           violations)
    elif converged:
        msg = f"converged: residual {r:.2g} <= tol {tol:.1g} ({how})"
    elif why == "budget":
        failure = "budget"
        msg = (f"stopped: {ev.budget.exhausted}; best residual {r:.3g} > tol {tol:.1g} "
               f"after {iters} iterations ({how})")
    elif why == "nan" or not np.isfinite(r):
        failure = "nan"
        msg = (f"the map became undefined along the iteration ({ev.undefined} of {ev.calls} "
               f"evaluations); first: {ev.first_undefined}; best residual {r:.3g} > tol "
               f"{tol:.1g} ({how})")
    elif why == "stall":
        failure = "stall"
        msg = (f"stalled: the residual stopped decreasing at {r:.3g} > tol {tol:.1g} "
               f"(no 1% decrease over {window} iterations of the damped phase, or no halving "
               f"over 60 Anderson steps) after {iters} iterations ({how})")
    else:
        failure = "residual"
        msg = (f"did not converge: residual {r:.3g} > tol {tol:.1g} after {iters} iterations "
               f"(max_iter={max_iter} per phase; {how})")
    if failure not in (None, "nan") and ev.undefined:
        msg += f"; the map was undefined at {ev.undefined} evaluations (first: " \
               f"{ev.first_undefined})"
    return FixedPoint(x, converged, r, iters, ev.calls, how, msg, hist, violations,
                      time.perf_counter() - t0, failure)


# ------------------------------------------------------------------------------------------
# batched solvers: one call for a whole grid of parameters (every column its own problem)
# ------------------------------------------------------------------------------------------

def bracketed_newton(fun: Callable, lo, hi, x, eps: float, max_iter: int = 200):
    r"""Vectorised safeguarded Newton for increasing scalar equations ``fun(x) = 0``, one per
    entry of the arrays (a batch of brackets ``lo <= root <= hi`` with
    ``fun(lo) <= 0 <= fun(hi)``).

    Every entry keeps its own bracket, shrunk at each step by the sign of ``fun``; a Newton step
    that leaves the bracket (or is not finite) is replaced by bisection -- in the geometric
    mean when ``lo > 0``, so tiny roots are reached in few steps (Press et al., *Numerical
    Recipes*, 3rd ed., Sec. 9.4, ``rtsafe``, vectorised). An entry stops when ``fun`` vanishes,
    the step is below ``4 eps |x|``, or the bracket is below ``4 eps hi``.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (g, dg)``: values and derivatives at the array ``x`` (same shape).
    lo, hi : numpy.ndarray
        Brackets, shape (n,).
    x : numpy.ndarray
        Starting points inside the brackets, shape (n,).
    eps : float
        Relative precision (``numpy.finfo(dtype).eps`` of the arithmetic used).
    max_iter : int, optional
        Largest number of sweeps (default 200).

    Returns
    -------
    x : numpy.ndarray
        The roots, shape (n,).
    iterations : int
        Sweeps done (the largest over the entries).
    """
    active = np.ones(np.shape(x), dtype=bool)
    it = 0
    while it < max_iter and np.any(active):
        it += 1
        g, dg = fun(x)
        lo = np.where(g <= 0, np.maximum(lo, x), lo)
        hi = np.where(g >= 0, np.minimum(hi, x), hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            xn = x - g / dg
        bad = ~((xn >= lo) & (xn <= hi) & np.isfinite(xn))
        with np.errstate(invalid="ignore"):
            mid = np.where(lo > 0, np.sqrt(lo * hi), (lo + hi) / 2)
        xn = np.where(bad, mid, xn)
        done = (g == 0) | (np.abs(xn - x) <= 4 * eps * np.abs(x)) | (hi - lo <= 4 * eps * hi)
        x = np.where(active, xn, x)
        active &= ~done
    return x, it


@dataclass
class BatchedFixedPoint:
    """Outcome of :func:`solve_fixed_point_batched`: one column per parameter point.

    Attributes
    ----------
    x : numpy.ndarray
        States, shape (n_state, n_points).
    converged : numpy.ndarray of bool
        Shape (n_points,).
    residual : numpy.ndarray
        Undamped residual ``max_i |F_i(x) - x_i| / max(1, |x_i|)`` per column.
    iterations : numpy.ndarray of int
        Iterations until each column converged (or stopped).
    evaluations : int
        Evaluations of the batched map.
    failure : list of (str or None)
        Per column: None when converged, else ``"max_iter"``, ``"nan"`` (the map was not
        finite there) or ``"constraint"`` (:func:`solve_batched`: a fixed point outside the
        system's admissible region).
    message : str
        One line: how many columns converged, the worst residual.
    """

    x: np.ndarray
    converged: np.ndarray
    residual: np.ndarray
    iterations: np.ndarray
    evaluations: int
    failure: list
    message: str


def _column_residual(x: np.ndarray, fx: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        r = np.max(np.abs(fx - x) / np.maximum(1.0, np.abs(x)), axis=0)
    ok = np.all(np.isfinite(fx), axis=0) & np.all(np.isfinite(x), axis=0)
    return np.where(ok, r, np.inf)


def solve_fixed_point_batched(F: Callable, x0, *, tol: float = 1e-10, damping: float = 0.0,
                              memory: int = 5, max_iter: int = 2000) -> BatchedFixedPoint:
    r"""Solve ``x = F(x)`` for many independent problems at once (a parameter grid).

    ``F`` maps an array of states of shape (n_state, n_points) to the next states (same
    shape), column by column: the compiled map of a system whose steps broadcast over
    parameter arrays (:meth:`theory.numeric.system.CompiledSystem.batched_map`), or any model
    map written with NumPy array operations. Each column runs Anderson acceleration (type II,
    memory ``memory``; Walker & Ni, SIAM J. Numer. Anal. 49, 1715 (2011), Eq. (2.1)) on
    ``G(x) = F(x) - x`` with its own history; a column whose next residual is not finite or
    grows tenfold falls back to the damped step ``x + (1 - damping) G(x)`` and clears its
    history (the same safeguard as :func:`solve_fixed_point`). Converged columns are frozen.

    The residual of each column is the undamped one, as in :func:`solve_fixed_point`.
    Unconverged columns are reported (``converged`` False, ``failure``), never returned as
    answers.

    Parameters
    ----------
    F : callable
        Batched map, ``(n_state, n_points) -> (n_state, n_points)``.
    x0 : array_like
        Starting states, shape (n_state, n_points) (a shape (n_state,) start is broadcast
        only if ``F`` accepts it; give the full shape).
    tol : float, optional
        Residual tolerance per column (default 1e-10).
    damping : float, optional
        ``delta`` in ``[0, 1)`` of the fallback step (default 0).
    memory : int, optional
        Anderson memory ``m >= 0`` (0: damped iteration only; default 5).
    max_iter : int, optional
        Largest number of sweeps (default 2000).

    Returns
    -------
    BatchedFixedPoint

    Raises
    ------
    InputError
        If ``x0`` is not 2-D, ``damping`` is not in ``[0, 1)``, ``memory`` < 0 or ``tol`` <= 0.
    """
    x = np.array(x0, dtype=float)
    if x.ndim != 2:
        raise InputError("x0", f"shape {x.shape}", "an array of shape (n_state, n_points)")
    if not 0.0 <= damping < 1.0:
        raise InputError("damping", damping, "a number in [0, 1)")
    if not (isinstance(memory, (int, np.integer)) and memory >= 0):
        raise InputError("memory", memory, "an integer >= 0")
    if not tol > 0:
        raise InputError("tol", tol, "> 0")
    n, B = x.shape
    beta = 1.0 - damping
    with np.errstate(all="ignore"):
        fx = np.asarray(F(x), dtype=float).reshape(n, B)
    evals = 1
    r = _column_residual(x, fx)
    active = r > tol
    its = np.zeros(B, dtype=int)
    dX: list = []  # differences of iterates, each (n, B)
    dG: list = []
    x_prev = g_prev = None
    sweeps = 0
    while np.any(active) and sweeps < max_iter:
        sweeps += 1
        g = fx - x
        if x_prev is not None and g_prev is not None:
            dX.append(x - x_prev)
            dG.append(g - g_prev)
            if len(dX) > memory:
                dX.pop(0)
                dG.pop(0)
        step = x + beta * g
        if dX:
            Xm = np.stack(dX, axis=-1).transpose(1, 0, 2)  # (B, n, k)
            Gm = np.stack(dG, axis=-1).transpose(1, 0, 2)
            gt = g.T[:, :, None]  # (B, n, 1)
            A = Gm.transpose(0, 2, 1) @ Gm  # normal equations, Tikhonov-regularised
            reg = 1e-14 * np.trace(A, axis1=1, axis2=2)[:, None, None] + 1e-300
            k = A.shape[-1]
            with np.errstate(all="ignore"):
                try:
                    gam = np.linalg.solve(A + reg * np.eye(k), Gm.transpose(0, 2, 1) @ gt)
                    acc = (x.T[:, :, None] + beta * gt - (Xm + beta * Gm) @ gam)[:, :, 0].T
                except np.linalg.LinAlgError:
                    acc = step
            good = np.all(np.isfinite(acc), axis=0)
            step = np.where(good, acc, step)
        xn = np.where(active, step, x)
        with np.errstate(all="ignore"):
            fxn = np.asarray(F(xn), dtype=float).reshape(n, B)
        evals += 1
        rn = _column_residual(xn, fxn)
        worse = active & (~np.isfinite(rn) | (rn > 10.0 * r))
        if np.any(worse):  # safeguard per column: a damped step, history cleared
            xd = np.where(worse, x + beta * g, xn)
            with np.errstate(all="ignore"):
                fxd = np.asarray(F(xd), dtype=float).reshape(n, B)
            evals += 1
            xn = np.where(worse, xd, xn)
            fxn = np.where(worse, fxd, fxn)
            rn = np.where(worse, _column_residual(xd, fxd), rn)
            for d in (dX, dG):  # the columns' histories restart (zero differences)
                for j in range(len(d)):
                    d[j] = np.where(worse, 0.0, d[j])
        x_prev, g_prev = x, g
        x = np.where(active, xn, x)
        fx = np.where(active, fxn, fx)
        r = np.where(active, rn, r)
        its = its + active
        active = active & (r > tol)
    conv = r <= tol
    fail = [None if c else ("nan" if not np.isfinite(rr) else "max_iter")
            for c, rr in zip(conv, r)]
    worst = float(np.max(r)) if B else 0.0
    msg = (f"{int(conv.sum())} of {B} points converged (residual <= tol {tol:.1g}); "
           f"largest residual {worst:.3g} after {sweeps} sweeps, {evals} batched evaluations")
    return BatchedFixedPoint(x, conv, r, its, evals, fail, msg)


def solve_batched(compiled, params, x0, *, tol: float = 1e-10, damping: float = 0.0,
                  memory: int = 5, max_iter: int = 2000) -> BatchedFixedPoint:
    """Solve a compiled system at every point of a parameter grid in one batched iteration.

    Parameters
    ----------
    compiled : theory.numeric.system.CompiledSystem
        A system whose map broadcasts (``compiled.broadcasts``: no Gaussian expectation).
    params : sequence of array_like
        One entry per system parameter, in ``system.parameters`` order, each a scalar or an
        array of shape (n_points,).
    x0 : array_like
        Starting states: shape (n_state,) (the same start for every point) or
        (n_state, n_points).
    tol, damping, memory, max_iter
        As in :func:`solve_fixed_point_batched`.

    Returns
    -------
    BatchedFixedPoint
        ``x[:, j]`` is the fixed point at the parameters of column j.

    Raises
    ------
    InputError
        If the map does not broadcast (a system with expectations: solve its points one by one
        with :func:`solve_fixed_point`), or the shapes do not match.
    """
    if not getattr(compiled, "broadcasts", False):
        raise InputError("system", getattr(compiled.system, "name", "?"),
                         "a system whose map broadcasts over parameter arrays (no Gaussian "
                         "expectation); solve it point by point")
    p = [np.asarray(v, dtype=float) for v in params]
    if len(p) != len(compiled.params):
        raise InputError("params", f"{len(p)} arrays",
                         f"{len(compiled.params)} (one per parameter: "
                         f"{', '.join(map(str, compiled.params))})")
    try:
        npts = np.broadcast(*p).shape if p else ()
    except ValueError:
        raise InputError("params", [v.shape for v in p], "arrays that broadcast together") \
            from None
    npts = (int(np.prod(npts)),) if len(npts) else (1,)
    p = [np.broadcast_to(v, npts) if v.ndim else v for v in p]
    x = np.asarray(x0, dtype=float)
    n = len(compiled.state)
    if x.ndim == 1:
        x = np.repeat(x[:, None], npts[0], axis=1)
    if x.shape != (n, npts[0]):
        raise InputError("x0", f"shape {x.shape}", f"shape ({n},) or ({n}, {npts[0]})")
    out = solve_fixed_point_batched(lambda X: compiled.map_arrays(X, p), x, tol=tol,
                                    damping=damping, memory=memory, max_iter=max_iter)
    # a fixed point outside the admissible region is not an answer (e.g. Im nu < 0)
    bad = np.zeros(npts[0], dtype=bool)
    first: dict = {}
    for what, ok in compiled.constraints_arrays(out.x, p):
        for j in np.flatnonzero(out.converged & ~ok):
            first.setdefault(int(j), what)
        bad |= out.converged & ~ok
    if np.any(bad):
        out.converged = out.converged & ~bad
        for j in first:
            out.failure[j] = "constraint"
        out.message += (f"; {int(bad.sum())} of them violate a constraint (e.g. column "
                        f"{min(first)}: {first[min(first)]}) and are not answers")
    return out
