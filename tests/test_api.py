"""The public API (issue 9, item 1): ``from theory import ...``, a keyword-only
``SaddlePointSystem``, ``solve``/``curve`` on a bare system, ``Model.from_system`` + ``register``
+ the CLI. The acceptance test is the Bayes-optimal teacher-student perceptron written with the
public API alone, checked against ``tests/reference/api_perceptron_mp.json`` (mpmath at 50
digits, ``tests/reference/api_perceptron_mp.py``, which does not import theory) and the value
0.486263637016116 of issue 9."""

from __future__ import annotations

import dataclasses
import doctest
import json
import subprocess
import sys

import mpmath
import numpy as np
import pytest
import sympy as sp
from conftest import REF

import theory
from theory import (E, InputError, Mills, Model, Phi, SaddlePointSystem, curve, gaussians, phi,
                    register, solve)
from theory.cli import main
from theory.models.base import MODELS

PUBLIC = {"gaussians", "E", "numeric_function", "SaddlePointSystem", "Constraint", "solve",
          "curve", "Model", "SolveResult", "Curve", "hermite_expansion", "hermite_coefficients",
          "conditional_coefficients", "get_activation", "register", "known_activations",
          "compile_expression", "get_model", "Phi", "H", "phi", "logPhi", "Mills", "softplus",
          "sigmoid", "InputError", "ConvergenceError"}


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "api_perceptron_mp.json").read_text())["q"]


def perceptron(Phi_of=Phi, name="perceptron"):
    """The Bayes-optimal perceptron with the public API (issue 9: <= 15 lines)."""
    q, qhat, alpha = sp.symbols("q qhat alpha", positive=True)
    xi = gaussians("xi")
    V = 1 - q
    u = sp.sqrt(q / V) * xi[0]
    return SaddlePointSystem(
        name=name, state=[q], parameters=[alpha],
        steps=[(qhat, 2 * alpha / V * E(phi(u) ** 2 / Phi_of(u), over=xi))],
        updates={q: qhat / (1 + qhat)}, observables={"q": q})


# ------------------------------------------------------------------ the public surface
def test_all_names_resolve_and_are_listed():
    assert PUBLIC <= set(theory.__all__)
    listed = set(dir(theory))
    for name in theory.__all__:
        assert getattr(theory, name) is not None, name
        assert name in listed, name
    with pytest.raises(AttributeError):
        theory.no_such_name  # noqa: B018


