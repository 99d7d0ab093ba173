r"""Normalisation conventions of ``theory``: stated once here, linked everywhere else.

Gaussian variables and Hermite polynomials
------------------------------------------
* ``z ~ N(0, 1)``; :math:`\varphi(z) = e^{-z^2/2}/\sqrt{2\pi}`; :math:`\Phi` its CDF.
* :math:`\mathrm{He}_k` are the probabilists' (monic) Hermite polynomials,
  :math:`\mathrm{He}_{k+1}(z) = z\,\mathrm{He}_k(z) - k\,\mathrm{He}_{k-1}(z)`,
  orthogonal with :math:`\mathbb{E}[\mathrm{He}_j(z)\mathrm{He}_k(z)] = k!\,\delta_{jk}`.
* Hermite coefficients :math:`\mu_k = \mathbb{E}[\sigma(z)\,\mathrm{He}_k(z)]`, so that
  :math:`\sigma = \sum_k \mu_k \mathrm{He}_k / k!` in :math:`L^2(\mathcal N(0,1))`.
  The *normalised* coefficients are :math:`\mu_k/\sqrt{k!}` (coefficients in the orthonormal basis);
  Parseval: :math:`\sum_k \mu_k^2/k! = \mathbb{E}[\sigma(z)^2]`.
* :math:`\mu_\star^2 = \mathbb{E}[\sigma(z)^2] - \mu_0^2 - \mu_1^2` (Gaussian equivalence:
  :math:`\sigma(\langle w, x\rangle) \approx \mu_0 + \mu_1 \langle w, x\rangle + \mu_\star \xi`).
* Dual kernel (arc-cosine type): :math:`k(\rho) = \mathbb{E}[\sigma(u)\sigma(v)] =
  \sum_k \mu_k^2 \rho^k / k!` for unit-variance :math:`(u, v)` with correlation :math:`\rho`.
* Information exponent: the smallest :math:`k \geq 1` with :math:`\mu_k \neq 0`.

Conditional coefficients (conditional Gaussian equivalence, Dandi et al. / Cui et al. 2024)
--------------------------------------------------------------------------------------------
At shift :math:`\kappa` and variance :math:`c > 0`, with :math:`\xi \sim \mathcal N(0,1)`:

.. math::
   \mu_0(\kappa) = \mathbb{E}_\xi\,\sigma(\kappa + \sqrt c\,\xi),\quad
   \mu_1(\kappa) = \mathbb{E}_\xi\,\sigma'(\kappa + \sqrt c\,\xi)
                 = \mathbb{E}_\xi[\xi\,\sigma(\kappa + \sqrt c\,\xi)]/\sqrt c,\\
   \mu_\star(\kappa)^2 = \mathbb{E}_\xi\,\sigma(\kappa + \sqrt c\,\xi)^2 - \mu_0(\kappa)^2
                         - c\,\mu_1(\kappa)^2 .

With :math:`\sigma = \mathrm{sign}`, :math:`c = 1`: :math:`\mu_0 = \mathrm{erf}(\kappa/\sqrt2)`,
:math:`\mu_1 = \sqrt{2/\pi}\,e^{-\kappa^2/2}`. At :math:`\kappa = 0, c = 1` they reduce to
:math:`\mu_0, \mu_1, \mu_\star`. (The slides 004 write :math:`\mu_2(\kappa)` for
:math:`\mu_\star(\kappa)` and print :math:`\mu_2 = 1 - \mu_0^2 - \mu_1^2` where the square
:math:`\mu_\star^2` is meant.)

Label noise and test errors (every model and simulator)
-------------------------------------------------------
* Label noise is given by its **variance** :math:`\Delta` (parameter ``Delta``, symbol Δ) in
  every model and in :func:`theory.simulate.simulate_random_features`:
  regression :math:`y = f(x) + \sqrt\Delta\,\zeta`; the sign teacher
  :math:`y = \operatorname{sign}(\omega_0 + \sqrt\Delta\,\zeta)` (noise on the pre-activation,
  the probit channel of Gerace et al.), :math:`\zeta \sim \mathcal N(0, 1)`. Mei & Montanari's
  :math:`\tau^2` is :math:`\Delta` (``rf_ridge`` used to take ``tau``, the standard deviation).
* Theory and simulation name the same quantity the same way:

  - ``test_error`` -- regression: :math:`\mathbb E(f(x) - \hat y(x))^2` on a fresh input,
    against the **noiseless** target; classification (sign teacher): ``test_error_clean``.
  - ``test_error_clean`` -- :math:`\varepsilon_{clean} = P(\operatorname{sign}\hat y \ne
    \operatorname{sign}\omega_0)`: the 0-1 error against the clean teacher label.
  - ``test_error_noisy`` -- :math:`\varepsilon_{noisy} = P(\operatorname{sign}\hat y \ne y)`:
    the 0-1 error against a fresh noisy label (what a held-out labelled set measures).
  - ``test_mse`` -- classification: :math:`\mathbb E(\operatorname{sign}\omega_0 - \hat y)^2`.
  - ``train_loss``, ``train_objective``, ``q_w``: as in each model's docstring.

* Relations between the two classification errors (exact, for a student field
  :math:`\hat y` jointly Gaussian with the teacher field :math:`\omega_0`, zero mean,
  :math:`\varepsilon_{clean} = \arccos(c)/\pi`, :math:`c = \mathrm{corr}(\omega_0, \hat y)`):
  pre-activation noise of variance :math:`\Delta` (:func:`noisy_error_probit`)

  .. math:: \varepsilon_{noisy} = \frac1\pi\arccos\Bigl(\cos(\pi\varepsilon_{clean})
            \sqrt{\rho/(\rho + \Delta)}\Bigr),

  label flips with probability :math:`p` independent of everything else
  (:func:`noisy_error_flip`, no Gaussianity needed):
  :math:`\varepsilon_{noisy} = \varepsilon_{clean}(1 - 2p) + p`.

Random features: ``rf_ridge`` and ``rf_convex`` (square loss) are the same problem
-------------------------------------------------------------------------------------
:data:`RF_CORRESPONDENCE` (shown by ``theory models``; :func:`rf_ridge_to_rf_convex` and
:func:`rf_convex_to_rf_ridge` apply it; tests/test_conventions.py checks that the two models
agree to 1e-10 under it).

Scalings and precision
----------------------
* Scalings are those of each paper (:math:`\alpha = n/d`, :math:`\beta = p/d`, ...), named in the
  model's docstring with the paper's symbols; a model that uses another normalisation maps it
  explicitly in its file.
* Precision is given in decimal digits (``dps``) everywhere; float64 is the default and ``dps=``
  selects mpmath. ``dps`` below 15 is refused (float64 already gives ~15 digits).
* Gaussian integrals are computed on the whole real line (no silent truncation); breakpoints
  (kinks and jumps) farther than :data:`BREAK_CLIP` standard deviations are moved to
  :data:`BREAK_CLIP`, which changes integrals by less than :math:`\varphi(12) \approx 10^{-32}`
  times the integrand's size there.
"""

