"""Reference values for tests/test_glm.py (mpmath; does not import `theory`).

1. Bayes-optimal perceptron, Gaussian prior: the fixed point of
   qh = (2 alpha / V) E_xi[phi(u)^2 / Phi(u)],  u = sqrt(q/V) xi,  q = qh/(1+qh),  V = 1/(1+qh)
   solved by mpmath.findroot at 40 digits (expectation by mpmath.quad after t = sqrt(qh) xi),
   at alpha = 1 and alpha = 1e4; Bayes error atan(sqrt(V/q))/pi (= arccos(sqrt q)/pi), Gibbs
   error arccos(q)/pi.
   The alpha -> infinity constants: with a = sqrt(q/V) -> infinity,
   E_xi h(a xi) = (1/a) int phi(t/a) h(t) dt -> C/(a sqrt(2 pi)), C = int phi(t)^2/Phi(t) dt,
   and qh = q/V, so q = 2 alpha C sqrt(V)/(sqrt(q) sqrt(2 pi)) -> sqrt(V) = sqrt(2 pi)/(2 alpha C)
   at q -> 1. Bayes: arccos(sqrt(1-V)) ~ sqrt(V), Gibbs: arccos(1-V) ~ sqrt(2V), so
   alpha eps_Bayes -> 1/(sqrt(2 pi) C) and alpha eps_Gibbs -> sqrt(2)/(sqrt(2 pi) C)
   (Opper & Haussler, PRL 66, 2677 (1991): 0.442 and 0.625).
2. Rademacher prior: q = E_z tanh(qh + sqrt(qh) z), the low fixed point at alpha = 1.
3. Phase retrieval y = |z| + sqrt(Delta) xi, Gaussian prior: the q = 0 fixed point loses
   stability where alpha E_y[(d_omega g_out(y, 0, 1))^2] = 1 (linearising qh = alpha E[g_out^2]
   at q = 0: g_out ~ omega d_omega g_out(y, 0, 1), omega ~ N(0, q)); d_omega g_out from
   mpmath.diff of log Z_out, Z_out(y, 0, 1) the density of y. Delta = 0: 1/E(z^2-1)^2 = 1/2.
4. Gardner capacity alpha_c(kappa) = 1/E[(z + kappa)_+^2] = 1/((1+kappa^2) Phi(kappa) +
   kappa phi(kappa)).
Run: python tests/reference/glm_perceptron_mp.py  (writes glm_perceptron_mp.json)
"""

import json
from pathlib import Path

import mpmath as mp

DPS = 40


def h(t):
    return mp.npdf(t) ** 2 / mp.ncdf(t)


def gauss_E(qh):
    a = mp.sqrt(qh)  # sqrt(q/V) = sqrt(qh)
    return mp.quad(lambda t: mp.npdf(t / a) * h(t), [-mp.inf, -20, -5, 0, 5, mp.inf]) / a


def perceptron_gaussian(alpha):
    alpha = mp.mpf(alpha)

    def G(qh):
        V = 1 / (1 + qh)
        return 2 * alpha / V * gauss_E(qh) - qh

    x0 = 2 * alpha / mp.pi + alpha**2 / 2
    qh = mp.findroot(G, x0, tol=mp.mpf(10) ** (-2 * DPS))
    q, V = qh / (1 + qh), 1 / (1 + qh)
    return {"qh": qh, "q": q, "bayes_error": mp.atan(mp.sqrt(V / q)) / mp.pi,
            "gibbs_error": mp.acos(q) / mp.pi}


def perceptron_rademacher(alpha, x0):
    alpha = mp.mpf(alpha)

    def G(qh):
        q = mp.quad(lambda z: mp.npdf(z) * mp.tanh(qh + mp.sqrt(qh) * z), [-mp.inf, 0, mp.inf])
        V = 1 - q
        a = mp.sqrt(q / V)
        e = mp.quad(lambda t: mp.npdf(t / a) * h(t), [-mp.inf, -5, 0, 5, mp.inf]) / a
        return 2 * alpha / V * e - qh

    qh = mp.findroot(G, mp.mpf(x0), tol=mp.mpf(10) ** (-2 * DPS))
    q = mp.quad(lambda z: mp.npdf(z) * mp.tanh(qh + mp.sqrt(qh) * z), [-mp.inf, 0, mp.inf])
    return {"qh": qh, "q": q}


def pr_threshold(Delta):
    D = mp.mpf(Delta)

    def Z(y, w):  # V = 1
        s2 = 1 + D
        out = 0
        for g in (1, -1):
            m = (w * D + g * y) / s2
            sd = mp.sqrt(D / s2)
            out += mp.exp(-(y - g * w) ** 2 / (2 * s2)) / mp.sqrt(2 * mp.pi * s2) * mp.ncdf(g * m / sd)
        return out

    def integrand(y):
        dg = mp.diff(lambda w: mp.log(Z(y, w)), 0, 2)
        return Z(y, 0) * dg**2

    return 1 / mp.quad(integrand, [-mp.inf, 0, 1, 3, mp.inf])


def gardner(kappa):
    k = mp.mpf(kappa)
    return 1 / ((1 + k * k) * mp.ncdf(k) + k * mp.npdf(k))


def s(x, n=DPS):
    return mp.nstr(x, n)


def main():
    out = {"dps": DPS, "source": Path(__file__).name}
    with mp.workdps(DPS + 15):
        g1 = perceptron_gaussian(1)
        g4 = perceptron_gaussian(10**4)
        C = mp.quad(h, [-mp.inf, -5, 0, 5, mp.inf])
        lim_b = 1 / (mp.sqrt(2 * mp.pi) * C)
        out["perceptron_gaussian"] = {
            "alpha=1": {k: s(v) for k, v in g1.items()},
            "alpha=1e4": {**{k: s(v) for k, v in g4.items()},
                          "alpha_bayes_error": s(10**4 * g4["bayes_error"]),
                          "alpha_gibbs_error": s(10**4 * g4["gibbs_error"])},
            "limit": {"C": s(C), "alpha_bayes_error": s(lim_b),
                      "alpha_gibbs_error": s(mp.sqrt(2) * lim_b)}}
        r1 = perceptron_rademacher(1, "0.7")
        out["perceptron_rademacher"] = {"alpha=1": {k: s(v) for k, v in r1.items()}}
    with mp.workdps(30):
        # Delta = 0: 1/E(z^2 - 1)^2 = 1/2 in closed form
        out["phase_retrieval_threshold"] = {"0": "0.5",
                                            "0.1": s(pr_threshold("0.1"), 20),
                                            "0.5": s(pr_threshold("0.5"), 20)}
    with mp.workdps(DPS + 10):
        out["gardner_capacity"] = {k: s(gardner(k)) for k in ("0", "0.5", "1", "2")}
    path = Path(__file__).with_suffix(".json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
