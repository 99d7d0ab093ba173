r"""Linear teacher :math:`y = \omega_0 + F_\star\xi + \sqrt\Delta\,\zeta` (Gaussian channel)."""

from __future__ import annotations

import numpy as np

from .base import Channel


class LinearTeacher(Channel):
    r""":math:`f_0(\omega_0) = \omega_0`: a Gaussian channel, the label is jointly Gaussian with
    the local fields (noise variance :math:`\Delta + F_\star^2`)."""

    name = "linear"
    gaussian = True

    def f0(self, w0):
        return w0

    def clean(self, w0):
        return np.asarray(w0, float)
