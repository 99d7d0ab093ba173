"""theory.losses: every loss's proximal operator against an independent 30-digit mpmath
bisection (tails included), the generic Newton on every loss, penalties, channels, the
registry, user-defined losses in rf_convex and the simulator, the square loss integrated
exactly (rf_convex = rf_ridge to 1e-10), and (slow) Huber's replica equations against
simulations at d = 1000."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from theory.errors import ConvergenceError, InputError
from theory.losses import (CHANNELS, LOSSES, Loss, get_channel, get_loss, get_penalty,
                           newton_prox, newton_prox_mp)
from theory.models.base import solve
from theory.models.rf_convex import build_system
from theory.symbolic.expectation import Expectation

# ------------------------------------------------------------------ independent references
# the subgradient of each loss, written by hand here (not from theory): l'(y, x)


def _d_ref(name, y, x):
    if name == "square":
        return x - y
    if name == "logistic":
        return -y / (1 + mpmath.exp(y * x))
    if name == "hinge":
        return -y if y * x < 1 else (0 if y * x > 1 else -y / 2)
    if name == "huber":
        return min(max(x - y, -1), 1)
    if name == "squared_hinge":
        return -y * max(0, 1 - y * x)
    if name == "exponential":
        return -y * mpmath.exp(-y * x)
    raise KeyError(name)


def prox_ref(name, y, om, V):
    """Root of (x - omega)/V + l'(y, x) (nondecreasing) by bisection at 40 digits (halving
    in asinh units while the bracket is wider than 1: a bracket 1e4000 wide shrinks to width
    1 in a few dozen steps, then arithmetically)."""
    with mpmath.workdps(40):
        y, om, V = mpmath.mpf(y), mpmath.mpf(om), mpmath.mpf(V)

        def g(x):
            return (x - om) / V + _d_ref(name, y, x)

        w = V * (abs(_d_ref(name, y, om)) + 1) + 1
        lo, hi = om - w, om + w
        assert g(lo) <= 0 <= g(hi)
        for _ in range(5000):
            mid = (lo + hi) / 2
            if hi - lo > 1:
                mid = mpmath.sinh((mpmath.asinh(lo) + mpmath.asinh(hi)) / 2)
            if g(mid) > 0:
                hi = mid
            else:
                lo = mid
            if hi - lo < mpmath.mpf(10) ** -34 * max(1, abs(mid)):
                break
        return (lo + hi) / 2


VS = (1e-8, 1e-3, 0.5, 3.0, 100.0, 1e6, 1e12)
OMS = (-1e4, -50.0, -3.0, -0.7, 0.0, 0.4, 1.0, 2.0, 30.0, 1e4)


def _labels(loss):
    return (1.0, -1.0) if loss.margin else (1.0, -1.0, 0.3)


def _grid(loss):
    return [(y, om, V) for y in _labels(loss) for om in OMS for V in VS]


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_prox_matches_mpmath_bisection(name):
    """The loss's own prox (closed form or Newton) and the generic Newton, float64 and
    mpmath, against bisection at 40 digits, V from 1e-8 to 1e12, |omega| up to 1e4."""
    loss = get_loss(name)
    grid = _grid(loss)
    y, om, V = (np.array(c) for c in zip(*grid))
    own = loss.prox(y, om, V)
    gen = newton_prox(loss, y, om, V)
    worst = 0.0
    for k, (yk, ok, Vk) in enumerate(grid):
        ref = prox_ref(name, yk, ok, Vk)
        scale = max(1.0, abs(float(ref)))
        for got in (own[k], gen[k]):
            err = abs(float(got - ref)) / scale
            worst = max(worst, err)
            assert err <= 2e-14, (name, yk, ok, Vk, got, float(ref))
        if k % 3 == 0:  # the mpmath twin at 30 digits (a third of the grid: time)
            with mpmath.workdps(30):
                mp = loss.prox_mp(mpmath.mpf(yk), mpmath.mpf(ok), mpmath.mpf(Vk))
                assert abs(mp - ref) <= mpmath.mpf(10) ** -27 * scale, (name, yk, ok, Vk)
    assert worst <= 2e-14


@pytest.mark.parametrize("name", ["huber", "exponential", "squared_hinge"])
def test_generic_newton_mp_at_30_digits(name):
    loss = get_loss(name)
    for y, om, V in [(1, -50, 3), (-1, 2, 1e6), (1, 0.4, 1e-3), (1, -1e4, 100)]:
        ref = prox_ref(name, y, om, V)
        with mpmath.workdps(30):
            got = newton_prox_mp(loss, y, om, V)
            assert abs(got - ref) <= mpmath.mpf(10) ** -27 * max(1, abs(ref))


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_prox_derivative_is_the_implicit_derivative(name):
    loss = get_loss(name)
    y = np.array([1.0, -1.0, 1.0])
    om = np.array([-2.3, 0.37, 3.1])
    V = np.array([0.7, 2.0, 5.0])
    d = loss.prox_derivative(y, om, V)
    h = 1e-7
    for k in range(3):
        fd = (prox_ref(name, y[k], om[k] + h, V[k]) - prox_ref(name, y[k], om[k] - h, V[k])) / (
            2 * h)
        assert abs(d[k] - float(fd)) < 1e-7, (name, k, d[k], float(fd))


def test_loss_values_and_derivatives_from_sympy():
    h = get_loss("huber(delta=0.5)")
    assert h.delta == 0.5 and str(h) == "huber(delta=0.5)"
    r = np.array([-2.0, -0.3, 0.0, 0.4, 3.0])
    np.testing.assert_allclose(h.value(r, 0.0), [0.875, 0.045, 0.0, 0.08, 1.375], rtol=1e-15)
    np.testing.assert_allclose(h.grad(r, 0.0), [0.5, 0.3, 0.0, -0.4, -0.5], rtol=1e-15)
    np.testing.assert_allclose(h.hess(r, 0.0), [0, 1, 1, 1, 0])
    e = get_loss("exponential")
    assert e.derivative(2) == sp.Symbol("y", real=True) ** 2 * sp.exp(
        -sp.Symbol("y", real=True) * sp.Symbol("z", real=True))
    lg = get_loss("logistic")
    assert lg.value(1.0, -800.0) == pytest.approx(800.0, rel=1e-15)  # no overflow
    assert float(lg.value_mp(1, -800)) == pytest.approx(800.0, rel=1e-15)


def test_newton_failure_names_the_node():
    class Broken(Loss):
        name = "broken"
        residual = True

        def expr(self, yy, zz):
            return (yy - zz) ** 2 / 2

        def grad(self, yy, zz):  # NaN beyond 0.5: no bracket update, no convergence
            zz = np.asarray(zz, float)
            return np.where(zz > 0.25, np.nan, zz - np.asarray(yy, float))

    with pytest.raises(ConvergenceError) as e:
        newton_prox(Broken(), np.array([0.0, 2.0]), np.array([0.0, 0.0]), np.array([1.0, 1.0]))
    assert "omega = 0.0" in str(e.value) and "y = 2.0" in str(e.value)
    with pytest.raises(InputError) as e:
        newton_prox(get_loss("huber"), 1.0, 0.0, -1.0)
    assert e.value.param == "V"


# ------------------------------------------------------------------ penalties and channels
def test_penalties():
    l2, l1 = get_penalty("l2"), get_penalty("l1")
    om = np.array([-3.0, -0.2, 0.0, 0.5, 4.0])
    np.testing.assert_allclose(l2.prox(om, 2.0, 0.5), om / 2.0)
    np.testing.assert_allclose(l1.prox(om, 2.0, 0.5), [-2.0, 0.0, 0.0, 0.0, 3.0])
    # the prox is the minimiser: brute force on a fine grid
    xs = np.linspace(-5, 5, 200001)
    for pen in (l1, l2):
        rf = sp.lambdify(sp.Symbol("w"), pen.expr(sp.Symbol("w"), 0.5), "numpy")
        for o in om:
            obj = (xs - o) ** 2 / 4 + rf(xs)
            assert abs(pen.prox(o, 2.0, 0.5) - xs[np.argmin(obj)]) < 1e-4


def test_channels_and_registry():
    assert set(LOSSES) >= {"square", "logistic", "hinge", "huber", "squared_hinge",
                           "exponential"}
    assert set(CHANNELS) >= {"linear", "sign", "tanh"}
    s = get_channel("sign")
    w0 = np.array([-1.0, 0.5, 2.0])
    assert list(s.sample(w0, np.array([3.0, 0.0, -3.0]), noise=1.0)) == [1.0, 1.0, -1.0]
    lin = get_channel("linear")
    np.testing.assert_allclose(lin.sample(w0, np.ones(3), noise=0.25, nonlinear=np.ones(3)),
                               w0 + 1.5)
    np.testing.assert_allclose(get_channel("tanh").clean(w0), np.tanh(w0))
    for bad in ("cauchy", "huber(eps=1)", "huber(delta=x)"):
        with pytest.raises(InputError) as e:
            get_loss(bad)
        assert e.value.param == "loss"
    with pytest.raises(InputError):
        get_loss("huber(delta=-1)")
    with pytest.raises(InputError) as e:
        solve("rf_convex", loss="huber", teacher="sign", Fstar=0.3)
    assert "Fstar" in str(e.value)
    with pytest.raises(InputError) as e:
        solve("rf_convex", loss="exponential", teacher="linear")
    assert "teacher" in str(e.value)


# ------------------------------------------------------------------ replica equations
def _has_quadrature(system):
    exprs = [e for _, e in system.steps] + list(system.updates.values()) + list(
        system.observables.values())
    return any(e.has(Expectation) for e in exprs)


def test_square_loss_has_no_quadrature():
    assert not _has_quadrature(build_system("square", "linear", True))
    assert _has_quadrature(build_system("huber", "linear", True))


# (psi1, psi2, lam, F1, Fstar, tau), relu: the interpolation peak psi1 = psi2 included
RIDGE_GRID = [(1.5, 1.5, 1e-4, 1.0, 0.0, 0.0), (1.5, 1.5, 1e-4, 1.0, 0.5, 0.3),
              (0.5, 2.0, 1e-3, 1.0, 0.0, 0.2), (3.0, 1.0, 1e-2, 1.0, 0.7, 0.0),
              (0.3, 0.8, 1e-1, 1.0, 0.0, 0.5), (2.0, 2.1, 1e-3, 0.8, 0.2, 0.1)]


def ridge_as_convex(psi1, psi2, lam, F1, Fs, tau):
    """rf_ridge's (Mei-Montanari) parameters in rf_convex's convention: alpha = n/p =
    psi2/psi1, gamma = d/p = 1/psi1, the ridge N lam/d ||a||^2 over n samples is
    lam_convex/2 ||w||^2 with lam_convex = psi2 lam; rho = F1^2, Delta = tau^2; F_star the
    same symbol in both."""
    return {"alpha": psi2 / psi1, "gamma": 1 / psi1, "lam": psi2 * lam, "activation": "relu",
            "loss": "square", "teacher": "linear", "rho": F1**2, "Delta": tau**2,
            "Fstar": Fs}


@pytest.mark.parametrize("pt", RIDGE_GRID)
def test_square_rf_convex_equals_rf_ridge(pt):
    psi1, psi2, lam, F1, Fs, tau = pt
    ref = solve("rf_ridge", psi1=psi1, psi2=psi2, lam=lam, F1=F1, Fstar=Fs, Delta=tau**2)
    got = solve("rf_convex", tol=1e-13, **ridge_as_convex(*pt))
    assert got.converged, got.message
    a, b = ref.observables["test_error"], got.observables["test_error"]
    assert abs(a - b) <= 1e-10 * a, (a, b)


class MySquare(Loss):
    """A user's square loss: only its value, so prox = generic Newton and the channel
    averages go through the quadrature (the residual reduction)."""

    name = "my_square"
    residual = True

    def expr(self, yy, zz):
        return (yy - zz) ** 2 / 2


def test_user_loss_instance_in_rf_convex():
    pt = RIDGE_GRID[3]
    ref = solve("rf_ridge", psi1=pt[0], psi2=pt[1], lam=pt[2], F1=pt[3], Fstar=pt[4],
                Delta=pt[5] ** 2).observables["test_error"]
    got = solve("rf_convex", tol=1e-11, **{**ridge_as_convex(*pt), "loss": MySquare()})
    assert got.converged, got.message
    assert _has_quadrature(build_system(MySquare(), "linear", True))
    assert got.observables["test_error"] == pytest.approx(ref, rel=1e-9)


def test_huber_limits():
    """Huber with delta -> inf is the square loss; lam -> inf: w -> 0, the loss is E h(y)."""
    kw = dict(alpha=2.0, gamma=0.5, lam=0.05, teacher="linear", Delta=0.5)
    big = solve("rf_convex", loss="huber(delta=100)", **kw).observables
    sq = solve("rf_convex", loss="square", **kw).observables
    assert big["test_error"] == pytest.approx(sq["test_error"], rel=1e-10)
    r = solve("rf_convex", loss="huber", lam=1e8, teacher="linear", rho=1.0, Delta=1.0)
    # y ~ N(0, 2): E h_1(y) = E y^2/2 on |y| <= 1 + E(|y| - 1/2) beyond (closed form)
    s = math.sqrt(2.0)
    a = 1 / s
    phi, Phi = math.exp(-a * a / 2) / math.sqrt(2 * math.pi), 0.5 * math.erfc(a / math.sqrt(2))
    inner = s**2 / 2 * ((1 - 2 * Phi) - 2 * a * phi)
    outer = 2 * (s * phi - 0.5 * Phi)
    assert r.observables["train_loss"] == pytest.approx(inner + outer, rel=1e-6)


@pytest.mark.parametrize("name,at0", [("squared_hinge", 0.5), ("exponential", 1.0)])
def test_new_margin_losses_large_lam(name, at0):
    r = solve("rf_convex", loss=name, teacher="sign", lam=1e8)
    assert r.converged and r.observables["train_loss"] == pytest.approx(at0, rel=1e-6)
    r = solve("rf_convex", loss=name, teacher="sign", alpha=2, gamma=0.5, lam=0.05)
    assert r.converged and 0 < r.observables["test_error"] < 0.5


# ------------------------------------------------------------------ simulator
def test_simulator_fit_uses_the_loss_object():
    from theory.simulate import simulate_random_features
    from theory.simulate.random_features import _Problem

    s = simulate_random_features(d=30, p=40, n=60, loss="huber(delta=0.5)", teacher="linear",
                                 Delta=0.5, lam=0.1, seeds=2, n_test=100)
    assert s.settings["loss"] == "huber(delta=0.5)" and s.mean("train_loss") > 0
    pr = _Problem({**s.settings, "loss": MySquare()}, 0)
    X, y, _, _ = pr.data(60, pr.rng)
    w, gnorm = pr.fit(X, y)
    A = X / math.sqrt(40)
    ref = np.linalg.solve(A.T @ A + 0.1 * np.eye(40), A.T @ y)  # ridge, independent
    assert np.max(np.abs(w - ref)) < 1e-6 and gnorm < 1e-6
    with pytest.raises(InputError):
        simulate_random_features(d=10, p=10, n=10, loss="huber", teacher="linear", Fstar=0.5)


HUBER_ALPHAS = (1.0, 2.0, 3.0, 4.0, 5.0)


@pytest.mark.slow
def test_huber_replica_vs_simulation_d1000():
    """Huber (delta = 1), erf features, linear teacher with noise Delta = 0.5, gamma = 2,
    lam = 0.05: the replica test error and training loss against 6 seeds at d = 1000."""
    from theory.simulate import simulate_random_features

    zs = []
    for a in HUBER_ALPHAS:
        th = solve("rf_convex", alpha=a, gamma=2.0, lam=0.05, loss="huber", teacher="linear",
                   Delta=0.5)
        assert th.converged
        sim = simulate_random_features(d=1000, p=500, n=round(500 * a), loss="huber",
                                       lam=0.05, teacher="linear", Delta=0.5, seeds=6,
                                       n_test=2000)
        for k in ("test_error", "train_loss"):
            m, se = sim.observables[k]
            zs.append((a, k, (m - th.observables[k]) / se))
    print("z-scores:", [(a, k, round(z, 2)) for a, k, z in zs])
    assert all(abs(z) < 3 for _, _, z in zs), zs
