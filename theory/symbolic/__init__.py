"""Symbolic core: activations, Hermite polynomials and coefficients, conditional coefficients,
multi-index targets, Gaussian expectations (SymPy)."""
