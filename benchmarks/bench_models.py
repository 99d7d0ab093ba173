"""Benchmark: saddle-point curves of the random-features models, against baselines in the same run.

Run:  python benchmarks/bench_models.py [--quick]
Writes benchmarks/results/models.md and models.json.

* ridge: a 100-point Mei-Montanari curve (vectorised Newton over all points) vs the same 100
  points solved one by one by the generic path (Anderson per point, warm starts);
* logistic: a 50-point curve of the Gerace et al. equations (sign teacher, erf features) at
  residual 1e-10, vs a baseline that evaluates *the same equations* the way public solvers do
  (one ``scipy.integrate.quad`` per integral after integrating the teacher field analytically,
  ``scipy.optimize.brentq`` for the proximal operator at every quadrature point). The baseline
  map is checked against ours at the same state, then timed; its curve time is that map time
  times the number of map evaluations our curve needed (a lower bound for the baseline);
* simulation: the time of the d = 1000 simulation the logistic curve replaces (50 points x 10
  seeds), from timed seeds at a few points.

Times are medians of repeated runs after warm-up; ratios are taken within this run.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.integrate
import scipy.optimize
from scipy.special import expit, ndtr

from theory.models import curve, get_model
from theory.models.base import _pvals, make_params
from theory.models.rf_ridge import activation_constants
from theory.numeric import prox as P
from theory.numeric.system import compile_system
from theory.simulate import simulate_random_features

from bench_hermite import machine  # noqa: E402  (same folder: run as a script)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results"


def timed(fn, repeat):
    fn()  # warm-up (compilation, caches of the symbolic layer)
    ts = []
    for _ in range(repeat):
        P._RECENT.clear()
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), out


# ------------------------------------------------------------------ the quad baseline
def _mp_g(z, gamma):
    """Marchenko-Pastur g(-z), g'(-z) (closed form; the baseline's cost is in the integrals)."""
    b = 1 - gamma + z
    s = math.sqrt(b * b + 4 * gamma * z)
    g = 2 / (b + s) if b >= 0 else (s - b) / (2 * gamma * z)
    # g' from differentiating gamma w g^2 + (w + gamma - 1) g + 1 = 0 at w = -z
    w = -z
    gp = -(g + gamma * g * g) / (2 * gamma * w * g + w + gamma - 1)
    return g, gp


def _prox_scalar(y, omega, V):
    u = y * omega
    t = scipy.optimize.brentq(lambda t: t - u - V * expit(-t), u, u + V, xtol=1e-15,
                              rtol=1e-15)
    s = expit(t)
    return y * t, 1 / (1 + V * s * (1 - s))


def baseline_map(x, alpha, gamma, lam, k1, ks, rho=1.0, epsabs=1e-11):
    """The logistic / sign-teacher map of rf_convex with scipy.quad per integral."""
    Vs, qs, ms, Vw, qw = x
    V, Q, M = k1**2 * Vs + ks**2 * Vw, k1**2 * qs + ks**2 * qw, k1 * ms
    V0 = rho - M * M / Q
    sq, sv = math.sqrt(Q), math.sqrt(V0)
    phi = lambda t: math.exp(-t * t / 2) / math.sqrt(2 * math.pi)  # noqa: E731

    def integrand(xi, y, which):
        om = sq * xi
        m = M * xi / sq
        eta, deta = _prox_scalar(y, om, V)
        if which == 0:
            f = ndtr(y * m / sv) * (1 - deta) / V
        elif which == 1:
            f = ndtr(y * m / sv) * (eta - om) ** 2 / V**2
        else:
            f = y * phi(m / sv) / sv * (eta - om) / V
        return f * phi(xi)

    e = [0.0, 0.0, 0.0]
    for which in range(3):
        for y in (1.0, -1.0):
            e[which] += scipy.integrate.quad(integrand, -12, 12, args=(y, which),
                                             epsabs=epsabs, epsrel=1e-11, limit=200)[0]
    eV, eq, em = e
    Vhs, qhs, mhs = alpha / gamma * k1**2 * eV, alpha / gamma * k1**2 * eq, alpha / gamma * k1 * em
    Vhw, qhw = alpha * ks**2 * eV, alpha * ks**2 * eq
    z = (lam + Vhw) / Vhs
    g, gp = _mp_g(z, gamma)
    a = rho * mhs**2 + qhs
    return np.array([
        (1 - z * g) / Vhs,
        a / Vhs**2 * (1 - 2 * z * g + z * z * gp) + qhw / Vhs**2 * (g - z * gp),
        rho * mhs / Vhs * (1 - z * g),
        gamma / (lam + Vhw) * (1 / gamma - 1 + z * g),
        gamma * qhw / (lam + Vhw) ** 2 * (1 / gamma - 1 + z * z * gp)
        + gamma * a / Vhs**2 * (g - z * gp),
    ])


class _Counter:
    def __init__(self, cs):
        self.cs, self.n, self.orig = cs, 0, cs.map

    def __enter__(self):
        def counted(*a, **k):
            self.n += 1
            return self.orig(*a, **k)

        self.cs.map = counted
        return self

    def __exit__(self, *exc):
        self.cs.map = self.orig


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats, fewer seeds")
    a = ap.parse_args(argv)
    rep = 3 if a.quick else 7
    res: dict = {"machine": machine()}

    # ridge ----------------------------------------------------------------------------
    ridge = dict(psi2=1.5, lam=1e-3)
    grid = np.linspace(0.1, 4.0, 100)
    t_fast, c = timed(lambda: curve("rf_ridge", "psi1", grid, **ridge), rep)
    m = get_model("rf_ridge")
    fast = type(m).curve_fast
    try:
        type(m).curve_fast = None  # the generic path, point by point
        t_gen, c2 = timed(lambda: curve(m, "psi1", grid, **ridge), max(1, rep // 3))
    finally:
        type(m).curve_fast = fast
    diff = float(np.max(np.abs(c.column("test_error") - c2.column("test_error"))
                        / c2.column("test_error")))
    res["ridge"] = {"points": len(grid), "seconds": t_fast, "generic_seconds": t_gen,
                    "ratio_generic_over_fast": t_gen / t_fast, "max_rel_diff": diff}
    print(f"ridge: 100 points {t_fast * 1e3:.1f} ms (generic path {t_gen:.2f} s, "
          f"x{t_gen / t_fast:.0f}); max rel diff {diff:.1e}")

    # logistic -------------------------------------------------------------------------
    logi = dict(gamma=0.5, lam=1e-2, loss="logistic", teacher="sign", activation="erf")
    grid = np.linspace(0.2, 4.0, 50)
    mc = get_model("rf_convex")
    p0 = make_params(mc, {**logi, "alpha": 2.0})
    cs = compile_system(mc.system(p0))
    with _Counter(cs) as cnt:
        t_log, cl = timed(lambda: curve("rf_convex", "alpha", grid, tol=1e-10, **logi),
                          max(1, rep // 2))
    n_maps = cnt.n // (1 + max(1, rep // 2))
    worst = max(p.residual for p in cl.points)
    # the baseline map at a converged state, checked against ours
    pt = cl.points[len(grid) // 2]
    x = np.array(list(pt.state.values()))
    _, k1, ks = activation_constants("erf")
    pv = _pvals(cs.system, mc.values(make_params(mc, {**logi, "alpha": float(grid[25])})))
    ours = cs.map(x, pv, pt.level)
    t_map, _ = timed(lambda: cs.map(x, pv, pt.level), rep)
    base = baseline_map(x, float(grid[25]), 0.5, 1e-2, k1, ks)
    agree = float(np.max(np.abs(base - ours) / np.maximum(1, np.abs(ours))))
    t_base, _ = timed(lambda: baseline_map(x, float(grid[25]), 0.5, 1e-2, k1, ks), 1)
    res["logistic"] = {"points": len(grid), "tol": 1e-10, "seconds": t_log,
                       "worst_residual": worst, "map_evaluations": n_maps,
                       "map_seconds": t_map, "baseline_map_seconds": t_base,
                       "baseline_vs_ours_map_rel_diff": agree,
                       "map_ratio": t_base / t_map,
                       "baseline_curve_seconds_estimate": t_base * n_maps,
                       "curve_ratio_estimate": t_base * n_maps / t_log}
    print(f"logistic: 50 points at tol 1e-10 in {t_log:.2f} s ({n_maps} map evaluations, worst "
          f"residual {worst:.1e}); one map {t_map * 1e3:.1f} ms vs quad baseline {t_base:.2f} s "
          f"(x{t_base / t_map:.0f}, maps agree to {agree:.1e}); baseline curve ~ "
          f"{t_base * n_maps / 60:.1f} min (x{t_base * n_maps / t_log:.0f})")

    # simulation -----------------------------------------------------------------------
    seeds = 2 if a.quick else 3
    per = []
    for alpha in (0.5, 2.0, 4.0):
        p = make_params(mc, {**logi, "alpha": alpha})
        s = simulate_random_features(**mc.simulation(p, 1000), seeds=seeds)
        per.append(s.seconds / seeds)
    est = statistics.mean(per) * 50 * 10
    res["simulation"] = {"d": 1000, "seconds_per_seed": per, "alphas": [0.5, 2.0, 4.0],
                         "curve_50x10_seconds_estimate": est, "ratio_over_theory": est / t_log}
    print(f"simulation d=1000: {', '.join(f'{t:.2f}' for t in per)} s per seed at alpha "
          f"0.5, 2, 4 -> 50 points x 10 seeds ~ {est / 60:.1f} min (x{est / t_log:.0f} the "
          "theory curve)")

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "models.json").write_text(json.dumps(res, indent=1))
    mm = res["machine"]
    r, lg, sm = res["ridge"], res["logistic"], res["simulation"]
    md = f"""# Saddle-point models: speed (benchmarks/bench_models.py)

