"""Issue 8, kind 10 (the command line) and, from kind 8, parameters read at the --dps precision.

Values are checked against closed forms (sign's conditional coefficients, Hermite constants of
relu, sign, erf and leaky relu) or against the independent 30-digit Mei-Montanari reference
``tests/reference/mei_montanari.py`` (pure mpmath, imports nothing from theory).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import resource
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge_models import ToyInterrupt, ToyQuadrature, ToyRoot, registered, root_fixed_point
from reference import mei_montanari as mm
from theory.cli import _build, main

ROOT = Path(__file__).resolve().parent.parent


def run(*argv):
    """(exit code, stdout, stderr) of the command line, in process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def one_line_error(code, err, word=None):
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    if word is not None:
        assert word in err, err


# ------------------------------------------------------------------ negative numbers, lists
def sign_closed(k):
    """sign at c = 1: mu0 = erf(kappa/sqrt 2), mu1 = sqrt(2/pi) exp(-kappa^2/2)."""
    return math.erf(k / math.sqrt(2)), math.sqrt(2 / math.pi) * math.exp(-k * k / 2)


def test_issue_instance_negative_kappa_list():
    code, out, err = run("conditional", "sign", "--kappa", "-1.7,0.5", "--json")
    assert code == 0, err
    d = json.loads(out)
    for k, m0, m1 in zip((-1.7, 0.5), d["mu0"], d["mu1"]):
        e0, e1 = sign_closed(k)
        assert abs(m0 - e0) <= 1e-15 and abs(m1 - e1) <= 1e-15 * e1


_fmt = st.sampled_from(["{!r}", "{:g}", "{:.3e}", "{:.6f}"])


@settings(max_examples=25, deadline=None)
@given(ks=st.lists(st.floats(-8, 8, allow_subnormal=False), min_size=1, max_size=4), fmt=_fmt,
       eq=st.booleans())
def test_negative_numbers_and_lists_are_values(ks, fmt, eq):
    text = ",".join(fmt.format(k) for k in ks)
    argv = ["conditional", "sign", f"--kappa={text}"] if eq else \
        ["conditional", "sign", "--kappa", text]
    code, out, err = run(*argv, "--json")
    assert code == 0, err
    d = json.loads(out)
    for t, m0, m1 in zip(text.split(","), d["mu0"], d["mu1"]):
        e0, e1 = sign_closed(float(t))
        assert abs(m0 - e0) <= 2e-15 and abs(m1 - e1) <= 1e-14 * e1


@pytest.mark.parametrize("text", ["-.5", "-2", "-1e-3", "-0.25,-.75,-3"])
def test_leading_dot_and_exponent_forms(text):
    code, out, err = run("conditional", "sign", "--kappa", text, "--json")
    assert code == 0, err
    assert json.loads(out)["kappa"] == [float(t) for t in text.split(",")]


@pytest.mark.parametrize("argv,word", [
    (["conditional", "sign", "--c", "-2"], "c="),
    (["conditional", "sign", "--c", "-1e-3"], "c="),
    (["hermite", "relu", "--kmax", "-1"], "kmax"),
    (["solve", "rf_convex", "--tol", "-1e-3"], "tol"),
    (["solve", "rf_ridge", "psi1=-1.5"], "psi1"),
])
def test_negative_values_reach_their_own_check(argv, word):
    one_line_error(*run(*argv)[::2], word=word)


def test_expression_starting_with_a_negative_number():
    code, out, err = run("hermite", "-2*x", "--kmax", "2", "--json")
    assert code == 0, err
    mu = json.loads(out)["mu"]
    assert abs(mu[0]) < 1e-15 and abs(mu[1] + 2) < 1e-15 and abs(mu[2]) < 1e-15  # -2 He_1


def test_expressions_starting_with_a_minus_sign():
    code, out, err = run("hermite", "-x", "--kmax", "1", "--json")
    assert code == 0, err
    assert abs(json.loads(out)["mu"][1] + 1) < 1e-15
    code, out, err = run("leap", "-z1*z2", "--json")
    assert code == 0, err
    assert json.loads(out)["variables"] == ["z1", "z2"]
    one_line_error(*run("hermite", "relu", "-kmax", "3")[::2], word="-kmax")


# ------------------------------------------------------------------ re-registered activations
RELU = (0.5, math.sqrt(0.25 - 1 / (2 * math.pi)))
SIGN = (math.sqrt(2 / math.pi), math.sqrt(1 - 2 / math.pi))
ERF = (2 / math.sqrt(3 * math.pi),
       math.sqrt(2 / math.pi * math.asin(2 / 3) - 4 / (3 * math.pi)))
