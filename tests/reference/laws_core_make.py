r"""Independent references for tests/test_laws_threshold.py (does not import ``theory``).

Writes ``laws_core_reference.json`` next to this script. Run:
``nice python tests/reference/laws_core_make.py`` (about a minute on one core).

1. Gardner capacity at kappa = 1 (Gardner 1988; Engel & Van den Broeck 2001, Ch. 6):
   alpha_c(kappa) = 1 / int_{-kappa}^inf Dt (t + kappa)^2, by ``mpmath.quad`` at 50 digits,
   checked against the closed form 1/((1 + kappa^2) Phi(kappa) + kappa phi(kappa)).

2. Spinodal of noiseless real phase retrieval (Bayes-optimal state evolution, Barbier et al.
   arXiv:1708.03395v3, Sec. 2): q_{t+1} = alpha I(q_t) / (1 + alpha I(q_t)),
   I(q) = E[g_out^2], g_out = (z tanh(z omega / V) - omega) / V (y = |z|; the square is even
   in omega and in z, so the absolute values drop), V = 1 - q, omega ~ N(0, q) and, given
   omega, z ~ N(omega, V). A fixed point at q has alpha(q) = q / ((1 - q) I(q)); the
   low-overlap branch disappears at the local maximum of alpha(q) (a saddle-node), so the
   spinodal is alpha_sp = max_q alpha(q) near q = 0.85. The maximum VALUE is insensitive to
   the location error (a flat maximum), so float64 gives it to ~1e-13.
   I(q) is computed by nested adaptive quadrature (``scipy.integrate.quad``, inner over z,
   outer over omega, both over +-14 standard deviations, epsabs 1e-15) and again in the
   coordinates (xi, eta) (omega = sqrt(q) xi, z = omega + sqrt(V) eta); the maximum by
   ``scipy.optimize.minimize_scalar`` (bounded, xatol 1e-9). The two spinodals and their
   difference are stored. (A Gauss--Hermite product rule of 200 x 200 nodes is used only for
   the qualitative iteration below: it is off by ~3e-4 at q ~ 0.85, where tanh(z omega / V)
   has complex poles close to the real plane.) A 30-digit
   mpmath computation was tried (2-D ``mpmath.quad``): 190 s per evaluation of I at 15 digits
   and only 9 digits agreeing between 15 and 20, so it is not used.
   A plain float iteration of the state evolution from q = 0.5 checks the picture: at
   alpha_sp - 1e-3 it stays on the low branch (q < 0.9), at alpha_sp + 1e-3 it runs to q > 0.99.
"""

from __future__ import annotations

import json
import pathlib
import time

import mpmath
import numpy as np
from scipy import integrate, optimize

OUT = pathlib.Path(__file__).with_name("laws_core_reference.json")


def gardner(kappa, dps=50):
    with mpmath.workdps(dps):
        k = mpmath.mpf(kappa)
        integral = mpmath.quad(lambda t: (t + k) ** 2 * mpmath.npdf(t), [-k, 0, mpmath.inf])
        closed = (1 + k**2) * mpmath.ncdf(k) + k * mpmath.npdf(k)
        assert abs(integral - closed) < mpmath.mpf(10) ** (-45)
        return 1 / integral


def I_nested(q):
    V = 1 - q
    sq, sv = np.sqrt(q), np.sqrt(V)

    def inner(w):
        f = lambda z: (np.exp(-0.5 * ((z - w) / sv) ** 2) / (sv * np.sqrt(2 * np.pi))  # noqa
                       * (z * np.tanh(z * w / V) - w) ** 2)
        return integrate.quad(f, w - 14 * sv, w + 14 * sv, epsabs=1e-15, epsrel=1e-14,
                              limit=400, points=[0.0] if abs(w) < 14 * sv else None)[0]

    outer = lambda w: np.exp(-0.5 * (w / sq) ** 2) / (sq * np.sqrt(2 * np.pi)) * inner(w)  # noqa
    val = integrate.quad(outer, -14 * sq, 14 * sq, epsabs=1e-15, epsrel=1e-14, limit=400,
                         points=[0.0])[0]
    return val / V**2


_x, _w = np.polynomial.hermite_e.hermegauss(200)
_w = _w / _w.sum()


def I_hermite(q):
    V = 1 - q
    om = np.sqrt(q) * _x[:, None]
    z = om + np.sqrt(V) * _x[None, :]
    return float(_w @ ((z * np.tanh(z * om / V) - om) ** 2) @ _w) / V**2


def I_xi_eta(q):
    """The same integral in the coordinates omega = sqrt(q) xi, z = omega + sqrt(V) eta
    (standard normal xi outer, eta inner), by nested ``scipy.integrate.quad``."""
    V = 1 - q
    sq, sv = np.sqrt(q), np.sqrt(V)
    g = 1 / np.sqrt(2 * np.pi)

    def inner(xi):
        om = sq * xi
        f = lambda eta: g * np.exp(-0.5 * eta**2) * ((om + sv * eta) * np.tanh(  # noqa: E731
            (om + sv * eta) * om / V) - om) ** 2
        return integrate.quad(f, -14, 14, epsabs=1e-15, epsrel=1e-14, limit=400,
                              points=[-om / sv] if abs(om / sv) < 14 else None)[0]

    val = integrate.quad(lambda xi: g * np.exp(-0.5 * xi**2) * inner(xi), -14, 14,
                         epsabs=1e-15, epsrel=1e-14, limit=400, points=[0.0])[0]
    return val / V**2


def spinodal(I):
    res = optimize.minimize_scalar(lambda q: -q / ((1 - q) * I(q)), bounds=(0.80, 0.89),
                                   method="bounded", options={"xatol": 1e-9})
    return float(res.x), float(-res.fun)


def float_check(alpha_sp):
    out = {}
    for a in (alpha_sp - 1e-3, alpha_sp + 1e-3):
        q = 0.5
        for _ in range(4000):
            I = I_hermite(q)
            q = min(a * I / (1 + a * I), 1 - 1e-6)
        out[f"{a:.6f}"] = q
    return out


if __name__ == "__main__":
    t0 = time.time()
    ref = {"gardner_alpha_c_kappa1": mpmath.nstr(gardner(1), 45)}
    qn, an = spinodal(I_nested)
    qh, ah = spinodal(I_xi_eta)
    print(qn, an, qh, ah, f"{time.time() - t0:.0f} s", flush=True)
    ref["pr_spinodal_alpha_nested_quad"] = an
    ref["pr_spinodal_alpha_nested_quad_xi_eta"] = ah
    ref["pr_spinodal_q"] = qn
    ref["pr_spinodal_methods_differ"] = abs(an - ah)
    ref["pr_spinodal_float_iteration"] = float_check(an)
    ref["seconds"] = round(time.time() - t0)
    OUT.write_text(json.dumps(ref, indent=1) + "\n")
    print(json.dumps(ref, indent=1))
