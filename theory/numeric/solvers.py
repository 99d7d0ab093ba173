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
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

from ..errors import InputError, IntegrationError, TheoryError

__all__ = ["FixedPoint", "solve_fixed_point", "residual_of", "METHODS"]

METHODS = ("auto", "anderson", "damped", "newton")


def residual_of(x: np.ndarray, fx: np.ndarray) -> float:
    """``max_i |F_i(x) - x_i| / max(1, |x_i|)`` (inf if anything is not finite)."""
    if not (np.all(np.isfinite(fx)) and np.all(np.isfinite(x))):
        return float("inf")
    return float(np.max(np.abs(fx - x) / np.maximum(1.0, np.abs(x))))


@dataclass
class FixedPoint:
    """Outcome of :func:`solve_fixed_point` (a bare vector; models wrap it with names)."""

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


class _Evaluator:
    def __init__(self, F, admissible):
        self.F, self.admissible = F, admissible
        self.calls = 0
        self.best = (None, np.inf, None)
        self.last_error = ""

    def __call__(self, x):
        """(F(x), residual) or (None, inf) if the map fails at x."""
        self.calls += 1
        try:
            with np.errstate(all="ignore"):
                fx = np.asarray(self.F(x), dtype=float)
        except (IntegrationError, InputError, np.linalg.LinAlgError, ZeroDivisionError,
                OverflowError, ValueError) as exc:
            self.last_error = str(exc)
            return None, np.inf
        r = residual_of(x, fx)
        if r < self.best[1] and np.isfinite(r):
            self.best = (x.copy(), r, fx.copy())
        return fx, r


def _damped(ev, x, fx, r, tol, max_iter, damping, hist):
    it = 0
    while r > tol and it < max_iter:
        xn = (1.0 - damping) * fx + damping * x
        fxn, rn = ev(xn)
        it += 1
        if fxn is None:  # the undamped step left the admissible region: shorten it
            damping = 0.5 * (1.0 + damping)
            if damping > 0.999:
                break
            continue
        x, fx, r = xn, fxn, rn
        hist.append(r)
    return x, fx, r, it


def _anderson(ev, x, fx, r, tol, max_iter, damping, m, hist):
    beta = 1.0 - damping
    X, R = [], []  # histories of x and of residual vectors g = F(x) - x
    it, stall, best = 0, 0, r
    while r > tol and it < max_iter:
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
                    break
                continue
        x, fx, r = xn, fxn, rn
        hist.append(r)
        if r < 0.5 * best:
            best, stall = r, 0
        else:
            stall += 1
            if stall > 60:
                break
    return x, fx, r, it


def _newton(ev, x, tol):
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
                      admissible: Callable | None = None) -> FixedPoint:
    r"""Solve ``x = F(x)``.

    Parameters
    ----------
    F : the map, array -> array (may raise a ``theory`` error where it is undefined)
    x0 : starting point
    tol : tolerance on the undamped residual :func:`residual_of`
    method : "auto" (Anderson, then Newton polish / rescue, then damped iteration with growing
        damping), "anderson", "damped", or "newton" (still checked for admissibility)
    damping : \delta in ``x <- (1-\delta)F(x) + \delta x`` (0 = plain iteration)
    admissible : ``x -> list of violated constraints`` (empty when physical)
    """
    if method not in METHODS:
        raise InputError("method", method, f"one of {METHODS}")
    if not 0.0 <= damping < 1.0:
        raise InputError("damping", damping, "a number in [0, 1)")
    t0 = time.perf_counter()
    x = np.array(x0, dtype=float)
    ev = _Evaluator(F, admissible)
    hist: list = []
    fx, r = ev(x)
    if fx is None:
        return FixedPoint(x, False, np.inf, 0, ev.calls, method,
                          "the map cannot be evaluated at the starting point: "
                          f"{ev.last_error}", hist,
                          seconds=time.perf_counter() - t0)
    hist.append(r)
    iters = 0
    used = []
    if method in ("auto", "anderson"):
        x, fx, r, it = _anderson(ev, x, fx, r, tol, max_iter, damping, memory, hist)
        iters += it
        used.append("anderson")
    if method == "damped":
        x, fx, r, it = _damped(ev, x, fx, r, tol, max_iter, damping, hist)
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
    if method == "auto" and r > tol:
        for d in (0.5, 0.8, 0.95):
            xb, rb, fb = ev.best
            x, fx, r = (xb, fb, rb) if xb is not None else (x, fx, r)
            x, fx, r, it = _damped(ev, x, fx, r, tol, max_iter, d, hist)
            iters += it
            used.append(f"damped({d})")
            if r <= tol:
                break
    # the best point seen is the answer (a last Anderson step may have been worse)
    if ev.best[0] is not None and ev.best[1] < r:
        x, r, fx = ev.best
    violations = admissible(x) if admissible else []
    converged = r <= tol and not violations
    if violations:
        msg = "reached an unphysical point: " + "; ".join(f"{w} (value {v})" for w, v in
                                                           violations)
    elif converged:
        msg = f"converged: residual {r:.2g} <= tol {tol:.1g} ({'+'.join(used)})"
    else:
        msg = (f"did not converge: residual {r:.3g} > tol {tol:.1g} after {iters} iterations "
               f"({'+'.join(used)})")
    return FixedPoint(x, converged, r, iters, ev.calls, "+".join(used), msg, hist, violations,
                      time.perf_counter() - t0)
