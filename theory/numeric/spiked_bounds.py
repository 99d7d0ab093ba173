r"""Bounds on the spiked random-features risk (λ optimised), the kernel line and ‖P_{>k} g‖².

Cui, Pesce, Dandi, Krzakala, Lu, Zdeborová, Loureiro, "Asymptotics of feature learning in
two-layer networks after one gradient-step", ICML 2024, arXiv:2402.04980 (v2), the bounds drawn
in its Figure 3 (c = 1, r = 0.9, γ = 1, σ = tanh, target sin). The paper's own equation
numbers were not readable; the statements followed are B. Loureiro's HDR thesis (2025),
Corollary 3.4.1, eqs (3.31)-(3.32) (the same in his Cargèse 2025 notes (4.35)-(4.36)), as
collected in ``/work/shared/papers/one-step-digest.md`` §1.8:

.. math::

    \inf_{\lambda\ge0} R \le U = \inf_\nu \mathbb E_\kappa[(g(\kappa)-\nu\mu_0(\kappa))^2],
    \qquad
    \inf_{\lambda\ge0} R \ge L = \inf_{\nu_1,\nu_2}\mathbb E_\kappa[(g(\kappa)-\nu_1\mu_0(\kappa)
    -\nu_2\kappa\mu_1(\kappa))^2],

:math:`\kappa\sim\mathcal N(0,1)`. The spike enters through the conditional coefficients of
the code's convention (digest §1.4, authors' ``theory.ipynb``):
:math:`\mu_0(\kappa)=\mathbb E_\xi\sigma(r\kappa+\sqrt c\,\xi)`,
:math:`\mu_1(\kappa)=\mathbb E_\xi\sigma'(r\kappa+\sqrt c\,\xi)`, i.e. the foundation's
:func:`~theory.numeric.conditional.conditional_coefficients` evaluated at the shift
:math:`r\kappa` with variance c.

Derived here [D] (how):

* **closed-form infima.** Both are least-squares problems in :math:`L^2(\gamma_1)`: with the
  Gram matrix :math:`A_{ij}=\mathbb E[\phi_i\phi_j]` of :math:`\phi_0=\mu_0`,
  :math:`\phi_1=\kappa\mu_1` and :math:`b_i=\mathbb E[g\phi_i]`, the minimiser solves
  :math:`A\nu=b` and the minimum is :math:`\mathbb E g^2-\nu^\top b` (for U only
  :math:`\phi_0`: :math:`U=\mathbb E g^2-b_0^2/A_{00}`). A basis function that vanishes
  identically (r = 0 with :math:`\mu_0(0)=0`, an odd σ) is dropped: the infimum over its
  coefficient is then attained by any value.
* **γ < 1** (the target :math:`y=g(\gamma\kappa+\sqrt{1-\gamma^2}z)`, z independent): the same
  formula with :math:`b_i=\mathbb E[y\phi_i]=\mathbb E[h\phi_i]`,
  :math:`h(\kappa)=\mathbb E_z g(\gamma\kappa+\sqrt{1-\gamma^2}z)` (the :math:`\phi_i` are
  functions of κ alone, so projecting y on their span projects its conditional mean h); h is
  the foundation's μ₀ of g at shift γκ and variance 1-γ². For γ < 1 that distance is **not** a
  lower bound of the sRF risk (the thesis proves the bounds for γ = 1; the λ-optimised risk of
  the model ``spiked_rf`` was measured below it, 0.02359 < 0.02404 at η̃ = 2, α₀ = 20,
  σ = g = tanh): the features also fit :math:`\mu_1(\kappa)z` through the overlap ψ
  (:math:`z` the teacher's direction orthogonal to v). Derived here: conditionally on κ the
  sRF predictor is :math:`\mu_0 m+\kappa\mu_1\zeta+\lambda_s` with
  :math:`\mathbb E[z\lambda_s]=\mu_1\psi` and :math:`\mathbb E\lambda_s^2=q(\kappa)\ge
  \mu_1^2\psi^2` (Cauchy-Schwarz), so its risk is at least
  :math:`\mathbb E(y-\mu_0m-\kappa\mu_1\zeta-\mu_1\psi z)^2`, hence at least the distance
  of y to span{μ₀, κμ₁, μ₁z}. That is the ``lower`` reported: the third basis function is
  orthogonal to the two others (E z = 0, z independent of κ), with
  :math:`A_{22}=\mathbb E\mu_1^2`, :math:`b_2=\mathbb E[\mu_1h_1]`,
  :math:`h_1(\kappa)=\mathbb E_z[zg(\gamma\kappa+\sqrt{1-\gamma^2}z)]`, so
  :math:`L=L_\kappa-b_2^2/A_{22}` with :math:`L_\kappa` the two-function distance
  (``lower_kappa``); at γ = 1, :math:`h_1=0` and both are the thesis' L.
* **r = 0**: :math:`\phi_0\equiv\mu_0(0)=\mathbb E\sigma(\sqrt c\xi)` and
  :math:`\phi_1=\mu_1(0)\kappa`, so :math:`U=\mathbb E g^2-(\mathbb Eg)^2` if
  :math:`\mu_0(0)\ne0` else :math:`\mathbb E g^2`, and
  :math:`L=\mathbb Eg^2-(\mathbb Eg)^2-(\mathbb E[\kappa g])^2` (the :math:`(\mathbb Eg)^2` term
  only if :math:`\mu_0(0)\ne0`), since 1 and κ are orthonormal. For an odd σ and r → 0⁺ both
  bounds are discontinuous (:math:`\mu_0(r\kappa)\approx r\mu_1(0)\kappa`): the Gram matrix is
  then ill-conditioned and the reported error grows like :math:`|\nu|^2`.
* **kernel line** (Fig. 2 caption, "h⋆₂ - (h⋆₁)²"): :math:`\mathbb E[g^2]-\mathbb E[zg]^2
  = \|P_{>1}g\|^2+(\mathbb E g)^2`, from :func:`~theory.numeric.hermite.hermite_expansion`;
  :math:`\|P_{>k}g\|^2=\mathbb Eg^2-\sum_{j\le k}\mu_j^2/j!` its truncation residual.

Numerics. Float64: the κ-expectations with the split Gauss rule
:func:`~theory.numeric.quadrature.normal_rule` (cut at 0, at the kinks of g when γ = 1 and at
κ = ±s/r, s ∈ {1/2, 1, 2, 4}·max(1, √c), where μ₀(rκ) turns), μ₀, μ₁ from the foundation at all
nodes at once; two consecutive node levels give the quadrature error; the inner coefficients'
relative error and the rounding are added; the error of U and L is the first-order propagation
:math:`|\delta\mathbb Eg^2|+2\sum|\nu_i||\delta b_i|+\sum|\nu_i||\nu_j||\delta A_{ij}|` (the
residual is stationary in ν). mpmath (``dps``): the same nested split Gauss rules
(:func:`~theory.numeric.quadrature.normal_rule_mp`) for κ (cut at 0, the kinks of g, κ = ±s/r
for s ∈ {1, 4}·max(1, √c)) and for ξ (cut at the shifted kinks of σ; μ₁ from its definition
:math:`\mathbb E[\xi\sigma]/\sqrt c`, valid with jumps), two consecutive levels agreeing to
:math:`10^{-\mathrm{dps}-2}` or :class:`~theory.errors.IntegrationError`; 35-75 s at
dps = 30 for the Figure 3 setting (one core). Float64 flagged entries of the foundation's
coefficients (a relative error near a zero crossing of μ₀) are recomputed with an absolute
error by a split Gauss rule in ξ at two levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import mpmath
import numpy as np
import sympy as sp

from ..errors import InputError, IntegrationError, check_positive
from ..symbolic.activations import Activation, get_activation, x
from .bridge import mpmath_function, numpy_function
from .conditional import conditional_coefficients
from .hermite import check_dps, hermite_expansion
from .quadrature import LEVELS, MP_LEVELS, normal_rule, normal_rule_mp

__all__ = ["SpikedBounds", "spiked_bounds", "kernel_line", "projection_residual"]

#: turning points of mu0(r kappa), in units of max(1, sqrt(c)) / r
_TURNS = (0.5, 1.0, 2.0, 4.0)


@dataclass
class SpikedBounds:
    r"""Upper and lower bounds of the λ-optimised sRF risk at one (r, c, γ).

    Attributes
    ----------
    activation, target : Activation
        σ and g.
    r, c, gamma : float
        Spike strength, bulk variance, overlap ⟨v, θ⋆⟩.
    upper, lower : float or mpmath.mpf
        :math:`U=\inf_\nu\mathbb E(g-\nu\mu_0)^2`, :math:`L=\inf_{\nu_1,\nu_2,\nu_3}
        \mathbb E(y-\nu_1\mu_0-\nu_2\kappa\mu_1-\nu_3\mu_1z)^2` (ν₃ = 0 at γ = 1: the
        thesis' L; module docstring).
    lower_kappa : float or mpmath.mpf
        The distance of y to span{μ₀, κμ₁} alone (equal to ``lower`` at γ = 1; for γ < 1 not a
        bound of the risk).
    nu_upper : float or mpmath.mpf
        The minimiser ν of U (0 if μ₀ ≡ 0).
    nu_lower : tuple
        The minimisers (ν₁, ν₂, ν₃) of L.
    E_g2 : float or mpmath.mpf
        :math:`\mathbb E g^2`.
    kernel_line : float or mpmath.mpf
        :math:`\mathbb E g^2-\mathbb E[zg]^2`.
    gram : dict
        ``A00, A01, A11, b0, b1`` (the expectations of the least squares).
    error_upper, error_lower : float
        Error bounds (absolute) of U and L in float64; ``10**-dps`` scale with ``dps``.
    resolved : bool
        False if an error bound exceeds ``tol`` (the values are then only indicative).
    dps : int or None
        None (float64) or the decimal digits.
    nodes : int
        κ nodes of the accepted rule.
    """

    activation: Activation
    target: Activation
    r: float
    c: float
    gamma: float
    upper: object
    lower: object
    nu_upper: object
    nu_lower: tuple
    E_g2: object
    kernel_line: object
    gram: dict = field(default_factory=dict)
    error_upper: float = 0.0
    error_lower: float = 0.0
    resolved: bool = True
    dps: int | None = None
    nodes: int = 0
    lower_kappa: object = None

    def functions(self, kappa) -> dict:
        r"""The functions of Figure 3 on a grid: g, the upper and the lower bound's best fits.

        Parameters
        ----------
        kappa : array_like, shape (n,)
            Points κ.

        Returns
        -------
        dict
            ``kappa``; ``target`` :math:`h(\kappa)` (:math:`g(\kappa)` for γ = 1);
            ``upper`` :math:`\nu\mu_0(\kappa)`; ``lower``
            :math:`\nu_1\mu_0(\kappa)+\nu_2\kappa\mu_1(\kappa)`, the κ-conditional mean of
            the lower bound's best fit (its part :math:`\nu_3\mu_1(\kappa)z` has mean 0)
            (float64 arrays).
        """
        k = np.asarray(kappa, dtype=float).ravel()
        cc = conditional_coefficients(self.activation, self.r * k, self.c)
        nu1, nu2 = (float(v) for v in self.nu_lower[:2])
        mu0 = np.asarray(cc.mu0, dtype=float)
        mu1 = np.asarray(cc.mu1, dtype=float)
        nu = float(self.nu_upper)  # type: ignore[arg-type]
        return {"kappa": k, "target": _target_values(self.target, k, self.gamma),
                "upper": nu * mu0, "lower": nu1 * mu0 + nu2 * k * mu1}

    def to_dict(self) -> dict:
        """JSON-ready dict (floats, or decimal strings with ``dps``).

        Returns
        -------
        dict
            The attributes by name.
        """
        s = (lambda v: float(v)) if self.dps is None else (  # noqa: E731
            lambda v: mpmath.nstr(v, self.dps))
        return {"activation": self.activation.name, "target": self.target.name, "r": self.r,
                "c": self.c, "gamma": self.gamma, "upper": s(self.upper),
                "lower": s(self.lower), "lower_kappa": s(self.lower_kappa),
                "nu_upper": s(self.nu_upper),
                "nu_lower": [s(v) for v in self.nu_lower], "E_g2": s(self.E_g2),
                "kernel_line": s(self.kernel_line),
                "gram": {k: s(v) for k, v in self.gram.items()},
                "error_upper": float(self.error_upper), "error_lower": float(self.error_lower),
                "resolved": self.resolved, "dps": self.dps, "nodes": self.nodes}


def _target_values(tgt: Activation, k: np.ndarray, gamma: float) -> np.ndarray:
    """h(kappa) = E_z g(gamma kappa + sqrt(1 - gamma^2) z) (g itself at gamma = 1)."""
    if gamma == 1.0:
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(numpy_function(tgt.expr, (x,))(k), float),
                                   k.shape).copy()
    return np.asarray(conditional_coefficients(tgt, gamma * k, 1.0 - gamma * gamma).mu0)


def _cuts(tgt: Activation, r: float, c: float, gamma: float) -> list[float]:
    cuts = [float(b) for b in tgt.breakpoints] if gamma == 1.0 else []
    if r > 0:
        s = max(1.0, math.sqrt(c)) / r
        cuts += [sgn * t * s for t in _TURNS for sgn in (1.0, -1.0)]
    return sorted(set(cuts))


def _solve(A, b, e2, dA, db, de2, keep):
    """Least squares over the kept basis functions: (minimum, nu (full length), error)."""
    idx = [i for i in range(len(b)) if keep[i]]
    nu = np.zeros(len(b))
    if idx:
        sub = A[np.ix_(idx, idx)]
        nu[idx] = np.linalg.solve(sub, b[idx])
    val = e2 - float(nu @ b)
    an = np.abs(nu)
    err = de2 + 2 * float(an @ db) + float(an @ dA @ an)
    # rounding of the solve: relative cond * eps on nu, second order in the residual
    if idx:
        cond = np.linalg.cond(A[np.ix_(idx, idx)])
        dnu = cond * 8 * np.finfo(float).eps * an
        err += float(dnu @ np.abs(A) @ dnu) + 8 * np.finfo(float).eps * (abs(e2) + float(an @ np.abs(b)))
    return val, nu, err


def _xi_moments(act: Activation, shifts: np.ndarray, c: float):
    """(mu0, mu1) at the shifts by a split Gauss rule in xi (cut at the shifted kinks) and an
    absolute error (two node levels plus the rounding floor), shape (2, n) each."""
    sig = numpy_function(act.expr, (x,))
    sc = math.sqrt(c)
    kinks = np.array([float(q) for q in act.breakpoints])
    out = []
    for level in (4, 5):
        cut = (kinks[None, :] - shifts[:, None]) / sc if kinks.size else None
        zz, ww = normal_rule(cut, *LEVELS[level], rows=shifts.size)
        with np.errstate(all="ignore"):
            s = np.broadcast_to(np.asarray(sig(shifts[:, None] + sc * zz), float), zz.shape)
        out.append((np.array([np.sum(ww * s, 1), np.sum(ww * zz * s, 1) / sc]),
                    np.array([np.sum(np.abs(ww * s), 1), np.sum(np.abs(ww * zz * s), 1) / sc])))
    (v0, _), (v1, f1) = out
    if not np.all(np.isfinite(v1)):
        raise IntegrationError(f"conditional coefficients of {act.name} at c={c} not finite")
    return v1, np.abs(v1 - v0) + 8 * np.finfo(float).eps * f1


def _float_gram(act, tgt, r, c, gamma, level):
    nt, nm = LEVELS[level]
    cuts = _cuts(tgt, r, c, gamma)
    z, w = normal_rule(np.array(cuts) if cuts else None, nt, nm)
    z, w = z[0], w[0]
    cc = conditional_coefficients(act, r * z, c)
    m0, m1 = np.array(cc.mu0, dtype=float), np.array(cc.mu1, dtype=float)
    e = float(cc.error or 0.0) + 4 * np.finfo(float).eps
    # inner error on each phi: relative e where the foundation resolves the entry; the entries
    # it flags (a relative error near a zero crossing, e.g. mu0 of an odd sigma at kappa ~ 0)
    # get an absolute error from two levels of a split Gauss rule in xi
    aerr = e * np.abs(np.stack([m0, z * m1]))
    flag = np.zeros(z.size, bool)
    for key in ("mu0", "mu1"):
        flag |= np.asarray((cc.unresolved or {}).get(key, np.zeros(z.size, bool)))
    if np.any(flag):
        v, dv = _xi_moments(act, r * z[flag], c)
        m0[flag], m1[flag] = v
        aerr[:, flag] = dv * np.stack([np.ones(int(flag.sum())), np.abs(z[flag])])
    y = _target_values(tgt, z, gamma)
    phi = np.stack([m0, z * m1])
    A = np.zeros((3, 3))
    b = np.zeros(3)
    A[:2, :2] = (phi * w) @ phi.T
    b[:2] = (phi * w) @ y
    # |delta A_ij| <= E[|phi_i| err_j + err_i |phi_j|], |delta b_i| <= E[|y| err_i]
    ap, aw = np.abs(phi), np.abs(w)
    dA = np.zeros((3, 3))
    db = np.zeros(3)
    dA[:2, :2] = (ap * aw) @ aerr.T + (aerr * aw) @ ap.T
    db[:2] = (aerr * aw) @ np.abs(y)
    keep = [bool(np.any(phi[i] != 0)) for i in range(2)] + [False]
    if gamma < 1.0:  # the psi channel mu1(kappa) z (module docstring)
        rho = math.sqrt(1.0 - gamma * gamma)
        ct = conditional_coefficients(tgt, gamma * z, rho * rho)
        h1 = rho * np.asarray(ct.mu1, dtype=float)  # E_z[z g(gamma k + rho z)] (Stein)
        eh = float(ct.error or 0.0) + 4 * np.finfo(float).eps
        e1 = aerr[1] / np.maximum(np.abs(z), 1e-300)  # absolute error of mu1
        A[2, 2] = float(w @ (m1 * m1))
        b[2] = float(w @ (m1 * h1))
        dA[2, 2] = 2 * float(aw @ (np.abs(m1) * e1))
        db[2] = float(aw @ (np.abs(h1) * e1 + eh * np.abs(m1 * h1)))
        keep[2] = bool(np.any(m1 != 0) and np.any(h1 != 0))
    return A, b, dA, db, keep, z.size


def spiked_bounds(activation, target, *, r: float, c: float = 1.0, gamma: float = 1.0,
                  dps: int | None = None, tol: float = 1e-10) -> SpikedBounds:
    r"""Upper and lower bounds of the λ-optimised spiked-RF risk (Cui et al. 2024, Fig. 3).

    :math:`U=\inf_\nu\mathbb E_\kappa[(g(\kappa)-\nu\mu_0(\kappa))^2]` and
    :math:`L=\inf_{\nu_1,\nu_2}\mathbb E_\kappa[(g(\kappa)-\nu_1\mu_0(\kappa)-\nu_2\kappa
    \mu_1(\kappa))^2]`, :math:`\mu_i(\kappa)` the conditional coefficients at shift rκ and
    variance c (Cui et al. 2024, arXiv:2402.04980v2, Figure 3 and the bounds it draws; as
    stated in Loureiro's HDR thesis, Corollary 3.4.1, eqs (3.31)-(3.32)). Closed-form infima
    and the γ < 1 generalisation (where the lower bound gains the ψ-channel function
    :math:`\mu_1(\kappa)z`, derived here): module docstring.

    Parameters
    ----------
    activation : str or sympy.Expr
        σ (registry name, expression string or SymPy expression in x).
    target : str or sympy.Expr
        g, same forms.
    r : float
        Spike strength, r >= 0.
    c : float, optional
        Variance of the bulk part, c > 0 (default 1).
    gamma : float, optional
        Overlap ⟨v, θ⋆⟩ in (0, 1] (default 1, the setting of the bounds).
    dps : int, optional
        None for float64 (default), else decimal digits through mpmath (r, c, gamma are then
        read as the decimals they print as: 0.9 is 9/10, not the nearest double).
    tol : float, optional
        Float64: absolute tolerance on U and L; the result is flagged (``resolved=False``)
        when an error bound exceeds it (default 1e-10).

    Returns
    -------
    SpikedBounds
        U, L, their minimisers, the Gram entries, E g², the kernel line and error bounds.

    Raises
    ------
    InputError
        If r < 0, c <= 0, gamma not in (0, 1], or an activation is unknown.
    IntegrationError
        If the quadrature does not converge (float64: the coefficients on the nodes are not
        resolved; mpmath: two levels do not agree to ``dps`` digits).

    Examples
    --------
    >>> b = spiked_bounds("tanh", "sin", r=0.9)
    >>> bool(b.lower <= b.upper <= b.E_g2)
    True
    """
    act, tgt = get_activation(activation), get_activation(target)
    r = check_positive("r", r, strict=False)
    c = check_positive("c", c)
    gamma = check_positive("gamma", gamma)
    if gamma > 1:
        raise InputError("gamma", gamma, "an overlap in (0, 1]")
    dps = check_dps(dps)
    if dps is not None:
        return _mp_bounds(act, tgt, r, c, gamma, dps)
    he = hermite_expansion(tgt, 1)
    e2, de2 = float(he.E_sigma2), float(he.E_sigma2_bound) + 4 * np.finfo(float).eps
    kline = e2 - float(he.mu[1]) ** 2
    prev = None
    for level in range(1, len(LEVELS)):
        A, b, dA, db, keep, n = _float_gram(act, tgt, r, c, gamma, level)
        if prev is not None:
            qA, qb = np.abs(A - prev[0]), np.abs(b - prev[1])
            if max(qA.max(), qb.max()) <= 1e-3 * tol or level == len(LEVELS) - 1:
                break
        prev = (A, b)
    dA, db = dA + qA, db + qb
    up, nu_u, eu = _solve(A, b, e2, dA, db, de2, [keep[0], False, False])
    lo, nu_l, el = _solve(A, b, e2, dA, db, de2, keep)
    lk, _, _ = _solve(A, b, e2, dA, db, de2, [keep[0], keep[1], False])
    gram = {"A00": A[0, 0], "A01": A[0, 1], "A11": A[1, 1], "b0": b[0], "b1": b[1],
            "A22": A[2, 2], "b2": b[2]}
    return SpikedBounds(act, tgt, r, c, gamma, up, lo, float(nu_u[0]),
                        tuple(float(v) for v in nu_l), e2, kline,
                        {k: float(v) for k, v in gram.items()}, eu, el,
                        bool(eu <= tol and el <= tol), None, n, lk)


def _mp_gram(act, tgt, r, c, gamma, level, dps):
    sig = mpmath_function(act.expr, (x,))
    g = mpmath_function(tgt.expr, (x,))
    # the decimal the user typed (0.9, not the binary double 0.90000000000000002220...)
    rm, cm, gm = (mpmath.mpf(repr(v)) for v in (r, c, gamma))
    sc = mpmath.sqrt(cm)
    kinks = [mpmath.mpf(sp.N(k, dps + 15)) for k in act.breakpoints]
    gk = [mpmath.mpf(sp.N(k, dps + 15)) for k in tgt.breakpoints]
    # the smooth Gauss panels converge fast at high precision: only the turns at 1 and 4
    # (fewer panels than the float64 rule), and the kinks of g when gamma = 1
    cuts = set(gk) if gamma == 1.0 else set()
    if r > 0:
        s = mpmath.mpf(max(1.0, math.sqrt(c))) / rm
        cuts |= {sgn * t * s for t in (1, 4) for sgn in (1, -1)}
    cuts = sorted(cuts)
    rho = mpmath.sqrt(1 - gm * gm)
    A = [[mpmath.mpf(0)] * 3 for _ in range(3)]
    b = [mpmath.mpf(0)] * 3
    zero = [True, True, True]
    outer = normal_rule_mp(cuts, level, dps)
    for k, wk in outer:
        inner = normal_rule_mp([(q - rm * k) / sc for q in kinks], level, dps)
        m0 = mpmath.fsum(wi * sig(rm * k + sc * t) for t, wi in inner)
        m1 = mpmath.fsum(wi * t * sig(rm * k + sc * t) for t, wi in inner) / sc
        if r == 0 and _odd(act):
            m0 = mpmath.mpf(0)
        if gamma == 1.0:
            y, h1 = g(k), mpmath.mpf(0)
        else:
            rule = normal_rule_mp([(q - gm * k) / rho for q in gk], level, dps)
            gv = [(t, wi, g(gm * k + rho * t)) for t, wi in rule]
            y = mpmath.fsum(wi * v for t, wi, v in gv)
            h1 = mpmath.fsum(wi * t * v for t, wi, v in gv)  # E_z[z g(gamma k + rho z)]
        phi = (m0, k * m1)
        for i in range(2):
            zero[i] = zero[i] and phi[i] == 0
            b[i] += wk * y * phi[i]
            for j in range(2):
                A[i][j] += wk * phi[i] * phi[j]
        # the psi channel mu1(kappa) z: orthogonal to phi_0, phi_1 (module docstring)
        zero[2] = zero[2] and m1 * h1 == 0
        A[2][2] += wk * m1 * m1
        b[2] += wk * m1 * h1
    return A, b, [not zero[0], not zero[1], not zero[2]], len(outer)


def _odd(act: Activation) -> bool:
    return sp.expand(act.expr.subs(x, -x) + act.expr) == 0


def _mp_solve(A, b, e2, keep):
    idx = [i for i in range(len(b)) if keep[i]]
    nu = [mpmath.mpf(0)] * len(b)
    if idx:
        M = mpmath.matrix([[A[i][j] for j in idx] for i in idx])
        sol = mpmath.lu_solve(M, mpmath.matrix([b[i] for i in idx]))
        for p, i in enumerate(idx):
            nu[i] = sol[p]
    return e2 - mpmath.fsum(nu[i] * b[i] for i in range(len(b))), nu


def _mp_bounds(act, tgt, r, c, gamma, dps):
    he = hermite_expansion(tgt, 1, dps=dps)
    with mpmath.workdps(dps + 15):
        e2 = mpmath.mpf(he.E_sigma2)
        kline = e2 - mpmath.mpf(he.mu[1]) ** 2
        prev, n = None, 0
        for level in range(1 if dps <= 20 else 2, len(MP_LEVELS)):
            A, b, keep, n = _mp_gram(act, tgt, r, c, gamma, level, dps + 15)
            up, nu_u = _mp_solve(A, b, e2, [keep[0], False, False])
            lo, nu_l = _mp_solve(A, b, e2, keep)
            lk, _ = _mp_solve(A, b, e2, [keep[0], keep[1], False])
            if prev is not None:
                diff = max(abs(up - prev[0]), abs(lo - prev[1]))
                if diff <= mpmath.mpf(10) ** (-dps - 2):
                    break
            prev = (up, lo)
        else:
            raise IntegrationError(f"spiked bounds of {act.name} / {tgt.name} at r={r}, c={c}: "
                                   f"two levels differ by {mpmath.nstr(diff, 3)} > "
                                   f"1e-{dps + 2} at the finest mpmath rule")
        err = float(diff)
    with mpmath.workdps(dps):
        gram = {"A00": +A[0][0], "A01": +A[0][1], "A11": +A[1][1], "b0": +b[0], "b1": +b[1],
                "A22": +A[2][2], "b2": +b[2]}
        return SpikedBounds(act, tgt, r, c, gamma, +up, +lo, +nu_u[0], tuple(+v for v in nu_l),
                            +e2, +kline, gram, err, err, True, dps, n, +lk)


def kernel_line(target, *, dps: int | None = None):
    r"""The kernel line :math:`\mathbb E[g(z)^2]-\mathbb E[zg(z)]^2` (Cui et al. 2024, Fig. 2).

    The lowest test error of kernel / linear methods on the single-index target drawn in the
    paper's Figure 2 ("h⋆₂ - (h⋆₁)²", after Ba et al. 2022); equal to
    :math:`\|P_{>1}g\|^2+(\mathbb Eg)^2`.

    Parameters
    ----------
    target : str or sympy.Expr
        g.
    dps : int, optional
        None for float64, else decimal digits.

    Returns
    -------
    value : float or mpmath.mpf
        The kernel line.
    bound : float or mpmath.mpf
        Error bound (from the Hermite coefficients' bounds).

    Raises
    ------
    InputError
        If the target is unknown or ``dps`` is not allowed.
    """
    he = hermite_expansion(target, 1, dps=dps)
    m1, b1 = he.mu[1], he.bound[1]
    return he.E_sigma2 - m1 * m1, he.E_sigma2_bound + 2 * abs(m1) * b1 + b1 * b1


def projection_residual(target, k: int, *, dps: int | None = None):
    r""":math:`\|P_{>k}g\|^2=\mathbb E g^2-\sum_{j\le k}\mu_j^2/j!`, the part of g above degree k.

    The truncation residual of :func:`~theory.numeric.hermite.hermite_expansion`
    (:meth:`~theory.numeric.hermite.HermiteExpansion.residual`), as used for the
    :math:`\|P_{>k}g\|^2` levels of the one-step literature (Ba et al. 2022; Cui et al. 2024,
    arXiv:2402.04980v2).

    Parameters
    ----------
    target : str or sympy.Expr
        g.
    k : int
        Degree k >= 0.
    dps : int, optional
        None for float64, else decimal digits.

    Returns
    -------
    float or mpmath.mpf
        :math:`\|P_{>k}g\|^2`.

    Raises
    ------
    InputError
        If ``k`` or ``dps`` is out of range, or the target is unknown.
    """
    from ..errors import check_int

    k = check_int("k", k, lo=0, hi=200)
    return hermite_expansion(target, k, dps=dps).residual(k)
