"""Sweeps: a grid of points for ``solve``, ``curve`` or ``simulate``, into a results store.

A sweep is a spec (TOML, YAML or a dict; :mod:`theory.sweep.spec`), expanded into tasks
(:mod:`theory.sweep.tasks`), run serially, on local processes or on Dask
(:mod:`theory.sweep.executors`), each result committed to a :class:`theory.store.Store` as it
finishes (:mod:`theory.sweep.run`). A rerun skips what is in the store.

>>> from theory.sweep import run_sweep                      # doctest: +SKIP
>>> res = run_sweep("examples/sweeps/rf_ridge_curve.toml")  # doctest: +SKIP
>>> res.frame()                                             # doctest: +SKIP
"""

from .run import SweepResult, run_sweep
from .spec import SweepSpec, load_spec
from .tasks import expand, run_task

__all__ = ["SweepResult", "SweepSpec", "expand", "load_spec", "run_sweep", "run_task"]
