"""``theory simulate``: refusal before allocating, ``--dry-run``, Ctrl-C, progress (issue 13).

* ``--d 100000`` for every model with a simulator exits 2 with one stderr line
  ``theory: error: d=100000: needs ~..., ... available (...)``, fast and without allocating
  (in-process: tracemalloc peak; in a subprocess: under an address-space limit of 4 GiB, where
  the first array of the simulation could not even be allocated).
* ``--dry-run`` prints the estimate and simulates nothing (text and JSON).
* SIGINT during the seeds: exit 130, one line ``theory: interrupted after K of N seeds; K kept
  in DIR (rerun the same command to resume)`` -- and a rerun loads exactly those K seeds.
* Progress bars only on a terminal (a pty in the subprocess test) and never with ``--json``.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import select
import signal
import subprocess
import sys
import time
import tracemalloc

import pytest

from theory.cli import main

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
       "OPENBLAS_NUM_THREADS": "1"}
ENV.pop("THEORY_RESOURCE_CHECK", None)

#: every model (or simulator) that ``theory simulate`` runs (theory/simulate/dispatch.py)
MODELS = [["rf_ridge"], ["rf_convex"], ["spiked_rf"], ["spiked_rf", "eta_tilde=1", "alpha0=0.5"],
          ["one_step", "alpha0=0.5", "alpha=1"], ["gmm_binary"], ["gmm_multiclass"]]

REFUSAL = re.compile(r"^theory: error: d=100000: needs ~[\d.]+ [GTP]iB, [\d.]+ [KMGT]iB "
                     r"available \(.*\)")


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("model", MODELS, ids=["-".join(m) for m in MODELS])
def test_d_100000_refused_fast_without_allocating(model, capsys):
    from theory.models import load_all

    load_all()  # the models' import (sympy systems): not part of the refusal
    t0 = time.perf_counter()
    code, out, err = run(capsys, "simulate", *model, "--d", "100000")
    seconds = time.perf_counter() - t0  # 0.01 to 0.2 s on the development machine
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and REFUSAL.match(lines[0]), err
    assert "Traceback" not in err and "MemoryError" not in err
    assert seconds < 3.0
    tracemalloc.start()  # again, traced (tracemalloc slows the validation's sympy down)
    try:
        code, _, err2 = run(capsys, "simulate", *model, "--d", "100000")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 2 and err2 == err
    assert peak < 50e6  # one 100000 x 100000 float64 array is 80e9 bytes


def test_refused_under_an_address_space_limit():
    """A real process limited to 4 GiB of address space: the refusal comes before any big
    allocation (a 75 GiB array would raise MemoryError: exit 3 with 'internal error')."""
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))

    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "theory.cli", "simulate", "rf_ridge", "--d",
                          "100000"], capture_output=True, text=True, env=ENV, cwd=ROOT,
                         preexec_fn=limit, timeout=120)
    seconds = time.perf_counter() - t0
    assert out.returncode == 2, out.stderr
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and REFUSAL.match(lines[0]), out.stderr
    assert seconds < 30  # interpreter start and imports included (2-4 s on a quiet machine)


def test_dry_run_text(capsys):
    from theory.models import load_all

    load_all()
    tracemalloc.start()
    try:
        code, out, err = run(capsys, "simulate", "rf_ridge", "--d", "2000", "--seeds", "20",
                             "--dry-run")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 0 and err == ""
    assert "dry run, nothing simulated" in out
    assert "sizes: d=2000, p=4000, n=3000, n_test=4000" in out  # psi1 = 2, psi2 = 1.5
    assert re.search(r"memory per seed: ~[\d.]+ MiB at its peak", out)
    assert re.search(r"time: ~[\d.]+ \w+ per seed, ~[\d.]+ \w+ for 20 seeds", out)
    assert ": fits" in out
    assert peak < 20e6  # nothing simulated: F alone (2000 x 4000) would be 64 MB


def test_dry_run_json_and_consistent_with_the_refusal(capsys):
    code, out, err = run(capsys, "simulate", "one_step", "alpha0=0.5", "alpha=1", "--d", "800",
                         "--seeds", "7", "--dry-run", "--json")
    assert code == 0 and err == ""
    d = json.loads(out)
    e = d["estimate"]
    assert d["dry_run"] and d["simulator"].endswith("simulate_one_step")
    assert e["sizes"] == {"d": 800, "p": 800, "n0": 400, "n": 800, "n_test": 5000}
    assert e["parts"]["W0 800 x 800"] == 8 * 800 * 800  # a float64 p x d array
    assert e["seconds_total"] == pytest.approx(7 * e["seconds_per_seed"])
    assert e["fits"] and e["bytes"] <= e["safety"] * e["available"]
    code, out, _ = run(capsys, "simulate", "gmm_binary", "--d", "100000", "--dry-run")
    assert code == 0 and "does NOT fit: the run would be refused" in out
    code, _, err = run(capsys, "simulate", "gmm_binary", "--d", "100000")
    assert code == 2 and REFUSAL.match(err)


def test_json_mode_is_silent_on_stderr_even_on_a_terminal(capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, out, err = run(capsys, "simulate", "gmm_binary", "--d", "40", "--seeds", "2",
                         "--json")
    assert code == 0 and err == "" and json.loads(out)["observables"]
    code, out, err = run(capsys, "curve", "gmm_binary", "--vary", "alpha=0.5,1", "--json")
    assert code == 0 and err == "" and len(json.loads(out)["points"]) == 2
    code, out, err = run(capsys, "simulate", "gmm_binary", "--d", "40", "--seeds", "2")
    assert code == 0 and "2/2" in err and "seed" in err  # tqdm: done/total, rate, ETA


def test_no_progress_when_stderr_is_not_a_terminal(capsys):
    code, out, err = run(capsys, "simulate", "gmm_binary", "--d", "40", "--seeds", "2")
    assert code == 0 and err == "" and "test_error" in out


# ----------------------------------------------------------------------------- Ctrl-C
def _entries(folder: pathlib.Path) -> int:
    """Finished seeds in a cache folder: one file per seed (JSON now, Parquet entries of the
    results store later); temporary files and the store's own files are not entries."""
    skip = {"store.json", "results.parquet"}
    return sum(1 for p in folder.rglob("*") if p.is_file() and p.suffix in (".json", ".parquet")
               and p.name not in skip and not p.name.startswith(".")
               and "quarantine" not in p.parts)


