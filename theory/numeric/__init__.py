"""Numeric core: quadrature rules, the lambdify bridge, float64 and mpmath evaluation."""
