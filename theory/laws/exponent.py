r"""The exponent of a scaling law from its exact local slopes, extrapolated (work in progress).

See :func:`verify_exponent`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ExponentResult", "verify_exponent"]


@dataclass
class ExponentResult:
    """The exponent of a law and how well it is known.

    Attributes
    ----------
    law : str
        The law's name.
    exponent : mpmath.mpf
        The limit of the local slopes d log eps / d log n.
    error : float
        An error bound on ``exponent``.
    digits : int
        Decimal digits on which the two precisions and the two extrapolation orders agree.
    predicted : object
        The predicted exponent (SymPy), or None.
    agrees : bool or None
        Whether ``predicted`` lies within ``error`` of ``exponent`` (None: nothing predicted).
    seconds : float
        Wall time.
    slopes : list of (mpf, mpf)
        The table ``(n_j, slope_j)`` used.
    """

    law: str
    exponent: Any
    error: float
    digits: int
    predicted: Any = None
    agrees: bool | None = None
    seconds: float = 0.0
    slopes: list = field(default_factory=list)


def verify_exponent(law, *, dps: int = 30, tol: float = 1e-10, **options) -> ExponentResult:
    """The exponent of ``law`` (not implemented yet on this commit: the interface only).

    Parameters
    ----------
    law : Law
        The law.
    dps : int
        Working decimal digits (>= 15).
    tol : float
        Wanted accuracy of the exponent.
    **options
        Reserved.

    Returns
    -------
    ExponentResult
        The exponent.

    Raises
    ------
    NotImplementedError
        Always, on this commit.
    """
    raise NotImplementedError("verify_exponent: interface only on this commit")
