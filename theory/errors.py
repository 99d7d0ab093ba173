"""Errors raised by ``theory``: every message names the parameter, the value and the allowed range."""

from __future__ import annotations

__all__ = ["TheoryError", "InputError", "ParseError", "ResourceError", "IntegrationError",
           "ConvergenceError", "FAILURE_HINTS", "check_int", "check_positive", "bytes_text"]


class TheoryError(Exception):
    """Base class of all errors raised on purpose by ``theory``."""


class InputError(TheoryError, ValueError):
    """A user-supplied value is outside its allowed range.

    The command line turns it into exit code 2 and one line on stderr.

    Parameters
    ----------
    param : str
        Name of the parameter as the user typed it (``kmax``, ``c``, ``activation``).
    value : object
        The offending value.
    allowed : str
        The allowed range, in words (``"an integer >= 0"``).
    hint : str, optional
        An extra sentence.

    Examples
    --------
    >>> str(InputError("kmax", -1, "an integer >= 0"))
    'kmax=-1 is not allowed: kmax must be an integer >= 0'
    """

    def __init__(self, param: str, value, allowed: str, hint: str | None = None):
        self.param, self.value, self.allowed, self.hint = param, value, allowed, hint
        msg = f"{param}={value!r} is not allowed: {param} must be {allowed}"
        if hint:
            msg += f". {hint}"
        super().__init__(msg)


class ParseError(InputError):
    """A typed expression was refused by the safe parser (nothing was executed).

    Parameters
    ----------
    text : str
        The expression as typed.
    reason : str
        Why it was refused.
    """

    def __init__(self, text: str, reason: str):
        self.text, self.reason = text, reason
        TheoryError.__init__(self, f"cannot parse expression {text!r}: {reason}")
        self.param, self.value, self.allowed, self.hint = "expression", text, reason, None

    def __str__(self) -> str:  # keep the one-line message
        return f"cannot parse expression {self.text!r}: {self.reason}"


def bytes_text(b: float) -> str:
    """A memory size in words, binary units: ``"512 B"``, ``"3.4 MiB"``, ``"75 GiB"``.

    Parameters
    ----------
    b : float
        Bytes.

    Returns
    -------
    str

    Examples
    --------
    >>> bytes_text(80e9)
    '75 GiB'
    """
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
    v, i = float(b), 0
    while abs(v) >= 1024 and i < len(units) - 1:
        v, i = v / 1024, i + 1
    if i == 0:
        return f"{int(v)} B"
    return f"{v:.1f} {units[i]}" if v < 9.95 else f"{v:.0f} {units[i]}"


class ResourceError(InputError):
    """A simulation would not fit in memory: refused before it allocates anything.

    Raised by :func:`theory.simulate.resources.check_resources`; the command line prints it
    as one line and exits with code 2, like any bad input.

    Parameters
    ----------
    param : str
        The size parameter to lower (``"d"``).
    value : object
        Its value.
    needed : int
        Estimated peak memory of one seed (bytes).
    available : int
        Memory available (bytes).
    detail : str, optional
        The other sizes, the largest arrays at the peak, the time per seed.
    hint : str, optional
        What to do.

    Examples
    --------
    >>> str(ResourceError("d", 100000, 80e9, 25e9))
    'd=100000: needs ~75 GiB, 23 GiB available'
    """

    def __init__(self, param: str, value, needed: float, available: float, detail: str = "",
                 hint: str | None = None):
        self.param, self.value, self.hint = param, value, hint
        self.needed, self.available, self.detail = int(needed), int(available), detail
        self.allowed = f"a size whose peak memory fits in the {bytes_text(available)} available"
        msg = f"{param}={value}: needs ~{bytes_text(needed)}, {bytes_text(available)} available"
        if detail:
            msg += f" ({detail})"
        if hint:
            msg += f"; {hint}"
        TheoryError.__init__(self, msg)

    def __str__(self) -> str:  # the one-line message, not InputError's
        return str(self.args[0])


class IntegrationError(TheoryError, ArithmeticError):
    """A Gaussian integral did not reach the requested tolerance (or diverges)."""


