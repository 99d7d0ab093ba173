"""The vectorised curve paths (issue 9, speed): a system whose map broadcasts is solved over the
whole grid in one batched iteration, with the same checks, error bounds and flags as point by
point; rf_ridge validates the grid once. Reference values: the closed form of Mei & Montanari
(arXiv:1908.05355v5, Theorem 1; an independent formula, see tests/test_conventions.py) and
mpmath.findroot at 30 digits."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from theory import SaddlePointSystem, curve
from theory.errors import InputError
from theory.models import base
from theory.numeric import solvers

KW = dict(loss="square", teacher="linear", activation="erf", gamma=0.5, lam=0.05, rho=1.0)
ALPHAS = [0.3, 0.8, 1.4, 2.0, 2.9]


def _closed_form(alpha):
    psi1 = 1 / KW["gamma"]
    psi2 = alpha * psi1  # lam of rf_convex = psi2 lam of rf_ridge (RF_CORRESPONDENCE)
    c = curve("rf_ridge", "psi2", [psi2], psi1=psi1, lam=KW["lam"] / psi2, activation="erf")
    return c.points[0].observables["test_error"], c.points[0].observable_errors["test_error"]


def test_batched_curve_matches_closed_form_with_bounds():
    c = curve("rf_convex", "alpha", ALPHAS, **KW)
    assert all(c.converged)
    assert c.points[0].method == "anderson"  # the first point: the sequential solve
    assert all(p.method == "anderson-batched" for p in c.points[1:])
    for a, p in zip(ALPHAS, c.points):
        ref, ref_err = _closed_form(a)
        err = p.observable_errors["test_error"]
        assert 0 < err < 1e-9
        assert abs(p.observables["test_error"] - ref) <= 10 * (err + ref_err) + 1e-13
        assert set(p.state_errors) == {"V_s", "q_s", "m_s", "V_w", "q_w"}
        assert p.failure is None and p.residual <= 1e-10


def test_failed_columns_fall_back_to_the_sequential_path(monkeypatch):
    real = solvers.solve_batched

    def half(*a, **k):
        out = real(*a, **k)
        out.converged[::2] = False
        return out

    monkeypatch.setattr(solvers, "solve_batched", half)
    c = curve("rf_convex", "alpha", ALPHAS, **KW)
    assert all(c.converged)
    methods = [p.method for p in c.points[1:]]
    assert methods == ["anderson", "anderson-batched", "anderson", "anderson-batched"]
    for a, p in zip(ALPHAS, c.points):
        ref, ref_err = _closed_form(a)
        assert abs(p.observables["test_error"] - ref) <= 1e-9


def test_bare_system_batched_against_findroot():
    m, beta = sp.symbols("m beta", positive=True)
    system = SaddlePointSystem(state=[m], parameters=[beta], updates={m: sp.tanh(beta * m)})
    betas = [1.2, 1.5, 2.0, 3.0]
    c = curve(system, "beta", betas, init={"m": 1.0})
    assert all(c.converged)
    with mpmath.workdps(30):
        for b, p in zip(betas, c.points):
            ref = mpmath.findroot(lambda x, b=b: x - mpmath.tanh(b * x), 1)
            assert abs(p.state["m"] - float(ref)) <= 1e-10
            assert p.state_errors["m"] < 1e-9


def test_rf_ridge_grid_validated_once_names_the_bad_value():
    with pytest.raises(InputError) as exc:
        curve("rf_ridge", "lam", [1e-3, -1.0, 1e-2], psi1=2.0, psi2=1.5)
    assert exc.value.param == "lam" and exc.value.value == -1.0
    with pytest.raises(InputError):
        curve("rf_ridge", "psi1", [1.0, 0.0], psi2=1.5, lam=1e-3)
    assert base.validate_varied(base.get_model("rf_ridge"), "psi1",
                                np.array([0.5, 2.0])).tolist() == [0.5, 2.0]


def test_rf_ridge_curve_points_carry_bounds_and_params():
    g = np.linspace(0.1, 4, 40)
    c = curve("rf_ridge", "psi1", g, psi2=1.5, lam=1e-3)
    assert all(c.converged)
    for v, p in zip(g, c.points):
        assert p.params["psi1"] == v and p.params["psi2"] == 1.5
        assert p.params["activation"] == "relu"
        te = p.observables["test_error"]
        assert math.isfinite(te) and 0 < p.observable_errors["test_error"] <= 1e-10 * abs(te)


def test_batched_failed_point_flagged_or_raised_as_sequential():
    # x = x^2 + c has the attracting fixed point (1 - sqrt(1 - 4c))/2 for 0 < c < 1/4 and no
    # real fixed point for c > 1/4
    x, c = sp.symbols("x c", real=True)
    system = SaddlePointSystem(state=[x], parameters=[c], updates={x: x**2 + c})
    cs = [0.1, 0.2, 0.5, 0.15]
    out = curve(system, "c", cs, init={"x": 0.1}, strict=False, max_iter=200,
                solver_progress=False)
    assert out.converged.tolist() == [True, True, False, True]
    assert out.points[2].failure is not None and math.isnan(out.points[2].state["x"])
    for v, p in zip(cs, out.points):
        if v < 0.25:
            assert abs(p.state["x"] - (1 - math.sqrt(1 - 4 * v)) / 2) <= 1e-10
    assert out.points[3].method == "anderson-batched"
    from theory.errors import ConvergenceError

    with pytest.raises(ConvergenceError) as exc:
        curve(system, "c", cs, init={"x": 0.1}, max_iter=200, solver_progress=False)
    assert "c=0.5" in str(exc.value) and len(exc.value.curve.points) == 2
