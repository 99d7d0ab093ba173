r"""The activation constants shared by the random-features models: :math:`\mu_0`, :math:`\mu_1`
(:math:`= \kappa_1`) and :math:`\mu_\star` (:math:`= \kappa_\star`), in float64 with error
bounds and in mpmath at any precision.

One place for every model (``rf_ridge``, ``rf_convex``, ...): models never import each other.
The caches are keyed by what *defines* the activation -- its SymPy expression and its
closed-form Hermite coefficients -- never by its name alone, so ``register(name, ...,
overwrite=True)`` cannot leave stale constants, and ``"relu"`` and ``"max(x, 0)"`` are the
same function.

Definitions (Mei & Montanari, arXiv:1908.05355v5, Eq. (8); Gerace et al., arXiv:2002.09339v2,
Eq. (5)): :math:`\mu_k = \mathbb E[\sigma(G)\,\mathrm{He}_k(G)]`, :math:`G\sim\mathcal N(0,1)`,
and :math:`\mu_\star^2 = \mathbb E[\sigma(G)^2] - \mu_0^2 - \mu_1^2`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..symbolic.activations import REGISTRY, Activation, get_activation
from .hermite import hermite_expansion

__all__ = ["activation_key", "activation_constants", "activation_constants_mp",
           "activation_constant_errors"]

_U = float(np.finfo(float).eps) / 2


@lru_cache(maxsize=256)
def _parsed(text: str) -> Activation:
    """A family or expression string, parsed once (its meaning depends on the text only)."""
    return get_activation(text)


def _activation(spec) -> Activation:
    if isinstance(spec, str):
        key = spec.strip()
        if key in REGISTRY:  # looked up each time: a name can be re-registered
            return REGISTRY[key]
        return _parsed(key)
    return get_activation(spec)


def activation_key(spec) -> tuple:
    """Cache key of an activation: its SymPy expression and its closed-form coefficients.

    Parameters
    ----------
    spec : str or sympy.Expr or Activation
        Registry name, ``family:PARAM``, expression in ``x``, or an Activation.

    Returns
    -------
    tuple
        ``(expr, mu_closed)``; equal keys mean the same function with the same exact tier.
    """
    a = _activation(spec)
    return (a.expr, a.mu_closed)


_MU: dict = {}
_MU_MP: dict = {}
_MU_ERR: dict = {}


def activation_constants(spec) -> tuple[float, float, float]:
    r"""(:math:`\mu_0`, :math:`\mu_1`, :math:`\mu_\star`) of an activation in float64 (cached).

    Parameters
    ----------
    spec : str or sympy.Expr or Activation
        The activation (registry name, family or expression in ``x``).

    Returns
    -------
    tuple of float
        :math:`(\mu_0, \mu_1, \mu_\star)` from :func:`theory.numeric.hermite.hermite_expansion`
        (exact tier where known, else split Gauss quadrature).

    Raises
    ------
    InputError
        If ``spec`` is not an activation.
    """
    a = _activation(spec)
    key = (a.expr, a.mu_closed)
    if key not in _MU:
        h = hermite_expansion(a, 2, exact=False)
        _MU[key] = (float(h.mu[0]), float(h.mu[1]), float(h.mu_star))
    return _MU[key]


def activation_constants_mp(spec, dps: int):
    r""":func:`activation_constants` as mpf at ``dps`` digits (exact values where known).

    Parameters
    ----------
    spec : str or sympy.Expr or Activation
        The activation.
    dps : int
        Decimal digits.

    Returns
    -------
    tuple of mpmath.mpf
        :math:`(\mu_0, \mu_1, \mu_\star)`.
    """
    a = _activation(spec)
    key = (a.expr, a.mu_closed, dps)
    if key not in _MU_MP:
        h = hermite_expansion(a, 2, dps=dps)
        _MU_MP[key] = (h.mu[0], h.mu[1], h.mu_star)
    return _MU_MP[key]


def activation_constant_errors(spec) -> tuple[float, float]:
    r"""Absolute error bounds of the float64 :math:`\mu_1` and :math:`\mu_\star` of
    :func:`activation_constants`.

    Twice the Hermite path's own bounds on :math:`\mu_1` and :math:`\mu_\star` (``bound[1]``,
    ``mu_star_bound``) where it reports them; otherwise from its error estimate ``e`` of the
    normalised coefficients: :math:`|d\mu_1| \le e\max(1, |\mu_1|)`, and
    :math:`\mu_\star^2 = \mathbb E\sigma^2 - \mu_0^2 - \mu_1^2` gives
    :math:`|d\mu_\star| \le (e(\max(1, \mathbb E\sigma^2) + 2|\mu_0|\max(1, |\mu_0|) +
    2|\mu_1|\max(1, |\mu_1|)) + 4u\,\mathbb E\sigma^2)/(2\mu_\star)`; both doubled for safety,
    and never below 4 ulps. An infinite or NaN estimate makes every float64 bound fail a
    tolerance, so that the caller recomputes the point with mpmath.

    Parameters
    ----------
    spec : str or sympy.Expr or Activation
        The activation.

    Returns
    -------
    tuple of float
        Bounds on :math:`|\delta\mu_1|` and :math:`|\delta\mu_\star|`.
    """
    a = _activation(spec)
    key = (a.expr, a.mu_closed)
    hit = _MU_ERR.get(key)
    if hit is not None:
        return hit
    h = hermite_expansion(a, 2, exact=False)
    bound, star_bound = getattr(h, "bound", None), getattr(h, "mu_star_bound", None)
    if bound is not None and star_bound is not None:  # per-entry bounds on mu_k itself
        m1, ms = float(h.mu[1]), float(h.mu_star)
        d1 = max(2 * float(bound[1]), 4 * _U * abs(m1))
        ds = max(2 * float(star_bound), 4 * _U * ms)
        _MU_ERR[key] = (d1, ds)
        return _MU_ERR[key]
    err = getattr(h, "error", None)  # a scalar or per-coefficient bounds: take the largest
    e = float(np.max(np.abs(np.asarray(err, dtype=float)))) if err is not None else _U
    m0, m1, ms = float(h.mu[0]), float(h.mu[1]), float(h.mu_star)
    e2 = float(getattr(h, "E_sigma2", ms * ms + m0 * m0 + m1 * m1))
    d1 = 2 * max(e * max(1.0, abs(m1)), 4 * _U * abs(m1))
    d2 = (e * (max(1.0, e2) + 2 * abs(m0) * max(1.0, abs(m0)) + 2 * abs(m1) * max(1.0, abs(m1)))
          + 4 * _U * e2) / max(2 * ms, 1e-300)
    _MU_ERR[key] = (float(d1), float(2 * max(d2, 4 * _U * ms)))
    return _MU_ERR[key]


def clear_caches() -> None:
    """Forget every cached constant (tests that re-register activations)."""
    _MU.clear()
    _MU_MP.clear()
    _MU_ERR.clear()
    _parsed.cache_clear()

