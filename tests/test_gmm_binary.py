"""Two Gaussian clusters (theory.models.gmm_binary) against independent references.

* the saddle point of every loss x penalty against the independent quad/brentq/hybr solver
  tests/reference/gmm_binary_reference.py (stored values, 1e-8);
* the square loss with l2 against its closed form (derived below, independent of the solver);
* the Bayes-optimal error against the digest's multi-class K = 2 formula (1e-14) and a
  simulation of the Bayes classifier (tests/reference/gmm_binary_bayes_sim.py, 3 s.e.);
* the separability threshold against the 30-digit mpmath script
  tests/reference/gmm_binary_separability_mp.py (1e-10) and against the lam -> 0+ hinge
  saddle point (1/sqrt(q) extrapolates to 0 at alpha_sep);
* residual 1e-10 down to lam = 1e-4; bad inputs; the CLI.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.special import ndtr

from theory.errors import InputError
from theory.models import get_model, solve
from theory.models.gmm_binary import (GMMBinaryParams, bayes_error,
                                      separability_threshold_binary)

REF = Path(__file__).parent / "reference"


def _kw(P):
    kw = dict(P)
    if kw.get("blocks"):
        kw["blocks"] = ",".join(f"{a}:{b}" for a, b in kw["blocks"])
    return kw


_POINTS = json.loads((REF / "gmm_binary_reference.json").read_text())["points"]


def test_reference_file_complete():
    """Every loss x penalty is in the stored reference (13 points, none missing)."""
    combos = {(p["params"]["loss"], p["params"]["penalty"]) for p in _POINTS}
    assert len(_POINTS) == 13 and len(combos) == 6


@pytest.mark.parametrize("pt", _POINTS, ids=lambda pt: "{loss}-{penalty}-a{alpha}-l{lam}".format(
    **pt["params"]))
def test_saddle_point_against_reference_solver(pt):
    res = solve("gmm_binary", **_kw(pt["params"]), progress=False)
    assert res.converged, res.message
    assert res.residual <= 1e-10
    for k, v in pt["state"].items():
        assert res.state[k] == pytest.approx(v, rel=1e-8, abs=1e-9), k
    for k, v in pt["observables"].items():
        assert res.observables[k] == pytest.approx(v, rel=1e-8, abs=1e-10), k
    assert pt["info"]["residual"] < 1e-10  # the reference itself converged


def _square_closed_form(alpha, lam, rho, Delta):
    """Square loss, l2, isotropic: V from a quadratic, then m, b, q (derived in closed form).

    V (lam + alpha Delta/(1 + V)) = Delta -> lam V^2 + (lam + alpha Delta - Delta) V - Delta = 0;
    b = (2 rho - 1)(1 - m); mhat = 4 rho (1 - rho) alpha (1 - m)/(1 + V); m = mhat V/Delta;
    qhat = alpha (4 rho (1 - rho)(1 - m)^2 + q)/(1 + V)^2; q = V^2 (mhat^2 + qhat Delta)/Delta.
    """
    c1 = lam + alpha * Delta - Delta
    V = (-c1 + math.sqrt(c1 * c1 + 4 * lam * Delta)) / (2 * lam)
    k = 4 * rho * (1 - rho)
    c = k * alpha * V / ((1 + V) * Delta)
    m = c / (1 + c)
    b = (2 * rho - 1) * (1 - m)
    mh = k * alpha * (1 - m) / (1 + V)
    r = alpha * V**2 / (1 + V) ** 2
    q = (V**2 / Delta * mh**2 + r * k * (1 - m) ** 2) / (1 - r)
    s = math.sqrt(q)
    te = rho * ndtr(-(m + b) / s) + (1 - rho) * ndtr(-(m - b) / s)
    return {"V": V, "q": q, "m": m, "b": b}, te


@pytest.mark.parametrize("alpha,lam,rho,Delta", [(2.0, 0.1, 0.5, 0.5), (0.5, 0.01, 0.8, 1.0),
                                                 (3.0, 1e-4, 0.3, 0.2), (1.2, 1.0, 0.6, 2.0)])
def test_square_l2_closed_form(alpha, lam, rho, Delta):
    st, te = _square_closed_form(alpha, lam, rho, Delta)
    res = solve("gmm_binary", alpha=alpha, lam=lam, rho=rho, Delta=Delta, loss="square",
                progress=False)
    assert res.converged
    for k, v in st.items():
        assert res.state[k] == pytest.approx(v, rel=1e-10, abs=1e-12), k
    assert res.observables["test_error"] == pytest.approx(te, rel=1e-10)


@pytest.mark.parametrize("alpha,Delta_K", [(0.5, 0.3), (2.0, 1.0), (7.0, 0.05)])
def test_bayes_error_equals_multiclass_K2_formula(alpha, Delta_K):
    # digest Sec. 2.2, K = 2, equal weights, orthonormal means: Phi(-1/(sqrt2 eta)),
    # eta^2 = Delta_K (1 + 2 Delta_K/alpha); this model at Delta = 2 Delta_K (module docstring)
    eta = math.sqrt(Delta_K * (1 + 2 * Delta_K / alpha))
    want = ndtr(-1 / (math.sqrt(2) * eta))
    assert bayes_error(alpha=alpha, Delta=2 * Delta_K) == pytest.approx(want, rel=1e-14)


def test_bayes_error_against_simulated_bayes_classifier():
    data = json.loads((REF / "gmm_binary_bayes_sim.json").read_text())
    for r in data["results"]:
        S = dict(r["setting"])
        kw = {k: S[k] for k in ("alpha", "rho", "Delta", "means", "rho_s")}
        if S["blocks"]:
            kw["blocks"] = S["blocks"]
        th = bayes_error(**kw)
        assert abs(th - r["mean"]) <= 3 * r["se"] + 2e-4 * th, (S, th, r)


@pytest.mark.parametrize("loss,lam", [("square", 0.1), ("logistic", 0.01), ("hinge", 0.1)])
def test_bayes_error_below_erm(loss, lam):
    for alpha in (0.5, 5.0):
        res = solve("gmm_binary", alpha=alpha, lam=lam, rho=0.7, Delta=0.5, loss=loss,
                    progress=False)
        assert res.observables["bayes_error"] < res.observables["test_error"]


def test_separability_against_mpmath():
    data = json.loads((REF / "gmm_binary_separability_mp.json").read_text())
    assert data["dps"] >= 30
    for c in data["cases"]:
        if "blocks" in c:
            got = separability_threshold_binary(rho=c["rho"], blocks=c["blocks"])
        else:
            got = separability_threshold_binary(rho=c["rho"], Delta=c["Delta"])
        assert got == pytest.approx(float(c["alpha_sep"]), rel=1e-10), c


def test_separability_limits():
    # Delta -> infinity: labels independent of the data, Cover's capacity alpha = 2
    assert separability_threshold_binary(Delta=1e8) == pytest.approx(2.0, rel=1e-6)
    # more noise, fewer samples needed to lose separability
    assert separability_threshold_binary(Delta=0.5) > separability_threshold_binary(Delta=1.0)


def test_hinge_lam_to_zero_diverges_at_separability_threshold():
    """lam -> 0+ hinge = max margin: q diverges as alpha -> alpha_sep, 1/sqrt(q) ~ linear."""
    rho, Delta = 0.7, 0.8
    a_sep = separability_threshold_binary(rho=rho, Delta=Delta)
    inv = []
    deltas = (0.02, 0.01)
    for dlt in deltas:
        res = solve("gmm_binary", alpha=a_sep * (1 - dlt), lam=1e-7, rho=rho, Delta=Delta,
                    loss="hinge", progress=False)
        assert res.converged, res.message
        assert res.observables["train_error"] < 1e-12  # separated
        inv.append(1 / math.sqrt(res.state["q"]))
    # linear extrapolation of 1/sqrt(q) in alpha to its zero
    slope = (inv[0] - inv[1]) / (deltas[0] - deltas[1])
    zero = deltas[1] - inv[1] / slope
    assert abs(zero) < 1e-3, (inv, zero)
    above = solve("gmm_binary", alpha=a_sep * 1.02, lam=1e-7, rho=rho, Delta=Delta,
                  loss="hinge", progress=False)
    assert above.converged and above.observables["train_error"] > 1e-4


def _J2(a):
    """E[(Z - a)_+^2] (written here, independent of the module)."""
    return (1 + a * a) * ndtr(-a) - a * math.exp(-a * a / 2) / math.sqrt(2 * math.pi)


@pytest.mark.parametrize("frac", [0.7, 0.9])
def test_hinge_lam_to_zero_is_the_max_margin_program(frac):
    """lam -> 0+ hinge = hard-margin SVM: min ||w||^2 s.t. y(w.x + b) >= 1. With Gardner's
    capacity for the part of w orthogonal to mu (derivation in separability_threshold_binary),
    for isotropic Delta: minimise q over (m, b, q) subject to
    alpha sum_y rho_y E[(1 - m - y b - sqrt(q) Z)_+^2] <= q - Delta m^2 (scipy SLSQP, started
    30-50 % away from the saddle point). Its minimiser is the saddle point at lam = 1e-7."""
    from scipy import optimize

    rho, Delta = 0.7, 0.8
    alpha = frac * separability_threshold_binary(rho=rho, Delta=Delta)
    res = solve("gmm_binary", alpha=alpha, lam=1e-7, rho=rho, Delta=Delta, loss="hinge",
                progress=False)
    assert res.converged, res.message

    def con(x):
        m, b, lq = x
        q = math.exp(lq)
        return q - Delta * m * m - alpha * sum(
            r * q * _J2(-(1 - m - y * b) / math.sqrt(q)) for y, r in ((1, rho), (-1, 1 - rho)))

    x0 = [1.3 * res.state["m"], 0.7 * res.state["b"], math.log(1.5 * res.state["q"])]
    r = optimize.minimize(lambda x: x[2], x0, method="SLSQP",
                          constraints=[{"type": "ineq", "fun": con}],
                          options={"ftol": 1e-15, "maxiter": 1000})
    assert r.success, r.message
    m, b, q = r.x[0], r.x[1], math.exp(r.x[2])
    assert res.state["q"] == pytest.approx(q, rel=1e-9)
    assert res.state["m"] == pytest.approx(m, rel=1e-6)
    assert res.state["b"] == pytest.approx(b, rel=1e-6)


@pytest.mark.parametrize("loss", ["square", "logistic", "hinge"])
@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_small_lam_residual(loss, penalty):
    res = solve("gmm_binary", alpha=1.5, lam=1e-4, rho=0.6, Delta=0.5, loss=loss,
                penalty=penalty, progress=False)
    assert res.converged, res.message
    assert res.residual <= 1e-10
    assert max(res.state_errors.values()) <= 1e-10 * max(1.0, max(res.state.values()))


@pytest.mark.parametrize("kw,param", [
    (dict(rho=0.0), "rho"), (dict(rho=1.0), "rho"), (dict(rho=1.3), "rho"),
    (dict(Delta=0.0), "Delta"), (dict(Delta=-1.0), "Delta"),
    (dict(blocks="0.5:1,0.4:2"), "blocks"), (dict(blocks="0.5:1,0.5:-2"), "blocks"),
    (dict(blocks="0.5:1,0.5:0"), "blocks"), (dict(blocks="junk"), "blocks"),
    (dict(loss="savage"), "loss"), (dict(penalty="l3"), "penalty"),
    (dict(means="blocky"), "means"), (dict(rho_s=0.0), "rho_s"), (dict(lam=0.0), "lam")])
def test_bad_input(kw, param):
    with pytest.raises(InputError) as ei:
        GMMBinaryParams(**{"alpha": 1.0, "lam": 0.1, **kw})
    assert ei.value.param == param
    assert str(ei.value.allowed)  # says what is allowed
    with pytest.raises(InputError):
        solve("gmm_binary", **{"alpha": 1.0, "lam": 0.1, **kw})


def test_bad_input_separability_and_bayes():
    with pytest.raises(InputError, match="rho"):
        separability_threshold_binary(rho=1.5, Delta=1.0)
    with pytest.raises(InputError, match="Delta"):
        separability_threshold_binary(rho=0.5, Delta=-1.0)
    with pytest.raises(InputError, match="blocks"):
        bayes_error(alpha=1.0, blocks=[(0.5, 1.0), (0.6, 1.0)])


def _cli(capsys, *args):
    from theory.cli import main

    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_solve_and_bad_input(capsys):
    code, out, err = _cli(capsys, "solve", "gmm_binary", "alpha=2", "loss=logistic",
                          "lam=0.01", "Delta=0.5")
    assert code == 0, err
    assert "test_error" in out and "bayes_error" in out
    code, out, err = _cli(capsys, "solve", "gmm_binary", "alpha=2", "lam=0.01",
                          "blocks=0.5:1,0.3:2")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "blocks" in err


def test_simulation_keywords():
    m = get_model("gmm_binary")
    p = GMMBinaryParams(alpha=2.0, lam=0.05, rho=0.8, blocks="0.5:1,0.5:2", means="sparse",
                        rho_s=0.1, loss="hinge", penalty="l1")
    kw = m.simulation(p, 1000)
    assert kw == {"alpha": 2.0, "d": 1000, "rho": 0.8, "Delta": 1.0,
                  "blocks": [(0.5, 1.0), (0.5, 2.0)], "means": "sparse", "rho_s": 0.1,
                  "loss": "hinge", "penalty": "l1", "lam": 0.05, "intercept": True}
    assert m.simulator == "theory.simulate.gmm:simulate_gmm_binary"


def test_curve_warm_starts_agree_with_points():
    from theory.models import curve

    grid = np.linspace(0.5, 4.0, 6)
    c = curve("gmm_binary", "alpha", grid, loss="logistic", lam=0.01, rho=0.6, Delta=0.5)
    assert c.converged.all()
    one = solve("gmm_binary", alpha=float(grid[3]), loss="logistic", lam=0.01, rho=0.6,
                Delta=0.5, progress=False)
    assert c.column("q")[3] == pytest.approx(one.state["q"], rel=1e-10)


_AUTHORS = json.loads((REF / "gmm_binary_authors_csv.json").read_text())["rows"]


@pytest.mark.parametrize("row", _AUTHORS, ids=lambda r: f"{r['loss']}-{r['penalty']}-"
                         f"a{r['sample_complexity']:.3g}")
def test_against_the_authors_theory_curves(row):
    """The authors' own solver output (K2mix/data/theory, published with their code)."""
    loss = {"square": "square"}[row["loss"]] if row["loss"] == "square" else row["loss"]
    res = solve("gmm_binary", alpha=row["sample_complexity"], lam=row["lambda"],
                rho=row["probability"], blocks=row["blocks"], loss=loss,
                penalty=row["penalty"], progress=False)
    assert res.converged, res.message
    for k in ("V", "m", "q"):  # their damped Picard stops at ~1e-9 relative changes
        assert res.state[k] == pytest.approx(row[k], rel=2e-8), k
    assert res.state["b"] == pytest.approx(row["b"], abs=1e-9)
    assert res.observables["test_error"] == pytest.approx(row["test_error"], rel=2e-8)
    tl = row["train_loss"] * (math.sqrt(row["q"]) if loss == "hinge" else 1.0)
    assert res.observables["train_loss"] == pytest.approx(tl, rel=2e-8, abs=1e-14)


