r"""Exponential loss :math:`\ell(y, z) = e^{-yz}`, labels :math:`\pm 1` (AdaBoost's loss)."""

from __future__ import annotations

import sympy as sp

from .base import Loss


class Exponential(Loss):
    r""":math:`\ell(y, z) = e^{-yz}`.

    No prox is written here: the generic safeguarded Newton of :class:`~theory.losses.Loss`
    solves :math:`(x - \omega)/V - ye^{-yx} = 0` from the derivatives of :meth:`expr`. (The
    closed form :math:`t = u + W(Ve^{-u})`, :math:`u = y\omega`, with the Lambert W, overflows
    for :math:`u \ll 0`.) Its bend: the branch point of W at :math:`Ve^{-u} = -1/e`, i.e.
    :math:`u = \log V + 1 \pm i\pi`, a distance :math:`\pi` from the real axis.
    """

    name = "exponential"
    margin = True

    def expr(self, yy, zz):
        return sp.exp(-yy * zz)

    def features(self, VV):
        return [(sp.log(VV) + 1, sp.pi)]
