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
   algorithm, ``mpmath.shanks``) removes one power-law correction per order, with no need to
   know the correction exponents (Brezinski & Redivo Zaglia, *Extrapolation Methods*,
   North-Holland 1991, Ch. 2; the generalized Richardson extrapolation on a geometric mesh).
   The correction exponent is estimated from successive differences,
   :math:`\omega_j = -\log(\Delta_{j+1}/\Delta_j)/\log r`, and reported;
3. **the bound.** The estimate is the last row of the epsilon table; the bound is ten times the
   larger of (a) the difference between the two best consecutive orders and (b) the
   difference between the whole computation at ``dps`` and at ``dps + 10`` digits, plus the
   rounding :math:`10^{-\rm dps}`. When the estimated correction exponents drift towards 0 along
   the lattice (:math:`\omega_j` keeps decreasing: convergence like :math:`1/\log x`, e.g.
   :math:`\varepsilon = x^{-2/3}\log x`, whose slope is :math:`-2/3 + 1/\log x`), no power-law
   extrapolation applies: ``convergence = "logarithmic"``, the bound is the whole distance
   from the last slope to the extrapolated value (no credit is taken for the extrapolation),
   ``reliable = False``, and the message says so;
4. where ``expression`` is given, SymPy derives the exponent,
   :math:`\lim_{x\to\infty} x\,\partial_x\log\varepsilon` (``sympy.limit``), and the two are
   compared (``derived``, ``agrees``); a law's ``predicted`` exponent is compared too.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
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
        Decimal digits on which the two precisions and the two extrapolation orders agree.
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
        True when the convergence is "power" and ``error <= tol``.
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
        break it are named).

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
            runs[d] = (xs, s, _extrapolate(s))
    xs, s, (est, order_diff) = runs[dps]
    est_hi = runs[dps + 10][2][0]
    omegas = _correction_exponents(s, xs)
    convergence = "logarithmic" if _drifting(omegas) else "power"
    with mpmath.workdps(dps + 10):
        prec_diff = abs(est - est_hi)
        err = SAFETY * max(order_diff, prec_diff) + mpmath.mpf(10) ** (-dps)
        if convergence == "logarithmic":
            err = 2 * abs(s[-1] - est) + err
        digits = _digits(max(order_diff, prec_diff), est, dps)
    omega = float(omegas[-1]) if omegas else math.nan
    derived = _sympy_exponent(law)
    known = [v for v in (law.predicted, derived) if v is not None]
    agrees = None
    with mpmath.workdps(dps):
        exponent = +est
        if known:
            agrees = all(abs(exponent - mpmath.mpf(_as_mpf_text(v, dps))) <= err for v in known)
    err_f = max(float(err), 1e-300)
    reliable = convergence == "power" and err_f <= tol
    if convergence == "logarithmic":
        digits = _digits(abs(s[-1] - est), est, dps)
        msg = (f"the correction exponents drift towards 0 (omega = {_fmt_omegas(omegas)}): "
               f"the slopes converge like 1/log {law.var}, so no power-law extrapolation "
               f"applies; the bound {err_f:.2g} is the distance of the last slope from the "
               f"extrapolated value (POOR: not {tol:.0e})")
    else:
        msg = (f"slopes by {how}; corrections ~ {law.var}^-{omega:.4g}; Wynn epsilon "
               f"(iterated Shanks) on {terms} slopes; bound = {SAFETY} x max(order difference "
               f"{float(order_diff):.2g}, precision difference {float(prec_diff):.2g})")
        if err_f > tol:
            msg += f"; the bound does not reach tol {tol:.0e}: more terms or a larger x0"
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


def _extrapolate(s):
    """Wynn's epsilon table on the slopes: (estimate, difference of the two best orders)."""
    if all(v == s[-1] for v in s[-3:]):  # already exact (a pure power law)
        return s[-1], abs(s[-1] - s[-2])
    table = mpmath.shanks(s)
    if not table:
        return s[-1], abs(s[-1] - s[-2])
    row = table[-1]
    ests = [row[k] for k in range(len(row)) if k % 2 == 1 and mpmath.isfinite(row[k])]
    if len(ests) < 2:
        return s[-1], abs(s[-1] - s[-2])
    # the estimates of successive orders on the last row: take the consecutive pair that
    # agrees best (later orders lose digits to cancellation), the later one as the estimate
    best = min(range(1, len(ests)), key=lambda k: abs(ests[k] - ests[k - 1]))
    return ests[best], abs(ests[best] - ests[best - 1])


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
    import sympy as sp

    x = next(s for s in law.expression.free_symbols if str(s) == law.var)
    xp = sp.Symbol(law.var, positive=True)
    e = law.expression.subs(x, xp)
    try:
        lim = sp.limit(sp.simplify(xp * sp.diff(e, xp) / e), xp, sp.oo)
    except (NotImplementedError, ValueError, TypeError):
        return None
    if lim.is_finite and lim.is_real and not lim.has(sp.Limit):
        return lim
    return None