def test_derivation_golden():
    import importlib.util

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location(
        "gmm_binary_system", root / "derivations" / "gmm_binary_system.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    docs = mod.render()
    assert len(docs) == 6
    for fname, text in docs.items():
        assert (mod.OUT / fname).read_text() == text, fname
    assert r"\hat{V}" in docs["gmm_binary_logistic_l2.tex"]


@pytest.mark.parametrize("loss,penalty", [("logistic", "l2"), ("square", "l1")])
def test_symbolic_system_solved_by_the_engine(loss, penalty):
    """The written-down system (Loss.prox_symbolic, the engine's Gaussian quadrature and
    generic solver) against the model's vectorised closed forms / composite rule."""
    from theory.models.gmm_binary import gmm_binary_system

    kw = dict(alpha=2.0, lam=0.01, rho=0.7, Delta=0.5)
    eng = solve(gmm_binary_system(loss, penalty), **kw,
                init=dict(V=10.0, q=5.0, m=2.0, b=0.5), progress=False)
    ours = solve("gmm_binary", **kw, loss=loss, penalty=penalty, progress=False)
    assert eng.converged and ours.converged
    for k in ("V", "q", "m", "b"):
        assert eng.state[k] == pytest.approx(ours.state[k], rel=1e-9, abs=1e-11), k
