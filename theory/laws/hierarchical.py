r"""Per-direction recovery thresholds of the hierarchical model and its aggregated exponent.

**Source actually followed.** Wortsman-Zurich, Loureiro, Krzakala, Tabanelli, Dandi, "sequential
feature recovery" (arXiv:2605.14567 v1, 14 May 2026): the paper's text was not readable; what is
implemented here are **the theory helpers of the authors' public code**
(``h-tabanelli/hierarchical-model``: ``plots/plot_fig3_directionwise_theory.py``,
``plots/plot_powerlaw_tail_vs_mse.py``, ``plot_rate_direct_from_results.py``) as recorded in
``laws-digest.md`` section 4, labelled there as the code's helpers, **not the paper's
theorems**. Which figure of which paper each script serves is not stated in the code.

The teacher (digest section 4): :math:`p = \lfloor d^{\varepsilon}\rfloor` quadratic directions
with second-layer weights :math:`b_i\propto i^{-\gamma}`; :math:`n = d^{\alpha}` samples.

* Per-direction threshold exponent (:func:`alpha_threshold`)

  .. math:: \alpha_{\rm th}(i) = \begin{cases} 2+\varepsilon, & \gamma = 0\\
     2 + (1-2\gamma)\varepsilon + 2\gamma\frac{\ln i}{\ln d}, & 0<\gamma<\tfrac12\\
     2 + 2\gamma\frac{\ln i}{\ln d}, & \gamma\ge\tfrac12 \end{cases}

* The number of recovered directions (:func:`recovered_directions`)
  :math:`m_{\rm th}(\alpha) = \mathrm{clip}(\lfloor d^{(\alpha-\alpha_{\rm th}(1))/(2\gamma)}\rfloor,
  0, p)`; at :math:`\gamma = 0` (a division by zero in the formula) this module takes the
  :math:`\gamma\to0^+` limit, all p directions at :math:`\alpha\ge2+\varepsilon` and none below
  ([D], this module's choice). A direction at its threshold counts as recovered: an
  :math:`x = d^{(\alpha-\alpha_{\rm th}(1))/(2\gamma)}` within a relative
  :math:`10^{-\lfloor{\rm dps}/2\rfloor}` of an integer is rounded to it before the floor (in
  float64 the plain floor of :math:`d^{(\alpha_{\rm th}(j)-2)/(2\gamma)}` is j - 1 for some j:
  d = 250, gamma = 0.8, j = 13).
* The shifted thresholds of ``plot_powerlaw_tail_vs_mse.py`` (:func:`alpha_shifted`):
  :math:`\alpha_j = \alpha_0 + (2\gamma\ln j - 2\ln C_\gamma)/\ln d`, :math:`\alpha_0 = 2`,
  :math:`C_\gamma = (\sum_{j\le p}j^{-2\gamma})^{-1/2}`, the shift off by default (as in the
  code).
* Tail risk (:func:`tail_risk`) :math:`R_{\rm th}(\alpha) = \sum_{m(\alpha)<j\le p}j^{-2\gamma}`.
* Aggregated exponent (:func:`hierarchical_law`): the MSE slope in n,
  :math:`-1 + 1/(2\gamma)` (``plot_rate_direct_from_results.py``), for :math:`\gamma > 1/2`.
  **[D] consistency** (the digest's check, made exact here): with :math:`p=\infty` and
  :math:`\gamma\ge\tfrac12`, :math:`d^{\alpha_{\rm th}(j)} = d^2 j^{2\gamma}` so direction j is
  recovered at :math:`n_j = d^2j^{2\gamma}`, :math:`m(n) = \lfloor(n/d^2)^{1/(2\gamma)}\rfloor`
  and :math:`R = \zeta(2\gamma, m(n)+1)\sim m^{1-2\gamma}/(2\gamma-1)\propto n^{1/(2\gamma)-1}`.
  The law is this staircase on its mid-step lattice :math:`n_J = d^2(J+\tfrac12)^{2\gamma}`,
  through which :math:`\zeta(2\gamma, (n/d^2)^{1/(2\gamma)}+\tfrac12)` is the analytic
  interpolant; its local slope :math:`-\zeta(2\gamma+1,a)(a-\tfrac12)/\zeta(2\gamma,a)`,
  :math:`a = (n/d^2)^{1/(2\gamma)} + \tfrac12`, is exact and tends to :math:`-1+1/(2\gamma)`
  with corrections in integer powers of :math:`1/a`.

The functions take floats or ``mpmath`` numbers and compute at the caller's ``mpmath.workdps``.
"""

