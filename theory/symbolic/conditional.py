r"""Conditional coefficients of the conditional Gaussian equivalence, symbolically.

Definitions (:mod:`theory.conventions`; Cui et al. 2024, arXiv:2402.04980v2, Sec. 3, and
the lecture slides accompanying it): for :math:`\xi\sim\mathcal N(0,1)`,

.. math::
   \mu_0(\kappa) = \mathbb E_\xi\sigma(\kappa+\sqrt c\,\xi),\qquad
   \mu_1(\kappa) = \mathbb E_\xi\sigma'(\kappa+\sqrt c\,\xi),\qquad
   \mu_\star(\kappa)^2 = \mathbb E_\xi\sigma(\kappa+\sqrt c\,\xi)^2-\mu_0(\kappa)^2-c\,\mu_1(\kappa)^2.

:func:`conditional_closed_forms` returns the closed forms an activation carries (sign, relu, abs,
leaky relu, erf (mu0, mu1), sin, cos) and, for polynomial activations, the exact Gaussian moments;
``None`` entries mean "no closed form: integrate numerically".
"""

from __future__ import annotations

import sympy as sp

from .activations import get_activation, x

__all__ = ["kappa", "c", "conditional_closed_forms", "conditional_definitions"]

kappa = sp.Symbol("kappa", real=True)
c = sp.Symbol("c", positive=True)
xi = sp.Symbol("xi", real=True)


def _gaussian_mean_poly(p: sp.Expr) -> sp.Expr:
    """E_xi p(kappa + sqrt(c) xi) for a polynomial p, by Gaussian moments E xi^(2j) = (2j-1)!!."""
    q = sp.Poly(sp.expand(p.subs(x, kappa + sp.sqrt(c) * xi)), xi)
    return sp.expand(sum(coef * sp.factorial2(n - 1) for (n,), coef in q.terms() if n % 2 == 0))


def conditional_closed_forms(activation) -> dict | None:
    r"""Closed forms of the conditional coefficients in :math:`(\kappa, c)`.

    The forms are written with the stable atoms of :mod:`theory.symbolic.atoms` (relative
    accuracy in float64 deep in the tails); ``mu_star`` is the activation's own stable form when
    it carries one (relu, abs, leaky relu, sign, sin, cos), else the defining difference.
    Definitions: :class:`theory.numeric.conditional.ConditionalCoefficients`.

    Parameters
    ----------
    activation : str, sympy.Expr or Activation
        The activation.

    Returns
    -------
    dict or None
        ``{"mu0", "mu1", "E_sigma2", "mu_star"}`` SymPy expressions in the symbols ``kappa``,
        ``c``; an entry is None where no closed form is known (e.g. E erf^2 for kappa != 0).
        None when the activation has no closed form.

    Examples
    --------
    >>> conditional_closed_forms("relu")["mu1"]
    Phi(kappa/sqrt(c))
    """
    act = get_activation(activation)
    star = None
    if act.conditional_closed is not None:
        forms = act.conditional_closed(kappa, c)
        m0, m1, e2 = forms[:3]
        if len(forms) > 3:  # a stable closed form of mu_star itself (no cancellation)
            star = forms[3]
    elif act.is_polynomial:
        m0 = _gaussian_mean_poly(act.expr)
        m1 = _gaussian_mean_poly(sp.diff(act.expr, x))
        e2 = _gaussian_mean_poly(act.expr**2)
    else:
        return None
    if star is None and e2 is not None:
        star = sp.sqrt(e2 - m0**2 - c * m1**2)
    return {"mu0": m0, "mu1": m1, "E_sigma2": e2, "mu_star": star}


def conditional_definitions(activation) -> dict:
    r"""The defining Gaussian integrals of :math:`\mu_0, \mu_1, \mathbb E\sigma^2` (for LaTeX).

    Parameters
    ----------
    activation : str, sympy.Expr or Activation
        The activation.

    Returns
    -------
    dict
        ``{"mu0", "mu1", "E_sigma2"}``: unevaluated SymPy ``Integral`` objects over
        :math:`\xi` in the symbols ``kappa``, ``c``.
    """
    act = get_activation(activation)
    s = act.expr.subs(x, kappa + sp.sqrt(c) * xi)
    phi = sp.exp(-(xi**2) / 2) / sp.sqrt(2 * sp.pi)
    m0 = sp.Integral(s * phi, (xi, -sp.oo, sp.oo))
    m1 = sp.Integral(xi * s * phi, (xi, -sp.oo, sp.oo)) / sp.sqrt(c)
    e2 = sp.Integral(s**2 * phi, (xi, -sp.oo, sp.oo))
    return {"mu0": m0, "mu1": m1, "E_sigma2": e2}
