"""The results store (theory.store): round trip, integrity checks, temporary files, concurrency.

Every corruption is made by hand with pyarrow / pandas / plain file operations (never with the
store's own writer), and each must be caught by ``get()``, ``frame()`` and ``verify()`` with a
message naming the file and what to do; ``repair=True`` moves the file to the quarantine.
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.errors import TheoryError
from theory.store import (SCHEMA, Store, StoreError, StoreWarning, atomic_write, canonical_rows,
                          code_version, task_key)

CODE = "test-code"


def _commit(store, task, rows, **kw):
    key = task_key(task, code=CODE)
    return key, store.commit(key, rows, task=task, code=CODE, **kw)


def _bits(x: float) -> str:
    return struct.pack(">d", x).hex()


# ----------------------------------------------------------------------------- round trip

_FLOAT = st.floats(width=64, allow_nan=True, allow_infinity=True)
_INT = st.integers(min_value=-(2 ** 63), max_value=2 ** 63 - 1)
_KINDS = {
    "f": _FLOAT,
    "i": _INT,
    "b": st.booleans(),
    "s": st.text(max_size=8),
    "lf": st.lists(_FLOAT, max_size=4),
    "li": st.lists(_INT, max_size=4),
    "mix": st.one_of(st.integers(-(2 ** 53), 2 ** 53), _FLOAT),  # ints become floats
}


@st.composite
def _rows(draw):
    kinds = draw(st.lists(st.sampled_from(sorted(_KINDS)), min_size=1, max_size=5))
    n = draw(st.integers(1, 4))
    rows = []
    for i in range(n):
        row = {}
        for j, kind in enumerate(kinds):
            if i == 0 or draw(st.integers(0, 9)):  # sometimes absent from a row: stored None
                row[f"c{j}_{kind}"] = draw(st.one_of(st.none(), _KINDS[kind]))
        rows.append(row)
    return rows


def _same(a, b) -> bool:
    """Bitwise equality of row values (floats by their 64 bits, NaN payloads included)."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, float) and isinstance(b, float) and _bits(a) == _bits(b)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b


@settings(max_examples=60, deadline=None)
@given(rows=_rows())
def test_rows_survive_the_parquet_round_trip_bitwise(tmp_path_factory, rows):
    store = Store(tmp_path_factory.mktemp("s"))
    key, path = _commit(store, {"n": 1}, rows)
    back = store.get(key)
    assert len(back) == len(rows)
    columns = list(dict.fromkeys(c for r in rows for c in r))
    for r, b in zip(rows, back):
        assert list(b) == columns
        for c in columns:
            want = r.get(c)
            if isinstance(want, list) and c.endswith("_lf"):
                assert all(isinstance(x, float) for x in b[c])
            if c.endswith("_mix") and isinstance(want, int) and any(
                    isinstance(r2.get(c), float) for r2 in rows):
                want = float(want)  # a column of ints and floats is stored as float64
            assert _same(want, b[c]), (c, want, b[c])
    # the canonical bytes of the rows read back by pyarrow alone equal those committed
    assert canonical_rows(pq.read_table(str(path)).to_pylist()) == canonical_rows(back)


def test_nan_payload_inf_and_signed_zero_are_exact(tmp_path):
    odd_nan = struct.unpack(">d", bytes.fromhex("7ff8000000000123"))[0]
    rows = [{"a": odd_nan, "b": -0.0, "c": math.inf, "d": -math.inf, "e": [odd_nan, -0.0]}]
    store = Store(tmp_path)
    key, _ = _commit(store, {"t": 1}, rows)
    back = store.get(key)[0]
    assert _bits(back["a"]) == "7ff8000000000123"
    assert _bits(back["b"]) == "8000000000000000"
    assert back["c"] == math.inf and back["d"] == -math.inf
    assert [_bits(x) for x in back["e"]] == ["7ff8000000000123", "8000000000000000"]
    # the canonical form separates what it must: 0.0 vs -0.0, 1 vs 1.0 vs True
    assert canonical_rows([{"x": 0.0}]) != canonical_rows([{"x": -0.0}])
    assert len({canonical_rows([{"x": v}]) for v in (1, 1.0, True, "1")}) == 4


