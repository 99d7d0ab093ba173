"""Reference values of the spiked random-features (sRF) saddle point, any beta = p/d, 30 digits.

Independent of ``theory`` (imports only mpmath, numpy): the system of the coordinator's
derivation (``/work/coord/SRF_EQUATIONS.md``; at beta = 1 the authors' code system of Cui et al.
2024, arXiv:2402.04980, as described in ``shared/papers/one-step-digest.md`` Sec. 1.6) with the
deterministic-equivalent spectrum:

* kappa-functions (xi, z ~ N(0, 1)): mu0(k) = E s(r k + sqrt(c) xi), mu1(k) = E s'(r k +
  sqrt(c) xi), mu_star(k)^2 = E s^2 - mu0^2 - c mu1^2; h(k) = E g(gamma k + rho z), h1(k) =
  E[z g(gamma k + rho z)], h2(k) = E g^2, rho = sqrt(1 - gamma^2).
* given the order parameters x = (m, q1, q2, V1, V2, zeta, psi), with V(k) = mu1^2 V1 +
  mu_star^2 V2, cc(k) = mu0 m + mu1 k zeta, q(k) = mu1^2 q1 + mu_star^2 q2,
  E(k) = h2 - 2 cc h - 2 mu1 psi h1 + cc^2 + q(k) (no label noise):
  Vhat1 = (alpha/beta) E_k[mu1^2/(1+V)], Vhat2 = (alpha/beta) E_k[mu_star^2/(1+V)],
  qhat1 = (alpha/beta) E_k[mu1^2 E/(1+V)^2], qhat2 = (alpha/beta) E_k[mu_star^2 E/(1+V)^2],
  zetahat = alpha E_k[k mu1 (h - cc)/(1+V)], psihat = alpha E_k[mu1 h1/(1+V)];
* with S(D) = lam + Vhat2 + Vhat1 D and <f> = the average of f(D) over D = c * X, X
  Marchenko-Pastur of ratio beta (density sqrt((b-x)(x-a))/(2 pi beta x) on
  [a, b] = [(1 -+ sqrt beta)^2], plus an atom 1 - 1/beta at 0 when beta > 1):
  V1 = <D/S>, V2 = <1/S>, zeta = c zetahat <1/S>, psi = psihat <D/S>,
  A = qhat1 + psihat^2/beta, B = qhat2 + c zetahat^2/beta,
  q1 = A <D^2/S^2> + B <D/S^2>, q2 = A <D/S^2> + B <1/S^2>,
  m = E_k[mu0 (h - mu1 k zeta)/(1+V)] / E_k[mu0^2/(1+V)]  (m = 0 when mu0 = 0 identically);
* test error = E_k[h2 + cc^2 - 2 cc h - 2 mu1 psi h1 + q(k)].

Numerics (no closed forms of the system are used):

* the MP averages <.> by mpmath.quad of the DENSITY on its support (substitution
  x = a + (b - a) sin^2(t/2), which makes the square-root edges smooth, split where x - a is a
  small multiple of the pole scale), plus the atom added by hand -- deliberately not through the
  Stieltjes transform, so the closed forms of the model are checked independently;
* E_k and the inner xi/z expectations by the trapezoidal rule on the real line truncated at
  |t| <= 15 (Gaussian weight < 1e-48 beyond): the integrands are analytic in a strip, so the
  error is exp(-2 pi a / h) (a = the strip half-width); the step is halved in the check run.
  For s = relu the inner expectations are the exact Gaussian integrals (Phi, phi);
  at some kappa nodes the inner rules are compared with mpmath.quad (reported in "checks");
* the fixed point: damped Picard in float64 (start), then Newton iterations on the 7 order
  parameters at working precision with the float64 Jacobian (chord method) until
  max|T(x) - x| < 10^-(dps - 4); the residual is reported;
* self-check: everything is computed twice, (run A) 42 working digits, outer step 1/16, inner
  step 1/10; (run B) 52 digits, steps 1/32 and 1/20. The JSON stores run B and the number of
  digits on which A and B agree.

The (r, c, gamma) of the tanh points are the one-step map (authors' code formula, the one kept
in theory/simulate/one_step.py) at eta_tilde = 1, alpha0 = 2, computed here in mpmath:
r = eta mu1 sqrt(mu1s^2 + mu2s/alpha0), gamma = mu1s/sqrt(mu1s^2 + mu2s/alpha0),
c = 1 + eta^2 mu2s Var[s'(z)]/alpha0, mu1 = E[z s(z)], mu1s = E[z g(z)], mu2s = E[g(z)^2]
(= E[(g - E s)^2] since E tanh = 0 = E g). The relu point takes a stated (r, c, gamma): the
map of the project refuses relu with an odd target ((E g - mu0) E s'' != 0).

Run (about 10 minutes on one core):
    nice -n 10 python tests/reference/spiked_rf_mp.py      -> spiked_rf_mp.json
    python tests/reference/spiked_rf_mp.py --quick          (run A only, few points, no file)
"""

