"""Overhead of the results store (theory.store) per committed point (issue 13: < 5 ms).

    python benchmarks/bench_store.py [--n 1000]   # writes benchmarks/results/store_speed.md

For ``n`` entries of a typical sweep row (30 columns: parameters, order parameters,
observables and their error estimates, convergence flags, strings), in one run on one machine:

* ``Store.commit`` per point, with fsync (the file and its folder, as shipped), and with
  ``Store(fsync=False)`` (the store's own work), beside plain ``os`` calls writing the same
  bytes with the same two fsyncs (what fsync alone costs on this filesystem);
* ``Store.get`` per point (read + full validation: metadata, key, columns, checksum), and
  ``Store.frame()`` / ``Store.consolidate()`` over all ``n`` entries;
* baselines: ``json.dump`` + ``os.replace`` per point without fsync (the old seed cache), and
  pandas rewriting one whole Parquet file per point (the naive single-file store: O(n) per
  point), timed on the first 200 points and extrapolated to nothing.

The machine, its load and the filesystem are written in the header. Speed is never asserted
in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "results"


def row(i: int) -> dict:
    """A typical sweep row: 30 columns."""
    a = 0.1 + i / 100
    r = {"alpha": a, "lam": 1e-2, "psi1": 2.0, "psi2": 1.5, "Delta": 0.1, "activation": "relu"}
    for k, name in enumerate(("m", "q", "V", "mh", "qh", "Vh")):
        r[name] = (k + 1) * a / (1 + a)
    for k, name in enumerate(("test_error", "train_loss", "generalisation")):
        r[name] = 1 / (1 + a * (k + 1))
        r[f"err_{name}"] = 1e-12 * (k + 1)
    r.update({"converged": True, "failure": None, "message": "", "residual": 3.1e-13,
              "iterations": 17 + i % 5, "quadrature_error": 2e-14, "seconds": 0.0123,
              "worker": "host:1234", "seed": i, "version": "0.1.0", "code": "0123456789abcdef",
              "kind": "curve"})
    return r


def _per_point(seconds: float, n: int) -> float:
    return 1e3 * seconds / n


def bench(n: int) -> dict:
    from theory.store import Store, task_key

    res = {}
    base = pathlib.Path(tempfile.mkdtemp(prefix="bench_store_", dir=ROOT / "benchmarks"))
    try:
        rows = [row(i) for i in range(n)]
        tasks = [{"kind": "solve", "model": "rf_ridge", "alpha": r["alpha"], "i": i}
                 for i, r in enumerate(rows)]
        keys = [task_key(t, code="bench") for t in tasks]
        assert len(rows[0]) == 30

        # (1) the three writers interleaved point by point (the same disk and load for each):
        # Store.commit as shipped (fsync of the file and its folder); Store(fsync=False) (the
        # store's own work); plain os calls writing the same bytes with the same two fsyncs
        # (the floor of any durable one-file-per-point scheme)
        store = Store(base / "fsync")
        store2 = Store(base / "nofsync", fsync=False)
        raw = base / "raw"
        raw.mkdir()
        res.update(commit_fsync=[], commit_nofsync=[], raw_fsync=[])
        for k, r, t in zip(keys, rows, tasks):
            t0 = time.perf_counter()
            path = store.commit(k, [r], task=t, code="bench")
            t1 = time.perf_counter()
            store2.commit(k, [r], task=t, code="bench")
            t2 = time.perf_counter()
            data = path.read_bytes()
            t3 = time.perf_counter()
            tmp = raw / f".{k}.tmp"
            fd = os.open(tmp, os.O_CREAT | os.O_WRONLY, 0o644)
            os.write(fd, data)
            os.fsync(fd)
            os.close(fd)
            os.replace(tmp, raw / f"{k}.parquet")
            fd = os.open(raw, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
            t4 = time.perf_counter()
            res["commit_fsync"].append(t1 - t0)
            res["commit_nofsync"].append(t2 - t1)
            res["raw_fsync"].append(t4 - t3)

        # (3) validated reads
        times = []
        for k in keys:
            t0 = time.perf_counter()
            store.get(k)
            times.append(time.perf_counter() - t0)
        res["get"] = times
        t0 = time.perf_counter()
        df = store.frame()
        res["frame"] = time.perf_counter() - t0
        assert len(df) == n
        t0 = time.perf_counter()
        store.consolidate()
        res["consolidate"] = time.perf_counter() - t0
        import pandas as pd

        t0 = time.perf_counter()
        back = pd.read_parquet(store.path / "results.parquet")
        res["read_consolidated"] = time.perf_counter() - t0
        assert len(back) == n

        # (4) baseline: json.dump + os.replace, no fsync (the old seed cache)
        jd = base / "json"
        jd.mkdir()
        times = []
        for k, r in zip(keys, rows):
            t0 = time.perf_counter()
            tmp = jd / f"{k}.json.{os.getpid()}.tmp"
            with open(tmp, "w") as fh:
                json.dump(r, fh)
            os.replace(tmp, jd / f"{k}.json")
            times.append(time.perf_counter() - t0)
        res["json_replace"] = times
        times = []
        for k in keys:
            t0 = time.perf_counter()
            with open(jd / f"{k}.json") as fh:
                json.load(fh)
            times.append(time.perf_counter() - t0)
        res["json_load"] = times

        # (5) baseline: one Parquet file rewritten by pandas after every point
        m = min(n, 200)
        one = base / "one.parquet"
        times = []
        for i in range(m):
            t0 = time.perf_counter()
            frame = pd.DataFrame(rows[: i + 1])
            frame.to_parquet(one)
            times.append(time.perf_counter() - t0)
        res["pandas_rewrite"] = times
    finally:
        shutil.rmtree(base, ignore_errors=True)
    res["load_end"] = os.getloadavg()
    return res


def machine() -> dict:
    fs = subprocess.run(["df", "-T", str(ROOT)], capture_output=True, text=True).stdout
    fs = fs.splitlines()[-1].split()[1] if fs else "?"
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import pyarrow

    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "pyarrow": pyarrow.__version__, "filesystem": fs, "load": os.getloadavg()}


def report(res: dict, n: int, info: dict) -> str:
    res = {k: v for k, v in res.items()}
    med = {k: 1e3 * statistics.median(v) for k, v in res.items() if isinstance(v, list)}
    mean = {k: 1e3 * statistics.fmean(v) for k, v in res.items() if isinstance(v, list)}
    p95 = {k: 1e3 * sorted(v)[int(0.95 * len(v))] for k, v in res.items() if isinstance(v, list)}
    lines = [
        "# Results store overhead (benchmarks/bench_store.py)",
        "",
        f"## Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores (shared with other jobs), Python "
        f"{info['python']}, pyarrow {info['pyarrow']}, filesystem {info['filesystem']}; load "
        f"average at start {info['load'][0]:.2f} / {info['load'][1]:.2f} / "
        f"{info['load'][2]:.2f}, at the end {res['load_end'][0]:.2f}. {n} entries, one row of 30 columns each "
        f"(`python benchmarks/bench_store.py --n {n}`).",
        "",
        "| per point | median ms | mean ms | 95th pct ms |",
        "|---|---|---|---|",
    ]
    names = {"commit_fsync": "`Store.commit`, fsync of file + folder (as shipped)",
             "commit_nofsync": "`Store.commit`, `Store(fsync=False)`",
             "raw_fsync": "plain os: write + fsync + rename + fsync folder (same bytes)",
             "get": "`Store.get` (read + validate)",
             "json_replace": "baseline: `json.dump` + `os.replace`, no fsync",
             "json_load": "baseline: `json.load`",
             "pandas_rewrite": "baseline: pandas rewrites one Parquet file (first 200 points)"}
    for k, label in names.items():
        lines.append(f"| {label} | {med[k]:.3f} | {mean[k]:.3f} | {p95[k]:.3f} |")
    lines += [
        "",
        f"Whole-store reads of the {n} entries: `Store.frame()` {res['frame']:.2f} s "
        f"({_per_point(res['frame'], n):.2f} ms per entry, every entry validated), "
        f"`Store.consolidate()` {res['consolidate']:.2f} s, then "
        f"`pandas.read_parquet(STORE/results.parquet)` {1e3 * res['read_consolidated']:.1f} ms.",
        "",
        f"Ratios (means): commit with fsync / json+replace = "
        f"{mean['commit_fsync'] / mean['json_replace']:.1f}; commit with fsync / the plain "
        f"os floor = {mean['commit_fsync'] / mean['raw_fsync']:.2f}; the store's own work "
        f"(fsync=False) {mean['commit_nofsync']:.2f} ms, the two fsyncs alone "
        f"{mean['raw_fsync']:.2f} ms; pandas rewrite at 200 points / commit = "
        f"{1e3 * res['pandas_rewrite'][-1] / mean['commit_fsync']:.1f} (and growing linearly "
        f"with the number of points, {1e3 * res['pandas_rewrite'][-1]:.2f} ms at point 200).",
        "",
        f"Target < 5 ms per committed point: mean {mean['commit_fsync']:.2f} ms "
        f"({'met' if mean['commit_fsync'] < 5 else 'NOT met'}).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--out", default=str(OUT / "store_speed.md"))
    ap.add_argument("--append", action="store_true",
                    help="add this run to the file (the disk is shared: runs differ)")
    a = ap.parse_args()
    info = machine()
    res = bench(a.n)
    text = report(res, a.n, info)
    out = pathlib.Path(a.out)
    if a.append and out.exists():
        out.write_text(out.read_text() + "\n" + text.split("\n", 2)[2])  # minus the title
    else:
        out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
