"""Reference values of the weak-recovery coefficients of Bayes-optimal GLMs, 30 digits.

Independent of ``theory`` (does not import it; no partition function, no derivative in omega).
z ~ N(0, 1), the label law P(y|z) written directly, and the conditional moments

    N_k(y) = int Dz He_k(z) P(y|z)   (He_0 = 1, He_1 = z, He_2 = z^2 - 1),
    linear    = E_y[E[z|y]^2]         = int N_1(y)^2/N_0(y) dy,
    quadratic = E_y[(E[z^2|y] - 1)^2] = int N_2(y)^2/N_0(y) dy.

The z-integrals are done here by the Gaussian product formula phi(z) N(y - z; 0, D) =
N(y; 0, 1 + D) N(z; m, s^2), m = y/(1 + D), s^2 = D/(1 + D), and the truncated moments of
N(m, s^2) on z > 0 (a = m/s): int_0^inf N = Phi(a), int_0^inf z N = m Phi(a) + s phi(a),
int_0^inf z^2 N = (m^2 + s^2) Phi(a) + m s phi(a). For y = |z| + sqrt(D) xi the two signs of z
give N_0 = 2 N(y; 0, 1 + D) Phi(a), N_1 = 0, N_2 = 2 N(y; 0, 1 + D)((m^2 + s^2 - 1) Phi(a) +
m s phi(a)); for y = max(0, z) + sqrt(D) xi the z < 0 half adds N(y; 0, D) times (1/2,
-1/sqrt(2 pi), 0). Each N_k is checked against its defining z-integral (mpmath.quad, split at
the kink z = 0) at a few y before use. The y-integrals are mpmath.quad (tanh-sinh) at 40 digits,
split at 0, +-sqrt(D), +-4 sqrt(1 + D).
alpha_WR = 1/quadratic when linear = 0 (Barbier et al., arXiv:1708.03395v3; Mondelli &
Montanari, arXiv:1708.05932v2).
Run: python tests/reference/laws_classic_glm_mp.py  (writes laws_classic_glm_mp.json; ~1 min)
"""

import json
import pathlib

import mpmath

mpmath.mp.dps = 40
OUT = 30
INF = mpmath.inf


def gauss(r, var):
    return mpmath.exp(-r * r / (2 * var)) / mpmath.sqrt(2 * mpmath.pi * var)


def moments(channel, D, y):
    m, s = y / (1 + D), mpmath.sqrt(D / (1 + D))
    a = m / s
    P, p = mpmath.ncdf(a), mpmath.npdf(a)
    w = gauss(y, 1 + D)
    t0, t1, t2 = P, m * P + s * p, (m * m + s * s - 1) * P + m * s * p  # He_k on z > 0
    if channel == "abs":
        return 2 * w * t0, mpmath.mpf(0), 2 * w * t2
    g = gauss(y, D)
    return g / 2 + w * t0, -g / mpmath.sqrt(2 * mpmath.pi) + w * t1, w * t2


def check_moments(channel, D):
    """The closed N_k against their defining z-integrals (split at the kink z = 0)."""
    pout = ((lambda y, z: gauss(y - abs(z), D)) if channel == "abs"
            else (lambda y, z: gauss(y - max(z, 0), D)))
    for y in (mpmath.mpf("-0.7"), mpmath.mpf("0.3"), mpmath.mpf("2.1")):
        ref = [mpmath.quad(lambda z: mpmath.npdf(z) * he(z) * pout(y, z), [-INF, 0, INF])
               for he in (lambda z: 1, lambda z: z, lambda z: z * z - 1)]
        for got, want in zip(moments(channel, D, y), ref):
            assert abs(got - want) < mpmath.mpf(10) ** -35, (channel, D, y, got, want)


def coefficients(channel, D):
    check_moments(channel, D)
    sd, w = mpmath.sqrt(D), mpmath.sqrt(1 + D)
    cuts = sorted({-4 * w, -sd, mpmath.mpf(0), sd, 4 * w})
    cuts = [-INF, *cuts, INF]

    def f(k):
        def g(y):
            n = moments(channel, D, y)
            return n[k] ** 2 / n[0]
        return g
    return mpmath.quad(f(1), cuts), mpmath.quad(f(2), cuts)


def s(x):
    return mpmath.nstr(x, OUT, min_fixed=-mpmath.inf, max_fixed=mpmath.inf)


def main():
    out = {"dps": OUT, "cases": []}
    for name, D in (("abs", "0.5"), ("abs", "0.1"), ("abs", "1"), ("relu", "0.2")):
        lin, quad = coefficients(name, mpmath.mpf(D))
        out["cases"].append({"channel": name, "Delta": D, "linear": s(lin), "quadratic": s(quad),
                             "alpha_wr": s(1 / quad) if name == "abs" else "0"})
        print(out["cases"][-1], flush=True)
    path = pathlib.Path(__file__).with_suffix(".json")
    path.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
