r"""Random-matrix helpers: Marchenko--Pastur, empirical spectra, the BBP transition.

Convention (:mod:`theory.symbolic.spectra`): :math:`A = FF^\top/p`, :math:`F \in
\mathbb R^{d\times p}` i.i.d. :math:`\mathcal N(0, \sigma^2)`, ratio :math:`\gamma = d/p`. The
Marchenko--Pastur law :math:`\mu_\gamma` has support :math:`[\lambda_-, \lambda_+] =
\sigma^2[(1 - \sqrt\gamma)^2, (1 + \sqrt\gamma)^2]`, density
:math:`\sqrt{(\lambda_+ - x)(x - \lambda_-)}/(2\pi\sigma^2\gamma x)` and an atom of mass
:math:`1 - 1/\gamma` at 0 when :math:`\gamma > 1`. Its Stieltjes transform
:math:`g(z) = \int d\mu(x)/(x - z)` solves :math:`\gamma\sigma^2 z g^2 +
(z + \sigma^2(\gamma - 1)) g + 1 = 0`; the root is the one with :math:`\operatorname{Im} g > 0`
for :math:`\operatorname{Im} z > 0` and :math:`g \sim -1/z` at infinity, selected here by
writing the square root as :math:`\sqrt{z - \lambda_-}\sqrt{z - \lambda_+}` (principal
branches: the cut is exactly the support).

BBP (Baik, Ben Arous, Péché 2005, "Phase transition of the largest eigenvalue for nonnull
complex sample covariance matrices", Ann. Probab. 33(5), Theorem 1.1; real case Paul 2007): the
sample covariance :math:`\frac1p\sum_\mu x_\mu x_\mu^\top` of :math:`x \sim \mathcal N(0, I_d +
\theta vv^\top)` with :math:`d/p \to \gamma` has an outlier iff :math:`\theta > \sqrt\gamma`,
at :math:`(1 + \theta)(1 + \gamma/\theta)`, and the top eigenvector's squared overlap with
:math:`v` is :math:`(1 - \gamma/\theta^2)/(1 + \gamma/\theta)` (Paul 2007, Theorem 4).
Outlier equation (rank-one perturbation of the white Wishart matrix :math:`W`: the eigenvalues
of :math:`\Sigma^{1/2}W\Sigma^{1/2}` are those of :math:`W + \theta W^{1/2}vv^\top W^{1/2}`):
an eigenvalue :math:`\lambda > \lambda_+` solves :math:`1 + \theta(1 + \lambda g(\lambda)) = 0`
(:func:`bbp_outlier_equation`); at :math:`\lambda = \lambda_+`, :math:`g = -1/(\sqrt\gamma(1 +
\sqrt\gamma))` and the root leaves the edge at :math:`\theta = \sqrt\gamma`.

Semicircle law and spiked Wigner (Wigner 1958; BBP for Wigner matrices: Péché 2006, Féral &
Péché 2007, Capitaine, Donati-Martin & Féral 2009; eigenvector: Benaych-Georges & Nadakuditi
2011, "The eigenvalues and eigenvectors of finite, low rank perturbations of large random
matrices", Adv. Math. 227, Theorems 2.1 and 2.3, Example 3.1). Normalisation: :math:`W =
\sigma(G + G^\top)/\sqrt{2n}`, :math:`G` an n x n matrix of i.i.d. :math:`\mathcal N(0, 1)`
(GOE: off-diagonal entries of variance :math:`\sigma^2/n`, diagonal :math:`2\sigma^2/n`;
``var`` :math:`= \sigma^2`, 1 is the standard normalisation). The spectrum tends to the
semicircle on :math:`[-2\sigma, 2\sigma]` with density :math:`\sqrt{4\sigma^2 -
x^2}/(2\pi\sigma^2)`; its Stieltjes transform :math:`g(z) = \int\rho(x)dx/(x - z)` solves
:math:`\sigma^2g^2 + zg + 1 = 0`, :math:`g = (-z + s)/(2\sigma^2) = -2/(z + s)` with
:math:`s = \sqrt{z - 2\sigma}\sqrt{z + 2\sigma}` (principal branches: the cut is the support,
:math:`g \sim -1/z` at infinity, :math:`\operatorname{Im} g > 0` for :math:`\operatorname{Im} z
> 0`; :math:`z + s` never vanishes since :math:`(z + s)(z - s) = 4\sigma^2`). The spiked
matrix :math:`Y = W + \theta vv^\top`, :math:`\|v\| = 1`, :math:`\theta \ge 0`, has an outlier
iff :math:`\theta > \sigma`, at the root of :math:`1 + \theta g(\lambda) = 0`
(:func:`wigner_outlier_equation`), :math:`\lambda = \theta + \sigma^2/\theta`; the top
eigenvector's squared overlap with :math:`v` is :math:`1/(\theta^2 g'(\lambda))`,
:math:`g'(\lambda) = \int\rho(x)dx/(x - \lambda)^2`, which is :math:`1 - \sigma^2/\theta^2`
(also :math:`d\lambda/d\theta`, by Hellmann--Feynman). With
:math:`\sigma = 1`: threshold 1, outlier :math:`\theta + 1/\theta`, overlap :math:`1 -
1/\theta^2`.

The ``*_mp`` functions return the same quantities at ``dps`` digits (mpmath).
:func:`bbp_threshold_mp` and :func:`wigner_bbp_threshold_mp` do not use the closed forms: they
solve, with ``mpmath.findroot``, the outlier equation at the bulk edge for the spike, i.e. the
strength at which the outlier's root leaves the edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np

from ..errors import InputError

__all__ = ["mp_edges", "mp_atom", "mp_density", "mp_stieltjes", "mp_stieltjes_derivative",
           "mp_stieltjes_mp", "EmpiricalSpectrum", "sample_mp_spectrum", "bbp_threshold",
           "bbp_outlier", "bbp_overlap", "bbp_outlier_equation", "bbp_threshold_mp",
           "bbp_outlier_mp", "bbp_overlap_mp", "semicircle_edges", "semicircle_density",
           "semicircle_stieltjes", "semicircle_stieltjes_derivative", "semicircle_stieltjes_mp",
           "sample_wigner_spectrum", "wigner_outlier_equation", "wigner_bbp_threshold",
           "wigner_bbp_outlier", "wigner_bbp_overlap", "wigner_bbp_threshold_mp",
           "wigner_bbp_outlier_mp", "wigner_bbp_overlap_mp"]


def _ratio(gamma):
    g = float(gamma)
    if not (math.isfinite(g) and g > 0):
        raise InputError("gamma", gamma, "a finite ratio d/p > 0")
    return g


def _var(var):
    v = float(var)
    if not (math.isfinite(v) and v > 0):
        raise InputError("var", var, "a finite variance > 0")
    return v


def _spike(theta):
    t = float(theta)
    if not (math.isfinite(t) and t >= 0):
        raise InputError("theta", theta, "a spike strength >= 0")
    return t


def mp_edges(gamma, var=1.0) -> tuple:
    r"""Edges of the support of the Marchenko--Pastur law.

    Parameters
    ----------
    gamma : float
        Ratio :math:`\gamma = d/p > 0`.
    var : float, optional
        Entry variance :math:`\sigma^2 > 0` of :math:`F` (default 1).

    Returns
    -------
    tuple of float
        :math:`(\lambda_-, \lambda_+) = \sigma^2((1 \mp \sqrt\gamma)^2)`.

    Raises
    ------
    InputError
        If ``gamma`` or ``var`` is not finite and positive.

    Examples
    --------
    >>> mp_edges(0.25)
    (0.25, 2.25)
    """
    g, v = _ratio(gamma), _var(var)
    return v * (1 - math.sqrt(g)) ** 2, v * (1 + math.sqrt(g)) ** 2


def mp_atom(gamma) -> float:
    r"""Mass of the atom of the Marchenko--Pastur law at 0.

    Parameters
    ----------
    gamma : float
        Ratio :math:`\gamma = d/p > 0`.

    Returns
    -------
    float
        :math:`\max(0, 1 - 1/\gamma)`.

    Examples
    --------
    >>> mp_atom(2.0)
    0.5
    """
    return max(0.0, 1.0 - 1.0 / _ratio(gamma))


def mp_density(x, gamma, var=1.0):
    r"""Density of the absolutely continuous part of the Marchenko--Pastur law.

    Parameters
    ----------
    x : float or array_like
        Points where the density is evaluated (any shape).
    gamma : float
        Ratio :math:`\gamma = d/p > 0`.
    var : float, optional
        Entry variance :math:`\sigma^2 > 0` (default 1).

    Returns
    -------
    numpy.ndarray
        :math:`\sqrt{(\lambda_+ - x)(x - \lambda_-)}/(2\pi\sigma^2\gamma x)` inside the
        support, 0 outside; same shape as ``x``. The atom at 0 is :func:`mp_atom`.
    """
    lo, hi = mp_edges(gamma, var)
    g, v = _ratio(gamma), _var(var)
    x = np.asarray(x, dtype=float)
    inside = (x > lo) & (x < hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        val = np.sqrt(np.clip((hi - x) * (x - lo), 0, None)) / (2 * math.pi * v * g * x)
    return np.where(inside, val, 0.0)


def _root(z, gamma, var):
    lo, hi = mp_edges(gamma, var)
    z = np.asarray(z, dtype=complex)
    s = np.sqrt(z - lo) * np.sqrt(z - hi)
    return z, s


def mp_stieltjes(z, gamma, var=1.0):
    r"""Stieltjes transform :math:`g(z) = \int d\mu(x)/(x - z)` of the Marchenko--Pastur law.

    Closed form, vectorised. For real :math:`z < \lambda_-`, :math:`z \ne 0`, the value is
    real; on the cut the limit from the upper half-plane is returned (pass ``z`` with a tiny
    positive imaginary part to choose the side explicitly).

    Parameters
    ----------
    z : complex or array_like of complex
        Points off the support (any shape).
    gamma : float
        Ratio :math:`\gamma = d/p > 0`.
    var : float, optional
        Entry variance :math:`\sigma^2 > 0` (default 1).

    Returns
    -------
    complex or numpy.ndarray of complex
        :math:`g(z)`, same shape as ``z`` (the root of
        :math:`\gamma\sigma^2 z g^2 + (z + \sigma^2(\gamma - 1))g + 1 = 0` with
        :math:`g \sim -1/z`), written without cancellation.

    Examples
    --------
    >>> g = mp_stieltjes(-1.0, 0.5)
    >>> bool(abs(0.5 * -1.0 * g**2 + (-1.0 - 0.5) * g + 1) < 1e-15)
    True
    """
    g, v = _ratio(gamma), _var(var)
    z, s = _root(z, g, v)
    b = z + v * (g - 1)
    # s^2 = b^2 - 4 g v z; the root ~ -1/z is (s - b)/(2 g v z) = -2/(b + s): take the form
    # without cancellation
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(np.abs(b + s) >= np.abs(b - s), -2.0 / (b + s),
                       (s - b) / (2 * g * v * z))
    return out[()] if out.ndim == 0 else out


def mp_stieltjes_derivative(z, gamma, var=1.0):
    r"""Derivative :math:`g'(z) = \int d\mu(x)/(x - z)^2` of :func:`mp_stieltjes`.

    From the quadratic: :math:`g' = -(g + \gamma\sigma^2 g^2)/(2\gamma\sigma^2 z g + z +
    \sigma^2(\gamma - 1))`.

    Parameters
    ----------
    z : complex or array_like of complex
        Points off the support (any shape).
    gamma : float
        Ratio :math:`\gamma = d/p > 0`.
    var : float, optional
        Entry variance :math:`\sigma^2 > 0` (default 1).

    Returns
    -------
    complex or numpy.ndarray of complex
        :math:`g'(z)`, same shape as ``z``.
    """
    g, v = _ratio(gamma), _var(var)
    G = np.asarray(mp_stieltjes(z, g, v), dtype=complex)
    z = np.asarray(z, dtype=complex)
    out = -(G + g * v * G**2) / (2 * g * v * z * G + z + v * (g - 1))
    return out[()] if out.ndim == 0 else out


def mp_stieltjes_mp(z, gamma, var=1, dps=30):
    r"""Stieltjes transform :math:`g(z)` at ``dps`` digits (mpmath twin of :func:`mp_stieltjes`).

    Parameters
    ----------
    z : complex, float, str or mpmath number
        A point off the support.
    gamma : float, str or mpmath number
        Ratio :math:`\gamma = d/p > 0`.
    var : float, str or mpmath number, optional
        Entry variance (default 1).
    dps : int, optional
        Decimal digits of the result (default 30).

    Returns
    -------
    mpmath.mpc or mpmath.mpf
        :math:`g(z)` on the same branch, :math:`\sqrt{z - \lambda_-}\sqrt{z - \lambda_+}`.
    """
    with mpmath.workdps(dps + 10):
        z, g, v = mpmath.mpmathify(z), mpmath.mpf(gamma), mpmath.mpf(var)
        lo, hi = v * (1 - mpmath.sqrt(g)) ** 2, v * (1 + mpmath.sqrt(g)) ** 2
        s = mpmath.sqrt(z - lo) * mpmath.sqrt(z - hi)
        b = z + v * (g - 1)
        val = -2 / (b + s)
    with mpmath.workdps(dps):
        return +val


@dataclass
class EmpiricalSpectrum:
    r"""The spectral measure :math:`\frac1n\sum_i \delta_{\lambda_i}` of a symmetric matrix.

    Parameters
    ----------
    eigenvalues : numpy.ndarray, shape (n,)
        The eigenvalues :math:`\lambda_i`.
    """

    eigenvalues: np.ndarray

    @classmethod
    def of(cls, matrix) -> EmpiricalSpectrum:
        """Spectrum of a symmetric matrix.

        Parameters
        ----------
        matrix : array_like, shape (n, n)
            A real symmetric matrix.

        Returns
        -------
        EmpiricalSpectrum
            Its eigenvalues (``numpy.linalg.eigvalsh``).

        Raises
        ------
        InputError
            If the matrix is not square or not symmetric.

        Examples
        --------
        >>> EmpiricalSpectrum.of([[2.0, 0.0], [0.0, 1.0]]).moment(1)
        1.5
        """
        a = np.asarray(matrix, dtype=float)
        if a.ndim != 2 or a.shape[0] != a.shape[1]:
            raise InputError("matrix", f"shape {a.shape}", "a square symmetric matrix")
        if not np.allclose(a, a.T, atol=1e-10 * max(1.0, float(np.max(np.abs(a))))):
            raise InputError("matrix", "not symmetric", "a symmetric matrix")
        return cls(np.linalg.eigvalsh(a))

    def stieltjes(self, z):
        r"""Stieltjes transform of the empirical measure.

        Parameters
        ----------
        z : complex or array_like of complex
            Points off the spectrum (any shape).

        Returns
        -------
        complex or numpy.ndarray of complex
            :math:`\frac1n\sum_i 1/(\lambda_i - z)`, same shape as ``z``.
        """
        z = np.asarray(z, dtype=complex)
        out = np.mean(1.0 / (self.eigenvalues[:, None] - z.reshape(-1)[None, :]), axis=0)
        return out.reshape(z.shape)[()] if z.ndim == 0 else out.reshape(z.shape)

    def histogram(self, bins=50, range=None):
        """Histogram of the eigenvalues normalised to a density.

        Parameters
        ----------
        bins : int, optional
            Number of bins (default 50).
        range : tuple of float, optional
            ``(low, high)`` of the bins (default: the spread of the eigenvalues).

        Returns
        -------
        density : numpy.ndarray, shape (bins,)
            Mass per unit length in each bin (total mass 1).
        edges : numpy.ndarray, shape (bins + 1,)
            Bin edges.
        """
        h, e = np.histogram(self.eigenvalues, bins=bins, range=range)
        return h / (len(self.eigenvalues) * np.diff(e)), e

    def cdf(self, x):
        r"""Cumulative distribution function of the empirical measure.

        Parameters
        ----------
        x : float or array_like
            Points (any shape).

        Returns
        -------
        numpy.ndarray
            Fraction of eigenvalues :math:`\le x`, same shape as ``x``.
        """
        return np.searchsorted(np.sort(self.eigenvalues), np.asarray(x, float),
                               side="right") / len(self.eigenvalues)

    def moment(self, k: int) -> float:
        r"""Moment of order ``k`` of the empirical measure.

        Parameters
        ----------
        k : int
            Order.

        Returns
        -------
        float
            :math:`\frac1n\sum_i \lambda_i^k`.
        """
        return float(np.mean(self.eigenvalues**k))

    def outliers(self, edge: float, margin: float = 0.0) -> np.ndarray:
        """Eigenvalues separated from the bulk.

        Parameters
        ----------
        edge : float
            Upper edge of the bulk (e.g. :func:`mp_edges` ``[1]``).
        margin : float, optional
            Extra distance above the edge (default 0).

        Returns
        -------
        numpy.ndarray
            The eigenvalues above ``edge + margin``.
        """
        return self.eigenvalues[self.eigenvalues > edge + margin]


def sample_mp_spectrum(d: int, p: int, seed=0, var=1.0) -> EmpiricalSpectrum:
    r"""Spectrum of :math:`FF^\top/p`, :math:`F` a d x p matrix of i.i.d. N(0, var) entries.

    Parameters
    ----------
    d, p : int
        Dimensions of :math:`F` (>= 1).
    seed : int, optional
        Seed of ``numpy.random.default_rng`` (default 0).
    var : float, optional
        Entry variance (default 1).

    Returns
    -------
    EmpiricalSpectrum
        Its d eigenvalues.

    Raises
    ------
    InputError
        If ``d`` or ``p`` is not an integer >= 1, or ``var`` is not positive.
    """
    for name, v in (("d", d), ("p", p)):
        if not (isinstance(v, (int, np.integer)) and v >= 1):
            raise InputError(name, v, "an integer >= 1")
    F = np.random.default_rng(seed).standard_normal((d, p)) * math.sqrt(_var(var))
    return EmpiricalSpectrum(np.linalg.eigvalsh(F @ F.T / p))


def bbp_threshold(gamma) -> float:
    r"""Spike strength above which an outlier separates (BBP, Baik et al. 2005, Thm 1.1).

    Parameters
    ----------
    gamma : float
        Ratio :math:`\gamma = d/p > 0`.

    Returns
    -------
    float
        :math:`\theta_c = \sqrt\gamma`.

    Examples
    --------
    >>> bbp_threshold(0.25)
    0.5
    """
    return math.sqrt(_ratio(gamma))


def bbp_outlier(theta, gamma) -> float:
    r"""Limit of the top eigenvalue of a spiked sample covariance (BBP, Baik et al. 2005).

    Parameters
    ----------
    theta : float
        Spike strength :math:`\theta \ge 0` (covariance :math:`I + \theta vv^\top`).
    gamma : float
        Ratio :math:`\gamma = d/p > 0`.

    Returns
    -------
    float
        :math:`(1 + \theta)(1 + \gamma/\theta)` above the threshold
        :math:`\sqrt\gamma`, else the bulk edge :math:`(1 + \sqrt\gamma)^2`.
    """
    g, t = _ratio(gamma), _spike(theta)
    if t <= math.sqrt(g):
        return (1 + math.sqrt(g)) ** 2
    return (1 + t) * (1 + g / t)


def bbp_overlap(theta, gamma) -> float:
    r"""Limit of the squared overlap of the top eigenvector with the spike (Paul 2007, Thm 4).

    Parameters
    ----------
    theta : float
        Spike strength :math:`\theta \ge 0`.
    gamma : float
        Ratio :math:`\gamma = d/p > 0`.

    Returns
    -------
    float
        :math:`(1 - \gamma/\theta^2)/(1 + \gamma/\theta)` above the threshold, else 0.
    """
    g, t = _ratio(gamma), _spike(theta)
    if t <= math.sqrt(g):
        return 0.0
    return (1 - g / t**2) / (1 + g / t)



# ---------------------------------------------------------------------------------------------
# BBP for the spiked covariance at any precision


def _dps(dps) -> int:
    if not (isinstance(dps, (int, np.integer)) and not isinstance(dps, bool) and 5 <= dps <= 10000):
        raise InputError("dps", dps, "an integer number of decimal digits in [5, 10000]")
    return int(dps)


def _mp_positive(name, value, allowed, zero_ok=False):
    """Read a number exactly (a str or float goes through mpmath at the working precision)."""
    try:
        v = mpmath.mpf(value) if not isinstance(value, float) else mpmath.mpf(repr(value))
    except (TypeError, ValueError):
        raise InputError(name, value, allowed) from None
    if not mpmath.isfinite(v) or v < 0 or (v == 0 and not zero_ok):
        raise InputError(name, value, allowed)
    return v


def bbp_outlier_equation(lam, theta, gamma):
    r"""Left side of the outlier equation of the spiked covariance, at the working precision.

    :math:`F(\lambda, \theta) = 1 + \theta(1 + \lambda g(\lambda))`, :math:`g` the
    Marchenko--Pastur Stieltjes transform (unit variance); an eigenvalue :math:`\lambda >
    \lambda_+` of the spiked sample covariance (module docstring) is a zero of ``F``.

    Parameters
    ----------
    lam : mpmath number or float
        A point :math:`\lambda \ge \lambda_+` (real).
    theta : mpmath number or float
        Spike strength :math:`\theta \ge 0`.
    gamma : mpmath number or float
        Ratio :math:`\gamma = d/p > 0`.

    Returns
    -------
    mpmath.mpf
        :math:`F(\lambda, \theta)` at the caller's ``mpmath.mp.dps``.
    """
    lam, theta, gamma = mpmath.mpf(lam), mpmath.mpf(theta), mpmath.mpf(gamma)
    with mpmath.extradps(10):
        lo, hi = (1 - mpmath.sqrt(gamma)) ** 2, (1 + mpmath.sqrt(gamma)) ** 2
        s = mpmath.sqrt((lam - lo) * (lam - hi)) if lam > hi else mpmath.mpf(0)
        g = -2 / (lam + gamma - 1 + s)
        val = 1 + theta * (1 + lam * g)
    return +val


def bbp_threshold_mp(gamma, dps=30):
    r"""BBP threshold of the spiked covariance at ``dps`` digits, as a root (not a closed form).

    Solves, with ``mpmath.findroot``, :math:`F(\lambda_+, \theta) = 0` for :math:`\theta`
    (:func:`bbp_outlier_equation` at the bulk edge :math:`\lambda_+ = (1 + \sqrt\gamma)^2`):
    the spike at which the outlier's root leaves the edge. Equals :math:`\sqrt\gamma`
    (Baik, Ben Arous & Péché 2005, Theorem 1.1; :func:`bbp_threshold`).

    Parameters
    ----------
    gamma : float, str or mpmath number
        Ratio :math:`\gamma = d/p > 0` (a str is read exactly: ``"0.3"``).
    dps : int, optional
        Decimal digits (default 30).

    Returns
    -------
    mpmath.mpf
        :math:`\theta_c` at ``dps`` digits.

    Raises
    ------
    InputError
        If ``gamma`` is not finite and positive or ``dps`` is not an integer in [5, 10000].

    Examples
    --------
    >>> print(bbp_threshold_mp("0.25", dps=20))
    0.5
    """
    dps = _dps(dps)
    with mpmath.workdps(dps + 10):
        g = _mp_positive("gamma", gamma, "a finite ratio d/p > 0")
        edge = (1 + mpmath.sqrt(g)) ** 2
        th = mpmath.findroot(lambda t: bbp_outlier_equation(edge, t, g), (mpmath.mpf(1) / 4,
                                                                          mpmath.mpf(4)))
    with mpmath.workdps(dps):
        return +th


def bbp_outlier_mp(theta, gamma, dps=30):
    r"""Top eigenvalue limit of the spiked covariance at ``dps`` digits (mpmath twin of
    :func:`bbp_outlier`).

    Parameters
    ----------
    theta : float, str or mpmath number
        Spike strength :math:`\theta \ge 0` (covariance :math:`I + \theta vv^\top`).
    gamma : float, str or mpmath number
        Ratio :math:`\gamma = d/p > 0`.
    dps : int, optional
        Decimal digits (default 30).

    Returns
    -------
    mpmath.mpf
        :math:`(1 + \theta)(1 + \gamma/\theta)` for :math:`\theta > \sqrt\gamma`, else the edge
        :math:`(1 + \sqrt\gamma)^2` (Baik, Ben Arous & Péché 2005, Theorem 1.1).

    Raises
    ------
    InputError
        If ``theta`` is negative, ``gamma`` not positive, or ``dps`` out of range.
    """
    dps = _dps(dps)
    with mpmath.workdps(dps + 10):
        g = _mp_positive("gamma", gamma, "a finite ratio d/p > 0")
        t = _mp_positive("theta", theta, "a finite spike strength >= 0", zero_ok=True)
        val = (1 + mpmath.sqrt(g)) ** 2 if t <= mpmath.sqrt(g) else (1 + t) * (1 + g / t)
    with mpmath.workdps(dps):
        return +val


def bbp_overlap_mp(theta, gamma, dps=30):
    r"""Squared overlap of the top eigenvector with the spike at ``dps`` digits (mpmath twin
    of :func:`bbp_overlap`).

    Parameters
    ----------
    theta : float, str or mpmath number
        Spike strength :math:`\theta \ge 0`.
    gamma : float, str or mpmath number
        Ratio :math:`\gamma = d/p > 0`.
    dps : int, optional
        Decimal digits (default 30).

    Returns
    -------
    mpmath.mpf
        :math:`(1 - \gamma/\theta^2)/(1 + \gamma/\theta)` above :math:`\sqrt\gamma`, else 0
        (Paul 2007, Theorem 4).

    Raises
    ------
    InputError
        If ``theta`` is negative, ``gamma`` not positive, or ``dps`` out of range.
    """
    dps = _dps(dps)
    with mpmath.workdps(dps + 10):
        g = _mp_positive("gamma", gamma, "a finite ratio d/p > 0")
        t = _mp_positive("theta", theta, "a finite spike strength >= 0", zero_ok=True)
        val = mpmath.mpf(0) if t <= mpmath.sqrt(g) else (1 - g / t**2) / (1 + g / t)
    with mpmath.workdps(dps):
        return +val


# ---------------------------------------------------------------------------------------------
# semicircle law and spiked Wigner


def semicircle_edges(var=1.0) -> tuple:
    r"""Edges of the semicircle law (normalisation in the module docstring).

    Parameters
    ----------
    var : float, optional
        :math:`\sigma^2 > 0`: n times the off-diagonal entry variance (default 1).

    Returns
    -------
    tuple of float
        :math:`(-2\sigma, 2\sigma)`.

    Raises
    ------
    InputError
        If ``var`` is not finite and positive.

    Examples
    --------
    >>> semicircle_edges()
    (-2.0, 2.0)
    """
    r = 2 * math.sqrt(_var(var))
    return -r, r


def semicircle_density(x, var=1.0):
    r"""Density of the semicircle law.

    Parameters
    ----------
    x : float or array_like
        Points (any shape).
    var : float, optional
        :math:`\sigma^2 > 0` (default 1).

    Returns
    -------
    numpy.ndarray
        :math:`\sqrt{4\sigma^2 - x^2}/(2\pi\sigma^2)` on :math:`[-2\sigma, 2\sigma]`, 0 outside;
        same shape as ``x``.

    Raises
    ------
    InputError
        If ``var`` is not finite and positive.

    Examples
    --------
    >>> round(float(semicircle_density(0.0)), 12) == round(1 / math.pi, 12)
    True
    """
    v = _var(var)
    r = 2 * math.sqrt(v)
    x = np.asarray(x, dtype=float)
    return np.sqrt(np.clip((r - x) * (r + x), 0, None)) / (2 * math.pi * v)


def semicircle_stieltjes(z, var=1.0):
    r"""Stieltjes transform :math:`g(z) = \int\rho(x)dx/(x - z)` of the semicircle law.

    Closed form :math:`g = -2/(z + \sqrt{z - 2\sigma}\sqrt{z + 2\sigma})` (principal square
    roots: the cut is the support, :math:`g \sim -1/z`; module docstring), vectorised. Real for
    real :math:`z` outside the support; on the cut the limit from the upper half-plane.

    Parameters
    ----------
    z : complex or array_like of complex
        Points off the support (any shape).
    var : float, optional
        :math:`\sigma^2 > 0` (default 1).

    Returns
    -------
    complex or numpy.ndarray of complex
        :math:`g(z)`, the root of :math:`\sigma^2 g^2 + zg + 1 = 0` with :math:`g \sim -1/z`,
        same shape as ``z``.

    Raises
    ------
    InputError
        If ``var`` is not finite and positive.

    Examples
    --------
    >>> complex(semicircle_stieltjes(2.5))
    (-0.5+0j)
    """
    r = 2 * math.sqrt(_var(var))
    z = np.asarray(z, dtype=complex)
    s = np.sqrt(z - r) * np.sqrt(z + r)
    out = -2.0 / (z + s)
    return out[()] if out.ndim == 0 else out


def semicircle_stieltjes_derivative(z, var=1.0):
    r"""Derivative :math:`g'(z) = \int\rho(x)dx/(x - z)^2` of :func:`semicircle_stieltjes`.

    From the quadratic: :math:`g' = -g/(2\sigma^2 g + z) = -g/s`, :math:`s =
    \sqrt{z - 2\sigma}\sqrt{z + 2\sigma}` (infinite at the edges).

    Parameters
    ----------
    z : complex or array_like of complex
        Points off the support (any shape).
    var : float, optional
        :math:`\sigma^2 > 0` (default 1).

    Returns
    -------
    complex or numpy.ndarray of complex
        :math:`g'(z)`, same shape as ``z``.

    Raises
    ------
    InputError
        If ``var`` is not finite and positive.
    """
    r = 2 * math.sqrt(_var(var))
    z = np.asarray(z, dtype=complex)
    s = np.sqrt(z - r) * np.sqrt(z + r)
    out = 2.0 / ((z + s) * s)
    return out[()] if out.ndim == 0 else out


def semicircle_stieltjes_mp(z, var=1, dps=30):
    r"""Stieltjes transform of the semicircle law at ``dps`` digits (mpmath twin of
    :func:`semicircle_stieltjes`, same branch).

    Parameters
    ----------
    z : complex, float, str or mpmath number
        A point off the support (a real point outside :math:`[-2\sigma, 2\sigma]` gives a real
        value).
    var : float, str or mpmath number, optional
        :math:`\sigma^2 > 0` (default 1).
    dps : int, optional
        Decimal digits (default 30).

    Returns
    -------
    mpmath.mpc or mpmath.mpf
        :math:`g(z) = -2/(z + \sqrt{z - 2\sigma}\sqrt{z + 2\sigma})`.

    Raises
    ------
    InputError
        If ``var`` is not finite and positive or ``dps`` is out of range.
    """
    dps = _dps(dps)
    with mpmath.workdps(dps + 10):
        v = _mp_positive("var", var, "a finite variance > 0")
        z = mpmath.mpmathify(z)
        r = 2 * mpmath.sqrt(v)
        if isinstance(z, mpmath.mpf) and abs(z) >= r:  # real axis off the support: real value
            s = mpmath.sign(z) * mpmath.sqrt((z - r) * (z + r))
        else:
            s = mpmath.sqrt(z - r) * mpmath.sqrt(z + r)
        val = -2 / (z + s)
    with mpmath.workdps(dps):
        return +val


def sample_wigner_spectrum(n: int, seed=0, var=1.0, theta=0.0) -> EmpiricalSpectrum:
    r"""Spectrum of :math:`W + \theta e_1e_1^\top`, :math:`W = \sigma(G + G^\top)/\sqrt{2n}`.

    Parameters
    ----------
    n : int
        Size (>= 1).
    seed : int, optional
        Seed of ``numpy.random.default_rng`` (default 0).
    var : float, optional
        :math:`\sigma^2 > 0` (default 1).
    theta : float, optional
        Spike strength :math:`\theta \ge 0` along the first basis vector (default 0).

    Returns
    -------
    EmpiricalSpectrum
        Its n eigenvalues.

    Raises
    ------
    InputError
        If ``n`` is not an integer >= 1, ``var`` not positive or ``theta`` negative.
    """
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise InputError("n", n, "an integer >= 1")
    sig, t = math.sqrt(_var(var)), _spike(theta)
    G = np.random.default_rng(seed).standard_normal((n, n))
    W = sig * (G + G.T) / math.sqrt(2 * n)
    W[0, 0] += t
    return EmpiricalSpectrum(np.linalg.eigvalsh(W))


def wigner_outlier_equation(lam, theta, var=1):
    r"""Left side of the outlier equation of the spiked Wigner matrix, at the working precision.

    :math:`F(\lambda, \theta) = 1 + \theta g(\lambda)`, :math:`g` the semicircle Stieltjes
    transform; an eigenvalue :math:`\lambda > 2\sigma` of :math:`W + \theta vv^\top` is a zero
    of ``F`` (module docstring).

    Parameters
    ----------
    lam : mpmath number or float
        A real point :math:`\lambda \ge 2\sigma`.
    theta : mpmath number or float
        Spike strength.
    var : mpmath number or float, optional
        :math:`\sigma^2 > 0` (default 1).

    Returns
    -------
    mpmath.mpf
        :math:`F(\lambda, \theta)` at the caller's ``mpmath.mp.dps``.
    """
    lam, theta, v = mpmath.mpf(lam), mpmath.mpf(theta), mpmath.mpf(var)
    with mpmath.extradps(10):
        r = 2 * mpmath.sqrt(v)
        s = mpmath.sqrt((lam - r) * (lam + r)) if lam > r else mpmath.mpf(0)
        val = 1 - theta * 2 / (lam + s)
    return +val


def wigner_bbp_threshold(var=1.0) -> float:
    r"""Spike strength above which the spiked Wigner matrix has an outlier.

    Parameters
    ----------
    var : float, optional
        :math:`\sigma^2 > 0` (default 1; normalisation in the module docstring).

    Returns
    -------
    float
        :math:`\theta_c = \sigma` (1 in the standard normalisation).

    Raises
    ------
    InputError
        If ``var`` is not finite and positive.

    Examples
    --------
    >>> wigner_bbp_threshold()
    1.0
    """
    return math.sqrt(_var(var))


def wigner_bbp_outlier(theta, var=1.0) -> float:
    r"""Limit of the top eigenvalue of :math:`W + \theta vv^\top` (module docstring).

    Parameters
    ----------
    theta : float
        Spike strength :math:`\theta \ge 0`.
    var : float, optional
        :math:`\sigma^2 > 0` (default 1).

    Returns
    -------
    float
        :math:`\theta + \sigma^2/\theta` for :math:`\theta > \sigma`, else the edge
        :math:`2\sigma`.

    Raises
    ------
    InputError
        If ``theta`` is negative or ``var`` not positive.

    Examples
    --------
    >>> wigner_bbp_outlier(2.0)
    2.5
    """
    v, t = _var(var), _spike(theta)
    if t <= math.sqrt(v):
        return 2 * math.sqrt(v)
    return t + v / t


def wigner_bbp_overlap(theta, var=1.0) -> float:
    r"""Limit of the squared overlap of the top eigenvector of :math:`W + \theta vv^\top` with
    :math:`v` (Benaych-Georges & Nadakuditi 2011, Example 3.1).

    Parameters
    ----------
    theta : float
        Spike strength :math:`\theta \ge 0`.
    var : float, optional
        :math:`\sigma^2 > 0` (default 1).

    Returns
    -------
    float
        :math:`1 - \sigma^2/\theta^2` for :math:`\theta > \sigma`, else 0.

    Raises
    ------
    InputError
        If ``theta`` is negative or ``var`` not positive.

    Examples
    --------
    >>> wigner_bbp_overlap(2.0)
    0.75
    """
    v, t = _var(var), _spike(theta)
    if t <= math.sqrt(v):
        return 0.0
    return 1 - v / t**2


def wigner_bbp_threshold_mp(var=1, dps=30):
    r"""Spiked-Wigner BBP threshold at ``dps`` digits, as a root (not a closed form).

    Solves, with ``mpmath.findroot``, :math:`1 + \theta g(2\sigma) = 0` for :math:`\theta`
    (:func:`wigner_outlier_equation` at the bulk edge): the spike at which the outlier's root
    leaves the edge. Equals :math:`\sigma` (:func:`wigner_bbp_threshold`).

    Parameters
    ----------
    var : float, str or mpmath number, optional
        :math:`\sigma^2 > 0` (default 1).
    dps : int, optional
        Decimal digits (default 30).

    Returns
    -------
    mpmath.mpf
        :math:`\theta_c` at ``dps`` digits.

    Raises
    ------
    InputError
        If ``var`` is not finite and positive or ``dps`` is out of range.

    Examples
    --------
    >>> print(wigner_bbp_threshold_mp(dps=20))
    1.0
    """
    dps = _dps(dps)
    with mpmath.workdps(dps + 10):
        v = _mp_positive("var", var, "a finite variance > 0")
        edge = 2 * mpmath.sqrt(v)
        th = mpmath.findroot(lambda t: wigner_outlier_equation(edge, t, v),
                             (mpmath.mpf(1) / 4, mpmath.mpf(4)))
    with mpmath.workdps(dps):
        return +th


def wigner_bbp_outlier_mp(theta, var=1, dps=30):
    r"""Top eigenvalue limit of the spiked Wigner matrix at ``dps`` digits (mpmath twin of
    :func:`wigner_bbp_outlier`).

    Parameters
    ----------
    theta : float, str or mpmath number
        Spike strength :math:`\theta \ge 0`.
    var : float, str or mpmath number, optional
        :math:`\sigma^2 > 0` (default 1).
    dps : int, optional
        Decimal digits (default 30).

    Returns
    -------
    mpmath.mpf
        :math:`\theta + \sigma^2/\theta` above :math:`\sigma`, else :math:`2\sigma`.

    Raises
    ------
    InputError
        If ``theta`` is negative, ``var`` not positive or ``dps`` out of range.
    """
    dps = _dps(dps)
    with mpmath.workdps(dps + 10):
        v = _mp_positive("var", var, "a finite variance > 0")
        t = _mp_positive("theta", theta, "a finite spike strength >= 0", zero_ok=True)
        val = 2 * mpmath.sqrt(v) if t <= mpmath.sqrt(v) else t + v / t
    with mpmath.workdps(dps):
        return +val


def wigner_bbp_overlap_mp(theta, var=1, dps=30):
    r"""Squared overlap of the spiked Wigner top eigenvector with the spike at ``dps`` digits
    (mpmath twin of :func:`wigner_bbp_overlap`).

    Parameters
    ----------
    theta : float, str or mpmath number
        Spike strength :math:`\theta \ge 0`.
    var : float, str or mpmath number, optional
        :math:`\sigma^2 > 0` (default 1).
    dps : int, optional
        Decimal digits (default 30).

    Returns
    -------
    mpmath.mpf
        :math:`1 - \sigma^2/\theta^2` above :math:`\sigma`, else 0.

    Raises
    ------
    InputError
        If ``theta`` is negative, ``var`` not positive or ``dps`` out of range.
    """
    dps = _dps(dps)
    with mpmath.workdps(dps + 10):
        v = _mp_positive("var", var, "a finite variance > 0")
        t = _mp_positive("theta", theta, "a finite spike strength >= 0", zero_ok=True)
        val = mpmath.mpf(0) if t <= mpmath.sqrt(v) else 1 - v / t**2
    with mpmath.workdps(dps):
        return +val
