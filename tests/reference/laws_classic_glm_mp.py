"""Reference values of the weak-recovery coefficients of Bayes-optimal GLMs, 30 digits.

Independent of ``theory`` (does not import it; no partition function, no derivative in omega):
z ~ N(0, 1), the label law P(y|z) written directly, and the conditional moments by nested
``mpmath.quad``:

    N_k(y) = int Dz He_k(z) P(y|z)   (He_0 = 1, He_1 = z, He_2 = z^2 - 1),
    linear    = E_y[E[z|y]^2]         = int N_1(y)^2/N_0(y) dy,
    quadratic = E_y[(E[z^2|y] - 1)^2] = int N_2(y)^2/N_0(y) dy,

for noisy phase retrieval y = |z| + sqrt(Delta) xi (P(y|z) = N(y - |z|; 0, Delta); the z-line is
split at 0, where |z| has its kink) and noisy ReLU y = max(0, z) + sqrt(Delta) xi (split at 0).
alpha_WR = 1/quadratic when linear = 0 (Barbier et al., arXiv:1708.03395v3; Mondelli &
Montanari, arXiv:1708.05932v2).
Run: python tests/reference/laws_classic_glm_mp.py  (writes laws_classic_glm_mp.json; minutes)
"""

import json
import pathlib

import mpmath

mpmath.mp.dps = 38
OUT = 30
INF = mpmath.inf


def gauss(r, var):
    return mpmath.exp(-r * r / (2 * var)) / mpmath.sqrt(2 * mpmath.pi * var)


def moments(pout, y):
    def n(k):
        he = (lambda z: 1, lambda z: z, lambda z: z * z - 1)[k]
        return mpmath.quad(lambda z: mpmath.npdf(z) * he(z) * pout(y, z), [-INF, 0, INF])
    return n(0), n(1), n(2)


def coefficients(pout, width):
    memo = {}  # both y-integrals use the same nodes: the z-integrals once per node

    def integrand(k):
        def f(y):
            if y not in memo:
                memo[y] = moments(pout, y)
            n0, n1, n2 = memo[y]
            return (n1 if k == 1 else n2) ** 2 / n0
        return f
    cuts = [-INF, -4 * width, -width, 0, width, 4 * width, INF]
    return mpmath.quad(integrand(1), cuts), mpmath.quad(integrand(2), cuts)


def s(x):
    return mpmath.nstr(x, OUT, min_fixed=-mpmath.inf, max_fixed=mpmath.inf)


def main():
    out = {"dps": OUT, "cases": []}
    for name, D in (("abs", "0.5"), ("abs", "0.1"), ("abs", "1"), ("relu", "0.2")):
        Dm = mpmath.mpf(D)
        if name == "abs":
            pout = lambda y, z, Dm=Dm: gauss(y - abs(z), Dm)  # noqa: E731
        else:
            pout = lambda y, z, Dm=Dm: gauss(y - max(z, 0), Dm)  # noqa: E731
        lin, quad = coefficients(pout, mpmath.sqrt(1 + Dm))
        out["cases"].append({"channel": name, "Delta": D, "linear": s(lin), "quadratic": s(quad),
                             "alpha_wr": s(1 / quad) if name == "abs" else "0"})
        print(out["cases"][-1], flush=True)
    path = pathlib.Path(__file__).with_suffix(".json")
    path.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
