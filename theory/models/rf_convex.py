r"""Random features with a convex loss and an l2 penalty (replica saddle point).

Gerace, Loureiro, Krzakala, Mezard, Zdeborova, "Generalisation error in learning with random
features and the hidden manifold model", arXiv:2002.09339v2 (ICML 2020), the saddle-point
equations of their main result (Sec. 2; the system on the slides in
``shared/papers/004``: :math:`\hat V_s, \hat q_s, \hat m_s, \hat V_w, \hat q_w` and
:math:`V_s, q_s, m_s, V_w, q_w` with the Stieltjes transform :math:`g_\mu`).

Setting (their notation): :math:`c \sim \mathcal N(0, I_d)`, :math:`F \in \mathbb R^{d\times p}`
i.i.d. :math:`\mathcal N(0,1)`, features :math:`x = \sigma(F^\top c/\sqrt d)`, teacher
:math:`y = f_0(\theta\cdot c/\sqrt d) + F_\star\xi + \sqrt\Delta\,\zeta` with
:math:`\|\theta\|^2 = \rho d` (:math:`F_\star`: the norm of a nonlinear part of the target,
effective noise of variance :math:`F_\star^2` in training and :math:`+F_\star^2` in the test
error, the symbol and convention of :mod:`theory.models.rf_ridge`; see
:class:`theory.losses.Channel`); estimator
:math:`\hat w = \operatorname{argmin}_w \sum_\mu \ell(y^\mu, x^\mu\cdot w/\sqrt p)
+ \frac\lambda2\|w\|^2`; :math:`\alpha = n/p`, :math:`\gamma = d/p`. The activation enters
through :math:`\kappa_1 = \mu_1`, :math:`\kappa_\star = \mu_\star` (Gaussian equivalence;
:math:`\kappa_0 = \mu_0` does not enter), :math:`g_\mu` is the Stieltjes transform of the
spectrum of :math:`FF^\top/p` (Marchenko--Pastur of ratio :math:`\gamma`, closed form in
:mod:`theory.symbolic.spectra`).

The channel expectations are written over the teacher and student local fields
:math:`(\omega_0, \omega_1) \sim \mathcal N(0, [[\rho, M], [M, Q]])` (equivalent to the paper's
:math:`\mathbb E_{\xi, y}[\mathcal Z(y, \omega_0)\,\cdot\,]`). For the sign teacher,
:math:`P(y|\omega_0) = \Phi(y\omega_0/\sqrt\Delta)` (:math:`y = \operatorname{sign}(\omega_0 +
\sqrt\Delta\zeta)`; :math:`\Theta(y\omega_0)` at :math:`\Delta = 0`), and the teacher field is
integrated out analytically given :math:`\omega_1`: :math:`\omega_0|\omega_1 \sim
\mathcal N(\mu, V^0)`, :math:`\mu = M\omega_1/Q`, :math:`V^0 = \rho - M^2/Q`, so
:math:`\mathbb E[P(y|\omega_0)|\omega_1] = \Phi(y\mu/\sqrt{V^0 + \Delta})` and, for the
:math:`\hat m_s` equation (Gaussian integration by parts),
:math:`\mathbb E[(\omega_0 - \mu)P(y|\omega_0)|\omega_1]/V^0 = y\,\varphi(\mu/s)/s`,
:math:`s = \sqrt{V^0 + \Delta}`. Every channel average is then a 1-D expectation over
:math:`\omega_1` with the stable :math:`\Phi` (:class:`theory.symbolic.atoms.Phi`) as a named atom: the label
noise has no narrow feature to resolve at any :math:`\Delta \ge 0` (before, :math:`\Delta \le
10^{-6}` returned the noiseless answer and :math:`[10^{-5}, 0.03)` was refused). What remains
narrow is declared to the quadrature as features of :math:`\omega_1` (graded panels,
:func:`theory.numeric.system.graded_rule`): the bends of the logistic proximal operator at
:math:`y\omega_1 \approx \log V` and :math:`\approx -V - \log V` (branch points a distance
:math:`\pi` from the real axis, whatever :math:`\sqrt Q`: at small lam the split rule in units
of :math:`\sqrt Q` could not resolve them and every node level "topped out"), and
:math:`\Phi(y\mu/s)` of width :math:`sQ/M`. The hinge kinks are found by SymPy.

The loss and the teacher are objects of :mod:`theory.losses` (``loss="huber(delta=0.5)"`` or
a :class:`~theory.losses.Loss` instance): the channel integrands are built from the loss's
proximal operator (:meth:`~theory.losses.Loss.prox_symbolic`: closed form, or a named
:math:`\eta` computed by the generic safeguarded Newton) and the teacher's label law. For a
Gaussian channel (linear teacher) and a loss of the residual :math:`y - z` (square, Huber)
everything depends on :math:`r = y - \omega_1 \sim \mathcal N(0, \sigma_r^2)`,
:math:`\sigma_r^2 = \rho + \Delta + F_\star^2 - 2M + Q`, and
:math:`\operatorname{Cov}(\omega_0 - M\omega_1/Q, r) = V^0` gives
:math:`\hat m`'s average as :math:`\mathbb E[r(\eta - \omega)]/(\sigma_r^2 V)`: 1-D
expectations with the loss's kinks aligned. Averages of polynomials in Gaussian variables
are done in closed form (:func:`channel_mean`): the square loss with the linear teacher has no
quadrature at all (its Moreau envelope is quadratic), and label noise that enters
polynomially integrates out exactly. Other regression teachers (tanh) keep the 2-D expectation
over :math:`(\omega_0, \omega_1)` (3-D with the noise when it does not integrate out; a
kinked loss there, Huber with the tanh teacher, has unaligned kinks and is flagged
"quadrature not resolved" rather than answered).
The teacher norm :math:`\rho` multiplies :math:`\hat m_s^2` and :math:`\hat m_s` in the prior
equations (the slides take :math:`\rho = 1`).

The prior equations for :math:`q_s, q_w` are re-derived here from the effective ridge problem
:math:`w = (\lambda + \hat V_w + \hat V_s F^\top F/p)^{-1}(\cdot)` with the spectral
identities :math:`\int x^2/(x+z)^2 d\mu = 1 - 2zg + z^2g'` and
:math:`\int x/(x+z)^2 d\mu = g - zg'` (at :math:`g = g_\mu(-z)`):
:math:`q_s = \frac{\rho\hat m_s^2 + \hat q_s}{\hat V_s^2}(1 - 2zg + z^2g')
+ \frac{\hat q_w}{\hat V_s^2}(g - zg')` and
:math:`q_w = \frac{\gamma\hat q_w}{(\lambda + \hat V_w)^2}(\frac1\gamma - 1 + z^2g')
+ \gamma\frac{\rho\hat m_s^2 + \hat q_s}{\hat V_s^2}(g - zg')`. The text of the slides
(as extracted) has :math:`\hat V_s` instead of :math:`\hat V_s^2` in the first and the opposite
sign in the cross terms; with those the iteration leaves the admissible region. The equations
here reproduce the independent closed form of Mei & Montanari (model ``rf_ridge``) to 1e-10
for the square loss (tests/test_models.py, tests/test_conventions.py).

Observables (the names of :mod:`theory.conventions`, the same in
:func:`theory.simulate.simulate_random_features`): ``test_error`` is, for the linear and tanh
teachers, :math:`\mathbb E(f_0(\omega_0) - \omega_1)^2` against the noiseless target; for the
sign teacher it is ``test_error_clean`` :math:`= \arccos(M/\sqrt{\rho Q})/\pi`, the 0-1 error
against the clean label :math:`\operatorname{sign}\omega_0`, next to ``test_error_noisy``
:math:`= \arccos(M/\sqrt{(\rho + \Delta)Q})/\pi`, the 0-1 error against a fresh noisy label
(:func:`theory.conventions.noisy_error_probit` maps one to the other), and ``test_mse``
:math:`= \mathbb E(\operatorname{sign}\omega_0 - \omega_1)^2`.

Correspondence with ``rf_ridge`` (square loss, linear teacher;
:data:`theory.conventions.RF_CORRESPONDENCE`, shown by ``theory models``): Mei & Montanari's
:math:`\psi_1 = N/d = 1/\gamma`, :math:`\psi_2 = n/d = \alpha/\gamma`, their ridge
:math:`\lambda_{MM} = \lambda\gamma/\alpha` (:math:`\lambda = \psi_2\lambda_{MM}`),
:math:`F_1^2 = \rho`, their :math:`\tau^2 + F_\star^2 = \Delta`, :math:`\mu_1 = \kappa_1`,
:math:`\mu_\star = \kappa_\star`; their risk is ``test_error`` :math:`+ F_\star^2`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..conventions import RF_CORRESPONDENCE
from ..errors import InputError
from ..losses import CHANNELS, LOSSES, get_channel, get_loss
from ..numeric.activation_constants import activation_constants, activation_constants_mp
from ..numeric.bridge import mpmath_function, numpy_function
from ..references import REFERENCES
from ..symbolic import atoms
from ..symbolic.expectation import E, gaussians, numeric_function
from ..symbolic.spectra import (mp_resolvent_moments, mp_stieltjes_negative,
                                mp_stieltjes_negative_derivative)
from ..symbolic.system import Constraint, SaddlePointSystem
from .base import Model, activation_check, nonnegative, param, register, \
    validate

alpha, gamma, lam, k1, ks, rho = sp.symbols(
    r"alpha gamma lambda kappa_1 kappa_star rho", positive=True)
Delta = sp.Symbol("Delta", nonnegative=True)
Fstar = sp.Symbol("F_star", nonnegative=True)
sr2 = sp.Symbol("sigma_r^2", positive=True)
Vs, qs, ms, Vw, qw = sp.symbols("V_s q_s m_s V_w q_w", real=True)
V, Q, M, V0, z = sp.symbols("V Q M V^0 z", real=True)
Vhs, qhs, mhs, Vhw, qhw = sp.symbols(r"\hat{V}_s \hat{q}_s \hat{m}_s \hat{V}_w \hat{q}_w",
                                     real=True)

_w, _g = sp.symbols("w gamma_", real=True)
_G = mp_stieltjes_negative(_w, _g)
_Gp = mp_stieltjes_negative_derivative(_w, _g)
g_mu = numeric_function("g_mu", 2, lambda w, g: numpy_function(_G, (_w, _g))(w, g),
                        lambda w, g: mpmath_function(_G, (_w, _g))(w, g),
                        latex=r"g_\mu", shown_args=1)
g_mu_prime = numeric_function("g_mu_prime", 2, lambda w, g: numpy_function(_Gp, (_w, _g))(w, g),
                              lambda w, g: mpmath_function(_Gp, (_w, _g))(w, g),
                              latex=r"g'_\mu", shown_args=1)
# the five resolvent moments of the prior equations, in the positive-term form of
# theory.symbolic.spectra.mp_resolvent_moments (the textbook forms 1 - 2zg + z^2 g', g - zg',
# 1/gamma - 1 + z^2 g' lose every digit at z ~ 1e9 (small penalty) and near the atom of the
# spectrum at 0 (gamma > 1, z -> 0): tests/test_edges_spectra.py)
_zz = sp.Symbol("z_", positive=True)
_RM = mp_resolvent_moments(_zz, _g)
_RM_LATEX = {"D": r"\left(1 - z g_\mu\right)", "E": r"\left(\tfrac1\gamma - 1 + z g_\mu\right)",
             "B": r"\left(g_\mu - z g'_\mu\right)", "A": r"\left(1 - 2 z g_\mu + z^2 g'_\mu\right)",
             "C": r"\left(\tfrac1\gamma - 1 + z^2 g'_\mu\right)"}


def _moment(name):
    expr = _RM[name]

    def f_np(zv, gv):
        with np.errstate(divide="ignore", invalid="ignore"):  # np.select evaluates both branches
            return numpy_function(expr, (_zz, _g))(zv, gv)

    return numeric_function(f"mp_moment_{name}", 2, f_np,
                            lambda zv, gv: mpmath_function(expr, (_zz, _g))(zv, gv),
                            latex=_RM_LATEX[name], shown_args=0)


mom_D, mom_E, mom_B, mom_A, mom_C = (_moment(k) for k in "DEBAC")
# the normal cdf: the stable atom of theory.symbolic.atoms (erfcx-based tails, relative accuracy)
Phi = atoms.Phi


def _moment_of(C, powers):
    """E[prod x_i^k_i] for x ~ N(0, C) (moment generating function, exact)."""
    t = sp.symbols(f"t_0:{len(powers)}")
    mgf = sp.exp(sum(C[i, j] * t[i] * t[j] for i in range(len(t))
                     for j in range(len(t))) / 2)
    for ti, k in zip(t, powers):
        mgf = sp.diff(mgf, ti, k)
    return mgf.subs({ti: 0 for ti in t})


def channel_mean(expr, vec, noise=None):
    r""":math:`\mathbb E` of ``expr`` over the Gaussian vector ``vec`` (and over ``noise``, a
    standard normal independent of ``vec``), in closed form when it is Gaussian in closed form.

    A factor polynomial in ``noise`` is integrated exactly (:math:`\mathbb E\xi^k =
    (k-1)!!`); what remains, if polynomial in the variables of ``vec``, by the moments of
    the Gaussian (exact: the square loss, whose Moreau envelope is quadratic, with a linear
    teacher has no quadrature); anything else becomes an :func:`E` for the quadrature
    (over ``vec`` and ``noise`` together if the noise did not integrate out).

    Parameters
    ----------
    expr : sympy.Expr
        The integrand.
    vec : GaussianVector
        The Gaussian variables (from :func:`~theory.symbolic.expectation.gaussians`, with
        their covariance).
    noise : sympy.Symbol or None, optional
        A standard normal independent of ``vec`` that ``expr`` may hold.

    Returns
    -------
    sympy.Expr
        The expectation: a closed form, or an expression holding an :func:`E` node.
    """
    expr = sp.sympify(expr)
    if noise is not None and expr.has(noise):
        try:
            pn = sp.Poly(sp.expand(expr), noise)
            expr = sum(c * (sp.factorial2(k[0] - 1) if k[0] % 2 == 0 else 0)
                       for k, c in pn.terms())
        except sp.PolynomialError:
            cov = sp.diag(vec.cov, sp.Matrix([[1]]))
            names = " ".join(str(v) for v in vec) + f" {noise}"
            vec3 = gaussians(names, cov=cov)
            sub = dict(zip(vec3, (*vec, noise)))
            return E(expr.xreplace({v: k for k, v in sub.items()}), over=vec3)
    vars_ = tuple(vec)
    if not expr.has(*vars_):
        return sp.factor(sp.cancel(expr))
    try:
        poly = sp.Poly(sp.expand(expr), *vars_)
    except sp.PolynomialError:
        return E(expr, over=vec)
    C = sp.Matrix(vec.cov)
    return sp.factor(sp.cancel(sum(c * _moment_of(C, k) for k, c in poly.terms())))


def build_system(loss, teacher, noisy: bool) -> SaddlePointSystem:
    """The saddle-point system for a loss and a teacher channel (objects or registry names).

    Parameters
    ----------
    loss : :class:`theory.losses.Loss` or registry name
    teacher : :class:`theory.losses.Channel` or registry name
    noisy : bool, whether the label noise :math:`\\Delta + F_\\star^2` may be > 0 (regression
        teachers: the noise is one more Gaussian variable unless it integrates out exactly)

    Returns
    -------
    SaddlePointSystem
    """
    loss, teacher = get_loss(loss), get_channel(teacher)
    features = {}
    steps_extra = []
    noise_var = Delta + Fstar**2
    if teacher.discrete:
        # the teacher field integrated out given omega_1 (module docstring): 1-D expectations
        (w1,) = vec = gaussians("omega_1", cov=[[Q]])
        mu = M * w1 / Q
        m_ = sp.Dummy("mu")
        labels, dlabels = [], {}
        for yv in teacher.labels:
            pm = teacher.smoothed(sp.Integer(yv), m_, V0, Delta)
            labels.append((sp.Integer(yv), pm.subs(m_, mu)))
            # Stein: E[(omega_0 - mu) P(y|omega_0) | omega_1] / V^0 = d/dmu E[P(y|omega_0)]
            dlabels[yv] = sp.diff(pm, m_).subs(m_, mu)
        feats = []
        for yv in teacher.labels:
            for c, wd in loss.features(V):
                feats.append((yv * c if loss.margin else c, wd))
        features[w1] = feats + [(0, teacher.smoothing_width(V0, Delta) * Q / M)]

        def pieces(yv):
            return loss.prox_symbolic(yv, w1, V)

        def chan(fn):
            return channel_mean(sum(py * fn(yv) for yv, py in labels), vec)

        e_V = chan(lambda yv: (1 - pieces(yv)[1]) / V)
        e_q = chan(lambda yv: (pieces(yv)[0] - w1) ** 2 / V**2)
        e_m = channel_mean(sum(dlabels[int(yv)] * (pieces(yv)[0] - w1) / V
                               for yv, _ in labels), vec)
        e_l = chan(lambda yv: pieces(yv)[2])
        if teacher.name == "sign":
            mse = 1 - 2 * sp.sqrt(2 / (sp.pi * rho)) * M + Q
        else:
            mse = None
    elif loss.residual and teacher.f0(sp.Symbol("w")) == sp.Symbol("w"):
        # Gaussian channel, loss of y - z: everything depends on r = y - omega_1 alone,
        # r ~ N(0, rho + Delta + F_star^2 - 2M + Q), Cov(omega_0 - M omega_1/Q, r) = V^0
        (r,) = vec = gaussians("r", cov=[[sr2]])
        steps_extra.append((sr2, rho + noise_var - 2 * M + Q))
        eta, deta, lval = loss.prox_symbolic(r, sp.Integer(0), V)  # eta(y, w) = w + eta(r, 0)
        e_V = channel_mean((1 - deta) / V, vec)
        e_q = channel_mean(eta**2 / V**2, vec)
        e_m = channel_mean(r * eta, vec) / (sr2 * V)
        e_l = channel_mean(lval, vec)
        mse = rho - 2 * M + Q + Fstar**2
    else:
        vec = gaussians("omega_0 omega_1", cov=[[rho, M], [M, Q]])
        w0, w1 = vec
        f0 = teacher.f0(w0)
        xi = sp.Symbol("xi", real=True)
        yl = f0 + sp.sqrt(noise_var) * xi if noisy else f0
        eta, deta, lval = loss.prox_symbolic(yl, w1, V)
        nz = xi if noisy else None
        e_V = channel_mean((1 - deta) / V, vec, nz)
        e_q = channel_mean((eta - w1) ** 2 / V**2, vec, nz)
        e_m = channel_mean((w0 - M * w1 / Q) / V0 * (eta - w1) / V, vec, nz)
        e_l = channel_mean(lval, vec, nz)
        mse = channel_mean((f0 - w1) ** 2, vec) + Fstar**2
    mD, mE, mB, mA, mC = (m(z, gamma) for m in (mom_D, mom_E, mom_B, mom_A, mom_C))
    steps = [
        (V, k1**2 * Vs + ks**2 * Vw),
        (Q, k1**2 * qs + ks**2 * qw),
        (M, k1 * ms),
        (V0, rho - M**2 / Q),
        *steps_extra,
        (Vhs, alpha / gamma * k1**2 * e_V),
        (qhs, alpha / gamma * k1**2 * e_q),
        (mhs, alpha / gamma * k1 * e_m),
        (Vhw, alpha * ks**2 * e_V),
        (qhw, alpha * ks**2 * e_q),
        (z, (lam + Vhw) / Vhs),
    ]
    a = rho * mhs**2 + qhs
    updates = {
        Vs: mD / Vhs,
        qs: a / Vhs**2 * mA + qhw / Vhs**2 * mB,
        ms: rho * mhs / Vhs * mD,
        Vw: gamma / (lam + Vhw) * mE,
        qw: gamma * qhw / (lam + Vhw) ** 2 * mC + gamma * a / Vhs**2 * mB,
    }
    obs = {}
    if teacher.name == "sign":
        # 0-1 errors (theory.conventions, Sheppard's formula): against the clean label
        # sign(omega_0), and against a fresh noisy label sign(omega_0 + sqrt(Delta) zeta), whose
        # field is Gaussian with variance rho + Delta and covariance M with omega_1
        clean = sp.acos(M / sp.sqrt(rho * Q)) / sp.pi
        obs["test_error"] = clean
        obs["test_error_clean"] = clean
        obs["test_error_noisy"] = sp.acos(M / sp.sqrt((rho + Delta) * Q)) / sp.pi
        # E(sign(omega_0) - omega_1)^2 = 1 - 2 E[sign(omega_0) omega_1] + Q
        obs["test_mse"] = mse
    elif mse is not None:  # against the noiseless target f0(omega_0) (+ F_star^2)
        obs["test_error"] = mse
    obs["train_loss"] = e_l
    obs["train_objective"] = e_l + lam * qw / (2 * alpha)
    obs["q_w"] = qw
    cons = [Constraint(Vs, "V_s > 0"), Constraint(Vw, "V_w > 0"),
            Constraint(qs, "q_s >= 0", strict=False), Constraint(qw, "q_w >= 0", strict=False),
            Constraint(V0, "teacher-student overlap admissible (rho - M^2/Q > 0)"),
            Constraint(Vhs, "hat V_s > 0")]
    return SaddlePointSystem(
        name=f"rf_convex[{loss},{teacher}]", state=(Vs, qs, ms, Vw, qw),
        parameters=(alpha, gamma, lam, k1, ks, rho, Delta, Fstar), steps=steps,
        updates=updates, observables=obs, constraints=cons,
        sections={V: "where", Vhs: "conjugate (channel) equations:",
                  "updates": r"prior equations ($g_\mu$: Stieltjes transform of $FF^\top/p$):"},
        reference=REFERENCES["gerace2020"].cite("Sec. 2, saddle-point equations"),
        latex_names={ks: r"\kappa_\star", Fstar: r"F_\star", sr2: r"\sigma_r^2"},
        features=features)


_SYSTEMS: dict = {}


def _loss_check(name, v):
    """A registered loss name (``"huber"``, ``"huber(delta=0.5)"``) or a Loss instance."""
    get_loss(v)
    return v


def _teacher_check(name, v):
    get_channel(v)
    return v


_loss_check.options = tuple(LOSSES)  # type: ignore[attr-defined]  # listed by `theory models`
_teacher_check.options = tuple(CHANNELS)  # type: ignore[attr-defined]


@dataclass(frozen=True, kw_only=True)
class RFConvexParams:
    r"""Validated parameters of :class:`RFConvex` (keyword-only, frozen).

    Attributes
    ----------
    alpha : float, default 2.0
        :math:`\alpha = n/p`: samples per feature (> 0).
    gamma : float, default 0.5
        :math:`\gamma = d/p`: input dimension per feature (> 0).
    lam : float, default 1e-2
        :math:`\lambda`: l2 penalty :math:`(\lambda/2)\|w\|^2` (>= 0; 0 only for margin losses
        above the separability threshold).
    activation : str, default "erf"
        :math:`\sigma`: registry name or expression in x.
    loss : str or Loss, default "logistic"
        Training loss (:mod:`theory.losses` registry name, e.g. ``"huber(delta=0.5)"``, or a
        Loss instance).
    teacher : str or Channel, default "sign"
        Teacher :math:`f_0` (:mod:`theory.losses` channel).
    rho : float, default 1.0
        :math:`\rho = \|\theta\|^2/d` (> 0).
    Delta : float, default 0.0
        :math:`\Delta`: label-noise variance (sign teacher: on the pre-activation).
    Fstar : float, default 0.0
        :math:`F_\star`: norm of the nonlinear part of the target (effective noise of variance
        :math:`F_\star^2`; ``rf_ridge``'s convention).
    """
    alpha: float = param(2.0, "α = n/p: samples per feature")
    gamma: float = param(0.5, "γ = d/p: input dimension per feature")
    lam: float = param(1e-2, "λ: l2 penalty (λ/2)‖w‖² (0 allowed for margin losses "
                       "(logistic, hinge, ...) above the separability threshold)", nonnegative)
    activation: str = param("erf", "σ: activation (registry name or expression in x)",
                            activation_check)
    loss: str = param("logistic", "training loss (theory.losses registry name, e.g. "
                      "huber(delta=0.5), or a Loss instance)", _loss_check)
    teacher: str = param("sign", "teacher f0 (theory.losses channel)", _teacher_check)
    rho: float = param(1.0, "ρ: teacher norm ‖θ‖²/d")
    Delta: float = param(0.0, "Δ: label-noise variance (sign teacher: on the pre-activation)",
                         nonnegative)
    Fstar: float = param(0.0, "F⋆: norm of the nonlinear part of the target (effective noise "
                         "of variance F⋆²; rf_ridge's convention)", nonnegative)

    def __post_init__(self):
        validate(self)
        loss, teacher = get_loss(self.loss), get_channel(self.teacher)
        if loss.margin and not teacher.discrete:
            raise InputError("teacher", self.teacher, "a teacher with labels +-1 (sign) with "
                             f"the {loss} loss (labels must be +-1)")
        if self.Fstar > 0 and not teacher.accepts_fstar:
            raise InputError("Fstar", self.Fstar, f"0 with the {teacher} teacher",
                             hint="a nonlinear part inside the sign is label noise: add "
                             "Fstar^2 to Delta")
        if self.lam == 0:
            if not loss.margin:
                raise InputError("lam", self.lam, f"> 0 for the {loss} loss", hint="the "
                                 "ridgeless (min-norm) limit of the square loss is model "
                                 "rf_ridge at lam = 0")
            _check_not_separable(self)


@register
class RFConvex(Model):
    r"""Random features with a convex loss and an l2 penalty (``theory solve rf_convex``).

    The saddle-point equations of Gerace, Loureiro, Krzakala, Mézard & Zdeborová
    (arXiv:2002.09339v2, Sec. 2; module docstring) for any loss, penalty and teacher of
    :mod:`theory.losses`; for the square loss and a linear teacher they reproduce ``rf_ridge``
    exactly (:data:`theory.conventions.RF_CORRESPONDENCE`).
    """
    name = "rf_convex"
    title = "random features, convex loss + l2 (Gerace et al. replica equations)"
    reference = REFERENCES["gerace2020"].cite("Sec. 2, saddle-point equations")
    Params = RFConvexParams
    hint = ("small lam near the interpolation threshold needs more iterations: "
            "max_iter, or method='damped' with damping=0.5")
    #: what each observable is (shown by ``theory models``; :mod:`theory.conventions`)
    observable_docs = {
        "test_error": "teacher linear/tanh: E(f0(omega_0) - yhat)^2 against the noiseless "
                      "target; teacher sign: test_error_clean",
        "test_error_clean": "teacher sign: P(sign yhat != sign omega_0) = arccos(M/sqrt(rho Q))/pi,"
                            " the 0-1 error against the clean teacher label",
        "test_error_noisy": "teacher sign: P(sign yhat != y), y = sign(omega_0 + sqrt(Delta) "
                            "zeta) a fresh noisy label: arccos(M/sqrt((rho + Delta) Q))/pi",
        "test_mse": "teacher sign: E(sign omega_0 - yhat)^2",
        "train_loss": "(1/n) sum_mu loss(y_mu, yhat_mu) at the minimiser",
        "train_objective": "train_loss + lam q_w/(2 alpha)",
        "q_w": "||w||^2/p",
    }
    #: the exact map to ``rf_ridge`` for the square loss (shown by ``theory models``)
    correspondence = RF_CORRESPONDENCE
    #: old parameter names (removed; the CLI names the new one)
    renamed_parameters = {"noise": "Delta (the same label-noise variance)"}

    def system(self, p):
        r"""The saddle-point system for the loss and teacher of ``p`` (:func:`build_system`, cached).

        Parameters
        ----------
        p : RFConvexParams
            Validated parameters.

        Returns
        -------
        SaddlePointSystem
            State ``V_s``, ``q_s``, ``m_s``, ``V_w``, ``q_w``.
        """
        key = (get_loss(p.loss), get_channel(p.teacher), p.Delta > 0 or p.Fstar > 0)
        if key not in _SYSTEMS:
            _SYSTEMS[key] = build_system(*key)
        return _SYSTEMS[key]

    def values(self, p):
        r"""Numbers for the system's parameter symbols, :math:`\kappa_1, \kappa_\star` from the
        activation.

        Parameters
        ----------
        p : RFConvexParams
            Validated parameters.

        Returns
        -------
        dict {str: float}
            ``alpha``, ``gamma``, ``lambda``, ``kappa_1``, ``kappa_star``, ``rho``, ``Delta``,
            ``F_star``.

        Raises
        ------
        InputError
            An activation with :math:`\kappa_1 = 0` (no linear signal: the equations degenerate).
        """
        _, m1, mstar = activation_constants(p.activation)
        if m1 == 0:
            raise InputError("activation", p.activation, "an activation with mu_1 != 0",
                             hint="with mu_1 = 0 the features carry no linear signal and "
                             "these equations degenerate (m_s = 0)")
        return {"alpha": p.alpha, "gamma": p.gamma, "lambda": p.lam, "kappa_1": m1,
                "kappa_star": mstar, "rho": p.rho, "Delta": p.Delta, "F_star": p.Fstar}

    def values_mp(self, p, dps):
        r""":meth:`values` with kappa_1, kappa_star at ``dps`` digits (for the mpmath polish).

        Parameters
        ----------
        p : RFConvexParams
            Validated parameters.
        dps : int
            Decimal digits of :math:`\kappa_1, \kappa_\star`.

        Returns
        -------
        dict {str: float or mpmath.mpf}
            As :meth:`values`, ``kappa_1`` and ``kappa_star`` as mpf.
        """
        _, m1, ms = activation_constants_mp(p.activation, dps)
        return {**self.values(p), "kappa_1": m1, "kappa_star": ms}

    def simulation(self, p, d: int) -> dict:
        r"""Arguments of :func:`theory.simulate.simulate_random_features` at input size d.

        Parameters
        ----------
        p : RFConvexParams
            Validated parameters.
        d : int
            Input dimension (p = d/gamma features, n = alpha p samples).

        Returns
        -------
        dict
            Keyword arguments of :func:`~theory.simulate.simulate_random_features` (without
            ``seeds``).
        """
        nfeat = max(1, round(d / p.gamma))
        return {"d": int(d), "p": nfeat, "n": max(1, round(p.alpha * nfeat)),
                "activation": p.activation, "loss": p.loss, "lam": p.lam,
                "teacher": p.teacher, "rho": p.rho, "Delta": p.Delta, "Fstar": p.Fstar}

    #: generic starting states (order parameters by name)
    GENERIC_STARTS = ({"V_s": 1.0, "q_s": 1.0, "m_s": 0.5, "V_w": 1.0, "q_w": 1.0},
                      {"V_s": 0.1, "q_s": 4.0, "m_s": 1.5, "V_w": 0.1, "q_w": 4.0})

    def starts(self, p):
        r"""A start already at the fixed point when the log-space pre-solve finds it, else the
        generic starts.

        All five order parameters are positive at a physical fixed point, and they live on
        very different scales near the interpolation peak (at alpha = 6.25, gamma = 0.5,
        lam = 1e-5: V_s = 84, q_w = 1.4e4; the map's Jacobian has an eigenvalue 0.9955). Anderson
        acceleration on the raw state then crawls (the least-squares step is dominated by the
        q's: 491 s for that point), while the same iteration on u = log(state),
        u <- log F(e^u), reaches 1e-13 in 15-30 map evaluations from the generic start
        (the fixed point is the same; the residual is then relative in every component).
        The pre-solve stops at 1e-7: the generic solver finishes in the original variables
        with the method, budget and tolerance asked, and its node-level check. The saddle
        point of a strictly convex problem is unique, so one converged pre-solve replaces the
        other starts.

        Parameters
        ----------
        p : RFConvexParams
            Validated parameters.

        Returns
        -------
        list of dict {str: float}
            One pre-solved state, or :attr:`GENERIC_STARTS`.
        """
        self.last_presolve = None
        names = ("V_s", "q_s", "m_s", "V_w", "q_w")
        for st in self.GENERIC_STARTS:
            x = self.log_presolve(p, np.array([st[n] for n in names]))
            if x is not None:
                return [dict(zip(names, x.tolist()))]
        if p.lam < 1e-3:
            # continuation in lam (log space), one decade at a time from lam = 1e-3: each step
            # starts close to its answer (the separable phase at lam = 1e-8 needs it)
            x = self.lam_path(p, [*10.0 ** -np.arange(3.0, -np.log10(max(p.lam, 1e-300)),
                                                       1.0), p.lam])[-1][1]
            if x is not None:
                return [dict(zip(names, x.tolist()))]
        return [dict(s) for s in self.GENERIC_STARTS]

    def lam_path(self, p, lams) -> list:
        r"""[(lam, state or None)] along ``lams`` (log-space pre-solves, each from the last).

        Parameters
        ----------
        p : RFConvexParams
            Validated parameters.
        lams : sequence of float
            Penalties, in the order of the continuation.

        Returns
        -------
        list of (float, numpy.ndarray or None)
            Each lam with its pre-solved state (shape (5,): V_s, q_s, m_s, V_w, q_w), None from
            the first failure on.
        """
        names = ("V_s", "q_s", "m_s", "V_w", "q_w")
        x = np.array([self.GENERIC_STARTS[0][n] for n in names])
        out = []
        prev = None
        for lam_k in lams:
            pk = dataclasses.replace(p, lam=float(lam_k)) if lam_k > 0 else p
            xk = self.log_presolve(pk, x)
            if xk is None and prev is not None and lam_k > 0:  # halve the step (in log lam)
                for f in (0.5, 0.75, 0.875):
                    mid = float(prev ** (1 - f) * lam_k ** f)
                    xm = self.log_presolve(dataclasses.replace(p, lam=mid), x)
                    if xm is None:
                        break
                    x = xm
                    xk = self.log_presolve(pk, x)
                    if xk is not None:
                        break
            prev = float(lam_k)
            out.append((float(lam_k), xk))
            if xk is None:
                out += [(float(v), None) for v in lams[len(out):]]
                break
            x = xk
        return out

    def log_presolve(self, p, x0, *, level=None, tol=1e-7, max_iter=100):
        r"""Anderson iteration on log(state) (see :meth:`starts`); the state, or None.

        The trajectory (q_w and V = kappa_1^2 V_s + kappa_star^2 V_w per evaluation) is kept in
        ``self.last_presolve`` for the separability diagnosis of :meth:`diagnose`.

        Parameters
        ----------
        p : RFConvexParams
            Validated parameters.
        x0 : numpy.ndarray of float, shape (5,)
            Positive start (V_s, q_s, m_s, V_w, q_w).
        level : int or None, optional
            Quadrature node level (default: the model's).
        tol : float, default 1e-7
            Tolerance of the pre-solve.
        max_iter : int, default 100
            Iteration budget.

        Returns
        -------
        numpy.ndarray of float, shape (5,), or None
            The fixed point, or None when the pre-solve failed or ended at an unphysical point.
        """
        from ..numeric.solvers import solve_fixed_point
        from ..numeric.system import compile_system
        from .base import _pvals

        cs = compile_system(self.system(p))
        pv = _pvals(cs.system, self.values(p))
        lev = min(self.default_level if level is None else level, cs.max_level)
        track = []

        def F(u):
            x = np.exp(u)
            fx = cs.map(x, pv, lev)
            track.append((float(x[4]), float(x[0]), float(x[3])))
            with np.errstate(all="ignore"):
                return np.log(fx)

        try:
            fp = solve_fixed_point(F, np.log(x0), tol=tol, method="anderson", max_iter=max_iter)
        except Exception:  # noqa: BLE001 -- any failure: the generic starts take over
            return None
        self.last_presolve = {"track": track, "converged": fp.converged}
        if not fp.converged or not np.all(np.isfinite(fp.x)):
            return None
        x = np.exp(fp.x)
        if cs.constraint_violations(x, pv, lev):  # an unphysical fixed point: not a start
            self.last_presolve["converged"] = False
            return None
        return x


# ---------------------------------------------------------------- separability threshold
def signal_fraction(gamma: float, kappa_1: float, kappa_star: float) -> float:
    r"""Fraction :math:`s^2/\rho` of the teacher field that is linear in the features.

    With Gaussian-equivalent features :math:`x = \kappa_1F^\top c/\sqrt d + \kappa_\star\xi`,
    :math:`\Sigma = \operatorname{Cov}(x) = \kappa_1^2F^\top F/d + \kappa_\star^2 I_p` and
    :math:`\operatorname{Cov}(x, \omega_0) = \kappa_1F^\top\theta/d`, the best linear
    predictor of :math:`\omega_0` from :math:`x` has variance
    :math:`s^2 = \kappa_1^2\theta^\top F\Sigma^{-1}F^\top\theta/d^2`. For
    :math:`\theta` independent of F with :math:`\|\theta\|^2 = \rho d`, in the limit,
    :math:`s^2 = \rho\,\frac1d\sum_i \frac{\kappa_1^2\lambda_i}{\kappa_1^2\lambda_i
    + \kappa_\star^2}` over the eigenvalues :math:`\lambda_i = w_i/\gamma` of
    :math:`FF^\top/d` (:math:`w_i` those of :math:`FF^\top/p`), i.e.
    :math:`s^2 = \rho\int\frac{w}{w+z}d\mu(w) = \rho\,(1 - z\,g_\mu(-z))`,
    :math:`z = \gamma\kappa_\star^2/\kappa_1^2`.

    Parameters
    ----------
    gamma : float
        :math:`\gamma = d/p`.
    kappa_1 : float
        :math:`\kappa_1` of the activation (non-zero).
    kappa_star : float
        :math:`\kappa_\star` of the activation.

    Returns
    -------
    float
        :math:`s^2/\rho \in [0, 1]`.
    """
    zz = gamma * kappa_star**2 / kappa_1**2
    g = float(numpy_function(_G, (_w, _g))(-zz, gamma))
    return 1.0 - zz * g


def separability_threshold(gamma: float, activation: str = "erf", rho: float = 1.0,
                           Delta: float = 0.0) -> float:
    r"""The sample ratio :math:`\alpha_{sep} = n/p` below which the random-features data of
    :class:`RFConvex` (sign teacher) are linearly separable with probability -> 1.

    Derivation. Write :math:`\omega_0 = s v + \sqrt{\rho - s^2}\,\zeta'` with :math:`v` the
    standardised best linear predictor of the teacher field from the (Gaussian-equivalent)
    features (:func:`signal_fraction`) and :math:`\zeta'` independent of the features. Whitened,
    the features are isotropic Gaussian in p dimensions and the label depends on them only
    through :math:`v`: :math:`P(y = 1|v) = \Phi(s v/\sqrt{\rho - s^2 + \Delta})`. For such
    data (isotropic Gaussian design, a label that depends on one direction, no intercept)
    Candes & Sur (arXiv:1804.09753v2, Thm. 1 with the intercept terms dropped) show that the
    data are separable w.h.p. iff :math:`p/n > h`, with

    .. math:: h = \min_{t\in\mathbb R}\mathbb E[(t\,Y V - Z)_+^2]
        = \min_t 2\,\mathbb E_V\bigl[\Phi(cV)\,\psi(tV)\bigr], \qquad
        \psi(a) = \mathbb E_Z(a - Z)_+^2 = (1 + a^2)\Phi(a) + a\varphi(a),

    :math:`c = s/\sqrt{\rho - s^2 + \Delta}` (the V -> -V symmetry gives the factor 2). So
    :math:`\alpha_{sep} = 1/h`. A label independent of v (:math:`c = 0`) gives h = 1/2, Cover's
    capacity :math:`\alpha = 2`; a label linear-separable in the features (:math:`s^2 = \rho`,
    :math:`\Delta = 0`) gives h = 0: never separable-limited (:math:`\alpha_{sep} = \infty`).

    Below :math:`\alpha_{sep}` the logistic loss has no minimiser at lam = 0 (the norm of the
    estimator diverges like log(1/lam) as lam -> 0); above it the lam -> 0 limit is finite.

    Parameters
    ----------
    gamma : float
        :math:`\gamma = d/p`.
    activation : str, default "erf"
        Registry name or expression in x.
    rho : float, default 1.0
        :math:`\rho = \|\theta\|^2/d`.
    Delta : float, default 0.0
        Label-noise variance (on the pre-activation).

    Returns
    -------
    float
        :math:`\alpha_{sep}` (inf when the labels are linear-separable in the features).
    """
    from scipy import integrate, optimize

    Phi_ = atoms.Phi._numpy_impl  # the one Phi (theory.symbolic.atoms)

    _, k1, kst = activation_constants(activation)
    frac = signal_fraction(gamma, k1, kst)
    s2 = rho * frac
    resid = rho - s2 + Delta
    if resid <= 0:
        return float("inf")
    c = np.sqrt(s2 / resid)

    def psi(a):
        return (1 + a * a) * Phi_(a) + a * np.exp(-a * a / 2) / np.sqrt(2 * np.pi)

    def h(t):
        f = lambda v: 2 * Phi_(c * v) * psi(t * v) * np.exp(-v * v / 2) / np.sqrt(  # noqa: E731
            2 * np.pi)
        return integrate.quad(f, -np.inf, 0, epsabs=1e-15, epsrel=1e-13)[0] + integrate.quad(
            f, 0, np.inf, epsabs=1e-15, epsrel=1e-13)[0]

    # h is convex in t (an expectation of a convex function of t); the minimiser is t <= 0
    res = optimize.minimize_scalar(h, bounds=(-60.0, 0.0), method="bounded",
                                   options={"xatol": 1e-10})
    hmin = min(res.fun, h(0.0))
    return float("inf") if hmin <= 0 else 1.0 / hmin


def _check_not_separable(p) -> None:
    """At lam = 0 refuse a separable point, with the numbers that show the divergence."""
    a_sep = separability_threshold(p.gamma, p.activation, p.rho, p.Delta)
    if p.alpha >= a_sep:
        return
    model = RFConvex()
    path = model.lam_path(dataclasses.replace(p, lam=1e-4), [1e-4, 1e-5, 1e-6, 1e-7, 1e-8])
    got = [(lam_k, x) for lam_k, x in path if x is not None and lam_k in (1e-4, 1e-6, 1e-8)]
    _, k1, kst = activation_constants(p.activation)
    nums = ", ".join(f"q_w = {x[4]:.4g}, V = {k1**2 * x[0] + kst**2 * x[3]:.4g} at lam = "
                     f"{lam_k:g}" for lam_k, x in got)
    where = (f"alpha = {p.alpha:g} < alpha_sep = {a_sep:.6g}, the separability threshold of "
             f"these random features at gamma = {p.gamma:g} "
             "(theory.models.rf_convex.separability_threshold)")
    if get_loss(p.loss).value(1.0, 2.0) > 0:  # positive beyond the margin (logistic, ...)
        msg = (f"data separable at alpha = {p.alpha:g}: ||w|| -> inf as lam -> 0 ({where}; "
               f"{nums}: q_w and V keep growing as lam decreases, ||w|| ~ log(1/lam) "
               "asymptotically)")
    else:
        msg = (f"data separable at alpha = {p.alpha:g}: the {p.loss} minimiser at lam = 0 is "
               f"not "
               f"unique (every separating w scaled up has zero loss); lam -> 0+ selects the "
               f"max-margin solution ({where}; {nums})")
    raise InputError("lam", p.lam, "> 0 here", hint=msg)
