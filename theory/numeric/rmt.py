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
    """(lambda_-, lambda_+) of the Marchenko--Pastur law of ratio gamma and variance var."""
    g, v = _ratio(gamma), _var(var)
    return v * (1 - math.sqrt(g)) ** 2, v * (1 + math.sqrt(g)) ** 2


def mp_atom(gamma) -> float:
    """Mass of the atom at 0: max(0, 1 - 1/gamma)."""
    return max(0.0, 1.0 - 1.0 / _ratio(gamma))


def mp_density(x, gamma, var=1.0):
    """Density of the absolutely continuous part (the atom at 0 is :func:`mp_atom`)."""
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
    """g(z) = int dmu(x)/(x - z) for complex z off the support (closed form, vectorised).

    For real z below the support (z < lambda_-, z != 0) the value is real; on the cut the
    limit from the upper half-plane is returned (pass ``z + 0j`` with a tiny positive imaginary
    part to choose the side explicitly).
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
    """g'(z) = int dmu(x)/(x - z)^2, by differentiating the quadratic:
    g' = -(g + gamma var g^2) / (2 gamma var z g + z + var (gamma - 1))."""
    g, v = _ratio(gamma), _var(var)
    G = np.asarray(mp_stieltjes(z, g, v), dtype=complex)
    z = np.asarray(z, dtype=complex)
    out = -(G + g * v * G**2) / (2 * g * v * z * G + z + v * (g - 1))
    return out[()] if out.ndim == 0 else out


def mp_stieltjes_mp(z, gamma, var=1, dps=30):
    """g(z) at ``dps`` digits by mpmath (same branch: sqrt(z - lo) sqrt(z - hi))."""
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
    """The spectral measure (1/n) sum_i delta_{lambda_i} of a symmetric matrix."""

    eigenvalues: np.ndarray

    @classmethod
    def of(cls, matrix) -> EmpiricalSpectrum:
        a = np.asarray(matrix, dtype=float)
        if a.ndim != 2 or a.shape[0] != a.shape[1]:
            raise InputError("matrix", f"shape {a.shape}", "a square symmetric matrix")
        if not np.allclose(a, a.T, atol=1e-10 * max(1.0, float(np.max(np.abs(a))))):
            raise InputError("matrix", "not symmetric", "a symmetric matrix")
        return cls(np.linalg.eigvalsh(a))

    def stieltjes(self, z):
        z = np.asarray(z, dtype=complex)
        out = np.mean(1.0 / (self.eigenvalues[:, None] - z.reshape(-1)[None, :]), axis=0)
        return out.reshape(z.shape)[()] if z.ndim == 0 else out.reshape(z.shape)

    def histogram(self, bins=50, range=None):
        """(density, edges), normalised so that the total mass is 1."""
        h, e = np.histogram(self.eigenvalues, bins=bins, range=range)
        return h / (len(self.eigenvalues) * np.diff(e)), e

    def cdf(self, x):
        return np.searchsorted(np.sort(self.eigenvalues), np.asarray(x, float),
                               side="right") / len(self.eigenvalues)

    def moment(self, k: int) -> float:
        return float(np.mean(self.eigenvalues**k))

    def outliers(self, edge: float, margin: float = 0.0) -> np.ndarray:
        """Eigenvalues above ``edge + margin``."""
        return self.eigenvalues[self.eigenvalues > edge + margin]


def sample_mp_spectrum(d: int, p: int, seed=0, var=1.0) -> EmpiricalSpectrum:
    """Eigenvalues of F F^T / p with F a d x p matrix of N(0, var) entries (seeded)."""
    for name, v in (("d", d), ("p", p)):
        if not (isinstance(v, (int, np.integer)) and v >= 1):
            raise InputError(name, v, "an integer >= 1")
    F = np.random.default_rng(seed).standard_normal((d, p)) * math.sqrt(_var(var))
    return EmpiricalSpectrum(np.linalg.eigvalsh(F @ F.T / p))


def bbp_threshold(gamma) -> float:
    """Spike strength theta above which an outlier separates: sqrt(gamma)."""
    return math.sqrt(_ratio(gamma))


def bbp_outlier(theta, gamma) -> float:
    """Limit of the top eigenvalue: (1+theta)(1+gamma/theta) above threshold, else the edge."""
    g, t = _ratio(gamma), _spike(theta)
    if t <= math.sqrt(g):
        return (1 + math.sqrt(g)) ** 2
    return (1 + t) * (1 + g / t)


def bbp_overlap(theta, gamma) -> float:
    """Limit of <v_top, v>^2: (1 - gamma/theta^2)/(1 + gamma/theta) above threshold, else 0."""
    g, t = _ratio(gamma), _spike(theta)
    if t <= math.sqrt(g):
        return 0.0
    return (1 - g / t**2) / (1 + g / t)