def test_import_is_fast_and_lazy():
    code = ("import sys, time; t = time.perf_counter(); import theory; "
            "print(time.perf_counter() - t, 'sympy' in sys.modules, "
            "'theory.numeric' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert float(out[0]) < 0.5
    assert out[1:] == ["False", "False"]


# ------------------------------------------------------------------ the acceptance test
def test_perceptron_float64(ref):
    res = solve(perceptron(), alpha=1, init={"q": 0.5})
    assert res.converged
    assert abs(res.state["q"] - 0.486263637016116) < 1e-12
    assert abs(res.state["q"] - float(ref["1"])) < 1e-12


@pytest.mark.parametrize("form", ["erf", "erfc", "mills"])
def test_perceptron_with_phi_written_by_hand(form, ref):
    """(1 + erf(x/sqrt2))/2 underflows to 0 below x = -8.3 and SymPy turns erfc(-x) into
    2 - erfc(x): the system rewrites both into the stable atom Phi. With the Mills ratio,
    phi(u)^2/Phi(u) = phi(u)/R(-u)."""
    by_hand = {"erf": lambda x: (1 + sp.erf(x / sp.sqrt(2))) / 2,
               "erfc": lambda x: sp.erfc(-x / sp.sqrt(2)) / 2,
               "mills": lambda x: phi(x) * Mills(-x)}[form]
    system = perceptron(by_hand)
    assert not system.steps[0][1].has(sp.erf, sp.erfc)
    assert system.steps[0][1].has(Mills if form == "mills" else Phi)
    res = solve(system, alpha=1, init={"q": 0.5})
    assert res.converged, res.message
    assert abs(res.state["q"] - float(ref["1"])) < 1e-12


def test_perceptron_mpmath_polish(ref):
    res = solve(perceptron(), alpha=1, init={"q": 0.5}, dps=40, progress=False)
    assert res.converged and res.dps == 40
    with mpmath.workdps(60):
        err = abs(res.state["q"] - mpmath.mpf(ref["1"]))
    assert err < mpmath.mpf(10) ** -30, err


def test_curve_on_a_bare_system(ref):
    c = curve(perceptron(), "alpha", [0.5, 1, 2], init={"q": 0.3})
    assert c.converged.all()
    want = [float(ref[a]) for a in ("0.5", "1", "2")]
    assert np.max(np.abs(c.column("q") - want)) < 1e-11


# ------------------------------------------------------------------ input checks
def test_missing_parameter_and_init_are_named():
    system = perceptron()
    with pytest.raises(InputError, match="alpha"):
        solve(system, init={"q": 0.5})
    with pytest.raises(InputError, match=r"init.*missing 'q'"):
        solve(system, alpha=1, init={"m": 0.5})
    with pytest.raises(InputError, match="'m' is not an order parameter"):
        solve(system, alpha=1, init={"q": 0.5, "m": 0.1})
    with pytest.raises(InputError, match="init"):
        solve(system, alpha=1)  # a bare system has no starts of its own
    with pytest.raises(InputError, match=r"init\['q'\]"):
        solve(system, alpha=1, init={"q": float("nan")})
    with pytest.raises(InputError, match="alpha"):
        solve(system, alpha=-1, init={"q": 0.5})  # alpha is a positive symbol
    with pytest.raises(InputError, match="parameter"):
        solve(system, alpha=1, beta=2, init={"q": 0.5})
    with pytest.raises(InputError, match="vary"):
        curve(system, "beta", [1, 2], init={"q": 0.5})


def test_system_is_keyword_only():
    q = sp.Symbol("q")
    with pytest.raises(TypeError):
        SaddlePointSystem("s", (q,), (), [], {q: q / 2})  # noqa
    s = SaddlePointSystem(state=[q], updates={q: q / 2})
    assert s.name == "system" and s.parameters == ()
    assert repr(s) == "SaddlePointSystem(name='system', state=('q',), parameters=())"


def test_names_as_strings_and_inferred_parameters():
    m, b, t = sp.symbols("m b t", real=True)
    s = SaddlePointSystem(state="m", steps={"t": b * m}, updates={"m": sp.tanh(t)})
    assert s.state == (m,) and s.parameters == (b,) and s.steps[0][0] == t
    s2 = SaddlePointSystem(state=["m"], parameters=["b", "c"], updates={m: b * m})
    assert s2.parameter_names == ("b", "c")
    twin = sp.Symbol("m", positive=True)
    with pytest.raises(InputError, match="with different assumptions"):
        SaddlePointSystem(state=["m"], updates={m: twin / 2})
    with pytest.raises(InputError, match="other SymPy assumptions"):
        SaddlePointSystem(state=[m], parameters=[b], updates={m: twin * b})
    with pytest.raises(InputError, match="not in state"):
        SaddlePointSystem(state=[m], updates={m: b, b: m})
    with pytest.raises(InputError, match="strings are not parsed"):
        SaddlePointSystem(state=[m], updates={m: "b*m"})


# ------------------------------------------------------------------ Model.from_system
def test_from_system_params_defaults_checks():
    x, a, c = sp.symbols("x a c", real=True)
    k = sp.Symbol("k", nonnegative=True)
    system = SaddlePointSystem(name="toy_api", state=[x], parameters=[a, c, k],
                               updates={x: a + c * x + k})
    cls = Model.from_system(system, defaults={"c": 0.5, "k": 0}, starts={"x": 0.0})
    assert issubclass(cls, Model) and cls.name == "toy_api"
    fields = {f.name: f for f in dataclasses.fields(cls.Params)}
    assert fields["c"].default == 0.5 and fields["a"].default is dataclasses.MISSING
    res = solve(cls, a=-1.0)  # a real symbol: negative values allowed
    assert res.converged and abs(res.state["x"] + 2.0) < 1e-12  # x = -1 + x/2
    with pytest.raises(InputError, match="k"):
        solve(cls, a=1.0, k=-1)
    with pytest.raises(InputError, match="a parameter of the system"):
        Model.from_system(system, defaults={"z": 1})
    with pytest.raises(InputError, match="c"):
        Model.from_system(system, checks={"c": "positive"}, defaults={"c": -1})
    with pytest.raises(InputError, match="missing 'x'"):
        Model.from_system(system, starts=[{"y": 1}])
    lam = sp.Symbol("lambda")
    bad = SaddlePointSystem(state=[x], parameters=[lam], updates={x: lam})
    with pytest.raises(InputError, match="identifier"):
        Model.from_system(bad)
    tol = sp.Symbol("tol")
    with pytest.raises(InputError, match="options of solve"):
        Model.from_system(SaddlePointSystem(state=[x], parameters=[tol], updates={x: tol}))


# ------------------------------------------------------------------ a failed start names its cause
def test_failed_start_names_the_real_cause():
    """Not "unphysical state?": the integrand, where it stops being finite, and why."""
    cancels = perceptron(lambda x: Phi(x) * (sp.cosh(50 * x) ** 2 - sp.sinh(50 * x) ** 2))
    res = solve(cancels, alpha=1, init={"q": 0.5})
    assert res.failure == "domain" and "unphysical" not in res.message
    assert "of step qhat is inf at xi =" in res.message and "overflow, underflow" in res.message
    assert "theory.Phi" in res.message
    res = solve(perceptron(), alpha=1, init={"q": 1.5})  # V = 1 - q < 0: sqrt of a negative
    assert res.failure == "domain" and "unphysical" not in res.message
    assert "at every point" in res.message and "q=1.5" in res.message


def test_registered_system_works_in_the_cli(capsys, ref):
    name = "perceptron_api_test"
    try:
        register(Model.from_system(perceptron(name=name), starts={"q": 0.5}))
        assert main(["solve", name, "alpha=2", "--json", "--quiet"]) == 0
        d = json.loads(capsys.readouterr().out)
        assert abs(d["state"]["q"] - float(ref["2"])) < 1e-12
        assert main(["solve", name, "--alpha", "2", "--quiet"]) == 0
        assert "0.728298" in capsys.readouterr().out
        assert main(["solve", name, "--quiet"]) == 2  # no default for alpha
        assert "alpha" in capsys.readouterr().err
        assert main(["models"]) == 0
        assert "(required)" in capsys.readouterr().out
    finally:
        MODELS.pop(name, None)


def test_register_dispatches_models_and_activations():
    from theory.symbolic.activations import REGISTRY

    try:
        act = register("api_test_act", "x*sigmoid(x)")
        assert "api_test_act" in REGISTRY and act.name == "api_test_act"
    finally:
        REGISTRY.pop("api_test_act", None)
    with pytest.raises(InputError):
        register(int)
    with pytest.raises(InputError):
        register(3.0)


@pytest.mark.parametrize("module", ["theory", "theory.models.base", "theory.symbolic.system"])
def test_docstring_examples_run(module):
    """The Examples sections of the public API are doctests that run (and pass)."""
    import importlib

    res = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0, res


def test_redeclared_gaussian_is_not_silently_reused():
    """A variable declared again with another covariance is another symbol: E(f) without
    ``over`` keeps integrating over the declaration f was written with (before, the latest
    declaration of the name was used silently, and a model built later integrated over another
    model's covariance)."""
    import sympy as sp

    from theory import E, gaussians

    (z1,) = gaussians("zz_redecl")
    f = z1 ** 2
    t = sp.Symbol("t", positive=True)
    zz, w = gaussians("zz_redecl w_redecl", cov=[[t, 0], [0, 1]])
    assert str(zz) == str(z1) and zz != z1  # prints alike, is another variable
    assert E(f).cov == sp.ImmutableMatrix([[1]])
    assert E(zz ** 2).cov[0, 0] == t
    (z2,) = gaussians("zz_redecl")  # an identical declaration (a cell run twice): same symbol
    assert z2 == z1
