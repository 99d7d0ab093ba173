"""Reference values of the BBP quantities (spiked Wigner and spiked covariance), 30 digits.

Independent of ``theory`` (does not import it) and of the closed forms it implements: every
Stieltjes transform here is ``mpmath.quad`` of the DENSITY (tanh-sinh handles the square-root
edges), the outlier is the ROOT (``mpmath.findroot``) of the outlier equation, the overlap comes
from the resolvent, and the threshold is the spike at which the equation holds at the edge:

* Wigner, W = sigma (G + G^T)/sqrt(2n), semicircle rho(x) = sqrt(4 s2 - x^2)/(2 pi s2) on
  [-2 sigma, 2 sigma], s2 = sigma^2. Y = W + theta v v^T: an eigenvalue lam > 2 sigma solves
  theta R(lam) = 1, R(lam) = int rho(x)/(lam - x) dx; squared overlap 1/(theta^2 R2(lam)),
  R2 = int rho/(lam - x)^2. Threshold: 1/R(2 sigma) (substituting x = 2 sigma - u^2).
* Covariance x ~ N(0, I + theta v v^T), S = X^T X/p, gamma = d/p, Marchenko-Pastur law (unit
  variance) with density sqrt((b - x)(x - a))/(2 pi gamma x) on [a, b] = [(1 -+ sqrt gamma)^2]
  and an atom 1 - 1/gamma at 0 if gamma > 1; m(lam) = int dmu(x)/(x - lam). Outlier: root of
  1 + theta (1 + lam m(lam)) = 0 (Schur complement of the spike coordinate); squared overlap
  1/(1 + (1 + theta) gamma (m + lam m')) with m' = int dmu/(x - lam)^2. Threshold: the theta
  solving the equation at lam = b.
Also the semicircle Stieltjes transform int rho(x)/(x - z) at a few complex z.
Run: python tests/reference/laws_classic_bbp_mp.py  (writes laws_classic_bbp_mp.json, ~1 min)
"""

import json
import pathlib

import mpmath

mpmath.mp.dps = 50
OUT = 30


def sc_rho(x, s2):
    return mpmath.sqrt(max(4 * s2 - x * x, 0)) / (2 * mpmath.pi * s2)


def sc_int(f, s2):
    r = 2 * mpmath.sqrt(s2)
    return mpmath.quad(lambda x: sc_rho(x, s2) * f(x), [-r, 0, r])


def wigner(theta, s2):
    R = lambda lam: sc_int(lambda x: 1 / (lam - x), s2)  # noqa: E731
    edge = 2 * mpmath.sqrt(s2)
    lam = mpmath.findroot(lambda l: theta * R(l) - 1, (edge, edge + theta + 10), solver="anderson")
    over = 1 / (theta**2 * sc_int(lambda x: 1 / (lam - x) ** 2, s2))
    return lam, over


def wigner_threshold(s2):
    """1/R(2 sigma), the integral with x = 2 sigma - u^2 (no 1/sqrt endpoint singularity)."""
    sig = mpmath.sqrt(s2)
    R = mpmath.quad(lambda u: mpmath.sqrt(max(4 * sig - u * u, 0)) / (mpmath.pi * s2),
                    [0, 2 * mpmath.sqrt(sig)])
    return 1 / R


def mp_int(f, gamma):
    a, b = (1 - mpmath.sqrt(gamma)) ** 2, (1 + mpmath.sqrt(gamma)) ** 2
    val = mpmath.quad(lambda x: mpmath.sqrt((b - x) * (x - a)) / (2 * mpmath.pi * gamma * x) * f(x),
                      [a, (a + b) / 2, b])
    if gamma > 1:
        val += (1 - 1 / gamma) * f(mpmath.mpf(0))
    return val


def covariance(theta, gamma):
    m = lambda lam: mp_int(lambda x: 1 / (x - lam), gamma)  # noqa: E731
    b = (1 + mpmath.sqrt(gamma)) ** 2
    lam = mpmath.findroot(lambda l: 1 + theta * (1 + l * m(l)), (b, b + 10 * theta + 10),
                          solver="anderson")
    mp1 = mp_int(lambda x: 1 / (x - lam) ** 2, gamma)
    over = 1 / (1 + (1 + theta) * gamma * (m(lam) + lam * mp1))
    return lam, over


def covariance_threshold(gamma):
    """theta solving 1 + theta (1 + b m(b)) = 0; m(b) with x = b - u^2 (smooth integrand)."""
    a, b = (1 - mpmath.sqrt(gamma)) ** 2, (1 + mpmath.sqrt(gamma)) ** 2
    mb = -mpmath.quad(lambda u: mpmath.sqrt(max(b - a - u * u, 0)) / (mpmath.pi * gamma * (b - u * u)),
                      [0, mpmath.sqrt(b - a)])
    if gamma > 1:
        mb += (1 - 1 / gamma) / (0 - b)
    return mpmath.findroot(lambda t: 1 + t * (1 + b * mb), 1)


def s(x):
    return mpmath.nstr(x, OUT, min_fixed=-mpmath.inf, max_fixed=mpmath.inf)


def main():
    out = {"dps": OUT, "wigner": [], "wigner_threshold": [], "covariance": [],
           "covariance_threshold": [], "semicircle_stieltjes": []}
    for th, s2 in (("1.5", "1"), ("2", "1"), ("3", "1"), ("3", "2"), ("1.01", "1")):
        lam, over = wigner(mpmath.mpf(th), mpmath.mpf(s2))
        out["wigner"].append({"theta": th, "var": s2, "outlier": s(lam), "overlap": s(over)})
    for s2 in ("1", "2", "0.5"):
        out["wigner_threshold"].append({"var": s2, "theta_c": s(wigner_threshold(mpmath.mpf(s2)))})
    for th, g in (("1", "0.25"), ("2", "0.5"), ("3", "0.5"), ("2", "2"), ("0.6", "0.3")):
        lam, over = covariance(mpmath.mpf(th), mpmath.mpf(g))
        out["covariance"].append({"theta": th, "gamma": g, "outlier": s(lam), "overlap": s(over)})
    for g in ("0.25", "0.3", "2"):
        out["covariance_threshold"].append({"gamma": g,
                                            "theta_c": s(covariance_threshold(mpmath.mpf(g)))})
    for z in ("3", "-2.5", "1+1j", "0.5j", "-0.3-2j"):
        zz = mpmath.mpmathify(complex(z))
        val = sc_int(lambda x: 1 / (x - zz), mpmath.mpf(1))
        out["semicircle_stieltjes"].append({"z": z, "re": s(val.real), "im": s(val.imag)})
    path = pathlib.Path(__file__).with_suffix(".json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
