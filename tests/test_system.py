"""Saddle-point systems and solvers on problems whose answers are known in closed form."""

import math
from dataclasses import dataclass

import mpmath
import numpy as np
import pytest
import sympy as sp

from theory.errors import InputError
from theory.models.base import Model, param, solve, validate
from theory.numeric.solvers import solve_fixed_point
from theory.numeric.system import compile_system
from theory.symbolic.expectation import E, gaussians
from theory.symbolic.system import Constraint, SaddlePointSystem

m, beta = sp.symbols("m beta", real=True)
q, a = sp.symbols("q a", real=True)


def curie_weiss():
    """m = E_z tanh(beta m + sqrt(a) z): two symmetric fixed points for beta > 1 at a -> 0."""
    z = gaussians("z")
    return SaddlePointSystem(name="cw", state=(m,), parameters=(beta, a),
                             updates={m: E(sp.tanh(beta * m + sp.sqrt(a) * z[0]), over=z)},
                             observables={"m": m, "energy": -m**2 / 2})


def test_map_numpy_vs_mpmath_vs_quad():
    cs = compile_system(curie_weiss())
    x, pv = np.array([0.3]), [1.7, 0.4]
    f = cs.map(x, pv, 3)[0]
    with mpmath.workdps(30):
        ref = mpmath.quad(lambda z: mpmath.tanh(mpmath.mpf("1.7") * mpmath.mpf("0.3") + mpmath.sqrt(
            mpmath.mpf("0.4")) * z) * mpmath.npdf(z), [-mpmath.inf, 0, mpmath.inf])
        g = cs.map_mp([mpmath.mpf("0.3")], [mpmath.mpf("1.7"), mpmath.mpf("0.4")], 30)[0]
    assert abs(f - float(ref)) < 1e-14
    assert abs(g - ref) < mpmath.mpf(10) ** -25


def test_latex_reads_like_the_paper():
    tex = curie_weiss().latex()
    assert r"\begin{aligned}" in tex and r"\tanh" in tex and r"\mathbb{E}" in tex


@dataclass(frozen=True, kw_only=True)
class CWParams:
    beta: float = param(2.0, "inverse temperature")
    a: float = param(1e-3, "field variance")

    def __post_init__(self):
        validate(self)


class CW(Model):
    name = "cw_test"
    Params = CWParams

    def system(self, p):
        return curie_weiss()

    def values(self, p):
        return {"beta": p.beta, "a": p.a}

    def starts(self, p):
        return [{"m": 0.5}, {"m": -0.5}]

    def free_energy(self, p, state, obs):
        return -state["m"] ** 2 / 2


def test_two_fixed_points_are_both_reported():
    r = solve(CW(), beta=2.0, a=1e-6)
    assert r.converged
    assert len(r.alternatives) == 1 and "2 distinct fixed points" in r.message
    m1, m2 = r.state["m"], r.alternatives[0]["state"]["m"]
    # m = tanh(2 m) at a -> 0: +-0.957504... (independent: mpmath findroot)
    root = float(mpmath.findroot(lambda t: t - mpmath.tanh(2 * t), 0.9))
    assert sorted([m1, m2]) == pytest.approx([-root, root], abs=1e-5)
    assert "free_energy" in r.alternatives[0]


def test_unphysical_newton_root_is_flagged():
    # x = (x^2 + x - 2)/... : F(x) = x^2 - 2 + ... ; roots of F(x) = x: x^2 - 2x - 3 = 0 -> 3, -1
    def F(x):
        return (x**2 - 3) / 2

    def admissible(x):
        return [("x > 0", float(x[0]))] if x[0] <= 0 else []

    fp = solve_fixed_point(F, [-0.5], method="newton", admissible=admissible)
    assert abs(fp.x[0] + 1) < 1e-10 and not fp.converged
    assert "unphysical" in fp.message
    fp = solve_fixed_point(F, [2.5], method="newton", admissible=admissible)
    assert fp.converged and abs(fp.x[0] - 3) < 1e-10


@pytest.mark.parametrize("method", ["anderson", "damped", "newton", "auto"])
def test_methods_agree_on_a_contraction(method):
    def F(x):
        return np.array([math.cos(x[0]), 0.5 * math.sin(x[1]) + 0.3])

    fp = solve_fixed_point(F, [0.0, 0.0], method=method, damping=0.2, tol=1e-13)
    assert fp.converged
    dottie = float(mpmath.findroot(lambda t: t - mpmath.cos(t), 0.7))
    y = float(mpmath.findroot(lambda t: t - mpmath.sin(t) / 2 - mpmath.mpf("0.3"), 0.5))
    assert fp.x == pytest.approx([dottie, y], abs=1e-12)


def test_system_checks_its_symbols():
    with pytest.raises(InputError, match="unknown symbols"):
        SaddlePointSystem(name="bad", state=(q,), parameters=(beta,), updates={q: beta * m})
    with pytest.raises(InputError, match="one update per order parameter"):
        SaddlePointSystem(name="bad", state=(q, m), parameters=(beta,), updates={q: beta})


def test_constraint_latex():
    assert Constraint(q, "q > 0").latex() == "q > 0"
