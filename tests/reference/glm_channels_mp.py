"""Reference values of the GLM output channels: log Z_out, g_out = d/domega log Z_out and
d g_out / d omega at 40 digits, for tests/test_glm_channels.py.

Independent of `theory`: Z_out(y, omega, V) = int dz N(z; omega, V) P(y|z) is written here from
its definition (the Gaussian integrals done by hand, evaluated with mpmath.ncdf/npdf at 100
digits, where the tails cost nothing), and the omega-derivatives of log Z are taken numerically
by mpmath.diff at 100 digits (no closed form of g or dg is used).

Run: python tests/reference/glm_channels_mp.py  (writes glm_channels_mp.json next to it)
"""

import json
from pathlib import Path

import mpmath as mp

DPS = 100


def N(r, s2):
    return mp.exp(-r * r / (2 * s2)) / mp.sqrt(2 * mp.pi * s2)


def Z_sign(y, w, V, D):
    return mp.ncdf(y * w / mp.sqrt(V + D))


def Z_gauss(y, w, V, D):
    return N(y - w, V + D)


def Z_abs(y, w, V, D):
    if D == 0:  # delta(y - |z|): the two z = +-y
        return N(y - w, V) + N(y + w, V)
    s2 = V + D
    out = 0
    for g in (1, -1):  # int_{g z > 0} N(z; w, V) N(y - g z; 0, D) dz
        m = (w * D + g * y * V) / s2
        sd = mp.sqrt(V * D / s2)
        out += N(y - g * w, s2) * mp.ncdf(g * m / sd)
    return out


def Z_relu(y, w, V, D):
    if D == 0:
        return mp.ncdf(-w / mp.sqrt(V)) if y == 0 else N(y - w, V)
    s2 = V + D
    m = (w * D + y * V) / s2
    sd = mp.sqrt(V * D / s2)
    return N(y, D) * mp.ncdf(-w / mp.sqrt(V)) + N(y - w, s2) * mp.ncdf(m / sd)


CASES = [("sign", 0, (1, -1)), ("sign", "0.3", (1, -1)), ("gaussian", "0.5", ("-0.7", "2.3")),
         ("abs", 0, ("0.3", "1.9")), ("abs", "0.1", ("0.3", "1.9", "-0.2")),
         ("relu", 0, (0, "0.8")), ("relu", "0.1", ("-0.4", "0.8"))]
FUNCS = {"sign": Z_sign, "gaussian": Z_gauss, "abs": Z_abs, "relu": Z_relu}
VS = ("1", "1e-4", "1e-8")
RATIOS = ("-40", "-10", "-3", "-0.5", "0", "1.7", "10", "40")


def main():
    out = []
    with mp.workdps(DPS):
        for name, D, ys in CASES:
            D = mp.mpf(D)
            for y in ys:
                y = mp.mpf(y)
                for V in VS:
                    V = mp.mpf(V)
                    for r in RATIOS:
                        w = mp.mpf(r) * mp.sqrt(V)

                        def logZ(x, y=y, V=V, D=D, name=name):
                            return mp.log(FUNCS[name](y, x, V, D))

                        lz = logZ(w)
                        g = mp.diff(logZ, w, 1)
                        dg = mp.diff(logZ, w, 2)
                        out.append({"channel": name, "Delta": mp.nstr(D, 5), "y": mp.nstr(y, 5),
                                    "V": mp.nstr(V, 5), "omega_over_sqrtV": r,
                                    "logZ": mp.nstr(lz, 40), "g": mp.nstr(g, 40),
                                    "dg": mp.nstr(dg, 40)})
    path = Path(__file__).with_suffix(".json")
    path.write_text(json.dumps({"dps": 40, "source": Path(__file__).name, "values": out},
                               indent=1) + "\n")
    print(f"wrote {len(out)} points to {path}")


if __name__ == "__main__":
    main()
