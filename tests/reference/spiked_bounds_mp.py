"""Reference values of the spiked-RF bounds at the Figure 3 setting, by nested mpmath.quad.

Cui et al. 2024 (arXiv:2402.04980), Figure 3: c = 1, r = 0.9, gamma = 1, sigma = tanh, target
g = sin. Bounds as in Loureiro's HDR thesis, Corollary 3.4.1 (see
/work/shared/papers/one-step-digest.md, section 1.8):

    upper = inf_nu E_k[(g(k) - nu mu0(k))^2],
    lower = inf_{nu1,nu2} E_k[(g(k) - nu1 mu0(k) - nu2 k mu1(k))^2],

with mu0(k) = E_xi tanh(r k + sqrt(c) xi), mu1(k) = E_xi[xi tanh(r k + sqrt(c) xi)]/sqrt(c)
(the definition, not Stein's lemma), k, xi ~ N(0, 1). The infima are the least-squares
residuals E g^2 - b^T A^{-1} b with the Gram matrix A and b = (E g mu0, E g k mu1).
Also the kernel line E[g^2] - E[z g]^2. Every integral is mpmath.quad (tanh-sinh) on the real
line split at 0 (the inner ones also where the argument r k + sqrt(c) xi of tanh is 0), at
30 + 10 working digits; the integrands are analytic on each piece. Does NOT import theory. Run:
    python tests/reference/spiked_bounds_mp.py   (writes spiked_bounds_mp.json; ~10 minutes)
"""

import json
import pathlib

import mpmath

DPS = 30
mpmath.mp.dps = DPS + 10
R, C = mpmath.mpf("0.9"), mpmath.mpf(1)
SC = mpmath.sqrt(C)
CUTS = [-mpmath.inf, 0, mpmath.inf]
sigma, g = mpmath.tanh, mpmath.sin
_memo: dict = {}


def mus(k):
    """(mu0(k), mu1(k)) from their definition, memoised on the node k."""
    v = _memo.get(k)
    if v is None:
        cuts = sorted({mpmath.mpf(0), -R * k / SC})
        cuts = [-mpmath.inf, *cuts, mpmath.inf]
        m0 = mpmath.quad(lambda t: sigma(R * k + SC * t) * mpmath.npdf(t), cuts)
        m1 = mpmath.quad(lambda t: t * sigma(R * k + SC * t) * mpmath.npdf(t), cuts) / SC
        v = _memo[k] = (m0, m1)
    return v


def E(f):
    """E_k f(k), k ~ N(0, 1)."""
    return mpmath.quad(lambda k: f(k) * mpmath.npdf(k), CUTS)


def main():
    g2 = E(lambda k: g(k) ** 2)
    z_g = E(lambda k: k * g(k))
    a00 = E(lambda k: mus(k)[0] ** 2)
    a01 = E(lambda k: mus(k)[0] * k * mus(k)[1])
    a11 = E(lambda k: (k * mus(k)[1]) ** 2)
    b0 = E(lambda k: g(k) * mus(k)[0])
    b1 = E(lambda k: g(k) * k * mus(k)[1])
    upper = g2 - b0**2 / a00
    nu_u = b0 / a00
    det = a00 * a11 - a01**2
    nu1 = (a11 * b0 - a01 * b1) / det
    nu2 = (a00 * b1 - a01 * b0) / det
    lower = g2 - nu1 * b0 - nu2 * b1
    s = lambda v: mpmath.nstr(v, DPS + 5)  # noqa: E731
    out = {"setting": {"activation": "tanh", "target": "sin", "r": "0.9", "c": "1",
                       "gamma": "1"},
           "dps": DPS, "source": "tests/reference/spiked_bounds_mp.py (nested mpmath.quad)",
           "E_g2": s(g2), "E_zg": s(z_g), "kernel_line": s(g2 - z_g**2),
           "gram": {"A00": s(a00), "A01": s(a01), "A11": s(a11), "b0": s(b0), "b1": s(b1)},
           "upper": s(upper), "nu_upper": s(nu_u), "lower": s(lower),
           "nu_lower": [s(nu1), s(nu2)],
           # closed forms for the check of the script itself: E sin^2 = (1 - e^-2)/2,
           # E z sin z = e^{-1/2}
           "check_E_g2": s(g2 - (1 - mpmath.exp(-2)) / 2), "check_E_zg": s(z_g - mpmath.exp(-0.5))}
    path = pathlib.Path(__file__).with_suffix(".json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
