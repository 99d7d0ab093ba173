"""Independent slow reference for gmm_multiclass, cross-entropy loss (K = 3).

The saddle-point equations of theory/models/gmm_multiclass.py's docstring (convex-loss
channel + l2 prior), written again without importing theory and solved differently:
* prox of z -> -z_k + logsumexp(z) in the metric V^-1: plain Newton on the gradient
  V^-1 (z - omega) + softmax(z) - e_k with numpy.linalg.solve and step halving on the gradient
  norm, all nodes at once, checked afterwards (first-order condition <= 1e-12 at every node);
  (scipy.optimize.minimize per node, tried first, took 43 s per map evaluation here);
* expectations over omega ~ N(M[:, k] + b, Q) by the product Gauss-Hermite rule of
  numpy.polynomial.hermite_e (n = 40 per dimension) on the range of Q (eigendecomposition;
  Q has the null direction 1 for this loss);
* -d f / d omega = (I + H V)^-1 H, H the softmax Hessian at the prox;
* 40 damped Picard steps (16 nodes per dimension) from a crude start, then the fixed point
  of the full K x K map (V, Q, M as full matrices, b) by
  scipy.optimize.fsolve (xtol 1e-13), with sum b = 0 imposed as one of the equations;
  then the test error by an mpmath 1-D integral (30 digits).
Run: ``python tests/reference/gmm_multi_ce_ref.py`` -> gmm_multi_ce_ref.json (minutes).
"""

import json
from pathlib import Path

import mpmath as mp
import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.optimize import fsolve
from scipy.special import softmax


def gram(means, K):
    if means == "orthonormal":
        return np.eye(K)
    return K / (K - 1) * (np.eye(K) - np.ones((K, K)) / K)


def prox_all(om, E, V):
    """Newton for all rows of om at once (independent of theory's prox)."""
    Vi = np.linalg.inv(V)
    z = om.copy()
    for _ in range(100):
        p = softmax(z, axis=1)
        g = (z - om) @ Vi + p - E
        H = p[:, :, None] * np.eye(len(V)) - p[:, :, None] * p[:, None, :]
        dz = np.linalg.solve(Vi[None] + H, g[..., None])[..., 0]
        t = np.ones(len(z))
        gn = np.linalg.norm(g, axis=1)
        for _ in range(30):
            zt = z - t[:, None] * dz
            gt = (zt - om) @ Vi + softmax(zt, axis=1) - E
            bad = np.linalg.norm(gt, axis=1) > gn * (1 - 1e-4 * t) + 1e-15
            if not bad.any():
                break
            t = np.where(bad, t / 2, t)
        z = z - t[:, None] * dz
        if np.max(np.abs(dz)) < 1e-14:
            break
    g = (z - om) @ Vi + softmax(z, axis=1) - E
    assert np.max(np.abs(g)) < 1e-12, np.max(np.abs(g))
    return z


def step(V, Q, M, b, alpha, lam, Delta, rho, G, n=40):
    K = len(rho)
    ev, U = np.linalg.eigh(0.5 * (Q + Q.T))
    keep = ev > 1e-10 * max(ev.max(), 1e-300)
    L = U[:, keep] * np.sqrt(ev[keep])
    r = L.shape[1]
    x, w = hermegauss(n)
    w = w / w.sum()
    grids = np.meshgrid(*([x] * r), indexing="ij")
    Xi = np.stack([g.ravel() for g in grids], 1)
    Wt = np.ones(1)
    for _ in range(r):
        Wt = np.outer(Wt, w).ravel()
    Vh = np.zeros((K, K))
    Qh = np.zeros((K, K))
    Mh = np.zeros((K, K))
    gb = np.zeros(K)
    for k in range(K):
        om = M[:, k] + b + Xi @ L.T
        E = np.zeros_like(om)
        E[:, k] = 1
        z = prox_all(om, E, V)
        p = softmax(z, axis=1)
        f = E - p
        H = p[:, :, None] * np.eye(K) - p[:, :, None] * p[:, None, :]
        Vh += alpha * rho[k] * np.einsum("n,nij->ij", Wt, np.linalg.solve(np.eye(K) + H @ V, H))
        Qh += alpha * rho[k] * np.einsum("n,ni,nj->ij", Wt, f, f)
        Ef = Wt @ f
        Mh[:, k] = alpha * rho[k] * Ef
        gb += rho[k] * Ef
    B = np.linalg.inv(lam * np.eye(K) + Delta * Vh)
    Vn = Delta * B
    Qn = Delta * B @ (Delta * Qh + Mh @ G @ Mh.T) @ B
    Mn = B @ Mh @ G
    return Vn, Qn, Mn, gb