LEAKY = ((1 + 0.5) / 2, math.sqrt((1 + 0.25) / 2 - 0.25 / (2 * math.pi) - 1.5**2 / 4))
CLOSED = {"Max(x, 0)": RELU, "sign(x)": SIGN, "erf(x)": ERF,
          "Max(x, 0) + Min(x, 0)/2": LEAKY}


@settings(max_examples=4, deadline=None)
@given(order=st.permutations(sorted(CLOSED)))
def test_reregistered_activation_reaches_rf_ridge_and_rf_convex(order):
    """register(..., overwrite=True) must not leave rf_ridge / rf_convex on the old mu_1,
    mu_star (they were cached by name)."""
    from theory import register
    from theory.models import get_model, solve
    from theory.numeric.activation_constants import activation_constants_mp

    ridge, convex = get_model("rf_ridge"), get_model("rf_convex")
    for expr in order:
        register("h7_act", expr, overwrite=True)
        mu1, mus = CLOSED[expr]
        pr = ridge.Params(activation="h7_act", psi1=2.0, psi2=1.5, lam=1e-2)
        v = ridge.values(pr)
        assert abs(v["mu_1"] - mu1) < 1e-13 and abs(v["mu_star"] - mus) < 1e-13
        vc = convex.values(convex.Params(activation="h7_act"))
        assert abs(vc["kappa_1"] - mu1) < 1e-13 and abs(vc["kappa_star"] - mus) < 1e-13
        _, m1, ms = activation_constants_mp("h7_act", 30)
        assert abs(float(m1) - mu1) < 1e-15 and abs(float(ms) - mus) < 1e-15
        r = solve("rf_ridge", activation="h7_act", psi1=2.0, psi2=1.5, lam=1e-2)
        ref = float(mm.test_error(2.0, 1.5, 1e-2, mu1, mus, dps=30))
        assert abs(r.observables["test_error"] - ref) <= 1e-9 * ref


# ------------------------------------------------------------------ fast --help
def test_help_is_fast_and_does_not_import_sympy():
    code = ("import sys, theory, theory.cli; assert 'sympy' not in sys.modules, 'sympy'; "
            "assert 'numpy' not in sys.modules, 'numpy'")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=ROOT)
    assert p.returncode == 0, p.stderr
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run([sys.executable, "-m", "theory.cli", "--help"], capture_output=True,
                       text=True, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert p.returncode == 0 and "curve" in p.stdout
    assert cpu < 0.3, f"theory --help took {cpu:.2f} s of CPU"


def test_lazy_package_attributes_still_work():
    import theory

    assert theory.hermite_expansion("relu", 1).mu[1] == pytest.approx(0.5, abs=1e-15)
    assert "hermite_expansion" in dir(theory)
    with pytest.raises(AttributeError):
        theory.no_such_name  # noqa: B018


# ------------------------------------------------------------------ options checked first
@pytest.fixture
def no_solving(monkeypatch):
    import theory.models as models
    import theory.models.base as base

    def refuse(*a, **k):
        raise AssertionError("solved before every option was checked")

    monkeypatch.setattr(models, "curve", refuse)
    monkeypatch.setattr(models, "solve", refuse)
    monkeypatch.setattr(base, "solve", refuse)


_names = st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=8)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(obs=_names.filter(lambda s: s not in ("bias", "variance", "a", "residual")))
def test_unknown_observable_is_refused_before_solving(no_solving, obs):
    code, _, err = run("curve", "rf_ridge", "--vary", "psi1=0.5:3:40", "--observable", obs)
    one_line_error(code, err, word="observable")


def test_issue_instance_observable_foo(no_solving):
    code, _, err = run("curve", "rf_convex", "--vary", "alpha=0.5:4:50", "--observable", "foo")
    one_line_error(code, err, word="foo")


_keys = {"rf_ridge": ["psi1", "psi2", "lam", "F1", "Fstar", "Delta"],
         "rf_convex": ["alpha", "gamma", "lam", "rho", "Delta"]}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(model=st.sampled_from(sorted(_keys)), data=st.data(),
       cmd=st.sampled_from(["solve", "curve", "simulate"]),
       v1=st.floats(0.1, 5), v2=st.floats(0.1, 5))
