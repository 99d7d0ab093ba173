"""``theory sweep SPEC``: a grid of solves, curves or simulations into a results store.

Prints what was done (``200 tasks: 0 skipped (in store), 200 computed in 12.3 s; store
runs/x.store (results.parquet)``) or, with ``--json``, one JSON object (no progress bar).
Exit codes: 0 every task done and every point converged; 1 some tasks failed or some points
did not converge (said on stderr); 2 bad input or a corrupt store (one line); 130 Ctrl-C
(``theory: interrupted: 37 of 200 tasks kept in STORE; rerun the same command to resume``).
Also registers ``theory compare`` (:mod:`theory.sweep.compare`) when it is installed.
"""

from __future__ import annotations

import argparse
import json
import sys

from .errors import InputError

__all__ = ["add_sweep_command"]


def _positive_int(name):
    import argparse

    def parse(text):
        try:
            v = int(text)
        except ValueError:
            v = 0
        if v < 1:
            raise argparse.ArgumentTypeError(f"{name}={text!r} must be an integer >= 1")
        return v

    return parse


def _nonneg_int(text):
    import argparse

    try:
        v = int(text)
    except ValueError:
        v = -1
    if v < 0:
        raise argparse.ArgumentTypeError(f"retries={text!r} must be an integer >= 0")
    return v


def _cmd_sweep(a) -> int:
    from .sweep import run_sweep
    from .sweep.tasks import describe_task

    if a.plot is not None and not a.dry_run:
        try:
            from .sweep.plot import plot_sweep
        except ImportError:
            raise InputError("plot", a.plot, "not available in this installation "
                             "(theory.sweep.plot is missing)") from None
    import warnings

    progress = False if (a.json or a.quiet) else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = run_sweep(a.spec, store=a.store, workers=a.workers, scheduler=a.scheduler,
                        retries=a.retries, progress=progress, dry_run=a.dry_run,
                        repair=a.repair)
    for w in caught:  # e.g. --repair: a corrupt entry moved to quarantine (one line each)
        sys.stderr.write(f"theory: sweep: {' '.join(str(w.message).split())}\n")
    store = res.store.path if res.store is not None else (a.store or res.spec.store)
    if a.dry_run:
        plan = res.plan or []
        todo = [p for p in plan if not p["done"]]
        if a.json:
            print(json.dumps({"total": res.total, "done": res.skipped, "to_do": len(todo),
                              "store": str(store), "tasks": plan}, default=str))
            return 0
        print(f"{res.total} tasks ({res.spec.kind} {res.spec.model}): {res.skipped} done "
              f"(in store), {len(todo)} to do; store {store}")
        lines: dict = {}  # one line per simulation point (its seeds together), else per task
        for p in todo:
            t = p["task"]
            head = describe_task({**t, "kind": t["kind"], "seed": None}).rsplit(" seed=", 1)[0] \
                if t["kind"] == "simulate" else describe_task(t)
            lines.setdefault(head, []).append(p)
        for head, group in list(lines.items())[:20]:
            seeds = f": {len(group)} seed{'s' * (len(group) > 1)}" \
                if group[0]["task"]["kind"] == "simulate" else ""
            est = f"  [{group[0]['estimate']}]" if group[0].get("estimate") else ""
            print(f"  {head}{seeds}{est}")
        if len(lines) > 20:
            print(f"  ... and {len(lines) - 20} more")
        secs = [p.get("estimate_seconds") for p in todo]
        if todo and all(s is not None for s in secs):
            from .simulate.resources import seconds_text

            print(f"  estimated compute: ~{seconds_text(sum(secs))} in total (one core)")
        return 0
    if res.interrupted:
        sys.stderr.write(f"theory: interrupted: {res.kept} of {res.total} tasks kept in "
                         f"{store}; rerun the same command to resume\n")
        return 130
    plot_path = None
    if a.plot is not None:
        plot_path = plot_sweep(res, a.plot, spec=res.spec)
    failed = len(res.failed)
    if a.json:
        print(json.dumps({"total": res.total, "skipped": res.skipped, "computed": res.computed,
                          "failed": failed, "not_converged": res.not_converged,
                          "retried": len(res.retried), "seconds": round(res.seconds, 3),
                          "store": str(store),
                          "results": str(store / "results.parquet"),
                          "failures": [{"task": t, "error": e} for t, e in res.failed],
                          "plot": str(plot_path) if plot_path else None}))
    elif not a.quiet:
        print(f"{res.total} tasks: {res.skipped} skipped (in store), {res.computed} computed "
              f"in {res.seconds:.1f} s; store {store} (results.parquet)")
        for t, attempts, err in res.retried:
            print(f"  retried: {describe_task(t)}: {attempts} attempts (first error: {err})")
        if plot_path:
            print(f"  plot: {plot_path}")
    if failed or res.not_converged:
        parts = []
        if failed:
            parts.append(f"{failed} task{'s' * (failed > 1)} failed (listed above; rerun to "
                         "retry them)")
        if res.not_converged:
            parts.append(f"{res.not_converged} point{'s' * (res.not_converged > 1)} did not "
                         "converge (rows with converged=False, kept and flagged)")
        sys.stderr.write("theory: sweep: " + "; ".join(parts) + "\n")
        return 1
    return 0


