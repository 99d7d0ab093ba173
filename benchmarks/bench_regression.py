"""Before/after timing of the common paths, in one run on one machine.

``python benchmarks/bench_regression.py [--baseline COMMIT] [--rounds N]`` extracts the baseline
commit of this repository (``git archive``) into a temporary folder and times the same snippets
against it and against the working tree, each in a fresh Python process (``PYTHONPATH`` set to
the tree), alternating baseline and current round by round so that drift of a shared machine
hits both. Inside each process a snippet is warmed up once and its median over repeats is taken;
the figure per tree is the median over rounds, and the ratio current/baseline is taken round by
round (paired) and its median reported.

Paths timed (the ones issue 8 asked to keep fast):

* ``hermite``: mu_0..mu_20 of tanh in float64 (``hermite_coefficients``), after warm-up;
* ``conditional``: mu0, mu1, mu_star of tanh at 10^6 kappas ~ N(0, 1), c = 1;
* ``logistic_curve``: 50-point ``rf_convex`` curve (logistic loss, sign teacher, erf features,
  gamma = 0.5, lambda = 1e-2, alpha in [0.2, 4]) at residual <= 1e-10;
* ``ridge_curve``: 100-point ``rf_ridge`` curve (psi2 = 1.5, lambda = 1e-3).

Results: ``benchmarks/results/regression.md`` (and ``.json``), machine in the header.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))

#: the last commit of main before issue 8 (edges) work began
DEFAULT_BASELINE = "f029c68"

SNIPPETS = {
    "hermite": (
        "from theory.numeric.hermite import hermite_coefficients as h\n"
        "run = lambda: h('tanh', 20)\n",
        20,
    ),
    "conditional": (
        "import numpy as np\n"
        "from theory.numeric.conditional import conditional_coefficients as cc\n"
        "kappa = np.random.default_rng(0).normal(size=10**6)\n"
        "run = lambda: cc('tanh', kappa)\n",
        3,
    ),
    "logistic_curve": (
        "import numpy as np\n"
        "from theory.models import curve\n"
        "grid = np.linspace(0.2, 4.0, 50)\n"
        "run = lambda: curve('rf_convex', 'alpha', grid, tol=1e-10, gamma=0.5, lam=1e-2,"
        " loss='logistic', teacher='sign', activation='erf')\n",
        2,
    ),
    "ridge_curve": (
        "import numpy as np\n"
        "from theory.models import curve\n"
        "grid = np.linspace(0.1, 4.0, 100)\n"
        "run = lambda: curve('rf_ridge', 'psi1', grid, psi2=1.5, lam=1e-3)\n",
        5,
    ),
}

TIMER = """
import json, time, statistics
{setup}
run()  # warm-up (compiles, caches rules)
ts = []
for _ in range({repeat}):
    t0 = time.perf_counter(); run(); ts.append(time.perf_counter() - t0)
print(json.dumps(statistics.median(ts)))
"""


def extract(commit: str, dest: Path) -> Path:
    blob = subprocess.run(["git", "-C", str(ROOT), "archive", commit], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def time_in(tree: Path, name: str) -> float:
    setup, repeat = SNIPPETS[name]
    code = TIMER.format(setup=setup, repeat=repeat)
    out = subprocess.run([sys.executable, "-c", code], cwd=tree, capture_output=True, text=True,
                         env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin",
                              "OMP_NUM_THREADS": "1"})
    if out.returncode:
        raise RuntimeError(f"{name} in {tree}: {out.stderr.strip().splitlines()[-1]}")
    return float(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default=DEFAULT_BASELINE, help="git commit to compare against "
                    f"(default {DEFAULT_BASELINE}, main before issue 8)")
    ap.add_argument("--rounds", type=int, default=3, help="paired rounds per path (default 3)")
    ap.add_argument("--only", nargs="*", choices=sorted(SNIPPETS), help="time only these paths")
    a = ap.parse_args(argv)
    from bench_hermite import machine

    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    res = {"machine": machine(), "baseline": a.baseline, "current": f"{head} (working tree)",
           "paths": {}}
    with tempfile.TemporaryDirectory() as tmp:
        base = extract(a.baseline, Path(tmp))
        for name in a.only or SNIPPETS:
            b, c = [], []
            for _ in range(a.rounds):
                b.append(time_in(base, name))
                c.append(time_in(ROOT, name))
            ratio = statistics.median(ci / bi for ci, bi in zip(c, b))
            res["paths"][name] = {"baseline_s": statistics.median(b),
                                  "current_s": statistics.median(c), "ratio": ratio,
                                  "baseline_runs": b, "current_runs": c}
            print(f"{name}: baseline {statistics.median(b):.4g} s, current "
                  f"{statistics.median(c):.4g} s, current/baseline x{ratio:.2f}", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "regression.json").write_text(json.dumps(res, indent=1))
    m = res["machine"]
    md = ["# Before/after on the common paths", "",
          f"Machine: {m['cpu']}, {m['cores']} cores, {m['platform']}; Python {m['python']}, "
          f"numpy {m['numpy']}, scipy {m['scipy']}, mpmath {m['mpmath']}, sympy {m['sympy']}; "
          f"{m['date']}.", "",
          f"Baseline: commit `{a.baseline}` (main before issue 8); current: `{res['current']}`. "
          f"Median of {a.rounds} paired rounds, each the median of repeats after a warm-up, in "
          "fresh processes; ratio = current / baseline taken per round.", "",
          "| path | baseline | current | current/baseline |", "|---|---|---|---|"]
    for name, r in res["paths"].items():
        md.append(f"| {name} | {r['baseline_s']:.4g} s | {r['current_s']:.4g} s | "
                  f"x{r['ratio']:.2f} |")
    (OUT / "regression.md").write_text("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
