r"""Conditional Gaussian equivalence, measured on a first layer :math:`W^1` (finite size).

The statement checked (Cui et al., arXiv:2402.04980v2, Sec. 3, conditional Gaussian
equivalence; digest ``one-step-digest.md`` Sec. 1.4; HDR thesis of B. Loureiro, eqs
(3.27)--(3.29)): given :math:`\kappa = \langle\hat v, x\rangle`, a feature
:math:`\sigma(\langle w^1_k, x\rangle)`, :math:`w^1_k = w_k + r\hat v`, behaves as
:math:`\mu_0(\kappa) + \mu_1(\kappa)\langle w_k, x\rangle + \mu_\star(\kappa) z_k` with
:math:`\mu_0(\kappa) = \mathbb E\sigma(r\kappa + \sqrt c\,\xi)`,
:math:`\mu_1(\kappa) = \mathbb E\sigma'(r\kappa + \sqrt c\,\xi)`,
:math:`\mu_\star^2 = \mathbb E\sigma^2 - \mu_0^2 - c\mu_1^2`
(:func:`theory.numeric.conditional.conditional_coefficients` at shift :math:`r\kappa`, variance
c). Three consequences are measured per :math:`\kappa` bin, averaged over the neurons:

* the conditional mean :math:`\mathbb E[\sigma(\langle w^1_k, x\rangle)\mid\kappa] = \mu_0`;
* the conditional variance :math:`c\,\mu_1^2 + \mu_\star^2` (:math:`= \mathbb E\sigma^2 -
  \mu_0^2`);
* the conditional covariance with :math:`\xi_k = \langle w^1_k, \Pi x\rangle`
  (:math:`\Pi = I - \hat v\hat v^\top`): :math:`\mathbb E[\sigma\,\xi_k\mid\kappa] = c\,\mu_1`
  (Stein's lemma on the Gaussian :math:`\xi_k` of variance c).

Sampling: :math:`\kappa` uniform on :math:`[-\kappa_{\max}, \kappa_{\max}]` (equal precision in
every bin; every measured quantity is conditional on κ), :math:`x = \kappa\hat v + \Pi z`,
:math:`z \sim \mathcal N(0, I_d)`. Each point's own κ enters the theory (the bin's spread of κ
does not bias the comparison): per point the residual :math:`e_{ik} = \sigma_{ik} -
\mu_0(\kappa_i)`, and its neuron averages :math:`A_i = \langle e_{ik}\rangle_k`,
:math:`B_i = \langle e_{ik}^2\rangle_k`, :math:`C_i = \langle e_{ik}\xi_{ik}\rangle_k`, which are
independent across points for a fixed :math:`W^1`. Per bin: mean = mean of
:math:`\mu_0(\kappa_i) + A_i`, variance = mean of :math:`B_i` minus (mean of
:math:`A_i`)², covariance = mean of :math:`C_i`; standard errors from the spread of
:math:`A_i, B_i, C_i` over the points of the bin (the fluctuation over :math:`x` for this one
:math:`W^1`; the fluctuation over :math:`W^1` is not in them).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from .resources import check_resources

__all__ = ["conditional_moments", "spike_direction"]


def spike_direction(W1) -> np.ndarray:
    r"""The top right singular vector :math:`\hat v` of :math:`W^1`, signed so that the mean of
    :math:`\langle w^1_k, \hat v\rangle` is positive (as :func:`theory.simulate.measure_spike`).

    Parameters
    ----------
    W1 : numpy.ndarray, shape (p, d)
        First-layer weights (p, d >= 2).

    Returns
    -------
    numpy.ndarray, shape (d,)
        Unit vector.

    Raises
    ------
    InputError
        ``W1`` not a 2-d array with p, d >= 2.
    """
    W1 = np.asarray(W1, float)
    if W1.ndim != 2 or min(W1.shape) < 2:
        raise InputError("W1", getattr(W1, "shape", W1), "a 2-d array of shape (p, d), p, d >= 2")
    from scipy.sparse.linalg import svds

    k = min(W1.shape)
    _, _, Vt = svds(W1, k=1, v0=np.ones(k) / math.sqrt(k))
    v = Vt[0]
    return -v if (W1 @ v).mean() < 0 else v


def conditional_moments(W1, vhat=None, *, activation="tanh", r: float | None = None,
                        c: float | None = None, bins: int = 10, kappa_max: float = 2.5,
                        n_points: int = 20000, seed: int = 0, chunk: int = 2000) -> dict:
    r"""Conditional mean, variance and covariance of the features given κ, against theory.

    See the module docstring for what is measured and how (Cui et al., arXiv:2402.04980v2,
    conditional Gaussian equivalence; theory from
    :func:`theory.numeric.conditional.conditional_coefficients`).

    Parameters
    ----------
    W1 : numpy.ndarray, shape (p, d)
        First layer (network after one step, or an sRF :math:`W + r\mathbf 1\hat v^\top`).
    vhat : numpy.ndarray, shape (d,), optional
        Unit spike direction; default :func:`spike_direction` of ``W1``.
    activation : str or sympy.Expr, default "tanh"
        :math:`\sigma`.
    r, c : float, optional
        Spike strength and bulk variance entering the theory; default the values measured on
        ``W1`` as :func:`theory.simulate.measure_spike` does (r = mean of
        :math:`\langle w^1_k, \hat v\rangle`, c = mean of :math:`\|w^1_k -
        \langle w^1_k,\hat v\rangle\hat v\|^2\,d/(d-1)`).
    bins : int, default 10
        Number of equal κ bins on :math:`[-\kappa_{\max}, \kappa_{\max}]` (>= 1).
    kappa_max : float, default 2.5
        Half-width of the κ range (> 0).
    n_points : int, default 20000
        Sample points (>= 2 per bin on average).
    seed : int, default 0
        Seed of κ and z.
    chunk : int, default 2000
        Points per block (memory: chunk × p floats).

    Returns
    -------
    dict
        ``edges`` (bins + 1), ``centers``, ``count`` (per bin); per bin arrays ``mean``,
        ``mean_theory``, ``mean_se``, ``var``, ``var_theory``, ``var_se``, ``cov``,
        ``cov_theory``, ``cov_se``; ``z_mean``, ``z_var``, ``z_cov`` (measured minus theory
        over the standard error); scalars ``r``, ``c`` (used), ``p``, ``d``, ``n_points``.

    Raises
    ------
    InputError
        Bad shapes, ``vhat`` not of unit norm, ``r`` < 0, ``c`` <= 0, ``bins`` < 1,
        ``kappa_max`` <= 0, ``n_points`` < 2 ``bins``, ``chunk`` < 1.
    """
    from ..numeric.bridge import numpy_function
    from ..numeric.conditional import conditional_coefficients
    from ..symbolic.activations import get_activation, x as X

    W1 = np.asarray(W1, float)
    if W1.ndim != 2 or min(W1.shape) < 2:
        raise InputError("W1", getattr(W1, "shape", W1), "a 2-d array of shape (p, d), p, d >= 2")
    p, d = W1.shape
    v = spike_direction(W1) if vhat is None else np.asarray(vhat, float)
    if v.shape != (d,) or abs(float(v @ v) - 1.0) > 1e-8:
        raise InputError("vhat", v.shape, f"a unit vector of length d = {d}")
    for name, val, lo in (("bins", bins, 1), ("n_points", n_points, 2 * max(int(bins), 1)),
                          ("chunk", chunk, 1)):
        if not (isinstance(val, (int, np.integer)) and not isinstance(val, bool) and val >= lo):
            raise InputError(name, val, f"an integer >= {lo}")
    if not (isinstance(kappa_max, (int, float)) and math.isfinite(kappa_max)
            and kappa_max > 0):
        raise InputError("kappa_max", kappa_max, "a finite number > 0")
    check_resources(conditional_moments, {"W1": W1, "n_points": n_points, "chunk": chunk})
    proj = W1 @ v
    rest = np.einsum("ij,ij->i", W1, W1) - proj**2
    r_used = float(proj.mean()) if r is None else float(r)
    c_used = float(rest.mean()) * d / (d - 1) if c is None else float(c)
    if not (math.isfinite(r_used) and r_used >= 0):
        raise InputError("r", r, "a finite number >= 0")
    if not (math.isfinite(c_used) and c_used > 0):
        raise InputError("c", c, "a finite number > 0")
    delta = proj - r_used  # each neuron's own spike minus the common r
    act = get_activation(activation)
    sigma = numpy_function(act.expr, (X,))

    rng = np.random.default_rng([seed, 20261203])
    kap = rng.uniform(-kappa_max, kappa_max, n_points)
    # on the distinct shifts (r = 0: one; the foundation's interpolation in kappa needs a
    # range of positive width)
    shifts, inv = np.unique(r_used * kap, return_inverse=True)
    cc = conditional_coefficients(act, shifts, c_used)
    mu0, mu1 = np.asarray(cc.mu0, float)[inv], np.asarray(cc.mu1, float)[inv]
    var_th = np.asarray(cc.E_sigma2, float)[inv] - mu0**2  # = c mu1^2 + mu_star^2
    A, B, C = (np.empty(n_points) for _ in range(3))
    for i in range(0, n_points, chunk):
        k = kap[i:i + chunk]
        z = rng.standard_normal((len(k), d))
        z -= np.outer(z @ v, v)  # Pi z
        xi = z @ W1.T  # <w1_k, Pi x>
        h = xi + np.outer(k, proj)
        e = (np.broadcast_to(np.asarray(sigma(h), float), h.shape) - mu0[i:i + chunk, None]
             - np.outer(mu1[i:i + chunk] * k, delta))
        A[i:i + chunk] = e.mean(axis=1)
        B[i:i + chunk] = (e * e).mean(axis=1)
        C[i:i + chunk] = (e * xi).mean(axis=1)
    edges = np.linspace(-kappa_max, kappa_max, bins + 1)
    idx = np.clip(np.digitize(kap, edges) - 1, 0, bins - 1)
    out: dict = {k: np.full(bins, np.nan) for k in (
        "mean", "mean_theory", "mean_se", "var", "var_theory", "var_se", "cov",
        "cov_theory", "cov_se")}
    count = np.bincount(idx, minlength=bins)
    for b in range(bins):
        m = idx == b
        nb = int(m.sum())
        if nb < 2:
            continue
        sq = math.sqrt(nb)
        out["mean"][b] = float((mu0[m] + A[m]).mean())
        out["mean_theory"][b] = float(mu0[m].mean())
        out["mean_se"][b] = float(A[m].std(ddof=1)) / sq
        out["var"][b] = float(B[m].mean() - A[m].mean() ** 2)
        out["var_theory"][b] = float(var_th[m].mean())
        out["var_se"][b] = float(B[m].std(ddof=1)) / sq
        out["cov"][b] = float(C[m].mean())
        out["cov_theory"][b] = float(c_used * mu1[m].mean())
        out["cov_se"][b] = float(C[m].std(ddof=1)) / sq
    for name in ("mean", "var", "cov"):
        out["z_" + name] = (out[name] - out[name + "_theory"]) / out[name + "_se"]
    out.update(edges=edges, centers=(edges[1:] + edges[:-1]) / 2, count=count, r=r_used,
               c=c_used, p=p, d=d, n_points=n_points)
    return out
