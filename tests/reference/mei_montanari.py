"""Mei & Montanari (arXiv:1908.05355v5), Definition 1 + Theorem 1, written directly in mpmath.

Independent of ``theory`` (imports nothing from it, and does not use its scalar reduction):
nu_1, nu_2 are solved as complex numbers from the two equations of Definition 1 at
xi = i sqrt(psi1 psi2 lambda/mu_star^2) by Newton's method in complex arithmetic, then the
polynomials E0, E1, E2 of Definition 1 are evaluated in their printed monomial form.

* lambda >= 1/mu_star^2-ish (s >= 1): start in the upper half-plane and iterate the equations
  (damped), then Newton.
* small lambda (down to the interpolation peak, where the damped iteration and a cold
  ``findroot`` fail, e.g. psi1 = 1.499, psi2 = 1.5, lambda <= 1e-8): continuation in
  s = sqrt(psi1 psi2 lambda)/mu_star from s = 1 down to the target by factors of 2, each step
  started from a log-linear extrapolation of the last two solutions (nu_min ~ s, nu_max ~ 1/s).
* the working precision grows with the digits the monomial E0 loses (~log10(1/s) at
  psi1 = psi2) and every value is computed twice, at two precisions, and must agree.
* lambda = 0 (ridgeless limit): the lambda -> 0+ limit, evaluated at lambda = 1e-70 and 1e-76
  (the correction is O(lambda) when psi1 != psi2); the two must agree to the requested digits,
  and when the value grows like 1/sqrt(lambda) instead (psi1 = psi2) the limit is +inf.

Inputs may be floats (taken exactly, as the binary numbers the model receives), ints, decimal
strings or mpf.
"""

import mpmath


def _num(v):
    return v if isinstance(v, mpmath.mpf) else mpmath.mpf(v)


def _nu(p1, p2, z2, s):
    """(nu_1, nu_2) of Definition 1 at xi = i s, Im nu > 0, at the current precision."""
    xi = 1j * s

    def F(n1, n2):
        d = 1 - z2 * n1 * n2
        return (n1 * (-xi - n2 - z2 * n2 / d) - p1, n2 * (-xi - n1 - z2 * n1 / d) - p2)

    def J(n1, n2):
        d = 1 - z2 * n1 * n2
        a1 = -xi - n2 - z2 * n2 / d
        a2 = -xi - n1 - z2 * n1 / d
        return ((a1 + n1 * (-z2 * z2 * n2 * n2 / d**2), n1 * (-1 - z2 / d**2)),
                (n2 * (-1 - z2 / d**2), a2 + n2 * (-z2 * z2 * n1 * n1 / d**2)))

    def newton(n1, n2):
        tol = mpmath.mpf(2) ** (-mpmath.mp.prec + 12)
        for _ in range(60):
            f1, f2 = F(n1, n2)
            (j11, j12), (j21, j22) = J(n1, n2)
            det = j11 * j22 - j12 * j21
            d1 = (j22 * f1 - j12 * f2) / det
            d2 = (-j21 * f1 + j11 * f2) / det
            n1, n2 = n1 - d1, n2 - d2
            if abs(d1) <= tol * abs(n1) and abs(d2) <= tol * abs(n2):
                if mpmath.im(n1) > 0 and mpmath.im(n2) > 0:
                    return n1, n2
                break
        raise ArithmeticError(f"reference Newton did not converge at s = {s}")

    def iterate(sv):
        x = 1j * sv
        n1, n2 = 1j * p1 / (sv + 1), 1j * p2 / (sv + 1)
        for _ in range(20000):
            d = 1 - z2 * n1 * n2
            m1 = p1 / (-x - n2 - z2 * n2 / d)
            m2 = p2 / (-x - n1 - z2 * n1 / d)
            step = max(abs(m1 - n1), abs(m2 - n2))
            n1, n2 = (n1 + m1) / 2, (n2 + m2) / 2
            if step < 1e-12:
                break
        return n1, n2

    s0 = max(s, mpmath.mpf(1))
    n1, n2 = iterate(s0)
    xi = 1j * s0
    n1, n2 = newton(n1, n2)
    prev, cur = None, (s0, n1, n2)
    ratio = mpmath.mpf(2)  # s shrinks by this factor per step; smaller steps where Newton fails
    while cur[0] > s:
        for _ in range(60):
            snew = max(cur[0] / ratio, s)
            if prev is None:
                g1, g2 = cur[1], cur[2]
            else:  # log-linear extrapolation of |nu| in s
                r = mpmath.log(snew / cur[0]) / mpmath.log(cur[0] / prev[0])
                g1 = cur[1] * (cur[1] / prev[1]) ** r
                g2 = cur[2] * (cur[2] / prev[2]) ** r
            xi = 1j * snew
            try:
                n1, n2 = newton(g1, g2)
                break
            except (ArithmeticError, ZeroDivisionError):
                ratio = mpmath.sqrt(ratio)
        else:
            raise ArithmeticError(f"reference continuation stalled at s = {cur[0]}")
        prev, cur = cur, (snew, n1, n2)
        ratio = min(ratio**2, mpmath.mpf(2))
    n1, n2 = cur[1], cur[2]
    assert mpmath.im(n1) > 0 and mpmath.im(n2) > 0, (n1, n2)
    return n1, n2


