"""Bayes-optimal teacher-student perceptron (Gaussian prior, sign channel, no noise): the overlap
q(alpha) at 50 digits, written directly in mpmath. Imports nothing from ``theory``.

State evolution as written in issue 9 (the GLM case of Barbier, Krzakala, Macris, Miolane &
Zdeborova, "Optimal errors and phase transitions in high-dimensional generalized linear
models", PNAS 116, 5451 (2019), arXiv:1708.03395, with P_out = sign and a Gaussian prior):

    qhat = (2 alpha / V) E_xi[ phi(u)^2 / Phi(u) ],   u = sqrt(q/V) xi,   V = 1 - q,
    q    = qhat / (1 + qhat).

E_xi is over xi ~ N(0, 1): ``mpmath.quad`` on [-inf, inf] split at 0, +-1, +-2, +-4, +-8, +-16
times sqrt(V), the width of the integrand's Gaussian envelope on xi < 0 (there
phi(u)^2 phi(xi)/Phi(u) ~ |u| exp(-xi^2 (1 + q/V)/2), and 1 + q/V = 1/V; on xi > 0 it is
narrower); Phi and phi by mpmath.ncdf / npdf (no cancellation at any precision). The fixed point q = G(q) is solved by ``mpmath.findroot``
(secant) at 60 working digits, and every value is recomputed at 80 digits: the two must agree
to 50 digits.

Run: ``python tests/reference/api_perceptron_mp.py`` (writes api_perceptron_mp.json next to it).
"""

import json
import os

import mpmath

ALPHAS = ["0.5", "1", "2"]


def qhat_of(q, alpha):
    V = 1 - q
    s = mpmath.sqrt(q / V)
    width = mpmath.sqrt(V)  # envelope of the integrand in xi

    def f(xi):
        u = s * xi
        return mpmath.npdf(u) ** 2 / mpmath.ncdf(u) * mpmath.npdf(xi)

    pts = [k * width for k in (-16, -8, -4, -2, -1, 0, 1, 2, 4, 8, 16)]
    val = mpmath.quad(f, [-mpmath.inf, *pts, mpmath.inf])
    return 2 * alpha / V * val


def q_of(alpha, dps):
    with mpmath.workdps(dps):
        a = mpmath.mpf(alpha)
        def G(q):
            h = qhat_of(q, a)
            return q - h / (1 + h)

        return mpmath.findroot(G, (mpmath.mpf("0.3"), mpmath.mpf("0.6")),
                               tol=mpmath.mpf(10) ** (-dps + 5))


def main():
    out = {"digits": 50, "model": "Bayes-optimal perceptron, Gaussian prior, sign channel",
           "reference": "issue 9; GLM state evolution of Barbier et al. PNAS 116, 5451 "
                        "(2019), arXiv:1708.03395 (sign channel, Gaussian prior)",
           "q": {}}
    for a in ALPHAS:
        q60, q80 = q_of(a, 60), q_of(a, 80)
        with mpmath.workdps(60):
            assert abs(q60 - q80) < mpmath.mpf(10) ** -52, (a, q60, q80)
        out["q"][a] = mpmath.nstr(q80, 50, strip_zeros=False)
        print(a, out["q"][a])
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "api_perceptron_mp.json")
    with open(path, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
