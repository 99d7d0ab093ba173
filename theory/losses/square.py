r"""Square loss :math:`\ell(y, z) = (y - z)^2/2`."""

from __future__ import annotations

import numpy as np
import scipy.linalg

from ..numeric import prox as P
from .base import Loss


class Square(Loss):
    r""":math:`\ell(y, z) = \frac12(y - z)^2`; prox :math:`\eta = \omega + V(y - \omega)/(1 + V)`.

    The step :math:`\eta - \omega` is linear in the residual :math:`r = y - \omega`, so every
    Gaussian channel average of the replica equations is closed form (:meth:`exact_step`), and
    the empirical risk minimiser is a linear solve (:meth:`erm`).
    """

    name = "square"
    residual = True

    def expr(self, yy, zz):
        return (yy - zz) ** 2 / 2

    def prox(self, yy, om, VV):
        return P.square_prox(yy, om, VV)

    def prox_derivative(self, yy, om, VV):
        return P.square_prox_derivative(yy, om, VV)

    def prox_mp(self, yy, om, VV):
        return P.square_prox_mp(yy, om, VV)

    def prox_derivative_mp(self, yy, om, VV):
        return P.square_prox_derivative_mp(yy, om, VV)

    def prox_symbolic(self, yy, om, VV):
        eta = om + self.exact_step(yy - om, VV)
        return eta, 1 / (1 + VV), self.expr(yy, eta)

    def exact_step(self, r, VV):
        return VV * r / (1 + VV)

    def erm(self, A, yv, lam):
        """Ridge in closed form: primal or dual, whichever system is smaller."""
        n, p = A.shape
        if n >= p:
            w = scipy.linalg.solve(A.T @ A + lam * np.eye(p), A.T @ yv, assume_a="pos")
        else:
            w = A.T @ scipy.linalg.solve(A @ A.T + lam * np.eye(n), yv, assume_a="pos")
        return w, 0.0

