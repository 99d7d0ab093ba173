"""Independent slow reference for gmm_multiclass, cross-entropy loss (K = 3).

The saddle-point equations of theory/models/gmm_multiclass.py's docstring (convex-loss
channel + l2 prior), written again without importing theory and solved differently:
* prox of z -> -z_k + logsumexp(z) in the metric V^-1 by scipy.optimize.minimize (BFGS with
  the exact gradient, gtol 1e-13) at every node separately;
* expectations over omega ~ N(M[:, k] + b, Q) by the product Gauss-Hermite rule of
  numpy.polynomial.hermite_e (n = 20 per dimension) on the range of Q (eigendecomposition;
  Q has the null direction 1 for this loss);
* -d f / d omega = (I + H V)^-1 H, H the softmax Hessian at the prox;
* damped Picard iteration (0.5) with b <- b + 2 sum_k rho_k E f_k, sum b = 0, until the step
  is below 1e-12; then the test error by a 2-D Gauss-Hermite-free mpmath 1-D integral.
Run: ``python tests/reference/gmm_multi_ce_ref.py`` -> gmm_multi_ce_ref.json (minutes).
"""

import json
from pathlib import Path

import mpmath as mp
import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax


def gram(means, K):
    if means == "orthonormal":
        return np.eye(K)
    return K / (K - 1) * (np.eye(K) - np.ones((K, K)) / K)


def prox(om, k, V, Vi):
    def fun(z):
        d = z - om
        return 0.5 * d @ Vi @ d - z[k] + logsumexp(z)

    def jac(z):
        g = Vi @ (z - om) + softmax(z)
        g[k] -= 1
        return g

    r = minimize(fun, om.copy(), jac=jac, method="BFGS", options={"gtol": 1e-13})
    return r.x


def step(V, Q, M, b, alpha, lam, Delta, rho, G, n=20):
    K = len(rho)
    ev, U = np.linalg.eigh(Q)
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
    Vi = np.linalg.inv(V)
    Vh = np.zeros((K, K))
    Qh = np.zeros((K, K))
    Mh = np.zeros((K, K))
    gb = np.zeros(K)
    for k in range(K):
        Ef = np.zeros(K)
        for xi, wt in zip(Xi, Wt):
            om = M[:, k] + b + L @ xi
            z = prox(om, k, V, Vi)
            p = softmax(z)
            f = -p
            f[k] += 1
            H = np.diag(p) - np.outer(p, p)
            Vh += alpha * rho[k] * wt * np.linalg.solve(np.eye(K) + H @ V, H)
            Qh += alpha * rho[k] * wt * np.outer(f, f)
            Ef += wt * f
        Mh[:, k] = alpha * rho[k] * Ef
        gb += rho[k] * Ef
    B = np.linalg.inv(lam * np.eye(K) + Delta * Vh)
    Vn = Delta * B
    Qn = Delta * B @ (Delta * Qh + Mh @ G @ Mh.T) @ B
    Mn = B @ Mh @ G
    bn = b + 2 * gb
    bn -= bn.mean()
    return 0.5 * (Vn + Vn.T), 0.5 * (Qn + Qn.T), Mn, bn


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
        V, Q, M, b = np.eye(K), 0.5 * P, 0.5 * P @ G, np.zeros(K)
        for it in range(2000):  # noqa: B007 (reported after the loop)
            Vn, Qn, Mn, bn = step(V, Q, M, b, alpha, lam, Delta, rho, G)
            d = max(np.max(np.abs(Vn - V)), np.max(np.abs(Qn - Q)), np.max(np.abs(Mn - M)),
                    np.max(np.abs(bn - b)))
            V, Q, M, b = (0.5 * V + 0.5 * Vn, 0.5 * Q + 0.5 * Qn, 0.5 * M + 0.5 * Mn,
                          0.5 * b + 0.5 * bn)
            if d < 1e-12:
                break
        te = test_error_k3(Q, M, b, rho)
        out.append({"K": 3, "alpha": alpha, "lam": lam, "Delta": Delta, "means": means,
                    "rho": rho.tolist(), "V": V.tolist(), "Q": Q.tolist(), "M": M.tolist(),
                    "b": b.tolist(), "iterations": it, "last_step": d,
                    "test_error": mp.nstr(te, 20)})
        print(alpha, it, d, mp.nstr(te, 15), flush=True)
    Path(__file__).with_suffix(".json").write_text(json.dumps(
        {"source": "tests/reference/gmm_multi_ce_ref.py (scipy minimize prox, numpy "
                   "Gauss-Hermite 20^2, damped Picard; test error by mpmath)",
         "values": out}, indent=1))
