"""Float64 references of the sRF deterministic equivalent at the interpolation peak with r > 0
(alpha = beta = 1 or 0.999, lam down to 1e-8), for the fix of the peak solve and error bound.

Independent of ``theory``: the kappa rule, inner integrals and system of the review reference
(``spiked_rf_review_float``: composite Gauss-Legendre kappa rule, trapezoid inner integrals;
``spiked_rf_mp.system`` with the float MP moments), solved by scipy ``root`` with a continuation
in lam from 1e-3 (where damped Picard converges) down by decades, the predictor scaling
V1, V2, q1, q2 by sqrt(10) per decade (V ~ lam^-1/2 at the peak). Each point at two kappa-rule
sizes (n = 200, 300 per panel); the JSON stores n = 300 and the spread between the two (a
measure of the reference's own accuracy, limited near the peak by the conditioning: tests keep
their tolerances above it).

Run: nice -n 10 python tests/reference/spiked_rf_peak_float.py   (-> spiked_rf_peak_float.json)
"""
import json
import pathlib
import sys

import numpy as np
from scipy.optimize import root

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import spiked_rf_mp as M  # noqa: E402
import spiked_rf_review_float as R  # noqa: E402

BASE = dict(target="tanh", r=1.0, c=1.0, gamma=0.8, beta=1.0)
POINTS = {"peak_lam1e-5": dict(BASE, alpha=1.0, lam=1e-5),
          "peak_lam1e-6": dict(BASE, alpha=1.0, lam=1e-6),
          "peak_lam1e-8": dict(BASE, alpha=1.0, lam=1e-8),
          "a0.999_lam1e-5": dict(BASE, alpha=0.999, lam=1e-5)}
GROW = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
for _i in (1, 2, 3, 4):  # q1, q2, V1, V2 in M.NAMES = (m, q1, q2, V1, V2, zeta, psi)
    GROW[_i] = np.sqrt(10.0)


def kappa_arrays(st, n):
    k, w = R.outer([0.0, *np.arange(-6, 6.1, 0.25)], n)
    mu0, mu1, _, m2 = R.inner_tanh(st["r"] * k, np.sqrt(st["c"]))
    h, h1, h2 = R.teacher("tanh", st["gamma"] * k, np.sqrt(1 - st["gamma"] ** 2))
    return {"k": k, "w": w, "mu0": mu0, "mu1": mu1, "mus2": m2 - mu0**2 - st["c"] * mu1**2,
            "h": h, "h1": h1, "h2": h2, "mu0_zero": False}


def solve(st, n):
    K = kappa_arrays(st, n)

    def at(lam, x0):
        p = {"alpha": st["alpha"], "beta": st["beta"], "lam": lam, "c": st["c"]}

        def F(x):
            return np.array(M.system(x, K, p, M.mp_moments_float)[0]) - x

        s = root(F, x0, tol=1e-15)
        return s.x, p, F

    p0 = {"alpha": st["alpha"], "beta": st["beta"], "lam": 1e-3, "c": st["c"]}
    x, _, _ = M._float_start(K, p0)
    lam = 1e-3
    while lam > st["lam"] * 1.0001:
        lam = max(lam / 10, st["lam"])
        x, p, F = at(lam, x * GROW)
    x, p, F = at(st["lam"], x)
    new, eps, _ = M.system(x, K, p, M.mp_moments_float)
    return float(eps), float(np.max(np.abs(F(x)) / np.maximum(1, np.abs(x)))), \
        dict(zip(M.NAMES, map(float, new)))


def main():
    out = {}
    for name, st in POINTS.items():
        e2, _, _ = solve(st, 200)
        e3, res, state = solve(st, 300)
        out[name] = {"params": st, "test_error": e3, "spread_n200_n300": abs(e3 - e2),
                     "residual": res, "state": state}
        print(name, e3, abs(e3 - e2), res, flush=True)
    pathlib.Path(__file__).with_suffix(".json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