def check_int(name: str, value, lo: int | None = None, hi: int | None = None) -> int:
    """Validate an integer parameter.

    Parameters
    ----------
    name : str
        Parameter name for the error message.
    value : int or float
        The value (a float must be integral; bool is refused).
    lo, hi : int, optional
        Inclusive bounds.

    Returns
    -------
    int
        ``value`` as an int in ``[lo, hi]``.

    Raises
    ------
    InputError
        If ``value`` is not an integer in range.

    Examples
    --------
    >>> check_int("kmax", 4.0, lo=0)
    4
    """
    if isinstance(value, bool) or not isinstance(value, (int,)) and not (
        hasattr(value, "is_integer") and float(value).is_integer()
    ):
        raise InputError(name, value, _range_words("an integer", lo, hi))
    v = int(value)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise InputError(name, value, _range_words("an integer", lo, hi))
    return v


def check_positive(name: str, value, *, strict: bool = True) -> float:
    """Validate a positive real parameter.

    Parameters
    ----------
    name : str
        Parameter name for the error message.
    value : float
        The value.
    strict : bool, optional
        Require ``> 0`` (default) or ``>= 0``.

    Returns
    -------
    float
        ``float(value)``.

    Raises
    ------
    InputError
        If ``value`` is not a finite real number > 0 (or >= 0).
    """
    import math

    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(name, value, "a real number " + ("> 0" if strict else ">= 0")) from None
    if not math.isfinite(v) or (v <= 0 if strict else v < 0):
        raise InputError(name, value, "a finite real number " + ("> 0" if strict else ">= 0"))
    return v


def _range_words(kind: str, lo, hi) -> str:
    if lo is not None and hi is not None:
        return f"{kind} in [{lo}, {hi}]"
    if lo is not None:
        return f"{kind} >= {lo}"
    if hi is not None:
        return f"{kind} <= {hi}"
    return kind


#: failure kinds of a solve (``SolveResult.failure``, ``ConvergenceError.failure``), with the
#: hint that fits each: the check that failed decides the hint, never the residual alone.
FAILURE_HINTS = {
    "residual": "the iteration needs more steps: raise max_iter, or try method='damped' with "
                "damping=0.5, or another init",
    "stall": "the residual stopped decreasing: try another method (method='newton' or "
             "'anderson'), another init, or a nearby parameter point to continue from",
    "budget": "raise max_time / max_evaluations, or continue from a nearby solved point "
              "(curve) so that fewer iterations are needed",
    "quadrature": "the Gaussian integrals are not resolved at the finest node level: the "
                  "integrand has a feature narrower than the nodes (a small noise, a small "
                  "penalty near the interpolation threshold); raise tol or change the point",
    "constraint": "the fixed point reached violates a physical constraint: try another init "
                  "or method='damped' (Newton can land on unphysical roots)",
    "nan": "the map is undefined (NaN or an inadmissible covariance) along the iteration: "
           "try method='damped' with damping=0.5 or a start closer to the answer",
    "domain": "the map cannot be evaluated at the starting point: give another init",
    "polish": "the mpmath polish needs a float64 answer inside its basin: solve with a "
              "smaller tol first, or lower dps",
    "interrupted": "interrupted by the user (Ctrl-C): the finished points are kept",
}


class ConvergenceError(TheoryError, ArithmeticError):
    """A saddle-point solve failed (strict use).

    The message names the check that failed with its own numbers and a hint for that failure:
    only a failure of the residual test says ``residual ... > tol ...``.

    Parameters
    ----------
    message : str
        What failed, with its numbers.
    residual : float
        Residual reached.
    tol : float
        Tolerance needed.
    hint : str, optional
        What to try (see :data:`FAILURE_HINTS`).
    result : object, optional
        The unconverged result object, for inspection only.
    failure : str, optional
        The check that failed, a key of :data:`FAILURE_HINTS` (default ``"residual"``).
    """

    def __init__(self, message: str, residual: float, tol: float, hint: str = "",
                 result=None, failure: str = "residual"):
        self.residual, self.tol, self.hint, self.result = residual, tol, hint, result
        self.failure = failure
        msg = message
        if failure == "residual" and "residual" not in message:
            msg += f": residual {residual:.3g} > tol {tol:.1g}"
        if hint:
            msg += f". Hint: {hint}"
        super().__init__(msg)
