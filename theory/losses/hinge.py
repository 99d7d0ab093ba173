r"""Hinge loss :math:`\ell(y, z) = \max(0, 1 - yz)`, labels :math:`\pm 1`."""

from __future__ import annotations

import numpy as np
import scipy.optimize
import sympy as sp

from ..errors import ConvergenceError
from ..numeric import prox as P
from .base import Loss


class Hinge(Loss):
    r""":math:`\ell(y, z) = \max(0, 1 - yz)`; prox in closed form (:mod:`theory.numeric.prox`):
    :math:`\eta - \omega = Vy` on :math:`y\omega < 1 - V`, :math:`y - \omega` on
    :math:`[1 - V, 1]`, 0 beyond. Fit by the box-constrained dual (:meth:`erm`)."""

    name = "hinge"
    margin = True

    def expr(self, yy, zz):
        return sp.Max(0, 1 - yy * zz)

    def value(self, yy, zz):
        return P.hinge_loss(yy, zz)

    def grad(self, yy, zz):
        yy = np.asarray(yy, float)
        return np.where(yy * np.asarray(zz, float) < 1.0, -yy, 0.0)

    def hess(self, yy, zz):
        return np.zeros(np.broadcast_shapes(np.shape(yy), np.shape(zz)))

    def prox(self, yy, om, VV):
        return P.hinge_prox(yy, om, VV)

    def prox_derivative(self, yy, om, VV):
        return P.hinge_prox_derivative(yy, om, VV)

    def prox_mp(self, yy, om, VV):
        return P.hinge_prox_mp(yy, om, VV)

    def prox_derivative_mp(self, yy, om, VV):
        return P.hinge_prox_derivative_mp(yy, om, VV)

    def prox_symbolic(self, yy, om, VV):
        u = yy * om
        lo = sp.Heaviside(1 - VV - u, 0)
        mid = sp.Heaviside(u - (1 - VV), 1) * sp.Heaviside(1 - u, 1)
        eta = om + VV * yy * lo + (yy - om) * mid
        return eta, 1 - mid, sp.Max(0, 1 - yy * eta)

    def erm(self, A, yv, lam):
        r"""Dual: :math:`\max_{0\le a\le 1}\sum_\mu a_\mu - \|B^\top a\|^2/(2\lambda)`,
        :math:`B = \operatorname{diag}(y)A`, :math:`w = B^\top a/\lambda` (L-BFGS-B)."""
        n = A.shape[0]
        B = A * yv[:, None]

        def fd(a):
            v = B.T @ a
            return -(a.sum() - 0.5 * v @ v / lam), -(1.0 - B @ v / lam)

        r = scipy.optimize.minimize(fd, np.full(n, 0.5), jac=True, method="L-BFGS-B",
                                    bounds=[(0.0, 1.0)] * n,
                                    options={"maxiter": 50000, "maxcor": 30, "gtol": 1e-10,
                                             "ftol": 1e-15})
        a = r.x
        g = 1.0 - B @ (B.T @ a) / lam  # projected gradient of the dual
        pg = np.where(a <= 0, np.maximum(g, 0), np.where(a >= 1, np.minimum(g, 0), g))
        gnorm = float(np.max(np.abs(pg)))
        if gnorm > 1e-6:
            raise ConvergenceError(f"hinge dual did not converge ({r.message})", gnorm, 1e-6,
                                   hint="raise lam")
        return B.T @ a / lam, gnorm
