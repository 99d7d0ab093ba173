"""The independent rf_convex reference (tests/reference/rf_convex_reference.py) checks itself.

The stored points (rf_convex_reference.json) must be fixed points of the reference map at the
stored state (undamped relative residual <= 1e-10) and one point is re-solved from a generic
start; the pieces are checked against sources that share nothing with them: the square loss
against the Mei--Montanari closed form (tests/reference/mei_montanari.py, mpmath), the square
channel against its closed form, the logistic proximal operator against mpmath at 30 digits, the
Marchenko--Pastur transform against quad of the density, the erf constants against mpmath.
Nothing here imports ``theory``.
"""

import json
import math

import mpmath
import numpy as np
import pytest

from reference import mei_montanari as mm
from reference import rf_convex_reference as ref

RECORDS = json.loads(ref.OUT.read_text())
NAMES = ref.NAMES


def _record(loss, alpha, lam, Delta=0.0):
    for r in RECORDS:
        if (r["loss"], r["alpha"], r["lam"], r["Delta"]) == (loss, alpha, lam, Delta):
            return r
    raise KeyError((loss, alpha, lam, Delta))


def _problem(r):
    return ref.Problem(r["loss"], r["alpha"], r["gamma"], r["lam"], r["Delta"], r["rho"])


# ---------------------------------------------------------------- the stored points
def test_coverage_of_the_stored_points():
    """>= 4 points per (loss, lam) through the separability peak; the noisy sign teacher."""
    for loss in ("logistic", "hinge"):
        for lam in (1e-4, 1e-5, 1e-6):
            ok = [r for r in RECORDS if r["loss"] == loss and r["lam"] == lam
                  and r["Delta"] == 0 and r["converged"]]
            assert len(ok) >= 4, (loss, lam)
    for D in (1e-8, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 3e-2):
        for loss in ("logistic", "square"):
            assert _record(loss, 2.0, 1e-4, D)["converged"]


@pytest.mark.parametrize("r", RECORDS, ids=lambda r: f"{r['loss']}-a{r['alpha']}-l{r['lam']}"
                         f"-D{r['Delta']}")
def test_stored_point_is_a_fixed_point(r):
    if not r["converged"]:
        pytest.skip(f"stored unconverged (residual {r['residual']:.1e})")
    prob = _problem(r)
    st = np.array([r["state"][n] for n in NAMES])
    new = prob.map(st)
    assert ref.Problem.residual(st, new) <= 1e-10
    assert r["residual"] <= 1e-10
    obs, _ = ref.observables(prob, st)
    assert obs["test_error"] == pytest.approx(r["observables"]["test_error"], abs=1e-14)
    V, Q, M, V0 = prob.fields(st)
    assert V > 0 and Q > 0 and V0 > 0  # admissible
    assert r["quad_check"] <= 1e-11  # a second rule that shares no subdivision agrees
    # first-order error of the stored test error (conditioning of I - J times the residual and
    # the quadrature error of the map): what a comparison against this point may assume
    assert r["test_error_error_bound"] <= 1e-9


def test_issue_instance():
    """alpha=5 gamma=0.5 lam=1e-4 logistic sign teacher: test error 0.1510 (issue 8, kind 7)."""
    r = _record("logistic", 5.0, 1e-4)
    assert r["converged"] and r["residual"] <= 1e-10
    assert round(r["observables"]["test_error"], 4) == 0.1510


def test_resolve_one_point_from_scratch():
    """The script re-run on one cheap point (generic start) gives the stored numbers."""
    r = _record("square", 2.0, 1e-4, 1e-4)
    new = ref.run_point(dict(loss="square", alpha=2.0, lam=1e-4, Delta=1e-4), [],
                        log=lambda s: None)
    assert new["residual"] <= 1e-10
    for n in NAMES:
        assert new["state"][n] == pytest.approx(r["state"][n], rel=1e-9)
    assert new["observables"]["test_error"] == pytest.approx(r["observables"]["test_error"],
                                                             abs=1e-11)


def test_issue_instance_resolved_from_a_perturbed_start():
    r = _record("logistic", 5.0, 1e-4)
    prob = _problem(r)
    start = [r["state"][n] * f for n, f in zip(NAMES, (1.02, 0.98, 1.01, 0.99, 1.03))]
    st, res, _ = ref.solve(prob, start, newton_from=1e-1)
    assert res <= 1e-10
    obs, _ = ref.observables(prob, st)
    assert obs["test_error"] == pytest.approx(r["observables"]["test_error"], abs=1e-10)


