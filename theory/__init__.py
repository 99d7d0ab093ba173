"""theory: a symbolic-numeric engine for the theory of feature learning in high-dimensional
neural networks. Conventions: :mod:`theory.conventions`; bibliography: :mod:`theory.references`.

Main entry points::

    from theory import hermite_expansion, conditional_coefficients, get_activation
    from theory import gaussians, E, numeric_function, compile_expression
"""

from .numeric.conditional import conditional_coefficients, finite_support_family
from .numeric.expectation import compile_expression
from .numeric.hermite import hermite_coefficients, hermite_expansion, mu_star
from .symbolic.activations import get_activation, known_activations, register
from .symbolic.expectation import E, gaussians, numeric_function

__version__ = "0.1.0"

__all__ = [
    "E",
    "compile_expression",
    "conditional_coefficients",
    "finite_support_family",
    "gaussians",
    "get_activation",
    "hermite_coefficients",
    "hermite_expansion",
    "known_activations",
    "mu_star",
    "numeric_function",
    "register",
]
