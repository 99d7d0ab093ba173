r"""Closed forms of spectral laws, as SymPy expressions.

Marchenko--Pastur (Marchenko & Pastur 1967): the spectral measure :math:`\mu_\gamma` of
:math:`A = F F^\top / p` for :math:`F \in \mathbb R^{d\times p}` with i.i.d. standard Gaussian
entries, :math:`d/p \to \gamma` (an atom of mass :math:`1 - 1/\gamma` at 0 when
:math:`\gamma > 1`). Its Stieltjes transform :math:`g(w) = \int d\mu(x)/(x - w)` solves

.. math:: \gamma w g^2 + (w + \gamma - 1) g + 1 = 0 ,

and at :math:`w = -z < 0` (where the saddle-point equations of random features need it) it is
the positive root, written without cancellation:
:math:`g(-z) = 2 / (b + \sqrt{b^2 + 4\gamma z})` for :math:`b = 1 - \gamma + z \ge 0`, and
:math:`(\sqrt{b^2 + 4\gamma z} - b)/(2\gamma z)` otherwise.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["mp_stieltjes_negative", "mp_stieltjes_negative_derivative"]

_w, _gam = sp.symbols("w gamma", real=True)


def mp_stieltjes_negative(w=_w, gamma=_gam) -> sp.Expr:
    """g(w) of the Marchenko--Pastur law of ratio gamma, for real w < 0 (closed form)."""
    z = -w
    b = 1 - gamma + z
    s = sp.sqrt(b**2 + 4 * gamma * z)
    return sp.Piecewise((2 / (b + s), b >= 0), ((s - b) / (2 * gamma * z), True))


def mp_stieltjes_negative_derivative(w=_w, gamma=_gam) -> sp.Expr:
    """g'(w) = int dmu(x)/(x - w)^2 for real w < 0: the derivative of the closed form."""
    return sp.diff(mp_stieltjes_negative(_w, _gam), _w).subs({_w: w, _gam: gamma})