def test_hinge_is_the_hard_margin_below_the_separability_threshold():
    """Separable data: for lam below a threshold the hinge minimiser is the hard-margin SVM,
    independent of lam (Q, M equal; V grows like 1/lam); zero training loss."""
    for alpha in (0.5, 1.0, 2.0, 5.0):
        rs = [_record("hinge", alpha, lam) for lam in (1e-4, 1e-5, 1e-6)]
        for r in rs[1:]:
            assert r["fields"]["Q"] == pytest.approx(rs[0]["fields"]["Q"], rel=1e-8)
            assert r["fields"]["M"] == pytest.approx(rs[0]["fields"]["M"], rel=1e-8)
            assert r["fields"]["V"] * r["lam"] == pytest.approx(
                rs[0]["fields"]["V"] * rs[0]["lam"], rel=1e-8)
            assert r["observables"]["train_loss"] <= 1e-12


def test_logistic_norm_diverges_below_the_threshold():
    """Separable phase: q_w grows as lam -> 0 (like log(1/lam)^2), test error tends to the
    hard-margin value from the side of the regularised solution."""
    for alpha in (0.5, 1.0, 2.0, 5.0):
        q = [_record("logistic", alpha, lam)["state"]["q_w"] for lam in (1e-4, 1e-5, 1e-6)]
        assert q[0] < q[1] < q[2]


# ---------------------------------------------------------------- the pieces
def test_erf_constants_against_mpmath():
    m1, ms = ref.erf_constants()
    r1, rs = ref.erf_constants_mp(30)
    assert abs(m1 - float(r1)) <= 2e-16 and abs(ms - float(rs)) <= 2e-16
    with mpmath.workdps(30):
        assert abs(r1 - 2 / mpmath.sqrt(3 * mpmath.pi)) < mpmath.mpf(10) ** -28


@pytest.mark.parametrize("gamma", [0.1, 0.5, 1.0, 2.0, 7.0])
@pytest.mark.parametrize("z", [1e-6, 1e-3, 0.05, 0.5, 3.0, 10.0])
def test_spectral_against_closed_form(gamma, z):
    """The five spectral integrals (QAWS over the density) against the closed form of g, g'
    where the closed-form combinations do not cancel (z <= 10; for gamma > 1 the atom at 0
    makes them cancel as z -> 0 too: those are in test_spectral_against_mpmath)."""
    if gamma > 1 and z < 1e-2:
        pytest.skip("closed form cancels (atom/z - atom/z): see test_spectral_against_mpmath")
    A0, A1, A2, B1, B2 = ref.spectral(z, gamma)
    g, gp = ref.mp_g(z, gamma)
    assert A0 == pytest.approx(1 - z * g, rel=1e-10)
    assert A1 == pytest.approx(1 - 2 * z * g + z * z * gp, rel=1e-9)
    assert A2 == pytest.approx(g - z * gp, rel=1e-9)
    assert B1 == pytest.approx((1 - gamma) / z + gamma * g, rel=1e-10)
    assert B2 == pytest.approx((1 - gamma) / z**2 + gamma * gp, rel=1e-10)


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0, 7.0])
@pytest.mark.parametrize("z", [1e-6, 1e-4, 30.0, 1e9])
def test_spectral_against_mpmath(gamma, z):
    """The same against mpmath quad of the Marchenko--Pastur density at 30 digits (large z
    included, where 1 - 2zg + z^2 g' ~ 1/z^2 is lost by the closed form)."""
    got = ref.spectral(z, gamma)
    with mpmath.workdps(30):
        G, Z = mpmath.mpf(gamma), mpmath.mpf(z)
        lo, hi = (1 - mpmath.sqrt(G))**2, (1 + mpmath.sqrt(G))**2
        dens = lambda x: mpmath.sqrt((hi - x) * (x - lo)) / (2 * mpmath.pi * G * x)  # noqa
        kern = [lambda x: x / (x + Z), lambda x: (x / (x + Z))**2, lambda x: x / (x + Z)**2,
                lambda x: 1 / (x + Z), lambda x: 1 / (x + Z)**2]
        ex = [mpmath.quad(lambda x, k=k: k(x) * dens(x), [lo, (lo + hi) / 2, hi]) for k in kern]
        free = max(0, 1 - G)
        ex[3] = free / Z + G * ex[3]
        ex[4] = free / Z**2 + G * ex[4]
        if gamma == 1.0:  # dens ~ x^(-1/2) at 0: substitute x = u^2
            ex = []
            d2 = lambda u: mpmath.sqrt(4 - u * u) / mpmath.pi  # dens(u^2) 2u  # noqa: E731
            for k in kern:
                ex.append(mpmath.quad(lambda u, k=k: k(u * u) * d2(u), [0, 1, 2]))
    for a, b in zip(got, ex):
        assert a == pytest.approx(float(b), rel=1e-11)


