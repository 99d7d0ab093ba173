r"""Logistic loss :math:`\ell(y, z) = \log(1 + e^{-yz})`, labels :math:`\pm 1`."""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy.special import expit

from ..numeric import prox as P
from ..symbolic.atoms import softplus
from .base import Loss


class Logistic(Loss):
    r""":math:`\ell(y, z) = \operatorname{softplus}(-yz)`; the prox is the log-scale Newton of
    :mod:`theory.numeric.prox` (relative accuracy for :math:`V` up to :math:`10^{60}`)."""

    name = "logistic"
    margin = True

    def expr(self, yy, zz):
        return softplus(-yy * zz)

    def value(self, yy, zz):
        return np.logaddexp(0.0, -np.asarray(yy, float) * np.asarray(zz, float))

    def grad(self, yy, zz):
        yy = np.asarray(yy, float)
        return -yy * expit(-yy * np.asarray(zz, float))

    def hess(self, yy, zz):
        m = np.asarray(yy, float) * np.asarray(zz, float)
        return expit(m) * expit(-m)

    def prox(self, yy, om, VV):
        return P.logistic_prox(yy, om, VV)

    def prox_derivative(self, yy, om, VV):
        return P.logistic_prox_derivative(yy, om, VV)

    def prox_mp(self, yy, om, VV):
        return P.logistic_prox_mp(yy, om, VV)

    def prox_derivative_mp(self, yy, om, VV):
        return P.logistic_prox_derivative_mp(yy, om, VV)

    def prox_symbolic(self, yy, om, VV):
        eta = _eta(yy, om, VV)
        # l'' = sigma(t) sigma(-t) at t = y eta (y^2 = 1), as one stable product
        return eta, _deta(yy, om, VV), self.expr(yy, eta)

    def features(self, VV):
        """Bends of t(u) near u = log V + 1 and u = -V - log V - 1, a distance pi from the real
        axis (branch points of the implicit function, :mod:`theory.numeric.prox`)."""
        lv = sp.log(1 + VV)
        return [(lv + 1, sp.pi), (-VV - lv - 1, sp.pi)]


def _numeric():
    from ..symbolic.expectation import numeric_function

    eta = numeric_function("eta_logistic", 3, P.logistic_prox, P.logistic_prox_mp,
                           latex=r"\eta")
    deta = numeric_function("deta_logistic", 3, P.logistic_prox_derivative,
                            P.logistic_prox_derivative_mp, latex=r"\partial_\omega\eta")
    return eta, deta


_eta, _deta = _numeric()