from __future__ import annotations

from functools import lru_cache

import mpmath as mp

from ..errors import InputError
from .law import Law, register_law
from .sequential import _at, _exact

__all__ = ["alpha_threshold", "recovered_directions", "alpha_shifted", "tail_risk",
           "hierarchical_lattice", "hierarchical_envelope", "hierarchical_law",
           "derive_hierarchical_exponent", "REFERENCE"]

REFERENCE = ("Wortsman-Zurich, Loureiro, Krzakala, Tabanelli, Dandi, arXiv:2605.14567 v1: the "
             "theory helpers of the authors' code h-tabanelli/hierarchical-model as recorded in "
             "laws-digest.md section 4 (not the paper's theorems)")


def _num(name, value, allowed, ok):
    try:
        v = mp.mpf(value)
    except (TypeError, ValueError):
        raise InputError(name, value, allowed) from None
    if not mp.isfinite(v) or not ok(v):
        raise InputError(name, value, allowed)
    return v


def _d(d):
    return _num("d", d, "a number > 1 (the input dimension)", lambda v: v > 1)


def _gamma(gamma):
    return _num("gamma", gamma, "a number >= 0", lambda v: v >= 0)


def _eps(epsilon):
    return _num("epsilon", epsilon, "a number >= 0 (p = floor(d^epsilon))", lambda v: v >= 0)