@pytest.mark.parametrize("V", [1e-8, 1e-3, 0.5, 7.0, 1e4, 1e8, 1e12])
@pytest.mark.parametrize("w", [-40.0, -5.0, -0.3, 0.0, 1.7, 12.0, 45.0])
def test_logistic_prox_against_mpmath(w, V):
    t = ref.logistic_prox(w, V)
    with mpmath.workdps(40):
        f = lambda x: x - w - V / (1 + mpmath.exp(x))  # noqa: E731
        lo, hi = mpmath.mpf(w), mpmath.mpf(w) + V
        for _ in range(200):  # bisection: f is increasing
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
        exact = (lo + hi) / 2
        # brentq's rtol plus the rounding of t - w (cancellation when |t| << |w|)
        assert abs(t - exact) <= 4e-16 * max(abs(exact), abs(w)) + 1e-300


@pytest.mark.parametrize("V,Q,M,D", [(0.7, 1.3, 0.6, 0.0), (40.0, 50.0, 5.0, 1e-8),
                                     (1e-3, 2.0, 1.4, 1e-2), (3.0, 0.2, 0.44, 1e-4)])
def test_square_channel_closed_form(V, Q, M, D):
    """Square loss, y = sign(omega_0 + sqrt(D) xi): e_V = 1/(1+V), e_q = (1 - 2 sqrt(2/pi)
    M/sqrt(1+D) + Q)/(1+V)^2, e_m = sqrt(2/pi)/(sqrt(1+D)(1+V)) (Gaussian identities)."""
    ch = ref.Channel("square", V, Q, M, 1 - M * M / Q, D)
    (eV, eq, em, el), _ = ch.integrals()
    k = math.sqrt(2 / math.pi) / math.sqrt(1 + D)
    assert eV == pytest.approx(1 / (1 + V), rel=1e-12)
    assert eq == pytest.approx((1 - 2 * k * M + Q) / (1 + V) ** 2, rel=1e-12)
    assert em == pytest.approx(k / (1 + V), rel=1e-12)
    assert el == pytest.approx(eq / 2, rel=1e-12)


@pytest.mark.parametrize("loss", ["logistic", "hinge"])
@pytest.mark.parametrize("V,Q,M,D", [(0.7, 1.3, 0.6, 0.0), (63.0, 650.0, 22.6, 0.0),
                                     (1.5e3, 1.5, 0.7, 1e-2), (0.05, 4.0, 1.9, 1e-8)])
def test_label_symmetry(loss, V, Q, M, D):
    """Summing y = +1 and y = -1 explicitly equals twice the y = +1 term."""
    ch = ref.Channel(loss, V, Q, M, 1 - M * M / Q, D)
    (a, b, c, d), _ = ch.integrals()
    e = ch.integrals_both_labels()
    for x, y in zip((a, b, c, d), e):
        assert x == pytest.approx(y, rel=1e-11, abs=1e-300)


def test_hinge_eV_against_mpmath():
    """Hinge e_V = 2/V int_{(1-V)/sqrt Q}^{1/sqrt Q} phi(xi) Phi(c xi) dxi, at 30 digits."""
    V, Q, M, D = 0.8, 2.0, 1.1, 1e-4
    V0 = 1 - M * M / Q
    (eV, *_), _ = ref.Channel("hinge", V, Q, M, V0, D).integrals()
    with mpmath.workdps(30):
        c = M / mpmath.sqrt(Q * (V0 + D))
        f = lambda x: mpmath.npdf(x) * mpmath.ncdf(c * x)  # noqa: E731
        exact = 2 / V * mpmath.quad(f, [(1 - V) / mpmath.sqrt(Q), 0, 1 / mpmath.sqrt(Q)])
    assert eV == pytest.approx(float(exact), rel=1e-12)


@pytest.mark.parametrize("alpha,gamma,lam,D", [(2.0, 0.5, 1e-4, 0.0), (0.8, 0.5, 1e-3, 0.0),
                                               (3.0, 2.0, 1e-2, 1e-2), (1.0, 0.5, 1e-4, 1e-4)])