def test_duplicate_key_value_pairs_are_refused(no_solving, model, data, cmd, v1, v2):
    key = data.draw(st.sampled_from(_keys[model]))
    argv = [cmd, model, f"{key}={v1}", f"{key}={v2}"]
    if cmd == "curve":
        other = next(k for k in _keys[model] if k != key)
        argv += ["--vary", f"{other}=1:2:3"]
    code, _, err = run(*argv)
    one_line_error(code, err, word=key)


def test_repeated_option_is_refused():
    one_line_error(*run("hermite", "relu", "--kmax", "3", "--kmax", "4")[::2], word="--kmax")


def test_every_option_has_help_with_its_default():
    parser = _build()
    subs = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, sp in subs.choices.items():
        text = sp.format_help()
        for act in sp._actions:
            if act.dest == "help":
                continue
            assert act.help, f"{name} {act.option_strings or act.dest}: no help"
            if act.option_strings and act.default not in (None, False):
                opt = act.option_strings[0]
                opts = text[text.index("options:"):]
                block = opts[opts.index(f"  {opt}"):]
                nxt = block.find("\n  -", 1)
                block = block if nxt < 0 else block[:nxt]
                assert "default" in block, f"{name} {opt}: no default in help"


# ------------------------------------------------------------------ curves keep their points
@pytest.fixture
def toys():
    with registered(ToyRoot, ToyInterrupt, ToyQuadrature):
        yield


@pytest.mark.parametrize("strict", [True, False])
def test_solve_that_fails_names_the_check_and_exits_1(toys, strict):
    argv = ["solve", "toy_quadrature_h7", "b=0.5", "--quiet"] + (["--strict"] if strict else [])
    code, out, err = run(*argv)
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "quadrature" in err and "differ by" in err and "residual 0 > tol" not in err
    if not strict:
        assert "FAILED (quadrature)" in out and "hint:" in out


def test_budget_options_reach_the_solver(toys):
    code, out, err = run("solve", "toy_root_h7", "b=0.1", "--tol", "1e-15", "--method",
                         "damped", "--max-evaluations", "4", "--quiet")
    assert code == 1 and "(budget)" in err and "max_evaluations=4" in err
    one_line_error(*run("solve", "toy_root_h7", "--max-time", "0")[::2], word="max-time")


def test_curve_with_failed_points_keeps_the_others(toys, tmp_path):
    f_csv, f_png = tmp_path / "c.csv", tmp_path / "c.png"
    code, out, err = run("curve", "toy_root_h7", "--vary", "b=0.05,0.1,0.6,0.15",
                         "--observable", "m_obs", "--csv", str(f_csv), "--plot", str(f_png),
                         "--quiet", "--json")
    assert code == 1
    assert "toy_root_h7 at b=0.6 failed (nan)" in err and "nan for m" in err
    assert "1 of 4 points did not converge" in err
    rows = list(csv.DictReader(open(f_csv)))
    assert [r["converged"] for r in rows] == ["True", "True", "False", "True"]
    assert [r["failure"] for r in rows] == ["", "", "nan", ""]
    for r in rows:
        b = float(r["b"])
        if r["converged"] == "True":
            assert abs(float(r["m_obs"]) - root_fixed_point(b)) < 1e-9
        else:
            assert math.isnan(float(r["m_obs"]))
    assert f_png.read_bytes()[:4] == b"\x89PNG"
    d = json.loads(out)  # strict JSON: NaN written as null
    assert d["converged"] == [True, True, False, True] and d["failed"][0]["value"] == 0.6
    assert d["points"][2]["observables"]["m_obs"] is None


def test_ctrl_c_keeps_the_finished_points(toys, tmp_path):
    f_csv = tmp_path / "c.csv"
    code, out, err = run("curve", "toy_interrupt_h7", "--vary", "b=0.05,0.1,0.3,0.15",
                         "--observable", "m_obs", "--csv", str(f_csv), "--quiet")
    assert code == 130 and "interrupted after 2 of 4 points" in err
    assert len(err.strip().splitlines()) == 1 and "Warning" not in err
    rows = list(csv.DictReader(open(f_csv)))
    assert [r["failure"] for r in rows] == ["", "", "interrupted", "interrupted"]
    assert abs(float(rows[1]["m_obs"]) - root_fixed_point(0.1)) < 1e-9


# ------------------------------------------------------------------ malformed input
_junk = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)


