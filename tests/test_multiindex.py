"""Multi-index targets: exact Hermite coefficients, information exponent, leap index."""

from __future__ import annotations

import itertools
import math

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.errors import InputError, ParseError
from theory.numeric.multiindex import (
    _greedy,
    analyze_target,
    hermite_decomposition,
    hermite_tensor,
    information_exponent,
    leap_index,
    leap_of_support,
)

z1, z2, z3, z4 = sp.symbols("z1 z2 z3 z4", real=True)


@pytest.mark.parametrize(
    "text, leap, ie",
    [
        ("z1 + z1*z2 + z1*z2*z3", 1, 1),  # slides 004: the merged staircase, leap 1
        ("z1*z2*z3*z4", 4, 4),  # slides 004: leap 4
        ("z1*z2", 2, 2),
        ("z1 + z2*z3*z4", 3, 1),  # learning z1 does not help the triple product
        ("z1^2 - 1 + z1*z2", 2, 2),  # He_2(z1) costs 2, then z1 z2 costs 1
        ("z1 + He(2, z1)*z2", 1, 1),  # z1 first; then He_2(z1) z2 adds only z2: cost 1
        ("z1*z2 + z2*z3 + z3*z4", 2, 2),
    ],
)
def test_leap_examples(text, leap, ie):
    """Aligned examples: the invariant leap (subspace staircase) and the coordinate leap agree.

    Subspace version by hand: z1 + He_2(z1) z2 has C_1 = e1, then E[d_2 g | z1] = He_2(z1);
    z1^2 - 1 + z1 z2 has C_1 = 0 and C_2 = [[2, 1], [1, 0]] of rank 2."""
    info = analyze_target(text)
    assert info["leap"] == leap and info["information_exponent"] == ie
    assert info["coordinate_leap"] == leap


def test_coordinate_leap_depends_on_the_basis():
    """Issue 8 kind 11: the coordinate leap changes under a 45-degree rotation, the leap does
    not (tests/test_edges_leap.py samples the family)."""
    a, b = analyze_target("z1 + z2 + z1*z2"), analyze_target("sqrt(2)*z1 + (z1**2 - z2**2)/2")
    assert (a["coordinate_leap"], b["coordinate_leap"]) == (1, 2)
    assert a["leap"] == b["leap"] == 2


@pytest.mark.parametrize("k", range(1, 7))
def test_hermite_polynomial_leap_is_degree(k):
    g = sp.hermite_prob(k, z1)
    assert leap_index(g) == k and information_exponent(g) == k


def test_exact_coefficients_by_hand():
    # z^3 = He_3 + 3 He_1: c_3 = E[z^3 He_3] = 3! = 6, c_1 = E[z^4] = 3
    assert hermite_decomposition(z1**3) == {(3,): 6, (1,): 3}
    assert hermite_decomposition(z1 * z2) == {(1, 1): 1}
    # z1^2 z2: c_(2,1) = E[z1^2 He_2(z1)] E[z2^2] = 2 * 1, c_(0,1) = E[z1^2] E[z2^2] = 1
    assert hermite_decomposition(z1**2 * z2) == {(2, 1): 2, (0, 1): 1}


def test_sign_product_non_polynomial():
    """sign(z1 z2 z3): lower coefficients vanish by symmetry; c_(1,1,1) = (2/pi)^{3/2}."""
    dec = hermite_decomposition(sp.sign(z1 * z2 * z3), max_degree=3)
    assert set(dec) == {(1, 1, 1)}
    assert abs(float(dec[(1, 1, 1)]) - (2 / math.pi) ** 1.5) < 1e-12
    assert leap_index(sp.sign(z1 * z2 * z3), max_degree=4) == 3


def test_hermite_tensor_symmetric():
    g = z1 * z2 + 3 * z1**2
    C2 = hermite_tensor(g, 2)
    assert C2.shape == (2, 2)
    assert C2[0, 1] == C2[1, 0] == 1 and C2[0, 0] == 6 and C2[1, 1] == 0  # E d^2g/dz1^2 = 6


def _gauss_moment(n):
    return 0 if n % 2 else math.prod(range(n - 1, 0, -2))


polys = st.lists(
    st.tuples(st.integers(-3, 3), st.integers(0, 3), st.integers(0, 3), st.integers(0, 2)),
    min_size=1, max_size=4)


@settings(max_examples=40, deadline=None)
@given(polys)
def test_parseval(terms):
    """E[g^2] = sum c_alpha^2/alpha!, with E[g^2] from exact Gaussian moments (independent)."""
    g = sum(c * z1**a * z2**b * z3**d for c, a, b, d in terms)
    if g == 0:
        return
    dec = hermite_decomposition(g, (z1, z2, z3))
    lhs = sum(v**2 / math.prod(math.factorial(a) for a in alpha) for alpha, v in dec.items())
    p = sp.Poly(sp.expand(g**2), z1, z2, z3)
    rhs = sum(c * _gauss_moment(a) * _gauss_moment(b) * _gauss_moment(d)
              for (a, b, d), c in p.terms())
    assert sp.simplify(lhs - rhs) == 0


def _brute_leap(support):
    best = None
    for perm in itertools.permutations(support):
        learned, worst = set(), 0
        for a in perm:
            worst = max(worst, sum(x for i, x in enumerate(a) if x and i not in learned))
            learned |= {i for i, x in enumerate(a) if x}
        best = worst if best is None else min(best, worst)
    return best or 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(*[st.integers(0, 2)] * 4), min_size=1, max_size=5, unique=True))
def test_greedy_equals_brute_force(support):
    support = [a for a in support if any(a)]
    assert leap_of_support(support) == _brute_leap(support)
    order, _ = _greedy(support)
    assert sorted(order) == sorted(support)


def test_bad_input():
    with pytest.raises(ParseError):
        analyze_target("__import__('os').system('id')")
    with pytest.raises(InputError, match="max_degree"):
        hermite_decomposition(sp.tanh(z1) * z2)
    with pytest.raises(InputError):
        analyze_target("3")