def add_sweep_command(sub) -> None:
    """Register ``theory sweep`` (and ``theory compare`` when :mod:`theory.sweep.compare`
    is installed) on the subcommand parsers of the ``theory`` command line.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The ``add_subparsers()`` object of the main parser.
    """
    s = sub.add_parser("sweep", help="a grid of solves, curves or simulations into a results "
                       "store (resumable; local processes or Dask)",
                       description="Run the sweep of a TOML/YAML spec into its results store "
                       "(a folder of Parquet files). A rerun skips every task already in the "
                       "store. Exit codes: 0 done, 1 some tasks failed or points did not "
                       "converge, 2 bad input or corrupt store, 130 interrupted.")
    s.add_argument("spec", help="the sweep spec: a .toml or .yaml file")
    s.add_argument("--store", default=None, metavar="DIR",
                   help="results store folder (default: the spec's store, else "
                   "<spec stem>.store next to the spec)")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--workers", type=_positive_int("workers"), default=None, metavar="N",
                   help="run on N local processes")
    g.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="run on a Dask cluster: its scheduler address, e.g. tcp://host:8786")
    s.add_argument("--retries", type=_nonneg_int, default=2, metavar="K",
                   help="further attempts of a task that raises")
    s.add_argument("--dry-run", action="store_true",
                   help="print the plan (tasks done / to do, resource estimates) and exit")
    s.add_argument("--repair", action="store_true",
                   help="move corrupt store entries to STORE/quarantine/ and recompute them")
    s.add_argument("--plot", default=None, metavar="FILE",
                   help="draw the curves into FILE (.png, .pdf, .svg)")
    s.add_argument("--json", action="store_true",
                   help="print a JSON summary (no progress bar)")
    s.add_argument("--quiet", action="store_true", help="no progress bar, no summary line")
    s.set_defaults(func=_cmd_sweep)
    add_compare_command(sub)


def _cmd_compare(a) -> int:
    from .sweep.compare import _cmd_compare as run

    return run(a)


def add_compare_command(sub) -> argparse.ArgumentParser:
    """Register ``theory compare`` on the CLI's subparsers.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The ``theory`` command's subparsers.

    Returns
    -------
    argparse.ArgumentParser
        The ``compare`` parser.
    """
    p = sub.add_parser(
        "compare", help="theory against simulation along one parameter (table, z-scores, figure)",
        description="Run the theory (curve, d -> infinity) and the finite-size simulation "
        "(d, seeds) over one grid through the sweep machinery (two stores under --out: a "
        "rerun resumes), then print theory, simulation mean, standard error and z = (mean - "
        "theory)/s.e. per point; |z| > 3 is flagged. Writes OUT/compare.csv and "
        "OUT/compare.png (the fixed parameters in its title and metadata).")
    p.add_argument("model", help="a model with a simulator (see `theory models`)")
    p.add_argument("params", nargs="*", metavar="KEY=VALUE", help="fixed model parameters")
    p.add_argument("--vary", required=True, metavar="NAME=GRID",
                   help="the varied parameter and its grid: start:stop:count or v1,v2,...")
    p.add_argument("--d", type=int, required=True, metavar="D",
                   help="input dimension of the simulation")
    p.add_argument("--seeds", type=int, default=10, metavar="K",
                   help="seeds per point (>= 2)")
    p.add_argument("--first-seed", type=int, default=0, metavar="S", help="the first seed")
    p.add_argument("--observable", default="test_error", help="the quantity compared")
    p.add_argument("--theory-points", type=int, default=41, metavar="N",
                   help="the theory line is also solved at N evenly spaced values (0: at the "
                   "grid values only)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default: compare-MODEL-NAME)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--workers", type=int, default=None, metavar="N",
                   help="local worker processes (default: serial)")
    g.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="a Dask scheduler, tcp://host:port")
    p.add_argument("--json", action="store_true", help="print JSON (for machines)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_compare)  # imports the engine only when the command runs
    return p

