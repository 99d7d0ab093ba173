r"""Independent references for tests/test_laws_threshold.py (does not import ``theory``).

Writes ``laws_core_reference.json`` next to this script. Run:
``nice python tests/reference/laws_core_make.py`` (a few minutes on one core).

1. Gardner capacity at kappa = 1 (Gardner 1988; Engel & Van den Broeck 2001, Ch. 6):
   alpha_c(kappa) = 1 / int_{-kappa}^inf Dt (t + kappa)^2, evaluated by ``mpmath.quad`` at 50
   digits (and, as a check, by the closed form 1/((1 + kappa^2) Phi(kappa) + kappa phi(kappa))).

2. Spinodal of noiseless real phase retrieval (Bayes-optimal state evolution, Barbier et al.
   arXiv:1708.03395v3, Sec. 2): q_{t+1} = alpha I(q_t) / (1 + alpha I(q_t)),
   I(q) = E[g_out^2] with g_out = (z tanh(z omega / V) - omega) / V (y = |z|: the square is
   even in omega and in z, so the absolute values drop), V = 1 - q, (omega, z) Gaussian with
   E omega^2 = E omega z = q, E z^2 = 1, written as omega = sqrt(q) xi, z = sqrt(q) xi +
   sqrt(V) eta with xi, eta independent standard normals. A fixed point at q has
   alpha(q) = q / ((1 - q) I(q)); the low-overlap branch disappears where alpha(q) has its local
   maximum (a saddle-node), i.e. at the root of d/dq log alpha(q) = 1/q + 1/(1-q) - I'(q)/I(q).
   I and I' (the q-derivative of the integrand, by SymPy) are 2-D integrals by
   ``mpmath.quad`` over the plane with a cut at 0 in each variable, at 40 digits; the root by
   ``mpmath.findroot`` (secant). The digits stored are those on which runs at 35 and 40 digits
   agree. A plain float64 check: iterating the map (scipy ``dblquad``-free Gauss--Hermite
   product rule of 200 x 200 nodes) from q = 0.5 at alpha_sp - 1e-3 stays on the low branch
   (q < 0.9) and at alpha_sp + 1e-3 runs to q > 0.99.
"""

from __future__ import annotations

import json
import pathlib
import time

import mpmath
import numpy as np
import sympy as sp

OUT = pathlib.Path(__file__).with_name("laws_core_reference.json")


def gardner(kappa, dps=50):
    with mpmath.workdps(dps):
        k = mpmath.mpf(kappa)
        integral = mpmath.quad(lambda t: (t + k) ** 2 * mpmath.npdf(t), [-k, 0, mpmath.inf])
        closed = (1 + k**2) * mpmath.ncdf(k) + k * mpmath.npdf(k)
        assert abs(integral - closed) < mpmath.mpf(10) ** (-45)
        return 1 / integral


q_, xi_, eta_ = sp.symbols("q xi eta", real=True)
_V = 1 - q_
_om = sp.sqrt(q_) * xi_
_z = sp.sqrt(q_) * xi_ + sp.sqrt(_V) * eta_
_f = (_z * sp.tanh(_z * _om / _V) - _om) ** 2 / _V**2
_F = sp.lambdify((q_, xi_, eta_), _f, "mpmath")
_dF = sp.lambdify((q_, xi_, eta_), sp.diff(_f, q_), "mpmath")


def _E2(g, q):
    w = lambda a, b: g(q, a, b) * mpmath.npdf(a) * mpmath.npdf(b)  # noqa: E731
    return mpmath.quad(w, [-mpmath.inf, 0, mpmath.inf], [-mpmath.inf, 0, mpmath.inf])


def spinodal(dps):
    with mpmath.workdps(dps):
        def dlog(q):
            return 1 / q + 1 / (1 - q) - _E2(_dF, q) / _E2(_F, q)

        qs = mpmath.findroot(dlog, (mpmath.mpf("0.846"), mpmath.mpf("0.847")), solver="secant",
                             tol=mpmath.mpf(10) ** (-dps + 3))
        alpha = qs / ((1 - qs) * _E2(_F, qs))
        return qs, alpha


def float_check(alpha_sp):
    x, w = np.polynomial.hermite_e.hermegauss(200)
    w = w / w.sum()
    XI, ETA = np.meshgrid(x, x, indexing="ij")
    W = np.outer(w, w)

    def step(q, alpha):
        V = 1 - q
        om = np.sqrt(q) * XI
        z = om + np.sqrt(V) * ETA
        I = float(np.sum(W * (z * np.tanh(z * om / V) - om) ** 2)) / V**2
        return alpha * I / (1 + alpha * I)

    out = {}
    for a in (alpha_sp - 1e-3, alpha_sp + 1e-3):
        q = 0.5
        for _ in range(3000):
            q = min(step(q, a), 1 - 1e-9)
        out[f"{a:.6f}"] = q
    return out


if __name__ == "__main__":
    t0 = time.time()
    ref = {"gardner_alpha_c_kappa1": mpmath.nstr(gardner(1), 45)}
    runs = {}
    for d in (35, 40):
        qs, a = spinodal(d)
        runs[d] = (qs, a)
        print(d, mpmath.nstr(qs, d), mpmath.nstr(a, d), f"{time.time() - t0:.0f} s", flush=True)
    with mpmath.workdps(45):
        agree = -mpmath.log10(abs(runs[35][1] - runs[40][1]) / runs[40][1])
    digits = int(min(35, agree))
    ref["pr_spinodal_alpha"] = mpmath.nstr(runs[40][1], digits)
    ref["pr_spinodal_q"] = mpmath.nstr(runs[40][0], digits)
    ref["pr_spinodal_digits"] = digits
    ref["pr_spinodal_float_check"] = float_check(float(runs[40][1]))
    ref["seconds"] = round(time.time() - t0)
    OUT.write_text(json.dumps(ref, indent=1) + "\n")
    print(json.dumps(ref, indent=1))
