"""Reference values for theory/laws/sequential.py and theory/laws/hierarchical.py, written directly
in mpmath. Imports nothing from ``theory``.

Sequential model (the module's docstring defines it; here it is rebuilt from its definition
by other routes):

* threshold: (m_c, sigma_c) solved JOINTLY by ``mpmath.findroot`` (2 unknowns) from
  Phi(m; sigma) = 0 and dPhi/dm = 0 with
  Phi(m; sigma) = (sigma m^2 - log(1 + sigma m^2))/2 - sigma m^3/3 (dPhi/dm by mpmath.diff),
  not from the module's one-variable reduction;
* risks: eps = sum_i i^(-2 beta) (1 - m_i) feature by feature: m_i found by Newton
  (``findroot``) on m = s m^2/(1 + s m^2) started at m = 1 (the upper fixed point), kept when
  Phi(m_i; s_i) >= 0 (the Bayes-optimal branch), else m_i = 0; the tail of unrecovered
  features of the k = infinity model as zeta(2 beta) minus the finite sum (the Riemann zeta,
  not the Hurwitz zeta the module uses; ``mpmath.nsum`` was tried and is not accurate enough:
  its default Richardson is wrong for this algebraic tail and its Euler-Maclaurin reaches
  only ~1e-30 at 50 digits);
* hierarchical tail risks R = sum_{m < j <= p} j^(-2 gamma) by plain summation.

Every value is computed at 50 digits and again at 70: they must agree to 40 digits; 40 are
stored.

Run: ``python tests/reference/laws_seq_make.py`` (writes laws_seq_values.json next to it).
"""

import json
import os

import mpmath as mp


def Phi(m, s):
    return (s * m**2 - mp.log(1 + s * m**2)) / 2 - s * m**3 / 3


def threshold():
    f1 = lambda m, s: Phi(m, s)  # noqa: E731
    f2 = lambda m, s: mp.diff(lambda x: Phi(x, s), m)  # noqa: E731
    m, s = mp.findroot([f1, f2], (mp.mpf("0.65"), mp.mpf("4.4")))
    return m, s


def overlap(s):
    if s < 4:
        return mp.mpf(0)
    m = mp.findroot(lambda x: x * (1 + s * x**2) - s * x**2, mp.mpf(1))
    return m if Phi(m, s) >= 0 else mp.mpf(0)


def risk(n, beta, d, k):
    """k None: infinitely many features (the unrecovered tail: zeta(2 beta) - partial sum)."""
    t = mp.mpf(n) / d
    total, i = mp.mpf(0), 1
    while True:
        if k is not None and i > k:
            return total
        s = t * mp.mpf(i) ** (-2 * beta)
        m = overlap(s)
        if m == 0 and k is None:
            head = mp.fsum(mp.mpf(j) ** (-2 * beta) for j in range(1, i))
            return total + mp.zeta(2 * beta) - head
        total += mp.mpf(i) ** (-2 * beta) * (1 - m)
        i += 1


RISKS = [  # (beta, d, k, n)
    ("1", "100", 100, "1e3"), ("1", "100", 100, "5e4"), ("1", "100", 100, "1e7"),
    ("0.75", "100", 100, "3e5"), ("2", "10", 20, "2e7"), ("1.5", "1", 50, "1e9"),
]
LATTICE = [  # (beta, J): the k = infinity risk at n = sigma_c (J + 1/2)^(2 beta), d = 1
    ("0.75", 40), ("0.75", 150), ("2", 150), ("1", 90),
]
TAILS = [  # hierarchical: (gamma, p, m)
    ("0.6", 100, 3), ("1", 50, 10), ("0.25", 20, 0),
]


def values(dps):
    with mp.workdps(dps):
        m_c, s_c = threshold()
        out = {"m_c": m_c, "sigma_c": s_c, "risk": [], "lattice": [], "tail": []}
        for beta, d, k, n in RISKS:
            out["risk"].append(risk(mp.mpf(n), mp.mpf(beta), mp.mpf(d), k))
        for beta, J in LATTICE:
            b = mp.mpf(beta)
            n = s_c * (J + mp.mpf(1) / 2) ** (2 * b)
            out["lattice"].append(risk(n, b, 1, None))
        for gamma, p, m in TAILS:
            g = mp.mpf(gamma)
            out["tail"].append(mp.fsum(mp.mpf(j) ** (-2 * g) for j in range(m + 1, p + 1)))
        return out


def main():
    a, b = values(50), values(70)
    s = lambda x: mp.nstr(x, 40)  # noqa: E731

    def check(x, y):
        with mp.workdps(70):
            assert abs(x - y) <= mp.mpf(10) ** -40 * max(1, abs(y)), (x, y)
        return s(y)

    data = {"about": "tests/reference/laws_seq_make.py (mpmath only, 50 vs 70 digits)",
            "m_c": check(a["m_c"], b["m_c"]), "sigma_c": check(a["sigma_c"], b["sigma_c"]),
            "risk": [{"beta": be, "d": d, "k": k, "n": n, "eps": check(x, y)}
                     for (be, d, k, n), x, y in zip(RISKS, a["risk"], b["risk"])],
            "lattice": [{"beta": be, "J": J, "eps": check(x, y)}
                        for (be, J), x, y in zip(LATTICE, a["lattice"], b["lattice"])],
            "tail": [{"gamma": g, "p": p, "m": m, "R": check(x, y)}
                     for (g, p, m), x, y in zip(TAILS, a["tail"], b["tail"])]}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "laws_seq_values.json")
    with open(path, "w") as fh:
        json.dump(data, fh, indent=1)
        fh.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