Machine: {mm['cpu']}, {mm['cores']} cores, {mm['platform']}; Python {mm['python']}, numpy
{mm['numpy']}, scipy {mm['scipy']}; {mm['date']}. Medians after warm-up; ratios within this run.

| task | ours | baseline (same run) | ratio |
|---|---|---|---|
| ridge curve, 100 points (Mei-Montanari, vectorised Newton) | {r['seconds'] * 1e3:.1f} ms | generic path point by point: {r['generic_seconds']:.2f} s | x{r['ratio_generic_over_fast']:.0f} |
| logistic curve, 50 points, residual <= 1e-10 (worst {lg['worst_residual']:.1e}) | {lg['seconds']:.2f} s | quad per integral + brentq per node: ~{lg['baseline_curve_seconds_estimate'] / 60:.1f} min (estimate: map time x {lg['map_evaluations']} map evaluations) | x{lg['curve_ratio_estimate']:.0f} |
| one map of the logistic system | {lg['map_seconds'] * 1e3:.1f} ms | {lg['baseline_map_seconds']:.2f} s (maps agree to {lg['baseline_vs_ours_map_rel_diff']:.1e}) | x{lg['map_ratio']:.0f} |
| the d = 1000 simulation the logistic curve replaces (50 points x 10 seeds) | {lg['seconds']:.2f} s | ~{sm['curve_50x10_seconds_estimate'] / 60:.1f} min ({', '.join(f'{t:.2f}' for t in sm['seconds_per_seed'])} s per seed at alpha 0.5, 2, 4) | x{sm['ratio_over_theory']:.0f} |

The ridge curves of both paths agree to {r['max_rel_diff']:.1e} (relative).
"""
    (OUT / "models.md").write_text(md)
    print(f"wrote {OUT / 'models.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
