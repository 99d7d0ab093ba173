"""Sweeps: a grid of points for ``solve``, ``curve`` or ``simulate``, into a results store.

A sweep is a spec (TOML, YAML or a dict; :mod:`theory.sweep.spec`), expanded into tasks
(:mod:`theory.sweep.tasks`), run serially, on local processes or on Dask
(:mod:`theory.sweep.executors`), each result committed to a :class:`theory.store.Store` as it
finishes (:mod:`theory.sweep.run`). A rerun skips what is in the store.

>>> from theory.sweep import run_sweep                      # doctest: +SKIP
>>> res = run_sweep("examples/sweeps/rf_ridge_curve.toml")  # doctest: +SKIP
>>> res.frame()                                             # doctest: +SKIP
"""

import importlib
from typing import TYPE_CHECKING

__all__ = ["SweepResult", "SweepSpec", "expand", "load_spec", "run_sweep", "run_task"]

#: public name -> submodule; imported on first use, so that ``theory --help`` (which registers
#: ``theory compare`` from :mod:`theory.sweep.compare`) does not import the engine, SymPy or
#: pyarrow
_LAZY = {"SweepResult": "run", "run_sweep": "run", "SweepSpec": "spec", "load_spec": "spec",
         "expand": "tasks", "run_task": "tasks"}

if TYPE_CHECKING:  # pragma: no cover
    from .run import SweepResult, run_sweep
    from .spec import SweepSpec, load_spec
    from .tasks import expand, run_task


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