from __future__ import annotations

#: the smallest dps accepted by the high-precision paths
MIN_DPS = 15
#: largest |breakpoint| (in standard deviations) the float64 quadrature splits at
BREAK_CLIP = 12.0


#: the exact map between ``rf_ridge`` (Mei & Montanari, arXiv:1908.05355v5) and ``rf_convex``
#: (Gerace et al., arXiv:2002.09339v2) with ``loss=square, teacher=linear``
RF_CORRESPONDENCE = """\
rf_ridge (Mei-Montanari)  <->  rf_convex loss=square teacher=linear (Gerace et al.):
  psi1 = N/d = 1/gamma, psi2 = n/d = alpha/gamma   (alpha = n/p, gamma = d/p; p = N features)
  lam[rf_convex] = psi2 * lam[rf_ridge]   (sum_mu (y - yhat)^2/2 + lam/2 ||w||^2 against
      (1/n) sum_mu (y - yhat)^2 + (N lam/d) ||a||^2 with a = w/sqrt(N): multiply by n/2)
  rho = F1^2   (||theta||^2/d against ||beta_1||^2: the variance of the linear target part)
  Delta[rf_convex] = Delta[rf_ridge] + Fstar^2   (the nonlinear target part acts as label
      noise in training: random features with n ~ d cannot fit it)
  kappa_1 = mu_1, kappa_star = mu_star of the same activation (mu_0 enters neither)
  test_error[rf_ridge] = test_error[rf_convex] + Fstar^2   (the unfit nonlinear part)
  valid for lam > 0 (rf_convex needs it for the square loss) and mu_star > 0 (rf_ridge)"""


