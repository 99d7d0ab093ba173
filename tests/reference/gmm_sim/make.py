"""Make the stored Gaussian-mixture simulations of tests/test_gmm_theory_vs_sim.py.

Runs :mod:`theory.simulate.gmm` (the finite-size ERM and the LP separability check; it does not
import :mod:`theory.models`) at the reference settings of the session spec (coord/SPEC.md,
issue 12): d = 1000, 10 seeds, 9 values of alpha in [0.3, 5] per setting, and the separable
fraction at d = 400 for K = 2..5, Delta = 0.5 and 1. Each finished seed is cached (atomic
writes) in ``$GMM_SIM_CACHE`` (default ``.gmm_cache`` at the repository root), so a killed run
resumes; each setting's JSON is (re)written when it finishes.

Usage (from the repository root)::

    OMP_NUM_THREADS=1 nice -n 10 python tests/reference/gmm_sim/make.py curves [NAME ...]
    OMP_NUM_THREADS=1 nice -n 10 python tests/reference/gmm_sim/make.py separability [K ...]
"""

from __future__ import annotations

import json
import os
import sys
import time

from theory.simulate.gmm import (separability_crossings, simulate_gmm_binary,
                                 simulate_gmm_multiclass)

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("GMM_SIM_CACHE", os.path.join(HERE, "..", "..", "..", ".gmm_cache"))
ALPHAS = [0.3, 0.5, 0.8, 1.2, 1.7, 2.3, 3.0, 4.0, 5.0]
D, SEEDS = 1000, 10

#: name -> (simulator, keyword arguments); ordered cheapest first
CURVES = {
    "bin_square_l2": ("binary", dict(loss="square", penalty="l2", lam=0.1, Delta=0.5)),
    "sparse_square_l2": ("binary", dict(loss="square", penalty="l2", lam=0.05, Delta=0.1,
                                        means="sparse", rho_s=0.1)),
    "k3_square": ("multi", dict(K=3, loss="square", lam=0.1, Delta=0.5)),
    "sparse_square_l1": ("binary", dict(loss="square", penalty="l1", lam=0.05, Delta=0.1,
                                        means="sparse", rho_s=0.1)),
    "bin_logistic_l2": ("binary", dict(loss="logistic", penalty="l2", lam=0.01, Delta=0.5)),
    "k3_cross_entropy": ("multi", dict(K=3, loss="cross_entropy", lam=0.1, Delta=0.5)),
    "bin_hinge_l2": ("binary", dict(loss="hinge", penalty="l2", lam=0.1, Delta=0.5, rho=0.8)),
    "k3_cross_entropy_lam0.01": ("multi", dict(K=3, loss="cross_entropy", lam=0.01,
                                               Delta=0.5)),
}

#: separability (per-instance critical ratio by LP bisection, separability_crossings): d per K
#: (d = 400 costs 10-40 s per LP at K = 2 on this 2-core machine, minutes at K = 5; the sizes
#: below keep the whole run under an hour), instances per (K, Delta), bisection resolution
SEPARABILITY_D = {2: 100, 3: 100, 4: 50, 5: 50}
SEPARABILITY_INSTANCES = 12
SEPARABILITY_RESOLUTION = 2
SEPARABILITY_DELTAS = tuple(float(x) for x in
                            os.environ.get("GMM_SEP_DELTAS", "0.5,1").split(","))


def _write(name: str, obj: dict) -> None:
    path = os.path.join(HERE, f"{name}.json")
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as fh:
        json.dump(obj, fh, indent=1, sort_keys=True)
    os.replace(tmp, path)


def curves(names) -> None:
    for name in names:
        kind, kw = CURVES[name]
        fn = simulate_gmm_binary if kind == "binary" else simulate_gmm_multiclass
        t0 = time.time()
        sims = fn(alpha=ALPHAS, d=D, seeds=SEEDS, cache=CACHE, progress=True, **kw)
        pts = [{"alpha": s.settings["alpha"], "n": s.settings["n"],
                "observables": s.observables, "per_seed": s.per_seed} for s in sims]
        _write(name, {"setting": name, "simulator": fn.__name__,
                      "arguments": {**kw, "d": D, "seeds": SEEDS, "seed": 0},
                      "settings": {k: v for k, v in sims[0].settings.items()
                                   if k not in ("alpha", "n")},
                      "points": pts, "seconds": time.time() - t0,
                      "made_by": "tests/reference/gmm_sim/make.py curves"})
        print(f"{name}: {time.time() - t0:.0f} s", flush=True)


def separability(ks) -> None:
    """-> separability_K{K}_Delta{Delta}.json: the critical alpha of each instance."""
    for K in ks:
        for Delta in SEPARABILITY_DELTAS:
            t0 = time.time()
            d = SEPARABILITY_D[K]
            sim = separability_crossings(d=d, K=K, Delta=Delta,
                                         instances=SEPARABILITY_INSTANCES,
                                         resolution=SEPARABILITY_RESOLUTION, cache=CACHE,
                                         progress=True)
            _write(f"separability_K{K}_Delta{Delta:g}",
                   {"K": K, "Delta": Delta, "d": d, "rho": "uniform", "means": "simplex",
                    "instances": SEPARABILITY_INSTANCES,
                    "resolution": SEPARABILITY_RESOLUTION,
                    "alpha_c": sim.per_seed["alpha_c"],
                    "median": sim.observables["median"],
                    "mean": sim.observables["alpha_c"], "seconds": time.time() - t0,
                    "made_by": "tests/reference/gmm_sim/make.py separability"})
            print(f"separability K={K} Delta={Delta}: {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "curves"
    if what == "curves":
        curves(sys.argv[2:] or list(CURVES))
    else:
        separability([int(k) for k in sys.argv[2:]] or [2, 3, 4, 5])
