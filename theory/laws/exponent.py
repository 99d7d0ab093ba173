r"""The exponent of a scaling law from its exact local slopes, extrapolated, with an error bound.

For a law :math:`\varepsilon(x)`, :math:`x\to\infty` (a :class:`~theory.laws.law.Law`, a SymPy
expression or an mpmath callable), :func:`verify_exponent`

1. forms the local slopes :math:`s(x) = d\log\varepsilon/d\log x` exactly: the law's own
   ``log_slope`` (e.g. an implicit derivative), else SymPy's derivative of ``expression``
   (:math:`x\,\varepsilon'/\varepsilon` compiled to mpmath), else ``mpmath.diff`` of
   :math:`u\mapsto\log\varepsilon(e^u)` (finite differences at a raised working precision, which
   mpmath chooses so that the derivative is good to the working precision);
2. on a geometric lattice :math:`x_j = x_0 r^j` (or the law's ``points``). A correction
   :math:`c\,x^{-\omega}` to the slope is then geometric in j, :math:`c x_0^{-\omega}\lambda^j`
   with :math:`\lambda = r^{-\omega}`, so the iterated Shanks transformation (Wynn's epsilon
   algorithm, the recursion of ``mpmath.shanks``) removes one power-law correction per order, with no need to
   know the correction exponents (Brezinski & Redivo Zaglia, *Extrapolation Methods*,
   North-Holland 1991, Ch. 2; the generalized Richardson extrapolation on a geometric mesh).
   The correction exponent is estimated from successive differences,
   :math:`\omega_j = -\log(\Delta_{j+1}/\Delta_j)/\log r`, and reported;
3. **the bound.** Wynn's epsilon table :math:`\varepsilon_{2k}^{(m)}` (order k, from the
   slopes m .. m + 2k) is formed from the slopes at ``dps`` and, entry by entry, at
   ``dps + 10`` (the difference is each entry's rounding noise: the epsilon algorithm amplifies
   it). For each order k the last entry is the candidate, with the indicator
   :math:`\delta_k` = the largest of its distances to the entry one point earlier in its
   column and to the two last entries of order k - 1, and its noise; an order qualifies when
   the last (up to three) differences down its column do not grow, unless below ten times
   the noise (**monotone convergence**). The estimate is the qualifying order of smallest
   :math:`\delta_k`. The same choice is made on **shifted sub-lattices** (the first point
   dropped, the last, the last two) and on **decimated** ones (every other point, ending at
   the last point or the one before: ratio :math:`r^2`, a different extrapolation). The
   bound is ``SAFETY`` (10) times the largest of :math:`\delta_{k^*}`, the noise of the
   chosen entry, the distance to the shifted sub-lattices' estimates, and the distance by
   which the estimate lies outside a decimated sub-lattice's own interval (estimate
   :math:`\pm` 10 :math:`\delta`), plus :math:`10^{-\rm dps}`. No single pair of numbers
   that happen to agree can make the bound small (the former rule, "the two best orders of
   the last row", did: ``sequential_learning`` at beta = 0.75 with 12 terms reported
   1.9e-20 for a true error of 1.2e-18; tests/test_laws_exponent_family.py checks the
   bound against exact exponents on a family of laws). ``reliable`` also needs a monotone
   order, and every exponent known in closed form within the bound. When the estimated
   correction exponents drift towards 0 along the lattice (:math:`\omega_j` keeps
   decreasing: convergence like :math:`1/\log x`, e.g. :math:`\varepsilon = x^{-2/3}\log x`,
   whose slope is :math:`-2/3 + 1/\log x`), no power-law extrapolation applies:
   ``convergence = "logarithmic"``, the bound is the whole distance from the last slope to
   the extrapolated value (no credit is taken for the extrapolation), ``reliable = False``,
   and the message says so;
4. where ``expression`` is given, SymPy derives the exponent,
   :math:`\lim_{x\to\infty} x\,\partial_x\log\varepsilon` (``sympy.limit``), and the two are
   compared (``derived``, ``agrees``); a law's ``predicted`` exponent is compared too.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import mpmath

from ..errors import InputError, check_int
from .law import Law

__all__ = ["ExponentResult", "verify_exponent", "as_law"]

#: the bound is this many times the larger of the order and precision differences
SAFETY = 10


@dataclass
class ExponentResult:
    """The exponent of a law and how well it is known.

    Attributes
    ----------
    law : str
        The law's name.
    exponent : mpmath.mpf
        The extrapolated limit of the local slopes d log eps / d log n (at ``dps`` digits).
    error : float
        The error bound (module docstring, step 3).
    digits : int
        Decimal digits on which the orders, end points, sub-lattices and precisions agree.
    predicted : object
        The law's predicted exponent (SymPy), or None.
    agrees : bool or None
        Whether every exponent known in closed form (``predicted`` and ``derived``) lies
        within ``error`` of ``exponent`` (None: none is known).
    seconds : float
        Wall time.
    slopes : list of (mpf, mpf)
        The table ``(x_j, s_j)`` used.
    derived : object
        The exponent SymPy derives from ``expression`` (``limit(x d log eps/dx, x, oo)``), or
        None.
    correction : float
        The estimated exponent omega of the leading correction to the slope (x^-omega),
        NaN if it cannot be estimated.
    convergence : str
        ``"power"`` (corrections in powers of x: the extrapolation applies) or
        ``"logarithmic"`` (corrections like 1/log x: the bound is poor, see ``message``).
    reliable : bool
        True when the convergence is "power", ``error <= tol``, the epsilon table converges
        monotonically at the chosen order, and ``agrees`` is not False (an exponent known in
        closed form outside the bound makes the result unreliable; ``message`` gives the
        numbers).
    tol : float
        The accuracy asked for.
    dps : int
        Working digits.
    message : str
        What was found, in words.
    """

    law: str
    exponent: Any
    error: float
    digits: int
    predicted: Any = None
    agrees: bool | None = None
    seconds: float = 0.0
    slopes: list = field(default_factory=list)
    derived: Any = None
    correction: float = math.nan
    convergence: str = "power"
    reliable: bool = False
    tol: float = 1e-10
    dps: int = 30
    message: str = ""

    def to_dict(self) -> dict:
        """JSON-ready: the exponent as a decimal string of ``dps`` digits.

        Returns
        -------
        dict
            Every attribute (SymPy objects as strings, the slope table as pairs of strings).
        """
        def s(v):
            return None if v is None else str(v)

        return {"law": self.law, "exponent": mpmath.nstr(self.exponent, self.dps),
                "error": float(self.error), "digits": self.digits,
                "predicted": s(self.predicted), "derived": s(self.derived),
                "agrees": self.agrees, "seconds": self.seconds,
                "correction": None if math.isnan(self.correction) else self.correction,
                "convergence": self.convergence, "reliable": self.reliable, "tol": self.tol,
                "dps": self.dps, "message": self.message,
                "slopes": [[mpmath.nstr(x, 17), mpmath.nstr(v, self.dps)]
                           for x, v in self.slopes]}

    def __str__(self) -> str:
        lines = [f"law {self.law}: exponent {mpmath.nstr(self.exponent, max(self.digits, 1) + 2)}"
                 f" +- {self.error:.2g}  ({self.digits} digits, {self.convergence} convergence"
                 f"{'' if math.isnan(self.correction) else f', correction x^-{self.correction:.3g}'})"]
        if self.derived is not None:
            lines.append(f"  SymPy limit of x d log eps/dx : {self.derived}")
        if self.predicted is not None:
            lines.append(f"  predicted                     : {self.predicted}")
        if self.agrees is not None:
            lines.append(f"  agrees within the bound       : {self.agrees}")
        lines.append(f"  reliable to tol {self.tol:.0e}          : {self.reliable}")
        lines.append(f"  {len(self.slopes)} slopes at x = {mpmath.nstr(self.slopes[0][0], 6)} .. "
                     f"{mpmath.nstr(self.slopes[-1][0], 6)}; {self.seconds:.2f} s at "
                     f"{self.dps} digits")
        if self.message:
            lines.append(f"  {self.message}")
        return "\n".join(lines)


def as_law(law, *, var: str | None = None, params: dict | None = None) -> Law:
    """A :class:`Law` from a Law, a SymPy expression or an mpmath callable.

    Parameters
    ----------
    law : Law, sympy.Expr or callable
        The law. An expression must have one free symbol besides those in ``params``
        (or name it with ``var``); a callable takes an mpf and returns an mpf.
    var : str, optional
        The variable's name (default: the expression's only free symbol, or "n").
    params : dict {str: float or str}, optional
        Values of the expression's other symbols.

    Returns
    -------
    Law
        With ``expression`` set for an expression.

    Raises
    ------
    InputError
        Not a law, an expression whose variable is ambiguous or missing.
    """
    import sympy as sp

    if isinstance(law, Law):
        return law
    params = dict(params or {})
    if isinstance(law, sp.Expr):
        expr = law.subs({sp.Symbol(k, real=True): sp.nsimplify(v) if not isinstance(v, str)
                         else sp.Rational(v) for k, v in params.items()})
        expr = expr.subs({s: sp.nsimplify(params[str(s)]) if not isinstance(params[str(s)], str)
                          else sp.Rational(params[str(s)]) for s in expr.free_symbols
                          if str(s) in params})
        free = sorted(str(s) for s in expr.free_symbols)
        if var is None:
            if len(free) != 1:
                raise InputError("law", str(law), "an expression in one variable (give the "
                                 "others as parameters)", hint=f"free symbols: {free}")
            var = free[0]
        elif free != [var]:
            raise InputError("law", str(law), f"an expression in {var} alone (give the others "
                             "as parameters)", hint=f"free symbols: {free}")
        sym = next(s for s in expr.free_symbols if str(s) == var)
        from ..numeric.bridge import mpmath_function

        f = mpmath_function(expr, (sym,))
        return Law(name=str(law), var=var, evaluate=f, expression=expr)
    if callable(law):
        return Law(name=getattr(law, "__name__", "law"), var=var or "n", evaluate=law)
    raise InputError("law", type(law).__name__, "a Law, a SymPy expression or a callable")


def verify_exponent(law, *, dps: int = 30, tol: float = 1e-10, x0: float | str = 10,
                    ratio: float | str = 2, terms: int = 30, var: str | None = None,
                    params: dict | None = None) -> ExponentResult:
    r"""The exponent :math:`\lim_{x\to\infty} d\log\varepsilon/d\log x` of a law, from its
    exact local slopes, extrapolated, with an error bound (module docstring).

    Parameters
    ----------
    law : Law, sympy.Expr or callable
        The law (:func:`as_law`): ``evaluate`` is called under ``mpmath.workdps``.
    dps : int, default 30
        Working digits (an integer in [15, 1000]); the computation is repeated at
        ``dps + 10`` for the bound.
    tol : float, default 1e-10
        The accuracy wanted; ``reliable`` says whether the bound meets it.
    x0 : float or str, default 10
        First point of the geometric lattice (> 0; ignored when the law has ``points``).
    ratio : float or str, default 2
        Ratio of the lattice (> 1).
    terms : int, default 30
        Number of slopes (an integer in [6, 400]).
    var : str, optional
        The variable of an expression (default: its only free symbol).
    params : dict, optional
        Values of an expression's other symbols.

    Returns
    -------
    ExponentResult
        The exponent, the bound, the digits, the SymPy-derived and predicted exponents and
        whether they agree, the correction exponent, the convergence type, the slope table.

    Raises
    ------
    InputError
        ``dps`` outside [15, 1000]; ``tol`` not in (0, 1); ``x0 <= 0``, ``ratio <= 1``; a law
        that is not positive, not finite, or not monotone on the lattice (the values that
        break it are named); a law whose slope disagrees with a secant of its own values at the
        working precision (a float64 law, a wrong ``log_slope``).

    Notes
    -----
    The exponent is that of the lattice examined (up to ``x0 * ratio**(terms - 1)``): a change
    of regime beyond it cannot be seen from values; where ``expression`` is given, SymPy's limit
    (``derived``) is the asymptotic check.

    Examples
    --------
    >>> import sympy as sp
    >>> n = sp.Symbol("n", positive=True)
    >>> r = verify_exponent(n**sp.Rational(-1, 2) * (1 + 3 / n))
    >>> r.derived, r.agrees, r.error < 1e-10
    (-1/2, True, True)
    """
    t0 = time.perf_counter()
    dps = check_int("dps", dps, 15, 1000)
    if isinstance(tol, bool) or not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise InputError("tol", tol, "a number in (0, 1)")
    terms = check_int("terms", terms, 6, 400)
    law = as_law(law, var=var, params=params)
    with mpmath.workdps(dps + 20):
        try:
            x0m = mpmath.mpf(x0.strip() if isinstance(x0, str) else x0)
            rm = mpmath.mpf(ratio.strip() if isinstance(ratio, str) else ratio)
        except (TypeError, ValueError):
            raise InputError("x0, ratio", (x0, ratio), "real numbers") from None
    if not x0m > 0:
        raise InputError("x0", x0, "a number > 0")
    if not rm > 1:
        raise InputError("ratio", ratio, "a number > 1")
    slope_fn, how = _slope_function(law)
    runs = {}
    for d in (dps, dps + 10):
        with mpmath.workdps(d):
            xs = [law.points(j) if law.points is not None else x0m * rm ** j
                  for j in range(terms)]
            xs = [+mpmath.mpf(x) for x in xs]
            if d == dps:
                _check_monotone(law, xs)
            s = [slope_fn(x) for x in xs]
            for x, v in zip(xs, s):
                if not mpmath.isfinite(v):
                    raise InputError("law", law.name, "a law with a finite local slope on the "
                                     "lattice", hint=f"d log eps/d log {law.var} = {v} at "
                                     f"{law.var} = {mpmath.nstr(x, 8)}")
            if d == dps:
                _check_precision(law, xs, s, d)
            runs[d] = (xs, s)
    xs, s = runs[dps]
    with mpmath.workdps(dps + 10):  # the slopes carry dps digits; the table adds no rounding
        ex = _extrapolate(s, runs[dps + 10][1], dps)
    est = ex["estimate"]
    omegas = _correction_exponents(s, xs)
    convergence = "logarithmic" if _drifting(omegas) else "power"
    with mpmath.workdps(dps + 10):
        raw = max(ex["delta"], ex["precision"], ex["spread"], ex["excess"])
        err = SAFETY * raw + mpmath.mpf(10) ** (-dps)
        if convergence == "logarithmic":
            err = 2 * abs(s[-1] - est) + err
        digits = _digits(raw, est, dps)
    omega = float(omegas[-1]) if omegas else math.nan
    derived = _sympy_exponent(law)
    known = [(lab, v) for lab, v in (("predicted", law.predicted), ("derived", derived))
             if v is not None]
    agrees = None
    outside = []
    with mpmath.workdps(dps):
        exponent = +est
    with mpmath.workdps(dps + 10):
        for lab, v in known:
            gap = abs(est - mpmath.mpf(_as_mpf_text(v, dps)))
            if not gap <= err:
                outside.append(f"{lab} {v} lies {mpmath.nstr(gap, 3)} from the estimate, "
                               f"outside the bound {mpmath.nstr(err, 3)}")
        if known:
            agrees = not outside
    err_f = max(float(err), 1e-300)
    monotone = bool(ex["monotone"])
    reliable = convergence == "power" and err_f <= tol and monotone and agrees is not False
    budget = (f"bound = {SAFETY} x max(order/end-point difference {float(ex['delta']):.2g}, "
              f"precision difference {float(ex['precision']):.2g}, shifted sub-lattices "
              f"{float(ex['spread']):.2g}, decimated sub-lattices {float(ex['excess']):.2g})")
    if convergence == "logarithmic":
        digits = _digits(abs(s[-1] - est), est, dps)
        msg = (f"the correction exponents drift towards 0 (omega = {_fmt_omegas(omegas)}): "
               f"the slopes converge like 1/log {law.var}, so no power-law extrapolation "
               f"applies; the bound {err_f:.2g} is the distance of the last slope from the "
               f"extrapolated value (POOR: not {tol:.0e})")
    else:
        msg = (f"slopes by {how}; corrections ~ {law.var}^-{omega:.4g}; Wynn epsilon "
               f"(iterated Shanks) on {terms} slopes, order {ex['order']}; {budget}")
        if err_f > tol:
            msg += f"; the bound does not reach tol {tol:.0e}: more terms or a larger x0"
    if not monotone:
        msg += ("; NOT CONVERGING: the last entries of the epsilon table do not approach "
                "their limit monotonically (no order passes the check), so the bound is not "
                "trusted (reliable = False)")
    if outside:
        msg += ("; DISAGREES: " + "; ".join(outside) + " (reliable = False: the bound or the "
                "closed form is wrong)")
    return ExponentResult(law=law.name, exponent=exponent, error=err_f, digits=digits,
                          predicted=law.predicted, agrees=agrees,
                          seconds=time.perf_counter() - t0,
                          slopes=list(zip(xs, [+v for v in s])), derived=derived,
                          correction=omega, convergence=convergence, reliable=reliable,
                          tol=tol, dps=dps, message=msg)


def _fmt_omegas(om) -> str:
    return ", ".join(f"{float(w):.3g}" for w in om[-4:])


def _as_mpf_text(v, dps) -> str:
    import sympy as sp

    return str(sp.N(v, dps + 10))


def _digits(diff, v, cap) -> int:
    if diff == 0:
        return cap
    rel = float(diff) / max(abs(float(v)), 1e-300)
    if rel >= 1:
        return 0
    return int(max(0, min(cap, math.floor(-math.log10(rel)))))


def _slope_function(law: Law):
    """The exact local slope d log eps / d log x, and how it is formed."""
    if law.log_slope is not None:
        return law.log_slope, "the law's own log_slope"
    if law.expression is not None:
        import sympy as sp

        from ..numeric.bridge import mpmath_function

        x = next(s for s in law.expression.free_symbols if str(s) == law.var)
        s_expr = x * sp.diff(law.expression, x) / law.expression
        return mpmath_function(s_expr, (x,)), "SymPy's derivative of the expression"

    def by_diff(x):
        u = mpmath.log(x)
        return mpmath.diff(lambda t: mpmath.log(law.evaluate(mpmath.exp(t))), u)

    return by_diff, "mpmath.diff of log eps(e^u)"


def _check_precision(law: Law, xs, s, d: int) -> None:
    """The slope at the first and last points against a central secant of log eps in log x
    with step 10^-(d/3) (truncation and rounding both ~10^-(2d/3)): a law that is not
    evaluated at the working precision (a float64 function) fails here instead of giving a
    slope of 0 from a difference below its resolution."""
    delta = mpmath.mpf(10) ** (-(d // 3))
    for j in (0, len(xs) - 1):
        x = xs[j]
        up, down = law.evaluate(x * mpmath.exp(delta)), law.evaluate(x * mpmath.exp(-delta))
        if not (up > 0 and down > 0):
            continue  # the monotonicity check names a non-positive law
        sec = (mpmath.log(up) - mpmath.log(down)) / (2 * delta)
        gap = abs(sec - s[j])
        if not gap <= mpmath.mpf(10) ** (-(d // 2)) * max(1, abs(s[j])):
            raise InputError("law", law.name, f"a law evaluated at the working precision "
                             f"({d} digits) whose local slope matches its values",
                             hint=f"at {law.var} = {mpmath.nstr(x, 8)} the slope is "
                             f"{mpmath.nstr(s[j], 8)} but a secant of log eps gives "
                             f"{mpmath.nstr(sec, 8)} (a float64 law, or a wrong log_slope)")


def _check_monotone(law: Law, xs) -> None:
    vals = []
    for x in xs:
        v = law.evaluate(x)
        if not (mpmath.isfinite(v) and v > 0):
            raise InputError("law", law.name, f"a law positive and finite for large {law.var}",
                             hint=f"eps({law.var} = {mpmath.nstr(x, 8)}) = {mpmath.nstr(v, 8)}")
        vals.append(v)
    d = [b - a for a, b in zip(vals, vals[1:])]
    up, down = all(v > 0 for v in d), all(v < 0 for v in d)
    if not (up or down):
        i = next(i for i in range(1, len(d)) if (d[i] > 0) != (d[0] > 0) or d[i] == 0)
        raise InputError("law", law.name, f"a law monotone in {law.var} on the lattice "
                         f"{law.var} = {mpmath.nstr(xs[0], 6)} .. {mpmath.nstr(xs[-1], 6)}",
                         hint=f"eps goes {'up' if d[0] > 0 else 'down'} from {law.var} = "
                         f"{mpmath.nstr(xs[0], 6)} but {'down' if d[0] > 0 else 'up'} between "
                         f"{mpmath.nstr(xs[i], 6)} and {mpmath.nstr(xs[i + 1], 6)}")


def _wynn(s) -> list:
    r"""Wynn's epsilon table of the slopes: ``E[k][m]`` = :math:`\varepsilon_{2k}^{(m)}`, the
    k-th iterated Shanks transform from the slopes ``s[m .. m + 2k]`` (the recursion of
    ``mpmath.shanks``, written out so that every entry is indexed by its order and start; a
    zero difference makes the entries that need it infinite instead of ending the table)."""
    prev = [mpmath.mpf(0)] * (len(s) + 1)
    cur = list(s)
    table = [list(s)]
    while len(cur) >= 3:
        for _ in range(2):
            nxt = []
            for m in range(len(cur) - 1):
                d = cur[m + 1] - cur[m]
                if d and mpmath.isfinite(d) and mpmath.isfinite(prev[m + 1]):
                    nxt.append(prev[m + 1] + 1 / d)
                else:
                    nxt.append(mpmath.inf)
            prev, cur = cur, nxt
        table.append(cur)
    return table


def _choose(table, noise, floor):
    """The order k* of the epsilon table to trust and its error indicator.

    For each order k >= 1 whose column has >= 3 finite entries at its end: the estimate
    ``E[k][-1]`` (the last 2k + 1 slopes), its indicator ``delta_k`` = the largest of its
    differences from ``E[k][-2]`` (one point fewer at the end), ``E[k-1][-1]`` and
    ``E[k-1][-2]`` (the order below), and the entry's precision noise; ``monotone_k``: the
    last (up to 3) differences along the column do not grow, unless below the noise floor.
    k* minimises delta_k over the monotone orders (over all orders if none is).
    Returns (k*, estimate, delta, monotone) or None when no order has three entries."""
    rows = []
    for k in range(1, len(table)):
        c, below = table[k], table[k - 1]
        if len(c) < 3 or not all(mpmath.isfinite(v) for v in c[-4:] + below[-2:]):
            continue
        nz = max(noise(k, j) for j in range(-min(4, len(c)), 0))
        fl = 10 * nz + floor
        diffs = [abs(c[j] - c[j - 1]) for j in range(-1, -min(4, len(c)), -1)]
        mono = all(diffs[i] <= max(diffs[i + 1], fl) for i in range(len(diffs) - 1))
        delta = max(abs(c[-1] - c[-2]), abs(c[-1] - below[-1]), abs(c[-1] - below[-2]),
                    noise(k, -1))
        rows.append((not mono, delta, k, c[-1], mono))
    if not rows:
        return None
    _, delta, k, est, mono = min(rows, key=lambda r: (r[0], r[1]))
    return k, est, delta, mono


def _shifted(s) -> list:
    """Sub-lattices of the same ratio: the first point dropped, the last, the last two."""
    return [t for t in (s[1:], s[:-1], s[:-2]) if len(t) >= 5]


def _decimated(s) -> list:
    """Sub-lattices of the squared ratio: every other point, ending at the last point and at
    the one before."""
    return [t for t in (s[::-1][::2][::-1], s[:-1][::-1][::2][::-1]) if len(t) >= 5]


def _sub_estimate(t, t_hi, floor):
    tab, tab_hi = _wynn(t), _wynn(t_hi)

    def nz(k, j):
        a, b = tab[k][j], tab_hi[k][j]
        return abs(a - b) if mpmath.isfinite(a) and mpmath.isfinite(b) else mpmath.inf

    return _choose(tab, nz, floor)


def _extrapolate(s, s_hi, dps):
    """The estimate and its error budget from the slopes at ``dps`` and at ``dps + 10``.

    Returns a dict: ``estimate``; ``order`` (k*); ``delta`` (the order / end-point indicator of
    :func:`_choose`); ``precision`` (the chosen entry at dps against dps + 10); ``spread``
    (the largest distance to the estimates of the shifted sub-lattices, :func:`_shifted`);
    ``excess`` (how far the estimate lies outside the interval, estimate +- SAFETY x indicator,
    of a decimated sub-lattice, :func:`_decimated`: a check by a different extrapolation);
    ``monotone``."""
    scale = max(1, abs(s[-1]))
    floor = mpmath.mpf(10) ** (-dps + 1) * scale
    zero = mpmath.mpf(0)
    plain = {"estimate": s[-1], "order": 0, "delta": abs(s[-1] - s[-2]),
             "precision": abs(s[-1] - s_hi[-1]), "spread": zero, "excess": zero}
    if all(v == s[-1] for v in s[-3:]):  # already exact (a pure power law)
        return dict(plain, monotone=True)
    table, table_hi = _wynn(s), _wynn(s_hi)

    def noise(k, j):
        a, b = table[k][j], table_hi[k][j]
        return abs(a - b) if mpmath.isfinite(a) and mpmath.isfinite(b) else mpmath.inf

    got = _choose(table, noise, floor)
    if got is None:
        return dict(plain, monotone=False)
    k, est, delta, mono = got
    spread, excess = zero, zero
    for t, t_hi in zip(_shifted(s), _shifted(s_hi)):
        sub = _sub_estimate(t, t_hi, floor)
        spread = max(spread, abs(sub[1] - est)) if sub is not None else mpmath.inf
    for t, t_hi in zip(_decimated(s), _decimated(s_hi)):
        sub = _sub_estimate(t, t_hi, floor)
        if sub is not None:
            excess = max(excess, abs(sub[1] - est) - SAFETY * sub[2])
    return {"estimate": est, "order": k, "delta": delta, "precision": noise(k, -1),
            "spread": spread, "excess": excess, "monotone": mono}


def _correction_exponents(s, xs) -> list:
    """omega_j = -log(Delta_{j+1}/Delta_j) / log(x_{j+1}/x_j), where both differences are
    nonzero and of one sign (a clean power-law correction)."""
    d = [b - a for a, b in zip(s, s[1:])]
    out = []
    tiny = mpmath.mpf(10) ** (-(mpmath.mp.dps * 2 // 3))
    for j in range(len(d) - 1):
        if abs(d[j]) <= tiny * max(1, abs(s[j])) or abs(d[j + 1]) <= tiny * max(1, abs(s[j])):
            break  # at the precision floor: the corrections are resolved
        lam = d[j + 1] / d[j]
        if not lam > 0:
            continue
        out.append(-mpmath.log(lam) / mpmath.log(xs[j + 1] / xs[j]))
    return out


def _drifting(omegas) -> bool:
    """The correction exponents keep decreasing towards 0 along the lattice: log convergence."""
    if len(omegas) < 6:
        return False
    last = omegas[-6:]
    steady = all(b < a for a, b in zip(last, last[1:]))
    return bool(steady and (last[0] - last[-1]) > 0.02 * abs(last[-1]) and last[-1] < 0.5)


def _sympy_exponent(law: Law):
    """SymPy's limit of x d log eps / dx as x -> oo, or None if it cannot be derived."""
    if law.expression is None:
        return None
    return _sympy_limit(law.expression, law.var)


@lru_cache(maxsize=64)
def _sympy_limit(expression, var: str):
    """The limit itself, cached on the (immutable) expression: ``limit`` can take seconds."""
    import sympy as sp

    x = next(s for s in expression.free_symbols if str(s) == var)
    xp = sp.Symbol(var, positive=True)
    e = expression.subs(x, xp)
    try:
        lim = sp.limit(sp.simplify(xp * sp.diff(e, xp) / e), xp, sp.oo)
    except (NotImplementedError, ValueError, TypeError):
        return None
    if lim.is_finite and lim.is_real and not lim.has(sp.Limit):
        return lim
    return None
