"""theory: a symbolic-numeric engine for the theory of feature learning in high-dimensional
neural networks. Conventions: :mod:`theory.conventions`; bibliography: :mod:`theory.references`.

The public surface is ``from theory import ...`` (:data:`__all__`)::

    from theory import SaddlePointSystem, E, gaussians, phi, Phi, solve, curve
    from theory import Model, register, get_model            # validated models, the CLI
    from theory import hermite_expansion, conditional_coefficients, get_activation

A saddle-point system written with the Gaussian atoms is solved without any boilerplate
(the Bayes-optimal perceptron, ``q = qhat/(1 + qhat)``):

>>> import sympy as sp
>>> from theory import E, Phi, SaddlePointSystem, gaussians, phi, solve
>>> q, qhat, alpha = sp.symbols("q qhat alpha", positive=True)
>>> xi = gaussians("xi")
>>> u = sp.sqrt(q / (1 - q)) * xi[0]
>>> system = SaddlePointSystem(name="perceptron", state=[q], parameters=[alpha],
...     steps=[(qhat, 2 * alpha / (1 - q) * E(phi(u)**2 / Phi(u), over=xi))],
...     updates={q: qhat / (1 + qhat)})
>>> print(f"{solve(system, alpha=1, init={'q': 0.5}).state['q']:.12f}")
0.486263637016

The names are imported lazily (PEP 562 module ``__getattr__``): ``import theory`` and the
``theory`` command line do not import SymPy until a name that needs it is used, so
``theory --help`` answers at once.
"""

from __future__ import annotations

import importlib

from .errors import ConvergenceError, InputError, IntegrationError, ParseError, TheoryError

__version__ = "0.1.0"

#: public name -> submodule that defines it (imported on first use)
_LAZY = {
    # Gaussian expectations and named numeric functions
    "E": ".symbolic.expectation",
    "gaussians": ".symbolic.expectation",
    "numeric_function": ".symbolic.expectation",
    "compile_expression": ".numeric.expectation",
    # stable Gaussian atoms (print as a paper writes them; stable float64 and mpmath)
    "H": ".symbolic.atoms",
    "Mills": ".symbolic.atoms",
    "Phi": ".symbolic.atoms",
    "logPhi": ".symbolic.atoms",
    "phi": ".symbolic.atoms",
    "sigmoid": ".symbolic.atoms",
    "softplus": ".symbolic.atoms",
    "logPhi1": ".symbolic.atoms",
    "logPhi2": ".symbolic.atoms",
    "sech2": ".symbolic.atoms",
    # output channels of GLMs: partition function Z_out and its log-derivatives
    "OutputChannel": ".symbolic.atoms",
    "CHANNELS": ".symbolic.atoms",
    "sign_channel": ".symbolic.atoms",
    "gaussian_channel": ".symbolic.atoms",
    "abs_channel": ".symbolic.atoms",
    "relu_channel": ".symbolic.atoms",
    # losses, penalties and teacher channels (one file and one class each: theory/losses/)
    "Loss": ".losses",
    "Penalty": ".losses",
    "Channel": ".losses",
    "get_loss": ".losses",
    "get_penalty": ".losses",
    "get_channel": ".losses",
    # saddle-point systems, models and the solver
    "Constraint": ".symbolic.system",
    "SaddlePointSystem": ".symbolic.system",
    "Curve": ".models.base",
    "Model": ".models.base",
    "SolveResult": ".models.base",
    "curve": ".models.base",
    "get_model": ".models.base",
    "solve": ".models.base",
    # activations, Hermite and conditional coefficients
    "conditional_coefficients": ".numeric.conditional",
    "finite_support_family": ".numeric.conditional",
    "get_activation": ".symbolic.activations",
    "hermite_coefficients": ".numeric.hermite",
    "hermite_expansion": ".numeric.hermite",
    "known_activations": ".symbolic.activations",
    "mu_star": ".numeric.hermite",
    # thresholds and scaling-law exponents at high precision (theory.laws)
    "Law": ".laws.law",
    "find_threshold": ".laws.threshold",
    "verify_exponent": ".laws.exponent",
}

