"""Shared fixtures and named tolerance tiers."""

from __future__ import annotations

import json
from pathlib import Path

import mpmath
import pytest

REF = Path(__file__).parent / "reference"

#: named tolerance tiers (absolute, on normalised quantities unless said otherwise)
ROUNDOFF = 1e-15  # a few ulps of O(1) numbers
FLOAT_TIGHT = 1e-13  # what the float64 paths promise against 30+ digit references
CLOSED_FORM_VS_QUAD = 1e-13


def mp_tol(dps: int) -> mpmath.mpf:
    """Tolerance that scales with the working precision: 10^-(dps-5)."""
    return mpmath.mpf(10) ** (-(dps - 5))


@pytest.fixture(scope="session")
def hermite_ref() -> dict:
    path = REF / "hermite_mp.json"
    if not path.exists():
        pytest.fail(f"missing {path}: run python tests/reference/make_references.py")
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def conditional_ref() -> dict:
    path = REF / "conditional_mp.json"
    if not path.exists():
        pytest.fail(f"missing {path}: run python tests/reference/make_references.py")
    return json.loads(path.read_text())
