"""Simulation data for the sRF theory comparisons (issue 10): the network after one giant step
and the spiked random-features model itself, test error against alpha.

Independent of the code under test (the sRF theory model theory.models.spiked_rf): it uses
only the finite-size simulators theory.simulate.one_step.simulate_one_step and
theory.simulate.spiked_rf.simulate_spiked_rf (NumPy linear algebra) and the (r, c, gamma) map
predicted_map (Hermite coefficients; the map checked against the simulated W1 in
tests/test_one_step_sim.py).

Writes next to this file (one JSON per group, rewritten after each finished run):
  network_<name>.json  the network after one step (Figure 2 of arXiv:2402.04980v2: sigma = tanh,
                       eta_tilde = 1; g = tanh, lam = 0.01 and g = sin, lam = 0.1), at
                       d = 500, 1000, 2000 (finite-size bias), measured spike (r, c, gamma)
  srf_<name>.json      the sRF at predicted_map's (r, c, gamma) of the same settings, beta = 1,
                       d = 500, 1000, 2000
  srf_beta.json        the sRF at beta = 0.5 and 2 (g = tanh, lam = 0.01, alpha0 = 2 mapped),
                       d = 500, 1000, 2000
  network_tanh_a05.json, srf_tanh_a05.json  g = tanh, lam = 0.01 at alpha0 = 0.5
Per alpha: mean and standard error over seeds of the test error (and the other observables),
per-seed values. Alphas of one seed share one W, one test set and nested readout samples.

Run (minutes; one BLAS thread, niced, seeds cached in CACHE):
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 nice -n 10 \
      python tests/reference/one_step_network/make.py [CACHE [main,beta,a05,d4000]]
(d4000: g = tanh at alpha0 = 0.5 and 2 also at d = 4000; not in the stored files.) Seeds at
d = 500, 1000, 2000: 40, 40, 80 (alpha0 = 2), 40, 20, 40 (alpha0 = 0.5), 40, 20, 20 (beta != 1).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import time

import numpy as np

from theory.simulate.one_step import predicted_map, simulate_one_step
from theory.simulate.spiked_rf import simulate_spiked_rf

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = sys.argv[1] if len(sys.argv) > 1 else "/tmp/srfsim_cache"
ALPHAS = [0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0]
SEEDS = {4000: 6, 2000: 80, 1000: 40, 500: 40}
SEEDS_A05 = {500: 40, 1000: 20, 2000: 40}
SEEDS_BETA = {500: 40, 1000: 20, 2000: 20}
N_TEST = 5000

SETTINGS = {  # name -> network settings (sigma = tanh, eta_tilde = 1)
    "tanh_a2": dict(target="tanh", lam=0.01, alpha0=2.0),
    "sin_a2": dict(target="sin", lam=0.1, alpha0=2.0),
    "tanh_a05": dict(target="tanh", lam=0.01, alpha0=0.5),
}
ETA = 1.0
ACT = "tanh"


def machine() -> dict:
    cfg = {}
    try:
        from threadpoolctl import threadpool_info

        cfg = {"blas": [{k: i.get(k) for k in ("internal_api", "num_threads", "version")}
                        for i in threadpool_info()]}
    except ImportError:
        pass
    return {"platform": platform.platform(), "processor": platform.processor(),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"), **cfg}


def summary(sims, d, seeds, seconds, extra_obs=()) -> dict:
    names = ["test_error", "train_loss", "q_a", *extra_obs]
    fresh = seeds - sims[0].cached
    out = {"d": d, "p": sims[0].settings["p"], "seeds": seeds, "seconds": round(seconds, 2),
           "cached_seeds": sims[0].cached,
           "seconds_per_seed": round(seconds / fresh, 2) if fresh else None, "alpha": [s.settings["alpha"] for s in sims],
           "n": [s.settings["n"] for s in sims]}
    for k in names:
        out[k] = [s.mean(k) for s in sims]
        out[k + "_se"] = [s.se(k) for s in sims]
        out[k + "_per_seed"] = [s.per_seed[k] for s in sims]
    return out


def write(name, doc):
    path = os.path.join(HERE, name)
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(doc, fh, separators=(",", ":"))
    os.replace(tmp, path)


def header(kind, settings):
    return {"kind": kind, "script": "tests/reference/one_step_network/make.py",
            "paper": "Cui et al., arXiv:2402.04980v2 (Fig. 2 parameters; Definition 3.1)",
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "machine": machine(), "n_test": N_TEST, "settings": settings, "runs": []}


def existing(fname, kind, settings):
    """The stored group (runs kept and replaced by (d, beta)) or a fresh header."""
    path = os.path.join(HERE, fname)
    if os.path.exists(path):
        with open(path) as fh:
            doc = json.load(fh)
        if doc.get("settings") == settings:
            doc["machine"] = machine()
            return doc
    return header(kind, settings)


def put(doc, run):
    key = (run["d"], run.get("beta", 1.0))
    old = [r for r in doc["runs"] if (r["d"], r.get("beta", 1.0)) == key]
    if run["seconds_per_seed"] is None and old:  # all seeds cached: keep the measured time
        o = old[0]
        fresh = o["seeds"] - o["cached_seeds"]
        run["seconds_per_seed"] = o.get("seconds_per_seed") or (
            round(o["seconds"] / fresh, 2) if fresh else None)
        if o["seeds"] == run["seeds"]:
            run["seconds"], run["cached_seeds"] = o["seconds"], o["cached_seeds"]
    doc["runs"] = [r for r in doc["runs"] if (r["d"], r.get("beta", 1.0)) != key] + [run]
    doc["runs"].sort(key=lambda r: (r.get("beta", 1.0), r["d"]))
    doc["updated"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def network(name, ds, seeds=None):
    kw = SETTINGS[name]
    fname = f"network_{name}.json"
    doc = existing(fname, "network", {"activation": ACT, "eta_tilde": ETA, "beta": 1.0,
                                      "Delta": 0.0, **kw})
    for d in ds:
        t0 = time.perf_counter()
        ns = (seeds or SEEDS)[d]
        sims = simulate_one_step(d=d, alpha=ALPHAS, eta_tilde=ETA, activation=ACT,
                                 seeds=ns, n_test=N_TEST, cache=CACHE, progress=True, **kw)
        run = summary(sims, d, ns, time.perf_counter() - t0)
        for k in ("r", "c", "gamma", "c_spread", "u_overlap"):
            run["spike_" + k] = [sims[0].mean(k), sims[0].se(k)]
        put(doc, run)
        write(fname, doc)
        print(f"network {name} d={d}: {run['seconds']} s", flush=True)


def srf(name, ds, beta=1.0, fname=None, seeds=None):
    kw = dict(SETTINGS[name])
    alpha0 = kw.pop("alpha0")
    pm = predicted_map(eta_tilde=ETA, alpha0=alpha0, activation=ACT, target=kw["target"])
    rcg = {k: pm["code"][k] for k in ("r", "c", "gamma")}
    fname = fname or f"srf_{name}.json"
    doc = existing(fname, "spiked_rf", {"activation": ACT, "Delta": 0.0, **kw, **rcg,
                                        "mapped_from": {"eta_tilde": ETA, "alpha0": alpha0}})
    for d in ds:
        t0 = time.perf_counter()
        ns = (seeds or SEEDS)[d]
        sims = simulate_spiked_rf(d=d, alpha=ALPHAS, beta=beta, activation=ACT,
                                  seeds=ns, n_test=N_TEST, cache=CACHE, progress=True,
                                  **kw, **rcg)
        run = summary(sims, d, ns, time.perf_counter() - t0,
                      extra_obs=("m", "zeta", "psi", "q1", "q2"))
        run["beta"] = beta
        put(doc, run)
        write(fname, doc)
        print(f"srf {name} beta={beta} d={d}: {run['seconds']} s", flush=True)


if __name__ == "__main__":
    t0 = time.perf_counter()
    which = sys.argv[2].split(",") if len(sys.argv) > 2 else ["main", "beta", "a05"]
    if "main" in which:
        for nm in ("tanh_a2", "sin_a2"):
            srf(nm, [500, 1000, 2000])
        for nm in ("tanh_a2", "sin_a2"):
            network(nm, [500, 1000, 2000])
    if "beta" in which:
        for b in (0.5, 2.0):
            srf("tanh_a2", [500, 1000, 2000], beta=b, fname="srf_beta.json", seeds=SEEDS_BETA)
    if "a05" in which:
        network("tanh_a05", [500, 1000, 2000], seeds=SEEDS_A05)
        srf("tanh_a05", [500, 1000, 2000], seeds=SEEDS_A05)
    if "d4000" in which:
        for nm in ("tanh_a05", "tanh_a2"):
            network(nm, [4000])
            srf(nm, [4000])
    print(f"total {time.perf_counter() - t0:.0f} s", flush=True)
