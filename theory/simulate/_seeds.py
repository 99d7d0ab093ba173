"""One loop over seeds for every simulator: run or load each seed, cache it, average.

The cache is a results store (:class:`theory.store.Store`, a folder of Parquet files): one
entry per seed, committed atomically as soon as that seed is finished (a private temporary
file, fsync, rename), so a run killed mid-way keeps what it finished, a rerun skips it, and
several processes may fill one cache folder at once. An entry's key is
:func:`theory.store.task_key` of ``{"kind": "seed", "simulator": prefix, "settings": key,
"seed": k}`` with the code version of the simulator's module, this file and the store
(:func:`theory.store.code_version`): a changed simulator does not reuse stale seeds. A
truncated or tampered entry raises :class:`theory.store.StoreError` naming the file (the
command line prints it on one line, exit code 2).
"""

from __future__ import annotations

import functools
import math
import os
import socket
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["run_seeds", "seed_code_version"]


def _module_file(run: Callable) -> str | None:
    """Source file of the module that defines ``run`` (through partials and bound methods)."""
    fn = run
    while isinstance(fn, functools.partial):
        fn = fn.func
    fn = getattr(fn, "__func__", fn)
    mod = sys.modules.get(getattr(fn, "__module__", None) or "")
    path = getattr(mod, "__file__", None)
    if not path or os.path.abspath(path) == os.path.abspath(__file__):
        return None
    return path


def seed_code_version(run: Callable, code_files: Sequence | None = None) -> str:
    """Code version of a simulator's cached seeds.

    Parameters
    ----------
    run : callable
        The simulator's ``run(seed)`` (its module's source enters the version).
    code_files : sequence of path-like or None, optional
        Source files of the simulator instead of ``run``'s module.

    Returns
    -------
    str
        :func:`theory.store.code_version` of the simulator's files, this module and
        :mod:`theory.store`; of the whole package when the simulator's module is unknown.
    """
    from .. import store

    files = list(code_files) if code_files is not None else [_module_file(run)]
    if any(f is None for f in files):
        return store.code_version()
    return store.code_version(*files, __file__, store.__file__)


def run_seeds(run: Callable[[int], dict], *, prefix: str, key: str, cache: str | None,
              first_seed: int, seeds: int, progress: Callable | bool | None = None,
              skip: tuple = (), code_files: Sequence | None = None) -> tuple[dict, dict, int]:
    """Run (or load from ``cache``) every seed and average its observables.

    Parameters
    ----------
    run : callable
        ``run(seed)`` returns a dict ``{observable: float}`` for one seed.
    prefix : str
        Name of the simulator in the cache entries' tasks (``"rf"``, ``"onestep"``).
    key : str
        Hash of the settings.
    cache : str or None
        Folder of the cached seeds, a :class:`theory.store.Store` (created inside the folder
        when absent; None: no cache).
    first_seed, seeds : int
        Seeds ``first_seed, ..., first_seed + seeds - 1``.
    progress : callable, bool or None
        ``progress(done, total)`` after each seed (False or None: silent).
    skip : tuple of str
        Observables kept per seed but not averaged.
    code_files : sequence of path-like or None, optional
        Source files whose text versions the cached seeds (default: the module that defines
        ``run``); see :func:`seed_code_version`.

    Returns
    -------
    obs : dict
        ``{name: (mean, standard error)}`` (standard error NaN for one seed).
    per : dict
        ``{name: [value per seed]}``.
    cached : int
        How many seeds were loaded from the cache.

    Raises
    ------
    theory.store.StoreError
        If a cached seed is corrupt (truncated, tampered, renamed, of another schema): the
        message names the file and says to delete it.
    """
    per: dict = {}
    cached = 0
    store = code = None
    if cache:
        from ..store import Store

        store = Store(cache, repair_hint=None)
        code = seed_code_version(run, code_files)
    for k in range(first_seed, first_seed + seeds):
        res = None
        if store is not None:
            from ..store import task_key

            task = {"kind": "seed", "simulator": prefix, "settings": key, "seed": int(k)}
            entry = task_key(task, code=code)
            rows = store.get(entry)
            if rows is not None:
                res = rows[0]
                cached += 1
        if res is None:
            t0 = time.perf_counter()
            res = run(k)
            if store is not None:
                store.commit(entry, [res], task=task, code=code,
                             meta={"seconds": time.perf_counter() - t0,
                                   "worker": f"{socket.gethostname()}:{os.getpid()}"})
        for name, v in res.items():
            per.setdefault(name, []).append(v)
        if callable(progress):
            progress(k - first_seed + 1, seeds)
    obs = {}
    for name, vals in per.items():
        if name in skip:
            continue
        a = np.asarray(vals, float)
        obs[name] = (float(a.mean()), float(a.std(ddof=1) / math.sqrt(len(a)))
                     if len(a) > 1 else float("nan"))
    return obs, per, cached