import json
import pathlib
import sys
import time

import mpmath
import numpy as np

DPS = 30
RUNS = {"A": {"dps": DPS + 12, "hk": 16, "hin": 10}, "B": {"dps": DPS + 22, "hk": 32, "hin": 20}}
L_CUT = 15  # truncation of the Gaussian integrals: phi(15) ~ 1e-49


# ---------------------------------------------------------------------------- functions
def _relu(u):
    return u if u > 0 else mpmath.mpf(0)


ACTS = {"tanh": mpmath.tanh, "sin": mpmath.sin, "relu": _relu}


def _trap_rule(h):
    """Nodes and weights of the trapezoidal rule for E over N(0, 1), step 1/h, |t| <= L_CUT."""
    n = int(L_CUT * h)
    t = [mpmath.mpf(j) / h for j in range(-n, n + 1)]
    w = [mpmath.npdf(x) / h for x in t]
    return t, w


def inner_sigma(act, a, sc, rule):
    """(E s(a + sc xi), E s'(a + sc xi), E s(a + sc xi)^2) for xi ~ N(0, 1)."""
    if act == "relu":  # exact Gaussian integrals
        u = a / sc
        Phi, phi = mpmath.ncdf(u), mpmath.npdf(u)
        return a * Phi + sc * phi, Phi, (a * a + sc * sc) * Phi + a * sc * phi
    t, w = rule
    m0 = m1 = m2 = mpmath.mpf(0)
    for x, wx in zip(t, w):
        u = a + sc * x
        if act == "tanh":
            s = mpmath.tanh(u)
            d = 1 - s * s
        else:  # sin
            s, d = mpmath.sin(u), mpmath.cos(u)
        m0 += wx * s
        m1 += wx * d
        m2 += wx * s * s
    return m0, m1, m2


def inner_teacher(tg, a, rho, rule):
    """(E g(a + rho z), E[z g(a + rho z)], E g(a + rho z)^2) for z ~ N(0, 1)."""
    t, w = rule
    h = h1 = h2 = mpmath.mpf(0)
    f = ACTS[tg]
    for x, wx in zip(t, w):
        s = f(a + rho * x)
        h += wx * s
        h1 += wx * x * s
        h2 += wx * s * s
    return h, h1, h2


def inner_quad(fn, a, sc, kind):
    """The same expectations by mpmath.quad (split at the zero of the argument), for checks."""
    f = ACTS[fn]
    cuts = [-mpmath.inf, -a / sc, mpmath.inf] if sc != 0 else [-mpmath.inf, mpmath.inf]
    if kind == "sigma":
        if fn == "tanh":
            fd = lambda u: mpmath.sech(u) ** 2  # noqa: E731
        elif fn == "sin":
            fd = mpmath.cos
        else:
            fd = lambda u: mpmath.mpf(1) if u > 0 else mpmath.mpf(0)  # noqa: E731
        g1 = lambda x: fd(a + sc * x)  # noqa: E731
    else:
        g1 = lambda x: x * f(a + sc * x)  # noqa: E731
    out = []
    for fx in (lambda x: f(a + sc * x), g1, lambda x: f(a + sc * x) ** 2):
        out.append(mpmath.quad(lambda x: fx(x) * mpmath.npdf(x), cuts))
    return tuple(out)


