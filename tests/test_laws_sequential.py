"""Sequential feature recovery (theory/laws/sequential.py): the issue 11 item 4 "must show" list.

Numbers asserted come from tests/reference/laws_seq_make.py (mpmath only, 50 vs 70 digits:
the threshold solved jointly in (m, sigma), the risks feature by feature with Newton on the
fixed point and a Riemann-zeta tail) or from closed forms (the exponents 1/(2 beta) - 1 and -1,
n_j = d sigma_c j^(2 beta), the Catalan bound below).
"""

from __future__ import annotations

import json
from pathlib import Path

import mpmath as mp
import pytest
import sympy as sp

from theory.errors import InputError
from theory.laws.law import get_law
from theory.laws.sequential import (channel_free_entropy, channel_overlap, correction_exponents,
                                    derive_exponents, feature_thresholds, learning_envelope,
                                    learning_lattice, overlaps, recovered_count, richardson_exponent,
                                    risk, sequential_learning_law, sequential_refinement_law,
                                    transition_overlap, transition_snr)

REF = json.loads((Path(__file__).parent / "reference" / "laws_seq_values.json").read_text())
BETAS = [0.75, 1.0, 1.5, 2.0]


def _close(a, b, rel):
    return abs(mp.mpf(a) - mp.mpf(b)) <= rel * max(1, abs(mp.mpf(b)))


def test_threshold_to_38_digits():
    with mp.workdps(40):
        assert _close(transition_snr(), REF["sigma_c"], mp.mpf(10) ** -38)
        assert _close(transition_overlap(), REF["m_c"], mp.mpf(10) ** -38)


def test_each_transition_is_a_jump_of_the_overlap():
    """The channel: the Bayes-optimal overlap is 0 just below sigma_c and m_c ~ 0.645 just
    above (1e-30 either side, at 40 digits); the free entropy of the informative branch changes
    sign there. The model: feature j's overlap jumps at n_j = d sigma_c j^(2 beta)."""
    with mp.workdps(40):
        sc, mc = mp.mpf(REF["sigma_c"]), mp.mpf(REF["m_c"])
        below, above = sc * (1 - mp.mpf(10) ** -30), sc * (1 + mp.mpf(10) ** -30)
        assert channel_overlap(below) == 0
        assert _close(channel_overlap(above), mc, mp.mpf(10) ** -25) and mc > mp.mpf("0.64")
        # the informative branch exists below sigma_c but loses to m = 0 (Phi < 0 there)
        m_lo = channel_overlap(below, branch="informative")
        assert channel_free_entropy(m_lo, below) < 0 < channel_free_entropy(
            channel_overlap(above), above)
    with mp.workdps(30):
        sc = mp.mpf(REF["sigma_c"])
        for beta in (0.75, 2.0):
            prev = 0
            for j in range(1, 6):
                nj = feature_thresholds(j, beta=beta, d=100)
                assert _close(nj, 100 * sc * mp.mpf(j) ** (2 * mp.mpf(beta)), mp.mpf(10) ** -28)
                assert nj > prev
                prev = nj
                lo = overlaps(nj * (1 - mp.mpf(10) ** -12), beta=beta, d=100, k=8)
                hi = overlaps(nj * (1 + mp.mpf(10) ** -12), beta=beta, d=100, k=8)
                assert lo[j - 1] == 0 and hi[j - 1] > mp.mpf("0.6449")
                assert all(m > mp.mpf("0.6449") for m in hi[:j]) and all(m == 0 for m in hi[j:])
                assert recovered_count(nj * (1 - mp.mpf(10) ** -12), beta=beta, d=100) == j - 1
                assert recovered_count(nj, beta=beta, d=100) == j


def test_risk_against_reference():
    with mp.workdps(40):
        for r in REF["risk"]:
            val = risk(mp.mpf(r["n"]), beta=float(r["beta"]), d=float(r["d"]), k=r["k"])
            assert _close(val, r["eps"], mp.mpf(10) ** -36), r
        for r in REF["lattice"]:  # J = 150, 90 go through Euler-Maclaurin, J = 40 directly
            n = learning_lattice(r["J"], beta=float(r["beta"]))
            assert _close(risk(n, beta=float(r["beta"])), r["eps"], mp.mpf(10) ** -36), r
            assert _close(learning_envelope(n, beta=float(r["beta"])), r["eps"],
                          mp.mpf(10) ** -36), r