def test_error_k3(Q, M, b, rho):
    mp.mp.dps = 30
    err = mp.mpf(1)
    for k in range(3):
        j1, j2 = [j for j in range(3) if j != k]
        loc = [mp.mpf(float(M[i, k] + b[i])) for i in range(3)]
        Qm = [[mp.mpf(float(Q[i, j])) for j in range(3)] for i in range(3)]
        D = [[1 if i == k else -1 if i == j else 0 for i in range(3)] for j in (j1, j2)]
        m = [sum(D[a][i] * loc[i] for i in range(3)) for a in range(2)]
        S = [[sum(D[a][i] * Qm[i][j] * D[c][j] for i in range(3) for j in range(3))
              for c in range(2)] for a in range(2)]
        s1 = mp.sqrt(S[0][0])
        r = S[0][1] / s1
        s2 = mp.sqrt(S[1][1] - r**2)
        lo = -m[0] / s1
        P = mp.quad(lambda z: mp.npdf(z) * mp.ncdf((m[1] + r * z) / s2), [lo, lo + 5, mp.inf])
        err -= mp.mpf(float(rho[k])) * P
    return err


if __name__ == "__main__":
    out = []
    for alpha, lam, Delta, means, rho in ((2.0, 0.1, 0.5, "simplex", [1 / 3] * 3),
                                          (1.0, 0.05, 1.0, "orthonormal", [0.2, 0.3, 0.5])):
        rho = np.array(rho)
        G = gram(means, 3)
        K = 3
        P = np.eye(K) - np.ones((K, K)) / K
        x0 = np.concatenate([np.eye(K).ravel(), (0.5 * P).ravel(), (0.5 * P @ G).ravel(),
                             np.zeros(K)])

        def eqs(x, alpha=alpha, lam=lam, Delta=Delta, rho=rho, G=G):
            V, Q, M, b = (x[:9].reshape(3, 3), x[9:18].reshape(3, 3), x[18:27].reshape(3, 3),
                          x[27:])
            if np.linalg.eigvalsh(0.5 * (V + V.T))[0] <= 0:
                return np.full(x.size, 1e3)  # outside the domain: push fsolve back
            Vn, Qn, Mn, gb = step(0.5 * (V + V.T), Q, M, b, alpha, lam, Delta, rho, G)
            # b: sum_k rho_k E f_k = 0 has rank K - 1 (1^T f = 0); sum b = 0 fixes it
            eb = gb.copy()
            eb[-1] = b.sum()
            return np.concatenate([(Vn - V).ravel(), (Qn - Q).ravel(), (Mn - M).ravel(), eb])

        for _ in range(40):  # a few damped Picard steps to get near, then fsolve
            V, Q, M, b = (x0[:9].reshape(3, 3), x0[9:18].reshape(3, 3),
                          x0[18:27].reshape(3, 3), x0[27:])
            Vn, Qn, Mn, gb = step(V, Q, M, b, alpha, lam, Delta, rho, G, n=16)
            bn = b + 2 * gb
            bn -= bn.mean()
            x0 = 0.5 * x0 + 0.5 * np.concatenate([Vn.ravel(), Qn.ravel(), Mn.ravel(), bn])
        x, info, ier, msg = fsolve(eqs, x0, xtol=1e-13, full_output=True)
        d = float(np.max(np.abs(eqs(x))))
        it = info["nfev"]
        V, Q, M, b = x[:9].reshape(3, 3), x[9:18].reshape(3, 3), x[18:27].reshape(3, 3), x[27:]
        te = test_error_k3(Q, M, b, rho)
        out.append({"K": 3, "alpha": alpha, "lam": lam, "Delta": Delta, "means": means,
                    "rho": rho.tolist(), "V": V.tolist(), "Q": Q.tolist(), "M": M.tolist(),
                    "b": b.tolist(), "iterations": it, "last_step": d,
                    "test_error": mp.nstr(te, 20)})
        print(alpha, it, d, mp.nstr(te, 15), flush=True)
        Path(__file__).with_suffix(".json").write_text(json.dumps(
            {"source": "tests/reference/gmm_multi_ce_ref.py (numpy Newton prox, numpy "
                       "Gauss-Hermite 40^2, scipy fsolve; test error by mpmath)",
             "values": out}, indent=1))
