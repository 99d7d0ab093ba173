"""Run a sweep into a results store: skip what is done, compute the rest, commit as it finishes.

:func:`run_sweep` reads the spec, expands its tasks, keys each with
:func:`theory.store.task_key` (which includes the schema, the package version and the code
version), skips every task whose entry is in the store (each one validated by
:meth:`theory.store.Store.get`: a corrupt entry is an error naming the file, or with
``repair=True`` is quarantined and recomputed), runs the rest on the chosen executor
(:mod:`theory.sweep.executors`) and commits every result from this process as it arrives
(atomic, one file per task). A kill loses only the tasks running at that moment; Ctrl-C
cancels the pending ones and returns with ``interrupted=True``; rerunning the same spec
resumes.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import sys
import time
from typing import Any

from ..errors import InputError
from . import executors
from .spec import SweepSpec, load_spec
from .tasks import describe_task, expand

__all__ = ["SweepResult", "run_sweep"]

#: row columns that depend on the machine and the moment (left out of equality checks)
TIMING_COLUMNS = ("seconds", "worker", "_committed")


@dataclasses.dataclass
class SweepResult:
    """What :func:`run_sweep` did.

    Attributes
    ----------
    spec : SweepSpec
        The specification run.
    store : theory.store.Store or None
        The results store (None for a dry run of a store not yet created).
    total : int
        Tasks of the sweep.
    skipped : int
        Tasks found in the store (not recomputed).
    computed : int
        Tasks computed and committed by this call.
    failed : list of (dict, str)
        Tasks that raised on every attempt, with the last error.
    retried : list of (dict, int, str)
        Tasks that needed more than one attempt: (task, attempts, first error).
    interrupted : bool
        True when Ctrl-C stopped the sweep (the committed tasks are kept).
    seconds : float
        Wall time.
    not_converged : int
        Rows (points) of this sweep with ``converged`` False (flagged, not failures).
    keys : list of str
        The task keys, in task order.
    tasks : list of dict
        The tasks, in order.
    plan : list of dict or None
        For a dry run: one dict per task (``key``, ``task``, ``done``, and for simulations
        ``estimate``, the resource estimate's description).
    """

    spec: SweepSpec
    store: Any
    total: int
    skipped: int = 0
    computed: int = 0
    failed: list = dataclasses.field(default_factory=list)
    retried: list = dataclasses.field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0
    not_converged: int = 0
    keys: list = dataclasses.field(default_factory=list)
    tasks: list = dataclasses.field(default_factory=list)
    plan: list | None = None

    @property
    def kept(self) -> int:
        """Tasks of this sweep now in the store (skipped + computed)."""
        return self.skipped + self.computed

    def frame(self):
        """Every row of this sweep's entries in the store, in task order.

        Returns
        -------
        pandas.DataFrame
            The rows (parameters, order parameters, observables, ``err_<name>``, ``converged``,
            ``failure``, ``message``, ``residual``, ``iterations``, ``quadrature_error``,
            ``seconds``, ``worker``, ``kind``, ``theory_version``, ``code_version``) plus the
            store's ``_key`` and ``_committed``; tasks not in the store are absent.
        """
        import pandas as pd

        if self.store is None:
            return pd.DataFrame()
        present = [k for k in dict.fromkeys(self.keys) if k in self.store]
        if not present:
            return pd.DataFrame()
        df = self.store.frame(keys=present)
        order = {k: i for i, k in enumerate(present)}
        df = df.assign(_order=df["_key"].map(order))
        df = df.sort_values("_order", kind="stable").drop(columns="_order")
        return df.reset_index(drop=True)

    def summary(self):
        """One row per point: for a simulation the mean, standard error and number of seeds
        of every numeric column over the seeds; for a theory sweep the rows themselves.

        Returns
        -------
        pandas.DataFrame
            Simulation: the parameters (and ``d``), then ``<name>`` (mean), ``se_<name>``
            (std with ddof=1 over sqrt(n); NaN for one seed) and ``n`` per observable.
            Theory: :meth:`frame` without the bookkeeping columns.
        """
        import numpy as np
        import pandas as pd

        df = self.frame()
        if df.empty:
            return df
        skip = {"_key", "_committed", "worker", "kind", "theory_version", "code_version",
                "message", "failure", "seconds", "residual", "iterations",
                "quadrature_error"}
        if self.spec.kind != "simulate":
            return df[[c for c in df.columns if c not in skip]]
        params = [c for c in self.tasks[0]["params"]] + ["d"] if self.tasks else ["d"]
        params += [c for c in ("alpha",) if c in df.columns and c not in params]
        values = [c for c in df.columns if c not in skip and c not in params
                  and c not in ("seed", "converged")
                  and pd.api.types.is_numeric_dtype(df[c])]
        g = df.groupby(params, sort=False, dropna=False)
        mean = g[values].mean()
        n = g[values[0]].count() if values else g.size()
        se = g[values].std(ddof=1) / np.sqrt(n.to_numpy()[:, None])
        out = mean.copy()
        for c in values:
            out[f"se_{c}"] = se[c]
        out["n"] = n.to_numpy()
        return out.reset_index()


def _store_module():
    from .. import store

    return store


def _plan(spec, tasks, keys, st) -> list[dict]:
    plan = []
    estimate = None
    if spec.kind == "simulate":
        from ..simulate import resources

        estimate = resources.estimate
    cache: dict = {}
    for t, k in zip(tasks, keys):
        item = {"key": k, "task": t, "done": bool(st is not None and k in st)}
        if estimate is not None:
            sig = repr((t["params"], t["d"], t.get("extras")))
            if sig not in cache:
                from ..simulate.dispatch import simulation_call

                call = simulation_call(t["model"], dict(t["params"]), t["d"])
                try:
                    est = estimate(call.fn, {**call.kwargs, **t.get("extras", {})})
                    cache[sig] = (("no estimate for this simulator", None) if est is None else
                                  (est.describe() + ("" if est.fits else " -- does NOT fit"),
                                   est.seconds))
                except Exception as exc:  # noqa: BLE001 - an estimate is advice, not a gate
                    cache[sig] = (f"no estimate ({type(exc).__name__}: {exc})", None)
            item["estimate"], item["estimate_seconds"] = cache[sig]
        plan.append(item)
    return plan


def _check_resources(tasks: list[dict]) -> None:
    """Every distinct simulation point through the simulator's resource check (ResourceError,
    an InputError, when one seed would not fit in memory)."""
    from ..simulate.dispatch import simulation_call

    from ..simulate.resources import check_resources

    seen: set = set()
    for t in tasks:
        sig = repr((t["params"], t["d"], t.get("extras")))
        if sig in seen:
            continue
        seen.add(sig)
        call = simulation_call(t["model"], dict(t["params"]), t["d"])
        check_resources(call.fn, {**call.kwargs, **t.get("extras", {})})


def run_sweep(spec, *, store: str | os.PathLike | None = None, workers: int | None = None,
              scheduler: str | None = None, client=None, retries: int = 2, progress=None,
              dry_run: bool = False, repair: bool = False) -> SweepResult:
    """Run (or resume) a sweep into a results store.

    Parameters
    ----------
    spec : str, os.PathLike, dict or SweepSpec
        The sweep (a TOML/YAML file or a dict; see :mod:`theory.sweep.spec`).
    store : str or os.PathLike, optional
        The store folder (default: the spec's ``store``).
    workers : int, optional
        Run on this many local processes (default: serially in this process).
    scheduler : str, optional
        A Dask scheduler address (``"tcp://host:port"``).
    client : distributed.Client, optional
        A Dask client (e.g. of a ``LocalCluster`` or a dask-jobqueue ``SLURMCluster``).
    retries : int, default 2
        Further attempts of a task that raises (a solve that does not converge is not a
        failure: it is a row with ``converged`` False).
    progress : bool or None, optional
        Show a progress bar on stderr (None: when stderr is a terminal).
    dry_run : bool, default False
        Compute nothing: return the plan (which tasks are done, which to do, and for
        simulations the resource estimate per task).
    repair : bool, default False
        Move corrupt entries to ``STORE/quarantine/`` (and recompute them) instead of raising.

    Returns
    -------
    SweepResult
        Counts (``total``, ``skipped``, ``computed``, ``failed``), ``interrupted``, the store
        and :meth:`SweepResult.frame` / :meth:`SweepResult.summary`.

    Raises
    ------
    InputError
        A bad spec (naming the file and key) or bad arguments (``workers`` < 1, both
        ``workers`` and a Dask scheduler or client, ``retries`` < 0).
    theory.store.StoreError
        A corrupt store entry (without ``repair``), naming the file and what to do.

    Examples
    --------
    >>> res = run_sweep({"kind": "solve", "model": "rf_ridge", "fixed": {"psi1": 2.0},
    ...                  "grid": {"psi2": [0.5, 1.5]}}, store=tmp)  # doctest: +SKIP
    >>> res.computed, res.frame()["test_error"].round(4).tolist()  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    spec = load_spec(spec)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise InputError("workers", workers, "an integer >= 1")
    if workers is not None and (scheduler is not None or client is not None):
        raise InputError("workers", workers, "not given together with a Dask scheduler or "
                         "client (choose one executor)")
    if scheduler is not None and client is not None:
        raise InputError("scheduler", scheduler, "not given together with client")
    if scheduler is not None and (not isinstance(scheduler, str) or "://" not in scheduler):
        raise InputError("scheduler", scheduler, "an address such as tcp://host:8786")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise InputError("retries", retries, "an integer >= 0")
    S = _store_module()
    path = pathlib.Path(store) if store is not None else spec.store
    tasks = expand(spec)
    code = S.code_version()
    keys = [S.task_key(t, code=code) for t in tasks]
    # the same task twice (a point given in the grid and in points) is run once
    first: dict[str, int] = {}
    for i, k in enumerate(keys):
        first.setdefault(k, i)
    uniq = sorted(first.values())
    tasks, keys = [tasks[i] for i in uniq], [keys[i] for i in uniq]
    res = SweepResult(spec, None, len(tasks), keys=keys, tasks=tasks)
    if dry_run:
        st = S.Store(path, create=False, repair=repair) if (path / "store.json").exists() \
            or path.exists() else None
        res.store = st
        res.plan = _plan(spec, tasks, keys, st)
        res.skipped = sum(p["done"] for p in res.plan)
        res.seconds = time.perf_counter() - t0
        return res
    if spec.kind == "simulate":
        _check_resources(tasks)  # a point that does not fit: one line, before any store write
    st = S.Store(path, create=True, repair=repair)
    res.store = st
    todo = []
    skipped_nc = 0
    for i, k in enumerate(keys):
        rows = st.get(k) if k in st else None  # validated (corrupt: StoreError or repaired)
        if rows is not None:
            res.skipped += 1
            skipped_nc += sum(1 for r in rows if not r.get("converged", True))
        else:
            todo.append(i)
    from ..progress import progress_bar

    bar = progress_bar(f"sweep {spec.model}", len(todo), enabled=progress, unit="task")
    import theory

    first_error: dict = {}

    def on_retry(j, attempt, msg):
        first_error.setdefault(j, msg)
        bar.write(f"theory: sweep: task {describe_task(todo_tasks[j])} failed ({msg}); "
                  f"retrying ({attempt} of {retries})")

    todo_tasks = [tasks[i] for i in todo]
    if client is not None or scheduler is not None:
        gen = executors.dask(todo_tasks, client=client, scheduler=scheduler, retries=retries,
                             on_retry=on_retry)
    elif workers is not None and workers > 1 and len(todo_tasks) > 1:
        gen = executors.local_processes(todo_tasks, workers=workers, retries=retries,
                                        on_retry=on_retry)
    else:
        gen = executors.serial(todo_tasks, retries=retries, on_retry=on_retry)
    if todo_tasks:
        bar(0)  # the clock of the rate and ETA starts now
    try:
        for j, outcome in gen:
            task, key = todo_tasks[j], keys[todo[j]]
            status, payload, attempts = outcome
            if status == "ok":
                rows = payload["rows"]
                for r in rows:
                    r["theory_version"] = theory.__version__
                    r["code_version"] = code
                st.commit(key, rows, task=task, code=code,
                          meta={"seconds": payload["seconds"], "worker": payload["worker"],
                                "attempts": attempts})
                res.computed += 1
                res.not_converged += sum(1 for r in rows if not r.get("converged", True))
                if attempts > 1:
                    res.retried.append((task, attempts, first_error.get(j, "")))
            else:
                res.failed.append((task, payload))
                bar.write(f"theory: sweep: task {describe_task(task)} failed after "
                          f"{attempts} attempt{'s' * (attempts > 1)}: {payload}")
            bar.advance(1)
    except KeyboardInterrupt:
        res.interrupted = True
        gen.close()
        # Ctrl-C may land inside a commit after its rename: count what the store holds
        res.computed = sum(1 for i in todo if keys[i] in st)
    finally:
        bar.close()
    if not res.interrupted:
        res.not_converged += skipped_nc  # the store's state: skipped rows count too
        try:
            if res.computed or not (st.path / "results.parquet").exists():
                st.consolidate()
        except Exception as exc:  # noqa: BLE001 - the entries are the store; this is a copy
            sys.stderr.write(f"theory: sweep: results.parquet not written ({exc})\n")
    res.seconds = time.perf_counter() - t0
    return res
