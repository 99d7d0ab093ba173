r"""The ridge penalty :math:`\frac\lambda2 w^2`."""

from __future__ import annotations

from .base import Penalty


class L2(Penalty):
    r""":math:`\frac\lambda2 w^2`; :math:`\operatorname{prox}_{V\lambda r}(\omega) =
    \omega/(1 + \lambda V)`."""

    name = "l2"

    def expr(self, w, lam):
        return lam * w**2 / 2

    def prox(self, om, VV, lam):
        import numpy as np

        return np.asarray(om, float) / (1.0 + np.asarray(lam, float) * np.asarray(VV, float))

    def prox_mp(self, om, VV, lam):
        return om / (1 + lam * VV)
