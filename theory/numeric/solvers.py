r"""Fixed-point solvers for saddle-point maps ``x = F(x)``, generic over a state vector.

* **damped iteration** ``x <- (1-\delta) F(x) + \delta x``;
* **Anderson acceleration** (type II, memory ``m``), safeguarded: a step whose map cannot be
  evaluated (an inadmissible covariance) or whose residual grows is replaced by a damped step
  and the memory is cleared;
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
import scipy.optimize

from ..errors import InputError, IntegrationError, TheoryError

__all__ = ["FixedPoint", "Budget", "solve_fixed_point", "residual_of", "METHODS",
           "DEFAULT_MAX_TIME", "DEFAULT_MAX_EVALUATIONS"]

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
    """``max_i |F_i(x) - x_i| / max(1, |x_i|)`` (inf if anything is not finite)."""
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