def test_numpy_values_missing_keys_and_mixed_numbers(tmp_path):
    store = Store(tmp_path)
    rows = [{"a": np.float64(0.1), "b": np.int64(3), "c": np.bool_(True), "v": np.arange(3.0)},
            {"a": 2, "d": "x"}]
    key, _ = _commit(store, {"t": 2}, rows)
    back = store.get(key)
    assert back == [{"a": 0.1, "b": 3, "c": True, "v": [0.0, 1.0, 2.0], "d": None},
                    {"a": 2.0, "b": None, "c": None, "v": None, "d": "x"}]
    assert type(back[1]["a"]) is float and type(back[0]["b"]) is int


@pytest.mark.parametrize("rows, words", [
    ([{"a": 1.0}, {"a": "x"}], "column 'a' mixes float and str"),
    ([{"a": {"nested": 1}}], "a row value must be"),
    ([{"a": [1, "x"]}], "holds numbers"),
    ([{"a": 2 ** 64}], "outside int64"),
    ([{"a": 2 ** 53 + 1}, {"a": 0.5}], "not exact as a float64"),
    ([{"_key": 1}], "reserved"),
    ([{}, {}], "without any column"),
    ({"a": 1}, "list of dicts"),
])
def test_unstorable_rows_are_refused(tmp_path, rows, words):
    with pytest.raises(TypeError, match=words):
        _commit(Store(tmp_path), {"t": 3}, rows)


def test_tasks_read_back_from_json_keep_their_key(tmp_path):
    store = Store(tmp_path)
    task = {"grid": {10: 0.5, 9: 1.5}, "t": (1, 2), "x": np.float64(0.1), "s": {3, 1}}
    key, _ = _commit(store, task, [{"a": 1}])
    assert store.get(key) == [{"a": 1}] and store.verify() == []
    assert store.info_of(key)["task"] == {"grid": {"9": 1.5, "10": 0.5}, "t": [1, 2], "x": 0.1,
                                          "s": [1, 3]}


def test_key_must_be_the_task_key(tmp_path):
    store = Store(tmp_path)
    with pytest.raises(ValueError, match="task_key"):
        store.commit(task_key({"t": 1}, code=CODE), [{"a": 1}], task={"t": 2}, code=CODE)
    with pytest.raises(ValueError, match="task_key"):  # key made with another code version
        store.commit(task_key({"t": 1}, code="other"), [{"a": 1}], task={"t": 1}, code=CODE)


def test_task_key_depends_on_task_code_version_and_schema(monkeypatch):
    import theory
    import theory.store as S

    k = task_key({"alpha": 1.0, "lam": 0.1}, code="c1")
    assert len(k) == 32 and int(k, 16) >= 0
    assert k == task_key({"lam": 0.1, "alpha": 1.0}, code="c1")  # order of keys irrelevant
    assert k != task_key({"alpha": 1.0, "lam": 0.1}, code="c2")
    assert k != task_key({"alpha": 1.0000000000000002, "lam": 0.1}, code="c1")
    assert task_key({"g": (1, 2)}, code="c1") == task_key({"g": [1, 2]}, code="c1")
    assert task_key({"a": np.float64(0.5)}, code="c1") == task_key({"a": 0.5}, code="c1")
    monkeypatch.setattr(theory, "__version__", "99.0")
    assert k != task_key({"alpha": 1.0, "lam": 0.1}, code="c1")
    monkeypatch.undo()
    monkeypatch.setattr(S, "SCHEMA", SCHEMA + 1)
    assert k != task_key({"alpha": 1.0, "lam": 0.1}, code="c1")


def test_code_version_follows_the_source_text(tmp_path):
    a, b, c = tmp_path / "a.py", tmp_path / "b.py", tmp_path / "c.py"
    a.write_text("x = 1\n")
    b.write_text("x = 1\n")
    c.write_text("x = 2\n")
    assert code_version(a) != code_version(c)
    assert code_version(a) == code_version(a)
    assert code_version(a, c) != code_version(c, a) or code_version(a, c) != code_version(a)
    assert len(code_version()) == 16 and code_version() != code_version(a)
    with pytest.raises(TheoryError, match="paths"):
        code_version(tmp_path / "missing.py")


def test_frame_and_consolidate(tmp_path):
    import pandas as pd

    store = Store(tmp_path / "s")
    keys = [_commit(store, {"i": i}, [{"i": i, "x": i / 3, "ok": i % 2 == 0}])[0]
            for i in range(5)]
    _commit(store, {"i": "curve"}, [{"i": 10, "x": 0.5, "extra": "e"},
                                    {"i": 11, "x": 0.25, "extra": "f"}])
    df = store.frame()
    assert len(df) == 7 and set(df["_key"]) >= set(keys)
    assert {"i", "x", "ok", "extra", "_key", "_committed"} == set(df.columns)
    assert sorted(df["i"]) == [0, 1, 2, 3, 4, 10, 11]
    assert len(store.frame(keys[:2])) == 2
    out = store.consolidate()
    back = pd.read_parquet(out)
    assert sorted(back["i"]) == sorted(df["i"]) and len(back) == 7
    meta = json.loads(pq.read_schema(out).metadata[b"theory"])
    assert len(meta["entries"]) == 6
    assert set(back.columns) == set(df.columns)  # the union of the entries' columns