def _observables_at(p1, p2, la, u1, us, f1, fs, ta):
    z2 = (u1 / us) ** 2
    s = mpmath.sqrt(p1 * p2 * la / us**2)
    n1, n2 = _nu(p1, p2, z2, s)
    c = n1 * n2
    e0 = (-c**5 * z2**3 + 3 * c**4 * z2**2 + (p1 * p2 - p2 - p1 + 1) * c**3 * z2**3
          - 2 * c**3 * z2**2 - 3 * c**3 * z2 + (p1 + p2 - 3 * p1 * p2 + 1) * c**2 * z2**2
          + 2 * c**2 * z2 + c**2 + 3 * p1 * p2 * c * z2 - p1 * p2)
    e1 = p2 * c**3 * z2**2 - p2 * c**2 * z2 + p1 * p2 * c * z2 - p1 * p2
    e2 = (c**5 * z2**3 - 3 * c**4 * z2**2 + (p1 - 1) * c**3 * z2**3 + 2 * c**3 * z2**2
          + 3 * c**3 * z2 + (-p1 - 1) * c**2 * z2**2 - 2 * c**2 * z2 - c**2)
    B, V = mpmath.re(e1 / e0), mpmath.re(e2 / e0)
    R = f1**2 * B + (ta**2 + fs**2) * V + fs**2
    return {"test_error": R, "bias": B, "variance": V}


def _positive_lambda(vals, dps):
    p1, p2, la, u1, us = vals[:5]
    s = mpmath.sqrt(p1 * p2 * la) / us
    lost = max(0, int(-mpmath.log10(s))) if s < 1 else 0
    out = []
    for extra in (20, 35):
        with mpmath.workdps(dps + extra + 2 * lost):
            out.append(_observables_at(*[+v for v in vals]))
    a, b = out
    for k in a:
        if abs(a[k] - b[k]) > mpmath.mpf(10) ** (-dps - 3) * abs(b[k]):
            raise ArithmeticError(f"reference {k} not stable across precisions: {a[k]} vs {b[k]}")
    return b


def observables(psi_1, psi_2, lam_, mu_1, mu_star, F_1=1, F_star=0, tau_=0, dps=30):
    """Bias B, variance V and test error R of Theorem 1 at ``dps`` correct digits (mpf), or
    +inf where the ridgeless risk diverges (lambda = 0 at psi1 = psi2)."""
    with mpmath.workdps(dps + 40):
        vals = [_num(v) for v in (psi_1, psi_2, lam_, mu_1, mu_star, F_1, F_star, tau_)]
    if vals[2] > 0:
        out = _positive_lambda(vals, dps)
    else:  # the ridgeless limit lambda -> 0+
        lo = _positive_lambda([*vals[:2], mpmath.mpf(10) ** -76, *vals[3:]], dps)
        hi = _positive_lambda([*vals[:2], mpmath.mpf(10) ** -70, *vals[3:]], dps)
        out = {}
        for k in lo:
            if lo[k] > 100 * hi[k]:  # grows like lambda^(-1/2): diverges
                out[k] = mpmath.inf
            elif abs(lo[k] - hi[k]) <= mpmath.mpf(10) ** (-dps - 2) * abs(lo[k]):
                out[k] = lo[k]
            else:
                raise ArithmeticError(f"reference: no lambda -> 0 limit of {k} at {dps} digits "
                                      f"({lo[k]} at 1e-76, {hi[k]} at 1e-70)")
    with mpmath.workdps(dps):
        return {k: +v for k, v in out.items()}


def test_error(psi_1, psi_2, lam_, mu_1, mu_star, F_1=1, F_star=0, tau_=0, dps=50):
    """Theorem 1 of Mei & Montanari at ``dps`` digits, written directly with mpmath."""
    return observables(psi_1, psi_2, lam_, mu_1, mu_star, F_1, F_star, tau_, dps)["test_error"]