@pytest.mark.slow
def test_sigint_keeps_the_finished_seeds_and_a_rerun_resumes(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    argv = [sys.executable, "-m", "theory.cli", "simulate", "gmm_binary", "lam=0.1",
            "--d", "300", "--seeds", "400", "--cache", str(cache)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=ENV, cwd=ROOT)
    t0 = time.monotonic()
    while _entries(cache) < 2 and time.monotonic() - t0 < 120 and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, "finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    m = re.fullmatch(r"theory: interrupted after (\d+) of 400 seeds; (\d+) kept in (.+) "
                     r"\(rerun the same command to resume\)", lines[0])
    assert m and m.group(1) == m.group(2) and m.group(3) == str(cache), lines[0]
    kept = int(m.group(1))
    assert kept >= 2 and kept == _entries(cache)
    # the rerun loads exactly those seeds (a shorter run: the first `kept` + 1 seeds)
    rerun = subprocess.run([*argv[:-4], "--seeds", str(kept + 1), "--cache", str(cache),
                            "--json"], capture_output=True, text=True, env=ENV, cwd=ROOT,
                           timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["cached"] == kept


@pytest.mark.slow
def test_sigint_without_cache_on_a_terminal(tmp_path):
    """stderr is a pty: the tqdm bar is drawn (done/total, rate); SIGINT after the first seed
    ends it with one line, exit 130, and says nothing was kept."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    proc = subprocess.Popen([sys.executable, "-m", "theory.cli", "simulate", "gmm_binary",
                             "lam=0.1", "--d", "300", "--seeds", "400"],
                            stdout=subprocess.PIPE, stderr=slave, env=ENV, cwd=ROOT)
    os.close(slave)
    buf, sent, t0 = b"", False, time.monotonic()
    while time.monotonic() - t0 < 120:
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            buf += chunk
        if not sent and re.search(rb"\b[1-9]\d*/400\b", buf):
            proc.send_signal(signal.SIGINT)
            sent = True
        if sent and proc.poll() is not None and not r:
            break
    os.close(master)
    proc.wait(timeout=60)
    assert sent and proc.returncode == 130
    text = buf.decode(errors="replace").replace("\r", "\n")
    assert "seed/s" in text or "s/seed" in text  # the bar's rate
    lines = [t for t in text.splitlines() if t.strip()]
    assert re.fullmatch(r"theory: interrupted after \d+ of 400 seeds; not kept: no --cache",
                        lines[-1].strip()), lines[-3:]
    assert "Traceback" not in text
