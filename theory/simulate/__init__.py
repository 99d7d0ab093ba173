"""Finite-size simulations (independent of :mod:`theory.models`: they test it)."""

from .random_features import LOSSES, TEACHERS, Simulation, simulate_random_features

__all__ = ["simulate_random_features", "Simulation", "LOSSES", "TEACHERS"]
