"""Marchenko--Pastur resolvent moments without cancellation (the rf_convex prior equations at
small penalty and gamma > 1), against mpmath quadrature of the density at 50 digits
(tests/reference/mp_resolvent_moments.py -> .json, independent of theory)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp

from theory.numeric.bridge import mpmath_function, numpy_function
from theory.symbolic.spectra import mp_resolvent_moments

REF = json.loads((Path(__file__).parent / "reference" / "mp_resolvent_moments.json").read_text())
z, g = sp.symbols("z gamma", positive=True)
M = mp_resolvent_moments(z, g)
NAMES = sorted(M)


@pytest.mark.parametrize("name", NAMES)
def test_float64_relative_accuracy_over_the_grid(name):
    """Relative error <= 4e-15 for z from 1e-12 to 1e12 and gamma around 1 and far from it,
    where the textbook forms (1 - 2zg + z^2 g', ...) lose up to all digits."""
    f = numpy_function(M[name], (z, g))
    zz = np.array([float(r["z"]) for r in REF])
    gg = np.array([float(r["gamma"]) for r in REF])
    with warnings.catch_warnings():  # np.select evaluates the branch not taken too
        warnings.simplefilter("ignore", RuntimeWarning)
        got = f(zz, gg)
    ref = np.array([float(r[name]) for r in REF])
    rel = np.abs(got - ref) / np.abs(ref)
    assert rel.max() <= 4e-15, (name, REF[int(rel.argmax())], rel.max())


def test_textbook_forms_do_cancel():
    """The guard: the naive forms really are wrong on this grid (the test above means something)."""
    r = next(r for r in REF if r["gamma"] == "0.5" and r["z"] == "1e9")
    zz, gg = 1e9, 0.5
    b = 1 - gg + zz
    s = np.sqrt(b * b + 4 * gg * zz)
    G = 2 / (b + s)
    Gp = G * (1 + gg * G) / s
    naive_A = 1 - 2 * zz * G + zz**2 * Gp
    assert abs(naive_A - float(r["A"])) / float(r["A"]) > 1e-3


@pytest.mark.parametrize("name", NAMES)
def test_mpmath_twin_at_40_digits(name):
    f = mpmath_function(M[name], (z, g))
    with mpmath.workdps(45):
        worst = max(abs(f(mpmath.mpf(r["z"]), mpmath.mpf(r["gamma"])) - mpmath.mpf(r[name]))
                    / abs(mpmath.mpf(r[name])) for r in REF)
    assert worst < mpmath.mpf(10) ** -33
