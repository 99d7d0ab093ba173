"""Reference values of the Candès--Sur boundary h(gamma) = min_t E[(t Y V - Z)_+^2], 30 digits.

Candès & Sur, arXiv:1804.09753v1 (Ann. Statist. 2020), Theorem 1 without intercept:
V ~ N(0, 1), P(Y = 1 | V) = sigmoid(gamma V) = 1 - P(Y = -1 | V), Z ~ N(0, 1) independent.
Independent of ``theory`` (does not import it, no closed Z-average): the expectation is the 2-D
integral of the definition,

    E(t) = sum_{y = +-1} int dv phi(v) P(y|v) int_{-inf}^{t y v} dz phi(z) (t y v - z)^2,

the inner integral ending at the kink z = t y v of (.)_+ (split there), the outer split at 0;
dE/dt likewise (integrand 2 (t y v - z) y v). The minimiser is the root of dE/dt by
``mpmath.findroot`` (secant) from t = -0.4 gamma/(1 + 0.1 gamma^2)... any start left of 0.
Checks: h(1) = 0.438939066883848, h(2) = 0.344930128404049 (issue 11), h(0) = 1/2.
Run: python tests/reference/laws_classic_candes_sur_mp.py  (writes the .json; ~10 minutes)
"""

import json
import pathlib

import mpmath

mpmath.mp.dps = 40
OUT = 30
GAMMAS = ("0.5", "1", "2", "3")


def expectation(t, g, deriv=False):
    def outer(v):
        total = 0
        for y in (1, -1):
            p = 1 / (1 + mpmath.exp(-y * g * v))
            k = t * y * v  # the kink
            if deriv:
                inner = mpmath.quad(lambda z: mpmath.npdf(z) * 2 * (k - z) * y * v, [-mpmath.inf, k])
            else:
                inner = mpmath.quad(lambda z: mpmath.npdf(z) * (k - z) ** 2, [-mpmath.inf, k])
            total += p * inner
        return mpmath.npdf(v) * total
    return mpmath.quad(outer, [-mpmath.inf, 0, mpmath.inf])


def h(g):
    t = mpmath.findroot(lambda t: expectation(t, g, deriv=True), -0.4 * g / (1 + g * g / 10))
    return expectation(t, g), t


def main():
    out = {"dps": OUT, "cases": []}
    for G in GAMMAS:
        val, t = h(mpmath.mpf(G))
        out["cases"].append({"gamma": G, "h": mpmath.nstr(val, OUT), "t_star": mpmath.nstr(t, OUT)})
        print(out["cases"][-1], flush=True)
    path = pathlib.Path(__file__).with_suffix(".json")
    path.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
