"""Thresholds and scaling-law exponents, verified at high precision (issue 11).

* :class:`Law`, :func:`register_law`, :func:`get_law`, :func:`law_names` -- a law
  :math:`\\varepsilon(n)` evaluated at any precision, and the registry of named laws
  (:mod:`theory.laws.law`).
* :func:`verify_exponent` -- the exponent of a law from its exactly differentiated local slopes,
  extrapolated, with an error bound (:mod:`theory.laws.exponent`).
* :func:`find_threshold` -- a threshold of a model, system, expression or callable, bracketed in
  float64 and refined jointly with the fixed point in mpmath (:mod:`theory.laws.threshold`).

* the sequential-recovery model (:mod:`theory.laws.sequential`), the hierarchical model's
  thresholds (:mod:`theory.laws.hierarchical`) and the classic thresholds: GLM weak recovery,
  Gardner capacity, Candès–Sur, Moniri–Hassani (:mod:`theory.laws.classic`).

The names are imported lazily (``import theory.laws`` does not import SymPy).
"""

from __future__ import annotations

import importlib

_LAZY = {
    "Law": ".law",
    "register_law": ".law",
    "get_law": ".law",
    "law_names": ".law",
    "verify_exponent": ".exponent",
    "ExponentResult": ".exponent",
    "find_threshold": ".threshold",
    "ThresholdResult": ".threshold",
    "channel_free_entropy": ".sequential",
    "channel_overlap": ".sequential",
    "transition_snr": ".sequential",
    "transition_overlap": ".sequential",
    "feature_thresholds": ".sequential",
    "recovered_count": ".sequential",
    "overlaps": ".sequential",
    "risk": ".sequential",
    "learning_envelope": ".sequential",
    "learning_lattice": ".sequential",
    "correction_exponents": ".sequential",
    "richardson_exponent": ".sequential",
    "sequential_learning_law": ".sequential",
    "sequential_refinement_law": ".sequential",
    "derive_exponents": ".sequential",
    "alpha_threshold": ".hierarchical",
    "recovered_directions": ".hierarchical",
    "alpha_shifted": ".hierarchical",
    "tail_risk": ".hierarchical",
    "hierarchical_lattice": ".hierarchical",
    "hierarchical_envelope": ".hierarchical",
    "hierarchical_law": ".hierarchical",
    "derive_hierarchical_exponent": ".hierarchical",
    "WeakRecovery": ".classic",
    "glm_weak_recovery": ".classic",
    "gardner_capacity": ".classic",
    "candes_sur_h": ".classic",
    "candes_sur_gamma": ".classic",
    "moniri_hassani_outliers": ".classic",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'theory.laws' has no attribute {name!r}")
    value = getattr(importlib.import_module(mod, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
