r"""Thresholds of models, systems, expressions and callables (work in progress).

See :func:`find_threshold`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ThresholdResult", "find_threshold"]


@dataclass
class ThresholdResult:
    """A threshold and how well it is known.

    Attributes
    ----------
    value : mpmath.mpf
        The threshold value of the varied parameter.
    error : float
        An error bound.
    digits : int
        Certified decimal digits (two precisions agree).
    bracket : (float, float)
        The float64 bracket holding a sign change.
    seconds : float
        Wall time.
    """

    value: Any
    error: float
    digits: int
    bracket: tuple
    seconds: float = 0.0


def find_threshold(target, *, vary: str, bracket, kind: str = "crossing", dps: int = 30,
                   **options) -> ThresholdResult:
    """A threshold of ``target`` (not implemented yet on this commit: the interface only).

    Parameters
    ----------
    target : str, Model, SaddlePointSystem, sympy.Expr or callable
        What has the threshold.
    vary : str
        The parameter varied.
    bracket : (float, float)
        Where to look.
    kind : {"crossing", "stability", "jump", "zero"}
        The defining condition.
    dps : int
        Decimal digits.
    **options
        Reserved.

    Returns
    -------
    ThresholdResult
        The threshold.

    Raises
    ------
    NotImplementedError
        Always, on this commit.
    """
    raise NotImplementedError("find_threshold: interface only on this commit")