def test_square_loss_equals_mei_montanari(alpha, gamma, lam, D):
    """Square loss, sign teacher: the ridge of Mei & Montanari (arXiv:1908.05355v5, Thm 1) with
    psi1 = 1/gamma, psi2 = alpha/gamma, lambda_MM = lam gamma/alpha, F1 = E[y omega_0] =
    sqrt(2/pi)/sqrt(1+D), the rest of y (variance 1 - F1^2) as noise. Compared: the risk
    against F1 omega_0 (and, at D = 0, the mse against sign(omega_0) with F_star^2 = 1 - 2/pi)."""
    prob = ref.Problem("square", alpha, gamma, lam, D)
    st, res, _ = ref.solve(prob, [1.0, 1.0, 0.5, 1.0, 1.0])
    assert res <= 1e-10
    V, Q, M, V0 = prob.fields(st)
    F1 = math.sqrt(2 / math.pi) / math.sqrt(1 + D)
    m1, ms = ref.erf_constants()
    tau = math.sqrt(1 - F1**2)
    exact = float(mm.test_error(1 / gamma, alpha / gamma, lam * gamma / alpha, m1, ms, F1, 0,
                                tau, dps=20))
    assert F1**2 - 2 * F1 * M + Q == pytest.approx(exact, rel=1e-9)
    if D == 0:
        obs, _ = ref.observables(prob, st)
        exact = float(mm.test_error(1 / gamma, alpha / gamma, lam * gamma / alpha, m1, ms, F1,
                                    math.sqrt(1 - 2 / math.pi), 0, dps=20))
        assert obs["mse"] == pytest.approx(exact, rel=1e-9)


def test_logistic_large_lambda_limit():
    """lam -> infinity: w -> 0, training loss -> log 2."""
    prob = ref.Problem("logistic", 2.0, 0.5, 1e8)
    st, res, _ = ref.solve(prob, [1e-8, 1e-12, 1e-9, 1e-8, 1e-12])
    assert res <= 1e-10
    obs, _ = ref.observables(prob, st)
    assert obs["train_loss"] == pytest.approx(math.log(2), rel=1e-7)


@pytest.mark.parametrize("w,V", [(-3.0, 0.5), (0.2, 7.0), (2.5, 1e3), (-20.0, 1e5)])
def test_logistic_node_formulas(w, V):
    """The node values used in the integrals: f = (eta - w)/V = sigma(-eta), (1 - d eta/dw)/V
    from an mpmath derivative of the prox at 30 digits, loss = log(1 + exp(-eta))."""
    ch = ref.Channel("logistic", V, 1.0, 0.5, 0.75, 0.0)
    f, dv, loss = ch.node(w)  # Q = 1: omega = xi
    with mpmath.workdps(30):
        def prox(om):
            return mpmath.findroot(lambda t: t - om - V / (1 + mpmath.exp(t)),
                                   mpmath.mpf(ref.logistic_prox(float(om), V)))
        eta = prox(mpmath.mpf(w))
        deta = mpmath.diff(prox, mpmath.mpf(w))
        assert f == pytest.approx(float((eta - w) / V), rel=1e-13)
        assert dv == pytest.approx(float((1 - deta) / V), rel=1e-12)
        assert loss == pytest.approx(float(mpmath.log1p(mpmath.exp(-eta))), rel=1e-13)


@pytest.mark.parametrize("loss", ["hinge", "square"])
def test_teacher_integrated_out_against_2d_quadrature(loss):
    """Z(y, omega) = Phi(y omega/sqrt(V0 + D)) and the d_omega Z form of e_m against the
    2-D integral over (omega_0, omega_1) with P(y|omega_0) = Phi(y omega_0/sqrt D) and the
    Gaussian-integration-by-parts factor (omega_0 - M omega_1/Q)/V0 (the form of rf_convex.py):
    omega_1 = sqrt(Q) xi, omega_0 = M xi/sqrt(Q) + sqrt(V0) zeta, nested quad, y summed."""
    from scipy import integrate, special
    V, Q, M, D = 0.8, 2.0, 1.1, 0.2
    V0 = 1 - M * M / Q
    ch = ref.Channel(loss, V, Q, M, V0, D)
    (eV, eq, em, el), _ = ch.integrals()
    phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731

    def inner(xi, k):
        def g(zeta):
            w0 = M * xi / math.sqrt(Q) + math.sqrt(V0) * zeta
            tot = 0.0
            for y in (1, -1):
                r = ch.node(y * xi)
                f = y * r[0]
                p = special.ndtr(y * w0 / math.sqrt(D))
                tot += (p * r[1], p * f * f, zeta / math.sqrt(V0) * p * f)[k]
            return phi(zeta) * tot
        z0 = -M * xi / math.sqrt(Q * V0)
        return sum(integrate.quad(g, a, b, epsabs=1e-12, epsrel=1e-11)[0]
                   for a, b in ((-12, z0), (z0, 12)))

    kinks = sorted({s * x / math.sqrt(Q) for x in (1 - V, 1) for s in (1, -1)})
    pts = [-12] + kinks + [12]
    for k, want in enumerate((eV, eq, em)):
        got = sum(integrate.quad(lambda x, k=k: phi(x) * inner(x, k), a, b, epsabs=1e-12,
                                 epsrel=1e-11)[0] for a, b in zip(pts[:-1], pts[1:]))
        assert got == pytest.approx(want, rel=1e-9)