# ---------------------------------------------------------------- stored grid (tests/test_edges_peak.py)
ACTIVATIONS = ("relu", "erf", "tanh")
# psi1 through the peak psi1 = psi2, at three psi2; lambda down to 0 (ridgeless)
PSI_GRID = {1.5: (0.5, 1.2, 1.45, 1.49, 1.499, 1.5, 1.501, 1.51, 1.6, 3.0),
            0.5: (0.2, 0.49, 0.5, 0.51, 2.0),
            3.0: (1.0, 2.99, 3.0, 3.01, 10.0)}
LAMBDAS = (1e-8, 1e-12, 1e-16, 0.0)
EXTRA = [(1.5, 1.5, 1e-15), (1.5, 1.5, 1e-18), (1.49, 1.5, 1e-10), (1.49, 1.5, 1e-14)]
# extremes (relu only): tiny and huge psi, lambda down to the smallest double and up to 1e30,
# psi1 - psi2 = 2^-40 (the crossover between the s- and the |psi1 - psi2|-dominated regimes)
EXTREMES = [(1e-3, 1e3, 1e-16), (1e3, 1e-3, 1e-16), (1e-3, 1e-3, 1e-12), (1e3, 1e3, 1e-16),
            (1.5, 1.5, 1e-300), (1.5, 1.5, 5e-324), (1.49, 1.5, 1e-300), (1.5, 1.5, 1e12),
            (0.3, 0.7, 1e30), (1.5, 1.5 + 2**-40, 1e-20), (1.5, 1.5 + 2**-40, 1e-26),
            (1.5, 1.5 + 2**-40, 0.0), (1.5 + 2**-40, 1.5, 1e-24)]


def activation_constants(name, dps=50):
    """(mu_1, mu_star) of relu, erf (closed forms) and tanh (mpmath.quad split at 0, smooth)
    at ``dps`` digits; x ~ N(0, 1), mu_star^2 = E sigma^2 - mu_0^2 - mu_1^2."""
    with mpmath.workdps(dps + 10):
        if name == "relu":
            m1, ms2 = mpmath.mpf(1) / 2, mpmath.mpf(1) / 4 - 1 / (2 * mpmath.pi)
        elif name == "erf":
            m1 = 2 / mpmath.sqrt(3 * mpmath.pi)
            ms2 = 2 / mpmath.pi * mpmath.asin(mpmath.mpf(2) / 3) - m1**2
        elif name == "tanh":
            phi = lambda x: mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi)  # noqa: E731
            m1 = mpmath.quad(lambda x: x * mpmath.tanh(x) * phi(x), [-mpmath.inf, 0, mpmath.inf])
            e2 = mpmath.quad(lambda x: mpmath.tanh(x) ** 2 * phi(x), [-mpmath.inf, 0, mpmath.inf])
            ms2 = e2 - m1**2  # mu_0 = 0 (odd)
        else:
            raise ValueError(name)
        return +m1, mpmath.sqrt(ms2)


def make_grid(dps=30):
    rows = []
    for act in ACTIVATIONS:
        m1, ms = activation_constants(act)
        pts = [(p1, p2, la) for p2, p1s in PSI_GRID.items() for p1 in p1s for la in LAMBDAS]
        for p1, p2, la in pts + EXTRA + (EXTREMES if act == "relu" else []):
            o = observables(p1, p2, la, m1, ms, dps=dps)
            rows.append({"activation": act, "psi1": p1, "psi2": p2, "lam": la,
                         "bias": mpmath.nstr(o["bias"], dps),
                         "variance": mpmath.nstr(o["variance"], dps)})
    return rows


if __name__ == "__main__":  # python tests/reference/mei_montanari.py -> mei_montanari.json
    import json
    import pathlib
    import time

    t0 = time.time()
    consts = {a: [mpmath.nstr(v, 45) for v in activation_constants(a)] for a in ACTIVATIONS}
    out = {"source": "tests/reference/mei_montanari.py (Definition 1 solved in complex "
                     "arithmetic, monomial E0, E1, E2; 30 digits)",
           "mu_1_mu_star": consts, "points": make_grid()}
    path = pathlib.Path(__file__).with_name("mei_montanari.json")
    path.write_text(json.dumps(out, indent=1))
    print(f"wrote {len(out['points'])} points to {path} in {time.time() - t0:.0f} s")
