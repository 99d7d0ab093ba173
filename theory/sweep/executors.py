"""Where the tasks of a sweep run: serially, in local processes, or on a Dask cluster.

Every executor is a generator over ``(index, outcome)`` in the order tasks finish, where
``outcome`` is ``("ok", result, attempts)`` (``result`` from
:func:`~theory.sweep.tasks.run_task`) or ``("failed", message, attempts)`` after
``1 + retries`` attempts; ``on_retry(index, attempt, message)`` is called before each retry.
The coordinating process consumes the generator and commits each result as it arrives, so a
kill of any process loses at most the tasks running at that moment.

* :func:`serial`: in this process.
* :func:`local_processes`: :class:`concurrent.futures.ProcessPoolExecutor` with the
  ``forkserver`` start method (``spawn`` where there is none): no state is inherited from the
  parent by ``fork`` (threads, open stores). Workers ignore SIGINT (Ctrl-C reaches the
  coordinator only, which cancels what is pending and stops the workers), limit their BLAS
  threads to ``cores // workers`` with threadpoolctl, so N workers do not oversubscribe, and
  exit within a second when the coordinator is killed (they never write to the store).
* :func:`dask`: a ``distributed.Client`` (given, or connected to ``scheduler``), one future per
  task attempt, results streamed back with ``distributed.as_completed``. A failed future is
  resubmitted by the coordinator (``retries`` times), which knows every attempt and reports it.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Generator

from .tasks import run_task

__all__ = ["serial", "local_processes", "dask", "CONNECT_TIMEOUT"]

#: how long ``scheduler=`` waits for the Dask scheduler before it is refused as bad input
CONNECT_TIMEOUT = "10s"


def _message(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def _retryable(exc) -> bool:
    """A deliberate error of theory (bad input, a simulation that does not fit) is the same
    on every attempt: it is reported at once, not retried."""
    from ..errors import TheoryError

    return not isinstance(exc, TheoryError)


def serial(tasks: list[dict], *, retries: int = 2,
           on_retry: Callable | None = None) -> Generator[tuple[int, tuple], None, None]:
    """Run the tasks one after the other in this process.

    Parameters
    ----------
    tasks : list of dict
        Tasks of :func:`~theory.sweep.tasks.expand`.
    retries : int, default 2
        Further attempts of a task that raised.
    on_retry : callable, optional
        ``on_retry(index, attempt, message)`` before each retry.

    Yields
    ------
    tuple
        ``(index, ("ok", result, attempts))`` or ``(index, ("failed", message, attempts))``.
    """
    for i, task in enumerate(tasks):
        for attempt in range(1, retries + 2):
            try:
                result = run_task(task)
            except Exception as exc:  # noqa: BLE001 - a failed task is reported, not fatal
                msg = _message(exc)
                if attempt <= retries and _retryable(exc):
                    if on_retry:
                        on_retry(i, attempt, msg)
                    continue
                yield i, ("failed", msg, attempt)
                break
            yield i, ("ok", result, attempt)
            break


def _watch(coordinator: int) -> None:
    """Exit when the coordinating process is gone (e.g. killed with SIGKILL): a worker
    started by the forkserver is not its child and would otherwise wait forever."""
    import time

    while True:
        time.sleep(1.0)
        try:
            os.kill(coordinator, 0)
        except ProcessLookupError:
            os._exit(70)
        except PermissionError:  # pragma: no cover - alive, another user's pid
            pass


def _worker_init(threads: int, coordinator: int | None = None) -> None:
    """A local worker: Ctrl-C is the coordinator's business; BLAS limited to ``threads``;
    exits when the coordinator dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if coordinator is not None:
        import threading

        threading.Thread(target=_watch, args=(coordinator,), daemon=True,
                         name="theory-sweep-watch").start()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    import numpy  # noqa: F401 - load BLAS so that threadpoolctl sees it
    from threadpoolctl import threadpool_limits

    global _LIMITS
    _LIMITS = threadpool_limits(limits=threads)


_LIMITS = None


def _context():
    import multiprocessing as mp

    methods = mp.get_all_start_methods()
    return mp.get_context("forkserver" if "forkserver" in methods else "spawn")


