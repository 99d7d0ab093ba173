r"""Randomised quasi-Monte-Carlo rules for Gaussian expectations, with an error bar.

Scrambled Sobol' points (:class:`scipy.stats.qmc.Sobol`, Owen scrambling) mapped to
:math:`\mathcal N(0, I_r)` by the inverse normal CDF. ``R`` independent scramblings give ``R``
unbiased estimates; their mean is the value and their standard deviation divided by
:math:`\sqrt R` the standard error (Owen, "Monte Carlo theory, methods and examples", 2013,
Ch. 17). Used where a tensor rule is too large (dimension > 3 for the Gaussian-mixture models).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.special import ndtri
from scipy.stats import qmc

from ..errors import InputError, check_int

__all__ = ["sobol_normal", "qmc_mean"]


@lru_cache(maxsize=32)
def _sobol_normal(r: int, log2n: int, scrambles: int, seed: int) -> tuple:
    out = []
    rng = np.random.default_rng(seed)
    for _ in range(scrambles):
        u = qmc.Sobol(d=r, scramble=True, seed=rng).random_base2(log2n)
        z = ndtri(np.clip(u, 1e-300, 1 - 2**-53))
        z.flags.writeable = False
        out.append(z)
    return tuple(out)


def sobol_normal(r: int, *, log2n: int = 12, scrambles: int = 8, seed: int = 0) -> tuple:
    r"""Independent scrambled Sobol' point sets for :math:`\mathcal N(0, I_r)`.

    Parameters
    ----------
    r : int
        Dimension (>= 1).
    log2n : int, default 12
        Each set has :math:`2^{\mathrm{log2n}}` points (a power of 2 keeps the Sobol' balance).
    scrambles : int, default 8
        Number of independent scramblings (>= 2, for the error bar).
    seed : int, default 0
        Seed of the scramblings (the rule is deterministic given it).

    Returns
    -------
    tuple of numpy.ndarray, each of shape (2**log2n, r)
        Read-only node sets; each set's nodes have equal weights.

    Raises
    ------
    InputError
        ``r < 1``, ``log2n`` outside [4, 22] or ``scrambles < 2``.
    """
    r = check_int("r", r, 1, 1000)
    log2n = check_int("log2n", log2n, 4, 22)
    scrambles = check_int("scrambles", scrambles, 2, 1000)
    return _sobol_normal(r, log2n, scrambles, int(seed))


def qmc_mean(values) -> tuple[np.ndarray, np.ndarray]:
    """Mean over scramblings and its standard error.

    Parameters
    ----------
    values : array_like, shape (R, ...)
        One estimate per scrambling (R >= 2).

    Returns
    -------
    mean, stderr : numpy.ndarray
        Shape ``values.shape[1:]``.

    Raises
    ------
    InputError
        Fewer than two estimates.
    """
    v = np.asarray(values, dtype=float)
    if v.ndim == 0 or v.shape[0] < 2:
        raise InputError("values", v.shape, "at least two scramblings")
    return v.mean(axis=0), v.std(axis=0, ddof=1) / np.sqrt(v.shape[0])
