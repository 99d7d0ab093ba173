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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np

from ..errors import InputError

__all__ = ["mp_edges", "mp_atom", "mp_density", "mp_stieltjes", "mp_stieltjes_derivative",
           "mp_stieltjes_mp", "EmpiricalSpectrum", "sample_mp_spectrum", "bbp_threshold",
           "bbp_outlier", "bbp_overlap"]


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
