"""Reference values of the Candès--Sur boundary h(gamma) = min_t E[(t Y V - Z)_+^2], 30 digits.

Candès & Sur, arXiv:1804.09753v1 (Ann. Statist. 2020), Theorem 1 without intercept:
V ~ N(0, 1), P(Y = 1 | V) = sigmoid(gamma V) = 1 - P(Y = -1 | V), Z ~ N(0, 1) independent.
Independent of ``theory`` (does not import it):

    E(t) = sum_{y = +-1} int dv phi(v) P(y|v) G(t y v),   G(k) = int_{-inf}^k phi(z) (k - z)^2 dz,

G (the z-integral, which ends at the kink z = k of (.)_+) by integration by parts,
G(k) = (1 + k^2) Phi(k) + k phi(k), checked here against mpmath.quad of its definition at a few
k; the v-integral by mpmath.quad (tanh-sinh) split at 0 and +-1/gamma. The minimiser t* is the
root of dE/dt, with dE/dt by numerical differentiation (mpmath.diff) and the root by
mpmath.findroot (secant from -0.4 gamma/(1 + gamma^2/10), left of 0 where it lies), at 40 digits.
Checks: h(1) = 0.438939066883848, h(2) = 0.344930128404049 (issue 11), h(0) = 1/2.
Run: python tests/reference/laws_classic_candes_sur_mp.py  (writes the .json; a few minutes)
"""

import json
import pathlib

import mpmath

mpmath.mp.dps = 40
OUT = 30
GAMMAS = ("0.5", "1", "2", "3")


def G(k):
    return (1 + k * k) * mpmath.ncdf(k) + k * mpmath.npdf(k)


def check_G():
    for k in ("-2.5", "-0.3", "0", "1.7"):
        k = mpmath.mpf(k)
        direct = mpmath.quad(lambda z: mpmath.npdf(z) * (k - z) ** 2, [-mpmath.inf, k])
        assert abs(direct - G(k)) < mpmath.mpf(10) ** -36, (k, direct, G(k))


def expectation(t, g):
    def f(v):
        p = 1 / (1 + mpmath.exp(-g * v))
        return mpmath.npdf(v) * (p * G(t * v) + (1 - p) * G(-t * v))
    cuts = sorted({mpmath.mpf(0), 1 / g, -1 / g})
    return mpmath.quad(f, [-mpmath.inf, *cuts, mpmath.inf])


def h(G_):
    g = mpmath.mpf(G_)
    t = mpmath.findroot(lambda t: mpmath.diff(lambda u: expectation(u, g), t),
                        -0.4 * g / (1 + g * g / 10))
    val = expectation(t, g)
    case = {"gamma": G_, "h": mpmath.nstr(val, OUT), "t_star": mpmath.nstr(t, OUT)}
    print(case, flush=True)
    return case


def main():
    check_G()
    out = {"dps": OUT, "cases": [h(G_) for G_ in GAMMAS]}
    path = pathlib.Path(__file__).with_suffix(".json")
    path.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
