r"""Classic thresholds as references for the laws layer, in float64 and at any precision.

Every function takes ``dps=None`` (a float64 computation: scipy quadrature or Gauss--Legendre
with an error check, the atoms' scipy implementations) or an integer ``dps`` (an
``mpmath.mpf`` at ``dps`` digits, computed with 10-15 guard digits). Numbers
given as ``str`` are read exactly (``"0.35"``); a float is read by its shortest decimal
``repr`` (what was typed).

Weak recovery of Bayes-optimal GLMs (:func:`glm_weak_recovery`). Labels
:math:`y \sim P_{\rm out}(\cdot|z)`, :math:`z = \mathbf x\cdot\mathbf w^\star/\sqrt d`,
:math:`\mathbf w^\star\sim\mathcal N(0, I_d)` (prior variance :math:`\rho = 1`), :math:`n =
\alpha d`. Linearising the state evolution at :math:`q = 0` (Barbier, Krzakala, Macris, Miolane
& Zdeborová, arXiv:1708.03395v3, Sec. 2 and their discussion of the uninformative fixed
point; Mondelli & Montanari, arXiv:1708.05932v2, their :math:`\delta_u`; for the first-order
case Troiani, Dandi, Defilippis, Zdeborová, Loureiro & Krzakala, arXiv:2405.15480v1, "trivial
subspace"):

* if :math:`\mathbb E_y[\mathbb E[z|y]^2] > 0` the uninformative point :math:`q = 0` is not a
  fixed point: weak recovery at every :math:`\alpha > 0`, :math:`\alpha_{\rm WR} = 0`
  (sign/probit, ReLU, additive Gaussian noise);
* if :math:`\mathbb E[z|y] = 0` (even channels: phase retrieval), :math:`q = 0` is a fixed
  point, unstable iff :math:`\alpha > \alpha_{\rm WR} = 1/\mathbb E_y[(\mathbb E[z^2|y] -
  1)^2]`; if that expectation is 0 too, no weak recovery from the linearisation
  (:math:`\alpha_{\rm WR} = \infty`).

Both conditional moments come from the channel's partition function (the engine's
:class:`~theory.symbolic.atoms.OutputChannel`): with :math:`Z = Z_{\rm out}(y, \omega, V)`,
:math:`\partial_\omega Z/Z = \mathbb E[(z - \omega)/V\,|\,y]` and :math:`\partial_\omega^2 Z/Z =
\mathbb E[(z - \omega)^2/V^2 - 1/V\,|\,y]`, so at :math:`(\omega, V) = (0, 1)`, where :math:`Z`
is the law of y, :math:`\mathbb E_y[\mathbb E[z|y]^2] = \int (\partial_\omega Z)^2/Z` and
:math:`\mathbb E_y[(\mathbb E[z^2|y] - 1)^2] = \int (\partial^2_\omega Z)^2/Z` (sums over the
atoms of the law of y, integrals over its continuous part). Noiseless phase retrieval:
:math:`\mathbb E[z^2|y] = y^2`, :math:`\mathbb E(z^2 - 1)^2 = 2`, :math:`\alpha_{\rm WR} = 1/2`.

Gardner capacity (:func:`gardner_capacity`; Gardner 1988, "The space of interactions in neural
network models", J. Phys. A 21, 257, eq. (31)): :math:`\alpha_c(\kappa) = 1/\int_{-\kappa}^\infty
Dt\,(t + \kappa)^2 = 1/\mathcal T_2(-\kappa)`, :math:`\mathcal T_2(u) = (1 + u^2)H(u) -
u\varphi(u)` (:class:`~theory.symbolic.atoms.Ramp2`, stable in both tails), for
:math:`\kappa \ge 0` (below 0 the replica-symmetric formula is not the capacity).

Logistic MLE existence (:func:`candes_sur_h`; Candès & Sur, "The phase transition for the
existence of the maximum likelihood estimate in high-dimensional logistic regression",
arXiv:1804.09753v1, Ann. Statist. 48(1) 2020, Theorem 1 without intercept): :math:`V\sim\mathcal
N(0, 1)`, :math:`P(Y = 1|V) = \operatorname{sigmoid}(\gamma V) = 1 - P(Y = -1|V)`
(:math:`\gamma^2 = \operatorname{Var}(\mathbf x^\top\boldsymbol\beta)`, the signal strength),
:math:`Z\sim\mathcal N(0, 1)` independent,

.. math:: h(\gamma) = \min_t \mathbb E[(tYV - Z)_+^2],

and the MLE exists (with probability tending to 1) iff :math:`p/n < h(\gamma)`. The Z-average is
closed: :math:`\mathbb E_Z(w - Z)_+^2 = \mathcal T_2(-w)`, and the symmetry :math:`(Y, V)\to(-Y,
-V)` gives :math:`\mathbb E[\cdot] = 2\int\varphi(v)\operatorname{sigmoid}(\gamma v)\mathcal
T_2(-tv)dv`, a 1-D integral of an analytic integrand (no kink left), split at 0; its
t-derivative uses :math:`\mathcal T_2' = -2\mathcal T_1`, and the minimum (the objective is
convex in t) is the root of the derivative, by ``mpmath.findroot`` (Newton with the second
derivative, :math:`\mathcal T_1' = -H`). Checked: :math:`h(1) = 0.438939066883848\ldots` and
:math:`h(2) = 0.344930128404049\ldots` (the values of issue 11) and :math:`h(0) = 1/2`
(Cover 1965), against ``tests/reference/laws_classic_candes_sur_mp.py`` (tanh-sinh in v,
the z-integral up to the kink checked against its quadrature, the minimiser from a numerical
derivative and a secant). :func:`candes_sur_gamma` inverts :math:`h` (decreasing from
1/2 to 0): the boundary curve.

Moniri & Hassani (arXiv:2605.17767, abstract): after two GD steps with step sizes
:math:`\eta_i\asymp N^{\alpha_i}`, :math:`\alpha_i\in[0, 1/2)`, the number of outliers is
:math:`\lfloor\alpha_2/(1/2 - \alpha_1)\rfloor` (:func:`moniri_hassani_outliers`), computed in
exact rationals: in float64, (0.35, 0.3) gives :math:`0.3/0.15000000000000002 =
1.9999999999999998` and the floor 1; the exact value is 2.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from scipy import integrate, optimize

from ..errors import InputError, IntegrationError
from ..numeric.bridge import mpmath_function, numpy_function
from ..symbolic.atoms import CHANNELS, OutputChannel, Ramp1, Ramp2

__all__ = ["WeakRecovery", "glm_weak_recovery", "gardner_capacity", "candes_sur_h",
           "candes_sur_gamma", "moniri_hassani_outliers"]

_FLOAT_DPS = 16  # the digits of a float64 result (tolerances of the float paths)
_T2 = Ramp2._mpmath_impl


def _check_dps(dps) -> int:
    if dps is None:
        return _FLOAT_DPS
    if isinstance(dps, bool) or not isinstance(dps, int) or not 10 <= dps <= 1000:
        raise InputError("dps", dps, "None (float64) or an integer number of digits in [10, 1000]")
    return dps


def _out(value, dps):
    """The result: a float (dps=None) or an mpf rounded to dps digits."""
    if dps is None:
        return float(value)
    with mpmath.workdps(dps):
        return +value


def _read(name, value, allowed):
    """An exact mpf of a user number (str exact, float by its repr)."""
    if isinstance(value, bool):
        raise InputError(name, value, allowed)
    try:
        if isinstance(value, float):
            v = mpmath.mpf(repr(value))
        elif isinstance(value, (Fraction, sp.Rational)):
            v = mpmath.mpf(int(value.numerator)) / int(value.denominator)
        else:
            v = mpmath.mpf(value)
    except (TypeError, ValueError):
        raise InputError(name, value, allowed) from None
    if not mpmath.isfinite(v):
        raise InputError(name, value, allowed)
    return v


# ---------------------------------------------------------------------------------------------
# weak recovery of Bayes-optimal GLMs


@dataclass(frozen=True)
class WeakRecovery:
    r"""The weak-recovery threshold of a Bayes-optimal GLM and the two coefficients behind it.

    Attributes
    ----------
    alpha : float or mpmath.mpf
        :math:`\alpha_{\rm WR}`: 0 if ``linear > 0``; else ``1/quadratic`` (``inf`` if that
        is 0 too).
    linear : float or mpmath.mpf
        :math:`\mathbb E_y[\mathbb E[z|y]^2]` (0 for an even channel, set exactly when the
        channel's :math:`\partial_\omega Z_{\rm out}(y, 0, 1)` is identically 0).
    quadratic : float or mpmath.mpf
        :math:`\mathbb E_y[(\mathbb E[z^2|y] - 1)^2]`.
    formula : float or mpmath.mpf
        :math:`1/\mathbb E_y[(\mathbb E[z^2|y] - 1)^2]`, the second-order threshold, whatever
        ``linear`` is (``inf`` when ``quadratic`` is 0).
    channel : str
        The channel's name and noise.
    reason : str
        Which case of the module docstring applies, in words.
    error : float
        Quadrature error estimate of ``quadratic`` (relative).
    """

    alpha: Any
    linear: Any
    quadratic: Any
    formula: Any
    channel: str
    reason: str
    error: float


def _support_of(ch: OutputChannel) -> list:
    """The law of y of a built-in channel: atoms (numbers) and intervals (pairs)."""
    noiseless = sp.sympify(ch.Delta) == 0
    inf = mpmath.inf
    if ch.name == "sign":
        return [-1, 1]
    if ch.name == "abs" and noiseless:
        return [(0, inf)]
    if ch.name == "relu" and noiseless:
        return [0, (0, inf)]
    if ch.name in ("gaussian", "abs", "relu"):
        return [(-inf, inf)]
    raise InputError("support", None, "the law of y as a list of atoms and (a, b) intervals",
                     hint=f"channel {ch.name!r} is not built in: pass support=")


def _channel_of(channel, Delta) -> OutputChannel:
    if isinstance(channel, OutputChannel):
        if Delta is not None:
            raise InputError("Delta", Delta, "None when an OutputChannel is passed",
                             hint="the channel carries its own Delta")
        return channel
    if isinstance(channel, str) and channel in CHANNELS:
        D = 0 if Delta is None else Delta
        if isinstance(D, bool) or not isinstance(D, (int, float, str, Fraction, sp.Rational)):
            raise InputError("Delta", Delta, "a noise variance >= 0")
        Dm = _read("Delta", D, "a finite noise variance >= 0")
        if Dm < 0 or (channel == "gaussian" and Dm == 0):
            raise InputError("Delta", Delta, "a finite noise variance >= 0 (> 0 for gaussian)")
        Ds = sp.Rational(str(D)) if not isinstance(D, sp.Rational) else D
        return CHANNELS[channel](Ds)
    raise InputError("channel", channel, f"one of {sorted(CHANNELS)} or an OutputChannel")


def _cuts(a, b, width):
    """Split points of an interval of the law of y (its bulk is within a few widths of 0)."""
    inner = [x for x in (-4 * width, -width, 0, width, 4 * width) if a < x < b]
    return [a, *inner, b]


def _wr_float(Z0, exprs, y, parts, width):
    """float64: sum over atoms / scipy quad over intervals of Z_k^2/Z_0; (values, rel. error)."""
    f0 = numpy_function(Z0, (y,))
    sums, rel = [], 0.0
    for e in exprs:
        fk = numpy_function(e, (y,))

        def f(t, fk=fk):
            z0 = float(f0(t))
            return float(fk(t)) ** 2 / z0 if z0 > 0 else 0.0
        total, err = 0.0, 0.0
        for part in parts:
            if isinstance(part, (tuple, list)):
                cuts = [float(c) for c in _cuts(float(part[0]), float(part[1]), width)]
                for a, b in zip(cuts, cuts[1:]):
                    val, e_ = integrate.quad(f, a, b, epsabs=1e-15, epsrel=1e-13, limit=200)
                    total, err = total + val, err + e_
            else:
                total += f(float(part))
        sums.append(total)
        rel = max(rel, err / abs(total) if total != 0 else err)
    return sums, rel


def _wr_mp(Z0, exprs, y, parts, width):
    """mpmath at the working precision: the same sums by tanh-sinh; (values, rel. error)."""
    f0 = mpmath_function(Z0, (y,))
    sums, rel = [], 0.0
    for e in exprs:
        fk = mpmath_function(e, (y,))

        def f(t, fk=fk):
            z0 = f0(t)
            return fk(t) ** 2 / z0 if z0 != 0 else mpmath.mpf(0)
        total, err = mpmath.mpf(0), mpmath.mpf(0)
        for part in parts:
            if isinstance(part, (tuple, list)):
                a, b = (mpmath.mpf(x) for x in part)
                val, e_ = mpmath.quad(f, _cuts(a, b, width), error=True, maxdegree=10)
                total, err = total + val, err + e_
            else:
                total += f(mpmath.mpf(part))
        sums.append(total)
        rel = max(rel, float(err / abs(total)) if total != 0 else float(err))
    return sums, rel


def glm_weak_recovery(channel, *, Delta=None, support: Sequence | None = None,
                      dps: int | None = None) -> WeakRecovery:
    r"""Weak-recovery threshold :math:`\alpha_{\rm WR}` of a Bayes-optimal GLM (module docstring).

    Parameters
    ----------
    channel : str or OutputChannel
        A name of :data:`theory.symbolic.atoms.CHANNELS` (``"abs"`` = phase retrieval,
        ``"sign"``, ``"relu"``, ``"gaussian"``) or an
        :class:`~theory.symbolic.atoms.OutputChannel` (a new one needs ``support``).
    Delta : float or str, optional
        Label-noise variance of a named channel (default 0; > 0 for ``"gaussian"``).
    support : sequence, optional
        The law of y for a channel that is not built in: numbers are atoms (``Z_out`` is a
        probability there), pairs ``(a, b)`` are intervals where ``Z_out`` is a density.
    dps : int, optional
        None: floats (scipy quadrature, relative error checked below 1e-11). An integer: mpf
        at ``dps`` digits (tanh-sinh at ``dps + 15`` digits, error checked).

    Returns
    -------
    WeakRecovery
        ``alpha`` and the coefficients ``linear``, ``quadratic``, ``formula`` behind it.

    Raises
    ------
    InputError
        Unknown channel, negative Delta, Delta given with an OutputChannel, a custom channel
        without ``support``, or ``dps`` out of range.
    IntegrationError
        If a y-integral does not reach ``dps`` digits (the message names its error).

    Examples
    --------
    >>> round(glm_weak_recovery("abs").alpha, 12)
    0.5
    >>> glm_weak_recovery("sign").alpha  # E[z|y] != 0: any alpha > 0
    0.0
    """
    want = _check_dps(dps)
    ch = _channel_of(channel, Delta)
    parts = list(support) if support is not None else _support_of(ch)
    y, w, V = sp.Symbol("y", real=True), sp.Symbol("omega", real=True), sp.Symbol("V", positive=True)
    Z = ch.Z(y, w, V)
    at = {w: 0, V: 1}
    Z0 = Z.subs(at)
    Z1 = sp.diff(Z, w).subs(at)
    Z2 = sp.diff(Z, w, 2).subs(at)
    odd_zero = sp.simplify(Z1) == 0
    width = math.sqrt(1 + float(sp.sympify(ch.Delta)))
    exprs = ((Z1,) if not odd_zero else ()) + (Z2,)
    if dps is None:
        sums, rel = _wr_float(Z0, exprs, y, parts, width)
        tol = 1e-12
        if rel > 1e-11:
            raise IntegrationError(f"glm_weak_recovery({ch!r}): the y-integral reached a "
                                   f"relative error {rel:.1e} > 1e-11 (float64)")
    else:
        with mpmath.workdps(want + 15):
            sums, rel = _wr_mp(Z0, exprs, y, parts, width)
        tol = 10.0 ** (-want - 2)
        if rel > tol:
            raise IntegrationError(f"glm_weak_recovery({ch!r}): the y-integral reached a "
                                   f"relative error {rel:.1e} > {tol:.0e} (needed for {want} "
                                   f"digits)")
    with mpmath.workdps(want + 15):
        sums = [mpmath.mpf(x) for x in sums]
        linear = mpmath.mpf(0) if odd_zero else sums[0]
        quadratic = sums[-1]
        formula = 1 / quadratic if quadratic > tol else mpmath.inf
        if linear > tol:
            alpha = mpmath.mpf(0)
            reason = ("E[z|y] != 0: the uninformative point q = 0 is not a fixed point, weak "
                      "recovery at every alpha > 0 (first order)")
        elif formula == mpmath.inf:
            alpha = mpmath.inf
            reason = "E[z|y] = 0 and E[z^2|y] = 1: no weak recovery from the linearisation"
        else:
            alpha = formula
            reason = "E[z|y] = 0: q = 0 loses stability at alpha = 1/E_y[(E[z^2|y] - 1)^2]"
    name = f"{ch.name}(Delta={ch.Delta})"
    return WeakRecovery(alpha=_out(alpha, dps), linear=_out(linear, dps),
                        quadratic=_out(quadratic, dps), formula=_out(formula, dps),
                        channel=name, reason=reason, error=rel)


# ---------------------------------------------------------------------------------------------
# Gardner capacity


def gardner_capacity(kappa, *, dps: int | None = None):
    r"""Gardner capacity :math:`\alpha_c(\kappa) = 1/\int_{-\kappa}^\infty Dt\,(t + \kappa)^2`
    of the spherical perceptron with margin :math:`\kappa \ge 0` (Gardner 1988, eq. (31)).

    Closed form :math:`1/\mathcal T_2(-\kappa)`, :math:`\mathcal T_2(u) = (1 + u^2)H(u) -
    u\varphi(u)` (:class:`~theory.symbolic.atoms.Ramp2`); :math:`\alpha_c(0) = 2`.

    Parameters
    ----------
    kappa : float or str
        Margin :math:`\kappa \ge 0`.
    dps : int, optional
        None: float64 (the atom's float implementation, relative accuracy in both tails). An
        integer: mpf at ``dps`` digits.

    Returns
    -------
    float or mpmath.mpf
        :math:`\alpha_c(\kappa)`.

    Raises
    ------
    InputError
        If ``kappa`` is negative or not finite (below 0 the replica-symmetric formula is not the
        capacity), or ``dps`` is out of range.

    Examples
    --------
    >>> gardner_capacity(0)
    2.0
    """
    want = _check_dps(dps)
    k = _read("kappa", kappa, "a finite margin >= 0")
    if k < 0:
        raise InputError("kappa", kappa, "a finite margin >= 0",
                         hint="for kappa < 0 replica symmetry is broken and "
                              "1/int Dt (t + kappa)^2 is not the capacity")
    if dps is None:
        return float(1.0 / Ramp2._numpy_impl(-float(k)))
    with mpmath.workdps(want + 10):
        val = 1 / _T2(-k)
    return _out(val, dps)


# ---------------------------------------------------------------------------------------------
# Candès--Sur


def _cs_cuts(g, L):
    """Split points of the v-line: 0, +-1, +-4 and, for gamma > 1, +-4^j/gamma below 1 where the
    sigmoid turns (poles at v = i pi/gamma); [-L, L] holds all but 10^-(dps + 10) of the mass."""
    pts = {0.0, 1.0, -1.0, 4.0, -4.0}
    c = 1 / g if g > 1 else L
    while c < 1:  # geometric grading towards the poles' scale 1/gamma
        pts |= {c, -c}
        c *= 4
    return [-L, *sorted(p for p in pts if -L < p < L), L]


def _cs_float_parts(g: float):
    """Float64 E(t) and dE/dt: Gauss--Legendre on the pieces of :func:`_cs_cuts`, 64 and 128
    nodes a piece (vectorised; the atoms' scipy implementations), checked against each other."""
    T1, T2 = Ramp1._numpy_impl, Ramp2._numpy_impl
    cuts = _cs_cuts(g, 12.0)
    rules = []
    for n in (64, 128):
        x, w = np.polynomial.legendre.leggauss(n)
        a, b = np.array(cuts[:-1])[:, None], np.array(cuts[1:])[:, None]
        v = ((b - a) / 2 * x + (a + b) / 2).ravel()
        wt = ((b - a) / 2 * w).ravel()
        base = 2 * wt * np.exp(-v * v / 2 - np.logaddexp(0.0, -g * v)) / math.sqrt(2 * math.pi)
        rules.append((v, base))

    def integral(f, t):
        vals = [float(np.sum(base * f(v, t))) for v, base in rules]
        if abs(vals[1] - vals[0]) > 1e-13 * max(1.0, abs(vals[1])):
            raise IntegrationError(f"candes_sur_h(gamma={g}): Gauss-Legendre with 64 and 128 "
                                   f"nodes a piece differ by {abs(vals[1] - vals[0]):.1e} at "
                                   f"t={t}")
        return vals[1]

    def E(t):
        return integral(lambda v, t: T2(-t * v), t)

    def dE(t):
        return integral(lambda v, t: 2 * v * T1(-t * v), t)

    return E, dE


def _cs_float(g: float) -> tuple:
    """(h, t*) in float64: brentq on dE/dt (E is convex in t, dE/dt(0) > 0 for gamma > 0)."""
    if g == 0:
        return 0.5, 0.0
    E, dE = _cs_float_parts(g)
    lo = -1.0
    while dE(lo) > 0:
        lo *= 2
        if lo < -1e8:
            raise IntegrationError(f"candes_sur_h(gamma={g}): no sign change of dE/dt above -1e8")
    t = optimize.brentq(dE, lo, 0.0, xtol=1e-15, rtol=1e-15)
    return E(t), t


def _cs_moments(t, g, order):
    """E(t) = E[(tYV - Z)_+^2] (order 0), dE/dt (1) or d2E/dt2 (2) at the working precision.

    Integrand 2 phi(v) sigmoid(gamma v) T_k(-t v) in closed form; the cancellation of T_2(u),
    T_1(u) for u > 0 costs at most 4 log10(1 + |t v|) digits (5 at |t v| = 11, beyond which
    phi(v) < 1e-40 for the t of interest): the caller's 10 guard digits cover it. The line is
    cut at +-L, phi(L) < 10^-dps, and integrated piecewise by Gauss--Legendre (analytic
    pieces; mpmath raises the degree until two degrees agree).
    """
    def base(v):
        return 2 * mpmath.npdf(v) / (1 + mpmath.exp(-g * v))

    if order == 0:
        def f(v):
            w = t * v
            return base(v) * ((1 + w * w) * mpmath.ncdf(w) + w * mpmath.npdf(w))
    elif order == 1:
        def f(v):
            w = t * v
            return base(v) * 2 * v * (w * mpmath.ncdf(w) + mpmath.npdf(w))
    else:
        def f(v):
            return base(v) * 2 * v * v * mpmath.ncdf(t * v)
    L = mpmath.sqrt(2 * mpmath.mp.dps * mpmath.log(10)) + 2
    return mpmath.quad(f, [mpmath.mpf(c) for c in _cs_cuts(float(g), float(L))],
                       method="gauss-legendre")


def _cs_h(g, want):
    """(h, t*) at want digits (working precision set by the caller, >= want + 10).

    Start: the float64 minimiser; then Newton on dE/dt with the curvature at 20 digits (each
    step multiplies the error by about its relative error, ~1e-15) until the step is below
    10^-(want/2 + 5): h is stationary in t, so its error is E'' dt^2 < 10^-(want + 9).
    """
    if g == 0:
        return mpmath.mpf(1) / 2, mpmath.mpf(0)
    _, t0 = _cs_float(float(g))
    t = mpmath.mpf(t0)
    with mpmath.workdps(20):
        d2 = _cs_moments(t, g, 2)
    tol = mpmath.mpf(10) ** (-(want // 2) - 5)
    for _ in range(20):
        step = _cs_moments(t, g, 1) / d2
        t -= step
        if abs(step) < tol:
            break
    else:
        raise IntegrationError(f"candes_sur_h(gamma={mpmath.nstr(g, 10)}): Newton on "
                               f"dE/dt did not converge (last step {mpmath.nstr(step, 3)})")
    return _cs_moments(t, g, 0), t


def candes_sur_h(gamma, *, dps: int | None = None):
    r"""Candès--Sur boundary :math:`h(\gamma) = \min_t\mathbb E[(tYV - Z)_+^2]` (module docstring).

    The logistic MLE (no intercept, Gaussian covariates, :math:`\gamma^2 =
    \operatorname{Var}(\mathbf x^\top\boldsymbol\beta)`) exists with probability tending to 1
    iff :math:`p/n < h(\gamma)` (Candès & Sur, arXiv:1804.09753v1, Theorem 1).

    Parameters
    ----------
    gamma : float or str
        Signal strength :math:`\gamma \ge 0`.
    dps : int, optional
        None: float64 (Gauss--Legendre, 64 vs 128 nodes a piece checked to 1e-13). An
        integer: mpf at ``dps`` digits.

    Returns
    -------
    float or mpmath.mpf
        :math:`h(\gamma)`; :math:`h(0) = 1/2`.

    Raises
    ------
    InputError
        If ``gamma`` is negative or not finite, or ``dps`` is out of range.
    IntegrationError
        If the Newton iteration on the t-derivative does not converge.

    Examples
    --------
    >>> round(candes_sur_h(1.0), 12)
    0.438939066884
    """
    want = _check_dps(dps)
    g = _read("gamma", gamma, "a finite signal strength >= 0")
    if g < 0:
        raise InputError("gamma", gamma, "a finite signal strength >= 0")
    if dps is None:
        return _cs_float(float(g))[0]
    with mpmath.workdps(want + 10):
        h, _ = _cs_h(g, want)
    return _out(h, dps)


def candes_sur_gamma(kappa, *, dps: int | None = None):
    r"""Inverse of :func:`candes_sur_h`: the signal strength :math:`\gamma` with
    :math:`h(\gamma) = \kappa`, the MLE-existence boundary at :math:`p/n = \kappa`.

    Parameters
    ----------
    kappa : float or str
        :math:`\kappa = p/n \in (0, 1/2)`.
    dps : int, optional
        None: float64 (Gauss--Legendre, 64 vs 128 nodes a piece checked to 1e-13). An
        integer: mpf at ``dps`` digits.

    Returns
    -------
    float or mpmath.mpf
        :math:`\gamma` (the MLE exists iff :math:`\gamma < \gamma(\kappa)` at this ratio).

    Raises
    ------
    InputError
        If ``kappa`` is not in (0, 1/2) or ``dps`` is out of range.

    Examples
    --------
    >>> round(candes_sur_gamma(0.438939066883848), 8)
    1.0
    """
    want = _check_dps(dps)
    k = _read("kappa", kappa, "a ratio p/n in (0, 1/2)")
    if not 0 < k < mpmath.mpf(1) / 2:
        raise InputError("kappa", kappa, "a ratio p/n in (0, 1/2)",
                         hint="h decreases from h(0) = 1/2 to 0")
    lo, hi = 0.0, 1.0
    while _cs_float(hi)[0] > float(k):  # h decreases: double until bracketed
        lo, hi = hi, 2 * hi
        if hi > 1e6:
            raise IntegrationError(f"candes_sur_gamma(kappa={kappa}): no bracket below 1e6")
    g0 = optimize.brentq(lambda x: _cs_float(x)[0] - float(k), lo, hi, xtol=1e-14, rtol=1e-14)
    if dps is None:
        return g0
    with mpmath.workdps(want + 10):
        g0 = mpmath.mpf(g0)
        g = mpmath.findroot(lambda x: _cs_h(x, want)[0] - k, (g0, g0 * (1 + mpmath.mpf(1e-9))),
                            solver="secant", tol=mpmath.mpf(10) ** (-2 * want - 4))
    return _out(g, dps)


# ---------------------------------------------------------------------------------------------
# Moniri--Hassani


def _exact(name, value, allowed) -> Fraction:
    if isinstance(value, bool):
        raise InputError(name, value, allowed)
    try:
        if isinstance(value, Fraction):
            return value
        if isinstance(value, sp.Rational):
            return Fraction(int(value.p), int(value.q))
        if isinstance(value, float):
            if not math.isfinite(value):
                raise InputError(name, value, allowed)
            return Fraction(repr(value))  # the decimal that was typed, not the binary double
        if isinstance(value, (int, Decimal)):
            return Fraction(value)
        if isinstance(value, str):
            return Fraction(value.strip())
    except (ValueError, ZeroDivisionError, ArithmeticError):
        raise InputError(name, value, allowed) from None
    raise InputError(name, value, allowed)


def moniri_hassani_outliers(alpha1, alpha2) -> int:
    r"""Number of outliers after two GD steps, :math:`\lfloor\alpha_2/(1/2 - \alpha_1)\rfloor`
    (Moniri & Hassani, arXiv:2605.17767, abstract), in exact rational arithmetic.

    Parameters
    ----------
    alpha1, alpha2 : str, int, fractions.Fraction, decimal.Decimal, sympy.Rational or float
        Step-size exponents :math:`\eta_i\asymp N^{\alpha_i}`, each in :math:`[0, 1/2)`. A
        float is read by its shortest decimal ``repr`` (``0.35`` is 35/100), never by its
        binary value.

    Returns
    -------
    int
        :math:`\lfloor\alpha_2/(1/2 - \alpha_1)\rfloor`.

    Raises
    ------
    InputError
        If ``alpha1`` or ``alpha2`` is not a number in :math:`[0, 1/2)`.

    Examples
    --------
    >>> moniri_hassani_outliers("0.35", "0.3")
    2
    """
    allowed = "an exponent in [0, 1/2) (a decimal string, int or rational)"
    a1, a2 = _exact("alpha1", alpha1, allowed), _exact("alpha2", alpha2, allowed)
    half = Fraction(1, 2)
    for name, v, raw in (("alpha1", a1, alpha1), ("alpha2", a2, alpha2)):
        if not 0 <= v < half:
            raise InputError(name, raw, allowed)
    return math.floor(a2 / (half - a1))
