"""Independent reference for the issue-8 review (edgerev), kinds 1, 3, 5: Hermite coefficients of
activations NOT in ``hermite_high_k.py``. Does NOT import ``theory``.

mu_k = E[sigma(z) He_k(z)], z ~ N(0, 1), by composite Gauss--Legendre (48 nodes per panel) on
[-L, L], L = 26 (for k <= 100, |He_k| phi beyond 26 is < 1e-60 sqrt(k!)), at WORK = 130 digits, with panel edges at every kink and graded panels around
every steep feature (scale written out by hand below); He_k by the three-term recurrence. Two
rules that share no nodes (uniform panel widths 1 and 0.8, grids offset) must agree; 10 x their
difference is the stored error; the cancellation (sum |terms| / |mu_k|, "lost digits") must leave
>= 40 digits. Values are stored only when error < 1e-30 max(1, |mu_k|).
Closed forms used as well (and checked against the quadrature to 1e-30 for k <= 40):
cos(3x): 3^k e^{-9/2} cos(k pi/2); exp(-x^2): E[e^{-z^2} He_k] = k! [t^k] e^{-t^2/3}/sqrt(3);
exp(2x+1): 2^k e^{3}; |x|^p: He_k expanded in monomials, E|z|^s = 2^{s/2} Gamma((s+1)/2)/sqrt(pi)
(the |x|^1.5 quadrature is not used: x^1.5 at a panel edge converges only algebraically).

Run: ``python tests/reference/edgerev_hermite.py`` -> ``edgerev_hermite.json``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import mpmath as mp
from mpmath.calculus.quadrature import GaussLegendre

HERE = Path(__file__).parent
WORK, L = 130, 26
KS = sorted(set(range(13)) | {20, 37, 41, 60, 80, 100})
KMAX = max(KS)
KS_CLOSED = KS + [150, 171, 200]  # closed forms only


def graded(c, w):
    return lambda: [c() + s * g * w() for s in (-1, 1)
                    for g in (0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64)] + [c()]


def multiples(off, step):
    def pts():
        out = []
        j = int(mp.floor((-L - off()) / step())) - 1
        while True:
            p = off() + j * step()
            if p >= L:
                return out
            if p > -L:
                out.append(p)
            j += 1
    return pts


def none():
    return []


def both(*gens):
    return lambda: [p for g in gens for p in g()]


ZERO = lambda: mp.mpf(0)  # noqa: E731
ACTS = {
    "cos(3*x)": (lambda z: mp.cos(3 * z), none),
    "x*Phi(x)": (lambda z: z * mp.ncdf(z), none),
    "exp(-x**2)": (lambda z: mp.exp(-z * z), none),
    "tanh(10*x)": (lambda z: mp.tanh(10 * z), graded(ZERO, lambda: mp.mpf(1) / 10)),
    "1/(1+x**2)": (lambda z: 1 / (1 + z * z), none),
    "sign(sin(5*x))": (lambda z: mp.sign(mp.sin(5 * z)), multiples(ZERO, lambda: mp.pi / 5)),
    "Abs(cos(x))*x": (lambda z: abs(mp.cos(z)) * z, multiples(lambda: mp.pi / 2, lambda: mp.pi)),
    "exp(-1e4*(x+0.4)**2)": (lambda z: mp.exp(-10000 * (z + mp.mpf(4) / 10) ** 2),
                             graded(lambda: -mp.mpf(4) / 10, lambda: 1 / mp.sqrt(20000))),
    "exp(-1e6*(x-2.5)**2)": (lambda z: mp.exp(-1000000 * (z - mp.mpf(5) / 2) ** 2),
                             graded(lambda: mp.mpf(5) / 2, lambda: 1 / mp.sqrt(2000000))),
    "Phi(x/sqrt(1e-6))*Abs(x)": (lambda z: mp.ncdf(1000 * z) * abs(z), graded(ZERO, lambda: mp.mpf(1) / 1000)),
    "exp(2*x+1)": (lambda z: mp.exp(2 * z + 1), none),
    "x*exp(-x**2/2)": (lambda z: z * mp.exp(-z * z / 2), none),
    "softplus(5*x)": (lambda z: mp.log(1 + mp.exp(5 * z)), graded(ZERO, lambda: mp.mpf(1) / 5)),
    "sigmoid(40*x)": (lambda z: 1 / (1 + mp.exp(-40 * z)), graded(ZERO, lambda: mp.mpf(1) / 40)),
    "Max(x, 0)*exp(-x**2/4)": (lambda z: max(z, 0) * mp.exp(-z * z / 4), lambda: [mp.mpf(0)]),
}


def edges(extra, h, shift=0):
    grid = [mp.mpf(-L) + shift + j * h for j in range(int(2 * L / h) + 2)]
    pts = sorted({mp.mpf(-L), mp.mpf(L)} | {p for p in extra() if -L < p < L} | {g for g in grid if -L < g < L})
    out = [pts[0]]
    for a, b in zip(pts[:-1], pts[1:]):
        n = max(1, int(mp.ceil((b - a) / h)))
        out.extend(a + (b - a) * j / n for j in range(1, n + 1))
    return out


def integrate(f, extra, h, shift=0):
    gl = GaussLegendre(mp.mp).calc_nodes(5, mp.mp.prec)  # 48 nodes
    e = edges(extra, h, shift)
    mu = [mp.mpf(0)] * (KMAX + 1)
    ab = [mp.mpf(0)] * (KMAX + 1)
    e2 = mp.mpf(0)
    c = 1 / mp.sqrt(2 * mp.pi)
    for a, b in zip(e[:-1], e[1:]):
        half, mid = (b - a) / 2, (a + b) / 2
        for u, wu in gl:
            z = mid + half * u
            s = f(z)
            ws = half * wu * c * mp.exp(-z * z / 2) * s
            e2 += ws * s
            h0, h1 = mp.mpf(1), z
            mu[0] += ws
            ab[0] += abs(ws)
            mu[1] += ws * z
            ab[1] += abs(ws * z)
            for k in range(1, KMAX):
                h0, h1 = h1, z * h1 - k * h0
                t = ws * h1
                mu[k + 1] += t
                ab[k + 1] += abs(t)
    return mu, e2, ab


def abs_power_mu(p, k):
    if k % 2:
        return mp.mpf(0)
    s = mp.mpf(0)
    for m in range(k // 2 + 1):
        j = k - 2 * m
        mom = 2 ** (mp.mpf(p + j) / 2) * mp.gamma(mp.mpf(p + j + 1) / 2) / mp.sqrt(mp.pi)
        s += (-1) ** m * mp.factorial(k) / (mp.factorial(m) * mp.factorial(j) * 2**m) * mom
    return s


def gauss_mu(k):  # E[e^{-z^2} He_k]
    if k % 2:
        return mp.mpf(0)
    return mp.factorial(k) * (-mp.mpf(1) / 3) ** (k // 2) / mp.factorial(k // 2) / mp.sqrt(3)


CLOSED = {
    "cos(3*x)": (lambda k: 3**k * mp.exp(-mp.mpf(9) / 2) * [1, 0, -1, 0][k % 4],
                 lambda: (1 + mp.exp(-18)) / 2),
    "exp(-x**2)": (gauss_mu, lambda: 1 / mp.sqrt(5)),
    "exp(2*x+1)": (lambda k: 2**k * mp.exp(3), lambda: mp.exp(10)),
    "Abs(x)**1.5": (lambda k: abs_power_mu(mp.mpf(3) / 2, k), lambda: abs_power_mu(3, 0)),
}


def main():
    mp.mp.dps = WORK
    out = {}
    for name, (f, extra) in ACTS.items():
        t = time.time()
        m1, e21, ab = integrate(f, extra, mp.mpf(1))
        m2, e22, _ = integrate(f, extra, mp.mpf(4) / 5, shift=mp.mpf(3) / 10)
        mu, dropped = {}, []
        for k in KS:
            err = 10 * abs(m1[k] - m2[k])
            lost = mp.log10(ab[k] / max(abs(m1[k]), mp.mpf(10) ** -WORK))
            if err < mp.mpf(10) ** -30 * max(1, abs(m1[k])) and lost < WORK - 40:
                mu[str(k)] = mp.nstr(m1[k], 40)
            else:
                dropped.append(k)
        if name in CLOSED:
            mp.mp.dps = 400
            cf, ce2 = CLOSED[name]
            for k in KS_CLOSED:
                if k <= 40:
                    assert abs(cf(k) - m1[k]) < mp.mpf(10) ** -30 * max(1, abs(cf(k))), (name, k)
                mu[str(k)] = mp.nstr(cf(k), 40)
            assert abs(ce2() - e21) < mp.mpf(10) ** -30
            mp.mp.dps = WORK
        assert abs(e21 - e22) < mp.mpf(10) ** -35 * max(1, abs(e21)), name
        out[name] = {"mu": mu, "E_sigma2": mp.nstr(e21, 40), "dropped": dropped}
        print(name, f"{time.time() - t:.0f}s dropped={dropped}", flush=True)
    cf, ce2 = CLOSED["Abs(x)**1.5"]
    mp.mp.dps = 400  # the monomial sum cancels ~ log10(k!) digits
    out["Abs(x)**1.5"] = {"mu": {str(k): mp.nstr(cf(k), 40) for k in KS_CLOSED},
                          "E_sigma2": mp.nstr(ce2(), 40), "dropped": []}
    (HERE / "edgerev_hermite.json").write_text(json.dumps({"ks": KS, "activations": out}, indent=1))


if __name__ == "__main__":
    main()
