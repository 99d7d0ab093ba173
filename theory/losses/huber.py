r"""Huber loss: quadratic for small residuals, linear beyond :math:`\delta`."""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from .base import Loss


class Huber(Loss):
    r""":math:`\ell(y, z) = h_\delta(y - z)`, :math:`h_\delta(r) = r^2/2` for
    :math:`|r| \le \delta` and :math:`\delta(|r| - \delta/2)` beyond (Huber, Ann. Math. Statist.
    35 (1964) 73, Eq. (7)).

    Prox in closed form: with :math:`r = y - \omega`, :math:`\eta - \omega = Vr/(1 + V)` for
    :math:`|r| \le \delta(1 + V)` and :math:`V\delta\operatorname{sign}(r)` beyond
    (stationarity :math:`(\eta - \omega)/V = \operatorname{clip}(y - \eta, -\delta, \delta)`).

    Parameters
    ----------
    delta : float > 0, the threshold :math:`\delta` (default 1)
    """

    name = "huber"
    residual = True
    params = ("delta",)

    def __init__(self, delta: float = 1.0):
        from ..errors import InputError

        delta = float(delta)
        if not (np.isfinite(delta) and delta > 0):
            raise InputError("delta", delta, "a finite number > 0")
        self.delta = delta

    def expr(self, yy, zz):
        r, d = yy - zz, sp.Float(self.delta)
        return sp.Piecewise((r**2 / 2, sp.Abs(r) <= d), (d * (sp.Abs(r) - d / 2), True))

    def prox(self, yy, om, VV):
        yy, om, VV = (np.asarray(a, float) for a in np.broadcast_arrays(yy, om, VV))
        r = yy - om
        inner = np.abs(r) <= self.delta * (1.0 + VV)
        from ..numeric.prox import square_prox  # the inner branch without cancellation

        return np.where(inner, square_prox(yy, om, VV), om + VV * self.delta * np.sign(r))

    def prox_mp(self, yy, om, VV):
        r = yy - om
        if abs(r) <= self.delta * (1 + VV):
            return (om + VV * yy) / (1 + VV)
        return om + VV * self.delta * mpmath.sign(r)

    def prox_symbolic(self, yy, om, VV):
        r, d = yy - om, sp.Float(self.delta)
        inner = sp.Heaviside(d * (1 + VV) - sp.Abs(r), 1)
        step = inner * VV * r / (1 + VV) + (1 - inner) * VV * d * sp.sign(r)
        # the loss at eta, branch by branch (no Piecewise of a Piecewise for the kink finder)
        at = inner * r**2 / (2 * (1 + VV) ** 2) + (1 - inner) * d * (sp.Abs(r) - VV * d - d / 2)
        return om + step, 1 - inner * VV / (1 + VV), at
