r"""Tanh teacher :math:`y = \tanh(\omega_0) + F_\star\xi + \sqrt\Delta\,\zeta`."""

from __future__ import annotations

import numpy as np
import sympy as sp

from .base import Channel


class TanhTeacher(Channel):
    r""":math:`f_0(\omega_0) = \tanh\omega_0`."""

    name = "tanh"

    def f0(self, w0):
        return sp.tanh(w0)

    def clean(self, w0):
        return np.tanh(np.asarray(w0, float))
