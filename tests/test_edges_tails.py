"""Issue 8, kind 2: tails and large arguments.

* the stable Gaussian atoms (theory.symbolic.atoms) in float64 against mpmath at 40 digits over
  wide grids (hypothesis), their derivatives, LaTeX, and the rewrite pass;
* conditional coefficients mu0, mu1, mu_star against the independent 50-digit reference
  tests/reference/conditional_tails_mp.json (script conditional_tails_mp.py next to it, which
  does not import theory) over kappa in [-40, 40] and c in [1e-6, 1e4] for every registry
  activation: relative error <= 1e-12, or the entry flagged as unresolved;
* the instances of the issue (relu mu1 at kappa = -9, erf at c = 256, log(1 + exp(100 x))).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.numeric.bridge import mpmath_function, numpy_function
from theory.numeric.conditional import conditional_coefficients
from theory.symbolic import atoms as A
from theory.symbolic.activations import REGISTRY, get_activation
from theory.symbolic.parse import parse_expression

REF = Path(__file__).parent / "reference" / "conditional_tails_mp.json"
REL = 1e-12
#: reference entries whose mpmath.quad error estimate (relative) exceeds this are not used
REF_QUAD_OK = 1e-20
x = sp.Symbol("x", real=True)

# ---------------------------------------------------------------------------------------------
# atoms: float64 vs mpmath (40 digits), relative


def _at(dps, f):
    with mpmath.workdps(dps):
        return +f()


def _mp_ref(name, u):
    u = mpmath.mpf(u)
    with mpmath.workdps(60):
        return {
            "Phi": lambda: mpmath.ncdf(u),
            "H": lambda: mpmath.ncdf(-u),
            "logPhi": lambda: (mpmath.log(mpmath.ncdf(u)) if u < 0  # no 1 - tiny at 60 digits
                               else mpmath.log1p(-mpmath.ncdf(-u))),
            "phi": lambda: mpmath.npdf(u),
            "Mills": lambda: mpmath.ncdf(-u) / mpmath.npdf(u),
            "softplus": lambda: mpmath.log1p(mpmath.exp(u)),
            "sigmoid": lambda: 1 / (1 + mpmath.exp(-u)),
            # E(xi - u)_+^n by its textbook closed form at 300 digits (cancellation is harmless)
            "Ramp1": lambda: _at(300, lambda: mpmath.npdf(u) - u * mpmath.ncdf(-u)),
            "Ramp2": lambda: _at(300, lambda: (1 + u * u) * mpmath.ncdf(-u) - u * mpmath.npdf(u)),
            "esinhmx": lambda: _at(200, lambda: mpmath.exp(-u) * (mpmath.sinh(u) - u)),
            "expm1mx": lambda: _at(200, lambda: mpmath.exp(u) - 1 - u),
        }[name]()


def _check_atom(name, values, tol):
    f = A.ATOMS[name]._numpy_impl
    got = np.asarray(f(np.asarray(values, dtype=float)), dtype=float)
    for u, g in zip(values, got):
        ref = _mp_ref(name, u)
        if abs(ref) < 1e-300:  # below the float64 range: must not be a wrong large number
            assert abs(g) < 1e-290, (name, u, g)
            continue
        if abs(ref) > 1e300:
            continue
        assert abs(g - float(ref)) <= tol * abs(float(ref)), (name, u, g, ref)


WIDE = st.floats(-1e4, 1e4, allow_nan=False)
MID = st.floats(-40, 40, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(MID, min_size=1, max_size=8))
def test_atoms_gaussian_relative_1e14(us):
    for name in ("Phi", "H", "phi", "Mills"):
        _check_atom(name, us, 1e-14)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e4, 38, allow_nan=False), min_size=1, max_size=8))
def test_log_phi_down_to_minus_1e4(us):
    _check_atom("logPhi", us + [-1e4, -1e3, -40.0, 0.0, 5.0], 1e-14)


@settings(max_examples=40, deadline=None)
@given(st.lists(WIDE, min_size=1, max_size=8))
def test_softplus_sigmoid_to_1e4(us):
    us = us + [-1e4, -745.0, -40.0, -1e-8, 0.0, 1e-8, 40.0, 709.0, 1e4]
    _check_atom("softplus", us, 1e-14)
    _check_atom("sigmoid", us, 1e-14)


@settings(max_examples=10, deadline=None)
@given(st.lists(st.floats(-30, 40, allow_nan=False), min_size=1, max_size=4))
def test_ramp_moments_no_cancellation(us):
    # (1 + u^2) H(u) - u phi(u) written directly loses ~u^4 eps: the atoms keep 1e-13
    _check_atom("Ramp1", us + [2.99, 3.0, 10.0, 37.0], 1e-13)
    _check_atom("Ramp2", us + [2.99, 3.0, 10.0, 37.0], 1e-13)


def test_small_argument_differences():
    us = [1e-8, -1e-5, 1e-3, 0.3, -0.99, 1.0, 3.0, -5.0]
    _check_atom("esinhmx", us + [30.0, 800.0], 1e-14)
    _check_atom("expm1mx", us, 1e-14)


def test_ramp_star_against_defining_difference():
    f = A.ATOMS["RampStar"]._numpy_impl
    for u in [0.0, 0.5, -1.0, 2.9, 3.0, 8.0, -20.0, 38.0, 45.0]:
        with mpmath.workdps(400):
            v = mpmath.mpf(abs(u))
            h, p = mpmath.ncdf(-v), mpmath.npdf(v)
            t1, t2 = p - v * h, (1 + v * v) * h - v * p
            ref = mpmath.sqrt(t2 - t1**2 - h**2)
        assert abs(f(u) - float(ref)) <= 1e-13 * float(ref), (u, f(u), ref)


def test_atoms_mpmath_impl_and_evalf():
    with mpmath.workdps(50):
        assert abs(A.Phi._mpmath_impl(mpmath.mpf(-9)) - mpmath.ncdf(-9)) < mpmath.mpf(10) ** -65
    assert abs(float(A.Phi(-9).evalf(30)) - 1.1285884059538406e-19) < 1e-33
    assert A.Phi(0) == sp.Rational(1, 2) and A.H(0) == sp.Rational(1, 2)


@pytest.mark.parametrize("name", ["Phi", "H", "logPhi", "phi", "Mills", "softplus", "sigmoid",
                                  "Ramp1", "Ramp2", "esinhmx", "expm1mx"])
def test_atom_derivatives_match_erf_forms(name):
    f = A.ATOMS[name](2 * x - 1)
    d_atom = sp.diff(f, x)
    d_erf = sp.diff(A.rewrite_erf(f), x)
    for v in (sp.Rational(-13, 10), sp.Rational(1, 5), sp.Rational(5, 2)):
        a = sp.N(d_atom.subs(x, v), 30)
        b = sp.N(d_erf.subs(x, v), 30)
        assert abs(sp.N(a - b, 30)) <= 1e-25 * max(1.0, abs(b)), (name, v, a, b)


def test_latex_prints_like_a_paper():
    assert sp.latex(A.Phi(x)) == r"\Phi\left(x\right)"
    assert sp.latex(A.phi(x)) == r"\varphi\left(x\right)"
    assert sp.latex(A.H(x)) == r"H\left(x\right)"
    assert sp.latex(A.logPhi(x)) == r"\log\Phi\left(x\right)"
    assert r"\operatorname{softplus}" in sp.latex(A.softplus(x))


# ---------------------------------------------------------------------------------------------
# rewrite pass


@pytest.mark.parametrize("text, want", [
    ("log(1+exp(100*x))", A.softplus(100 * x)),
    ("(1 + erf(x/sqrt(2)))/2", A.Phi(x)),
    ("1/(1+exp(-x))", A.sigmoid(x)),
    ("x/(1+exp(-x))", x * A.sigmoid(x)),
    ("exp(x)/(1+exp(x))", A.sigmoid(x)),
    ("erfc(-x)", 2 * A.H(-sp.sqrt(2) * x)),
    ("1 - erf(x)", 2 * A.H(sp.sqrt(2) * x)),
    ("log(Phi(x))", A.logPhi(x)),
])
def test_parser_rewrites_unstable_forms(text, want):
    assert parse_expression(text) == want


@settings(max_examples=40, deadline=None)
@given(st.floats(-700, 700, allow_nan=False))
def test_bridge_stabilizes_user_forms(u):
    """The bridge compiles the *typed* unstable forms to their stable atoms (relative 1e-14)."""
    cases = [
        (sp.log(1 + sp.exp(x)), lambda v: mpmath.log1p(mpmath.exp(v))),
        ((1 + sp.erf(x / sp.sqrt(2))) / 2, lambda v: mpmath.ncdf(v)),
        (1 / (1 + sp.exp(-x)), lambda v: 1 / (1 + mpmath.exp(-v))),
    ]
    for expr, ref in cases:
        g = float(numpy_function(expr, (x,))(u))
        with mpmath.workdps(40):
            r = ref(mpmath.mpf(u))
        if abs(r) < 1e-300:
            assert abs(g) < 1e-290
        else:
            assert abs(g - float(r)) <= 1e-14 * abs(float(r)), (expr, u, g, r)
        m = mpmath_function(expr, (x,))
        with mpmath.workdps(30):
            assert abs(m(mpmath.mpf(u)) - r) <= mpmath.mpf(10) ** -25 * abs(r)


def test_phi_below_minus_8_is_not_zero():
    """Phi(-9) written (1 + erf)/2 used to be 0 (issue 8, kind 2)."""
    f = numpy_function(parse_expression("(1+erf(x/sqrt(2)))/2"), (x,))
    assert abs(f(-9.0) / 1.1285884059538406e-19 - 1) < 1e-14
    assert abs(f(-37.0) / float(mpmath.ncdf(-37)) - 1) < 1e-14


def test_steep_softplus_evaluates_finitely():
    """log(1+exp(100 x)) is finite and right to 1e-14 relative over [-20, 20] (was inf/0)."""
    f = numpy_function(get_activation("log(1+exp(100*x))").expr, (x,))
    for v in np.linspace(-20, 20, 81):
        with mpmath.workdps(40):
            r = mpmath.log1p(mpmath.exp(100 * mpmath.mpf(v)))
        if r > 1e-300:
            assert abs(f(v) - float(r)) <= 1e-14 * float(r), v


def test_steep_softplus_hermite_instance():
    """theory hermite 'log(1+exp(100*x))' --kmax 2: mu1 = 50, mu2 = 39.887667968355803011.

    The evaluation is finite and accurate, and the width-0.01 feature is resolved by the Hermite
    quadrature (steep-scale detection, kind 3): a refusal here is a failure, not an xfail."""
    from theory.numeric.hermite import hermite_expansion

    h = hermite_expansion("log(1+exp(100*x))", kmax=2)
    assert h.resolved[1] and h.resolved[2] and max(h.bound[1:3]) < 1e-10
    assert abs(h.mu[1] - 50) < 1e-12 * 50
    assert abs(h.mu[2] - 39.887667968355803011) < 1e-12 * 40


# ---------------------------------------------------------------------------------------------
# conditional coefficients: the instances


def test_relu_mu1_deep_tail_is_phi_kappa():
    r = conditional_coefficients("relu", [-9.0, -20.0, -37.0], 1.0)
    for k, m1, ms in zip(r.kappa, r.mu1, r.mu_star):
        with mpmath.workdps(50):
            ref1 = mpmath.ncdf(k)
            h, p = mpmath.ncdf(k), mpmath.npdf(k)
            e2 = (k * k + 1) * h + k * p
            m0 = k * h + p
            refs = mpmath.sqrt(e2 - m0**2 - ref1**2)
        assert abs(m1 / float(ref1) - 1) < REL
        assert abs(ms / float(refs) - 1) < REL
    assert abs(r.mu1[0] / 1.1285884059538406e-19 - 1) < 1e-14
    ratio = r.mu1[0] / r.mu_star[0]
    assert 2.2e-9 < ratio < 2.21e-9
    assert not any(r.unresolved["mu1"]) and not any(r.unresolved["mu_star"])


def test_erf_conditional_large_c():
    """theory conditional erf --kappa 0 --c 256 converges: mu1 = 2/sqrt(pi(1+2c)), mu_star."""
    r = conditional_coefficients("erf", [0.0], 256.0)
    assert abs(r.mu1[0] - 0.04981915726187034) < REL * 0.0499
    assert abs(r.mu_star[0] - 0.5699691267934747) < REL * 0.57
    assert r.resolved and r.to_dict()["unresolved"]["mu_star"] == [False]


@settings(max_examples=15, deadline=None)
@given(st.floats(-40, 40), st.floats(-6, 4))
def test_closed_form_activations_sampled(kappa, logc):
    """relu, abs, leaky relu, sign, sin, cos at random (kappa, c): 1e-12 relative or flagged
    (against the textbook closed forms at 100+ digits, mu_star by the defining difference)."""
    c = 10.0**logc
    for name in ("relu", "abs", "leaky_relu", "sign", "sin", "cos"):
        r = conditional_coefficients(name, [kappa], c)
        with mpmath.workdps(60):
            m0, m1, ms = _closed_mp(name, mpmath.mpf(kappa), mpmath.mpf(c))
        for key, got, ref in (("mu0", r.mu0[0], m0), ("mu1", r.mu1[0], m1),
                              ("mu_star", r.mu_star[0], ms)):
            flagged = bool(r.unresolved[key][0])
            if ref is None or abs(ref) < 1e-300:
                assert flagged or abs(got) < 1e-290 or kappa == 0
                continue
            assert flagged or abs(got - float(ref)) <= REL * abs(float(ref)), (
                name, kappa, c, key, got, ref)
            assert not flagged, (name, kappa, c, key, "representable value flagged")


def _forms_mp(name, k, c):
    s = mpmath.sqrt(c)
    t = k / s
    P, p = mpmath.ncdf(t), mpmath.npdf(t)
    r0, r1, r2 = k * P + s * p, P, (k * k + c) * P + k * s * p
    a = mpmath.mpf(1) / 100
    e = mpmath.exp(-c / 2)
    if name == "relu":
        return r0, r1, r2
    if name == "leaky_relu":
        return a * k + (1 - a) * r0, a + (1 - a) * r1, a * a * (k * k + c) + (1 - a * a) * r2
    if name == "abs":
        return 2 * r0 - k, 2 * r1 - 1, k * k + c
    if name == "sign":
        return mpmath.erf(t / mpmath.sqrt(2)), 2 * p / s, mpmath.mpf(1)
    if name == "sin":
        return mpmath.sin(k) * e, mpmath.cos(k) * e, (1 - mpmath.cos(2 * k) * mpmath.exp(-2 * c)) / 2
    return mpmath.cos(k) * e, -mpmath.sin(k) * e, (1 + mpmath.cos(2 * k) * mpmath.exp(-2 * c)) / 2


def _closed_mp(name, k, c):
    """Textbook closed forms; mu_star^2 as E sigma^2 - mu0^2 - c mu1^2 at rising precision."""
    prev = None
    base = 60 + (int(-mpmath.log10(abs(k))) if k and abs(k) < 1 else 0)  # 2 Phi(t) - 1 cancels
    for extra in (0, 100, 300, 700, 1200, 1300):
        with mpmath.workdps(base + extra):
            m0, m1, e2 = _forms_mp(name, k, c)
            s2 = e2 - m0**2 - c * m1**2
            if prev is not None and s2 > 0 and abs(s2 - prev) < mpmath.mpf(10) ** -30 * s2:
                return m0, m1, mpmath.sqrt(s2)
            prev = s2
    return m0, m1, None


# ---------------------------------------------------------------------------------------------
# conditional coefficients: the full grid against the stored 50-digit reference


def _reference():
    if not REF.exists():
        pytest.skip("run tests/reference/conditional_tails_mp.py to create the reference")
    return json.loads(REF.read_text())


def _grid_results():
    data = _reference()
    groups: dict = {}
    for e in data["entries"]:
        groups.setdefault((e["activation"], e["c"]), []).append(e)
    return groups


@pytest.mark.parametrize("name", list(REGISTRY))
def test_registry_grid_against_reference(name):
    """|kappa| <= 40, c in [1e-6, 1e4]: relative error <= 1e-12 or flagged, for every entry."""
    groups = _grid_results()
    seen = 0
    flagged_representable, unref = [], []
    for (act, c), entries in groups.items():
        if act != name:
            continue
        ks = [float(e["kappa"]) for e in entries]
        r = conditional_coefficients(name, ks, float(c))
        d = r.to_dict()
        for i, e in enumerate(entries):
            if e["quad_error"] > REF_QUAD_OK and float(e["kappa"]) != 0:
                # mpmath.quad's own estimate says the reference is not resolved there (deep
                # tails at small c for erf, gelu: the integrand lives far out in xi)
                unref.append((e["kappa"], c))
                continue
            for key in ("mu0", "mu1", "mu_star"):
                got = getattr(r, key)[i]
                flag = d["unresolved"][key][i]
                ref = None if e[key] is None else mpmath.mpf(e[key])
                seen += 1
                # at kappa = 0 an odd activation's mu0 is exactly 0 (the quadrature reference
                # holds noise ~1e-58 there): the code returns the exact 0 of the symmetry
                zero = float(e["kappa"]) == 0 and ref is not None and abs(ref) < 1e-40
                if ref is None or abs(ref) < 1e-300 or zero:
                    assert flag or abs(got) < 1e-290 or zero, (name, e, key, got)
                    continue
                err = abs(got - float(ref)) / abs(float(ref))
                if flag:
                    flagged_representable.append((e["kappa"], c, key))
                    continue
                assert err <= REL, (name, e["kappa"], c, key, got, e[key], err)
    if seen == 0:
        pytest.skip(f"{name} not in the stored reference yet")
    # flags must stay rare: at most a few representable entries per activation
    print(name, "flagged representable entries:", flagged_representable,
          "| reference not resolved (skipped):", unref)
    assert len(unref) <= 16, unref
    assert len(flagged_representable) <= 12, flagged_representable


def test_flags_reach_json_and_text():
    r = conditional_coefficients("relu", [-40.0, 0.0], 1.0)
    d = r.to_dict()
    assert d["unresolved"]["mu1"] == [True, False]
    assert "underflow" in d["unresolved_reason"]["mu1"]
    assert "*" in str(r)
    assert math.isclose(r.mu_star[0], 6.7495568371862413e-177, rel_tol=1e-12)


def test_atoms_never_nan_out_to_infinity():
    """phi, Phi, H, Mills on |u| from 1 to 1e300 and at +-inf: no NaN (the exact-square split of
    u^2/2 gave 0 * inf = nan for |u| ~ 3e6 when exp of the low part overflowed), and Phi, H equal
    mpmath's ncdf at 30 digits to relative 1e-14 (or both below the smallest normal)."""
    import numpy as np

    from theory.numeric.bridge import numpy_function
    from theory.symbolic.atoms import H, Mills, Phi, phi

    u = sp.Symbol("u", real=True)
    mag = np.logspace(0, 300, 601)
    grid = np.concatenate([-mag, mag, [-np.inf, np.inf]])
    for F in (phi, Phi, H, Mills):
        assert not np.any(np.isnan(numpy_function(F(u), (u,))(grid))), F
    f = numpy_function(Phi(u), (u,))
    near = grid[np.abs(grid) <= 1e5]  # beyond, Phi is 0 or 1 in float64 (checked below)
    got = f(near)
    with mpmath.workdps(30):
        for x, g in zip(near, got):
            ref = mpmath.ncdf(mpmath.mpf(float(x)))
            if ref < 2.3e-308:
                assert g < 2.3e-308
            else:
                assert abs(g - ref) <= 1e-14 * ref, (x, g, ref)
    assert list(f(np.array([-np.inf, -1e300, -1e6, 1e6, 1e300, np.inf]))) == [0, 0, 0, 1, 1, 1]
