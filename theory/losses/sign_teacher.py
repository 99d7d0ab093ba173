r"""Sign teacher with probit label noise: :math:`y = \operatorname{sign}(\omega_0 +
\sqrt\Delta\,\zeta)`."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from ..symbolic.atoms import Phi
from .base import Channel


class SignTeacher(Channel):
    r""":math:`P(y|\omega_0) = \Phi(y\omega_0/\sqrt\Delta)` (:math:`\Theta(y\omega_0)` at
    :math:`\Delta = 0`), :math:`y = \pm 1`; smoothed over :math:`\omega_0 \sim
    \mathcal N(\mu, v)`: :math:`\Phi(y\mu/\sqrt{v + \Delta})`.

    A nonlinear part of the teacher field inside the sign would only add to the probit noise
    (use ``noise`` = :math:`\Delta + F_\star^2`): ``accepts_fstar`` is False.
    """

    name = "sign"
    discrete = True
    labels = (1, -1)
    accepts_fstar = False
    latex = r"\operatorname{sign}"

    def f0(self, w0):
        return sp.sign(w0)

    def clean(self, w0):
        return np.where(np.asarray(w0, float) >= 0, 1.0, -1.0)

    def likelihood(self, yy, w0, Delta):
        return Phi(yy * w0 / sp.sqrt(Delta))

    def smoothed(self, yy, mu, var, Delta):
        return Phi(yy * mu / sp.sqrt(var + Delta))

    def sample(self, w0, zeta, *, noise, nonlinear=None):
        w0 = np.asarray(w0, float)
        if noise > 0:  # noise on the pre-activation: labels stay +-1
            w0 = w0 + math.sqrt(noise) * zeta
        return np.where(w0 >= 0, 1.0, -1.0)