#: the public names: those of _LAZY, the errors and the register functions defined here
__all__ = [
    "Constraint", "ConvergenceError", "Curve", "E", "H", "InputError", "IntegrationError",
    "Mills", "Model", "ParseError", "Phi", "SaddlePointSystem", "SolveResult", "TheoryError",
    "compile_expression", "conditional_coefficients", "curve", "finite_support_family",
    "gaussians", "get_activation", "get_model", "hermite_coefficients", "hermite_expansion",
    "known_activations", "logPhi", "mu_star", "numeric_function", "phi", "register",
    "register_activation", "register_model", "sigmoid", "softplus", "solve",
    "logPhi1", "logPhi2", "sech2", "OutputChannel", "CHANNELS", "sign_channel",
    "gaussian_channel", "abs_channel", "relu_channel",
    "Loss", "Penalty", "Channel", "get_loss", "get_penalty", "get_channel",
    "Law", "find_threshold", "verify_exponent",
]


def register_model(model, *, replace: bool = False):
    """Add a model class to the model registry (``theory models``, ``theory solve NAME``).

    Parameters
    ----------
    model : type
        A :class:`~theory.models.base.Model` subclass, e.g. ``Model.from_system(system)``.
    replace : bool, default False
        Replace a model already registered under that name (else a taken name is refused).

    Returns
    -------
    type
        ``model`` itself.

    Raises
    ------
    InputError
        ``model`` is not a Model subclass, has no usable ``name``, or the name is taken
        (the package's models included) and ``replace`` is not True.
    """
    from .models.base import register as _register

    return _register(model, replace=replace)


def register_activation(name, expr, **kwargs):
    """Add an activation to the activation registry.

    Parameters
    ----------
    name : str
        Registry name (letters, digits, ``_``).
    expr : sympy.Expr or str
        The activation as an expression in ``x``.
    **kwargs
        ``mu_closed``, ``conditional_closed``, ``description``, ``overwrite`` of
        :func:`theory.symbolic.activations.register`.

    Returns
    -------
    Activation
        The registered activation.

    Raises
    ------
    InputError
        A bad or already registered name, or an expression that is not a function of x.
    """
    from .symbolic.activations import register as _register

    return _register(name, expr, **kwargs)


def register(obj, *args, **kwargs):
    """Register a model or an activation.

    Parameters
    ----------
    obj : type or str
        A :class:`~theory.models.base.Model` subclass (e.g. ``Model.from_system(system)``):
        registered as a model under its ``name``. A string: the name of an activation, with
        its expression as the next argument (``register("swish", "x*sigmoid(x)")``).
    *args, **kwargs
        For a model: ``replace=True`` replaces a model of the same name (a taken name is
        refused otherwise). For an activation: ``expr`` and the options of
        :func:`theory.symbolic.activations.register`.

    Returns
    -------
    type or Activation
        The registered model class, or the registered activation.

    Raises
    ------
    InputError
        A class that is not a Model, a model name already taken (without ``replace=True``),
        or a bad activation name or expression.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory import Model, SaddlePointSystem, register, get_model
    >>> m, beta = sp.symbols("m beta", positive=True)
    >>> system = SaddlePointSystem(name="doc_mean_field", state=[m], parameters=[beta],
    ...                            updates={m: sp.tanh(beta * m)})
    >>> cls = register(Model.from_system(system, defaults={"beta": 2.0}, starts={"m": 1.0}))
    >>> get_model("doc_mean_field").name
    'doc_mean_field'
    >>> from theory.models.base import MODELS
    >>> _ = MODELS.pop("doc_mean_field")  # leave the registry as it was
    """
    if isinstance(obj, type):
        if args or set(kwargs) - {"replace"}:
            raise InputError("register", args or kwargs, "no further arguments for a model "
                             "class than replace=")
        return register_model(obj, **kwargs)
    if isinstance(obj, str):
        return register_activation(obj, *args, **kwargs)
    raise InputError("register", type(obj).__name__, "a Model subclass (a model) or a name "
                     "and an expression (an activation)")


def __getattr__(name: str):
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'theory' has no attribute {name!r}")
    value = getattr(importlib.import_module(mod, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))
