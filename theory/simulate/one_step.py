r"""One giant gradient step on a two-layer network, then a ridge readout (finite size).

The setting of Cui, Pesce, Dandi, Krzakala, Lu, Zdeborová, Loureiro, "Asymptotics of feature
learning in two-layer networks after one gradient-step", ICML 2024 (arXiv:2402.04980v2,
Sec. 2--3, Definition 3.1), in the normalisation the authors' simulations use (digest
``shared/papers/one-step-digest.md`` Sec. 1.2 [C]; our words, not their code):

* inputs :math:`x \sim \mathcal N(0, I_d)`, teacher direction :math:`\theta_\star` uniform on the
  unit sphere, labels :math:`y = g(\langle\theta_\star, x\rangle) + \sqrt\Delta\,\xi`;
* network :math:`f(x; W, a) = a^\top\sigma(Wx)/\sqrt p`, :math:`p = \beta d`, rows of
  :math:`W^0` uniform on the unit sphere, :math:`a^0 = \mathbf 1_p/\sqrt p`;
* one full-batch gradient step on :math:`W` on :math:`n_0 = \alpha_0 d` fresh samples for the
  loss :math:`\frac1{2n_0}\sum_i (y_i - f(x_i))^2` with learning rate
  :math:`\eta = \tilde\eta\,p` (the code's scale), i.e. per neuron

  .. math:: w_k^1 = w_k^0 + \tilde\eta\,\frac1{n_0}\sum_{i=1}^{n_0}
            \big(y_i - f(x_i; W^0, a^0)\big)\,\sigma'(\langle w_k^0, x_i\rangle)\,x_i ;

* readout :math:`\hat a = \operatorname{argmin}_a \|y - \sigma(XW^{1\top})a/\sqrt p\|^2
  + \lambda\|a\|^2` (un-normalised sum, as in the authors' code) on :math:`n = \alpha d` other
  samples; test error :math:`\mathbb E(g(\langle\theta_\star, x\rangle) - \hat f(x))^2` on fresh
  points against the noiseless target.

The spike of :math:`W^1` (:func:`measure_spike`) is compared with the spiked random-features
(sRF) model :math:`W^1 = W + r\,u v^\top`, :math:`u = \mathbf 1_p`, rows of :math:`W` of norm
:math:`\sqrt c`, :math:`\|v\| = 1`, :math:`\gamma = \langle v, \theta_\star\rangle`.
Measured: :math:`r` = the mean over rows of :math:`\langle w^1_k, \hat v\rangle` (sign of
:math:`\hat v` fixed to make it positive; :math:`\hat v` the top right singular vector),
:math:`s_1/\sqrt p` (top singular value), :math:`\gamma = |\langle\hat v, \theta_\star\rangle|`,
:math:`c` = the mean of :math:`\|w^1_k - \langle w^1_k, \hat v\rangle\hat v\|^2\,d/(d-1)` (the
rows of :math:`W^1` minus its rank-one spike; :math:`d/(d-1)` puts back the share of a random
row along :math:`\hat v`), the spread of those row norms, and :math:`|\langle\hat u,
\mathbf 1_p\rangle|/\sqrt p`.

**The (c, r, γ) map** (:func:`predicted_map`). With :math:`\mu_1 = \mathbb E[z\sigma(z)]`,
:math:`\mu^\star_1 = \mathbb E[z g(z)]`, :math:`\mu^\star_2 = \mathbb E[(g(z) - \mu_0)^2] +
\Delta` (:math:`\mu_0 = \mathbb E\sigma(z)`: the residual :math:`y - f(x) \approx y - \mu_0` at
initialisation; for odd :math:`\sigma`, :math:`\Delta = 0` this is the digest's
:math:`\mathbb E g^2`):

.. math:: r = \tilde\eta\mu_1\sqrt{(\mu^\star_1)^2 + \mu^\star_2/\alpha_0},\qquad
          \gamma = \mu^\star_1\big/\sqrt{(\mu^\star_1)^2 + \mu^\star_2/\alpha_0},

the same in the slides and the authors' code, and two formulas for :math:`c`:

* ``"code"`` (authors' current ``theory.ipynb``):
  :math:`c = 1 + \tilde\eta^2\mu^\star_2\,\mathrm{Var}[\sigma'(z)]/\alpha_0`;
* ``"slides"`` (the talk, digest Sec. 1.3 [S]):
  :math:`c = 1 + \tilde\eta^2\mu_1^2\,\mu^\star_2\,\mathrm{Var}[z\sigma(z)]/\alpha_0`;
* ``"code_old"`` (the older run stored in the notebook): the code's with a factor
  :math:`\mu_1^2`.

Derivation (ours): split :math:`\sigma' = \mu_1 + \sigma'_\perp` (Stein: :math:`\mathbb E\sigma'
= \mu_1`). The :math:`\mu_1` part is common to all rows,
:math:`\tilde\eta\mu_1\frac1{n_0}\sum_i y_i x_i`, of squared norm
:math:`\tilde\eta^2\mu_1^2((\mu^\star_1)^2 + \mu^\star_2 d/n_0) = r^2` and overlap
:math:`\gamma` with :math:`\theta_\star`. The rest,
:math:`\tilde\eta\frac1{n_0}\sum_i y_i\sigma'_\perp(\langle w_k, x_i\rangle)x_i`, is centred
(its mean along :math:`w_k` is :math:`\tilde\eta(\mathbb E g - \mu_0)\mathbb E\sigma''`, which
must vanish: checked) and nearly independent across rows, of squared norm
:math:`\tilde\eta^2\frac d{n_0}\mathbb E[y^2]\,\mathbb E[\sigma_\perp'^2]`; added to a unit row it
gives the code's :math:`c`. With this learning-rate scale :math:`(\eta = \tilde\eta p)` none of
r, c, γ depends on :math:`\beta = p/d` (checked below at β = 0.5, 2); the slides' β-factors
belong to another, unstated, scale of η and are not used.

**Decision: the code's formula is kept** (``predicted_map(...)["kept"]``). Measured at
d = 2000, p = βd (β = 1 unless stated), σ = tanh, g = tanh unless stated, 5 seeds (mean ±
standard error; columns code / slides / old: the three formulas for c; r and γ are common);
``python -m theory.simulate.one_step 2000`` reruns it (about 4 min on one core)::

    setting           c meas.          code    slides  old     r meas.          r pred  γ meas.          γ pred
    η̃=1 α₀=0.5       1.0772 ± 0.0009  1.0769  1.1131  1.0282  0.6572 ± 0.0048  0.6511  0.5679 ± 0.0043  0.5635
    η̃=1 α₀=1         1.0381 ± 0.0006  1.0385  1.0566  1.0141  0.5278 ± 0.0066  0.5284  0.6971 ± 0.0046  0.6943
    η̃=2 α₀=0.5       1.3097 ± 0.0035  1.3076  1.4525  1.1129  1.3143 ± 0.0095  1.3022  0.5681 ± 0.0044  0.5635
    η̃=0.5 α₀=2       1.0044 ± 0.0001  1.0048  1.0071  1.0018  0.2270 ± 0.0020  0.2274  0.8057 ± 0.0041  0.8065
    η̃=3 α₀=1         1.3454 ± 0.0051  1.3461  1.5091  1.1270  1.5829 ± 0.0199  1.5853  0.6975 ± 0.0048  0.6943
    η̃=1 α₀=0.5 β=0.5  1.0755 ± 0.0006  1.0769  1.1131  1.0282  0.6393 ± 0.0059  0.6511  0.5591 ± 0.0065  0.5635
    η̃=1 α₀=0.5 β=2.0  1.0757 ± 0.0008  1.0769  1.1131  1.0282  0.6475 ± 0.0033  0.6511  0.5623 ± 0.0049  0.5635
    η̃=1 α₀=0.5 g=sin  1.0842 ± 0.0011  1.0843  1.1240  1.0309  0.6771 ± 0.0061  0.6725  0.5500 ± 0.0045  0.5463
    η̃=1 α₀=0.5 g=sign  1.1943 ± 0.0002  1.1950  1.2869  1.0716  0.9829 ± 0.0062  0.9835  0.4977 ± 0.0046  0.4914

The slides' :math:`c` is 27 to 460 standard errors from the measured value at every setting
(the older code's, 26 to 610); the code's :math:`c` is within 0.16% of it at all nine (within
2.3 standard errors, except 4.0 at η̃ = 0.5, α₀ = 2 and 3.5 at g = sign, gaps of 4e-4 and 7e-4:
the finite-size bias of c, which is -0.0012 at d = 500 at η̃ = 0.5, α₀ = 2). The measured
:math:`r` and :math:`\gamma` agree with the common formula within 1.9% (within 2.0 standard
errors), also at β = 0.5, 2 (no β-dependence at this scale of η). Finite-size bias of :math:`c`
measured at d = 250, 500, 1000, 2000 (η̃ = 1, α₀ = 0.5, 8, 8, 8, 5 seeds): -0.0065, -0.0015,
-0.0010, +0.0003; the tests allow 5% of c - 1 plus 0.002 at d = 500, shrinking as
:math:`d^{-1/2}`. No bias is resolved for r and γ.
The squared row norms of :math:`W^1` minus its spike scatter around c with standard deviation
0.039, 0.028, 0.020 at d = 500, 1000, 2000 (η̃ = 1, α₀ = 0.5): :math:`\propto d^{-1/2}`, so the
sRF's equal row norms hold in the limit; :math:`|\langle\hat u, \mathbf 1\rangle|/\sqrt p =
0.9992` at d = 2000 (:math:`u = \mathbf 1_p`).

The whole pipeline (step + readout) reproduces the test errors stored in the authors'
``Simulations.ipynb`` (σ = g = tanh, α₀ = 0.5, η̃ = 1, λ = 0.01, d = p = 2000, 3 seeds; ours
mean ± standard error, theirs the mean of their three): α = 0.2: 0.2891 ± 0.0008 vs 0.2944;
α = 1.6: 0.2141 ± 0.0097 vs 0.2057; α = 3: 0.1468 ± 0.0043 vs 0.1445 (train loss 0.0670 ±
0.0015 vs 0.0657).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ._seeds import run_seeds
from .resources import check_resources
from ..errors import InputError
from .random_features import Simulation

__all__ = ["simulate_one_step", "measure_spike", "predicted_map", "one_step_weights"]

#: tolerance below which (E g - mu_0) * E sigma'' counts as zero (the map's assumption)
_MEAN_TOL = 1e-10


def _real(name, v, lo, strict, allowed):
    ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
    ok = ok and math.isfinite(float(v)) and (float(v) > lo if strict else float(v) >= lo)
    if not ok:
        raise InputError(name, v, allowed)
    return float(v)


def _function_of_one_variable(spec, name):
    """The Activation of ``spec``; an InputError naming ``name`` if it is not g(x)."""
    from ..symbolic.activations import get_activation

    try:
        return get_activation(spec)
    except InputError as exc:
        raise InputError(name, spec, "a function of one variable: a registry name or an "
                         "expression in x", hint=str(exc)) from None


def _derivative(act, name):
    import sympy as sp

    from ..symbolic.activations import x

    dexpr = sp.diff(act.expr, x)
    if dexpr.has(sp.DiracDelta):
        raise InputError(name, str(act.expr), "an activation without jumps (its derivative "
                         "drives the gradient step)")
    return dexpr


def _settings_map(eta_tilde, alpha0, Delta):
    eta_tilde = _real("eta_tilde", eta_tilde, 0.0, False, "a finite real number >= 0")
    alpha0 = _real("alpha0", alpha0, 0.0, False, "a finite real number >= 0")
    Delta = _real("Delta", Delta, 0.0, False, "a finite real number >= 0")
    return eta_tilde, alpha0, Delta


def predicted_map(*, eta_tilde: float, alpha0: float, activation="tanh", target="tanh",
                  Delta: float = 0.0) -> dict:
    r"""The (c, r, γ) of the sRF model predicted by the slides' and by the code's formula.

    Cui et al., arXiv:2402.04980v2, Definition 3.1 / Result 3.3 (map as in the digest
    ``one-step-digest.md`` Sec. 1.3, extended to :math:`\mu_0 \ne 0` and label noise; see the
    module docstring for the formulas and the derivation). Built from the Hermite coefficients
    of :func:`theory.hermite_expansion` (of :math:`\sigma`, :math:`\sigma'`,
    :math:`x\sigma(x)` and :math:`g`).

    Parameters
    ----------
    eta_tilde : float
        :math:`\tilde\eta \ge 0`, learning rate over the scale :math:`p`.
    alpha0 : float
        :math:`\alpha_0 = n_0/d \ge 0` (0, or ``eta_tilde`` = 0: no step, plain random
        features: c = 1, r = 0, γ = 0, as the authors' code sets them).
    activation : str or sympy.Expr, default "tanh"
        :math:`\sigma` (registry name or expression in x), without jumps.
    target : str or sympy.Expr, default "tanh"
        :math:`g`, a function of one variable.
    Delta : float, default 0.0
        Label-noise variance :math:`\Delta \ge 0`.

    Returns
    -------
    dict
        ``{"code": {"c", "r", "gamma"}, "slides": {...}, "code_old": {...}, "kept": "code",
        "constants": {...}}`` (floats); ``constants`` holds mu0, mu1, E sigma'', Var sigma',
        Var(z sigma), mu1_star, mu2_star.

    Raises
    ------
    InputError
        ``eta_tilde`` < 0, ``alpha0`` < 0, ``Delta`` < 0, a target that is not a function of
        one variable, an activation with jumps; when there is a step, an activation with
        :math:`\mu_1 = 0` (no spike: v is not defined), or :math:`(\mathbb E g - \mu_0)\,\mathbb E\sigma'' \ne 0` (the rows are then
        also rescaled; outside the map).
    """
    from ..numeric.hermite import hermite_expansion
    from ..symbolic.activations import x

    eta_tilde, alpha0, Delta = _settings_map(eta_tilde, alpha0, Delta)
    act = _function_of_one_variable(activation, "activation")
    tg = _function_of_one_variable(target, "target")
    dexpr = _derivative(act, "activation")
    if alpha0 == 0 or eta_tilde == 0:  # no step: plain random features
        none = {"r": 0.0, "gamma": 0.0, "c": 1.0}
        return {"code": dict(none), "slides": dict(none), "code_old": dict(none),
                "kept": "code", "constants": {}}
    hs = hermite_expansion(act, 2, exact=False)
    mu0, mu1, Esec = (float(v) for v in hs.mu[:3])
    if abs(mu1) < 1e-12:
        raise InputError("activation", str(act.expr), "an activation with mu_1 = E[z sigma(z)]"
                         " != 0 (the spike r u v^T is proportional to mu_1)")
    hd = hermite_expansion(dexpr, 0, exact=False)
    var_d = float(hd.E_sigma2) - float(hd.mu[0]) ** 2
    hz = hermite_expansion(x * act.expr, 0, exact=False)
    var_z = float(hz.E_sigma2) - float(hz.mu[0]) ** 2
    hg = hermite_expansion(tg, 1, exact=False)
    Eg, mu1s, Eg2 = float(hg.mu[0]), float(hg.mu[1]), float(hg.E_sigma2)
    if abs((Eg - mu0) * Esec) > _MEAN_TOL:
        raise InputError("target", str(tg.expr), "a target with E[g] = mu_0 of the activation, "
                         "or an activation with E[sigma''] = 0",
                         hint=f"(E g - mu_0) E sigma'' = {(Eg - mu0) * Esec:.3g} rescales the "
                         "rows of W^1; the (c, r, gamma) map does not cover it")
    mu2s = Eg2 - 2 * mu0 * Eg + mu0**2 + Delta
    norm = math.sqrt(mu1s**2 + mu2s / alpha0)
    r = eta_tilde * abs(mu1) * norm
    gamma = abs(mu1s) / norm if norm > 0 else 0.0
    base = {"r": r, "gamma": gamma}
    c_code = 1.0 + eta_tilde**2 * mu2s * var_d / alpha0
    c_slides = 1.0 + eta_tilde**2 * mu1**2 * mu2s * var_z / alpha0
    c_old = 1.0 + eta_tilde**2 * mu1**2 * mu2s * var_d / alpha0
    return {"code": {**base, "c": c_code}, "slides": {**base, "c": c_slides},
            "code_old": {**base, "c": c_old}, "kept": "code",
            "constants": {"mu0": mu0, "mu1": mu1, "E_sigma_second": Esec,
                          "var_sigma_prime": var_d, "var_z_sigma": var_z,
                          "mu1_star": mu1s, "mu2_star": mu2s}}


def measure_spike(W1, theta_star) -> dict:
    r"""The rank-one spike of :math:`W^1` and the rows without it (module docstring).

    Parameters
    ----------
    W1 : numpy.ndarray, shape (p, d)
        First-layer weights after the step.
    theta_star : numpy.ndarray, shape (d,)
        Unit teacher direction.

    Returns
    -------
    dict
        ``s1``, ``s2`` (two largest singular values), ``r`` (mean of
        :math:`\langle w^1_k, \hat v\rangle`), ``r_s1`` (:math:`s_1/\sqrt p`), ``gamma``
        (:math:`|\langle\hat v, \theta_\star\rangle|`), ``c`` (mean squared row norm of
        :math:`W^1` minus its spike, times d/(d-1)), ``c_spread`` (standard deviation over rows
        of those squared norms), ``u_overlap`` (:math:`|\langle\hat u, \mathbf 1\rangle|/\sqrt
        p`); floats.

    Raises
    ------
    InputError
        Shapes that do not match, or ``theta_star`` not of unit norm.
    """
    W1 = np.asarray(W1, float)
    th = np.asarray(theta_star, float)
    if W1.ndim != 2 or min(W1.shape) < 2:
        raise InputError("W1", W1.shape, "a 2-d array of shape (p, d), p, d >= 2")
    p, d = W1.shape
    if th.shape != (d,) or abs(float(th @ th) - 1.0) > 1e-8:
        raise InputError("theta_star", th.shape, f"a unit vector of length d = {d}")
    from scipy.sparse.linalg import svds

    v0 = np.ones(min(p, d)) / math.sqrt(min(p, d))
    U, S, Vt = svds(W1, k=2, v0=v0)
    order = np.argsort(S)[::-1]
    S, U, Vt = S[order], U[:, order], Vt[order]
    v = Vt[0]
    proj = W1 @ v
    if proj.mean() < 0:
        v, proj = -v, -proj
    u = U[:, 0]
    rest = np.einsum("ij,ij->i", W1, W1) - proj**2
    rest *= d / (d - 1)
    return {"s1": float(S[0]), "s2": float(S[1]), "r": float(proj.mean()),
            "r_s1": float(S[0]) / math.sqrt(p), "gamma": abs(float(v @ th)),
            "c": float(rest.mean()), "c_spread": float(rest.std()),
            "u_overlap": abs(float(u.sum())) / math.sqrt(p)}


class _Net:
    """One seed: teacher, W0, the step, the spike, the readout."""

    def __init__(self, s: dict, seed: int):
        from ..numeric.bridge import numpy_function
        from ..symbolic.activations import x as X

        self.s = s
        self.rng = np.random.default_rng([seed, 20261201])
        d, p = s["d"], s["p"]
        act = _function_of_one_variable(s["activation"], "activation")
        tg = _function_of_one_variable(s["target"], "target")
        self.sigma = numpy_function(act.expr, (X,))
        self.dsigma = numpy_function(_derivative(act, "activation"), (X,))
        self.g = numpy_function(tg.expr, (X,))
        th = self.rng.standard_normal(d)
        self.theta = th / np.linalg.norm(th)
        W = self.rng.standard_normal((p, d))
        self.W0 = W / np.linalg.norm(W, axis=1, keepdims=True)

    def data(self, n, noise=True):
        d = self.s["d"]
        x = self.rng.standard_normal((n, d))
        clean = np.broadcast_to(np.asarray(self.g(x @ self.theta), float), (n,))
        xi = self.rng.standard_normal(n)
        y = clean + (math.sqrt(self.s["Delta"]) * xi if noise else 0.0)
        return x, y, clean

    def features(self, W, x):
        pre = x @ W.T
        return np.broadcast_to(np.asarray(self.sigma(pre), float), pre.shape)

    def step(self):
        s = self.s
        n0 = s["n0"]
        if n0 == 0:  # alpha0 = 0: no step
            return self.W0.copy()
        x, y, _ = self.data(n0)
        pre = x @ self.W0.T
        f0 = np.broadcast_to(np.asarray(self.sigma(pre), float), pre.shape).mean(axis=1)
        res = y - f0  # a0 = 1/sqrt(p): f = mean of the p features
        G = np.broadcast_to(np.asarray(self.dsigma(pre), float), pre.shape) * res[:, None]
        return self.W0 + s["eta_tilde"] / n0 * (G.T @ x)

    def readout(self, W1):
        s, p = self.s, self.s["p"]
        x, y, _ = self.data(s["n"])
        F = self.features(W1, x) / math.sqrt(p)
        lam = s["lam"]
        if F.shape[0] >= p:
            a = np.linalg.solve(F.T @ F + lam * np.eye(p), F.T @ y)
        else:
            a = F.T @ np.linalg.solve(F @ F.T + lam * np.eye(F.shape[0]), y)
        out = {"train_loss": float(np.mean((y - F @ a) ** 2)), "q_a": float(a @ a) / p}
        se2, left = 0.0, s["n_test"]
        while left > 0:
            m = min(left, 4096)
            xt, _, clean = self.data(m, noise=False)
            se2 += float(((clean - self.features(W1, xt) @ a / math.sqrt(p)) ** 2).sum())
            left -= m
        out["test_error"] = se2 / s["n_test"]
        return out

    def run(self) -> dict:
        W1 = self.step()
        out = measure_spike(W1, self.theta)
        if self.s.get("ns"):
            out.update(_ridge_path(lambda x: self.features(W1, x), self.data, p=self.s["p"],
                                   ns=self.s["ns"], lam=self.s["lam"],
                                   n_test=self.s["n_test"]))
        elif self.s["n"] > 0:
            out.update(self.readout(W1))
        return out


def _ridge_path(features, data, *, p: int, ns, lam: float, n_test: int,
                extra: Callable | None = None) -> dict:
    """Ridge readouts on nested prefixes of one sample, one test set (one seed).

    ``features(x)`` gives sigma(W1 x) of shape (m, p); ``data(m, noise)`` draws (x, y, clean).
    The readout sample of size max(ns) is drawn first, then the test set in chunks of 4096
    (the draw order of :meth:`_Net.readout`, so that ``ns = [n]`` reproduces it). For each n
    the normal equations (F^T F + lam I) a = F^T y on the first n samples (F = features /
    sqrt p; Gram matrix accumulated along ns) are solved by Cholesky. Returns
    ``{"test_error[i]", "train_loss[i]", "q_a[i]", **extra(a)[i]}`` for the i-th entry of ns.
    """
    import scipy.linalg as sl

    ns = [int(n) for n in ns]
    nmax = max(ns)
    sq = math.sqrt(p)
    x, y, _ = data(nmax)
    F = np.empty((nmax, p))
    for i in range(0, nmax, 4096):
        F[i:i + 4096] = features(x[i:i + 4096]) / sq
    del x
    Ft, clean = np.empty((n_test, p)), np.empty(n_test)
    for i in range(0, n_test, 4096):
        xt, _, cl = data(min(4096, n_test - i), noise=False)
        Ft[i:i + len(cl)] = features(xt) / sq
        clean[i:i + len(cl)] = cl
    G, b, prev = np.zeros((p, p)), np.zeros(p), 0
    out: dict = {}
    for n in sorted(set(ns)):
        if n > prev:
            G += F[prev:n].T @ F[prev:n]
            b += F[prev:n].T @ y[prev:n]
            prev = n
        a = sl.cho_solve(sl.cho_factor(G + lam * np.eye(p)), b)
        res = {"test_error": float(np.mean((clean - Ft @ a) ** 2)),
               "train_loss": float(np.mean((y[:n] - F[:n] @ a) ** 2)),
               "q_a": float(a @ a) / p}
        if extra is not None:
            res.update(extra(a))
        for i, m in enumerate(ns):
            if m == n:
                out.update({f"{k}[{i}]": v for k, v in res.items()})
    return out


def _split(s: dict, alphas: list, obs: dict, per: dict, seconds: float, cached: int,
           common=("s1", "s2", "r", "r_s1", "gamma", "c", "c_spread", "u_overlap")) -> list:
    """One :class:`Simulation` per alpha from the flattened ``name[i]`` observables."""
    sims = []
    for i, a in enumerate(alphas):
        si = {**s, "alpha": a, "n": s["ns"][i], "alphas": list(alphas)}
        si.pop("ns")
        tag = f"[{i}]"

        def pick(dic, tag=tag):
            return {(k[: -len(tag)] if k.endswith(tag) else k): v for k, v in dic.items()
                    if k in common or k.endswith(tag)}

        sims.append(Simulation(si, pick(obs), pick(per), seconds, cached,
                               {"cpus": os.cpu_count()}))
    return sims


def _key(settings: dict) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def one_step_weights(*, d: int, beta: float = 1.0, alpha0: float, eta_tilde: float = 1.0,
                     activation="tanh", target="tanh", Delta: float = 0.0, seed: int = 0):
    r"""The weights :math:`W^1` after the giant step and the teacher direction (one seed).

    Same setting and seeds as :func:`simulate_one_step` (arXiv:2402.04980v2, Sec. 2).

    Parameters
    ----------
    d : int
        Input dimension (>= 2).
    beta : float, default 1.0
        :math:`p/d` (> 0; p = round(beta d) >= 2).
    alpha0 : float
        :math:`n_0/d` (>= 0; 0: no step, :math:`W^1 = W^0`).
    eta_tilde : float, default 1.0
        :math:`\tilde\eta \ge 0`.
    activation, target : str or sympy.Expr
        :math:`\sigma` (without jumps) and :math:`g` (functions of one variable).
    Delta : float, default 0.0
        Label-noise variance (>= 0).
    seed : int, default 0
        The seed.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        :math:`W^1` of shape (p, d) and :math:`\theta_\star` of shape (d,).

    Raises
    ------
    InputError
        As :func:`simulate_one_step`.
    """
    s = _validate(d=d, beta=beta, alpha0=alpha0, alpha=0.0, eta_tilde=eta_tilde,
                  activation=activation, target=target, Delta=Delta, lam=1.0, n_test=1)
    check_resources(simulate_one_step, {"d": d, "alpha0": alpha0, "alpha": 0.0, "beta": beta,
                                        "n_test": 1})  # before any array is allocated
    net = _Net(s, seed)
    return net.step(), net.theta


def _validate(*, d, beta, alpha0, alpha, eta_tilde, activation, target, Delta, lam, n_test):
    if not (isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 2):
        raise InputError("d", d, "an integer >= 2")
    beta = _real("beta", beta, 0.0, True, "a finite real number > 0")
    eta_tilde, alpha0, Delta = _settings_map(eta_tilde, alpha0, Delta)
    alpha = _real("alpha", alpha, 0.0, False, "a finite real number >= 0")
    lam = _real("lam", lam, 0.0, True, "a finite real number > 0")
    if not (isinstance(n_test, (int, np.integer)) and n_test >= 1):
        raise InputError("n_test", n_test, "an integer >= 1")
    p, n0, n = round(beta * d), round(alpha0 * d), round(alpha * d)
    if p < 2:
        raise InputError("beta", beta, f"a number with p = round(beta d) >= 2 at d = {d}")
    if n0 < 1 and alpha0 > 0:
        raise InputError("alpha0", alpha0, f"a number with n0 = round(alpha0 d) >= 1 at d = {d}")
    act = _function_of_one_variable(activation, "activation")
    _derivative(act, "activation")
    tg = _function_of_one_variable(target, "target")
    return {"d": int(d), "p": p, "n0": n0, "n": n, "beta": beta, "alpha0": alpha0,
            "alpha": alpha, "eta_tilde": eta_tilde, "activation": str(act.expr),
            "target": str(tg.expr), "Delta": Delta, "lam": lam, "n_test": int(n_test)}


def simulate_one_step(*, d: int, alpha0: float, alpha=0.0, beta: float = 1.0,
                      eta_tilde: float = 1.0, activation="tanh", target="tanh",
                      Delta: float = 0.0, lam: float = 1e-2, seeds: int = 3,
                      first_seed: int = 0, n_test: int = 5000, cache: str | None = None,
                      progress: Callable | bool | None = None) -> Any:
    r"""One giant step then ridge readout at size ``d``, over seeds; mean +- standard error.

    Setting and observables as in the module docstring (arXiv:2402.04980v2, Sec. 2; the
    authors' simulation normalisation). Observables per seed: those of :func:`measure_spike`
    and, when ``alpha`` > 0, ``test_error``, ``train_loss`` (mean squared residual) and
    ``q_a`` (:math:`\|\hat a\|^2/p`).

    Parameters
    ----------
    d : int
        Input dimension (>= 2).
    alpha0 : float
        :math:`n_0/d \ge 0`, samples of the gradient step (0: no step, plain random
        features on the sphere).
    alpha : float or list of float, default 0.0
        :math:`n/d \ge 0`, samples of the readout (0: no readout, only the spike). A list
        (each > 0): per seed one step, one test set and the readouts on nested prefixes
        :math:`n_1 \le n_2 \le \dots` of one readout sample (Gram matrix accumulated; the
        points of one seed are then correlated along alpha; each alpha alone is distributed as
        with a single alpha; ``alpha=[a]`` reproduces ``alpha=a``).
    beta : float, default 1.0
        Width ratio :math:`p/d > 0`.
    eta_tilde : float, default 1.0
        :math:`\tilde\eta \ge 0` (learning rate :math:`\eta = \tilde\eta p`).
    activation : str or sympy.Expr, default "tanh"
        :math:`\sigma`, registry name or expression in x, without jumps.
    target : str or sympy.Expr, default "tanh"
        :math:`g`, registry name or expression in x.
    Delta : float, default 0.0
        Label-noise variance (>= 0), on the step's and the readout's labels.
    lam : float, default 1e-2
        Ridge penalty of :math:`\lambda\|a\|^2` (> 0).
    seeds : int, default 3
        Number of seeds (>= 1).
    first_seed : int, default 0
        First seed.
    n_test : int, default 5000
        Test points per seed.
    cache : str or None, optional
        Folder where each finished seed is stored (atomically) and reused.
    progress : callable, bool or None, optional
        ``progress(done, total)`` after each seed; True prints a line on stderr.

    Returns
    -------
    Simulation or list of Simulation
        Mean and standard error of every observable, per-seed values and the settings; for a
        list of alpha, one Simulation per alpha (in the given order; ``settings["alphas"]``
        the whole list, the spike observables shared).

    Raises
    ------
    InputError
        ``eta_tilde`` < 0, ``alpha0`` < 0, ``alpha`` < 0 (or an empty list, or an entry <= 0), ``beta`` <= 0, ``lam`` <= 0,
        ``Delta`` < 0, sizes below 1 (``d``, ``seeds``, ``n_test``, p, n0), a target or an
        activation that is not a function of one variable, an activation with jumps.
    """
    alphas = _alpha_list(alpha, d)
    s = _validate(d=d, beta=beta, alpha0=alpha0, alpha=0.0 if alphas else alpha,
                  eta_tilde=eta_tilde, activation=activation, target=target, Delta=Delta,
                  lam=lam, n_test=n_test)
    if alphas:
        s["ns"] = [round(a * d) for a in alphas]
        s["alphas"] = alphas
    if not (isinstance(seeds, (int, np.integer)) and seeds >= 1):
        raise InputError("seeds", seeds, "an integer >= 1")
    check_resources(simulate_one_step, {"d": d, "alpha0": alpha0, "alpha": alphas or alpha,
                                        "beta": beta, "n_test": n_test})  # before allocating
    t0 = time.perf_counter()
    if progress is True:
        def progress(k, tot):
            print(f"one_step d={d}: seed {k}/{tot} ({time.perf_counter() - t0:.1f} s)",
                  file=sys.stderr, flush=True)
    obs, per, cached = run_seeds(lambda k: _Net(s, k).run(), prefix="onestep", key=_key(s),
                                 cache=cache, first_seed=first_seed, seeds=seeds,
                                 progress=progress)
    if alphas:
        s.pop("alphas")
        return _split(s, alphas, obs, per, time.perf_counter() - t0, cached)
    return Simulation(s, obs, per, time.perf_counter() - t0, cached, {"cpus": os.cpu_count()})


def _alpha_list(alpha, d: int) -> list | None:
    """None for a single alpha; else the list of alphas (each > 0, n = round(alpha d) >= 1)."""
    if not isinstance(alpha, (list, tuple, np.ndarray)):
        return None
    vals = list(np.asarray(alpha, dtype=object).ravel()) if isinstance(alpha, np.ndarray) \
        else list(alpha)
    if not vals:
        raise InputError("alpha", alpha, "a number or a non-empty list of numbers > 0")
    out = []
    for a in vals:
        a = _real("alpha", a, 0.0, True, "a number or a non-empty list of numbers > 0")
        if isinstance(d, (int, np.integer)) and round(a * d) < 1:
            raise InputError("alpha", a, f"values with n = round(alpha d) >= 1 at d = {d}")
        out.append(a)
    return out


def _table(d: int = 2000, seeds: int = 5, settings=None, cache=None) -> str:
    """The docstring's table: measured (c, r, gamma) against the formulas.

    ``settings``: a list of dicts of keyword arguments of :func:`simulate_one_step` (default:
    σ = g = tanh at five (η̃, α₀), then β = 0.5, 2 and g = sin, sign at η̃ = 1, α₀ = 0.5).
    """
    if settings is None:
        settings = [dict(eta_tilde=e, alpha0=a) for e, a in
                    ((1.0, 0.5), (1.0, 1.0), (2.0, 0.5), (0.5, 2.0), (3.0, 1.0))]
        settings += [dict(eta_tilde=1.0, alpha0=0.5, beta=0.5),
                     dict(eta_tilde=1.0, alpha0=0.5, beta=2.0),
                     dict(eta_tilde=1.0, alpha0=0.5, target="sin"),
                     dict(eta_tilde=1.0, alpha0=0.5, target="sign")]
    line = "  " + "  ".join("=" * w for w in (18, 16, 6, 6, 6, 16, 6, 16, 6))
    rows = [line, "  " + "  ".join(f"{h:<{w}}" for h, w in zip(
        ("setting", "c measured", "code", "slides", "old", "r measured", "r pred",
         "γ measured", "γ pred"), (18, 16, 6, 6, 6, 16, 6, 16, 6))), line]
    for kw in settings:
        sim = simulate_one_step(d=d, seeds=seeds, cache=cache, progress=True, **kw)
        pm = predicted_map(**{k: v for k, v in kw.items() if k != "beta"})
        name = (f"η̃={kw['eta_tilde']:g} α₀={kw['alpha0']:g}" + "".join(
            f" {k}={v}" for k, v in kw.items() if k not in ("eta_tilde", "alpha0")))
        rows.append(f"  {name:<18}  {sim.mean('c'):.4f} ± {sim.se('c'):.4f}  "
                    f"{pm['code']['c']:.4f}  {pm['slides']['c']:.4f}  {pm['code_old']['c']:.4f}"
                    f"  {sim.mean('r'):.4f} ± {sim.se('r'):.4f}  {pm['code']['r']:.4f}  "
                    f"{sim.mean('gamma'):.4f} ± {sim.se('gamma'):.4f}  "
                    f"{pm['code']['gamma']:.4f}")
    rows.append(line)
    return "\n".join(rows)


if __name__ == "__main__":  # pragma: no cover - the docstring's table (minutes)
    print(_table(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
