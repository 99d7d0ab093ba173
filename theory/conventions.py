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
