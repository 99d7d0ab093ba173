r"""The lasso penalty :math:`\lambda|w|` (prox: soft thresholding)."""

from __future__ import annotations

import sympy as sp

from .base import Penalty


class L1(Penalty):
    r""":math:`\lambda|w|`; :math:`\operatorname{prox}_{V\lambda|\cdot|}(\omega) =
    \operatorname{sign}(\omega)\max(|\omega| - \lambda V, 0)` (soft threshold).

    The replica equations of :mod:`theory.models.rf_convex` are written for the l2 penalty
    (their prior equations are Marchenko--Pastur resolvent moments); this class is the
    interface for a model with a separable prior channel."""

    name = "l1"

    def expr(self, w, lam):
        return lam * sp.Abs(w)

    def prox(self, om, VV, lam):
        import numpy as np

        om = np.asarray(om, float)
        thr = np.asarray(lam, float) * np.asarray(VV, float)
        return np.sign(om) * np.maximum(np.abs(om) - thr, 0.0)

    def prox_mp(self, om, VV, lam):
        import mpmath

        return mpmath.sign(om) * max(abs(om) - lam * VV, mpmath.mpf(0))