def kappa_functions(st, run):
    """Kappa-functions of setting st on the outer trapezoid nodes (object arrays) + weights."""
    hin_rule = _trap_rule(run["hin"])
    k, w = _trap_rule(run["hk"])
    r, c, gamma = (mpmath.mpf(st[x]) for x in ("r", "c", "gamma"))
    sc, rho = mpmath.sqrt(c), mpmath.sqrt(1 - gamma**2)
    cols = {x: [] for x in ("mu0", "mu1", "mus2", "h", "h1", "h2")}
    for kk in k:
        m0, m1, m2 = inner_sigma(st["activation"], r * kk, sc, hin_rule)
        h, h1, h2 = inner_teacher(st["target"], gamma * kk, rho, hin_rule)
        for name, v in zip(cols, (m0, m1, m2 - m0 * m0 - c * m1 * m1, h, h1, h2)):
            cols[name].append(v)
    K = {x: np.array(v, dtype=object) for x, v in cols.items()}
    K["k"], K["w"] = np.array(k, dtype=object), np.array(w, dtype=object)
    K["mu0_zero"] = max(abs(v) for v in cols["mu0"]) < mpmath.mpf(10) ** (-mpmath.mp.dps + 5)
    return K


def to_float(K):
    return {x: (np.array(v, dtype=float) if isinstance(v, np.ndarray) else v) for x, v in K.items()}


# ---------------------------------------------------------------------------- MP averages
def mp_moments_quad(Vh1, Vh2, lam, beta, c):
    """<1/S>, <D/S>, <1/S^2>, <D/S^2>, <D^2/S^2> by mpmath.quad of the MP density (+ atom)."""
    sb = mpmath.sqrt(beta)
    a, b = (1 - sb) ** 2, (1 + sb) ** 2
    atom = 1 - 1 / beta if beta > 1 else mpmath.mpf(0)
    s0 = lam + Vh2
    half = (b - a) / 2
    z = s0 / (c * Vh1)  # S = c Vh1 (x + z): pole of 1/S at x = -z
    cuts = {mpmath.mpf(0), mpmath.pi}
    for f in ("0.1", "1", "10"):
        if mpmath.mpf(f) * z < 2 * half:
            cuts.add(mpmath.acos(1 - mpmath.mpf(f) * z / half))
    cuts = sorted(cuts)
    memo: dict = {}

    def base(t):
        v = memo.get(t)
        if v is None:
            x = a + 2 * half * mpmath.sin(t / 2) ** 2
            dens = half**2 * mpmath.sin(t) ** 2 / (2 * mpmath.pi * beta * x)
            D = c * x
            v = memo[t] = (D, 1 / (s0 + Vh1 * D), dens)
        return v

    def avg(f):
        return mpmath.quad(lambda t: f(*base(t)[:2]) * base(t)[2], cuts)

    out = (avg(lambda D, iS: iS), avg(lambda D, iS: D * iS), avg(lambda D, iS: iS * iS),
           avg(lambda D, iS: D * iS * iS), avg(lambda D, iS: D * D * iS * iS))
    a0 = atom / s0
    return (out[0] + a0, out[1], out[2] + atom / s0**2, out[3], out[4])


def mp_mass_mean(beta, c):
    """Total mass and mean of the law of D (checks: 1 and c)."""
    sb = mpmath.sqrt(beta)
    a, b = (1 - sb) ** 2, (1 + sb) ** 2
    atom = 1 - 1 / beta if beta > 1 else mpmath.mpf(0)
    half = (b - a) / 2

    def dens(t):
        x = a + 2 * half * mpmath.sin(t / 2) ** 2
        return x, half**2 * mpmath.sin(t) ** 2 / (2 * mpmath.pi * beta * x)

    mass = atom + mpmath.quad(lambda t: dens(t)[1], [0, mpmath.pi])
    mean = mpmath.quad(lambda t: c * dens(t)[0] * dens(t)[1], [0, mpmath.pi])
    return mass, mean


