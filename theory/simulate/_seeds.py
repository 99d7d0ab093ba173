"""One loop over seeds for every simulator: run or load each seed, cache it, average.

Each finished seed is written atomically (a temporary file named by the process id, then
``os.replace``), so a run killed mid-way keeps what it finished and a rerun skips it.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable

import numpy as np

__all__ = ["run_seeds"]


def run_seeds(run: Callable[[int], dict], *, prefix: str, key: str, cache: str | None,
              first_seed: int, seeds: int, progress: Callable | bool | None = None,
              skip: tuple = ()) -> tuple[dict, dict, int]:
    """Run (or load from ``cache``) every seed and average its observables.

    Parameters
    ----------
    run : callable
        ``run(seed)`` returns a dict ``{observable: float}`` for one seed.
    prefix : str
        File-name prefix of the simulator's cache entries (``"rf"``, ``"onestep"``).
    key : str
        Hash of the settings (the cache key).
    cache : str or None
        Folder of the cached seeds (None: no cache).
    first_seed, seeds : int
        Seeds ``first_seed, ..., first_seed + seeds - 1``.
    progress : callable, bool or None
        ``progress(done, total)`` after each seed (False or None: silent).
    skip : tuple of str
        Observables kept per seed but not averaged.

    Returns
    -------
    obs : dict
        ``{name: (mean, standard error)}`` (standard error NaN for one seed).
    per : dict
        ``{name: [value per seed]}``.
    cached : int
        How many seeds were loaded from the cache.
    """
    per: dict = {}
    cached = 0
    for k in range(first_seed, first_seed + seeds):
        path = os.path.join(cache, f"{prefix}-{key}-seed{k}.json") if cache else None
        if path and os.path.exists(path):
            with open(path) as fh:
                res = json.load(fh)
            cached += 1
        else:
            res = run(k)
            if path and cache:
                os.makedirs(cache, exist_ok=True)
                tmp = f"{path}.{os.getpid()}.tmp"
                with open(tmp, "w") as fh:
                    json.dump(res, fh)
                os.replace(tmp, path)
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