def _p(d, epsilon) -> int:
    return int(mp.floor(d**epsilon + mp.mpf(10) ** (-mp.mp.dps // 2)))


def alpha_threshold(i, *, d, gamma, epsilon=0.5):
    r"""Threshold exponent :math:`\alpha_{\rm th}(i)` of direction i (:math:`n = d^\alpha`).

    The three regimes of the code's helper (module docstring).

    Parameters
    ----------
    i : int or float
        Direction index, >= 1.
    d : float
        Input dimension, > 1.
    gamma : float
        Power-law exponent of the second-layer weights, >= 0.
    epsilon : float
        :math:`p = \lfloor d^\varepsilon\rfloor` directions (enters for gamma < 1/2).

    Returns
    -------
    mpmath.mpf
        :math:`\alpha_{\rm th}(i)`.

    Raises
    ------
    InputError
        A parameter out of range.

    Examples
    --------
    >>> import mpmath as mp
    >>> with mp.workdps(15):
    ...     print(alpha_threshold(1, d=400, gamma=0.2, epsilon=0.5))
    2.3
    """
    dd, g, e = _d(d), _gamma(gamma), _eps(epsilon)
    ii = _num("i", i, "a direction index >= 1", lambda v: v >= 1)
    if g == 0:
        return 2 + e
    ratio = mp.log(ii) / mp.log(dd)
    if g < mp.mpf(1) / 2:
        return 2 + (1 - 2 * g) * e + 2 * g * ratio
    return 2 + 2 * g * ratio


def recovered_directions(alpha, *, d, gamma, epsilon=0.5, p=None) -> int:
    r"""Number of recovered directions :math:`m_{\rm th}(\alpha)` at :math:`n = d^\alpha`.

    :math:`\mathrm{clip}(\lfloor d^{(\alpha-\alpha_{\rm th}(1))/(2\gamma)}\rfloor, 0, p)`;
    gamma = 0: p at and above :math:`2+\varepsilon`, 0 below (module docstring).

    Parameters
    ----------
    alpha : float
        Sample exponent, :math:`n = d^\alpha`.
    d : float
        Input dimension, > 1.
    gamma : float
        Power-law exponent, >= 0.
    epsilon : float
        :math:`p = \lfloor d^\varepsilon\rfloor`.
    p : int or None
        Override the number of directions (None: :math:`\lfloor d^\varepsilon\rfloor`;
        ``float("inf")``: no cap).

    Returns
    -------
    int or float
        :math:`m_{\rm th}` (``inf`` only for gamma = 0 with p infinite above threshold).

    Raises
    ------
    InputError
        A parameter out of range.
    """
    dd, g, e = _d(d), _gamma(gamma), _eps(epsilon)
    a = _num("alpha", alpha, "a finite number", lambda v: True)
    cap = _p(dd, e) if p is None else p
    a1 = alpha_threshold(1, d=dd, gamma=g, epsilon=e)
    if g == 0:
        return cap if a >= a1 else 0
    x = dd ** ((a - a1) / (2 * g))
    near = mp.nint(x)
    m = int(near) if abs(x - near) <= mp.mpf(10) ** (-(mp.mp.dps // 2)) * max(1, x) \
        else int(mp.floor(x))
    return max(0, min(m, cap))


def alpha_shifted(j, *, d, gamma, p, shift=False, alpha0=2):
    r"""The thresholds :math:`\alpha_j = \alpha_0 + (2\gamma\ln j - 2\ln C_\gamma)/\ln d`.

    ``plot_powerlaw_tail_vs_mse.py`` (module docstring); the :math:`C_\gamma` shift is off by
    default, as in the code.

    Parameters
    ----------
    j : int
        Direction index, >= 1.
    d : float
        Input dimension, > 1.
    gamma : float
        Power-law exponent, >= 0.
    p : int
        Number of directions (enters :math:`C_\gamma`).
    shift : bool
        Include :math:`-2\ln C_\gamma/\ln d`.
    alpha0 : float
        :math:`\alpha_0` (2 in the code).

    Returns
    -------
    mpmath.mpf
        :math:`\alpha_j`.

    Raises
    ------
    InputError
        A parameter out of range.
    """
    dd, g = _d(d), _gamma(gamma)
    jj = _num("j", j, "a direction index >= 1", lambda v: v >= 1)
    pp = _num("p", p, "an integer >= 1", lambda v: v >= 1 and v == int(v))
    out = mp.mpf(alpha0) + 2 * g * mp.log(jj) / mp.log(dd)
    if shift:
        C = mp.fsum(mp.mpf(i) ** (-2 * g) for i in range(1, int(pp) + 1)) ** (-mp.mpf(1) / 2)
        out -= 2 * mp.log(C) / mp.log(dd)
    return out


def tail_risk(alpha, *, d, gamma, epsilon=0.5, p=None):
    r"""Tail risk :math:`R_{\rm th}(\alpha) = \sum_{m_{\rm th}(\alpha)<j\le p} j^{-2\gamma}`.

    Parameters
    ----------
    alpha : float
        Sample exponent, :math:`n = d^\alpha`.
    d : float
        Input dimension, > 1.
    gamma : float
        Power-law exponent, >= 0 (> 1/2 when p is infinite).
    epsilon : float
        :math:`p = \lfloor d^\varepsilon\rfloor`.
    p : int or None
        Override p (``float("inf")``: infinitely many directions, gamma > 1/2).

    Returns
    -------
    mpmath.mpf
        :math:`R_{\rm th}`.

    Raises
    ------
    InputError
        A parameter out of range, or p infinite with gamma <= 1/2 (a divergent sum).
    """
    dd, g, e = _d(d), _gamma(gamma), _eps(epsilon)
    cap = _p(dd, e) if p is None else p
    m = recovered_directions(alpha, d=dd, gamma=g, epsilon=e, p=cap)
    if cap == float("inf"):
        if g <= mp.mpf(1) / 2:
            raise InputError("gamma", gamma, "a number > 1/2 with infinitely many directions")
        return mp.zeta(2 * g, m + 1)
    if m >= cap:
        return mp.mpf(0)
    if 2 * g == 1:  # the Hurwitz zeta's pole: sum directly
        return mp.fsum(mp.mpf(j) ** -1 for j in range(m + 1, int(cap) + 1))
    return mp.zeta(2 * g, m + 1) - mp.zeta(2 * g, int(cap) + 1)  # (continued for 2 gamma < 1)


def _gamma_law(gamma):
    return _num("gamma", gamma, "a number > 1/2 (the aggregated law n^(1/(2 gamma) - 1) needs a "
                "summable tail)", lambda v: v > mp.mpf(1) / 2)


def hierarchical_lattice(J, *, gamma, d=100):
    r"""The mid-step lattice :math:`n_J = d^2(J+\tfrac12)^{2\gamma}` (J directions recovered).

    Parameters
    ----------
    J : int or mpmath.mpf
        Number of recovered directions.
    gamma : float
        Power-law exponent, > 1/2.
    d : float
        Input dimension, > 1.

    Returns
    -------
    mpmath.mpf
        :math:`n_J`.

    Raises
    ------
    InputError
        A parameter out of range.
    """
    g, dd = _gamma_law(gamma), _d(d)
    return dd**2 * (mp.mpf(J) + mp.mpf(1) / 2) ** (2 * g)


def hierarchical_envelope(n, *, gamma, d=100):
    r"""The tail risk through its mid-step values: :math:`\zeta(2\gamma, (n/d^2)^{1/(2\gamma)}+\tfrac12)`.

    Parameters
    ----------
    n : float or mpmath.mpf
        Sample size, >= :math:`d^2` (one direction recovered).
    gamma : float
        Power-law exponent, > 1/2.
    d : float
        Input dimension, > 1.

    Returns
    -------
    mpmath.mpf
        The envelope (equal to :func:`tail_risk` with p infinite at every lattice point).

    Raises
    ------
    InputError
        A parameter out of range.
    """
    g, dd = _gamma_law(gamma), _d(d)
    nn = _num("n", n, f"a number >= d^2 = {mp.nstr(dd**2, 8)}", lambda v: v >= dd**2)
    return mp.zeta(2 * g, (nn / dd**2) ** (1 / (2 * g)) + mp.mpf(1) / 2)


def _slope(n, g, dd):
    a = (mp.mpf(n) / dd**2) ** (1 / (2 * g)) + mp.mpf(1) / 2
    return -mp.zeta(2 * g + 1, a) * (a - mp.mpf(1) / 2) / mp.zeta(2 * g, a)


@lru_cache(maxsize=1)
def derive_hierarchical_exponent() -> dict:
    r"""SymPy: the aggregated exponent from the continuum tail, symbolic gamma > 1/2.

    With :math:`m(n) = (n/d^2)^{1/(2\gamma)}` (:math:`n_j = d^2 j^{2\gamma}`) and the tail's
    leading Euler-Maclaurin term :math:`\int_m^\infty x^{-2\gamma}dx` (``integrate``,
    :math:`\gamma = \tfrac12 + c`, c > 0), the exponent is ``limit(n d log(R)/dn)``.

    Returns
    -------
    dict
        ``"tail"`` (the leading term in n), ``"exponent"`` (:math:`-1 + 1/(2\gamma)`),
        ``"threshold_identity"`` (:math:`d^{\alpha_{\rm th}(j)} - d^2 j^{2\gamma}`, simplified to
        0), and the symbols ``"gamma"``, ``"n"``, ``"d"``.
    """
    import sympy as sp

    gamma, n, d, x, c, j = sp.symbols("gamma n d x c j", positive=True)
    gg = sp.Rational(1, 2) + c
    m = (n / d**2) ** (1 / (2 * gg))
    tail = sp.integrate(x ** (-2 * gg), (x, m, sp.oo))
    expo = sp.limit(sp.simplify(n * sp.diff(sp.log(tail), n)), n, sp.oo)
    back = {c: gamma - sp.Rational(1, 2)}
    alpha_th = 2 + 2 * gamma * sp.log(j) / sp.log(d)
    ident = sp.simplify(sp.powsimp(sp.expand_power_exp(d**alpha_th), force=True)
                        - d**2 * j ** (2 * gamma))
    return {"tail": sp.simplify(tail.subs(back)), "exponent": sp.simplify(expo.subs(back)),
            "threshold_identity": ident, "gamma": gamma, "n": n, "d": d}


def hierarchical_law(gamma=1.0, d=100.0) -> Law:
    r"""The aggregated law :math:`R\propto n^{1/(2\gamma)-1}` (p infinite, gamma > 1/2).

    ``evaluate`` is :func:`hierarchical_envelope`, ``log_slope`` its exact local slope,
    ``points`` the lattice :math:`n_J`, :math:`J = 2^{j+4}`, ``expression`` the Hurwitz zeta
    form, ``predicted`` :math:`-1 + 1/(2\gamma)`.

    Parameters
    ----------
    gamma : float
        Power-law exponent, > 1/2.
    d : float
        Input dimension, > 1.

    Returns
    -------
    Law
        Registered as ``"hierarchical"``.

    Raises
    ------
    InputError
        gamma <= 1/2 or d <= 1.
    """
    import sympy as sp

    _gamma_law(gamma), _d(d)
    G, D = _exact(gamma), _exact(d)
    nsym = sp.Symbol("n", positive=True)
    expr = sp.zeta(2 * G, (nsym / D**2) ** (1 / (2 * G)) + sp.Rational(1, 2))
    return Law(name="hierarchical", var="n",
               evaluate=lambda n: hierarchical_envelope(n, gamma=_at(G), d=_at(D)),
               log_slope=lambda n: _slope(n, _at(G), _at(D)),
               points=lambda j: hierarchical_lattice(2 ** (int(j) + 4), gamma=_at(G), d=_at(D)),
               expression=expr, predicted=sp.nsimplify(-1 + 1 / (2 * G)),
               regime="hierarchical model, gamma > 1/2 (code's helpers, arXiv:2605.14567)")


register_law("hierarchical", hierarchical_law,
             "hierarchical model tail risk (code's helpers, arXiv:2605.14567): "
             "R ~ n^(1/(2 gamma) - 1) [gamma > 1/2, d]")
