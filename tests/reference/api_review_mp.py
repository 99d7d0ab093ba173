"""References for tests/test_api_review.py at 40 digits, written directly in mpmath. Imports
nothing from ``theory``.

* ``relu``: the fixed point r = 2 c E[relu(z1) relu(z2)], (z1, z2) standard Gaussians with
  correlation r. The expectation is the degree-1 arc-cosine kernel (Cho & Saul, "Kernel methods
  for deep learning", NIPS 2009, eq. 6 with n = 1; the relu case of the NNGP kernel):
  E[relu z1 relu z2] = (sqrt(1 - r^2) + r (pi - acos r)) / (2 pi). Solved by
  ``mpmath.findroot`` (Anderson, bracket (0.5, 1 - 1e-12)) for each c; c < 1 has a unique root
  in (0, 1).
* ``tanh``: the Curie-Weiss fixed point m = tanh(beta m): for beta <= 1 the only root is m = 0
  (tanh(x) < x for x > 0); for beta > 1 the positive root by ``mpmath.findroot`` from the
  expansion sqrt(3 (beta - 1) / beta^3).

Run: ``python tests/reference/api_review_mp.py`` (writes api_review_mp.json next to it).
"""

import json
import os

import mpmath

C_VALUES = ["0.5", "0.9", "0.99", "0.999", "0.9999", "0.99999"]
BETAS = ["0.9", "0.99", "0.999", "1", "1.001", "1.01", "1.1", "2"]


def relu_root(c):
    c = mpmath.mpf(c)

    def g(x):
        return c / mpmath.pi * (mpmath.sqrt(1 - x ** 2) + x * (mpmath.pi - mpmath.acos(x))) - x

    return mpmath.findroot(g, (mpmath.mpf("0.5"), 1 - mpmath.mpf("1e-12")), solver="anderson")


def tanh_root(beta):
    b = mpmath.mpf(beta)
    if b <= 1:
        return mpmath.mpf(0)
    return mpmath.findroot(lambda x: mpmath.tanh(b * x) - x, mpmath.sqrt(3 * (b - 1) / b ** 3)
                           if b < mpmath.mpf("1.2") else mpmath.mpf(1))


def main():
    out = {"digits": 40, "reference": "arc-cosine kernel: Cho & Saul, NIPS 2009, eq. 6 (n=1); "
           "Curie-Weiss m = tanh(beta m)"}
    with mpmath.workdps(60):
        out["relu"] = {c: mpmath.nstr(relu_root(c), 40) for c in C_VALUES}
        out["tanh"] = {b: mpmath.nstr(tanh_root(b), 40) for b in BETAS}
    with mpmath.workdps(80):  # the same at 80 digits: must agree to 40
        for c in C_VALUES:
            assert abs(relu_root(c) - mpmath.mpf(out["relu"][c])) < mpmath.mpf(10) ** -39
        for b in BETAS:
            assert abs(tanh_root(b) - mpmath.mpf(out["tanh"][b])) < mpmath.mpf(10) ** -39
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "api_review_mp.json")
    with open(path, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
