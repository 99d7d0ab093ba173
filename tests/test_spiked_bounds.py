"""Bounds of the spiked-RF risk (issue 10 item 5): theory/numeric/spiked_bounds.py.

Reference numbers: tests/reference/spiked_bounds_mp.json, made by spiked_bounds_mp.py (nested
mpmath.quad at 30 digits, no import of theory); closed forms derived in the module docstring
(r = 0, linear target) and Hermite identities (E He_k^2 = k!, E[z He_k] = delta_k1).
"""

import json
import math
import pathlib

import mpmath
import numpy as np
import pytest

from theory.errors import InputError
from theory.numeric.spiked_bounds import kernel_line, projection_residual, spiked_bounds

_REF_PATH = pathlib.Path(__file__).parent / "reference" / "spiked_bounds_mp.json"
REF = json.loads(_REF_PATH.read_text()) if _REF_PATH.exists() else None
needs_ref = pytest.mark.skipif(REF is None, reason="run tests/reference/spiked_bounds_mp.py")
FIG3 = {"r": 0.9, "c": 1.0, "gamma": 1.0}


@needs_ref
def test_reference_script_checks_itself():
    assert abs(float(REF["check_E_g2"])) < 1e-30
    assert abs(float(REF["check_E_zg"])) < 1e-30


@needs_ref
def test_figure3_float64_against_mpmath_reference():
    b = spiked_bounds("tanh", "sin", **FIG3)
    assert b.resolved
    for got, key, err in ((b.upper, "upper", b.error_upper), (b.lower, "lower", b.error_lower)):
        ref = float(mpmath.mpf(REF[key]))
        assert abs(got - ref) <= max(err, 1e-15), (key, got, ref, err)
        assert abs(got - ref) < 1e-13
        assert err < 1e-10
    assert abs(b.nu_upper - float(mpmath.mpf(REF["nu_upper"]))) < 1e-11
    for got, ref in zip(b.nu_lower, REF["nu_lower"]):
        assert abs(got - float(mpmath.mpf(ref))) < 1e-10
    for k in ("A00", "A01", "A11", "b0", "b1"):
        assert abs(b.gram[k] - float(mpmath.mpf(REF["gram"][k]))) < 1e-13
    assert abs(b.kernel_line - float(mpmath.mpf(REF["kernel_line"]))) < 1e-15
    # the figure's ordering: lower < upper < kernel line < E g^2
    assert b.lower < b.upper < b.kernel_line < b.E_g2


@pytest.mark.slow
@needs_ref
def test_figure3_mpmath_path_30_digits():
    b = spiked_bounds("tanh", "sin", **FIG3, dps=30)
    with mpmath.workdps(30):
        for key in ("upper", "lower"):
            ref = mpmath.mpf(REF[key])
            assert abs(getattr(b, key) - ref) < mpmath.mpf(10) ** -29 * max(1, abs(ref))
        for key, ref in REF["gram"].items():
            assert abs(b.gram[key] - mpmath.mpf(ref)) < mpmath.mpf(10) ** -29


@pytest.mark.parametrize("act,tgt", [("tanh", "sin"), ("relu", "sign"), ("erf", "tanh")])
def test_lower_le_upper_le_Eg2_on_a_grid(act, tgt):
    for r in (0.0, 0.5, 0.9, 2.0, 5.0):
        for c in (0.5, 1.0, 2.0):
            b = spiked_bounds(act, tgt, r=r, c=c)
            slack = b.error_upper + b.error_lower + 1e-14
            assert -slack <= b.lower <= b.upper + slack, (act, tgt, r, c)
            assert b.upper <= b.E_g2 + b.error_upper + 1e-14, (act, tgt, r, c)


def test_zero_spike_odd_activation():
    # r = 0, sigma odd: mu0 == 0, kappa mu1 = mu1(0) kappa -> U = E g^2, L = E g^2 - E[z g]^2
    b = spiked_bounds("tanh", "sin", r=0.0, c=1.3)
    e2 = (1 - math.exp(-2)) / 2
    assert abs(b.upper - e2) < 1e-14
    assert abs(b.lower - (e2 - math.exp(-1))) < 1e-14
    assert b.nu_upper == 0.0


def test_zero_spike_non_odd_activation():
    # r = 0, relu: mu0(0) = sqrt(c / 2pi) != 0 -> U = E g^2 - (E g)^2, L = U - E[z g]^2
    b = spiked_bounds("relu", "relu", r=0.0, c=0.7)
    e2, m, zg = 0.5, 1 / math.sqrt(2 * math.pi), 0.5
    assert abs(b.upper - (e2 - m * m)) < 1e-13
    assert abs(b.lower - (e2 - m * m - zg * zg)) < 1e-13
    b = spiked_bounds("relu", "sign", r=0.0)
    assert abs(b.upper - 1.0) < 1e-13 and abs(b.lower - (1 - 2 / math.pi)) < 1e-13


def test_linear_target_partial_overlap():
    # y = gamma kappa + sqrt(1 - gamma^2) z: at r = 0 the span holds kappa -> L = 1 - gamma^2
    # span{kappa}: L_kappa = 1 - gamma^2; the psi channel mu1 z (mu1 constant at r = 0) adds z,
    # so the lower bound of the risk is 0 (random features can fit a linear target)
    b = spiked_bounds("tanh", "x", r=0.0, gamma=0.6)
    assert abs(b.lower_kappa - 0.64) < 1e-13 and abs(b.upper - 1.0) < 1e-13
    assert abs(b.lower) < 1e-13


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_kernel_line_and_residual_of_He_k(k):
    val, bound = kernel_line(f"hermite:{k}")
    assert abs(val - (math.factorial(k) - (k == 1))) < 1e-12 and bound < 1e-12
    for j in range(0, 6):
        want = math.factorial(k) if j < k else 0.0
        assert abs(projection_residual(f"hermite:{k}", j) - want) < 1e-11


def test_kernel_line_closed_forms():
    assert abs(kernel_line("sin")[0] - ((1 - math.exp(-2)) / 2 - math.exp(-1))) < 1e-15
    assert abs(kernel_line("sign")[0] - (1 - 2 / math.pi)) < 1e-15
    with mpmath.workdps(30):
        v, _ = kernel_line("sin", dps=30)
        assert abs(v - ((1 - mpmath.exp(-2)) / 2 - mpmath.exp(-1))) < mpmath.mpf(10) ** -29


def test_figure3_functions():
    b = spiked_bounds("tanh", "sin", **FIG3)
    z, w = np.polynomial.hermite_e.hermegauss(120)
    w = w / math.sqrt(2 * math.pi)
    f = b.functions(z)
    assert np.allclose(f["target"], np.sin(z))
    assert abs(np.sum(w * (f["target"] - f["upper"]) ** 2) - b.upper) < 1e-9
    assert abs(np.sum(w * (f["target"] - f["lower"]) ** 2) - b.lower) < 1e-9


def test_ill_conditioned_small_spike_is_flagged():
    b = spiked_bounds("tanh", "sin", r=1e-3)
    assert not b.resolved and b.error_lower > 1e-10


@pytest.mark.parametrize("kw", [{"r": -0.1}, {"r": 1.0, "c": 0.0}, {"r": 1.0, "gamma": 1.5},
                                {"r": 1.0, "gamma": 0.0}])
def test_bad_input(kw):
    with pytest.raises(InputError):
        spiked_bounds("tanh", "sin", **kw)
