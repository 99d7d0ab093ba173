"""Stored finite-size simulations for tests/test_simulation.py (theory vs simulation of the
random-features models rf_ridge and rf_convex).

Independent of the code under test (the replica equations of theory.models.rf_ridge and
theory.models.rf_convex): it uses only the finite-size simulator
theory.simulate.random_features.simulate_random_features (NumPy linear algebra, scipy
optimisers), with the model's ``simulation(p, d)`` keyword map (its parameter names -> the
simulator's). Each record: the model, the parameters as given, whether the features are the
Gaussian equivalent, and per observable the mean and standard error over the seeds.

Settings (the ones tests/test_simulation.py asserts on): d = 1000, 10 seeds, 2000 test points;
rf_ridge psi2 = 1.2, lam = 5e-3, Fstar = 0.3, Delta = 0.09 at 10 psi1 in [0.2, 2]; rf_convex
logistic, sign teacher, gamma = 1, lam = 1e-2 at 10 alpha in [0.3, 2.5]; the Gaussian-equivalent
features at 3 of each; hinge (sign teacher, lam = 0.1) and square (tanh teacher, Delta = 0.1,
lam = 0.05) at gamma = 1.

Run (a few minutes on two cores; seeds cached in CACHE, default /tmp/rf_sim_cache):
  OMP_NUM_THREADS=1 nice -n 10 python tests/reference/rf_simulations/make.py [GROUP ...]
GROUP: ridge, logistic, ge, other (default: all). Writes rf_simulations.json next to this file
(merged with what is there).
"""

from __future__ import annotations

import datetime
import json
import platform
import sys
from pathlib import Path

import numpy as np

from theory.models.base import get_model, make_params
from theory.simulate.random_features import simulate_random_features

OUT = Path(__file__).with_name("rf_simulations.json")
D, SEEDS, NTEST = 1000, 10, 2000
RIDGE = dict(psi2=1.2, lam=5e-3, Fstar=0.3, Delta=0.09)
RIDGE_GRID = [float(v) for v in np.linspace(0.2, 2.0, 10)]
LOGI = dict(gamma=1.0, lam=1e-2, loss="logistic", teacher="sign")
LOGI_GRID = [float(v) for v in np.linspace(0.3, 2.5, 10)]
OTHER = [dict(loss="hinge", teacher="sign", lam=0.1, gamma=1.0, alpha=0.5),
         dict(loss="hinge", teacher="sign", lam=0.1, gamma=1.0, alpha=1.5),
         dict(loss="hinge", teacher="sign", lam=0.1, gamma=1.0, alpha=3.0),
         dict(loss="square", teacher="tanh", lam=0.05, gamma=1.0, alpha=0.5, Delta=0.1),
         dict(loss="square", teacher="tanh", lam=0.05, gamma=1.0, alpha=2.0, Delta=0.1)]


def settings(group):
    if group == "ridge":
        return [("rf_ridge", {**RIDGE, "psi1": v}, False) for v in RIDGE_GRID]
    if group == "logistic":
        return [("rf_convex", {**LOGI, "alpha": v}, False) for v in LOGI_GRID]
    if group == "ge":
        return ([("rf_ridge", {**RIDGE, "psi1": RIDGE_GRID[i]}, True) for i in (1, 5, 9)]
                + [("rf_convex", {**LOGI, "alpha": LOGI_GRID[i]}, True) for i in (1, 5, 9)])
    if group == "other":
        return [("rf_convex", dict(p), False) for p in OTHER]
    raise SystemExit(f"unknown group {group}")


def key(model, params, ge):
    return json.dumps([model, sorted((k, v) for k, v in params.items()), bool(ge)])


def main(groups, cache="/tmp/rf_sim_cache"):
    data = json.loads(OUT.read_text()) if OUT.exists() else {"records": {}}
    data.update({"d": D, "seeds": SEEDS, "n_test": NTEST, "made_by": "make.py",
                 "machine": f"{platform.processor() or platform.machine()}, "
                            f"{platform.python_version()}",
                 "date": datetime.date.today().isoformat()})
    for g in groups:
        for model, params, ge in settings(g):
            m = get_model(model)
            p = make_params(m, params)
            sim = simulate_random_features(**m.simulation(p, D), seeds=SEEDS, n_test=NTEST,
                                           gaussian_equivalent=ge, cache=cache)
            data["records"][key(model, params, ge)] = {
                "model": model, "params": params, "gaussian_equivalent": ge,
                "observables": {k: [float(a), float(b)] for k, (a, b) in
                                sim.observables.items()}}
            OUT.write_text(json.dumps(data, indent=1, sort_keys=True))
            print(model, params, ge, sim.observables.get("test_error"), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["ridge", "logistic", "ge", "other"])
