"""Reference values of the Marchenko--Pastur resolvent moments at 40 digits (independent of theory).

D = int x/(x+z) dmu, E = 1/gamma - 1 + z g, B = int x/(x+z)^2 dmu, A = int x^2/(x+z)^2 dmu,
C = 1/gamma - 1 + z^2 g', with g = g(-z) = int dmu(x)/(x+z) of the Marchenko--Pastur law of ratio
gamma (density sqrt((b-x)(x-a))/(2 pi gamma x) on [a, b] = [(1 -+ sqrt gamma)^2], plus an atom
1 - 1/gamma at 0 when gamma > 1). Every value is an mpmath.quad of the density, split at the
edges and the midpoint, at 50 working digits; the atom is added by hand. Run:
``python tests/reference/mp_resolvent_moments.py`` (about a minute) -> mp_resolvent_moments.json.
"""

import json
from pathlib import Path

import mpmath as mp

# binary-exact ratios: the moments near gamma = 1 amplify a decimal input error of 1e-16
GAMMAS = ["0.125", "0.5", "0.9990234375", "1", "1.0009765625", "2", "7"]
ZS = ["1e-12", "1e-9", "1e-6", "1e-3", "0.3", "1", "10", "1e4", "1e9", "1e12"]


def moments(z, g):
    a, b = (1 - mp.sqrt(g)) ** 2, (1 + mp.sqrt(g)) ** 2
    atom = max(1 - 1 / g, 0)

    half = (b - a) / 2
    # x = (a + b)/2 - half cos(t): the square-root edges become smooth; break points where
    # x - a is a multiple of z (the scale of 1/(x + z) when a = 0, gamma = 1)
    cuts = {mp.mpf(0), mp.pi}
    for k in (mp.mpf("0.01"), mp.mpf("0.1"), 1, 10, 100):
        if k * z < 2 * half:
            cuts.add(mp.acos(1 - k * z / half))

    def integral(f):
        def h(t):
            x = a + 2 * half * mp.sin(t / 2) ** 2
            return f(x) * half**2 * mp.sin(t) ** 2 / (2 * mp.pi * g * x)
        val, err = mp.quad(h, sorted(cuts), error=True, maxdegree=12)
        assert err < mp.mpf(10) ** -42 * max(1, abs(val)), (err, val)
        return val

    return {
        "D": integral(lambda x: x / (x + z)),
        "E": 1 / g - 1 + atom + integral(lambda x: z / (x + z)),
        "B": integral(lambda x: x / (x + z) ** 2),
        "A": integral(lambda x: x**2 / (x + z) ** 2),
        "C": 1 / g - 1 + atom + integral(lambda x: z**2 / (x + z) ** 2),
        "mass": atom + integral(lambda x: 1),
    }


def main():
    out = []
    with mp.workdps(50):
        for g in GAMMAS:
            for z in ZS:
                m = moments(mp.mpf(z), mp.mpf(g))
                assert abs(m.pop("mass") - 1) < mp.mpf(10) ** -40
                out.append({"gamma": g, "z": z, **{k: mp.nstr(v, 40) for k, v in m.items()}})
    path = Path(__file__).with_suffix(".json")
    path.write_text(json.dumps(out, indent=1))
    print(f"wrote {len(out)} points to {path}")


if __name__ == "__main__":
    main()
