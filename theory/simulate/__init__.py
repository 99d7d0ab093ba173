"""Finite-size simulations (independent of :mod:`theory.models`: they test it)."""

from .one_step import measure_spike, one_step_weights, predicted_map, simulate_one_step
from .random_features import LOSSES, TEACHERS, Simulation, simulate_random_features

__all__ = ["simulate_random_features", "Simulation", "LOSSES", "TEACHERS", "simulate_one_step",
           "measure_spike", "predicted_map", "one_step_weights"]
