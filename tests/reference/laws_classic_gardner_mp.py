"""Reference values of the Gardner capacity alpha_c(kappa) = 1/int_{-kappa}^inf Dt (t + kappa)^2.

Gardner 1988 (J. Phys. A 21, 257), the spherical perceptron with margin kappa >= 0. Independent
of ``theory`` (does not import it): the integral is ``mpmath.quad`` of the definition (no closed
form), Dt = exp(-t^2/2)/sqrt(2 pi) dt, on [-kappa, inf) split at 0, at 50 digits.
Run: python tests/reference/laws_classic_gardner_mp.py  (writes laws_classic_gardner_mp.json)
"""

import json
import pathlib

import mpmath

mpmath.mp.dps = 50
OUT = 30
KAPPAS = ("0", "0.25", "0.5", "1", "1.5", "2", "3", "5")


def capacity(kappa):
    cuts = sorted({-kappa, mpmath.mpf(0)}) + [mpmath.inf]
    integral = mpmath.quad(lambda t: mpmath.exp(-t * t / 2) / mpmath.sqrt(2 * mpmath.pi)
                           * (t + kappa) ** 2, cuts)
    return 1 / integral


def main():
    out = {"dps": OUT, "cases": [
        {"kappa": k, "alpha_c": mpmath.nstr(capacity(mpmath.mpf(k)), OUT, min_fixed=-mpmath.inf,
                                            max_fixed=mpmath.inf)} for k in KAPPAS]}
    path = pathlib.Path(__file__).with_suffix(".json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
