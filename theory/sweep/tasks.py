"""A sweep as a list of tasks (plain dicts), and one task run into rows.

A task is the unit of work, of resume and of a store entry; its key is
:func:`theory.store.task_key` of the dict (kind, model, parameters, options, simulation
settings, seed), so the same task has the same key in every process and on every machine:

* ``solve``: one task per point (one row);
* ``curve``: one task per line -- every value of ``vary`` at one combination of the other
  parameters -- solved by :func:`theory.curve` with warm starts and committed as one entry, one
  row per point (the line is the unit of resume, so a resumed store is bitwise the same as an
  uninterrupted one: warm starts depend on the whole line);
* ``simulate``: one task per (point, seed): the simulator of
  :func:`theory.simulate.dispatch.simulation_call` with ``seeds=1, first_seed=seed`` (one row),
  run with one BLAS thread (threadpoolctl), so that a seed's numbers are bitwise the same on
  every executor and in every rerun (with 2 BLAS threads they differ from 1 thread by ~1e-15
  relative: the sum order of a matrix product depends on the thread count).

:func:`run_task` is what a worker process (local or Dask) runs: it imports everything it needs
and returns the rows; the coordinating process commits them.
"""

from __future__ import annotations

import json
import math
import os
import socket
import time
import warnings

from .spec import SweepSpec

__all__ = ["expand", "run_task", "describe_task", "FAULT_ENV"]

#: test hook: ``{"match": {param: value}, "times": k, "dir": folder}`` as JSON makes the first
#: ``k`` attempts (all of them for ``k < 0``) of every task whose parameters match raise
#: (attempts are counted with files in ``dir``, so across processes and machines sharing it)
FAULT_ENV = "THEORY_SWEEP_FAULT"


def expand(spec: SweepSpec) -> list[dict]:
    """The tasks of a sweep, in a deterministic order (the grid's, last key fastest).

    Parameters
    ----------
    spec : SweepSpec
        A validated specification (:func:`~theory.sweep.spec.load_spec`).

    Returns
    -------
    list of dict
        JSON-ready tasks: ``kind``, ``model``, ``params`` (fixed and varied, sorted by name),
        ``options`` (solve, curve), ``vary`` and ``values`` (curve), ``d``, ``seed`` and
        ``extras`` (simulate).
    """
    points = spec.point_list()
    out: list[dict] = []
    if spec.kind == "curve":
        lines: dict = {}
        for p in points:
            rest = {k: v for k, v in p.items() if k != spec.vary}
            sig = json.dumps(rest, sort_keys=True)
            lines.setdefault(sig, (rest, []))[1].append(p[spec.vary])
        for rest, values in lines.values():
            params = dict(sorted({**spec.fixed, **rest}.items()))
            out.append({"kind": "curve", "model": spec.model, "vary": spec.vary,
                        "values": list(values), "params": params,
                        "options": dict(sorted(spec.options.items()))})
        return out
    for p in points:
        params = dict(sorted({**spec.fixed, **p}.items()))
        if spec.kind == "solve":
            out.append({"kind": "solve", "model": spec.model, "params": params,
                        "options": dict(sorted(spec.options.items()))})
        else:
            s = spec.simulate
            extras = {k: v for k, v in sorted(s.items())
                      if k not in ("d", "seeds", "first_seed")}
            for seed in range(s["first_seed"], s["first_seed"] + s["seeds"]):
                out.append({"kind": "simulate", "model": spec.model, "params": params,
                            "d": s["d"], "seed": seed, "extras": extras})
    return out


def describe_task(task: dict) -> str:
    """One short line naming a task (for messages).

    Parameters
    ----------
    task : dict
        A task of :func:`expand`.

    Returns
    -------
    str
        ``"solve rf_ridge psi1=2.0 psi2=1.5"``, ``"curve ... psi2=[0.2..3] (50 points)"``,
        ``"simulate ... d=100 seed=3"``.
    """
    ps = " ".join(f"{k}={v}" for k, v in task["params"].items())
    if task["kind"] == "curve":
        v = task["values"]
        ps += f" {task['vary']}=[{v[0]}..{v[-1]}] ({len(v)} points)"
    elif task["kind"] == "simulate":
        ps += f" d={task['d']} seed={task['seed']}"
    return f"{task['kind']} {task['model']} {ps}".strip()


