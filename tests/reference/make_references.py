"""Independent high-precision references for the Hermite and conditional coefficients.

This script does NOT import ``theory``: every activation is re-defined here in mpmath, and the
integrals are done with ``mpmath.quad`` on a fine fixed split of the real line (kinks always
included as break points). It checks itself by recomputing everything at a higher precision
and by asserting closed forms known by hand.

Conventions (as theory/conventions.py): z ~ N(0,1), He_k probabilists' Hermite polynomials,
mu_k = E[sigma(z) He_k(z)], mu_star^2 = E sigma^2 - mu_0^2 - mu_1^2; conditional coefficients at
shift kappa, variance c: mu0 = E sigma(kappa + sqrt(c) xi), mu1 = E[xi sigma(kappa + sqrt(c) xi)]
/ sqrt(c), mu_star^2 = E sigma(...)^2 - mu0^2 - c mu1^2.

Regenerate: ``python tests/reference/make_references.py`` (a few minutes) writes
``hermite_mp.json`` and ``conditional_mp.json`` next to this file.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import mpmath as mp

DPS, CHECK_DPS, DIGITS, KMAX = 60, 75, 55, 20
HERE = Path(__file__).parent
SPLIT = [-12, -7, -4, -2, 0, 2, 4, 7, 12]


def Phi(z):
    return (1 + mp.erf(z / mp.sqrt(2))) / 2


def he(k, z):
    a, b = mp.mpf(1), z
    if k == 0:
        return a
    for j in range(1, k):
        a, b = b, z * b - j * a
    return b


def leaky(num, den):
    # the slope is built at call time: an mpf made at import time would carry only 15 digits
    return lambda z: z if z > 0 else z * num / den


ACTIVATIONS = {  # name -> (definition text, function, kinks)
    "relu": ("max(z, 0)", lambda z: z if z > 0 else mp.mpf(0), [0]),
    "leaky_relu": ("z if z > 0 else z/100", leaky(1, 100), [0]),
    "leaky_relu:0.2": ("z if z > 0 else z/5", leaky(1, 5), [0]),
    "abs": ("|z|", lambda z: abs(z), [0]),
    "sign": ("sign(z)", lambda z: mp.sign(z), [0]),
    "tanh": ("tanh(z)", mp.tanh, []),
    "erf": ("erf(z)", mp.erf, []),
    "sigmoid": ("1/(1+exp(-z))", lambda z: 1 / (1 + mp.exp(-z)), []),
    "softplus": ("log(1+exp(z))", lambda z: mp.log1p(mp.exp(z)), []),
    "gelu": ("z Phi(z)", lambda z: z * Phi(z), []),
    "silu": ("z/(1+exp(-z))", lambda z: z / (1 + mp.exp(-z)), []),
    "sin": ("sin(z)", mp.sin, []),
    "cos": ("cos(z)", mp.cos, []),
    "monomial:1": ("z", lambda z: z, []),
    "monomial:2": ("z^2", lambda z: z**2, []),
    "monomial:3": ("z^3", lambda z: z**3, []),
    "monomial:4": ("z^4", lambda z: z**4, []),
    "hermite:3": ("He_3(z)", lambda z: he(3, z), []),
    "hermite:5": ("He_5(z)", lambda z: he(5, z), []),
}
CONDITIONAL = ["relu", "sign", "abs", "leaky_relu", "erf", "tanh", "sigmoid", "gelu",
               "softplus", "sin"]
KAPPAS = ["-3", "-1.3", "-0.5", "0", "0.25", "1", "2.7"]
CS = ["0.25", "1", "3"]


def integrate(f, extra):
    pts = sorted({mp.mpf(p) for p in SPLIT} | {mp.mpf(p) for p in extra})
    val, err = mp.quad(f, [-mp.inf, *pts, mp.inf], error=True, maxdegree=12)
    assert err < mp.mpf(10) ** (-(mp.mp.dps - 5)) * max(1, abs(val)), (val, err)
    return val


def hermite_table(dps):
    out = {}
    with mp.workdps(dps):
        for name, (_, f, kinks) in ACTIVATIONS.items():
            memo = {}

            def values(z, f=f, memo=memo):  # sigma(z) phi(z) and He_0..He_KMAX(z), per node
                got = memo.get(z)
                if got is None:
                    hs = [mp.mpf(1), z]
                    for j in range(1, KMAX):
                        hs.append(z * hs[j] - j * hs[j - 1])
                    got = memo[z] = (f(z) * mp.npdf(z), hs)
                return got

            mus = [integrate(lambda z, k=k: values(z)[0] * values(z)[1][k], kinks)
                   for k in range(KMAX + 1)]
            e2 = integrate(lambda z: f(z) ** 2 * mp.npdf(z), kinks)
            out[name] = (mus, e2, mp.sqrt(e2 - mus[0] ** 2 - mus[1] ** 2))
            print(f"  hermite {name} at {dps} digits", flush=True)
    return out


def conditional_table(dps):
    out = []
    with mp.workdps(dps):
        for name in CONDITIONAL:
            _, f, kinks = ACTIVATIONS[name]
            for ks in KAPPAS:
                for cs in CS:
                    k, c = mp.mpf(ks), mp.mpf(cs)
                    s = mp.sqrt(c)
                    br = [(b - k) / s for b in kinks]
                    m0 = integrate(lambda t: f(k + s * t) * mp.npdf(t), br)
                    m1 = integrate(lambda t: t * f(k + s * t) * mp.npdf(t), br) / s
                    e2 = integrate(lambda t: f(k + s * t) ** 2 * mp.npdf(t), br)
                    out.append((name, ks, cs, m0, m1, mp.sqrt(e2 - m0**2 - c * m1**2)))
            print(f"  conditional {name} at {dps} digits", flush=True)
    return out


def check_closed_forms(h, cond):
    tol = mp.mpf(10) ** -50
    with mp.workdps(DPS):
        r = h["relu"][0]
        for got, want in zip(r[:4], [1 / mp.sqrt(2 * mp.pi), mp.mpf(1) / 2, 1 / mp.sqrt(2 * mp.pi), 0]):
            assert abs(got - want) < tol
        assert abs(h["sign"][0][1] - mp.sqrt(2 / mp.pi)) < tol
        assert abs(h["erf"][0][1] - 2 / mp.sqrt(3 * mp.pi)) < tol
        for k in range(KMAX + 1):
            assert abs(h["sin"][0][k] - mp.exp(-0.5) * mp.sin(k * mp.pi / 2)) < tol
        assert [int(mp.nint(v)) for v in h["monomial:4"][0][:5]] == [3, 0, 12, 0, 24]
        for name, ks, cs, m0, m1, _ in cond:
            if name == "sign" and cs == "1":
                k = mp.mpf(ks)
                assert abs(m0 - mp.erf(k / mp.sqrt(2))) < tol
                assert abs(m1 - mp.sqrt(2 / mp.pi) * mp.exp(-k * k / 2)) < tol


def s(v):
    return mp.nstr(v, DIGITS) if v != 0 else "0"


def main() -> int:
    t0 = time.time()
    h, cond = hermite_table(DPS), conditional_table(DPS)
    h2, cond2 = hermite_table(CHECK_DPS), conditional_table(CHECK_DPS)
    worst = mp.mpf(0)
    with mp.workdps(CHECK_DPS):
        for name in h:
            for a, b in zip(h[name][0] + [h[name][1], h[name][2]], h2[name][0] + [h2[name][1], h2[name][2]]):
                worst = max(worst, abs(a - b) / max(1, abs(b)))
        for a, b in zip(cond, cond2):
            for x, y in zip(a[3:], b[3:]):
                worst = max(worst, abs(x - y) / max(1, abs(y)))
    assert worst < mp.mpf(10) ** -55, worst
    check_closed_forms(h, cond)
    conv = ("z ~ N(0,1); He_k probabilists'; mu_k = E[sigma(z) He_k(z)]; "
            "mu_star^2 = E sigma^2 - mu_0^2 - mu_1^2")
    (HERE / "hermite_mp.json").write_text(json.dumps({
        "generator": "tests/reference/make_references.py", "dps": DPS, "digits": DIGITS,
        "conventions": conv, "self_check_max_rel_diff_vs_75_digits": mp.nstr(worst, 3),
        "activations": {n: {"definition": ACTIVATIONS[n][0], "mu": [s(m) for m in v[0]],
                            "E_sigma2": s(v[1]), "mu_star": s(v[2])} for n, v in h.items()},
    }, indent=1) + "\n")
    (HERE / "conditional_mp.json").write_text(json.dumps({
        "generator": "tests/reference/make_references.py", "dps": DPS, "digits": DIGITS,
        "conventions": "mu0 = E sigma(kappa + sqrt(c) xi); mu1 = E[xi sigma]/sqrt(c); "
                       "mu_star^2 = E sigma^2 - mu0^2 - c mu1^2",
        "entries": [{"activation": n, "kappa": k, "c": c, "mu0": s(a), "mu1": s(b),
                     "mu_star": s(st)} for n, k, c, a, b, st in cond],
    }, indent=1) + "\n")
    print(f"done in {time.time() - t0:.0f} s; max relative difference 60 vs 75 digits "
          f"{mp.nstr(worst, 3)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
