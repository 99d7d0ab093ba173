"""separability_threshold (issue 12, item 3): K = 2 against the independent 30-digit binary
formula (tests/reference/gmm_multi_separability_mp.py), limits, the K >= 3 QMC path against
the K = 2 closed form, bad input."""

import json
from pathlib import Path

import numpy as np
import pytest

from theory.errors import InputError
from theory.models.gmm_separability import (_threshold_sym, cone_distance2,
                                            separability_threshold)

REF = json.loads((Path(__file__).parent / "reference" / "gmm_multi_separability_mp.json")
                 .read_text())["values"]


@pytest.mark.parametrize("row", REF, ids=lambda r: f"D{r['Delta']}-rho{r['rho'][0]}-{r['means']}")
def test_two_clusters_against_the_binary_formula(row):
    a = separability_threshold(2, Delta=row["Delta"], rho=row["rho"], means=row["means"])
    ref = float(row["alpha_star"])
    assert abs(float(a) - ref) <= 1e-10 * ref
    assert abs(float(a) - ref) <= a.error + 1e-15 * ref


def test_cover_limit_and_growth_at_small_noise():
    assert abs(separability_threshold(2, Delta=1e8) - 2.0) <= 1e-6
    assert separability_threshold(2, Delta=0.05) > separability_threshold(2, Delta=0.5)


def test_qmc_path_reproduces_the_closed_form_at_K2():
    """The K-general code path (randomised QMC over the cone distance) at K = 2, simplex
    (Delta_eff = Delta/2), against the one-dimensional closed form: within 3 error bars."""
    for Delta in (0.5, 1.0):
        a = _threshold_sym(2, Delta / 2, log2n=12)
        exact = separability_threshold(2, Delta=Delta)
        assert abs(float(a) - float(exact)) <= 1.5 * a.error + 1e-12  # a.error = 2 s.e.


def test_cone_distance_against_brute_force():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((200, 4)) * 2
    d2 = cone_distance2(w)
    from scipy.optimize import minimize

    for i in range(0, 200, 25):
        cons = [{"type": "ineq", "fun": (lambda h, j=j: h[0] - h[j])} for j in range(1, 4)]
        r = minimize(lambda h, wi=w[i]: np.sum((h - wi) ** 2), w[i], constraints=cons,
                     method="SLSQP", options={"ftol": 1e-14, "maxiter": 500})
        assert abs(r.fun - d2[i]) <= 1e-7 * max(1, r.fun)


@pytest.mark.parametrize("kw,param", [
    ({"K": 1, "Delta": 1.0}, "K"), ({"K": 3, "Delta": 0.0}, "Delta"),
    ({"K": 3, "Delta": -1.0}, "Delta"), ({"K": 2, "Delta": 1.0, "rho": [0.5, 0.6]}, "rho"),
    ({"K": 2, "Delta": 1.0, "rho": [-0.5, 1.5]}, "rho"),
    ({"K": 3, "Delta": 1.0, "rho": [0.2, 0.3, 0.5]}, "rho"),
    ({"K": 2, "Delta": 1.0, "means": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}, "means"),
    ({"K": 2, "Delta": 1.0, "means": [[1, 2], [2, 1]]}, "means"),
    ({"K": 3, "Delta": 1.0, "means": "cube"}, "means")])
def test_bad_input(kw, param):
    K = kw.pop("K")
    with pytest.raises(InputError) as e:
        separability_threshold(K, **kw)
    assert e.value.param == param


@pytest.mark.parametrize("Delta,rho", [(0.5, 0.5), (1.0, 0.5), (0.5, 0.3), (2.0, 0.8), (0.1, 0.5)])
def test_two_clusters_against_gmm_binary(Delta, rho):
    """K = 2 simplex means (+-mu) against gmmbin's independent separability_threshold_binary."""
    from theory.models.gmm_binary import separability_threshold_binary

    ref = separability_threshold_binary(rho=rho, Delta=Delta)
    a = separability_threshold(2, Delta=Delta, rho=[rho, 1 - rho])
    assert abs(float(a) - ref) <= 1e-10 * ref


def test_stored_theory_values_are_the_current_code():
    """tests/test_gmm_theory_vs_sim.py compares the LP crossings (K >= 3) with the stored
    tests/reference/gmm_multi_separability_theory.json (~10 s per point live): the stored value
    must still be what separability_threshold computes (seeded QMC), so a change of the code
    cannot leave the simulation comparison checking a stale number."""
    vals = json.loads((Path(__file__).parent / "reference" /
                       "gmm_multi_separability_theory.json").read_text())["values"]
    row = next(v for v in vals if v["K"] == 3 and v["Delta"] == 1.0 and v["means"] == "simplex"
               and v["rho"] is None)
    got = separability_threshold(3, Delta=1.0)
    assert abs(float(got) - row["alpha_star"]) <= row["error"]
