r"""Random-features ridge regression: the closed form of Mei & Montanari.

Mei & Montanari, "The generalization error of random features regression: precise asymptotics
and double descent curve", arXiv:1908.05355v5 (CPAM 2022), Definition 1 and Theorem 1.

Setting (their notation): inputs :math:`x \sim \mathrm{Unif}(\mathbb S^{d-1}(\sqrt d))`,
features :math:`\sigma(\langle\theta_i, x\rangle/\sqrt d)`, :math:`i \le N`, target
:math:`y = \beta_0 + \langle\beta_1, x\rangle + f^{NL}(x) + \varepsilon` with
:math:`\|\beta_1\|^2 \to F_1^2`, :math:`\mathbb E f^{NL}(x)^2 \to F_\star^2`,
:math:`\mathbb E\varepsilon^2 = \tau^2`; ridge
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

.. math:: R = F_1^2\,\mathscr B + (\tau^2 + F_\star^2)\,\mathscr V + F_\star^2 .

The constant :math:`\mu_0` of the activation does not enter (Theorem 1). The same curve from the
generic replica equations with a Marchenko--Pastur spectrum is the model ``rf_convex`` with
``loss=square, teacher=linear`` (see :meth:`RFRidge.replica_equivalent`); the tests check that
the two agree to 1e-8.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..errors import InputError
from ..numeric.hermite import hermite_expansion
from ..numeric.solvers import residual_of
from ..numeric.system import compile_system
from ..references import REFERENCES
from ..symbolic.system import Constraint, SaddlePointSystem
from .base import (Model, SolveResult, activation_check, make_params, nonnegative, param,
                   register, validate)

psi1, psi2, lam, mu1, mustar, F1, Fstar, tau = sp.symbols(
    "psi_1 psi_2 lambda mu_1 mu_star F_1 F_star tau", positive=True)
a1, a2 = sp.symbols("a_1 a_2", positive=True)
zeta, lbar, s, chi = sp.symbols("zeta lambdabar s chi", real=True)
E0, E1, E2, B, V = sp.symbols(r"\mathcal{E}_0 \mathcal{E}_1 \mathcal{E}_2 \mathcal{B} \mathcal{V}",
                              real=True)


def mm_system() -> SaddlePointSystem:
    """Definition 1 of Mei & Montanari (arXiv:1908.05355v5) as a saddle-point system."""
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
        "test_error": F1**2 * B + (tau**2 + Fstar**2) * V + Fstar**2,
        "bias": B,
        "variance": V,
    }
    constraints = [Constraint(a1, r"Im nu_1 > 0"), Constraint(a2, r"Im nu_2 > 0"),
                   Constraint(B, "bias >= 0", strict=False),
                   Constraint(V, "variance >= 0", strict=False)]
    return SaddlePointSystem(
        "rf_ridge", (a1, a2), (psi1, psi2, lam, mu1, mustar, F1, Fstar, tau), steps, updates,
        observables, constraints,
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
    psi1: float = param(2.0, "p/d: features per input dimension (N/d in the paper)")
    psi2: float = param(1.5, "n/d: samples per input dimension")
    lam: float = param(1e-3, "ridge lambda, normalised as in the paper: N lambda/d ||a||^2")
    activation: str = param("relu", "activation (registry name or expression in x)",
                            activation_check)
    F1: float = param(1.0, "norm of the linear part of the target", nonnegative)
    Fstar: float = param(0.0, "norm of the nonlinear part of the target", nonnegative)
    tau: float = param(0.0, "label-noise standard deviation", nonnegative)

    def __post_init__(self):
        validate(self)


_MU: dict = {}


def _act_key(name: str):
    """Cache key of an activation: what defines it (expression and closed forms), not its name
    alone -- ``register(name, ..., overwrite=True)`` must not leave the old constants."""
    from ..symbolic.activations import REGISTRY

    a = REGISTRY.get(name)  # families and typed expressions are defined by their text
    return (name,) if a is None else (name, a.expr, a.mu_closed)


def activation_constants(name: str):
    """(mu0, mu1, mu_star) of an activation in float64 (cached)."""
    key = _act_key(name)
    if key not in _MU:
        h = hermite_expansion(name, 2, exact=False)
        _MU[key] = (float(h.mu[0]), float(h.mu[1]), float(h.mu_star))
    return _MU[key]


_MU_MP: dict = {}


def activation_constants_mp(name: str, dps: int):
    """(mu0, mu1, mu_star) as mpf at ``dps`` digits (exact values where known, else mpmath)."""
    key = (_act_key(name), dps)
    if key not in _MU_MP:
        h = hermite_expansion(name, 2, dps=dps)
        _MU_MP[key] = (h.mu[0], h.mu[1], h.mu_star)
    return _MU_MP[key]


@register
class RFRidge(Model):
    name = "rf_ridge"
    title = "random-features ridge regression (Mei-Montanari closed form)"
    reference = REFERENCES["meimontanari2019"].cite("Definition 1, Theorem 1")
    Params = RFRidgeParams
    hint = "the fixed point of Definition 1 is unique for lam > 0; check mu_star > 0"

    def system(self, p):
        return _system()

    def values(self, p):
        _, m1, ms = activation_constants(p.activation)
        if ms <= 0:
            raise InputError("activation", p.activation, "an activation with mu_star > 0 "
                             "(a nonlinear part)", hint="for a linear activation use "
                             "rf_convex (the closed form divides by mu_star)")
        return {"psi_1": p.psi1, "psi_2": p.psi2, "lambda": p.lam, "mu_1": m1,
                "mu_star": ms, "F_1": p.F1, "F_star": p.Fstar, "tau": p.tau}

    def values_mp(self, p, dps):
        """:meth:`values` with mu_1, mu_star at ``dps`` digits (for the mpmath polish)."""
        _, m1, ms = activation_constants_mp(p.activation, dps)
        return {**self.values(p), "mu_1": m1, "mu_star": ms}

    def starts(self, p):
        # a_k(s) ~ psi_k / s for large s, and bounded by sqrt(psi_k / lambdabar) (no
        # interaction): a positive start below both
        _, _, ms = activation_constants(p.activation)
        lb = p.lam / ms**2
        sc = np.sqrt(p.psi1 * p.psi2 * lb)
        return [{"a_1": p.psi1 / (sc + 1.0), "a_2": p.psi2 / (sc + 1.0)}]

    def replica_equivalent(self, p) -> dict:
        """Parameters of ``rf_convex`` (square loss, linear teacher) for the same problem."""
        return {"alpha": p.psi2 / p.psi1, "gamma": 1.0 / p.psi1, "lam": p.psi2 * p.lam,
                "activation": p.activation, "loss": "square", "teacher": "linear",
                "rho": p.F1**2, "noise": p.tau**2 + p.Fstar**2, "Fstar": p.Fstar}

    def simulation(self, p, d: int) -> dict:
        """Arguments of :func:`theory.simulate.simulate_random_features` at input size d.

        N = psi1 d features, n = psi2 d samples on the sphere of radius sqrt(d); the ridge
        N lambda/d ||a||^2 with a = w/sqrt(N), times n/2, is the simulator's lambda/2 ||w||^2
        with lambda = psi2 lambda; the simulator's ``mse`` is the risk R of Theorem 1.
        """
        if p.F1 <= 0:
            raise InputError("F1", p.F1, "> 0 for a simulation (the teacher direction sets "
                             "the nonlinear part too)")
        return {"d": int(d), "p": max(1, round(p.psi1 * d)), "n": max(1, round(p.psi2 * d)),
                "activation": p.activation, "loss": "square", "lam": p.psi2 * p.lam,
                "teacher": "linear", "rho": p.F1**2,
                "noise": p.tau**2, "Fstar": p.Fstar, "sphere": True}

    # ------------------------------------------------------------------ fast curves
    def curve_fast(self, vary, values, *, tol=1e-10, **params):
        """All points of a curve at once: vectorised fixed point + Newton on (a1, a2)."""
        ps = [make_params(self, {**params, vary: float(v)}) for v in values]
        system = _system()
        cs = compile_system(system)
        pv = np.array([[self.values(p)[n] for n in system.parameter_names] for p in ps]).T
        x = np.array([[st["a_1"], st["a_2"]] for st in (self.starts(p)[0] for p in ps)]).T

        def G(x):
            out = cs.evaluate_arrays(x, pv)
            return np.array(out["__map__"]) - x, out

        for _ in range(40):  # damped iteration into the basin of the positive root
            g, _ = G(x)
            x = np.maximum(x + 0.5 * g, 1e-300)
        for _ in range(60):  # Newton with a finite-difference Jacobian (2 x 2 per point)
            g, _ = G(x)
            if np.max(np.abs(g) / np.maximum(1, np.abs(x))) < tol * 1e-2:
                break
            h = 1e-7 * np.maximum(np.abs(x), 1e-12)
            J = np.empty((2, 2, x.shape[1]))
            for k in range(2):
                xk = x.copy()
                xk[k] += h[k]
                J[:, k] = (G(xk)[0] - g) / h[k]
            det = J[0, 0] * J[1, 1] - J[0, 1] * J[1, 0]
            dx0 = (J[1, 1] * g[0] - J[0, 1] * g[1]) / det
            dx1 = (-J[1, 0] * g[0] + J[0, 0] * g[1]) / det
            x = np.maximum(x - np.array([dx0, dx1]), 0.5 * x)
        g, out = G(x)
        pts = []
        for i, p in enumerate(ps):
            xi = x[:, i]
            r = residual_of(xi, xi + g[:, i])
            ok = bool(r <= tol and np.all(xi > 0) and out["bias"][i] >= 0
                      and out["variance"][i] >= 0)
            if not ok:
                return None  # let the generic path solve (and report) every point
            pts.append(SolveResult(
                self.name, dataclasses.asdict(p), {"a_1": float(xi[0]), "a_2": float(xi[1])},
                {k: float(out[k][i]) for k in system.observables}, True, 0, r, tol,
                f"converged: residual {r:.2g} <= tol {tol:.1g} (vectorised Newton)",
                "vectorised-newton"))
        return pts
