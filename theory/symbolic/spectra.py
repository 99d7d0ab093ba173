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

__all__ = ["mp_stieltjes_negative", "mp_stieltjes_negative_derivative", "mp_resolvent_moments",
           "mp_resolvent_square", "RESOLVENT_MOMENTS"]

_w, _gam = sp.symbols("w gamma", real=True)


def mp_stieltjes_negative(w=_w, gamma=_gam) -> sp.Expr:
    r"""Stieltjes transform :math:`g(w)` of the Marchenko--Pastur law, for real :math:`w < 0`.

    Parameters
    ----------
    w : sympy.Expr, optional
        The point, a real negative number or symbol (default the symbol ``w``).
    gamma : sympy.Expr, optional
        Ratio :math:`\gamma = d/p` (default the symbol ``gamma``).

    Returns
    -------
    sympy.Piecewise
        The closed form, written in positive terms on each branch (with :math:`z = -w`,
        :math:`b = 1 - \gamma + z`, :math:`s = \sqrt{b^2 + 4\gamma z}`:
        :math:`2/(b + s)` for :math:`b \ge 0`, :math:`(s - b)/(2\gamma z)` otherwise).

    Examples
    --------
    >>> mp_stieltjes_negative(-1, 1)  # the root (sqrt(5) - 1)/2 of -g**2 - g + 1 = 0
    2/(1 + sqrt(5))
    """
    z = -w
    b = 1 - gamma + z
    s = sp.sqrt(b**2 + 4 * gamma * z)
    return sp.Piecewise((2 / (b + s), b >= 0), ((s - b) / (2 * gamma * z), True))


def mp_stieltjes_negative_derivative(w=_w, gamma=_gam) -> sp.Expr:
    r"""Derivative :math:`g'(w) = \int d\mu(x)/(x - w)^2` for real :math:`w < 0`.

    Parameters
    ----------
    w : sympy.Expr, optional
        The point (default the symbol ``w``).
    gamma : sympy.Expr, optional
        Ratio :math:`\gamma = d/p` (default the symbol ``gamma``).

    Returns
    -------
    sympy.Expr
        The derivative of the closed form of :func:`mp_stieltjes_negative`.
    """
    return sp.diff(mp_stieltjes_negative(_w, _gam), _w).subs({_w: w, _gam: gamma})


#: the combinations of g = g(-z), g' = g'(-z) that the random-features saddle points use, by name
RESOLVENT_MOMENTS = {
    "D": r"1 - z g = \int \frac{x}{x+z}\,d\mu",
    "E": r"\frac1\gamma - 1 + z g",
    "B": r"g - z g' = \int \frac{x}{(x+z)^2}\,d\mu",
    "A": r"1 - 2 z g + z^2 g' = \int \frac{x^2}{(x+z)^2}\,d\mu",
    "C": r"\frac1\gamma - 1 + z^2 g'",
}