def test_envelope_is_monotone_between_lattice_points():
    with mp.workdps(30):
        vals = [learning_envelope(learning_lattice(mp.mpf(J) / 4, beta=1.5), beta=1.5)
                for J in range(400, 410)]
        assert all(a > b for a, b in zip(vals, vals[1:]))


@pytest.mark.parametrize("beta", BETAS)
def test_learning_exponent_to_1e_10(beta):
    """Exponent 1/(2 beta) - 1 from the model's own risk at dps 30: Richardson on the mid-step
    lattice J = 2^10..2^16 with the known correction exponents; the reported bound < 1e-10 and
    the value within it of the closed form."""
    with mp.workdps(30):
        law = sequential_learning_law(beta, 1.0)
        grid = [mp.mpf(2) ** (10 + m) for m in range(7)]
        val, err, table = richardson_exponent(
            lambda J: law.log_slope(learning_lattice(J, beta=beta)), grid,
            correction_exponents(beta))
        exact = 1 / (2 * mp.mpf(beta)) - 1
        assert err < mp.mpf(10) ** -14, err
        assert abs(val - exact) <= err
        assert abs(table[0][1] - exact) > mp.mpf(10) ** -8  # extrapolation was needed
        assert sp.simplify(law.predicted - (sp.nsimplify(beta) ** -1 / 2 - 1)) == 0


@pytest.mark.parametrize("beta", BETAS)
def test_refinement_exponent_to_1e_10(beta):
    with mp.workdps(30):
        law = sequential_refinement_law(beta, 100, 1)
        grid = [law.points(j) for j in range(1, 9)]
        val, err, _ = richardson_exponent(law.log_slope, grid, list(range(1, 12)))
        assert err < mp.mpf(10) ** -12 and abs(val + 1) <= err
        assert law.predicted == -1


def test_sympy_derives_the_exponents():
    r = derive_exponents()
    beta = r["beta"]
    assert sp.simplify(r["learning_exponent"] - (1 / (2 * beta) - 1)) == 0
    assert r["refinement_exponent"] == -1
    assert sp.simplify(r["refinement_leading"] - r["d"] * r["k"] / r["n"]) == 0
    assert r["spinodal"] == 4 and r["stationarity"] == 0
    s = r["sigma"]
    assert sp.expand(r["error_series"] - (1 / s + 1 / s**2 + 2 / s**3)) == 0  # Catalan 1, 1, 2
    assert not r["learning_ratio"].has(r["n"])  # eps n / (k_c d) is n-independent
    with mp.workdps(40):  # the threshold equation and m_+ at the reference (m_c, sigma_c)
        mc, sc = mp.mpf(REF["m_c"]), mp.mpf(REF["sigma_c"])
        f = sp.lambdify(r["m"], r["threshold_equation"], "mpmath")
        assert abs(f(mc)) < mp.mpf(10) ** -37
        mp_ = sp.lambdify(s, r["m_plus"], "mpmath")
        assert _close(mp_(sc), mc, mp.mpf(10) ** -37)


@pytest.mark.parametrize("beta", BETAS)
def test_risk_is_theta_kc_d_over_n_over_six_decades(beta):
    """1 <= eps n / (k_c d) <= sigma_c (1 - m_c) + sigma_c 4^beta / (2 beta - 1) for k_c >= 1
    (proof: 1 - m_+(s) = sum_j C_j s^-(j+1) >= 1/s and s (1 - m_+(s)) decreases; the tail
    sum_{i > k_c} i^(-2 beta) <= k_c^(1 - 2 beta)/(2 beta - 1) with n < d sigma_c (k_c+1)^(2 beta)).
    n from n_1 to 10^6 n_1, d = k = 100; beta <= 1.5 crosses into the refinement regime (k_c = k),
    where the ratio tends to 1."""
    with mp.workdps(20):
        sc, mc = mp.mpf(REF["sigma_c"]), mp.mpf(REF["m_c"])
        bound = sc * (1 - mc) + sc * 4 ** mp.mpf(beta) / (2 * mp.mpf(beta) - 1)
        n1 = feature_thresholds(1, beta=beta, d=100)
        ratios, counts = [], []
        for e in range(0, 31):
            n = n1 * mp.mpf(10) ** (mp.mpf(e) / 5)
            kc = recovered_count(n, beta=beta, d=100, k=100)
            ratios.append(risk(n, beta=beta, d=100, k=100) * n / (kc * 100))
            counts.append(kc)
        assert all(1 <= q <= bound for q in ratios), (min(ratios), max(ratios), bound)
        # k_c(10^6 n_1) = min(k, 10^(6/(2 beta))): the refinement regime for beta <= 1.5
        x = mp.mpf(10) ** (3 / mp.mpf(beta))
        expected = min(100, int(mp.nint(x)) if abs(x - mp.nint(x)) < 1e-9 else int(x))
        assert counts[-1] == expected, (counts[-1], expected)
        if 100 ** (2 * beta) <= 1e4:  # two decades inside the refinement regime
            assert ratios[-1] < mp.mpf("1.01")


