r"""Random-features ridge regression: the closed form of Mei & Montanari.

Mei & Montanari, "The generalization error of random features regression: precise asymptotics
and double descent curve", arXiv:1908.05355v5 (CPAM 2022), Definition 1 and Theorem 1.

Setting (their notation): inputs :math:`x \sim \mathrm{Unif}(\mathbb S^{d-1}(\sqrt d))`,
features :math:`\sigma(\langle\theta_i, x\rangle/\sqrt d)`, :math:`i \le N`, target
:math:`y = \beta_0 + \langle\beta_1, x\rangle + f^{NL}(x) + \varepsilon` with
:math:`\|\beta_1\|^2 \to F_1^2`, :math:`\mathbb E f^{NL}(x)^2 \to F_\star^2`,
:math:`\mathbb E\varepsilon^2 = \tau^2` (parameter ``Delta`` :math:`= \Delta = \tau^2`, the label-noise
variance of :mod:`theory.conventions`); ridge
:math:`\min_a \frac1n\sum_i (y_i - \sum_j a_j\sigma_j(x_i))^2 + \frac{N\lambda}{d}\|a\|^2`;
:math:`\psi_1 = N/d`, :math:`\psi_2 = n/d`. With :math:`\mu_1, \mu_\star` the Hermite
coefficients of :math:`\sigma` (:mod:`theory.conventions`), :math:`\zeta = \mu_1/\mu_\star`,
:math:`\bar\lambda = \lambda/\mu_\star^2`, the functions :math:`\nu_{1,2}` solve (Definition 1)

.. math:: \nu_1 = \psi_1\Bigl(-\xi - \nu_2 - \frac{\zeta^2\nu_2}{1 - \zeta^2\nu_1\nu_2}\Bigr)^{-1},
          \quad
          \nu_2 = \psi_2\Bigl(-\xi - \nu_1 - \frac{\zeta^2\nu_1}{1 - \zeta^2\nu_1\nu_2}\Bigr)^{-1}

at :math:`\xi = i\sqrt{\psi_1\psi_2\bar\lambda}`, where they are purely imaginary,
:math:`\nu_k = i a_k` with :math:`a_k > 0` -- the two real order parameters solved here. Then
:math:`\chi = \nu_1\nu_2 = -a_1a_2`, the polynomials :math:`\mathscr E_0, \mathscr E_1,
\mathscr E_2` of Definition 1 give :math:`\mathscr B = \mathscr E_1/\mathscr E_0`,
:math:`\mathscr V = \mathscr E_2/\mathscr E_0` and the test error (Theorem 1)

.. math:: R = F_1^2\,\mathscr B + (\Delta + F_\star^2)\,\mathscr V + F_\star^2 ,

the error on a fresh input against the noiseless target (observable ``test_error``; the
simulator's ``test_error`` is the same quantity).

The constant :math:`\mu_0` of the activation does not enter (Theorem 1).

How it is solved (see the derivation above :func:`_p_of_t`): the two equations of Definition 1
reduce exactly to ONE monotone scalar equation, :math:`(\psi_1 - t)(\psi_2 - t) = s^2 P(t)` with
:math:`P = -\chi`, solved by a safeguarded Newton step in an unknown that keeps relative accuracy
as :math:`\lambda \to 0` (:math:`a_{\min}`) or :math:`\lambda \to \infty` (:math:`t`);
:math:`\mathscr E_0, \mathscr E_1, \mathscr E_2` are evaluated in forms with positive terms only
(no cancellation at the interpolation peak :math:`\psi_1 = \psi_2`). ``lam = 0`` is the
ridgeless limit (the min-norm interpolator), derived here from Definition 1 by
:math:`\lambda \to 0`; at :math:`\psi_1 = \psi_2` it is :math:`+\infty` (said in the message).
Every observable carries an error bound (``SolveResult.observable_errors``: float64 against the
same computation in extended precision, plus the propagated error of :math:`\mu_1, \mu_\star`);
a point whose bound exceeds ``tol`` is recomputed with mpmath at 30 digits. The SymPy system below
(iteration of Definition 1 in :math:`a_1, a_2`) is kept for the LaTeX export and the replica twin.

The same curve from the generic replica equations with a Marchenko--Pastur spectrum is the model
``rf_convex`` with ``loss=square, teacher=linear`` under the exact correspondence
(:data:`theory.conventions.RF_CORRESPONDENCE`, shown by ``theory models``;
:meth:`RFRidge.replica_equivalent`):

* :math:`\alpha = n/p = \psi_2/\psi_1`, :math:`\gamma = d/p = 1/\psi_1`;
* :math:`\lambda_{\rm rf\_convex} = \psi_2\lambda` (their :math:`\sum_\mu \frac12(y - \hat y)^2
  + \frac\lambda2\|w\|^2` is :math:`n/2` times :math:`\frac1n\sum_\mu(y - \hat y)^2
  + \frac{N\lambda}{d}\|a\|^2` at :math:`a = w/\sqrt N`);
* :math:`\rho = F_1^2`; :math:`\Delta_{\rm rf\_convex} = \Delta + F_\star^2` (the nonlinear
  part of the target is noise to features that cannot fit it);
* :math:`\kappa_1 = \mu_1`, :math:`\kappa_\star = \mu_\star` (the same activation);
* ``test_error`` here :math:`=` ``test_error`` of ``rf_convex`` :math:`+ F_\star^2`.

tests/test_conventions.py checks the two agree to 1e-10 on a grid under this map.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from ..conventions import RF_CORRESPONDENCE, rf_ridge_to_rf_convex
from ..errors import InputError
from ..numeric.activation_constants import (activation_constant_errors, activation_constants,
                                            activation_constants_mp)
from ..numeric.solvers import bracketed_newton
from ..references import REFERENCES
from ..symbolic.system import Constraint, SaddlePointSystem
from .base import (Model, SolveResult, activation_check, make_params, nonnegative, param,
                   register, validate, validate_varied)

psi1, psi2, lam, mu1, mustar, F1, Fstar = sp.symbols(
    "psi_1 psi_2 lambda mu_1 mu_star F_1 F_star", positive=True)
Delta = sp.Symbol("Delta", nonnegative=True)
a1, a2 = sp.symbols("a_1 a_2", positive=True)
zeta, lbar, s, chi = sp.symbols("zeta lambdabar s chi", real=True)
E0, E1, E2, B, V = sp.symbols(r"\mathcal{E}_0 \mathcal{E}_1 \mathcal{E}_2 \mathcal{B} \mathcal{V}",
                              real=True)


def mm_system() -> SaddlePointSystem:
    r"""Definition 1 of Mei & Montanari (arXiv:1908.05355v5) as a saddle-point system.

    Returns
    -------
    SaddlePointSystem
        State ``a_1``, ``a_2`` (:math:`\nu_k = i a_k` at :math:`\xi = is`); parameters
        :math:`\psi_1, \psi_2, \lambda, \mu_1, \mu_\star, F_1, F_\star, \Delta`; observables
        ``test_error`` (Theorem 1), ``bias`` :math:`\mathscr B`, ``variance`` :math:`\mathscr V`.
    """
    steps = [
        (zeta, mu1 / mustar),
        (lbar, lam / mustar**2),
        (s, sp.sqrt(psi1 * psi2 * lbar)),
        (chi, -a1 * a2),
        (E0, -chi**5 * zeta**6 + 3 * chi**4 * zeta**4
         + (psi1 * psi2 - psi2 - psi1 + 1) * chi**3 * zeta**6 - 2 * chi**3 * zeta**4
         - 3 * chi**3 * zeta**2 + (psi1 + psi2 - 3 * psi1 * psi2 + 1) * chi**2 * zeta**4
         + 2 * chi**2 * zeta**2 + chi**2 + 3 * psi1 * psi2 * chi * zeta**2 - psi1 * psi2),
        (E1, psi2 * chi**3 * zeta**4 - psi2 * chi**2 * zeta**2 + psi1 * psi2 * chi * zeta**2
         - psi1 * psi2),
        (E2, chi**5 * zeta**6 - 3 * chi**4 * zeta**4 + (psi1 - 1) * chi**3 * zeta**6
         + 2 * chi**3 * zeta**4 + 3 * chi**3 * zeta**2 + (-psi1 - 1) * chi**2 * zeta**4
         - 2 * chi**2 * zeta**2 - chi**2),
        (B, E1 / E0),
        (V, E2 / E0),
    ]
    updates = {
        a1: psi1 / (s + a2 + zeta**2 * a2 / (1 + zeta**2 * a1 * a2)),
        a2: psi2 / (s + a1 + zeta**2 * a1 / (1 + zeta**2 * a1 * a2)),
    }
    observables = {
        "test_error": F1**2 * B + (Delta + Fstar**2) * V + Fstar**2,
        "bias": B,
        "variance": V,
    }
    constraints = [Constraint(a1, r"Im nu_1 > 0"), Constraint(a2, r"Im nu_2 > 0"),
                   Constraint(B, "bias >= 0", strict=False),
                   Constraint(V, "variance >= 0", strict=False)]
    return SaddlePointSystem(
        name="rf_ridge", state=(a1, a2),
        parameters=(psi1, psi2, lam, mu1, mustar, F1, Fstar, Delta), steps=steps,
        updates=updates, observables=observables, constraints=constraints,
        sections={zeta: r"Mei--Montanari, Definition 1, at $\xi = i s$, $\nu_k = i a_k$:",
                  "updates": r"fixed point ($\nu_{1,2}$ of Definition 1):"},
        reference=REFERENCES["meimontanari2019"].cite("Definition 1, Theorem 1"),
        latex_names={mustar: r"\mu_\star", Fstar: r"F_\star", lbar: r"\bar\lambda"})


_SYSTEM = None


def _system():
    global _SYSTEM
    if _SYSTEM is None:
        _SYSTEM = mm_system()
    return _SYSTEM


@dataclass(frozen=True, kw_only=True)
class RFRidgeParams:
    r"""Validated parameters of :class:`RFRidge` (keyword-only, frozen).

    Attributes
    ----------
    psi1 : float, default 2.0
        :math:`\psi_1 = N/d`: features per input dimension (> 0).
    psi2 : float, default 1.5
        :math:`\psi_2 = n/d`: samples per input dimension (> 0).
    lam : float, default 1e-3
        :math:`\lambda`: ridge penalty as in the paper, :math:`(N\lambda/d)\|a\|^2` (>= 0; 0 is
        the ridgeless limit, the min-norm interpolator).
    activation : str, default "relu"
        :math:`\sigma`: registry name or expression in x.
    F1 : float, default 1.0
        :math:`F_1`: norm of the linear part of the target (>= 0).
    Fstar : float, default 0.0
        :math:`F_\star`: norm of the nonlinear part of the target (>= 0).
    Delta : float, default 0.0
        :math:`\Delta`: label-noise variance (:math:`\tau^2` in the paper, >= 0).
    """
    psi1: float = param(2.0, "ψ₁ = N/d: features per input dimension")
    psi2: float = param(1.5, "ψ₂ = n/d: samples per input dimension")
    lam: float = param(1e-3, "λ: ridge penalty as in the paper, (Nλ/d)‖a‖² (0 is "
                       "the ridgeless limit, the min-norm interpolator)", nonnegative)
    activation: str = param("relu", "σ: activation (registry name or expression in x)",
                            activation_check)
    F1: float = param(1.0, "F₁: norm of the linear part of the target", nonnegative)
    Fstar: float = param(0.0, "F⋆: norm of the nonlinear part of the target", nonnegative)
    Delta: float = param(0.0, "Δ: label-noise variance (τ² in the paper)",
                         nonnegative)

    def __post_init__(self):
        validate(self)


# ---------------------------------------------------------------- the scalar reduction
# Derivation (followed in the code below; the tests check each identity against Definition 1
# solved directly at 30+ digits). With xi = i s, nu_k = i a_k, Definition 1 reads
#     a_1 (s + a_2 + Z a_2/(1 + Z a_1 a_2)) = psi_1,   a_2 (s + a_1 + Z a_1/(1 + Z a_1 a_2)) = psi_2,
# Z = zeta^2. With P = a_1 a_2 = -chi and t(P) = P + Z P/(1 + Z P) both equations say
#     u_k := s a_k = psi_k - t(P)    (k = 1, 2),
# and P = a_1 a_2 closes them into ONE scalar equation for t (or P):
#     (psi_1 - t)(psi_2 - t) = s^2 P(t),
# P(t) the positive root of Z P^2 + (1 + Z - Z t) P - t = 0 (t(P) is increasing). On
# 0 < t < psi = min(psi_1, psi_2) (u_k > 0 is the branch Im nu_k > 0 of Definition 1) the left
# side decreases from psi_1 psi_2 to 0 and the right side increases from 0: one root, no
# spurious branch. Substituting chi = -P, psi_k = t + u_k in the polynomials of Definition 1
# (SymPy, checked in the tests) gives forms with positive terms only (q = 1 + Z P):
#     -E_0 = q [P (q^2 + Z)(u_1 + u_2) + q^2 u_1 u_2],
#     -E_1 = psi_2 q (psi_1 + Z P^2),
#     -E_2 = P^2 [q^3 + Z q^2 + Z^2 u_1 q + Z (1 + Z + Z P)],
# so B = E_1/E_0 and V = E_2/E_0 are evaluated without cancellation: their relative rounding
# error is a few ulps once P, u_1, u_2 are (E_0 in the monomial form of Definition 1 is a sum of
# O(1) terms cancelling down to O(s) at psi_1 = psi_2: 1e-4 lost at lambda = 1e-15).
# The unknown is chosen so that it carries relative accuracy: t when t <= psi/2 (large lambda),
# else w = (psi - t)/s = a_min, from w^2 + (|psi_1 - psi_2|/s) w = P(psi - s w) (the same
# equation divided by s^2), which stays well conditioned as s -> 0.
# Ridgeless limit lambda -> 0 (s -> 0): u_1 u_2 = s^2 P -> 0 gives t -> psi, u_min -> 0,
# u_max -> |psi_1 - psi_2|, P -> P(psi), i.e. in closed form
#     chi_0 = -P(psi) = -[(psi Z - Z - 1) + sqrt((psi Z - Z - 1)^2 + 4 Z psi)]/(2 Z),
# and B, V are the positive forms at (P(psi), 0, |psi_1 - psi_2|) (u_1 = 0 when psi_1 < psi_2,
# where V reduces to psi_1/(psi_2 - psi_1), the least-squares variance N/(n - N)). B and V stay
# finite iff psi_1 != psi_2. At
# psi_1 = psi_2, E_0 -> 0 like s while E_1, E_2 do not: B, V -> +inf (the interpolation peak of
# the min-norm interpolator).

_EXTENDED = np.finfo(np.longdouble).eps < 1e-18  # x87 80-bit or IEEE quad long double


def _p_of_t(t, Z):
    """(P(t), dP/dt) for arrays: the positive root of Z P^2 + (1 + Z - Z t) P - t = 0."""
    b = 1 + Z * (1 - t)
    disc = np.sqrt(b * b + 4 * Z * t)
    with np.errstate(divide="ignore", invalid="ignore"):
        P = np.where(b >= 0, 2 * t / (b + disc), (disc - b) / (2 * Z))
    return P, (1 + Z * P) / disc


def _bias_variance(P, u1, u2, psi1, psi2, Z):
    """B = E_1/E_0, V = E_2/E_0 of Definition 1 in the positive forms above (arrays or mpf)."""
    q = 1 + Z * P
    e0 = q * (P * (q * q + Z) * (u1 + u2) + q * q * (u1 * u2))
    e1 = psi2 * q * (psi1 + Z * P * P)
    e2 = P * P * (q * q * q + Z * q * q + Z * Z * u1 * q + Z * (1 + Z + Z * P))
    return e1, e2, e0


def _risk(B, V, F1, Fs, Dl):
    """R = F_1^2 B + (Delta + F_star^2) V + F_star^2 (a zero weight times an infinite B or V
    is 0: with a zero target part the estimator's response to it is zero)."""
    wB, wV = F1 * F1, Dl + Fs * Fs
    with np.errstate(invalid="ignore"):
        return np.where(wB == 0, 0, wB * B) + np.where(wV == 0, 0, wV * V) + Fs * Fs


def _solve_state(psi1, psi2, lam, mu1, mustar, dtype=np.float64):
    """Definition 1 at arrays of parameters, by the scalar reduction above.

    Returns a dict of arrays: ``P`` (= -chi), ``u1``, ``u2`` (= s a_k), ``a1``, ``a2`` (= Im nu_k,
    +inf for the larger one at lambda = 0), ``s``, ``Z``, ``residual`` (relative residual of the
    scalar equation) and ``iterations``."""
    p1, p2, la, m1, ms = (np.atleast_1d(np.asarray(v, dtype=dtype)) for v in
                          np.broadcast_arrays(psi1, psi2, lam, mu1, mustar))
    eps = np.finfo(dtype).eps
    Z = (m1 / ms) ** 2
    s = np.sqrt(p1 * p2) * np.sqrt(la) / ms
    psi, delta = np.minimum(p1, p2), np.abs(p1 - p2)
    with np.errstate(over="ignore"):
        s2 = s * s
    T = psi / 2
    tb = (p1 - T) * (p2 - T) <= s2 * _p_of_t(T, Z)[0]  # the root t lies in (0, psi/2]
    wb = ~tb & (s > 0)
    t = psi.copy()  # s = 0: t = psi exactly (the ridgeless limit)
    w = np.where(delta > 0, 0, np.sqrt(_p_of_t(psi, Z)[0]))
    res = np.zeros_like(p1)
    iters = 0
    if np.any(tb):  # g(t) = s^2 P(t) - (psi_1 - t)(psi_2 - t), increasing on (0, psi/2]
        q1, q2, z, ss, hi = p1[tb], p2[tb], Z[tb], s2[tb], T[tb]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            Pg = q1 * q2 / ss
            t0 = np.minimum(Pg * (1 + z + z * Pg) / (1 + z * Pg), hi)
        t0 = np.where(np.isfinite(t0) & (t0 > 0), t0, hi)

        def g(x):
            P, dP = _p_of_t(x, z)
            return ss * P - (q1 - x) * (q2 - x), ss * dP + (q1 - x) + (q2 - x)

        tt, iters = bracketed_newton(g, np.zeros_like(q1), hi, t0, eps)
        t[tb] = tt
        P = _p_of_t(tt, z)[0]
        lhs, rhs = (q1 - tt) * (q2 - tt), ss * P
        res[tb] = np.abs(lhs - rhs) / (lhs + rhs)
    if np.any(wb):  # h(w) = w^2 + D w - P(psi - s w), increasing; w = a_min = (psi - t)/s
        y, z, sw, D = psi[wb], Z[wb], s[wb], delta[wb] / s[wb]
        Py = _p_of_t(y, z)[0]
        w0 = 2 * Py / (D + np.hypot(D, 2 * np.sqrt(Py)))  # root with P(psi): an upper bound
        P1 = _p_of_t(np.maximum(y - sw * w0, y / 2), z)[0]
        w1 = np.minimum(2 * P1 / (D + np.hypot(D, 2 * np.sqrt(P1))), w0)  # a lower bound

        def h(x):
            P, dP = _p_of_t(y - sw * x, z)
            return x * x + D * x - P, 2 * x + D + sw * dP

        ww, it = bracketed_newton(h, w1, w0, w0, eps)
        iters = max(iters, it)
        w[wb] = ww
        t[wb] = y - sw * ww
        hv = h(ww)[0]
        res[wb] = np.abs(hv) / (ww * ww + D * ww + _p_of_t(t[wb], z)[0])
    P = _p_of_t(t, Z)[0]
    v = np.where(tb, psi - t, np.where(s > 0, s * w, 0))
    umax = np.where(tb, np.maximum(p1, p2) - t, v + delta)
    low = p1 <= p2
    with np.errstate(divide="ignore", invalid="ignore"):
        amin = np.where(tb, v / s, w)
        amax = np.where(s > 0, umax / s, np.where(delta > 0, np.inf, w))
    return {"P": P, "u1": np.where(low, v, umax), "u2": np.where(low, umax, v), "s": s, "Z": Z,
            "a1": np.where(low, amin, amax), "a2": np.where(low, amax, amin),
            "residual": res, "iterations": iters}


def _evaluate(psi1, psi2, lam, mu1, mustar, F1, Fs, Dl, dtype=np.float64):
    """State and observables (bias, variance, test_error) at arrays of parameters."""
    st = _solve_state(psi1, psi2, lam, mu1, mustar, dtype)
    p1, p2, f1, fs, dl = (np.asarray(v, dtype=dtype) for v in
                          np.broadcast_arrays(psi1, psi2, F1, Fs, Dl))
    e1, e2, e0 = _bias_variance(st["P"], st["u1"], st["u2"], p1, p2, st["Z"])
    with np.errstate(divide="ignore", invalid="ignore"):
        B, V = e1 / e0, e2 / e0
    obs = {"test_error": _risk(B, V, f1, fs, dl), "bias": B, "variance": V}
    return st, obs


# ---------------------------------------------------------------- the same at mpmath precision
def _to_mpf(v):
    """An exact input (str decimal, Fraction, int, mpf, float) as an mpf at the working
    precision: ``"0.3"`` is the decimal 0.3, not the float 0.2999..."""
    if isinstance(v, mpmath.mpf):
        return +v
    if isinstance(v, Fraction):
        return mpmath.mpf(v.numerator) / v.denominator
    if isinstance(v, str):
        return mpmath.mpf(v.strip())
    return mpmath.mpf(v)


def _p_of_t_mp(t, Z):
    b = 1 + Z * (1 - t)
    disc = mpmath.sqrt(b * b + 4 * Z * t)
    P = 2 * t / (b + disc) if b >= 0 else (disc - b) / (2 * Z)
    return P, (1 + Z * P) / disc


def _newton_mp(fun, lo, hi, x, eps, max_iter=400):
    for it in range(1, max_iter + 1):
        g, dg = fun(x)
        if g <= 0:
            lo = max(lo, x)
        if g >= 0:
            hi = min(hi, x)
        xn = x - g / dg if dg else hi
        if not (lo <= xn <= hi):
            xn = mpmath.sqrt(lo * hi) if lo > 0 else (lo + hi) / 2
        if g == 0 or abs(xn - x) <= 4 * eps * abs(x) or hi - lo <= 4 * eps * hi:
            return xn, it
        x = xn
    return x, max_iter


def _evaluate_mp(psi1, psi2, lam, mu1, mustar, F1, Fs, Dl):
    """:func:`_evaluate` for one point at the current mpmath precision (inputs made exact by
    :func:`_to_mpf`). Returns (state, observables, residual, iterations)."""
    p1, p2, la, m1, ms, f1, fs, dl = (_to_mpf(v) for v in
                                      (psi1, psi2, lam, mu1, mustar, F1, Fs, Dl))
    eps = mpmath.eps
    Z = (m1 / ms) ** 2
    s = mpmath.sqrt(p1 * p2 * la) / ms
    psi, delta = min(p1, p2), abs(p1 - p2)
    T = psi / 2
    res, its = mpmath.mpf(0), 0
    if s > 0 and (p1 - T) * (p2 - T) <= s * s * _p_of_t_mp(T, Z)[0]:
        def g(x):
            P, dP = _p_of_t_mp(x, Z)
            return s * s * P - (p1 - x) * (p2 - x), s * s * dP + (p1 - x) + (p2 - x)

        Pg = p1 * p2 / (s * s)
        t, its = _newton_mp(g, mpmath.mpf(0), T, min(Pg * (1 + Z + Z * Pg) / (1 + Z * Pg), T),
                            eps)
        P = _p_of_t_mp(t, Z)[0]
        lhs, rhs = (p1 - t) * (p2 - t), s * s * P
        res = abs(lhs - rhs) / (lhs + rhs)
        v, umax = psi - t, max(p1, p2) - t
        amin, amax = v / s, umax / s
    elif s > 0:
        D = delta / s
        Py = _p_of_t_mp(psi, Z)[0]
        w0 = 2 * Py / (D + mpmath.sqrt(D * D + 4 * Py))
        P1 = _p_of_t_mp(max(psi - s * w0, T), Z)[0]
        w1 = min(2 * P1 / (D + mpmath.sqrt(D * D + 4 * P1)), w0)

        def h(x):
            P, dP = _p_of_t_mp(psi - s * x, Z)
            return x * x + D * x - P, 2 * x + D + s * dP

        w, its = _newton_mp(h, w1, w0, w0, eps)
        t = psi - s * w
        P = _p_of_t_mp(t, Z)[0]
        res = abs(h(w)[0]) / (w * w + D * w + P)
        v = s * w
        umax = v + delta
        amin, amax = w, umax / s
    else:  # lambda = 0: the ridgeless limit
        P = _p_of_t_mp(psi, Z)[0]
        v, umax = mpmath.mpf(0), delta
        amin = mpmath.mpf(0) if delta > 0 else mpmath.sqrt(P)
        amax = mpmath.inf if delta > 0 else amin
    u1, u2, a1, a2 = (v, umax, amin, amax) if p1 <= p2 else (umax, v, amax, amin)
    e1, e2, e0 = _bias_variance(P, u1, u2, p1, p2, Z)
    B, V = (e1 / e0, e2 / e0) if e0 != 0 else (mpmath.inf, mpmath.inf)
    wB, wV = f1 * f1, dl + fs * fs
    R = (wB * B if wB else 0) + (wV * V if wV else 0) + fs * fs
    return ({"a_1": a1, "a_2": a2, "chi": -P}, {"test_error": R, "bias": B, "variance": V},
            res, its)


# ---------------------------------------------------------------- accuracy of the observables
_U = float(np.finfo(float).eps) / 2
def _float_errors(args, obs, dmu1, dmus):
    """Absolute error bounds of the float64 observables ``obs`` at ``args``.

    The same computation in extended precision (long double, 64-bit significand; mpmath at
    30 digits where long double is plain double) measures the rounding error of the float64
    one (the difference, doubled: the extended value's own error is 2^-11 times smaller); the
    error of the float64 activation constants is propagated through the derivative of each
    observable in mu_1 and mu_star (finite difference in extended precision); plus 2 ulps for
    the final rounding (and 2^-1074 for underflow)."""
    psi1, psi2, lam, mu1, mus, F1, Fs, Dl = args
    n = obs["test_error"].shape[0]
    if _EXTENDED:
        hstep = 2.0**-20
        # the three extended-precision solves (at mu, mu_1 + h mu_star, mu_star (1 + h)) as ONE
        # batched solve of 3n points: rows [0, n) the reference, [n, 2n) and [2n, 3n) the steps
        m1, ms = (np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in (mu1, mus))
        big = [np.tile(np.broadcast_to(np.asarray(a, dtype=float), (n,)), 3)
               for a in (psi1, psi2, lam, F1, Fs, Dl)]
        m1s = np.concatenate((m1, m1 + hstep * ms, m1))
        mss = np.concatenate((ms, ms, ms * (1 + hstep)))
        _, allo = _evaluate(*big[:3], m1s, mss, *big[3:], dtype=np.longdouble)
        ref, o1, o2 = ({k: v[j * n:(j + 1) * n] for k, v in allo.items()} for j in range(3))
    else:  # platforms whose long double is double (tested by monkeypatching _EXTENDED)
        hstep = 1e-12
        cols = [np.broadcast_to(np.asarray(a, dtype=object), (n,)) for a in args]
        with mpmath.workdps(30):
            def mp_eval(k, m1, ms):
                v = [c[k] for c in cols]
                return _evaluate_mp(*v[:3], m1, ms, *v[5:])[1]
            m1s = [mpmath.mpf(cols[3][k]) for k in range(n)]
            mss = [mpmath.mpf(cols[4][k]) for k in range(n)]
            rows = [(mp_eval(k, m1s[k], mss[k]), mp_eval(k, m1s[k] + hstep * mss[k], mss[k]),
                     mp_eval(k, m1s[k], mss[k] * (1 + mpmath.mpf(hstep)))) for k in range(n)]
        ref, o1, o2 = ({key: np.array([float(r[j][key]) for r in rows]) for key in obs}
                       for j in range(3))
    errs = {}
    for key, o in obs.items():
        with np.errstate(invalid="ignore"):
            r = np.asarray(ref[key], dtype=np.longdouble)
            d = (2 * np.abs(o - r) + np.abs(o1[key] - r) / (hstep * mus) * dmu1
                 + np.abs(o2[key] - r) / (hstep * mus) * dmus)
            # + the rounding of the float64 result (2^-1074 covers a value that underflows)
            e = np.asarray(d, dtype=float) + 2 * _U * np.abs(o) + 2.0**-1074
        errs[key] = np.where(np.isfinite(o), e, 0.0)
    return errs


def _mp_point(vals: dict, activation: str, dps: int):
    """One point at ``dps`` digits: solved at dps + 10 and dps + 20 digits (mu_1, mu_star at
    dps + 25 from the Hermite mpmath path); the difference, doubled, plus the rounding of the
    returned dps-digit numbers, is the error bound. Returns (state, obs, errors, residual,
    iterations) with mpf values at dps digits and float errors."""
    with mpmath.workdps(dps + 25):
        _, m1, ms = activation_constants_mp(activation, dps + 25)
        m1, ms = +m1, +ms
    out = []
    for extra in (10, 20):
        with mpmath.workdps(dps + extra):
            out.append(_evaluate_mp(vals["psi1"], vals["psi2"], vals["lam"], m1, ms,
                                    vals["F1"], vals["Fstar"], vals["Delta"]))
    (_, coarse, _, _), (st, fine, res, its) = out
    errs = {}
    with mpmath.workdps(dps + 20):
        for k, v in fine.items():
            if mpmath.isinf(v):
                errs[k] = 0.0
                continue
            # doubled difference of the two precisions + mu_1, mu_star (dps + 25 digits,
            # propagated with a generous factor) + the rounding to dps digits
            errs[k] = float(2 * abs(coarse[k] - v) + abs(v) * mpmath.mpf(10) ** (-dps - 18)
                            + abs(v) * mpmath.mpf(2) ** (1 - mpmath.libmp.dps_to_prec(dps)))
    with mpmath.workdps(dps):
        st = {k: +v for k, v in st.items()}
        obs = {k: +v for k, v in fine.items()}
    return st, obs, errs, res, its


@register
class RFRidge(Model):
    r"""Random-features ridge regression: Mei & Montanari's closed form (``theory solve rf_ridge``).

    Definition 1 and Theorem 1 of arXiv:1908.05355v5 (module docstring), solved through its
    scalar reduction with error bounds (:meth:`solve_direct`); the exact correspondence with
    ``rf_convex`` (square loss, linear teacher) is :meth:`replica_equivalent`.

    Examples
    --------
    >>> from theory import solve
    >>> r = solve("rf_ridge", psi1=2.0, psi2=1.5, lam=1e-3)
    >>> r.converged
    True
    """
    name = "rf_ridge"
    title = "random-features ridge regression (Mei-Montanari closed form)"
    reference = REFERENCES["meimontanari2019"].cite("Definition 1, Theorem 1")
    Params = RFRidgeParams
    hint = ("the scalar equation of Definition 1 has one root for lam >= 0; check mu_star > 0 "
            "and the parameters")
    #: what each observable is (shown by ``theory models``)
    observable_docs = {
        "test_error": "R = E(f(x) - yhat(x))^2 on a fresh input against the noiseless target "
                      "(Theorem 1: F1^2 B + (Delta + Fstar^2) V + Fstar^2); the simulator's "
                      "test_error",
        "bias": "B = E_1/E_0 (Definition 1)",
        "variance": "V = E_2/E_0 (Definition 1)",
    }

    #: the exact map to ``rf_convex`` (shown by ``theory models``)
    correspondence = RF_CORRESPONDENCE
    #: old parameter names (removed; the CLI names the new one)
    renamed_parameters = {"tau": "Delta = tau^2, the label-noise variance (not the standard "
                                 "deviation)"}


    def system(self, p):
        r"""The saddle-point system of Definition 1 (:func:`mm_system`, built once).

        Parameters
        ----------
        p : RFRidgeParams
            Validated parameters (the system does not depend on them).

        Returns
        -------
        SaddlePointSystem
            State ``a_1``, ``a_2``.
        """
        return _system()

    def _constants(self, p):
        _, m1, ms = activation_constants(p.activation)
        if ms <= 0:
            raise InputError("activation", p.activation, "an activation with mu_star > 0 "
                             "(a nonlinear part)", hint="for a linear activation use "
                             "rf_convex (the closed form divides by mu_star)")
        return m1, ms

    def values(self, p):
        r"""Numbers for the system's parameter symbols, :math:`\mu_1, \mu_\star` from the activation.

        Parameters
        ----------
        p : RFRidgeParams
            Validated parameters.

        Returns
        -------
        dict {str: float}
            ``psi_1``, ``psi_2``, ``lambda``, ``mu_1``, ``mu_star``, ``F_1``, ``F_star``, ``Delta``.

        Raises
        ------
        InputError
            An activation with :math:`\mu_\star = 0` (linear: the closed form divides by it).
        """
        m1, ms = self._constants(p)
        return {"psi_1": float(p.psi1), "psi_2": float(p.psi2), "lambda": float(p.lam),
                "mu_1": m1, "mu_star": ms, "F_1": float(p.F1), "F_star": float(p.Fstar),
                "Delta": float(p.Delta)}

    def values_mp(self, p, dps):
        r""":meth:`values` with mu_1, mu_star at ``dps`` digits (for the mpmath polish).

        Parameters
        ----------
        p : RFRidgeParams
            Validated parameters.
        dps : int
            Decimal digits of :math:`\mu_1, \mu_\star`.

        Returns
        -------
        dict {str: float or mpmath.mpf}
            As :meth:`values`, ``mu_1`` and ``mu_star`` as mpf.
        """
        _, m1, ms = activation_constants_mp(p.activation, dps)
        return {**self.values(p), "mu_1": m1, "mu_star": ms}

    def starts(self, p):
        r"""One positive start below both bounds :math:`a_k \le \psi_k/s` and
        :math:`a_k \le \sqrt{\psi_k/\bar\lambda}`.

        Parameters
        ----------
        p : RFRidgeParams
            Validated parameters.

        Returns
        -------
        list of dict {str: float}
            ``[{"a_1": ..., "a_2": ...}]``.
        """
        # a_k(s) ~ psi_k / s for large s, and bounded by sqrt(psi_k / lambdabar) (no
        # interaction): a positive start below both
        _, ms = self._constants(p)
        lb = float(p.lam) / ms**2
        sc = np.sqrt(float(p.psi1) * float(p.psi2) * lb)
        return [{"a_1": float(p.psi1) / (sc + 1.0), "a_2": float(p.psi2) / (sc + 1.0)}]

    # ------------------------------------------------------------------ direct solve
    def solve_direct(self, p, *, tol: float = 1e-10, dps: int | None = None,
                     exact: dict | None = None) -> SolveResult:
        r"""Solve Definition 1 through its scalar reduction and report every observable with an
        error bound (``observable_errors``).

        Parameters
        ----------
        p : RFRidgeParams
            Validated parameters.
        tol : float, default 1e-10
            Residual tolerance; an observable whose float64 error bound exceeds ``tol``
            (relative) is recomputed with mpmath at 30 digits ("polished") automatically.
        dps : int or None, optional
            None for float64, else the mpmath digits of every returned number.
        exact : dict or None, optional
            Exact values of the parameters (decimal strings, Fractions, mpf) used on the mpmath
            path instead of the float fields of ``p`` (``psi1 = "0.3"`` is 0.3).

        Returns
        -------
        SolveResult
            State ``a_1``, ``a_2``, ``chi``; observables ``test_error``, ``bias``, ``variance``
            with their error bounds.

        Raises
        ------
        InputError
            An activation with :math:`\mu_\star = 0`.

        Notes
        -----
        lam = 0 is the ridgeless limit (the min-norm interpolator); at psi1 = psi2 with lam = 0
        the bias, variance and test error are +inf (said in the message), not a number.
        """
        self._constants(p)
        if dps is not None:
            return self._solve_mp(p, tol, dps, exact or {})
        return self._solve_points([p], tol)[0]

    def _solve_mp(self, p, tol, dps, exact):
        vals = {f.name: exact.get(f.name, getattr(p, f.name)) for f in dataclasses.fields(p)
                if f.name != "activation"}
        st, obs, errs, res, its = _mp_point(vals, p.activation, dps)
        need = mpmath.mpf(10) ** (-dps)
        ok = res <= need
        with mpmath.workdps(dps):
            rel = max((e / abs(obs[k]) for k, e in errs.items()
                       if obs[k] != 0 and not mpmath.isinf(obs[k])), default=0.0)
        msg = (f"converged at {dps} digits: scalar equation of Definition 1, residual "
               f"{mpmath.nstr(res, 3)}; observables to relative {float(rel):.1g}")
        msg += _divergence_note(obs, p.psi1)
        if not ok:
            msg = (f"mpmath solve reached residual {mpmath.nstr(res, 3)} > 1e-{dps} "
                   f"(the scalar equation of Definition 1)")
        r = SolveResult(self.name, _fields(p), st, obs, bool(ok), its, res, tol, msg,
                        "scalar-newton-mpmath", dps=dps)
        r.observable_errors = errs
        return r

    def _solve_points(self, ps, tol):
        """Float64 solve of a list of parameter points, vectorised over the points of each
        activation."""
        acts = list(dict.fromkeys(p.activation for p in ps))
        if len(acts) > 1:
            return [pt for p in ps for pt in self._solve_points([p], tol)]
        cols = {k: np.array([float(getattr(p, k)) for p in ps]) for k in _NUMERIC}
        return self._solve_columns(acts[0], cols, [_fields(p) for p in ps], tol)

    def _solve_columns(self, act, cols, fields, tol):
        """The vectorised float64 solve at the parameter columns ``cols`` (name -> array of
        shape (n,), the fields of :class:`RFRidgeParams` but ``activation``), one activation;
        ``fields`` are the n points' parameter dicts (``SolveResult.params``). Every point gets
        its error bounds; a point whose bound exceeds ``tol`` is polished with mpmath."""
        _, m1, ms = activation_constants(act)
        dmu1, dmus = activation_constant_errors(act)
        n = len(fields)
        args = [cols["psi1"], cols["psi2"], cols["lam"], np.full(n, m1), np.full(n, ms),
                cols["F1"], cols["Fstar"], cols["Delta"]]
        st, obs = _evaluate(*args)
        errs = _float_errors(args, obs, dmu1, dmus)
        keys = list(obs)
        O = np.array([obs[k] for k in keys])  # (n_obs, n)
        E = np.array([errs[k] for k in keys])
        with np.errstate(divide="ignore", invalid="ignore"):
            R = np.where((O != 0) & np.isfinite(O), E / np.abs(O), 0.0)
        rel_all = R.max(axis=0)
        res_all = np.asarray(st["residual"], dtype=float)
        its = int(st["iterations"])
        Ol, El, rell, resl = O.T.tolist(), E.T.tolist(), rel_all.tolist(), res_all.tolist()
        a1l, a2l = st["a1"].tolist(), st["a2"].tolist()
        chil = (-st["P"]).tolist()
        out = []
        for i in range(n):
            pf = fields[i]
            rel, res = rell[i], resl[i]
            if rel <= tol and res <= tol:
                o, e = dict(zip(keys, Ol[i])), dict(zip(keys, El[i]))
                state = {"a_1": a1l[i], "a_2": a2l[i], "chi": chil[i]}
                method = "scalar-newton"
            else:  # conditioning ate the digits: polish
                mst, mobs, merr, mres, _ = _mp_point(pf, act, 30)
                o = {k: float(v) for k, v in mobs.items()}
                e = {k: merr[k] + 2 * _U * abs(o[k]) if math.isfinite(o[k]) else 0.0
                     for k in o}
                state = {k: float(v) for k, v in mst.items()}
                res = float(mres)
                method = (f"scalar-newton, polished with mpmath at 30 digits (float64 error "
                          f"bound {rel:.2g} > tol {tol:.1g})")
                rel = max((e[k] / abs(o[k]) for k in o if o[k] != 0 and math.isfinite(o[k])),
                          default=0.0)
            ok = res <= tol and rel <= max(tol, 4 * _U)  # a float64 is within 1/2 ulp at best
            if ok:
                msg = (f"converged: scalar equation of Definition 1, residual {res:.2g} <= tol "
                       f"{tol:.1g}; observables to relative {rel:.1g}")
            else:
                digits = -math.log10(rel) if rel > 0 else 16
                msg = (f"observables not resolved: relative error bound {rel:.2g} > tol "
                       f"{tol:.1g} (only {max(digits, 0):.1f} digits survive), residual "
                       f"{res:.2g}")
            msg += _divergence_note(o, pf["psi1"])
            r = SolveResult(self.name, pf, state, o, ok, its, res, tol, msg, method)
            r.observable_errors = e
            out.append(r)
        return out

    def replica_equivalent(self, p) -> dict:
        r"""Parameters of ``rf_convex`` (square loss, linear teacher) for the same problem.

        The map of :data:`theory.conventions.RF_CORRESPONDENCE`
        (:func:`~theory.conventions.rf_ridge_to_rf_convex`): ``alpha = psi2/psi1``,
        ``gamma = 1/psi1``, ``lam = psi2 lam``, ``rho = F1^2``, ``Delta = Delta + Fstar^2``,
        the same activation (kappa_1 = mu_1, kappa_star = mu_star). The returned dict also holds
        ``"Fstar"``, which ``rf_convex`` does not take: pop it;
        ``test_error[rf_ridge] = test_error[rf_convex] + Fstar^2``.

        Parameters
        ----------
        p : RFRidgeParams
            Validated parameters.

        Returns
        -------
        dict
            Keyword arguments of ``rf_convex`` plus ``"Fstar"``.
        """
        eq, _ = rf_ridge_to_rf_convex(**{k: float(getattr(p, k)) for k in
                                         ("psi1", "psi2", "lam", "F1", "Fstar", "Delta")})
        return {**eq, "activation": p.activation, "Fstar": float(p.Fstar)}

    #: the simulator's arguments that differ from the parameter of the same name (theory simulate)
    simulation_rescaled = {"lam": "psi2*lam: the simulator's penalty lambda/2 ||w||^2"}

    def simulation(self, p, d: int) -> dict:
        r"""Arguments of :func:`theory.simulate.simulate_random_features` at input size d.

        N = psi1 d features, n = psi2 d samples on the sphere of radius sqrt(d); the ridge
        N lambda/d ||a||^2 with a = w/sqrt(N), times n/2, is the simulator's lambda/2 ||w||^2
        with lambda = psi2 lambda (``lam`` of the simulator is NOT ``lam`` of this model); the
        simulator's ``test_error`` is the risk R of Theorem 1.

        Parameters
        ----------
        p : RFRidgeParams
            Validated parameters.
        d : int
            Input dimension.

        Returns
        -------
        dict
            Keyword arguments of :func:`~theory.simulate.simulate_random_features` (without
            ``seeds``).

        Raises
        ------
        InputError
            ``F1`` is 0 (the teacher direction also sets the nonlinear part).
        """
        if p.F1 <= 0:
            raise InputError("F1", p.F1, "> 0 for a simulation (the teacher direction sets "
                             "the nonlinear part too)")
        return {"d": int(d), "p": max(1, round(p.psi1 * d)), "n": max(1, round(p.psi2 * d)),
                "activation": p.activation, "loss": "square", "lam": p.psi2 * p.lam,
                "teacher": "linear", "rho": p.F1**2,
                "Delta": p.Delta, "Fstar": p.Fstar, "sphere": True}

    # ------------------------------------------------------------------ fast curves
    def curve_fast(self, vary, values, *, tol=1e-10, **params):
        r"""All points of a curve at once (the vectorised scalar solve, with error bounds).

        The parameters are validated once (the varied one as an array,
        :func:`~theory.models.base.validate_varied`); any point whose bound exceeds ``tol`` is
        polished with mpmath.

        Parameters
        ----------
        vary : str
            The varied parameter (a field of :class:`RFRidgeParams`).
        values : sequence of float
            Its values.
        tol : float, default 1e-10
            As in :meth:`solve_direct`.
        **params
            The other parameters.

        Returns
        -------
        list of SolveResult
            One per value (empty for no values).

        Raises
        ------
        InputError
            An unknown or invalid parameter.
        """
        grid = np.asarray(values, dtype=float)
        if grid.size == 0:
            return []
        p0 = make_params(self, {**params, vary: float(grid[0])})  # all but vary, once
        grid = validate_varied(self, vary, grid)
        self._constants(p0)
        base = _fields(p0)
        cols = {k: (grid if k == vary else np.full(grid.size, float(base[k])))
                for k in _NUMERIC}
        fields = [{**base, vary: v} for v in grid.tolist()]
        return self._solve_columns(p0.activation, cols, fields, tol)


def _divergence_note(obs, psi1) -> str:
    inf = [k for k, v in obs.items() if not (abs(v) < float("inf"))]
    if not inf:
        return ""
    return (f"; ridgeless limit (lam = 0) at psi1 = psi2 = {float(psi1):g}: E_0 = 0, "
            f"{', '.join(inf)} diverge (+inf, not a number)")


#: the numeric parameters of :class:`RFRidgeParams` (all but ``activation``)
_NUMERIC = ("psi1", "psi2", "lam", "F1", "Fstar", "Delta")


def _fields(p) -> dict:
    """The parameters as a flat dict (what ``dataclasses.asdict`` gives, without its deep copy)."""
    return {f.name: getattr(p, f.name) for f in dataclasses.fields(p)}
