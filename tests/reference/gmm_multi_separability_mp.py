"""Independent 30-digit reference for the K = 2 separability threshold (binary formula).

The Gardner / Candes-Sur-type binary threshold for two clusters with means +-nu
(||nu||^2 = r2, nu = (mu_1 - mu_2)/2: r2 = 1 for the simplex pair mu_2 = -mu_1, 1/2 for
orthonormal means), covariance Delta I, weights rho, -rho:

    alpha* = max_{m, b} 1 / E_{y, zeta} ( -m - y b - sqrt(1 + Delta m^2 / r2) zeta )_+^2 .

Written from the formula alone (it does not import theory): the Gaussian integral by mpmath.quad
up to the kink, the maximiser by mpmath.findroot on the gradient (mpmath.diff). Run:
``python tests/reference/gmm_multi_separability_mp.py`` -> gmm_multi_separability_mp.json.
"""

import json
from pathlib import Path

import mpmath as mp

mp.mp.dps = 30


def E(m, b, Delta, rho, r2):
    s = mp.sqrt(1 + Delta * m**2 / r2)
    tot = mp.mpf(0)
    for y, w in ((1, rho), (-1, 1 - rho)):
        a = m + y * b
        kink = -a / s
        f = lambda z: mp.npdf(z) * (-a - s * z) ** 2  # noqa: E731
        tot += w * mp.quad(f, [-mp.inf, kink - 8, kink])
    return tot


def threshold(Delta, rho, r2):
    Delta, rho, r2 = mp.mpf(Delta), mp.mpf(rho), mp.mpf(r2)
    if rho == mp.mpf(1) / 2:
        g = lambda m: mp.diff(lambda mm: E(mm, 0, Delta, rho, r2), m)  # noqa: E731
        # coarse scan for a start
        ms = [mp.mpf(k) / 20 for k in range(1, 120)]
        m0 = min(ms, key=lambda m: E(m, 0, Delta, rho, r2))
        m = mp.findroot(g, m0)
        return 1 / E(m, 0, Delta, rho, r2), m, mp.mpf(0)
    def grad(m, b):
        return (mp.diff(lambda mm: E(mm, b, Delta, rho, r2), m),
                mp.diff(lambda bb: E(m, bb, Delta, rho, r2), b))
    best = min(((mp.mpf(i) / 10, mp.mpf(j) / 10) for i in range(5, 30, 2) for j in range(-8, 9, 2)),
               key=lambda mb: E(mb[0], mb[1], Delta, rho, r2))
    m, b = mp.findroot(grad, best)
    return 1 / E(m, b, Delta, rho, r2), m, b


if __name__ == "__main__":
    out = []
    for Delta, rho, means, r2 in ((0.5, 0.5, "simplex", 1), (1.0, 0.5, "simplex", 1),
                                  (0.5, 0.3, "simplex", 1), (1.0, 0.5, "orthonormal", 0.5)):
        a, m, b = threshold(Delta, rho, r2)
        out.append({"Delta": Delta, "rho": [rho, 1 - rho], "means": means,
                    "alpha_star": mp.nstr(a, 25), "m": mp.nstr(m, 15), "b": mp.nstr(b, 15)})
        print(out[-1], flush=True)
    Path(__file__).with_suffix(".json").write_text(json.dumps(
        {"source": "tests/reference/gmm_multi_separability_mp.py (mpmath, 30 digits)",
         "values": out}, indent=1))
