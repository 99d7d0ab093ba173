"""The simulators' seed cache is a results store (theory.store): concurrent runs on one cache
folder, corrupt entries named on one line by the command line, code-versioned keys.

The agreement test compares three processes with each other (bitwise: the JSON floats are
shortest round-trip reprs), not with a stored number: the claim is that the cache returns
exactly what the simulator computed, whichever process computed it.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from theory.cli import main
from theory.simulate import _seeds
from theory.simulate._seeds import run_seeds, seed_code_version
from theory.simulate.random_features import simulate_random_features
from theory.store import Store, StoreError

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _cli(*argv) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "theory.cli", *argv], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow  # ~10 s: three CLI processes of ~4 s CPU each on a shared machine
def test_three_concurrent_simulations_share_one_cache(tmp_path):
    argv = ["simulate", "rf_ridge", "--d", "200", "--seeds", "4", "--json", "--quiet",
            "--cache", str(tmp_path)]
    procs = [_cli(*argv) for _ in range(3)]  # started together: all race on seed 0 first
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert err == ""
    runs = [json.loads(out) for out, _ in outs]
    for r in runs[1:]:  # bitwise: the same JSON text for every observable and seed
        assert json.dumps(r["observables"]) == json.dumps(runs[0]["observables"])
        assert json.dumps(r["per_seed"]) == json.dumps(runs[0]["per_seed"])
    store = Store(tmp_path, create=False)
    assert len(store.keys()) == 4 and store.verify() == []
    assert not [f for f in os.listdir(store.entries) if f.endswith(".tmp")]
    # a fourth run reads all four seeds and agrees too
    code = main(argv)
    assert code == 0


def _filled(tmp_path, capsys, seeds=3):
    argv = ["simulate", "rf_ridge", "--d", "30", "--seeds", str(seeds), "--json", "--quiet",
            "--cache", str(tmp_path)]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["cached"] == 0
    store = Store(tmp_path, create=False)
    files = sorted(store.entries.glob("*.parquet"))
    assert len(files) == seeds
    return argv, first, files


def _truncate(path):
    path.write_bytes(path.read_bytes()[:100])


def _tamper(path):  # what a hand edit does: test_error of that seed set to 5000
    t = pq.read_table(str(path))
    i = t.schema.get_field_index("test_error")
    t = t.set_column(i, "test_error", pa.array([5000.0], pa.float64()))
    pq.write_table(t, str(path))


@pytest.mark.parametrize("corrupt, words", [
    (_truncate, "not a readable Parquet file (100 bytes"),
    (_tamper, "checksum of its rows"),
])
def test_corrupt_seed_is_one_line_exit_2(tmp_path, capsys, corrupt, words):
    argv, first, files = _filled(tmp_path, capsys)
    assert main(argv) == 0 and json.loads(capsys.readouterr().out)["cached"] == 3
    corrupt(files[1])
    p = _cli(*argv)  # a real process: exit code, and nothing else on stderr (no traceback)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"theory: error: store entry {files[1]} is corrupt: ")
    assert main(argv) == 2  # the same in process (a StoreError is a TheoryError)
    assert capsys.readouterr().err.strip() == lines[0]
    assert words in lines[0] and "delete it to recompute" in lines[0]
    assert "--repair" not in lines[0]  # `theory simulate` has no such option
    files[1].unlink()  # what the message says to do: the seed is recomputed, the rest reused
    assert main(argv) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["cached"] == 2
    assert json.dumps(again["per_seed"]) == json.dumps(first["per_seed"])


def test_corrupt_seed_in_python_raises_store_error(tmp_path):
    kw = dict(d=20, p=30, n=40, seeds=2, n_test=100, cache=str(tmp_path))
    simulate_random_features(**kw)
    path = sorted(Store(tmp_path).entries.glob("*.parquet"))[0]
    _tamper(path)
    with pytest.raises(StoreError, match="checksum") as err:
        simulate_random_features(**kw)
    assert err.value.path == path


def test_changed_code_version_does_not_reuse_seeds(tmp_path, monkeypatch):
    import theory.store

    kw = dict(d=20, p=30, n=40, seeds=2, n_test=100, cache=str(tmp_path))
    a = simulate_random_features(**kw)
    assert simulate_random_features(**kw).cached == 2
    real = theory.store.code_version
    monkeypatch.setattr(theory.store, "code_version", lambda *p: "x" + real(*p)[1:])
    b = simulate_random_features(**kw)
    assert b.cached == 0 and b.per_seed == a.per_seed  # recomputed (same numbers)
    assert len(Store(tmp_path).keys()) == 4  # the old entries are kept, not used
    monkeypatch.undo()
    assert simulate_random_features(**kw).cached == 2


def test_the_simulator_source_enters_the_code_version(tmp_path):
    one, two = tmp_path / "sim_a.py", tmp_path / "sim_b.py"
    one.write_text("def run(seed):\n    return {'x': seed}\n")
    two.write_text("def run(seed):\n    return {'x': seed}  # edited\n")
    calls = []

    def run(k):
        calls.append(k)
        return {"x": float(k), "n": k}

    kw = dict(prefix="toy", key="k1", cache=str(tmp_path / "c"), first_seed=0, seeds=3)
    obs, per, cached = run_seeds(run, **kw, code_files=[one])
    assert cached == 0 and calls == [0, 1, 2] and per["n"] == [0, 1, 2]
    assert run_seeds(run, **kw, code_files=[one])[2] == 3 and len(calls) == 3
    assert run_seeds(run, **kw, code_files=[two])[2] == 0 and len(calls) == 6
    # default: the module that defines run (this test file), _seeds.py and store.py
    assert seed_code_version(run) == seed_code_version(run, [__file__])
    assert seed_code_version(run) != seed_code_version(run, [one])
    from theory.simulate import random_features

    assert seed_code_version(random_features._key) == \
        seed_code_version(run, [random_features.__file__])
    assert _seeds._module_file(lambda k: k) == __file__