def test_store_json_checks(tmp_path):
    with pytest.raises(StoreError, match="not a theory store"):
        Store(tmp_path / "nothing", create=False)
    Store(tmp_path / "s")
    info = tmp_path / "s" / "store.json"
    d = json.loads(info.read_text())
    info.write_text(json.dumps({**d, "schema": SCHEMA + 1}))
    with pytest.raises(StoreError, match=f"schema version {SCHEMA + 1}.*new store folder"):
        Store(tmp_path / "s")
    info.write_text("{not json")
    with pytest.raises(StoreError, match="store.json is unreadable.*delete"):
        Store(tmp_path / "s")
    (tmp_path / "f").write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        Store(tmp_path / "f")


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path):
    p = tmp_path / "x.bin"
    atomic_write(p, b"one")
    atomic_write(p, b"two")
    assert p.read_bytes() == b"two" and os.listdir(tmp_path) == ["x.bin"]
    with pytest.raises(OSError):
        atomic_write(tmp_path / "no" / "x.bin", b"z")


# ----------------------------------------------------------------------------- corruption

ROWS = [{"alpha": 0.5 + i / 7, "test_error": 1 / (i + 3), "converged": True, "iterations": i,
         "method": "newton", "hist": [0.1, 0.2]} for i in range(3)]


@pytest.fixture
def entry(tmp_path):
    store = Store(tmp_path / "st")
    key, path = _commit(store, {"kind": "curve", "lam": 0.1}, ROWS)
    other, _ = _commit(store, {"kind": "curve", "lam": 0.2}, ROWS[:1])
    return store, key, path


def _truncate(n):
    def f(path):
        data = path.read_bytes()
        path.write_bytes(data[:n if n >= 0 else len(data) + n])
    return f


def _rewrite(path, table, metadata):
    pq.write_table(table.replace_schema_metadata(metadata), str(path))


def _tamper_value(path):
    t = pq.read_table(str(path))
    col = t.column("test_error").to_pylist()
    col[1] = float(np.nextafter(col[1], 1.0))  # one ulp
    t = t.set_column(t.schema.get_field_index("test_error"), "test_error",
                     pa.array(col, pa.float64()))
    _rewrite(path, t, pq.read_schema(str(path)).metadata)


def _tamper_pandas(path):  # pandas round trip: metadata dropped, a value changed
    import pandas as pd

    df = pd.read_parquet(path)
    df.loc[0, "test_error"] = 5000.0
    df.to_parquet(path)


def _meta_edit(**changes):
    def f(path):
        t = pq.read_table(str(path))
        meta = json.loads(t.schema.metadata[b"theory"])
        meta.update(changes)
        _rewrite(path, t, {b"theory": json.dumps(meta).encode()})
    return f


def _drop_column(path):
    t = pq.read_table(str(path))
    _rewrite(path, t.drop_columns(["iterations"]), t.schema.metadata)


def _not_json(path):
    t = pq.read_table(str(path))
    _rewrite(path, t, {b"theory": b"{broken"})


def _retyped(path):  # a column rewritten as timestamps, the metadata kept
    t = pq.read_table(str(path))
    i = t.schema.get_field_index("iterations")
    t = t.set_column(i, "iterations", pa.array([0, 1, 2], pa.timestamp("s")))
    _rewrite(path, t, t.schema.metadata)