def mp_resolvent_moments(z=None, gamma=_gam) -> dict:
    r"""Resolvent moments of the Marchenko--Pastur law at :math:`w = -z < 0`, without cancellation.

    The random-features saddle points (Gerace et al. arXiv:2002.09339v2, Sec. 2; model
    ``rf_convex``) need :math:`D = 1 - zg`, :math:`E = 1/\gamma - 1 + zg`,
    :math:`B = g - zg'`, :math:`A = 1 - 2zg + z^2g'` and :math:`C = 1/\gamma - 1 + z^2g'` at
    :math:`g = g(-z)`, :math:`g' = g'(-z)`. Written that way they cancel: for
    :math:`z \gg 1` (the small-penalty, separable phase, where :math:`z = (\lambda +
    \hat V_w)/\hat V_s` is large) :math:`A` and :math:`B` are differences of O(1) numbers
    (no digit left at :math:`z = 2\cdot10^9`), and for :math:`\gamma > 1`, :math:`z \to 0` the
    atom of mass :math:`1 - 1/\gamma` at 0 cancels in :math:`E` and :math:`C`.

    Derivation (checked at 60 digits against quadrature of the density, tests/test_spectra.py):
    with :math:`b = 1 - \gamma + z` and :math:`s = \sqrt{b^2 + 4\gamma z}
    = \sqrt{z^2 + 2z(1+\gamma) + (1-\gamma)^2}` (positive terms), the quadratic gives
    :math:`zg = (s - b)/(2\gamma)` and :math:`g' = g(1 + \gamma g)/s`, hence every moment is a
    multiple of :math:`N = s + 1 - \gamma - z`:

    .. math:: D = \frac{N}{b+s},\quad E = \frac{N}{2\gamma},\quad B = \frac{N}{s(b+s)},\quad
              A = \frac{N (s - z)}{s (b+s)},\quad C = \frac{N (b+s)}{4\gamma s},

    with :math:`b + s = 4\gamma z/(s - b)` when :math:`b < 0`,
    :math:`s - z = (2z(1+\gamma) + (1-\gamma)^2)/(s + z)` and, unless :math:`\gamma < 1` and
    :math:`z < 1 - \gamma` (where the direct form has no cancellation),
    :math:`N = 4z(z + 2 + 2\gamma)/((s + \gamma - 1)(z + 3 + \gamma + s))`.

    Parameters
    ----------
    z : SymPy expression (z > 0); default the symbol ``z``
    gamma : the aspect ratio :math:`\gamma = d/p > 0` of :math:`FF^\top/p`

    Returns
    -------
    dict
        ``{"D", "E", "B", "A", "C"}`` -> SymPy expressions (Piecewise over the regimes).
    """
    if z is None:
        z = sp.Symbol("z", positive=True)
    g = gamma
    # 1 - gamma is kept as one unevaluated term: SymPy would flatten 1 - gamma + z + s into one
    # sum whose printed order (-gamma + s + z + 1) cancels at gamma = 1 even where the
    # mathematics does not
    h = sp.UnevaluatedExpr(1 - g)
    b = h + z
    s = sp.sqrt(z**2 + 2 * z * (1 + g) + h**2)
    bs = sp.Piecewise((b + s, b >= 0), (4 * g * z / (s - b), True))
    n_far = 4 * z * (z + 2 + 2 * g) / ((s - h) * (z + 3 + g + s))
    N = sp.Piecewise(((s + h) - z, sp.And(g < 1, z < 1 - g)), (n_far, True))
    s_minus_z = (2 * z * (1 + g) + (1 - g) ** 2) / (s + z)
    return {
        "D": N / bs,
        "E": N / (2 * g),
        "B": N / (s * bs),
        "A": N * s_minus_z / (s * bs),
        "C": N * bs / (4 * g * s),
    }


def mp_resolvent_square(z=None, gamma=_gam) -> sp.Expr:
    r""":math:`g'(-z) = \int d\mu(x)/(x + z)^2` of the Marchenko--Pastur law, in positive terms.

    Differentiating :math:`\gamma w g^2 + (w + \gamma - 1) g + 1 = 0` in :math:`w` and using
    :math:`2\gamma z g = s - b` at :math:`w = -z` gives :math:`g'(-z) = g\,(1 + \gamma g)/s`,
    :math:`s = \sqrt{b^2 + 4\gamma z}`, :math:`b = 1 - \gamma + z` (every factor positive: no
    cancellation near the atom at 0 when :math:`\gamma > 1` and :math:`z \to 0`, where the
    derivative of the closed form of :func:`mp_stieltjes_negative` loses digits).

    Parameters
    ----------
    z : sympy.Expr, optional
        The point :math:`z > 0` (default the symbol ``z``).
    gamma : sympy.Expr, optional
        Ratio :math:`\gamma = d/p` (default the symbol ``gamma``).

    Returns
    -------
    sympy.Expr
        :math:`g(-z)(1 + \gamma g(-z))/s`.
    """
    if z is None:
        z = sp.Symbol("z", positive=True)
    g = mp_stieltjes_negative(-z, gamma)
    b = 1 - gamma + z
    s = sp.sqrt(b**2 + 4 * gamma * z)
    return g * (1 + gamma * g) / s
