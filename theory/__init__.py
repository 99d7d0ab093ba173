"""theory: a symbolic-numeric engine for the theory of feature learning in high-dimensional
neural networks. Conventions: :mod:`theory.conventions`; bibliography: :mod:`theory.references`.

Main entry points::

    from theory import hermite_expansion, conditional_coefficients, get_activation
    from theory import gaussians, E, numeric_function, compile_expression

The names are imported lazily (PEP 562 module ``__getattr__``): ``import theory`` and the
``theory`` command line do not import SymPy until a name that needs it is used, so
``theory --help`` answers at once.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name -> submodule that defines it
_LAZY = {
    "E": ".symbolic.expectation",
    "compile_expression": ".numeric.expectation",
    "conditional_coefficients": ".numeric.conditional",
    "finite_support_family": ".numeric.conditional",
    "gaussians": ".symbolic.expectation",
    "get_activation": ".symbolic.activations",
    "hermite_coefficients": ".numeric.hermite",
    "hermite_expansion": ".numeric.hermite",
    "known_activations": ".symbolic.activations",
    "mu_star": ".numeric.hermite",
    "numeric_function": ".symbolic.expectation",
    "register": ".symbolic.activations",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'theory' has no attribute {name!r}")
    value = getattr(importlib.import_module(mod, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))
