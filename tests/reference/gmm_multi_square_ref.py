"""Independent reference for gmm_multiclass, square loss: the digest's closed-form map iterated.

gmm-digest.md Sec. 2.2 (the authors' multiK ``update_hat_qua`` / ``update_sp``), in the
digest's own hat convention, written from the digest (it does not import theory):
diff = M - I + b 1^T, A = (I + V)^-1,
Vh = alpha Delta A, Qh = alpha Delta A (Q + diff diag(rho) diff^T) A, Mh = -alpha A diff diag(rho),
b = sum_k rho_k (e_k - M[:, k]);  B = (lam I + Vh)^-1,
V = Delta B, Q = Delta B (Qh + Mh G Mh^T) B, M = B Mh G.
Damped Picard iteration (damping 0.5) to a step of 1e-15 relative to the largest entry. The test error for K = 3 by mpmath
(30 digits): P[h_k > h_j, j != k], h ~ N(M[:, k] + b, Q), as a 1-D integral of
phi(z) Phi(.) over the half-line of the first difference.
Run: ``python tests/reference/gmm_multi_square_ref.py`` -> gmm_multi_square_ref.json.
"""

import json
from pathlib import Path

import mpmath as mp
import numpy as np


def gram(means, K):
    if means == "orthonormal":
        return np.eye(K)
    return K / (K - 1) * (np.eye(K) - np.ones((K, K)) / K)


def fixed_point(alpha, lam, Delta, rho, G):
    K = len(rho)
    V, Q, M, b = np.eye(K), np.eye(K), np.zeros((K, K)), np.zeros(K)
    R = np.diag(rho)
    for it in range(200000):
        diff = M - np.eye(K) + np.outer(b, np.ones(K))
        A = np.linalg.inv(np.eye(K) + V)
        Vh = alpha * Delta * A
        Qh = alpha * Delta * A @ (Q + diff @ R @ diff.T) @ A
        Mh = -alpha * A @ diff @ R
        bn = (np.eye(K) - M) @ rho
        B = np.linalg.inv(lam * np.eye(K) + Vh)
        Vn = Delta * B
        Qn = Delta * B @ (Qh + Mh @ G @ Mh.T) @ B
        Mn = B @ Mh @ G
        step = max(np.max(np.abs(Vn - V)), np.max(np.abs(Qn - Q)), np.max(np.abs(Mn - M)),
                   np.max(np.abs(bn - b)))
        V, Q, M, b = (0.5 * V + 0.5 * Vn, 0.5 * Q + 0.5 * Qn, 0.5 * M + 0.5 * Mn,
                      0.5 * b + 0.5 * bn)
        scale = max(1.0, np.max(np.abs(Vn)), np.max(np.abs(Qn)), np.max(np.abs(Mn)))
        if step < 1e-15 * scale:
            return V, Q, M, b, it
    raise RuntimeError("no convergence")


def test_error_k3(Q, M, b, rho):
    mp.mp.dps = 30
    err = mp.mpf(1)
    for k in range(3):
        j1, j2 = [j for j in range(3) if j != k]
        loc = [mp.mpf(float(M[i, k] + b[i])) for i in range(3)]
        Qm = [[mp.mpf(float(Q[i, j])) for j in range(3)] for i in range(3)]
        # Y1 = h_k - h_j1, Y2 = h_k - h_j2
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
    for K, alpha, lam, Delta, means, rho in (
            (3, 2.0, 0.1, 0.5, "simplex", [1 / 3] * 3),
            (3, 0.7, 0.01, 1.0, "orthonormal", [0.2, 0.3, 0.5]),
            (4, 3.0, 0.5, 0.3, "simplex", [0.25] * 4),
            (2, 1.5, 0.1, 0.5, "simplex", [0.4, 0.6])):
        rho = np.array(rho)
        V, Q, M, b, its = fixed_point(alpha, lam, Delta, rho, gram(means, K))
        row = {"K": K, "alpha": alpha, "lam": lam, "Delta": Delta, "means": means,
               "rho": rho.tolist(), "V": V.tolist(), "Q": Q.tolist(), "M": M.tolist(),
               "b": b.tolist(), "iterations": its}
        if K == 3:
            row["test_error"] = mp.nstr(test_error_k3(Q, M, b, rho), 20)
        out.append(row)
        print(K, alpha, its, row.get("test_error"), flush=True)
    Path(__file__).with_suffix(".json").write_text(json.dumps(
        {"source": "tests/reference/gmm_multi_square_ref.py (the digest's map, numpy; test "
                   "error by mpmath)", "values": out}, indent=1))