def mp_moments_float(Vh1, Vh2, lam, beta, c, n=4000):
    """Float64 version (start of the iteration only): midpoint rule in t."""
    sb = np.sqrt(beta)
    a, b = (1 - sb) ** 2, (1 + sb) ** 2
    atom = 1 - 1 / beta if beta > 1 else 0.0
    t = (np.arange(n) + 0.5) * np.pi / n
    half = (b - a) / 2
    x = a + 2 * half * np.sin(t / 2) ** 2
    dens = half**2 * np.sin(t) ** 2 / (2 * np.pi * beta * x) * np.pi / n
    D = c * x
    iS = 1 / (lam + Vh2 + Vh1 * D)
    s0 = lam + Vh2
    return (dens @ iS + atom / s0, dens @ (D * iS), dens @ iS**2 + atom / s0**2,
            dens @ (D * iS**2), dens @ (D**2 * iS**2))


# ---------------------------------------------------------------------------- the system
def system(x, K, p, moments):
    """T(x): the updated order parameters and the test error, conjugates (same arrays type)."""
    m, q1, q2, V1, V2, zeta, psi = x
    alpha, beta, lam, c = p["alpha"], p["beta"], p["lam"], p["c"]
    w, k = K["w"], K["k"]
    mu0, mu1, mus2, h, h1, h2 = (K[n] for n in ("mu0", "mu1", "mus2", "h", "h1", "h2"))
    E = lambda f: w.dot(f)  # noqa: E731
    iV = 1 / (1 + mu1**2 * V1 + mus2 * V2)
    cc = mu0 * m + mu1 * k * zeta
    qk = mu1**2 * q1 + mus2 * q2
    Ek = h2 - 2 * cc * h - 2 * mu1 * psi * h1 + cc**2 + qk
    ab = alpha / beta
    Vh1, Vh2 = ab * E(mu1**2 * iV), ab * E(mus2 * iV)
    qh1, qh2 = ab * E(mu1**2 * Ek * iV**2), ab * E(mus2 * Ek * iV**2)
    zh = alpha * E(k * mu1 * (h - cc) * iV)
    ph = alpha * E(mu1 * h1 * iV)
    g0, g1, g00, g01, g11 = moments(Vh1, Vh2, lam, beta, c)
    A, B = qh1 + ph**2 / beta, qh2 + c * zh**2 / beta
    new_zeta = c * zh * g0
    if K["mu0_zero"]:
        new_m = 0 * m
    else:
        new_m = E(mu0 * (h - mu1 * k * zeta) * iV) / E(mu0**2 * iV)
    new = (new_m, A * g11 + B * g01, A * g01 + B * g00, g1, g0, new_zeta, ph * g1)
    eps = E(h2 + cc**2 - 2 * cc * h - 2 * mu1 * psi * h1 + qk)
    hats = {"Vhat1": Vh1, "Vhat2": Vh2, "qhat1": qh1, "qhat2": qh2, "zetahat": zh, "psihat": ph}
    return new, eps, hats


NAMES = ("m", "q1", "q2", "V1", "V2", "zeta", "psi")


def _float_start(Kf, pf):
    """Float64 fixed point: damped Picard (damping 0.5, then smaller if it oscillates)."""
    def T(x):
        return np.array(system(x, Kf, pf, mp_moments_float)[0])

    with np.errstate(all="ignore"):
        for damping in (0.5, 0.2, 0.05, 0.01):
            x = np.array([0.1, 0.1, 0.2, 1.0, 1.0, 0.1, 0.1])
            for it in range(int(20 / damping) * 100):
                step = T(x) - x
                if not np.all(np.isfinite(step)):
                    break
                x = x + damping * step
                if np.max(np.abs(step)) < 1e-13:
                    return x, it, damping
    raise RuntimeError(f"float Picard did not converge at {pf}")


def _jacobian_float(x, Kf, pf):
    """Jacobian of F(x) = T(x) - x in float64 by central differences (Newton matrix)."""
    def F(y):
        return np.array(system(y, Kf, pf, mp_moments_float)[0]) - y

    J = np.empty((7, 7))
    for j in range(7):
        e = np.zeros(7)
        e[j] = 1e-6 * max(1.0, abs(x[j]))
        J[:, j] = (F(x + e) - F(x - e)) / (2 * e[j])
    return J