def test_registry_and_bad_input():
    law = get_law("sequential_learning", beta=1.5)
    assert law.predicted == sp.Rational(-2, 3) and law.var == "n"
    assert get_law("sequential_refinement", beta=2).predicted == -1
    for bad in (0.5, 0.3, -1, float("nan"), "x"):
        with pytest.raises(InputError, match="beta"):
            risk(10, beta=bad)
        with pytest.raises(InputError):
            get_law("sequential_learning", beta=bad)
    with pytest.raises(InputError, match="kappa"):
        sequential_refinement_law(1.0, 10, 0.15)
    with pytest.raises(InputError, match="k="):
        risk(10, beta=1, k=2.5)
    with pytest.raises(InputError, match="sigma"):
        channel_overlap(3, branch="informative")


def test_derivation_golden():
    """derivations/laws.py writes derivations/out/laws.tex from the SymPy objects (golden)."""
    import importlib.util

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("laws_deriv", root / "derivations" / "laws.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    text = mod.render()
    assert mod.OUT.read_text() == text
    assert r"-1 + \frac{1}{2 \gamma}" in text and r"\frac{d k}{n}" in text
    assert r"\beta = \frac{3}{4} &= - \frac{1}{3}" in text
    assert "4.36733022185703437620788409116" in text  # the reference's sigma_c, 30 digits


def test_verify_exponent_on_the_registered_laws():
    """lawscore's verify_exponent (Wynn epsilon, no knowledge of the correction exponents, two
    precisions) on the registered laws: exponent within its bound of the closed form, bound
    < 1e-10, at dps 30."""
    from theory.laws.exponent import verify_exponent

    for name, params, exact, terms in (
            ("sequential_learning", {"beta": 1.0}, mp.mpf(-1) / 2, 12),
            ("sequential_refinement", {"beta": 1.0}, mp.mpf(-1), 16)):
        r = verify_exponent(get_law(name, **params), dps=30, terms=terms)
        with mp.workdps(40):
            assert r.error < 1e-10 and r.agrees and r.reliable, (name, r.message)
            assert abs(r.exponent - exact) <= r.error, name


@pytest.mark.slow  # about 40 s: 16 exact slopes at two precisions for each beta
@pytest.mark.parametrize("beta", BETAS)
def test_verify_exponent_learning_all_betas(beta):
    from theory.laws.exponent import verify_exponent

    r = verify_exponent(sequential_learning_law(beta, 1.0), dps=30, terms=16)
    with mp.workdps(40):
        exact = 1 / (2 * mp.mpf(beta)) - 1
        assert r.error < 1e-10 and r.agrees, r.message
        assert abs(r.exponent - exact) <= r.error


def test_threshold_finder_on_the_channel():
    """lawscore's find_threshold ("zero" of Phi(m_+(sigma); sigma), the informative branch's
    free entropy against the uninformative one's 0) gives sigma_c to 30 digits: the jump's
    location from the model's free entropy, not from the module's reduced equation."""
    from theory.laws.threshold import find_threshold

    f = lambda s: channel_free_entropy(channel_overlap(s, branch="informative"), s)  # noqa: E731
    r = find_threshold(f, vary="sigma", bracket=(4.05, 5.0), kind="zero", dps=30)
    with mp.workdps(40):
        assert r.digits >= 29 and abs(r.value - mp.mpf(REF["sigma_c"])) < mp.mpf(10) ** -29
