"""A sweep killed with SIGKILL (or stopped by Ctrl-C) and rerun loses no finished task,
recomputes none, and ends identical to an uninterrupted run.

``theory sweep`` runs in a subprocess (its own session); the test waits until a seeded random
number of entries is committed, sleeps a seeded random few milliseconds (so the kill lands
anywhere: in a task, in a commit, between them) and kills the coordinating process with SIGKILL
(with ``--workers 2`` its worker processes must then exit by themselves, within seconds). The entries present are counted with
their modification times and bytes; the rerun (the CLI, ``--json``) must skip exactly those,
compute exactly the others, leave every finished file untouched, and give the uninterrupted
run's frame (every column but timing / worker).
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import random
import re
import signal
import subprocess
import sys
import time

import pytest

from theory.cli import main
from theory.store import Store
from theory.sweep import run_sweep

pytestmark = pytest.mark.slow

ROOT = pathlib.Path(__file__).resolve().parents[1]
SPEC = pathlib.Path(__file__).parent / "data" / "sweeps" / "kill.toml"
TOTAL = 40
TIMING = ["seconds", "worker", "_committed"]


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def _entries(store: pathlib.Path) -> dict:
    folder = store / "entries"
    out = {}
    for p in sorted(folder.glob("*.parquet")) if folder.exists() else []:
        out[p.name] = (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
    return out


def _start(store, *extra):
    return subprocess.Popen([sys.executable, "-m", "theory.cli", "sweep", str(SPEC), "--store",
                             str(store), "--json", *extra], env=_env(), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _wait_for(proc, store, k, timeout=120.0):
    """Until ``k`` entries are committed (or the process ended)."""
    t0 = time.monotonic()
    folder = store / "entries"
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            return
        if folder.exists() and sum(1 for _ in folder.glob("*.parquet")) >= k:
            return
        time.sleep(0.005)
    raise AssertionError(f"no {k} entries after {timeout} s")


def _frame(store):
    df = Store(store).frame().drop(columns=TIMING).sort_values("_key", kind="stable")
    return df.reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    store = tmp_path_factory.mktemp("ref") / "ref.store"
    res = run_sweep(SPEC, store=store, progress=False)
    assert (res.total, res.computed) == (TOTAL, TOTAL)
    return _frame(store)


def _kill_and_resume(tmp_path, capsys, reference, rng, fraction, workers):
    store = tmp_path / "s.store"
    extra = ("--workers", "2") if workers else ()
    proc = _start(store, *extra)
    k = max(1, int(fraction * TOTAL))
    _wait_for(proc, store, k)
    time.sleep(rng.uniform(0.0, 0.06))
    # serial: the process; --workers 2: the coordinator only -- its workers (children of the
    # forkserver) must notice and exit by themselves, writing nothing
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL, "the run ended before the kill"
    t0 = time.monotonic()
    while True:  # every process of the run's session is gone within a few seconds
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() - t0 < 15, "worker processes outlived the coordinator"
        time.sleep(0.1)
    before = _entries(store)
    assert k <= len(before) < TOTAL
    # the rerun is serial (a killed --workers run resumes on any executor; serial saves the
    # workers' start-up time here)
    assert main(["sweep", str(SPEC), "--store", str(store), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    # the rerun skips exactly the entries present before it and computes only the rest
    assert summary["skipped"] == len(before)
    assert summary["computed"] == TOTAL - len(before)
    assert summary["failed"] == 0
    after = _entries(store)
    assert len(after) == TOTAL
    for name, stamp in before.items():  # no finished entry was rewritten
        assert after[name] == stamp, name
    final = _frame(store)
    assert final.equals(reference), [c for c in final if not final[c].equals(reference[c])]
    return len(before)


def test_sigkill_at_three_random_moments_then_resume(tmp_path, capsys, reference):
    rng = random.Random(20261201)
    kept = []
    for trial, fraction in enumerate((0.15, 0.45, 0.8)):
        f = fraction + rng.uniform(-0.05, 0.05)
        kept.append(_kill_and_resume(tmp_path / f"t{trial}", capsys, reference, rng, f,
                                     workers=False))
    assert len(set(kept)) == 3  # three different moments


def test_sigkill_with_two_workers_then_resume(tmp_path, capsys, reference):
    rng = random.Random(7)
    kept = _kill_and_resume(tmp_path / "w", capsys, reference, rng, 0.5 + rng.uniform(-0.1, 0.1),
                            workers=True)
    assert 0 < kept < TOTAL


LINE = re.compile(r"^theory: interrupted: (\d+) of 40 tasks kept in (.+); rerun the same "
                  r"command to resume$")


@pytest.mark.parametrize("workers", [False, True], ids=["serial", "workers2"])
def test_sigint_exit_130_one_line_then_resume(tmp_path, capsys, reference, workers):
    store = tmp_path / "s.store"
    extra = ("--workers", "2") if workers else ()
    proc = _start(store, *extra)
    _wait_for(proc, store, 12)
    # a terminal's Ctrl-C goes to the whole foreground group: the workers ignore it
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    m = LINE.match(lines[0])
    assert m, lines[0]
    kept = int(m.group(1))
    assert m.group(2) == str(store)
    assert kept == len(_entries(store)) and 12 <= kept < TOTAL
    assert main(["sweep", str(SPEC), "--store", str(store), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["skipped"], summary["computed"]) == (kept, TOTAL - kept)
    assert _frame(store).equals(reference)
