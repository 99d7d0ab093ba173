"""Toy saddle-point models with answers known in closed form, built to fail in one known way
each (for the tests of issue 8, kinds 9 and 10: messages that name the failed check, flagged
curve points, budgets, Ctrl-C). Registered on demand by :func:`registered`."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from theory.models.base import MODELS, Model, nonnegative, param, validate
from theory.symbolic.expectation import E, gaussians, numeric_function
from theory.symbolic.system import Constraint, SaddlePointSystem

m, b, u = sp.symbols("m b u", real=True)


def _interrupt_above(v):
    """Identity in b, but Ctrl-C (KeyboardInterrupt) once b > 0.2: a user interrupting."""
    v = np.asarray(v, dtype=float)
    if np.any(v > 0.2):
        raise KeyboardInterrupt
    return v


boom = numeric_function("boom_h7", 1, _interrupt_above)
# sign(sin(40 z + 0.3)): a jump every pi/40 that no Gaussian rule resolves, opaque to the
# kink finder (a named function): successive node levels disagree at ~1e-3
saw = numeric_function("saw_h7", 1, lambda z: np.sign(np.sin(40.0 * np.asarray(z) + 0.3)))


def root_fixed_point(bv: float) -> float:
    """m = sqrt(m) - b: with s = sqrt(m), s^2 - s + b = 0; the stable root (F' = 1/(2s) < 1)
    is s = (1 + sqrt(1 - 4b))/2 for b <= 1/4; no real fixed point for b > 1/4."""
    s = (1 + math.sqrt(1 - 4 * bv)) / 2
    return s * s


@dataclass(frozen=True, kw_only=True)
class RootParams:
    b: float = param(0.1, "shift b (a fixed point exists for b <= 1/4)", nonnegative)

    def __post_init__(self):
        validate(self)


class ToyRoot(Model):
    """m = sqrt(m) - b: converges for b <= 1/4; for b > 1/4 the iterates go negative and the
    map returns NaN for m."""

    name = "toy_root_h7"
    Params = RootParams

    def system(self, p):
        return SaddlePointSystem(name="toy_root", state=(m,), parameters=(b,),
                                 updates={m: sp.sqrt(m) - b},
                                 observables={"m_obs": m, "s": sp.sqrt(m)})

    def values(self, p):
        return {"b": p.b}

    def starts(self, p):
        return [{"m": 1.0}]


class ToyInterrupt(ToyRoot):
    """As :class:`ToyRoot`, but the map raises KeyboardInterrupt for b > 0.2."""

    name = "toy_interrupt_h7"

    def system(self, p):
        return SaddlePointSystem(name="toy_interrupt", state=(m,), parameters=(b,),
                                 updates={m: sp.sqrt(m) - boom(b)}, observables={"m_obs": m})


class ToyQuadrature(ToyRoot):
    """m = 0.2 + 0.1 E[saw(z)] + 0.1 b: the fixed-point iteration converges at once at every
    node level, but no level resolves the expectation (the failed check is the quadrature)."""

    name = "toy_quadrature_h7"

    def system(self, p):
        z = gaussians("z_h7")
        return SaddlePointSystem(
            name="toy_quadrature", state=(m,), parameters=(b,),
            updates={m: sp.Rational(1, 5) + E(saw(z[0]), over=z) / 10 + b / 10},
            observables={"m_obs": m})


class ToyConstraint(ToyRoot):
    """m = (m^2 - 3)/2 with the constraint m > 0: fixed points 3 (physical) and -1."""

    name = "toy_constraint_h7"

    def system(self, p):
        return SaddlePointSystem(name="toy_constraint", state=(m,), parameters=(b,),
                                 steps=[(u, m + 0 * b)], updates={m: (m**2 - 3) / 2},
                                 observables={"m_obs": m}, constraints=[Constraint(u, "m > 0")])

    def starts(self, p):
        return [{"m": -0.5}]


@contextlib.contextmanager
def registered(*classes):
    """Put toy models into the registry for the duration of a test."""
    for cls in classes:
        MODELS[cls.name] = cls
    try:
        yield
    finally:
        for cls in classes:
            MODELS.pop(cls.name, None)