def solve_point(K, Kf, p, start=None):
    """Fixed point at the current mpmath precision; returns dict of mpf values + residual.

    Start: float64 damped Picard (or ``start``); then Newton iterations at working precision
    with the float64 Jacobian (the chord method: each step multiplies the error by about the
    float Jacobian's relative error), until the residual max|T(x) - x| < 10^-(dps - 4).
    """
    pf = {n: float(v) for n, v in p.items()}
    if start is None:
        x0, its, _ = _float_start(Kf, pf)
    else:
        x0, its = np.array([float(v) for v in start]), 0
    Jinv = mpmath.matrix(np.linalg.inv(_jacobian_float(x0, Kf, pf)).tolist())
    x = mpmath.matrix([mpmath.mpf(v) for v in start] if start is not None else x0.tolist())
    tol = mpmath.mpf(10) ** (-mpmath.mp.dps + 4)
    newton = 0
    while True:
        new, eps, hats = system(list(x), K, p, mp_moments_quad)
        F = mpmath.matrix([a - b for a, b in zip(new, x)])
        res = max(abs(v) for v in F)
        if res < tol:
            break
        if newton == 60:
            raise RuntimeError(f"Newton (chord) did not converge at {p}: residual {res}")
        x = x - Jinv * F
        newton += 1
    out = dict(zip(NAMES, new))
    out["test_error"] = eps
    out.update(hats)
    return out, res, (its, newton)


# ---------------------------------------------------------------------------- inputs
def map_constants():
    """The one-step map at eta_tilde = 1, alpha0 = 2 for s = tanh, g in {tanh, sin}."""
    cut = [-mpmath.inf, 0, mpmath.inf]
    E = lambda f: mpmath.quad(lambda z: f(z) * mpmath.npdf(z), cut)  # noqa: E731
    mu1 = E(lambda z: z * mpmath.tanh(z))
    mu1_d = E(lambda z: mpmath.sech(z) ** 2)
    var_d = E(lambda z: mpmath.sech(z) ** 4) - mu1_d**2
    eta, alpha0 = mpmath.mpf(1), mpmath.mpf(2)
    out = {}
    for tg in ("tanh", "sin"):
        f = ACTS[tg]
        mu1s = E(lambda z: z * f(z))
        mu2s = E(lambda z: f(z) ** 2)
        norm = mpmath.sqrt(mu1s**2 + mu2s / alpha0)
        out[tg] = {"r": eta * mu1 * norm, "gamma": mu1s / norm,
                   "c": 1 + eta**2 * mu2s * var_d / alpha0,
                   "constants": {"mu1": mu1, "mu1_stein_check": mu1 - mu1_d, "var_sigma_prime":
                                 var_d, "mu1_star": mu1s, "mu2_star": mu2s}}
    out["sin"]["constants"]["closed_form_check"] = max(
        abs(out["sin"]["constants"]["mu1_star"] - mpmath.exp(-0.5)),
        abs(out["sin"]["constants"]["mu2_star"] - (1 - mpmath.exp(-2)) / 2))
    return out


def settings(quick=False):
    with mpmath.workdps(60):
        mc = map_constants()
    s = lambda v: mpmath.nstr(v, 45, min_fixed=-mpmath.inf, max_fixed=mpmath.inf)  # noqa: E731
    sets = {
        "tanh_tanh": {"activation": "tanh", "target": "tanh", "lam": "0.01",
                      **{x: s(mc["tanh"][x]) for x in ("r", "c", "gamma")}},
        "tanh_sin": {"activation": "tanh", "target": "sin", "lam": "0.1",
                     **{x: s(mc["sin"][x]) for x in ("r", "c", "gamma")}},
        "plain_rf": {"activation": "tanh", "target": "tanh", "lam": "0.01",
                     "r": "0", "c": "1", "gamma": "0"},
        "relu_tanh": {"activation": "relu", "target": "tanh", "lam": "0.01",
                      "r": "0.5", "c": "1.1", "gamma": "0.8"},
    }
    points = []
    alphas, betas = ("0.5", "1.5", "3"), ("0.5", "1", "2")
    if quick:
        alphas, betas = ("1.5",), ("1",)
    for name in ("tanh_tanh", "tanh_sin"):
        for a in alphas:
            for b in betas:
                points.append((name, a, b))
    for a in alphas:
        points.append(("plain_rf", a, "2"))
    points.append(("relu_tanh", "1.5", "1"))
    consts = {tg: {k: s(v) for k, v in mc[tg]["constants"].items()} for tg in mc}
    return sets, points, consts


