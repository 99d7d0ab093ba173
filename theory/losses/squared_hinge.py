r"""Squared hinge loss :math:`\ell(y, z) = \frac12\max(0, 1 - yz)^2`, labels :math:`\pm 1`."""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from .base import Loss, _check_prox_input


class SquaredHinge(Loss):
    r""":math:`\ell(y, z) = \frac12\max(0, 1 - yz)^2`.

    Prox in closed form: with :math:`u = y\omega`, :math:`\eta = y\,t`, :math:`t = u` for
    :math:`u \ge 1` and :math:`t = (u + V)/(1 + V)` for :math:`u < 1` (stationarity
    :math:`(t - u)/V = (1 - t)_+`).
    """

    name = "squared_hinge"
    margin = True

    def expr(self, yy, zz):
        return sp.Max(0, 1 - yy * zz) ** 2 / 2

    def prox(self, yy, om, VV):
        yy, om, VV = (np.asarray(a, float) for a in np.broadcast_arrays(yy, om, VV))
        from ..numeric.prox import square_prox  # (u + V)/(1 + V) without cancellation

        u = yy * om
        return yy * np.where(u >= 1.0, u, square_prox(1.0, u, VV))

    def prox_derivative(self, yy, om, VV):
        # from u = y omega, not from l''(eta): at V >~ 1e16 the prox rounds to the kink eta = y
        # itself, where l'' jumps (the generic 1/(1 + V l''(eta)) was then off by a factor 4)
        yy, om, VV = (np.asarray(a, float) for a in np.broadcast_arrays(yy, om, VV))
        _check_prox_input(om, VV)
        return np.where(yy * om >= 1.0, 1.0, 1.0 / (1.0 + VV))

    def prox_mp(self, yy, om, VV):
        u = yy * om
        return yy * (u if u >= 1 else (u + VV) / (1 + VV))

    def prox_derivative_mp(self, yy, om, VV):
        return mpmath.mpf(1) if yy * om >= 1 else 1 / (1 + mpmath.mpf(VV))

    def prox_symbolic(self, yy, om, VV):
        u = yy * om
        act = sp.Heaviside(1 - u, 0)
        eta = om + act * yy * VV * (1 - u) / (1 + VV)
        return eta, 1 - act * VV / (1 + VV), self.expr(yy, eta)