def rf_ridge_to_rf_convex(*, psi1: float, psi2: float, lam: float, F1: float, Fstar: float,
                          Delta: float) -> tuple[dict, float]:
    r"""Parameters of ``rf_convex`` (square loss, linear teacher) for an ``rf_ridge`` point.

    Parameters
    ----------
    psi1, psi2 : float
        :math:`\psi_1 = N/d`, :math:`\psi_2 = n/d` (Mei & Montanari, arXiv:1908.05355v5).
    lam : float
        Their ridge :math:`\lambda` (penalty :math:`N\lambda/d\,\|a\|^2`), > 0.
    F1, Fstar : float
        Norms of the linear and nonlinear parts of the target.
    Delta : float
        Label-noise variance :math:`\Delta` (their :math:`\tau^2`).

    Returns
    -------
    params : dict
        ``alpha, gamma, lam, rho, Delta, loss, teacher`` of ``rf_convex`` (add ``activation``).
    offset : float
        :math:`F_\star^2`: ``test_error[rf_ridge] = test_error[rf_convex] + offset``.

    Notes
    -----
    :data:`RF_CORRESPONDENCE`: :math:`\alpha = \psi_2/\psi_1`, :math:`\gamma = 1/\psi_1`,
    :math:`\lambda_{convex} = \psi_2\lambda`, :math:`\rho = F_1^2`,
    :math:`\Delta_{convex} = \Delta + F_\star^2`; :math:`\kappa_1 = \mu_1`,
    :math:`\kappa_\star = \mu_\star` (Gerace et al., arXiv:2002.09339v2, Sec. 2).
    """
    return ({"alpha": psi2 / psi1, "gamma": 1.0 / psi1, "lam": psi2 * lam, "rho": F1**2,
             "Delta": Delta + Fstar**2, "loss": "square", "teacher": "linear"}, Fstar**2)


def rf_convex_to_rf_ridge(*, alpha: float, gamma: float, lam: float, rho: float,
                          Delta: float) -> dict:
    r"""Parameters of ``rf_ridge`` for an ``rf_convex`` point (square loss, linear teacher).

    Parameters
    ----------
    alpha, gamma : float
        :math:`\alpha = n/p`, :math:`\gamma = d/p` (Gerace et al., arXiv:2002.09339v2).
    lam : float
        Their :math:`\lambda` (penalty :math:`\frac\lambda2\|w\|^2`).
    rho : float
        Teacher norm :math:`\|\theta\|^2/d`.
    Delta : float
        Label-noise variance :math:`\Delta`.

    Returns
    -------
    dict
        ``psi1, psi2, lam, F1, Fstar, Delta`` of ``rf_ridge`` (``Fstar = 0``: the test errors
        are then equal).

    Notes
    -----
    The inverse of :func:`rf_ridge_to_rf_convex` at :math:`F_\star = 0`:
    :math:`\psi_1 = 1/\gamma`, :math:`\psi_2 = \alpha/\gamma`,
    :math:`\lambda_{ridge} = \lambda\gamma/\alpha`, :math:`F_1 = \sqrt\rho`.
    """
    return {"psi1": 1.0 / gamma, "psi2": alpha / gamma, "lam": lam * gamma / alpha,
            "F1": rho**0.5, "Fstar": 0.0, "Delta": Delta}


def noisy_error_probit(eps_clean, *, rho, Delta):
    r"""0-1 error against noisy labels :math:`y = \operatorname{sign}(\omega_0 +
    \sqrt\Delta\zeta)` from the error against the clean label :math:`\operatorname{sign}\omega_0`.

    Parameters
    ----------
    eps_clean : float or ndarray
        :math:`\varepsilon_{clean} = P(\operatorname{sign}\hat y \ne \operatorname{sign}
        \omega_0)`, in [0, 1].
    rho : float
        Variance of the teacher field :math:`\omega_0`.
    Delta : float
        Variance of the pre-activation noise.

    Returns
    -------
    float or ndarray
        :math:`\varepsilon_{noisy} = \arccos(\cos(\pi\varepsilon_{clean})
        \sqrt{\rho/(\rho+\Delta)})/\pi`.

    Notes
    -----
    For zero-mean jointly Gaussian :math:`(\omega_0, \hat y)` with correlation c,
    :math:`P(\operatorname{sign}\hat y \ne \operatorname{sign}\omega_0) = \arccos(c)/\pi`
    (Sheppard's formula); adding independent noise of variance :math:`\Delta` to
    :math:`\omega_0` multiplies c by :math:`\sqrt{\rho/(\rho+\Delta)}`. Exact in the
    high-dimensional limit of ``rf_convex`` (Gerace et al., arXiv:2002.09339v2, Sec. 2) and for
    Gaussian-equivalent features at any size.
    """
    import numpy as np

    return np.arccos(np.cos(np.pi * np.asarray(eps_clean)) * np.sqrt(rho / (rho + Delta))) / np.pi


def noisy_error_flip(eps_clean, p):
    r"""0-1 error against labels flipped with probability ``p`` (independently of the input).

    Parameters
    ----------
    eps_clean : float or ndarray
        Error against the clean labels, in [0, 1].
    p : float
        Flip probability, in [0, 1].

    Returns
    -------
    float or ndarray
        :math:`\varepsilon_{noisy} = \varepsilon_{clean}(1 - 2p) + p`: a prediction is wrong
        against the flipped label iff exactly one of (prediction wrong, label flipped) holds.
    """
    return eps_clean * (1 - 2 * p) + p