def run(label, sets, points, log, starts=None):
    cfg = RUNS[label]
    out = []
    with mpmath.workdps(cfg["dps"]):
        Ks = {}
        for name in sorted({p[0] for p in points}):
            t0 = time.time()
            Ks[name] = kappa_functions(sets[name], cfg)
            log(f"[{label}] kappa-functions {name}: {len(Ks[name]['k'])} nodes, "
                f"{time.time() - t0:.1f} s")
        for name, a, b in points:
            t0 = time.time()
            st = sets[name]
            p = {"alpha": mpmath.mpf(a), "beta": mpmath.mpf(b), "lam": mpmath.mpf(st["lam"]),
                 "c": mpmath.mpf(st["c"])}
            start = None if starts is None else [starts[len(out)]["values"][n] for n in NAMES]
            vals, res, its = solve_point(Ks[name], to_float(Ks[name]), p, start)
            out.append({"setting": name, "alpha": a, "beta": b, "values": vals,
                        "residual": res})
            log(f"[{label}] {name} alpha={a} beta={b}: eps={mpmath.nstr(vals['test_error'], 20)}"
                f" res={mpmath.nstr(res, 3)} picard,newton={its} {time.time() - t0:.1f} s")
    return out


def checks(sets, log):
    """Inner trapezoid vs mpmath.quad at a few kappa nodes; MP mass and mean."""
    out = {}
    with mpmath.workdps(RUNS["A"]["dps"]):
        rule = _trap_rule(RUNS["A"]["hin"])
        worst = mpmath.mpf(0)
        for name in ("tanh_tanh", "tanh_sin", "relu_tanh"):
            st = sets[name]
            r, c, g = (mpmath.mpf(st[x]) for x in ("r", "c", "gamma"))
            sc, rho = mpmath.sqrt(c), mpmath.sqrt(1 - g**2)
            for k in ("-3.5", "0.25", "1.75", "6"):
                k = mpmath.mpf(k)
                a = inner_sigma(st["activation"], r * k, sc, rule)
                b = inner_quad(st["activation"], r * k, sc, "sigma")
                d1 = max(abs(u - v) for u, v in zip(a, b))
                a = inner_teacher(st["target"], g * k, rho, rule)
                b = inner_quad(st["target"], g * k, rho, "teacher")
                d2 = max(abs(u - v) for u, v in zip(a, b))
                worst = max(worst, d1, d2)
        out["inner_trapezoid_vs_quad_max_abs"] = mpmath.nstr(worst, 3)
        dev = mpmath.mpf(0)
        for b in ("0.5", "1", "2"):
            for c in ("1", sets["tanh_tanh"]["c"]):
                mass, mean = mp_mass_mean(mpmath.mpf(b), mpmath.mpf(c))
                dev = max(dev, abs(mass - 1), abs(mean - mpmath.mpf(c)))
        out["mp_mass_mean_max_abs_dev"] = mpmath.nstr(dev, 3)
    log(f"checks: {out}")
    return out


