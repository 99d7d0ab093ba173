"""Speed of the sweep executors on a 40-task simulation sweep (issue 13, "Speed").

    python benchmarks/bench_sweep.py [--repeat R] [--d D]   # writes benchmarks/results/sweep_speed.md

The sweep: ``kind = "simulate"``, model ``rf_ridge`` (psi1 = 2, lam = 1e-3, relu), psi2 on
10 values in [0.5, 3], 4 seeds, d = 1000: 40 tasks of one seed each (N = 2000 features,
n = 500..3000 samples, 0.5-1.2 s each on one core). The same spec runs, each time into a fresh
store (nothing to resume), with

* the serial executor (in this process),
* ``workers=1`` (one local worker process; its BLAS may use every core),
* ``workers=2`` (two worker processes, BLAS limited to cores // 2 threads each),

in an interleaved order (serial, 1, 2, 2, 1, serial, ...) ``--repeat`` times; the table reports
the fastest of each. The wall time includes starting the workers (spawn: each one imports
``theory``) and committing the 40 entries to the store. The rows of the three runs are compared
(the simulations are seeded: the same seed gives the same numbers on every executor).

The machine is shared: 2 cores with other agents' jobs, so the 1-minute load average before and
after each run is recorded; a ratio measured while other jobs take a core is low for that
reason. Speed is never asserted in tests (this file is not collected by pytest).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from theory.sweep import load_spec, run_sweep  # noqa: E402

OUT = ROOT / "benchmarks" / "results"


def spec(d: int) -> dict:
    """The 40-task sweep."""
    return {"kind": "simulate", "model": "rf_ridge", "vary": "psi2",
            "fixed": {"psi1": 2.0, "lam": 1e-3}, "grid": {"psi2": "0.5:3:10"},
            "simulate": {"d": d, "seeds": 4}}


def one(executor: str, d: int, folder: pathlib.Path) -> dict:
    """Run the sweep once into a fresh store; wall time and load averages."""
    store = folder / f"{executor}.{time.time_ns()}.store"
    kw = {} if executor == "serial" else {"workers": int(executor.split("=")[1])}
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    res = run_sweep(load_spec({**spec(d), "store": str(store)}), store=store, progress=False,
                    **kw)
    wall = time.perf_counter() - t0
    load1 = os.getloadavg()
    if res.failed or res.computed != res.total:
        raise RuntimeError(f"{executor}: {res.computed}/{res.total} computed, failed "
                           f"{res.failed[:1]}")
    frame = res.frame().sort_values(["psi2", "seed"]).reset_index(drop=True)
    task_seconds = float(frame["seconds"].sum())
    return {"executor": executor, "wall": wall, "tasks": res.total, "task_seconds": task_seconds,
            "load_before": load0[0], "load_after": load1[0],
            "test_error": frame["test_error"].tolist()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2, help="interleaved rounds (default 2)")
    ap.add_argument("--d", type=int, default=1000, help="input dimension (default 1000)")
    ap.add_argument("--out", default=str(OUT / "sweep_speed.md"))
    a = ap.parse_args()
    import psutil

    start_load = os.getloadavg()
    busy = psutil.cpu_percent(interval=3.0)  # the whole machine, before this benchmark runs
    runs: list[dict] = []
    order = ["serial", "workers=1", "workers=2"]
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        for r in range(a.repeat):
            for ex in (order if r % 2 == 0 else order[::-1]):
                runs.append(one(ex, a.d, pathlib.Path(tmp)))
                x = runs[-1]
                print(f"{ex:>10}: {x['wall']:6.2f} s  (load {x['load_before']:.2f} -> "
                      f"{x['load_after']:.2f})", flush=True)
    best = {ex: min((x for x in runs if x["executor"] == ex), key=lambda x: x["wall"])
            for ex in order}
    ref = best["serial"]["test_error"]
    same = all(x["test_error"] == ref for x in runs)
    diff = max(abs(u - v) / abs(v) for x in runs for u, v in zip(x["test_error"], ref))
    ratio = best["workers=1"]["wall"] / best["workers=2"]["wall"]
    ratio_serial = best["serial"]["wall"] / best["workers=2"]["wall"]
    cores = os.cpu_count()
    env = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                          "MKL_NUM_THREADS")}
    lines = [
        "# Sweep executors: 40-task simulation sweep (issue 13)",
        "",
        f"`python benchmarks/bench_sweep.py --repeat {a.repeat} --d {a.d}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.machine()}, "
        f"{cores} cores, Python {platform.python_version()}; BLAS env {env}.",
        "",
        "The machine is **shared**: its 2 cores are used by other agents' jobs at the same "
        "time. Before the first run: load average (1, 5, 15 min) "
        f"{start_load[0]:.2f}, {start_load[1]:.2f}, {start_load[2]:.2f}; CPU busy over 3 s "
        f"{busy:.0f}% of 2 cores. The 1-minute load average before/after each run is in the "
        "tables; it includes this benchmark's own previous run (about 1 for serial and "
        "workers=1, 2 for workers=2), so values well above that mean another job took CPU "
        "during the run.",
        "",
        f"Sweep: rf_ridge simulations, psi1 = 2, lam = 1e-3, psi2 = 0.5:3:10, d = {a.d}, "
        "4 seeds -> 40 tasks (one seed each); fresh store per run; fastest of "
        f"{a.repeat} interleaved rounds.",
        "",
        "| executor | wall (s) | sum of task times (s) | load before -> after |",
        "|---|---:|---:|---|",
    ]
    for ex in order:
        x = best[ex]
        lines.append(f"| {ex} | {x['wall']:.2f} | {x['task_seconds']:.2f} | "
                     f"{x['load_before']:.2f} -> {x['load_after']:.2f} |")
    lines += [
        "",
        f"**workers=1 / workers=2 = {ratio:.2f}** (target >= 1.6 on 2 cores); "
        f"serial / workers=2 = {ratio_serial:.2f}.",
        "",
        f"Same numbers on every executor and run (test_error of all 40 rows): "
        f"{'bitwise' if same else f'largest relative difference {diff:.1e}'} (the same "
        "seeds; BLAS with a different thread count may sum in another order).",
        "",
        "All runs (in order):",
        "",
        "| executor | wall (s) | load before -> after |",
        "|---|---:|---|",
    ]
    lines += [f"| {x['executor']} | {x['wall']:.2f} | {x['load_before']:.2f} -> "
              f"{x['load_after']:.2f} |" for x in runs]
    text = "\n".join(lines) + "\n"
    pathlib.Path(a.out).write_text(text)
    pathlib.Path(a.out).with_suffix(".json").write_text(json.dumps(
        {"runs": [{k: v for k, v in x.items() if k != "test_error"} for x in runs],
         "ratio_w1_over_w2": ratio, "ratio_serial_over_w2": ratio_serial, "same": same, "max_rel_diff": diff,
         "d": a.d, "cores": cores}, indent=1))
    print(text)


if __name__ == "__main__":
    main()
