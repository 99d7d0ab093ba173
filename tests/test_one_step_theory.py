"""The sRF exact asymptotics (model ``spiked_rf``) against simulations (issue 10, "what it must
show"): the simulated sRF itself (beta = 0.5, 1, 2) and the simulated network after one giant
step (Figure 2 parameters of Cui et al., arXiv:2402.04980v2: sigma = tanh, eta_tilde = 1;
g = tanh, lam = 0.01 and g = sin, lam = 0.1; alpha0 = 2; also g = tanh at alpha0 = 0.5), at 10
values of alpha in [0.2, 3].

The simulations are stored in tests/reference/one_step_network/*.json, written by make.py next
to them (independent of the model: the finite-size simulators theory.simulate.one_step and
theory.simulate.spiked_rf only; seeds, sizes, machine and timings in the files). The model
maps (eta_tilde, alpha0) -> (r, c, gamma) by theory.simulate.one_step.predicted_map, itself
checked against the simulated W1 in tests/test_one_step_sim.py.

Criteria:

* sRF simulation at d = 2000: |sim - theory| < 3 standard errors at every alpha.
* Network after one step at d = 2000: |sim - theory| < 3 SE + |bias|, the finite-size bias
  measured from the network data alone at d = 500, 1000, 2000: Y(d) = the test error averaged
  over the alpha grid (per seed, then mean and SE over seeds: the alphas of one seed share W,
  the test set and nested readout samples, so they are correlated), fitted Y(d) = A + b /
  sqrt(d) by weighted least squares over the sizes; bias = |b| / sqrt(2000), the same at every
  alpha. The theory does not enter the fit.
* The network-vs-sRF gap (HDR Remark 3.4.3: at alpha0 = Theta(1) the sRF is only an
  approximation of the network): G(d) = Y_network(d) - Y_sRF(d) (same settings, independent
  seeds), :func:`gap_table`.

Measured (d = 2000; max |z| over the 10 alphas; "pooled" = Y - theory +- SE)::

    setting                     seeds  max|z|  pooled            bias(2000)
    sRF   g=tanh a0=2 (beta=1)   80     1.3    +0.0002 +- 0.0005
    net   g=tanh a0=2            80     2.0    +0.0004 +- 0.0006  0.0007 (b = +0.03 +- 0.06)
    sRF   g=sin  a0=2            80     1.8    +0.0006 +- 0.0005
    net   g=sin  a0=2            80     1.3    +0.0001 +- 0.0006  0.0028 (b = +0.13 +- 0.06)
    sRF   g=tanh a0=0.5          40     1.9    -0.0009 +- 0.0010
    net   g=tanh a0=0.5          40     4.0    +0.0052 +- 0.0012  0.0005 (b = +0.02 +- 0.12)
    sRF   beta=0.5 (tanh, a0=2)  20     1.4    +0.0007 +- 0.0010
    sRF   beta=2   (tanh, a0=2)  20     1.1    -0.0003 +- 0.0005

Gap G(d) = network - sRF, d = 500 / 1000 / 2000: alpha0 = 2, g = tanh: +0.0002 +- 0.0018,
-0.0010 +- 0.0011, +0.0003 +- 0.0007; g = sin: +0.0014 +- 0.0016, +0.0009 +- 0.0011,
-0.0005 +- 0.0008 (no gap resolved at any d). alpha0 = 0.5, g = tanh: +0.0063 +- 0.0034,
+0.0086 +- 0.0030, +0.0060 +- 0.0016: the network is ~2% above the sRF and its theory, and the
gap does NOT shrink from d = 500 to 2000 (per alpha at d = 2000: +0.0058 at alpha = 0.2, z =
4.0; +0.0023 at alpha = 3, z = 2.8; the theory at the measured (r, c, gamma) instead of the
predicted ones moves by < 0.001). The authors' own stored simulations at this setting
(Simulations.ipynb, alpha0 = 0.5, 3 seeds) lie above the sRF theory by the same amount
(alpha = 0.2: 0.2944 vs 0.2842; alpha = 3: 0.1445 vs 0.1409). The single-feature conditional
moments of the network's W1 do follow the cGET (tests/test_cge.py): what the sRF misses is in
the joint structure of the bulk (the step's rank-n0 anisotropic part).
beta = 0.5: the sRF's alpha-averaged excess over the theory is +0.0065 +- 0.0015, +0.0025 +-
0.0013, +0.0007 +- 0.0010 at d = 500, 1000, 2000 (a finite-size effect, shrinking); beta = 2:
+0.0010 +- 0.0007, +0.0003 +- 0.0005, -0.0003 +- 0.0005 (at 10 seeds, d = 2000 had -0.0016 +-
0.0008 and max |z| = 2.8; the stored 20 give 1.1).
The sRF's own finite-size excess at small alpha (alpha = 0.2, g = tanh: +0.0039 +- 0.0011,
+0.0010 +- 0.0009, +0.0006 +- 0.0005 at d = 500, 1000, 2000) shrinks with d. Note: at 40 seeds
(d = 2000) the g = sin sRF had z = 3.1 at alpha = 0.2 (+0.0027 +- 0.0009); the stored 80 seeds
(the first 40 included) give z = 1.8.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest

import theory
from theory.simulate import predicted_map

DATA = Path(__file__).parent / "reference" / "one_step_network"
D_MAIN = 2000


def _load(name: str) -> dict:
    path = DATA / name
    if not path.exists():
        pytest.fail(f"{name} not stored (run tests/reference/one_step_network/make.py)")
    with open(path) as fh:
        return json.load(fh)


def _run(doc: dict, d: int, beta: float = 1.0) -> dict:
    for run in doc["runs"]:
        if run["d"] == d and run.get("beta", 1.0) == beta:
            return run
    raise KeyError((d, beta))


@cache
def _theory(activation: str, target: str, lam: float, beta: float, r: float, c: float,
            gamma: float, alphas: tuple) -> np.ndarray:
    out = []
    for a in alphas:
        # tol 1e-8: far below the simulations' standard errors (>= 5e-4)
        res = theory.solve("spiked_rf", tol=1e-8, alpha=a, lam=lam, beta=beta, r=r, c=c,
                           gamma=gamma, activation=activation, target=target)
        assert res.converged and res.observable_errors["test_error"] < 1e-6, (a, res.message)
        out.append(res.observables["test_error"])
    return np.asarray(out, float)


def _rcg(settings: dict) -> tuple:
    if "r" in settings:
        return settings["r"], settings["c"], settings["gamma"]
    pm = predicted_map(eta_tilde=settings["eta_tilde"], alpha0=settings["alpha0"],
                       activation=settings["activation"], target=settings["target"])["code"]
    return pm["r"], pm["c"], pm["gamma"]


def theory_curve(doc: dict, run: dict) -> np.ndarray:
    """The model's test error at the run's alphas (same settings, r, c, gamma)."""
    s = doc["settings"]
    return _theory(s["activation"], s["target"], s["lam"], run.get("beta", 1.0), *_rcg(s),
                   tuple(run["alpha"]))


def pooled(run: dict, values=None) -> tuple[float, float]:
    """Mean over the alpha grid of the test error (or of ``values``, subtracted), with its SE.

    The alphas of one seed share W, the test set and nested readout samples, so they are
    correlated: the average over alpha is formed per seed, then its mean and standard error
    over the (independent) seeds.
    """
    per = np.asarray(run["test_error_per_seed"], float)  # (alphas, seeds)
    if values is not None:
        per = per - np.asarray(values, float)[:, None]
    y = per.mean(axis=0)
    return float(y.mean()), float(y.std(ddof=1) / math.sqrt(len(y)))


def finite_size_slope(doc: dict) -> tuple[float, float]:
    """b and its standard error in Y(d) = A + b / sqrt(d), Y the alpha-averaged test error.

    Weighted least squares (weights 1/SE^2) over the stored sizes of :func:`pooled`; only
    differences between sizes determine b (the theory does not enter).
    """
    pts = [(1 / math.sqrt(r["d"]), *pooled(r)) for r in doc["runs"] if r.get("beta", 1.0) == 1]
    x, y, se = (np.array(v) for v in zip(*pts))
    w = 1 / se**2
    xb, yb = (w * x).sum() / w.sum(), (w * y).sum() / w.sum()
    den = float((w * (x - xb) ** 2).sum())
    return float((w * (x - xb) * (y - yb)).sum()) / den, 1 / math.sqrt(den)


def gap_table(net: dict, srf: dict) -> list[tuple[int, float, float]]:
    """(d, G, SE of G): alpha-averaged network minus alpha-averaged sRF test error at each d
    (independent seeds)."""
    out = []
    for rn in net["runs"]:
        try:
            rs = _run(srf, rn["d"])
        except KeyError:
            continue
        (yn, sn), (ys, ss) = pooled(rn), pooled(rs)
        out.append((rn["d"], yn - ys, math.hypot(sn, ss)))
    return sorted(out)


SRF_FILES = ["srf_tanh_a2.json", "srf_sin_a2.json", "srf_tanh_a05.json"]
NET_FILES = ["network_tanh_a2.json", "network_sin_a2.json"]


@pytest.mark.parametrize("name", SRF_FILES)
def test_srf_simulation_matches_theory_beta1(name):
    doc = _load(name)
    run = _run(doc, D_MAIN)
    th = theory_curve(doc, run)
    sim, se = np.asarray(run["test_error"]), np.asarray(run["test_error_se"])
    assert len(run["alpha"]) >= 8 and run["seeds"] >= 5
    z = (sim - th) / se
    assert np.all(np.abs(z) < 3), dict(zip(run["alpha"], z.round(2)))


@pytest.mark.parametrize("beta", [0.5, 2.0])
def test_srf_simulation_matches_theory_beta(beta):
    doc = _load("srf_beta.json")
    run = _run(doc, D_MAIN, beta)
    th = theory_curve(doc, run)
    sim, se = np.asarray(run["test_error"]), np.asarray(run["test_error_se"])
    assert len(run["alpha"]) >= 6 and run["seeds"] >= 5 and run["p"] == round(beta * D_MAIN)
    z = (sim - th) / se
    assert np.all(np.abs(z) < 3), dict(zip(run["alpha"], z.round(2)))


@pytest.mark.parametrize("name", NET_FILES)
def test_network_after_one_step_matches_theory(name):
    doc = _load(name)
    run = _run(doc, D_MAIN)
    th = theory_curve(doc, run)
    b, _ = finite_size_slope(doc)
    bias = abs(b) / math.sqrt(D_MAIN)
    sim, se = np.asarray(run["test_error"]), np.asarray(run["test_error_se"])
    assert len(run["alpha"]) >= 8 and run["seeds"] >= 5
    dev = np.abs(sim - th)
    assert np.all(dev < 3 * se + bias), dict(zip(run["alpha"], (dev / (3 * se + bias)).round(2)))


def _pooled_vs_theory(doc: dict, run: dict) -> tuple[float, float]:
    return pooled(run, theory_curve(doc, run))


def test_alpha0_2_no_network_srf_gap_resolved():
    """alpha0 = 2 (g = tanh and sin): the alpha-averaged gap G(d) = network - sRF is within 3
    standard errors of 0 at every d, and the network's alpha-averaged distance to the theory
    is below 3 SE + bias at d = 2000 (numbers in the module docstring)."""
    for nf, sf in (("network_tanh_a2.json", "srf_tanh_a2.json"),
                   ("network_sin_a2.json", "srf_sin_a2.json")):
        net, srf = _load(nf), _load(sf)
        for d, G, se in gap_table(net, srf):
            assert abs(G) < 3 * se, (nf, d, G, se)
        b, _ = finite_size_slope(net)
        dev, se = _pooled_vs_theory(net, _run(net, D_MAIN))
        assert abs(dev) < 3 * se + abs(b) / math.sqrt(D_MAIN), (nf, dev, se, b)


def test_alpha0_half_network_is_above_the_srf_at_every_d():
    """alpha0 = 0.5 (g = tanh, lam = 0.01): the sRF simulation agrees with the theory, the
    network after one step does NOT: its test error is above the sRF theory (and above the
    simulated sRF) at every d, by a margin that does not shrink from d = 500 to the largest d
    stored (HDR Remark 3.4.3: at alpha0 = Theta(1) the bulk of W1 has anisotropic corrections
    that the sRF omits; the conditional moments of single features do agree, tests/test_cge.py).
    This is a measured limitation of the sRF as a model of the network, stated, not hidden:
    the per-alpha criterion 3 SE + bias fails at d = 2000 (checked below)."""
    net, srf = _load("network_tanh_a05.json"), _load("srf_tanh_a05.json")
    for run in srf["runs"]:
        dev, se = _pooled_vs_theory(srf, run)
        assert abs(dev) < 3 * se, ("srf", run["d"], dev, se)
    devs = {}
    for run in net["runs"]:
        dev, se = _pooled_vs_theory(net, run)
        devs[run["d"]] = (dev, se)
        assert dev > 2 * se, ("network", run["d"], dev, se)
    dmin, dmax = min(devs), max(devs)
    assert devs[dmax][0] > 0.5 * devs[dmin][0]  # not shrinking
    run = _run(net, D_MAIN)
    th = theory_curve(net, run)
    b, _ = finite_size_slope(net)
    lim = 3 * np.asarray(run["test_error_se"]) + abs(b) / math.sqrt(D_MAIN)
    assert np.any(np.abs(np.asarray(run["test_error"]) - th) > lim)


def test_srf_beta_half_converges_to_the_theory():
    """beta = 0.5: the sRF simulation's alpha-averaged excess over the theory shrinks with d
    (a finite-size effect, resolved at d = 500) and is within 3 SE at d = 2000 (numbers in the
    module docstring)."""
    doc = _load("srf_beta.json")
    devs = sorted((run["d"], *_pooled_vs_theory(doc, run)) for run in doc["runs"]
                  if run["beta"] == 0.5)
    assert [d for d, _, _ in devs] == [500, 1000, 2000]
    assert devs[0][1] > devs[1][1] > devs[2][1]
    assert abs(devs[-1][1]) < 3 * devs[-1][2]
