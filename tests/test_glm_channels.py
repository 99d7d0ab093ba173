"""GLM output channels (theory.symbolic.atoms): Z_out, g_out, d g_out in float64 and mpmath
against tests/reference/glm_channels_mp.json (mpmath at 100 digits from the definition of Z_out,
derivatives by mpmath.diff; the script does not import theory), on |omega|/sqrt(V) up to 40 and
V down to 1e-8."""

from __future__ import annotations

import json
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp

from theory.numeric.bridge import mpmath_function, numpy_function
from theory.symbolic import atoms as A

REF = json.loads((Path(__file__).parent / "reference" / "glm_channels_mp.json").read_text())
y, w, V = sp.symbols("y omega V", real=True)


def _cases():
    keys = sorted({(v["channel"], v["Delta"], v["y"]) for v in REF["values"]})
    return keys


def _channel(name, delta):
    return A.CHANNELS[name](sp.Rational(delta) if delta != "0.0" else 0)


@pytest.mark.parametrize("name, delta, yv", _cases())
def test_channel_float64_tails(name, delta, yv):
    ch = _channel(name, delta)
    rows = [v for v in REF["values"] if (v["channel"], v["Delta"], v["y"]) == (name, delta, yv)]
    Vs = np.array([float(v["V"]) for v in rows])
    ws = np.array([float(v["omega_over_sqrtV"]) for v in rows]) * np.sqrt(Vs)
    yy = np.full(Vs.shape, float(yv))
    r = np.abs(ws) / np.sqrt(Vs)
    for key, fn, scale in (("logZ", ch.logZ, 1.0), ("g", ch.g, 1 / np.sqrt(Vs)),
                           ("dg", ch.dg, 1 / Vs)):
        f = numpy_function(fn(y, w, V), (y, w, V))
        got = np.broadcast_to(np.asarray(f(yy, ws, Vs), dtype=float), Vs.shape)
        ref = np.array([float(mpmath.mpf(v[key])) for v in rows])
        # relative accuracy 1e-13, or the conditioning of the quantity in its inputs: rounding
        # omega (|omega| <= 40 sqrt V) moves log Z, g, dg by ~eps (1 + r^2) times their natural
        # scales 1, 1/sqrt(V), 1/V (dg = Var(z|y)/V^2 - 1/V is a difference of two terms of
        # size 1/V: that cancellation belongs to dg, not to the formula)
        allowed = 1e-13 * np.abs(ref) + 64 * np.finfo(float).eps * (1 + r**2) * scale
        assert np.all(np.isfinite(got)), (key, got)
        bad = np.abs(got - ref) > allowed
        assert not bad.any(), (key, [(rows[i], got[i]) for i in np.flatnonzero(bad)][:3])


@pytest.mark.parametrize("name, delta, yv", _cases()[::3])
def test_channel_mpmath(name, delta, yv):
    ch = _channel(name, delta)
    rows = [v for v in REF["values"] if (v["channel"], v["Delta"], v["y"]) == (name, delta, yv)]
    with mpmath.workdps(40):
        for key, fn in (("logZ", ch.logZ), ("g", ch.g), ("dg", ch.dg)):
            f = mpmath_function(fn(y, w, V), (y, w, V))
            for v in rows[::3]:
                Vv = mpmath.mpf(v["V"])
                wv = mpmath.mpf(v["omega_over_sqrtV"]) * mpmath.sqrt(Vv)
                got = f(mpmath.mpf(v["y"]), wv, Vv)
                ref = mpmath.mpf(v[key])
                assert abs(got - ref) <= mpmath.mpf(10) ** -30 * max(1, abs(ref), 1 / Vv), \
                    (key, v, got)


def test_channels_print_like_a_paper():
    ch = A.sign_channel()
    assert sp.latex(ch.Z(y, w, V)) == r"\Phi\left(\frac{\omega y}{\sqrt{V}}\right)"
    assert r"\frac{\varphi" in sp.latex(ch.g(y, w, V))
    assert r"(\log\Phi)''" in sp.latex(ch.dg(y, w, V))
    # no erf, no exp: the SymPy forms stay in the stable atoms
    for c in (A.abs_channel(sp.Rational(1, 10)), A.relu_channel(sp.Rational(1, 10)), ch):
        for e in (c.logZ(y, w, V), c.g(y, w, V), c.dg(y, w, V)):
            assert not e.has(sp.erf, sp.erfc, sp.exp)


def test_inverse_mills_rewrite():
    u = sp.Symbol("u", real=True)
    assert A.stabilize(A.phi(u) ** 2 / A.Phi(u), quotients=True) == A.phi(u) * A.logPhi1(u)
    assert A.stabilize(A.phi(u) / A.H(u), quotients=True) == A.logPhi1(-u)
    assert A.stabilize(A.phi(u) ** 2 / A.Phi(u)) == A.phi(u) ** 2 / A.Phi(u)  # paper's form kept
    f = numpy_function(A.phi(u) ** 2 / A.Phi(u), (u,))
    with mpmath.workdps(30):
        ref = mpmath.npdf(-45) ** 2 / mpmath.ncdf(-45)
    assert abs(f(-45.0) - float(ref)) <= 1e-13 * float(ref)


def test_logphi2_atom_tails():
    u = np.array([-1e4, -300.0, -40.0, -3.5, -3.0, -1.0, 0.0, 2.0, 8.0, 30.0])
    got = A.logPhi2._numpy_impl(u)
    with mpmath.workdps(60):
        ref = [A.logPhi2._mpmath_impl(mpmath.mpf(x)) for x in u]
    for x, a, b in zip(u, got, ref):
        assert abs(a - float(b)) <= 1e-14 * abs(float(b)) + 1e-300, (x, a, b)
