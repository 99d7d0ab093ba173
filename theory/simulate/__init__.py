"""Finite-size simulations (independent of :mod:`theory.models`: they test it)."""

from .cge import conditional_moments, spike_direction
from .one_step import measure_spike, one_step_weights, predicted_map, simulate_one_step
from .random_features import LOSSES, TEACHERS, Simulation, simulate_random_features
from .spiked_rf import simulate_spiked_rf, spiked_rf_weights

__all__ = ["simulate_random_features", "Simulation", "LOSSES", "TEACHERS", "simulate_one_step",
           "measure_spike", "predicted_map", "one_step_weights", "simulate_spiked_rf",
           "spiked_rf_weights", "conditional_moments", "spike_direction"]
