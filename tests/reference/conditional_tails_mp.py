"""Reference conditional coefficients over the tails grid, by mpmath (does not import theory).

For every registry activation, shift kappa and variance c of the grid below:

    mu0 = E sigma(kappa + sqrt(c) xi),  mu1 = E[xi sigma(kappa + sqrt(c) xi)] / sqrt(c),
    mu_star^2 = E[(sigma(kappa + sqrt(c) xi) - mu0 - sqrt(c) mu1 xi)^2]      (xi ~ N(0, 1))

(mu1 = E sigma' by Stein's lemma; the last line is the defining E sigma^2 - mu0^2 - c mu1^2
written as the variance of the residual).

* relu, leaky relu, abs, sign, sin, cos, and mu0, mu1 of erf: the textbook closed forms with
  Phi = mpmath.ncdf, phi = mpmath.npdf (E (k + s xi)_+ = k Phi(k/s) + s phi(k/s),
  E (k + s xi)_+^2 = (k^2 + c) Phi(k/s) + k s phi(k/s), E sin(k + s xi) = sin(k) e^{-c/2},
  E erf(k + s xi) = erf(k / sqrt(1 + 2c)), ...), mu_star from the *defining difference*
  E sigma^2 - mu0^2 - c mu1^2, all at WORK digits, then checked to have at least 40 digits left
  (the working precision is raised where the difference cancels).
* tanh, sigmoid, softplus, gelu, silu and mu_star of erf: mpmath.quad (tanh-sinh) over xi at
  WORK digits with explicit break points at xi = (y - kappa)/sqrt(c) for y in
  {0, +-1, +-2, +-4, ..., +-32} (the activation's transition region, which is narrow in xi when
  c is large) and at xi in {0, +-4, +-8, +-16} (the Gaussian), mu_star as the variance of the
  residual (no E sigma^2 - mu0^2 cancellation); the quadrature error estimate of mpmath is kept
  (stored as quad_error).
  mu1 of these is E sigma' (Stein), whose integrand does not cancel.

mu_star = null in the JSON: more than 2000 digits cancel in the defining difference (the value
is below 1e-1900, far below the float64 range).

Run:  python tests/reference/conditional_tails_mp.py [NAMES...]   (merges into conditional_tails_mp.json)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import mpmath as mp

KAPPAS = ["-40", "-20", "-9", "-3", "-0.5", "0", "0.7", "3", "9", "20", "40"]
CS = ["1e-6", "1e-3", "1", "16", "256", "1e4"]
WORK = 50
LEAKY = mp.mpf(1) / 100

def _gelu(y):
    # mpmath's erfc overflows for |y| > ~1e9 (tanh-sinh nodes reach it); there Phi(y) is 1 or
    # below e^(-5e17), far below any working precision used here
    if abs(y) > 10**9:
        return y if y > 0 else mp.mpf(0)
    return y * mp.ncdf(y)


def _gelu_d(y):
    if abs(y) > 10**9:
        return mp.mpf(1) if y > 0 else mp.mpf(0)
    return mp.ncdf(y) + y * mp.npdf(y)


SMOOTH = {
    "tanh": mp.tanh,
    "sigmoid": lambda y: 1 / (1 + mp.exp(-y)),
    "softplus": lambda y: mp.log1p(mp.exp(y)),
    "gelu": lambda y: _gelu(y),
    "silu": lambda y: y / (1 + mp.exp(-y)),
    "erf": mp.erf,
}

#: derivatives, for mu1 = E sigma'(kappa + sqrt(c) xi) (Stein's lemma; no cancellation)
DERIV = {
    "tanh": lambda y: 1 / mp.cosh(y) ** 2,
    "sigmoid": lambda y: 1 / (4 * mp.cosh(y / 2) ** 2),
    "softplus": lambda y: 1 / (1 + mp.exp(-y)),
    "gelu": lambda y: _gelu_d(y),
    "silu": lambda y: 1 / (1 + mp.exp(-y)) + y / (4 * mp.cosh(y / 2) ** 2),
}


def closed(name, k, c):
    """(mu0, mu1, E sigma^2) by the textbook closed forms."""
    s = mp.sqrt(c)
    t = k / s
    P, p = mp.ncdf(t), mp.npdf(t)
    r0, r1, r2 = k * P + s * p, P, (k * k + c) * P + k * s * p  # relu
    if name == "relu":
        return r0, r1, r2
    if name == "leaky_relu":  # a y + (1 - a) y_+
        a = LEAKY
        return a * k + (1 - a) * r0, a + (1 - a) * r1, a * a * (k * k + c) + (1 - a * a) * r2
    if name == "abs":  # 2 y_+ - y
        return 2 * r0 - k, 2 * r1 - 1, k * k + c
    if name == "sign":
        return mp.erf(t / mp.sqrt(2)), 2 * p / s, mp.mpf(1)
    if name == "sin":
        e = mp.exp(-c / 2)
        return mp.sin(k) * e, mp.cos(k) * e, (1 - mp.cos(2 * k) * mp.exp(-2 * c)) / 2
    if name == "cos":
        e = mp.exp(-c / 2)
        return mp.cos(k) * e, -mp.sin(k) * e, (1 + mp.cos(2 * k) * mp.exp(-2 * c)) / 2
    if name == "erf":
        q = 1 + 2 * c
        return mp.erf(k / mp.sqrt(q)), 2 / mp.sqrt(mp.pi * q) * mp.exp(-k * k / q), None
    raise KeyError(name)


def by_closed_form(name, k, c):
    """Closed forms; mu_star^2 by the defining difference, at increasing precision until two
    precisions agree to 40 digits. Where more than MAX_EXTRA digits cancel, mu_star is only known
    to be below 10^-(MAX_EXTRA - 60) * sqrt(E sigma^2): returned as None (far below float64)."""
    extra, prev = 0, None
    while extra <= MAX_EXTRA:
        with mp.workdps(WORK + extra):
            m0, m1, e2 = closed(name, mp.mpf(k), mp.mpf(c))
            s2 = e2 - m0**2 - mp.mpf(c) * m1**2
            if prev is not None and s2 > 0 and abs(s2 - prev) <= mp.mpf(10) ** -42 * s2:
                return m0, m1, mp.sqrt(s2), 0.0
            prev = s2
        extra = 2 * extra + 30
    with mp.workdps(WORK):
        m0, m1, _ = closed(name, mp.mpf(k), mp.mpf(c))
    return m0, m1, None, 0.0


MAX_EXTRA = 2000
#: quadrature: more digits lost than this means mu_star < 1e-(MAX_LOST - 10) (stored as null)
MAX_LOST = 310


def breaks(k, c):
    s = mp.sqrt(c)
    pts = {mp.mpf(0)}
    for j in range(0, 6):
        for sgn in (1, -1):
            pts.add((sgn * mp.mpf(2) ** j - k) / s)
    for z in (4, 8, 16):
        pts.update((mp.mpf(z), mp.mpf(-z)))
    pts.add(-k / s)
    pts = sorted(pts)
    return [-mp.inf, *pts, mp.inf]


def by_quadrature(name, k, c, mu01=None):
    """Quadrature at WORK digits; again with the digits the residual loses when mu_star << mu0."""
    m0, m1, ms, err = _by_quadrature(name, k, c, mu01, WORK)
    lost = int(mp.log10(max(abs(m0), abs(m1) * mp.sqrt(mp.mpf(c)), 1) / ms)) if ms else WORK
    if lost > MAX_LOST:  # mu_star < 1e-300: far below float64; only that bound is stored
        return m0, m1, None, err
    if lost > 8:
        if mu01 is not None:
            with mp.workdps(WORK + lost):
                a0, a1, _ = closed(name, mp.mpf(k), mp.mpf(c))
            mu01 = (a0, a1)
        m0, m1, ms, err = _by_quadrature(name, k, c, mu01, WORK + lost)
    return m0, m1, ms, err


def _by_quadrature(name, k, c, mu01, work):
    f = SMOOTH[name]
    with mp.workdps(work):
        k, c = mp.mpf(k), mp.mpf(c)
        s = mp.sqrt(c)
        pts = breaks(k, c)
        memo = {}

        def g(t):
            v = memo.get(t)
            if v is None:
                v = f(k + s * t) * mp.npdf(t)
                memo[t] = v
            return v

        errs = []
        if mu01 is None:
            m0, e0 = mp.quad(g, pts, error=True)
            d = DERIV[name]
            m1, e1 = mp.quad(lambda t: d(k + s * t) * mp.npdf(t), pts, error=True)
            errs += [e0 / abs(m0) if m0 else e0, e1 / abs(m1)]
        else:
            m0, m1 = mu01
        v2, e2 = mp.quad(lambda t: (f(k + s * t) - m0 - s * m1 * t) ** 2 * mp.npdf(t), pts,
                         error=True)
        errs.append(e2 / abs(v2))
        return m0, m1, mp.sqrt(v2), float(max(errs))


OUT = Path(__file__).with_suffix(".json")


def main(names=None, out=OUT):
    """Compute the grid for ``names`` (default: all) and merge into ``out`` (one activation at a
    time, written after each)."""
    names = names or ["relu", "leaky_relu", "abs", "sign", "tanh", "erf", "sigmoid", "softplus",
                      "gelu", "silu", "sin", "cos"]
    data = json.loads(out.read_text()) if out.exists() else {
        "description": __doc__.strip().splitlines()[0], "work_dps": WORK,
        "script": "tests/reference/conditional_tails_mp.py", "entries": []}
    t0 = time.time()
    for name in names:
        entries = []
        for c in CS:
            for k in KAPPAS:
                if name in SMOOTH and name != "erf":
                    m0, m1, ms, err = by_quadrature(name, k, c)
                elif name == "erf":
                    with mp.workdps(WORK):
                        a0, a1, _ = closed("erf", mp.mpf(k), mp.mpf(c))
                    _, _, ms, err = by_quadrature(name, k, c, (a0, a1))
                    m0, m1 = a0, a1
                else:
                    m0, m1, ms, err = by_closed_form(name, k, c)
                entries.append({"activation": name, "kappa": k, "c": c,
                                "mu0": mp.nstr(m0, 40), "mu1": mp.nstr(m1, 40),
                                "mu_star": None if ms is None else mp.nstr(ms, 40),
                                "quad_error": err})
            print(name, c, f"{time.time() - t0:.0f}s", file=sys.stderr, flush=True)
        data["entries"] = [e for e in data["entries"] if e["activation"] != name] + entries
        out.write_text(json.dumps(data, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