def check_mei_montanari(log):
    """r = 0 (plain random features) against Mei & Montanari's Theorem 1 (tests/reference/
    mei_montanari.py, an independent mpmath script): psi1 = beta, psi2 = alpha,
    lambda_MM = lam/alpha, F1 = E[z g], F_star^2 = E g^2 - F1^2 (g = tanh)."""
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    import mei_montanari as mm

    out = []
    with mpmath.workdps(RUNS["A"]["dps"]):
        cut = [-mpmath.inf, 0, mpmath.inf]
        F1 = mpmath.quad(lambda z: z * mpmath.tanh(z) * mpmath.npdf(z), cut)
        Fs = mpmath.sqrt(mpmath.quad(lambda z: mpmath.tanh(z) ** 2 * mpmath.npdf(z), cut) - F1**2)
        for act, a, b, gm in (("tanh", "1.5", "2", "0"), ("relu", "1.5", "1", "0"),
                              ("relu", "0.5", "0.5", "0"), ("tanh", "1.5", "2", "1"),
                              ("relu", "3", "0.5", "1")):
            # gamma = 0: the teacher orthogonal to v (psi channel); gamma = 1: along v (zeta
            # channel and its c zetahat^2/beta term); at r = 0 both are plain RF
            st = {"activation": act, "target": "tanh", "r": "0", "c": "1", "gamma": gm}
            K = kappa_functions(st, RUNS["A"])
            p = {"alpha": mpmath.mpf(a), "beta": mpmath.mpf(b), "lam": mpmath.mpf("0.01"),
                 "c": mpmath.mpf(1)}
            ours = solve_point(K, to_float(K), p)[0]["test_error"]
            m1, ms = mm.activation_constants(act)
            ref = mm.test_error(p["beta"], p["alpha"], p["lam"] / p["alpha"], m1, ms, F1, Fs, 0,
                                dps=DPS)
            out.append({"activation": act, "alpha": a, "beta": b, "gamma": gm, "lam": "0.01",
                        "ours": mpmath.nstr(ours, DPS), "mei_montanari": mpmath.nstr(ref, DPS),
                        "diff": mpmath.nstr(ours - ref, 3)})
    log(f"Mei-Montanari check: {out}")
    return out


def agree_digits(a, b):
    d = abs(a - b) / max(abs(b), mpmath.mpf(10) ** -(DPS + 8))
    return 40.0 if d == 0 else float(-mpmath.log10(d))


def main():
    quick = "--quick" in sys.argv
    t_start = time.time()
    log = lambda s: print(f"{time.time() - t_start:7.1f}s {s}", flush=True)  # noqa: E731
    sets, points, consts = settings(quick)
    chk = checks(sets, log)
    if not quick:
        chk["r0_vs_mei_montanari"] = check_mei_montanari(log)
    resA = run("A", sets, points, log)
    if quick:
        return
    resB = run("B", sets, points, log, starts=resA)
    def s(v):  # exact zeros (zeta, m at r = 0) come out as ~1e-45: written as 0
        return "0" if abs(v) < mpmath.mpf(10) ** -(DPS + 8) else mpmath.nstr(v, DPS + 5)

    pts, worst = [], 99.0
    for a, b in zip(resA, resB):
        dig = min(agree_digits(a["values"][n], b["values"][n]) for n in b["values"])
        worst = min(worst, dig)
        st = sets[b["setting"]]
        pts.append({"setting": b["setting"], "activation": st["activation"],
                    "target": st["target"], "r": st["r"], "c": st["c"], "gamma": st["gamma"],
                    "lam": st["lam"], "alpha": b["alpha"], "beta": b["beta"], "Delta": "0",
                    **{n: s(v) for n, v in b["values"].items()},
                    "residual": mpmath.nstr(b["residual"], 3),
                    "digits_A_vs_B": round(dig, 1)})
    out = {"source": "tests/reference/spiked_rf_mp.py (see its docstring)",
           "system": "/work/coord/SRF_EQUATIONS.md, deterministic-equivalent spectrum",
           "map": "eta_tilde = 1, alpha0 = 2; r = mu1 sqrt(mu1s^2 + mu2s/2), gamma = mu1s/sqrt("
                  "mu1s^2 + mu2s/2), c = 1 + mu2s Var[sigma'(z)]/2",
           "map_constants": consts, "dps": DPS, "runs": RUNS,
           "self_check_min_digits_A_vs_B": round(worst, 1), "checks": chk,
           "mpmath": mpmath.__version__, "numpy": np.__version__,
           "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
           "runtime_s": round(time.time() - t_start, 1), "points": pts}
    path = pathlib.Path(__file__).with_suffix(".json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    log(f"wrote {path}; A vs B agree to >= {worst:.1f} digits")


if __name__ == "__main__":
    main()
