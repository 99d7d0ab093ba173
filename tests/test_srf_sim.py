"""The spiked random-features simulator (Cui et al., arXiv:2402.04980v2, Definition 3.1) and the
list-of-alpha mode of both simulators: the weights as defined, the readout against least
squares, the order parameters against their definitions, nested alphas against single runs,
cache, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theory.errors import InputError
from theory.simulate import simulate_one_step, simulate_spiked_rf, spiked_rf_weights
from theory.simulate.spiked_rf import _SRF, _validate


def test_weights_are_the_srf_definition():
    d, p, r, c, gamma = 80, 120, 0.7, 1.3, 0.6
    w = spiked_rf_weights(d=d, beta=p / d, r=r, c=c, gamma=gamma, seed=4)
    W, W1, v, e, th = (w[k] for k in ("W", "W1", "vhat", "eperp", "theta_star"))
    assert W.shape == W1.shape == (p, d)
    assert np.max(np.abs(np.linalg.norm(W, axis=1) - math.sqrt(c))) < 1e-12
    assert np.max(np.abs(W1 - W - r * np.outer(np.ones(p), v))) < 1e-14
    assert abs(v @ v - 1) < 1e-12 and abs(e @ e - 1) < 1e-12 and abs(v @ e) < 1e-12
    assert abs(th @ th - 1) < 1e-12 and abs(th @ v - gamma) < 1e-12
    # the rows keep their random component along vhat: <w_k, vhat> ~ N(0, c/d)
    assert 0.5 < np.var(W @ v) * d / c < 1.6


def _direct(s, seed, n):
    """Same seed, same draws, the readout by least squares on [F; sqrt(lam) I]."""
    net = _SRF(s, seed)
    x, y, _ = net.data(n)
    F = np.tanh(x @ net.W1.T) / math.sqrt(s["p"])
    p = s["p"]
    a = np.linalg.lstsq(np.vstack([F, math.sqrt(s["lam"]) * np.eye(p)]),
                        np.concatenate([y, np.zeros(p)]), rcond=None)[0]
    return net, a, F, y


@pytest.mark.parametrize("alphas", [[0.5, 2.0], [1.5, 0.25]])
def test_readout_and_order_parameters_against_least_squares(alphas):
    d = 20
    s, al, _ = _validate(d=d, alpha=alphas, beta=1.5, r=0.8, c=1.2, gamma=0.5,
                         activation="tanh", target="sin", Delta=0.2, lam=0.05, n_test=10)
    s["ns"] = [round(a * d) for a in al]
    out = _SRF(s, 7).run()
    # nested prefixes: the readout of alpha_i uses the first n_i samples of one draw
    nmax = max(s["ns"])
    for i, n in enumerate(s["ns"]):
        net, a, F, y = _direct(s, 7, nmax)
        a = np.linalg.lstsq(np.vstack([F[:n], math.sqrt(s["lam"]) * np.eye(s["p"])]),
                            np.concatenate([y[:n], np.zeros(s["p"])]), rcond=None)[0]
        p = s["p"]
        Wa = net.W.T @ a
        Pi = np.eye(d) - np.outer(net.vhat, net.vhat)
        want = {"train_loss": np.mean((y[:n] - F[:n] @ a) ** 2), "q_a": a @ a / p,
                "m": a.sum() / math.sqrt(p), "zeta": Wa @ net.vhat / math.sqrt(p),
                "psi": Wa @ net.eperp / math.sqrt(p), "q1": Wa @ Pi @ Wa / p, "q2": a @ a / p}
        for k, v in want.items():
            assert abs(out[f"{k}[{i}]"] - v) < 1e-9 * (1 + abs(v)), (k, i)


def test_list_of_alpha_equals_single_alpha():
    """Each alpha of a list is distributed as alone; alpha=[a] reproduces alpha=a exactly
    (same draws), for the sRF and for the network after one step."""
    kw = dict(d=50, r=0.6, c=1.1, gamma=0.7, seeds=2, n_test=300)
    one = simulate_spiked_rf(alpha=1.5, **kw)
    lst = simulate_spiked_rf(alpha=[1.5], **kw)
    assert isinstance(lst, list) and len(lst) == 1
    assert abs(one.mean("test_error") - lst[0].mean("test_error")) < 1e-10
    kw1 = dict(d=50, alpha0=1.0, seeds=2, n_test=300)
    a = simulate_one_step(alpha=1.5, **kw1)
    b = simulate_one_step(alpha=[1.5], **kw1)[0]
    for k in ("test_error", "train_loss", "q_a", "r", "c"):
        assert abs(a.mean(k) - b.mean(k)) < 1e-10, k
    many = simulate_one_step(alpha=[0.5, 1.5, 0.5], **kw1)
    assert [m.settings["alpha"] for m in many] == [0.5, 1.5, 0.5]
    assert many[0].per_seed == many[2].per_seed
    # the largest alpha of the list uses the whole readout sample: as alone
    assert abs(many[1].mean("test_error") - a.mean("test_error")) < 1e-10
    assert many[1].mean("r") == many[0].mean("r")  # one step per seed, shared


def test_learning_lowers_the_error_and_cache(tmp_path, capsys):
    kw = dict(d=150, alpha=[0.5, 3.0], r=0.8, c=1.05, gamma=0.8, seeds=3, n_test=1000,
              cache=str(tmp_path))
    a = simulate_spiked_rf(**kw, progress=True)
    assert "seed 3/3" in capsys.readouterr().err
    b = simulate_spiked_rf(**kw)
    assert b[0].cached == 3 and a[1].per_seed == b[1].per_seed
    # below the null predictor E g^2 = 0.394 (tanh) and decreasing in alpha
    assert 0 < a[1].mean("test_error") < a[0].mean("test_error") < 0.394


@pytest.mark.parametrize("kw,param", [
    (dict(d=1), "d"), (dict(beta=0.0), "beta"), (dict(beta=0.01), "beta"), (dict(r=-0.1), "r"),
    (dict(c=0.0), "c"), (dict(gamma=1.5), "gamma"), (dict(gamma=-1.2), "gamma"),
    (dict(Delta=-1.0), "Delta"), (dict(lam=0.0), "lam"), (dict(alpha=0.0), "alpha"),
    (dict(alpha=[]), "alpha"), (dict(alpha=[1.0, -1.0]), "alpha"), (dict(alpha=1e-4), "alpha"),
    (dict(seeds=0), "seeds"), (dict(n_test=0), "n_test"), (dict(target="x*y"), "target"),
    (dict(activation="tanh(y)"), "activation"), (dict(r=float("nan")), "r")])
def test_bad_input(kw, param):
    args = dict(d=20, alpha=1.0, r=0.5)
    args.update(kw)
    with pytest.raises(InputError) as e:
        simulate_spiked_rf(**args)
    assert e.value.param == param and param in str(e.value)


def test_bad_alpha_list_one_step():
    with pytest.raises(InputError) as e:
        simulate_one_step(d=20, alpha0=1.0, alpha=[1.0, 0.0])
    assert e.value.param == "alpha"