def local_processes(tasks: list[dict], *, workers: int, retries: int = 2,
                    on_retry: Callable | None = None) -> Generator[tuple[int, tuple], None, None]:
    """Run the tasks in ``workers`` local processes.

    Parameters
    ----------
    tasks : list of dict
        Tasks of :func:`~theory.sweep.tasks.expand`.
    workers : int
        Number of processes (>= 1).
    retries : int, default 2
        Further attempts of a task that raised.
    on_retry : callable, optional
        ``on_retry(index, attempt, message)`` before each retry.

    Yields
    ------
    tuple
        As :func:`serial`, in the order tasks finish.

    Notes
    -----
    On KeyboardInterrupt (or when the consumer stops early) the pending tasks are cancelled
    and the worker processes terminated; the exception propagates.
    """
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    threads = max(1, (os.cpu_count() or 1) // workers)

    def new_pool():
        return ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                                   initializer=_worker_init,
                                   initargs=(threads, os.getpid()))

    pool = new_pool()
    clean = False
    try:
        running: dict = {pool.submit(run_task, t): (i, 1) for i, t in enumerate(tasks)}
        ok_seen = False
        while running:
            done, _ = wait([f for f in running if isinstance(f, Future)],
                           return_when=FIRST_COMPLETED)
            broken = False
            for fut in done:
                i, attempt = running.pop(fut)
                exc = fut.exception()
                if exc is None:
                    ok_seen = True
                    yield i, ("ok", fut.result(), attempt)
                    continue
                if isinstance(exc, _broken()):
                    # a worker died (killed, out of memory, or the main module is not
                    # guarded by ``if __name__ == "__main__"``): every task in flight is lost
                    if not ok_seen:
                        raise RuntimeError("the sweep's worker processes died before any task "
                                           f"finished ({exc}); a script that runs a sweep "
                                           "with workers must guard it with "
                                           "if __name__ == '__main__'")
                    exc = RuntimeError(f"a worker process died ({exc})")
                    if on_retry and not broken and attempt <= retries:
                        on_retry(i, attempt, _message(exc))
                    broken = True
                    if attempt <= retries:
                        running[object()] = (i, attempt + 1)
                    else:
                        yield i, ("failed", _message(exc), attempt)
                    continue
                if attempt <= retries and _retryable(exc):
                    if on_retry:
                        on_retry(i, attempt, _message(exc))
                    running[pool.submit(run_task, tasks[i])] = (i, attempt + 1)
                else:
                    yield i, ("failed", _message(exc), attempt)
            if broken:  # a new pool for the tasks not finished (each attempt counted)
                _stop(pool)
                pool = new_pool()
                lost = list(running.items())
                running = {}
                for fut, (i, attempt) in lost:
                    if isinstance(fut, Future) and fut.done() and fut.exception() is None:
                        yield i, ("ok", fut.result(), attempt)
                        continue
                    if isinstance(fut, Future) and fut.done():  # broken too: one more attempt
                        attempt += 1
                    if attempt > retries + 1:
                        yield i, ("failed", "RuntimeError: a worker process died", retries + 1)
                    else:
                        running[pool.submit(run_task, tasks[i])] = (i, attempt)
        clean = True
    finally:
        if clean:
            pool.shutdown(wait=True)
        else:
            _stop(pool)


def _broken():
    from concurrent.futures.process import BrokenProcessPool

    return BrokenProcessPool


def _stop(pool) -> None:
    """Cancel what is pending and terminate the workers now (they ignore SIGINT)."""
    procs = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        try:
            p.terminate()
        except Exception:  # noqa: BLE001 - already gone
            pass
    for p in procs:
        try:
            p.join(timeout=5)
        except Exception:  # noqa: BLE001
            pass


def dask(tasks: list[dict], *, client=None, scheduler: str | None = None, retries: int = 2,
         on_retry: Callable | None = None) -> Generator[tuple[int, tuple], None, None]:
    """Run the tasks on a Dask distributed cluster.

    Parameters
    ----------
    tasks : list of dict
        Tasks of :func:`~theory.sweep.tasks.expand`.
    client : distributed.Client, optional
        A connected client (its cluster is left running).
    scheduler : str, optional
        The scheduler's address (``"tcp://host:port"``) when no client is given; the client
        made here is closed at the end.
    retries : int, default 2
        Further attempts of a task that raised (each a new future).
    on_retry : callable, optional
        ``on_retry(index, attempt, message)`` before each retry.

    Yields
    ------
    tuple
        As :func:`serial`, in the order tasks finish.

    Notes
    -----
    The workers import ``theory`` (the same version: the task keys include the code version,
    so a worker with other code still computes the coordinator's tasks but the coordinator
    commits them under its own key). On KeyboardInterrupt the futures are cancelled.
    """
    from distributed import Client, as_completed

    own = client is None
    if own:
        try:
            client = Client(scheduler, set_as_default=False, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            from ..errors import InputError

            raise InputError("scheduler", scheduler, "the address of a running Dask scheduler",
                             hint=f"could not connect in {CONNECT_TIMEOUT} ({_message(exc)})"
                             ) from None
    futures: dict = {}
    clean = False
    try:
        for i, t in enumerate(tasks):
            f = client.submit(run_task, t, pure=False)
            futures[f] = (i, 1)
        # results come with the completion events (no round trip per future)
        ac = as_completed(list(futures), loop=client.loop, with_results=True,
                          raise_errors=False)  # this client's loop (not the default's)
        for fut, value in ac:
            i, attempt = futures.pop(fut)
            if fut.status == "finished":
                fut.release()
                yield i, ("ok", value, attempt)
                continue
            if isinstance(value, tuple) and len(value) == 3:  # (type, exception, traceback)
                value = value[1]
            msg = _message(value) if isinstance(value, BaseException) else \
                f"future {fut.status}"
            fut.release()
            if attempt <= retries and _retryable(value):
                if on_retry:
                    on_retry(i, attempt, msg)
                nf = client.submit(run_task, tasks[i], pure=False)
                futures[nf] = (i, attempt + 1)
                ac.add(nf)
            else:
                yield i, ("failed", msg, attempt)
        clean = True
    finally:
        if not clean and futures:
            try:
                client.cancel(list(futures))
            except Exception:  # noqa: BLE001 - the cluster may be gone
                pass
        if own:
            client.close()
