"""30-digit reference for the separability threshold of two Gaussian clusters (no theory import).

alpha_sep = 1/h, h = min over (t1, t0) of
    sum_y rho_y E_Z[(sqrt(1 + t1^2 Delta) Z - t1 - y t0)_+^2]
(the Gardner / Candes-Sur computation in theory.models.gmm_binary.separability_threshold_binary).
Here every expectation is an mpmath.quad over Z (from the kink to infinity), the gradient is
differentiated under the integral sign (also by quad), and its zero is found by
mpmath.findroot (Newton, numerical Jacobian) from a start found by a coarse float search.
Nothing of the closed forms (Psi, erfc) of the module is used.

Run: python tests/reference/gmm_binary_separability_mp.py -> gmm_binary_separability_mp.json
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import mpmath as mp
import numpy as np

OUT = Path(__file__).with_suffix(".json")
DPS = 30
CASES = [(0.5, 0.5), (0.5, 1.0), (0.8, 0.5), (0.3, 2.0), (0.5, 0.1), (0.7, 1.0)]
# a block covariance (dense means): whitening gives Delta_eff = 1 / sum p_r / Delta_r; the
# reference is computed at that Delta (the reduction is part of what is tested)
BLOCKS = [((0.5, 0.5), (0.5, 2.0))]


def gauss(z):
    return mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)


def parts(t1, t0, rho, Delta):
    """(h, dh/dt1, dh/dt0) by quadrature."""
    s = mp.sqrt(1 + t1 * t1 * Delta)
    h = g1 = g0 = mp.mpf(0)
    for y, ry in ((1, rho), (-1, 1 - rho)):
        a = (t1 + y * t0) / s  # the integrand vanishes for Z < a
        pos = lambda z: s * z - t1 - y * t0  # noqa: E731
        h += ry * mp.quad(lambda z: pos(z) ** 2 * gauss(z), [a, a + 10, mp.inf])
        # d pos/dt1 = t1 Delta z / s - 1, d pos/dt0 = -y
        g1 += ry * mp.quad(lambda z: 2 * pos(z) * (t1 * Delta * z / s - 1) * gauss(z),
                           [a, a + 10, mp.inf])
        g0 += ry * mp.quad(lambda z: 2 * pos(z) * (-y) * gauss(z), [a, a + 10, mp.inf])
    return h, g1, g0


def h_only(t1, t0, rho, Delta):
    s = mp.sqrt(1 + t1 * t1 * Delta)
    h = mp.mpf(0)
    for y, ry in ((1, rho), (-1, 1 - rho)):
        a = (t1 + y * t0) / s
        h += ry * mp.quad(lambda z: (s * z - t1 - y * t0) ** 2 * gauss(z), [a, a + 10, mp.inf])
    return h


def threshold(rho, Delta):
    rho, Delta = mp.mpf(rho), mp.mpf(Delta)
    # a float start: scipy's Nelder-Mead on h by scipy quad (then 40-digit Newton)
    from scipy import integrate, optimize

    def hf(t):
        s = math.sqrt(1 + t[0] ** 2 * float(Delta))
        tot = 0.0
        for y, ry in ((1, float(rho)), (-1, 1 - float(rho))):
            a = (t[0] + y * t[1]) / s
            tot += ry * integrate.quad(lambda z: (s * z - t[0] - y * t[1]) ** 2 * math.exp(
                -z * z / 2) / math.sqrt(2 * math.pi), a, np.inf, epsabs=1e-14)[0]
        return tot

    t1, t0 = optimize.minimize(hf, [0.5, 0.0], method="Nelder-Mead",
                               options={"xatol": 1e-7, "fatol": 1e-14}).x
    t1, t0 = mp.mpf(t1), mp.mpf(t0)
    with mp.workdps(DPS + 10):
        sol = mp.findroot(lambda a, b: parts(a, b, rho, Delta)[1:], (t1, t0), tol=mp.mpf(10)
                          ** (-2 * DPS))
        t1, t0 = sol[0], sol[1]
        h = parts(t1, t0, rho, Delta)[0]
        return 1 / h, t1, t0


def main() -> int:
    out = []
    with mp.workdps(DPS):
        for rho, Delta in CASES:
            a, t1, t0 = threshold(rho, Delta)
            out.append({"rho": rho, "Delta": Delta, "alpha_sep": mp.nstr(a, DPS),
                        "t1": mp.nstr(t1, 20), "t0": mp.nstr(t0, 20)})
            print(out[-1], flush=True)
        for blocks in BLOCKS:
            d_eff = 1 / mp.fsum(mp.mpf(p) / mp.mpf(d) for p, d in blocks)
            a, t1, t0 = threshold(mp.mpf("0.5"), d_eff)
            out.append({"rho": 0.5, "blocks": [list(b) for b in blocks],
                        "alpha_sep": mp.nstr(a, DPS)})
            print(out[-1], flush=True)
    OUT.write_text(json.dumps({"script": "tests/reference/gmm_binary_separability_mp.py",
                               "dps": DPS, "cases": out}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
