"""The hierarchical model's code helpers (theory/laws/hierarchical.py; laws-digest.md section 4).

Asserted numbers: closed forms (the thresholds' formulas, d^alpha_th(j) = d^2 j^(2 gamma), the
exponent -1 + 1/(2 gamma)) and tests/reference/laws_seq_values.json (tail sums by plain
summation in mpmath, tests/reference/laws_seq_make.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import mpmath as mp
import pytest
import sympy as sp

from theory.errors import InputError
from theory.laws.hierarchical import (alpha_shifted, alpha_threshold, derive_hierarchical_exponent,
                                      hierarchical_envelope, hierarchical_lattice,
                                      hierarchical_law, recovered_directions, tail_risk)
from theory.laws.law import get_law
from theory.laws.sequential import richardson_exponent

REF = json.loads((Path(__file__).parent / "reference" / "laws_seq_values.json").read_text())
GAMMAS = [0, 0.2, 0.4, 0.6, 0.8, 1.0]  # the scripts' grid


def test_three_regimes_and_their_continuity():
    with mp.workdps(30):
        d, e = mp.mpf(400), mp.mpf("0.5")
        assert alpha_threshold(7, d=d, gamma=0, epsilon=e) == 2 + e
        L = mp.log(7) / mp.log(d)
        assert abs(alpha_threshold(7, d=d, gamma="0.2", epsilon=e)
                   - (2 + mp.mpf("0.6") * e + mp.mpf("0.4") * L)) < 1e-28
        assert abs(alpha_threshold(7, d=d, gamma="0.8", epsilon=e) - (2 + mp.mpf("1.6") * L)) < 1e-28
        # the middle regime meets the outer two at gamma -> 0+ and gamma = 1/2
        tiny = mp.mpf(10) ** -20
        assert abs(alpha_threshold(7, d=d, gamma=tiny, epsilon=e) - (2 + e)) < 1e-18
        half = mp.mpf(1) / 2
        assert abs(alpha_threshold(7, d=d, gamma=half - tiny, epsilon=e)
                   - alpha_threshold(7, d=d, gamma=half, epsilon=e)) < 1e-18


@pytest.mark.parametrize("gamma", GAMMAS[1:])
def test_direction_j_is_recovered_exactly_at_its_threshold(gamma):
    """m_th(alpha_th(j)) = j for j = 1..p, and j - 1 just below (d = 400, p = 20); in float64
    the plain floor misses some of these (d = 250, gamma = 0.8, j = 13)."""
    with mp.workdps(30):
        for d in (250, 400):
            p = int(mp.floor(mp.sqrt(d)))
            for j in range(1, p + 1):
                a = alpha_threshold(j, d=d, gamma=gamma)
                assert recovered_directions(a, d=d, gamma=gamma) == j
                assert recovered_directions(a - mp.mpf(10) ** -10, d=d, gamma=gamma) == j - 1
            assert recovered_directions(10, d=d, gamma=gamma) == p  # clipped at p


def test_gamma_zero_recovers_all_at_once():
    assert recovered_directions(2.49, d=400, gamma=0, epsilon=0.5) == 0
    assert recovered_directions(2.5, d=400, gamma=0, epsilon=0.5) == 20


def test_digest_consistency_check():
    """[D] of laws-digest.md section 4: n_j = d^alpha_th(j) = d^2 j^(2 gamma) for gamma >= 1/2,
    the unshifted alpha_j of plot_powerlaw_tail_vs_mse.py is the same threshold, the tail at
    m(n) = (n/d^2)^(1/(2 gamma)) is zeta(2 gamma, m + 1) ~ n^(1/(2 gamma) - 1), and SymPy derives
    the exponent and the identity with symbolic gamma."""
    with mp.workdps(30):
        for gamma, d in ((0.6, 120), (1.0, 800)):
            for j in (1, 2, 5, 17):
                nj = mp.mpf(d) ** alpha_threshold(j, d=d, gamma=gamma)
                assert abs(nj / (mp.mpf(d) ** 2 * mp.mpf(j) ** (2 * mp.mpf(gamma))) - 1) < 1e-27
                assert abs(alpha_shifted(j, d=d, gamma=gamma, p=30)
                           - alpha_threshold(j, d=d, gamma=gamma)) < 1e-28
            # the shift -2 ln C_gamma / ln d is positive (C_gamma < 1)
            assert alpha_shifted(1, d=d, gamma=gamma, p=30, shift=True) > 2
            for J in (3, 40):
                n = hierarchical_lattice(J, gamma=gamma, d=d)
                alpha = mp.log(n) / mp.log(d)
                assert abs(hierarchical_envelope(n, gamma=gamma, d=d)
                           - tail_risk(alpha, d=d, gamma=gamma, p=float("inf"))) < 1e-28
    r = derive_hierarchical_exponent()
    g = r["gamma"]
    assert sp.simplify(r["exponent"] - (-1 + 1 / (2 * g))) == 0
    assert r["threshold_identity"] == 0


def test_tail_risk_against_reference():
    with mp.workdps(40):
        for t in REF["tail"]:
            g, p, m = mp.mpf(t["gamma"]), t["p"], t["m"]
            d = 400
            a = alpha_threshold(m, d=d, gamma=g) if m >= 1 else mp.mpf(1)  # m = 0: below all
            assert recovered_directions(a, d=d, gamma=g, p=p) == m
            val = tail_risk(a, d=d, gamma=g, p=p)
            assert abs(val - mp.mpf(t["R"])) < mp.mpf(10) ** -36, t
        assert tail_risk(10, d=400, gamma=0.5, p=20) == 0  # all recovered
        assert abs(tail_risk(1, d=400, gamma=0.5, p=3) - mp.mpf(11) / 6) < 1e-35  # 1 + 1/2 + 1/3


@pytest.mark.parametrize("gamma", [0.6, 0.75, 1.0, 2.0])
def test_aggregated_exponent_to_1e_10(gamma):
    with mp.workdps(30):
        law = hierarchical_law(gamma, 100)
        grid = [mp.mpf(2) ** (6 + m) for m in range(8)]
        val, err, _ = richardson_exponent(
            lambda J: law.log_slope(hierarchical_lattice(J, gamma=gamma)), grid, range(1, 12))
        exact = -1 + 1 / (2 * mp.mpf(str(gamma)))  # the law reads 0.6 as the decimal 3/5
        assert err < mp.mpf(10) ** -15 and abs(val - exact) <= err
        n = law.points(2)
        assert abs(law.log_slope(n) - n * mp.diff(law.evaluate, n) / law.evaluate(n)) < 1e-25
        assert sp.simplify(law.predicted - (-1 + 1 / (2 * sp.nsimplify(gamma)))) == 0
        # the SymPy expression is the same function
        sym = law.expression.evalf(35, subs={sp.Symbol("n", positive=True): sp.Float(n, 35)})
        assert abs(mp.mpf(str(sym)) - law.evaluate(n)) < mp.mpf(10) ** -25


def test_bad_input():
    for bad in (0.5, 0.2, -1):
        with pytest.raises(InputError, match="gamma"):
            hierarchical_law(bad)
        with pytest.raises(InputError, match="gamma"):
            get_law("hierarchical", gamma=bad)
    with pytest.raises(InputError, match="gamma"):
        tail_risk(3, d=100, gamma=0.4, p=float("inf"))
    with pytest.raises(InputError, match="d="):
        alpha_threshold(1, d=1, gamma=1)
    with pytest.raises(InputError, match="i="):
        alpha_threshold(0, d=10, gamma=1)
    with pytest.raises(InputError, match="gamma"):
        alpha_threshold(1, d=10, gamma=-0.1)


def test_verify_exponent_on_the_hierarchical_law():
    """lawscore's verify_exponent on the registered law (its SymPy expression is also given, so
    the derived exponent is compared)."""
    from theory.laws.exponent import verify_exponent

    r = verify_exponent(get_law("hierarchical", gamma=0.75), dps=30, terms=12)
    with mp.workdps(40):
        assert r.error < 1e-10 and r.agrees and r.reliable, r.message
        assert abs(r.exponent - (-1 + mp.mpf(2) / 3)) <= r.error
