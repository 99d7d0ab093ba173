"""What a Gaussian-mixture theory curve replaces: the d = 1000 simulation (issue 12, speed).

    OMP_NUM_THREADS=1 python benchmarks/bench_gmm_sim.py   # writes benchmarks/results/gmm_sim_speed.md

For each reference setting of the stored simulations (tests/reference/gmm_sim/make.py: K = 2
square / logistic / hinge with l2, sparse means with l1, K = 3 square / cross-entropy), one fit
of :mod:`theory.simulate.gmm` at d = 1000 (one seed, fresh data, no cache) at alpha = 0.5, 2
and 5 (n = 500, 2000, 5000), its wall time, and the extrapolated cost of the stored 9-alpha x
10-seed points; next to it the wall time of the 50-point theory curve (``theory.models.curve``
over alpha in [0.3, 5]) of the same setting, for the curve times of the model owners
(benchmarks/results/gmm_binary_speed.md, gmm_multiclass_speed.md).

One run on one shared, noisy machine (2 cores; the load average is recorded in the header).
Speed is never asserted in tests.
"""

from __future__ import annotations

import os
import pathlib
import platform
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from theory.models import curve  # noqa: E402
from theory.simulate.gmm import simulate_gmm_binary, simulate_gmm_multiclass  # noqa: E402

SETTINGS = [
    ("K=2 square l2", "gmm_binary", dict(loss="square", penalty="l2", lam=0.1, Delta=0.5)),
    ("K=2 logistic l2", "gmm_binary", dict(loss="logistic", penalty="l2", lam=0.01, Delta=0.5)),
    ("K=2 hinge l2", "gmm_binary", dict(loss="hinge", penalty="l2", lam=0.1, Delta=0.5,
                                        rho=0.8)),
    ("K=2 sparse square l1", "gmm_binary", dict(loss="square", penalty="l1", lam=0.05,
                                                Delta=0.1, means="sparse", rho_s=0.1)),
    ("K=3 square", "gmm_multiclass", dict(K=3, loss="square", lam=0.1, Delta=0.5)),
    ("K=3 cross-entropy", "gmm_multiclass", dict(K=3, loss="cross_entropy", lam=0.1,
                                                 Delta=0.5)),
]
ALPHAS = (0.5, 2.0, 5.0)
STORED_ALPHAS = [0.3, 0.5, 0.8, 1.2, 1.7, 2.3, 3.0, 4.0, 5.0]


def main() -> None:
    rows = []
    for label, model, kw in SETTINGS:
        sim = simulate_gmm_binary if model == "gmm_binary" else simulate_gmm_multiclass
        times = []
        for a in ALPHAS:
            t0 = time.perf_counter()
            sim(alpha=a, d=1000, seeds=1, seed=12345, **kw)
            times.append(time.perf_counter() - t0)
        # the stored points: fit time roughly linear in n between the measured alphas
        per = np.interp(STORED_ALPHAS, ALPHAS, times)
        t0 = time.perf_counter()
        c = curve(model, "alpha", np.geomspace(0.3, 5.0, 50), **kw)
        tc = time.perf_counter() - t0
        rows.append((label, times, 10 * per.sum(), tc, all(p.converged for p in c.points)))
        print(label, [f"{t:.2f}" for t in times], f"{10 * per.sum():.0f} s", f"{tc:.2f} s",
              flush=True)
    load = os.getloadavg()
    lines = ["# Speed: the d = 1000 simulation a Gaussian-mixture curve replaces", "",
             f"`python benchmarks/bench_gmm_sim.py`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
             f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load "
             f"average {load[0]:.1f} (other jobs running: times are upper bounds), "
             "OMP_NUM_THREADS=" + os.environ.get("OMP_NUM_THREADS", "unset") + ".", "",
             "One fit = one seed at one alpha (data, solver to a KKT residual < 1e-6 per "
             "sample, observables). 'stored points' = 9 alphas x 10 seeds (the "
             "tests/reference/gmm_sim runs), interpolated from the three measured alphas. "
             "'theory curve' = `theory.models.curve` over 50 alphas in [0.3, 5].", "",
             "| setting | fit at alpha = 0.5 (s) | alpha = 2 (s) | alpha = 5 (s) | "
             "stored points, 90 fits (s) | theory curve, 50 points (s) |",
             "|---|---|---|---|---|---|"]
    for label, t, tot, tc, ok in rows:
        lines.append(f"| {label} | {t[0]:.2f} | {t[1]:.2f} | {t[2]:.2f} | {tot:.0f} | "
                     f"{tc:.2f}{'' if ok else ' (not all converged)'} |")
    out = ROOT / "benchmarks" / "results" / "gmm_sim_speed.md"
    out.write_text("\n".join(lines) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