def _fault(task: dict) -> None:
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    cfg = json.loads(spec)
    params = task["params"]
    if any(params.get(k) != v for k, v in cfg.get("match", {}).items()):
        return
    times = int(cfg.get("times", 1))
    folder = cfg["dir"]
    os.makedirs(folder, exist_ok=True)
    name = json.dumps(task, sort_keys=True)
    import hashlib

    tag = hashlib.sha256(name.encode()).hexdigest()[:16]
    k = 0
    while True:  # claim the next attempt number atomically (O_EXCL)
        try:
            os.close(os.open(os.path.join(folder, f"{tag}.{k}"), os.O_CREAT | os.O_EXCL))
            break
        except FileExistsError:
            k += 1
    if times < 0 or k < times:
        raise RuntimeError(f"injected fault ({FAULT_ENV}) at attempt {k + 1}")


def _num(v):
    try:
        import mpmath

        if isinstance(v, mpmath.mpf):
            return float(v)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        return str(v)


def _solve_row(params: dict, res) -> dict:
    row = dict(params)
    row.update({k: _num(v) for k, v in res.state.items()})
    row.update({k: _num(v) for k, v in res.observables.items()})
    row.update({f"err_{k}": float(v) for k, v in res.state_errors.items()})
    row.update({f"err_{k}": float(v) for k, v in res.observable_errors.items()})
    row.update({"converged": bool(res.converged), "failure": res.failure or "",
                "message": str(res.message), "residual": _num(res.residual),
                "iterations": int(res.iterations),
                "quadrature_error": _num(res.quadrature_error),
                "seconds": float(res.seconds)})
    return row


def run_task(task: dict) -> dict:
    """Run one task (in any process) and return its rows.

    Parameters
    ----------
    task : dict
        A task of :func:`expand`.

    Returns
    -------
    dict
        ``rows`` (list of flat dicts: the parameters, order parameters, observables and their
        error bounds ``err_<name>``, ``converged``, ``failure``, ``message``, ``residual``,
        ``iterations``, ``quadrature_error``, ``seconds``, ``worker``), ``seconds`` (wall time
        of the task) and ``worker`` (``host:pid``).

    Raises
    ------
    Exception
        Whatever the solve or the simulation raised (the sweep retries it, then reports it);
        KeyboardInterrupt when a curve was interrupted (nothing of it is kept).
    """
    t0 = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    _fault(task)
    kind = task["kind"]
    params = dict(task["params"])
    rows: list[dict] = []
    if kind == "solve":
        from ..models import solve

        res = solve(task["model"], progress=False, **task.get("options", {}), **params)
        rows.append(_solve_row(params, res))
    elif kind == "curve":
        from ..models import curve

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            c = curve(task["model"], task["vary"], task["values"], strict=False,
                      solver_progress=False, **task.get("options", {}), **params)
        if c.interrupted:
            raise KeyboardInterrupt
        for v, res in zip(task["values"], c.points):
            rows.append(_solve_row({**params, task["vary"]: v}, res))
    elif kind == "simulate":
        from ..simulate.dispatch import simulation_call

        from threadpoolctl import threadpool_limits

        call = simulation_call(task["model"], params, task["d"])
        t1 = time.perf_counter()
        # one BLAS thread: the sum order of a matrix product depends on the thread count, so
        # this makes every seed's numbers bitwise the same on every executor (a sweep is
        # parallel across tasks instead: --workers / Dask)
        with threadpool_limits(limits=1):
            sims = call.fn(**call.kwargs, **task.get("extras", {}), seeds=1,
                           first_seed=task["seed"], cache=None, progress=None)
        seconds = time.perf_counter() - t1
        for sim in sims if isinstance(sims, list) else [sims]:
            row = {**params, "d": task["d"], "seed": task["seed"]}
            if isinstance(sims, list) and "alpha" in sim.settings:
                row["alpha"] = sim.settings["alpha"]
            for name, vals in sim.per_seed.items():
                row[name] = _num(vals[0]) if len(vals) == 1 else [float(x) for x in vals]
            row.update({"converged": True, "failure": "", "message": "",
                        "residual": math.nan, "iterations": 0, "quadrature_error": math.nan,
                        "seconds": seconds})
            rows.append(row)
    else:  # pragma: no cover - load_spec refuses it
        raise ValueError(f"unknown task kind {kind!r}")
    for r in rows:
        r["worker"] = worker
        r["kind"] = kind
    return {"rows": rows, "seconds": time.perf_counter() - t0, "worker": worker}
