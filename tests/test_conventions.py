"""Conventions shared by the models and the simulator (issue 9, item 4).

1. One noise convention: the label-noise variance ``Delta`` (Δ) in rf_ridge, rf_convex and the
   simulator; the old names (``tau``, ``noise``) are refused, the CLI names the new one.
2. The same observable names in theory and simulation (``test_error``, and for the sign teacher
   ``test_error_clean``, ``test_error_noisy``, ``test_mse``), with the relation between the two
   classification errors checked against the simulator and Monte Carlo.
3. The exact rf_ridge <-> rf_convex (square loss) correspondence: agreement to 1e-10.
4. ``theory simulate`` echoes the parameters as given (lam=1e-3, not the simulator's 0.0015).
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math

import mpmath
import numpy as np
import pytest

from reference import mei_montanari as mm
from theory.cli import main
from theory.conventions import (RF_CORRESPONDENCE, noisy_error_flip, noisy_error_probit,
                                rf_convex_to_rf_ridge, rf_ridge_to_rf_convex)
from theory.errors import InputError
from theory.models import get_model, solve
from theory.models.base import make_params
from theory.simulate import simulate_random_features
from theory.simulate.random_features import _Problem

RELU_MU1 = 0.5
RELU_MUSTAR = math.sqrt(0.25 - 1 / (2 * math.pi))  # closed form
AGREE = 1e-10  # rf_ridge vs rf_convex under the correspondence (relative)


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def _tau(Delta):
    """The reference of Mei & Montanari takes tau; sqrt(Delta) exact to 80 digits."""
    with mpmath.workdps(80):
        return mpmath.sqrt(mpmath.mpf(Delta))


# ------------------------------------------------------------------ 1. noise: Delta everywhere
def test_every_model_and_the_simulator_take_Delta():
    for name in ("rf_ridge", "rf_convex"):
        fields = {f.name for f in dataclasses.fields(get_model(name).Params)}
        assert "Delta" in fields and not fields & {"tau", "noise"}, (name, fields)
    sig = inspect.signature(simulate_random_features).parameters
    assert "Delta" in sig and "noise" not in sig


@pytest.mark.parametrize("model,old", [("rf_ridge", "tau"), ("rf_convex", "noise")])
def test_old_noise_names_are_refused(capsys, model, old):
    """Removed, not deprecated: a silently accepted tau would be read as a variance."""
    with pytest.raises(InputError) as e:
        solve(model, **{old: 0.1})
    assert old in str(e.value) and "Delta" in str(e.value)
    code, _, err = run(capsys, "solve", model, f"{old}=0.1")
    assert code == 2 and "renamed" in err and "Delta" in err


def test_rf_ridge_Delta_is_the_variance():
    """Theorem 1 of Mei & Montanari (mpmath reference, tau = sqrt(Delta))."""
    for Delta, Fs in ((0.09, 0.0), (0.25, 0.4)):
        r = solve("rf_ridge", psi1=0.7, psi2=1.3, lam=1e-2, Fstar=Fs, Delta=Delta)
        ref = float(mm.test_error(0.7, 1.3, 1e-2, RELU_MU1, RELU_MUSTAR, 1.0, Fs, _tau(Delta),
                                  dps=30))
        assert r.observables["test_error"] == pytest.approx(ref, rel=1e-12)


def test_rf_convex_Delta_is_the_variance():
    """OLS on isotropic data (linear features, lam -> 0): test_error = Delta/(n/d - 1)."""
    r = solve("rf_convex", activation="x", gamma=0.5, alpha=2.0, lam=1e-9, loss="square",
              teacher="linear", Delta=0.3)
    assert r.observables["test_error"] == pytest.approx(0.3 / (2.0 / 0.5 - 1), rel=1e-7)


def _settings(**kw):
    s = {"d": 30, "p": 20, "n": 20000, "activation": "erf", "loss": "square", "lam": 0.1,
         "teacher": "linear", "rho": 2.0, "Delta": 0.0, "Fstar": 0.0,
         "gaussian_equivalent": False, "sphere": False, "n_test": 100,
         "mu": [0.0, 2 / math.sqrt(3 * math.pi), 0.0]}
    s.update(kw)
    return s


def test_simulator_Delta_is_the_variance():
    """Regression labels: Var(y - f0) = Delta; sign labels: P(y != sign omega_0) =
    arccos(sqrt(rho/(rho + Delta)))/pi (Sheppard: noise on the pre-activation)."""
    n, Delta, rho = 20000, 0.25, 2.0
    pr = _Problem(_settings(Delta=Delta), 0)
    _, y, clean, _ = pr.data(n, pr.rng)
    v = np.var(y - clean, ddof=1)
    assert abs(v - Delta) < 4 * Delta * math.sqrt(2 / n)
    pr = _Problem(_settings(Delta=Delta, teacher="sign"), 1)
    _, y, _, w0 = pr.data(n, pr.rng)
    flip = np.mean(y != np.sign(w0))
    exact = math.acos(math.sqrt(rho / (rho + Delta))) / math.pi
    assert abs(flip - exact) < 4 * math.sqrt(exact * (1 - exact) / n)


# ------------------------------------------------------------------ 2. the same names
SIGN_NAMES = {"test_error", "test_error_clean", "test_error_noisy", "test_mse", "train_loss",
              "train_objective", "q_w"}
OLD_NAMES = {"mse", "classification_error"}


@pytest.mark.parametrize("teacher,loss", [("sign", "logistic"), ("linear", "square")])
def test_theory_and_simulation_name_the_same_quantities(teacher, loss):
    m = get_model("rf_convex")
    p = make_params(m, dict(alpha=1.0, gamma=1.0, lam=0.1, loss=loss, teacher=teacher,
                            Delta=0.2))
    th = set(m.observable_names(p))
    sim = simulate_random_features(**m.simulation(p, 20), seeds=2, n_test=200)
    names = set(sim.observables)
    assert not (th | names) & OLD_NAMES
    want = SIGN_NAMES if teacher == "sign" else {"test_error", "train_loss", "q_w"}
    assert want <= th and want <= names, (th, names)
    if teacher != "sign":
        assert not {"test_error_clean", "test_error_noisy", "test_mse"} & (th | names)
    assert set(m.observable_docs) >= set(m.system(p).observables)  # every observable defined
    # rf_ridge: its simulation reports test_error, the risk R of Theorem 1
    r = get_model("rf_ridge")
    rs = simulate_random_features(**r.simulation(make_params(r, {}), 20), seeds=2, n_test=200)
    assert "test_error" in rs.observables and not set(rs.observables) & OLD_NAMES


def test_sign_teacher_test_error_is_the_clean_error():
    r = solve("rf_convex", alpha=1.5, gamma=0.5, lam=0.05, Delta=0.3)
    o = r.observables
    assert o["test_error"] == o["test_error_clean"]
    assert o["test_error_noisy"] > o["test_error_clean"]
    sim = simulate_random_features(d=20, p=20, n=30, loss="square", teacher="sign",
                                   Delta=0.3, seeds=2, n_test=500)
    assert sim.per_seed["test_error"] == sim.per_seed["test_error_clean"]


def test_noisy_error_relation_holds_in_the_simulator():
    """With Gaussian-equivalent erf features (mu_0 = 0) the student and teacher fields on the
    test set are exactly jointly Gaussian given w, so eps_noisy = arccos(cos(pi eps_clean)
    sqrt(rho/(rho + Delta)))/pi holds per seed up to the test-set sampling error."""
    n_test, Delta, rho = 200_000, 0.5, 1.5
    sim = simulate_random_features(d=20, p=20, n=40, loss="square", teacher="sign", rho=rho,
                                   Delta=Delta, lam=0.1, seeds=2, n_test=n_test,
                                   gaussian_equivalent=True)
    clean = np.array(sim.per_seed["test_error_clean"])
    noisy = np.array(sim.per_seed["test_error_noisy"])
    pred = noisy_error_probit(clean, rho=rho, Delta=Delta)
    # both estimates from the same n_test points: the difference has SE <= sqrt(2 * 1/4/n)
    assert np.all(np.abs(noisy - pred) < 4 * math.sqrt(0.5 / n_test)), (noisy, pred)
    assert np.all(noisy - clean > 10 * math.sqrt(0.5 / n_test))  # the relation is not trivial


def test_label_flip_relation_against_monte_carlo():
    """eps_noisy = eps_clean (1 - 2p) + p for flips independent of the prediction."""
    rng = np.random.default_rng(7)
    n = 400_000
    wrong = rng.random(n) < 0.23  # prediction wrong against the clean label
    for p in (0.0, 0.1, 0.35):
        flipped = rng.random(n) < p
        noisy = np.mean(wrong != flipped)
        assert abs(noisy - noisy_error_flip(np.mean(wrong), p)) < 4 * math.sqrt(0.25 / n)


def test_noisy_error_probit_closed_form_points():
    # eps_clean = 0 (perfect student): P(sign(omega_0 + noise) != sign omega_0)
    assert noisy_error_probit(0.0, rho=1.0, Delta=1.0) == pytest.approx(0.25, abs=1e-15)
    # eps_clean = 1/2 (uncorrelated): 1/2 whatever the noise; Delta = 0: the identity
    assert noisy_error_probit(0.5, rho=1.0, Delta=3.0) == pytest.approx(0.5, abs=1e-15)
    assert noisy_error_probit(0.3, rho=2.0, Delta=0.0) == pytest.approx(0.3, abs=1e-15)


# ------------------------------------------------------------------ 3. rf_ridge <-> rf_convex
# (psi1, psi2, lam, F1, Fstar, Delta, activation): through the peak psi1 = psi2, both sides
RIDGE_POINTS = [(1.5, 1.5, 1e-4, 1.0, 0.0, 0.0, "relu"), (0.5, 2.0, 1e-3, 1.0, 0.3, 0.04, "relu"),
                (3.0, 1.0, 1e-2, 0.8, 0.7, 0.0, "erf"), (0.3, 0.8, 1e-1, 1.0, 0.0, 0.25, "tanh"),
                (2.0, 2.1, 1e-3, 0.8, 0.2, 0.01, "relu")]


@pytest.mark.parametrize("pt", RIDGE_POINTS)
def test_rf_ridge_equals_rf_convex_square_loss(pt):
    psi1, psi2, lam, F1, Fs, Delta, act = pt
    ridge = solve("rf_ridge", psi1=psi1, psi2=psi2, lam=lam, F1=F1, Fstar=Fs, Delta=Delta,
                  activation=act)
    eq, offset = rf_ridge_to_rf_convex(psi1=psi1, psi2=psi2, lam=lam, F1=F1, Fstar=Fs,
                                       Delta=Delta)
    assert offset == Fs**2
    conv = solve("rf_convex", tol=1e-12, activation=act, **eq)
    assert ridge.converged and conv.converged, (ridge.message, conv.message)
    a, b = ridge.observables["test_error"], conv.observables["test_error"] + offset
    assert abs(a - b) <= AGREE * a, (pt, a, b)
    # the model method gives the same map (plus Fstar, which rf_convex does not take)
    m = get_model("rf_ridge")
    rep = m.replica_equivalent(make_params(m, dict(psi1=psi1, psi2=psi2, lam=lam, F1=F1,
                                                   Fstar=Fs, Delta=Delta, activation=act)))
    assert rep.pop("Fstar") == Fs and rep == {**eq, "activation": act}


@pytest.mark.parametrize("alpha,gamma,lam,rho,Delta", [(2.0, 0.5, 1e-2, 1.0, 0.1),
                                                        (0.7, 1.4, 1e-3, 2.0, 0.0)])
def test_rf_convex_to_rf_ridge(alpha, gamma, lam, rho, Delta):
    conv = solve("rf_convex", tol=1e-12, alpha=alpha, gamma=gamma, lam=lam, rho=rho,
                 Delta=Delta, loss="square", teacher="linear", activation="relu")
    kw = rf_convex_to_rf_ridge(alpha=alpha, gamma=gamma, lam=lam, rho=rho, Delta=Delta)
    ridge = solve("rf_ridge", activation="relu", **kw)
    a, b = ridge.observables["test_error"], conv.observables["test_error"]
    assert abs(a - b) <= AGREE * a
    back, off = rf_ridge_to_rf_convex(**kw)
    assert off == 0 and back == pytest.approx({**back, "alpha": alpha, "gamma": gamma,
                                               "lam": lam, "rho": rho, "Delta": Delta})


def test_correspondence_is_in_both_docstrings():
    import theory.models.rf_convex as rc
    import theory.models.rf_ridge as rr

    for mod in (rr, rc):
        doc = mod.__doc__
        for word in (r"\psi_2", r"\kappa_1", r"F_\star^2", r"\kappa_\star", "RF_CORRESPONDENCE"):
            assert word in doc, (mod.__name__, word)
    for word in ("psi2 * lam", "rho = F1^2", "Delta[rf_ridge] + Fstar^2", "kappa_1 = mu_1",
                 "test_error[rf_ridge] = test_error[rf_convex] + Fstar^2"):
        assert word in RF_CORRESPONDENCE


# ------------------------------------------------------------------ CLI
def test_models_shows_symbols_observables_and_correspondence(capsys):
    code, out, _ = run(capsys, "models")
    assert code == 0
    for word in ("Delta", "Δ: label-noise variance", "τ² in the paper", "ψ₁ = N/d",
                 "test_error_clean", "test_error_noisy", "against the clean teacher label",
                 "correspondence (exact)", "lam[rf_convex] = psi2 * lam[rf_ridge]",
                 "kappa_1 = mu_1, kappa_star = mu_star"):
        assert word in out, word
    code, out, _ = run(capsys, "models", "--json")
    d = json.loads(out)
    assert "test_error_noisy" in d["rf_convex"]["observables"]
    assert d["rf_ridge"]["correspondence"] == RF_CORRESPONDENCE
    for name in ("rf_ridge", "rf_convex"):
        names = {p["name"] for p in d[name]["parameters"]}
        assert "Delta" in names and not names & {"tau", "noise"}


def test_simulate_echoes_the_parameters_as_given(capsys):
    """lam=1e-3 is printed as 1e-3; the simulator's rescaled penalty psi2 lam is lam_sim."""
    code, out, _ = run(capsys, "simulate", "rf_ridge", "lam=1e-3", "psi2=1.5", "Delta=0.09",
                       "--d", "20", "--seeds", "2", "--quiet")
    assert code == 0
    params = next(line for line in out.splitlines() if "parameters:" in line)
    assert "lam=1e-3" in params and "psi2=1.5" in params and "Delta=0.09" in params
    assert "lam=0.0015" not in out and "lam_sim=0.0015" in out
    assert "psi2*lam" in out  # the rescaling is named
    code, out, _ = run(capsys, "simulate", "rf_ridge", "lam=1e-3", "--d", "20", "--seeds", "2",
                       "--quiet", "--json")
    d = json.loads(out)
    assert d["given"] == {"lam": "1e-3"} and d["parameters"]["lam"] == 1e-3
    assert d["simulator_arguments"]["lam_sim"] == pytest.approx(1.5e-3, rel=1e-15)
    assert "lam" not in d["simulator_arguments"]
    assert d["observables"]["test_error"][0] > 0
    # rf_convex: the simulator's lam is the model's lam (no rescaling, no _sim name)
    code, out, _ = run(capsys, "simulate", "rf_convex", "lam=1e-2", "Delta=0.1", "--d", "20",
                       "--seeds", "2", "--quiet", "--json")
    d = json.loads(out)
    assert d["simulator_arguments"]["lam"] == 1e-2 and "lam_sim" not in d["simulator_arguments"]
    assert d["settings"]["Delta"] == 0.1
    assert {"test_error_clean", "test_error_noisy"} <= set(d["observables"])


# ------------------------------------------------------------------ theory vs simulation
@pytest.mark.slow
def test_noisy_and_clean_errors_theory_vs_simulation():
    """rf_convex's test_error_clean / test_error_noisy / test_mse against real erf features at
    d = 200 (square loss, sign teacher, Delta = 0.5): within 3 standard errors."""
    m = get_model("rf_convex")
    p = make_params(m, dict(loss="square", teacher="sign", alpha=2.0, gamma=1.0, lam=0.1,
                            Delta=0.5))
    th = solve(m, _params=p).observables
    sim = simulate_random_features(**m.simulation(p, 200), seeds=6, n_test=10000)
    for name in ("test_error_clean", "test_error_noisy", "test_mse", "train_loss"):
        mean, se = sim.observables[name]
        assert abs(mean - th[name]) < 3 * se, (name, th[name], mean, se)
