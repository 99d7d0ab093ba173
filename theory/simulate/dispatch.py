"""Which simulator runs a model's setting, with which keyword arguments.

One table for the command line (``theory simulate``), the sweeps (:mod:`theory.sweep`) and
``theory compare``: a model with a ``simulation(p, d)`` method runs its ``simulator`` (default
:func:`~theory.simulate.random_features.simulate_random_features`) on those arguments; a model
listed in :data:`MODEL_SIMULATIONS` gets its simulator from there; a name in :data:`SIMULATORS`
is a simulator without a model of its own (its keyword arguments are given directly).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable

from ..errors import InputError

__all__ = ["SIMULATORS", "MODEL_SIMULATIONS", "RUN_OPTIONS", "SimulationCall", "resolve",
           "simulation_call"]

#: simulators without a model of their own: ``theory simulate NAME KEY=VALUE ...`` passes the
#: KEY=VALUE pairs to the function (its keyword arguments other than the run options below)
SIMULATORS = {"one_step": "theory.simulate.one_step:simulate_one_step"}

#: the keyword arguments a run sets itself (options, not model parameters)
RUN_OPTIONS = ("d", "seeds", "first_seed", "cache", "progress", "gaussian_equivalent",
               "n_test")

DEFAULT_SIMULATOR = "theory.simulate.random_features:simulate_random_features"


def resolve(ref) -> Callable:
    """A callable from ``"module:function"`` (or the callable itself).

    Parameters
    ----------
    ref : str or callable
        ``"package.module:function"``.

    Returns
    -------
    callable
    """
    if callable(ref):
        return ref
    module, _, name = str(ref).partition(":")
    return getattr(importlib.import_module(module), name)


def _spiked_rf_simulation(p, d: int):
    """(simulator, keyword arguments) of ``spiked_rf`` at input size d: the network after one
    step (:func:`~theory.simulate.simulate_one_step`) when the model is given (eta_tilde,
    alpha0), else the sRF itself (:func:`~theory.simulate.spiked_rf.simulate_spiked_rf`) at
    (r, c, gamma). The model's ``lam`` is the simulators' (both minimise
    sum_i (y_i - f)^2 + lam ||a||^2)."""
    if p.lam <= 0:
        raise InputError("lam", p.lam, "> 0 for a simulation (the ridge readout)")
    common = {"d": int(d), "alpha": float(p.alpha), "beta": float(p.beta),
              "activation": p.activation, "target": p.target, "Delta": float(p.Delta),
              "lam": float(p.lam)}
    if p.eta_tilde is not None:
        return ("theory.simulate.one_step:simulate_one_step",
                {**common, "eta_tilde": float(p.eta_tilde), "alpha0": float(p.alpha0)})
    return ("theory.simulate.spiked_rf:simulate_spiked_rf",
            {**common, "r": float(p.r), "c": float(p.c), "gamma": float(p.gamma)})


#: models without a ``simulation`` method of their own: name -> f(params, d) returning
#: ("module:simulator", keyword arguments)
MODEL_SIMULATIONS = {"spiked_rf": _spiked_rf_simulation}


@dataclasses.dataclass
class SimulationCall:
    """A simulator and its keyword arguments (without ``seeds``, ``first_seed``, ``cache``,
    ``progress``).

    Attributes
    ----------
    fn : callable
        The simulator (``fn(**kwargs, seeds=..., first_seed=..., cache=..., progress=...)``).
    kwargs : dict
        Its keyword arguments for the setting (``d`` included).
    label : str
        The model's name (or the simulator's name in :data:`SIMULATORS`).
    model : object or None
        The model (None for a simulator without a model).
    params : object or None
        The model's validated parameters (its ``Params`` dataclass), or None.
    theory_observable : str or None
        An observable to solve the model for beside the simulation (``"test_error"`` for
        models in :data:`MODEL_SIMULATIONS`), else None.
    """

    fn: Callable
    kwargs: dict
    label: str
    model: object = None
    params: object = None
    theory_observable: str | None = None


def simulation_call(name: str, params: dict, d: int) -> SimulationCall:
    """The simulator of model (or simulator) ``name`` at the parameters ``params`` and input
    size ``d``.

    Parameters
    ----------
    name : str
        A registered model (``theory models``) or a key of :data:`SIMULATORS`.
    params : dict
        The model's parameters (validated by the model), or the simulator's keyword arguments.
    d : int
        Input dimension.

    Returns
    -------
    SimulationCall

    Raises
    ------
    InputError
        Unknown name, a parameter out of range, or a model without a finite-size simulation.
    """
    from ..models import MODELS, get_model, load_all
    from ..models.base import make_params

    load_all()
    if name in SIMULATORS and name not in MODELS:
        fn = resolve(SIMULATORS[name])
        return SimulationCall(fn, {"d": int(d), **params}, name)
    model = get_model(name)
    p = make_params(model, params)
    if hasattr(model, "simulation"):
        kw = model.simulation(p, d)
        fn = resolve(getattr(model, "simulator", DEFAULT_SIMULATOR))
        return SimulationCall(fn, kw, model.name, model, p)
    if model.name in MODEL_SIMULATIONS:
        ref, kw = MODEL_SIMULATIONS[model.name](p, d)
        return SimulationCall(resolve(ref), kw, model.name, model, p, "test_error")
    raise InputError("model", name, "a model with a finite-size simulation, or one of the "
                     f"simulators {sorted(SIMULATORS)}")