CORRUPTIONS = {
    "empty": (_truncate(0), "is empty \\(0 bytes"),
    "header-only": (_truncate(4), "not a readable Parquet file \\(4 bytes"),
    "cut-last-byte": (_truncate(-1), "not a readable Parquet file"),
    "cut-footer": (_truncate(-8), "not a readable Parquet file"),
    "cut-middle": (lambda p: _truncate(len(p.read_bytes()) // 2)(p), "not a readable Parquet"),
    "garbage": (lambda p: p.write_bytes(b"x" * 300), "not a readable Parquet file \\(300 bytes"),
    "tampered": (_tamper_value, "checksum of its rows [0-9a-f]{12}\\.\\.\\. != stored [0-9a-f]{12}\\.\\.\\. "
                                "\\(the file was changed after it was written\\)"),
    "pandas-rewrite": (_tamper_pandas, "no 'theory' record"),
    "bad-metadata": (_not_json, "'theory' metadata is invalid"),
    "metadata-types": (_meta_edit(columns="alpha"), "'theory' metadata is invalid"),
    "retyped-column": (_retyped, "a column has a type the store never writes"),
    "schema": (_meta_edit(schema=0), f"store schema version 0, this theory .* reads schema "
                                     f"{SCHEMA}"),
    "task-edited": (_meta_edit(task={"kind": "curve", "lam": 0.3}),
                    "!= the key of its stored task"),
    "rows-count": (_meta_edit(rows=5), "it has 3 rows, stored 5"),
    "missing-column": (_drop_column, "missing column\\(s\\) 'iterations'"),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corruption_is_detected_everywhere(entry, name):
    store, key, path = entry
    corrupt, words = CORRUPTIONS[name]
    corrupt(path)
    what_to_do = "delete it to recompute that point" if name != "schema" else "delete it"
    for call in (lambda: store.get(key), store.frame, store.consolidate):
        with pytest.raises(StoreError, match=words) as err:
            call()
        msg = str(err.value)
        assert msg.startswith(f"store entry {path} is corrupt: ")
        assert what_to_do in msg and err.value.path == path
        assert "\n" not in msg
    problems = store.verify()
    assert [p for p, _ in problems] == [path] and words and what_to_do in problems[0][1]
    assert key in store  # nothing moved without repair
    # repair: quarantined with a warning, then absent (the caller recomputes it)
    fixer = Store(store.path, repair=True)
    with pytest.warns(StoreWarning, match="moved to .*quarantine"):
        assert fixer.get(key) is None
    assert key not in store and (store.path / "quarantine" / path.name).exists()
    assert store.verify() == [] and len(store.frame()) == 1


def test_message_names_quarantine_and_repair_option(entry):
    store, key, path = entry
    _tamper_value(path)
    with pytest.raises(StoreError) as err:
        store.get(key)
    assert f"rerun with --repair (moves it to {store.path / 'quarantine'}" in str(err.value)
    plain = Store(store.path, repair_hint=None)
    with pytest.raises(StoreError) as err:
        plain.get(key)
    assert "--repair" not in str(err.value)


def test_renamed_entry_is_a_key_mismatch(entry):
    store, key, path = entry
    other = next(k for k in store.keys() if k != key)
    shutil.copy(path, store.entries / f"{other}.parquet")  # a copy under another name
    with pytest.raises(StoreError, match=f"stored key {key[:12]}\\.\\.\\. != its file name "
                                         f"{other[:12]}\\.\\.\\. \\(the file was renamed"):
        store.get(other)
    with pytest.raises(StoreError, match="renamed"):
        store.frame()
    assert [p.name for p, _ in store.verify()] == [f"{other}.parquet"]
    assert store.get(key) == store.get(key)  # the original is sound
    with pytest.warns(StoreWarning):
        assert Store(store.path, repair=True).frame().shape[0] == 3


def test_verify_and_repair_frame_report_every_problem(entry):
    store, key, path = entry
    other = next(k for k in store.keys() if k != key)
    _truncate(10)(path)
    _tamper_value_first(store.entries / f"{other}.parquet")
    assert len(store.verify()) == 2
    fixer = Store(store.path, repair=True)
    with pytest.warns(StoreWarning):
        assert len(fixer.verify()) == 2
    assert fixer.keys() == set() and len(os.listdir(store.path / "quarantine")) == 2


def _tamper_value_first(path):
    t = pq.read_table(str(path))
    col = t.column("alpha").to_pylist()
    col[0] = 5000.0
    t = t.set_column(t.schema.get_field_index("alpha"), "alpha", pa.array(col, pa.float64()))
    _rewrite(path, t, t.schema.metadata)


# ----------------------------------------------------------------------------- temporary files

def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_temporary_files_are_removed_and_never_read(tmp_path):
    from theory.store import _host

    store = Store(tmp_path / "s")
    key, path = _commit(store, {"t": 1}, [{"a": 1.0}])
    dead, alive = _dead_pid(), os.getppid()
    stale = store.entries / f".{path.name}.{dead}.{_host()}.abc123.tmp"
    live = store.entries / f".{path.name}.{alive}.{_host()}.abc124.tmp"
    foreign = store.entries / f".{path.name}.{dead}.otherhost.abc125.tmp"
    for p in (stale, live, foreign):
        p.write_bytes(b"half a parquet file")
    assert store.keys() == {key} and store.verify() == []  # never read
    assert len(store.frame()) == 1
    Store(store.path)  # opening removes the dead process's file of this host only
    assert not stale.exists() and live.exists() and foreign.exists()


# ----------------------------------------------------------------------------- concurrency

def _writer(path: str, worker: int, n: int, start: float) -> tuple[float, float]:
    import time

    time.sleep(max(0.0, start - time.time()))  # all open and write at the same moment
    store = Store(path)
    t0 = time.time()
    shift = worker * n // 4
    order = list(range(shift, n)) + list(range(shift))  # each starts elsewhere, all overlap
    if worker % 2:
        order.reverse()
    for i in order:
        task = {"i": i}
        rows = [{"i": i, "x": i / 7, "y": math.sqrt(i + 0.5), "w": "text", "ok": True}]
        store.commit(task_key(task, code=CODE), rows, task=task, code=CODE,
                     meta={"worker": worker})
        store.get(task_key({"i": (i * 7) % n}, code=CODE))  # readers during writes
    return t0, time.time()


def test_concurrent_writers_overlapping_keys(tmp_path):
    import time

    n, workers = 100, 4
    path = str(tmp_path / "shared")  # the store is created by the racing workers themselves
    ctx = mp.get_context("spawn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with ctx.Pool(workers) as pool:
            start = time.time() + 2.0
            spans = pool.starmap(_writer, [(path, w, n, start) for w in range(workers)])
    assert max(a for a, _ in spans) < min(b for _, b in spans)  # all were writing at once
    store = Store(path, create=False)
    assert store.verify() == []
    assert len(store.keys()) == n
    df = store.frame().sort_values("i")
    assert list(df["i"]) == list(range(n))
    assert [_bits(x) for x in df["y"]] == [_bits(math.sqrt(i + 0.5)) for i in range(n)]
    assert not [f for f in os.listdir(store.entries) if f.endswith(".tmp")]


def test_entry_files_get_the_umask_mode_and_fsync_false_still_commits(tmp_path):
    mask = os.umask(0o022)
    os.umask(mask)
    store = Store(tmp_path / "s", fsync=False)
    key, path = _commit(store, {"t": 1}, [{"a": 1.5}])
    assert store.get(key) == [{"a": 1.5}]
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's 0600
        assert (store.path / "store.json").stat().st_mode & 0o777 == 0o666 & ~mask


def test_consolidate_keeps_conflicting_columns_as_strings(tmp_path):
    import pandas as pd

    store = Store(tmp_path)
    _commit(store, {"t": 1}, [{"x": 1.5, "note": "a"}])
    _commit(store, {"t": 2}, [{"x": 2, "note": 3}])  # int x (becomes float), int note
    back = pd.read_parquet(store.consolidate()).sort_values("x")
    assert list(back["x"]) == [1.5, 2.0]
    assert sorted(back["note"]) == ["3", "a"]


_KILLED_WRITER = """
import sys
from theory.store import Store, task_key
store = Store(sys.argv[1])
rows = [{"i": j, "x": j / 3, "s": "y" * 200} for j in range(200)]
i = 0
while True:
    task = {"i": i % 50}
    store.commit(task_key(task, code="k"), rows, task=task, code="k")
    if i == 0:
        print("ready", flush=True)  # one entry committed (imports done): kill from now on
    i += 1
"""


@pytest.mark.parametrize("trial", range(3))
def test_sigkill_mid_commit_leaves_whole_entries(tmp_path, trial):
    """A writer killed at a random instant: every entry left is whole, the stale temporary
    file (if the kill hit a commit) is removed by the next open."""
    import random
    import signal
    import time

    env = {**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).resolve().parent.parent)}
    p = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(tmp_path / "s")], env=env,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    time.sleep(random.Random(trial).uniform(0.2, 0.8))
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    store = Store(tmp_path / "s")
    assert store.keys() and store.verify() == []
    assert not [f for f in os.listdir(store.entries) if f.endswith(".tmp")]
    assert all(len(store.get(k)) == 200 for k in store.keys())


def test_an_entry_without_rows(tmp_path):
    store = Store(tmp_path)
    key, _ = _commit(store, {"t": "nothing"}, [])
    assert store.get(key) == [] and key in store and store.verify() == []
    assert len(store.frame()) == 0