def _not_a_float(s):
    try:
        float(s)
        return False
    except ValueError:
        return True


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_malformed_arguments_exit_2_with_one_line(data):
    j = data.draw(_junk)
    bad = data.draw(_junk.filter(_not_a_float))
    argv = data.draw(st.sampled_from([
        ["hermite", "relu", "--kmax", bad],
        ["hermite", "relu", "--dps", bad],
        ["conditional", "sign", "--kappa", bad + ",1"],
        ["conditional", "sign", "--c", bad],
        ["solve", "rf_convex", f"alpha={bad}"],
        ["solve", "rf_convex", f"nosuch{j}=1"],
        ["solve", "rf_convex", "alpha=1", "alpha=2"],
        ["solve", "rf_ridge", "--tol", bad],
        ["solve", "rf_ridge", "--max-time", bad],
        ["curve", "rf_ridge", "--vary", f"psi1={bad}"],
        ["curve", "rf_ridge", "--vary", f"psi1=1:{bad}:3"],
        ["curve", "rf_ridge", "--vary", "psi1=1:2:3", "--plot", f"x{j}.gif"],
        ["simulate", "rf_ridge", f"F1={bad}"],
        ["nosuchcommand" + j],
    ]))
    code, out, err = run(*argv)
    one_line_error(code, err)


# ------------------------------------------------------------------ --dps reads decimals (kind 8)
def _relu_constants(dps):
    with mpmath.workdps(dps):
        return mpmath.mpf(1) / 2, mpmath.sqrt(mpmath.mpf(1) / 4 - 1 / (2 * mpmath.pi))


@settings(max_examples=3, deadline=None)
@given(psi1=st.sampled_from(["0.3", "0.7", "1.1", "2.3"]),
       lam=st.sampled_from(["0.1", "0.3", "0.01"]))
def test_dps_parses_key_value_as_decimal(psi1, lam):
    """psi1=0.3 with --dps 30 is the decimal 3/10: the 30-digit answer matches the reference
    at the decimal, and differs from the reference at the double 0.29999999999999998890."""
    code, out, err = run("solve", "rf_ridge", f"psi1={psi1}", "psi2=1.7", f"lam={lam}",
                         "--dps", "30", "--json")
    assert code == 0, err
    d = json.loads(out)
    mu1, mus = _relu_constants(60)
    with mpmath.workdps(60):
        ref = mm.test_error(psi1, "1.7", lam, mu1, mus, dps=45)
        ref_double = mm.test_error(mpmath.mpf(float(psi1)), mpmath.mpf(1.7),
                                   mpmath.mpf(float(lam)), mu1, mus, dps=45)
        got = mpmath.mpf(d["observables"]["test_error"])
        assert abs(got - ref) <= mpmath.mpf(10) ** -27 * abs(ref)
        assert abs(ref_double - ref) > mpmath.mpf(10) ** -25 * abs(ref)  # a real difference
    assert d["params"]["psi1"].startswith(psi1 + "0000000")


@pytest.mark.parametrize("given_as", ["0.3", Fraction(3, 10), "mpf"])
def test_python_api_keeps_exact_inputs_at_dps(given_as):
    from theory.models import solve

    with mpmath.workdps(50):
        v = mpmath.mpf("0.3") if given_as == "mpf" else given_as
    r = solve("rf_ridge", psi1=v, psi2=1.5, lam="0.1", dps=30)
    mu1, mus = _relu_constants(60)
    with mpmath.workdps(60):
        ref = mm.test_error("0.3", "1.5", "0.1", mu1, mus, dps=45)
        assert abs(r.observables["test_error"] - ref) <= mpmath.mpf(10) ** -27 * abs(ref)


def test_dps_reads_kappa_as_decimal():
    code, out, err = run("conditional", "sign", "--kappa", "-0.3,1.1", "--dps", "30",
                         "--json")
    assert code == 0, err
    d = json.loads(out)
    with mpmath.workdps(40):
        for t, m0 in zip(("-0.3", "1.1"), d["mu0"]):
            ref = mpmath.erf(mpmath.mpf(t) / mpmath.sqrt(2))
            assert abs(mpmath.mpf(m0) - ref) <= mpmath.mpf(10) ** -28


_expr = st.lists(st.sampled_from(list("xz12+-*/()^. ,e") + ["tanh", "sign", "exp", "abs",
                                                            "relu"]),
                 max_size=10).map("".join)


@settings(max_examples=40, deadline=None)
@given(cmd=st.sampled_from(["hermite", "conditional", "leap"]), text=_expr)
def test_free_form_expressions_never_give_a_traceback(cmd, text):
    code, out, err = run(cmd, text)
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 1, err
