"""Independent reference for the issue-8 review (edgerev), kind 2: conditional coefficients of
TYPED activations (not the registry names) in the tails. Does NOT import ``theory``.

mu0 = E sigma(kappa + sqrt(c) xi), mu1 = E sigma'(kappa + sqrt(c) xi) (Stein),
mu_star^2 = E[(sigma(kappa + sqrt(c) xi) - mu0 - sqrt(c) mu1 xi)^2], xi ~ N(0, 1), by mpmath.quad
(tanh-sinh) at 60 digits. mpmath.quad's tolerance is absolute, so each integrand is first
divided by its largest value on a grid of step 1/4 over [-40, 40] (values down to 1e-300 keep
their relative accuracy), with break points at that maximum +-{0.5, 1, 2, 4, 8}, at xi in
{0, +-4, +-8, +-16, +-40} and where the activation's argument y = kappa + sqrt(c) xi is
0, +-1, +-2, ..., +-32 (its transition region). mu0, mu1 of Phi are also checked against the closed
forms Phi(kappa/sqrt(1 + c)), phi(kappa/sqrt(1 + c))/sqrt(1 + c) (asserted to 1e-40 relative).

Run: ``python tests/reference/edgerev_conditional.py [NAMES...]`` (merges into
``edgerev_conditional.json``; the stored file has the three names run for the review).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import mpmath as mp

HERE = Path(__file__).parent
KAPPAS = ["-40", "-9", "2.2", "40"]
CS = ["1e-6", "1", "1e4"]
ACTS = {
    "(1+erf(x/sqrt(2)))/2": (lambda y: mp.ncdf(y), lambda y: mp.npdf(y)),
    "log(1+exp(x))": (lambda y: mp.log1p(mp.exp(y)), lambda y: 1 / (1 + mp.exp(-y))),
    "x*Phi(x)": (lambda y: y * mp.ncdf(y), lambda y: mp.ncdf(y) + y * mp.npdf(y)),
    "erfc(x)": (mp.erfc, lambda y: -2 / mp.sqrt(mp.pi) * mp.exp(-y * y)),
    "softplus(3*x)": (lambda y: mp.log1p(mp.exp(3 * y)), lambda y: 3 / (1 + mp.exp(-3 * y))),
    "tanh(x/2)": (lambda y: mp.tanh(y / 2), lambda y: 1 / (2 * mp.cosh(y / 2) ** 2)),
    "exp(-x**2)": (lambda y: mp.exp(-y * y), lambda y: -2 * y * mp.exp(-y * y)),
}


def scaled_quad(g, extra):
    grid = [mp.mpf(j) / 4 for j in range(-160, 161)]
    vals = [abs(g(t)) for t in grid]
    M = max(vals)
    if M == 0:
        return mp.mpf(0)
    ts = grid[vals.index(M)]
    pts = {mp.mpf(v) for v in (-40, -16, -8, -4, 0, 4, 8, 16, 40)}
    pts |= {ts + mp.mpf(d) for d in (-8, -4, -2, -1, -0.5, 0, 0.5, 1, 2, 4, 8)} | set(extra)
    pts = sorted(p for p in pts if -40 <= p <= 40)
    return M * mp.quad(lambda t: g(t) / M, pts)


def ref(f, fd, k, c):
    k, s = mp.mpf(k), mp.sqrt(mp.mpf(c))
    extra = [(y - k) / s for y in range(-32, 33)]
    m0 = scaled_quad(lambda xi: f(k + s * xi) * mp.npdf(xi), extra)
    m1 = scaled_quad(lambda xi: fd(k + s * xi) * mp.npdf(xi), extra)
    st2 = scaled_quad(lambda xi: (f(k + s * xi) - m0 - s * m1 * xi) ** 2 * mp.npdf(xi), extra)
    return m0, m1, mp.sqrt(st2)


def main(names):
    mp.mp.dps = 60
    path = HERE / "edgerev_conditional.json"
    for name in names:
        f, fd = ACTS[name]
        rows = []
        for c in CS:
            for k in KAPPAS:
                m0, m1, ms = ref(f, fd, k, c)
                if name.startswith("(1+erf"):
                    a = mp.mpf(k) / mp.sqrt(1 + mp.mpf(c))
                    assert abs(m0 / mp.ncdf(a) - 1) < mp.mpf(10) ** -40, (k, c)
                    assert abs(m1 / (mp.npdf(a) / mp.sqrt(1 + mp.mpf(c))) - 1) < mp.mpf(10) ** -40
                rows.append({"kappa": k, "c": c, "mu0": mp.nstr(m0, 30), "mu1": mp.nstr(m1, 30),
                             "mu_star": mp.nstr(ms, 30)})
        out = json.loads(path.read_text()) if path.exists() else {}
        out[name] = rows
        path.write_text(json.dumps(out, indent=1))
        print(name, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or list(ACTS))
