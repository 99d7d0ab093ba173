"""The results store: one Parquet file per finished task, committed atomically, validated on read.

Layout of a store folder ``STORE``::

    STORE/store.json               {"format": "theory.store", "schema": 1, "created", ...}
    STORE/entries/<key>.parquet    one committed task (its rows), key = task_key(task)
    STORE/results.parquet          every entry in one table (optional, ``consolidate()``)
    STORE/quarantine/              corrupt entries moved aside by ``repair=True``

Why Parquet (and not an xarray Dataset in NetCDF or Zarr): a store is written point by point,
by several processes at once (local workers, Dask workers, three ``theory simulate --cache``
runs on one folder), and must survive a kill at any instant. With one Parquet file per entry
every commit is a write to a private temporary file followed by one atomic ``os.replace``:
no writer ever rewrites a shared file, so concurrent writers need no lock and a kill leaves
either the whole entry or nothing. NetCDF (HDF5) files cannot be appended safely by several
processes without a writer lock, and a Zarr array wants a dense grid chosen in advance (a
failed point, a ragged curve or a rerun with more seeds do not fit one). Parquet is typed and
columnar and read directly by pandas, polars, duckdb and R ``arrow``: ``Store.frame()`` (all
validated rows) or ``pandas.read_parquet("STORE/results.parquet")`` after ``consolidate()``
(one file, column types unified over the entries; ``pandas.read_parquet("STORE/entries")``
reads the folder directly only when every entry has the same columns and types, e.g. the
seeds of one simulator: it takes the schema of the first file). An xarray Dataset is one line
away (``store.frame().set_index(["alpha", "lam"]).to_xarray()``).

Integrity. Each entry carries, in the Parquet key-value metadata ``b"theory"``, a JSON object
``{schema, version, code, key, task, columns, rows, checksum, meta, committed, writer}``.
``checksum`` is the sha256 of the *canonical rows*: every value tagged with its type, floats
by their 64 bits (``struct.pack(">d")``, so NaN, -0.0 and inf are exact), ints in decimal,
bools, None, strings and lists of numbers; the canonical form is the same before writing and
after the Parquet round trip (tested with hypothesis). Reading an entry checks, in order: the
file is a readable Parquet file, it has the metadata, its schema version is :data:`SCHEMA`,
its key is its file name, its key is the key of its task (:func:`task_key` of the stored
task, code and version), its columns are the stored columns, and the checksum of its rows
is the stored checksum. Any failure raises :class:`StoreError` naming the file, what is
wrong (with the numbers) and what to do; ``Store(..., repair=True)`` moves the file to
``STORE/quarantine/`` with a warning instead (the task is then recomputed by the caller).

Temporary files are named ``.<name>.<pid>.<host>.<random>.tmp`` (never read: only
``*.parquet`` names without a leading dot are entries); those left behind by a dead process
of this host are removed when a store is opened.

Column types: a column holds one type over the rows of an entry; ints and floats together
become floats (exactly representable ints only), lists of numbers become lists of float64
(or of int64 when every element is an int), missing keys in a row become None. The rows
:meth:`Store.get` returns are these normalised rows, and the checksum is theirs.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import io
import json
import os
import pathlib
import re
import socket
import struct
import tempfile
import warnings
from collections.abc import Iterable

from .errors import TheoryError

__all__ = ["SCHEMA", "Store", "StoreError", "StoreWarning", "atomic_write", "canonical_rows",
           "code_version", "task_key"]

#: version of the entry layout (metadata fields, canonical rows); part of every key
SCHEMA: int = 1

_META = b"theory"
_RESERVED = ("_key", "_committed")
_INT64 = (-(2 ** 63), 2 ** 63 - 1)
_PKG = pathlib.Path(__file__).resolve().parent


class StoreError(TheoryError):
    """A store or one of its entries is unreadable, corrupt or of another schema.

    The message names the file, what is wrong (with the numbers) and what to do; the command
    line prints it as one line (exit code 2).

    Parameters
    ----------
    message : str
        The whole message.
    path : path-like
        The file at fault.

    Attributes
    ----------
    path : pathlib.Path
        The file at fault.
    """

    def __init__(self, message: str, path):
        self.path = pathlib.Path(path)
        super().__init__(message)


class StoreWarning(UserWarning):
    """A corrupt entry was moved to the quarantine folder (``repair=True``)."""


# ----------------------------------------------------------------------------- versions, keys

def _version() -> str:
    from . import __version__

    return __version__


@functools.cache
def _code_version(paths: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    h.update(f"theory {_version()} schema {SCHEMA}\n".encode())
    for p in paths:
        path = pathlib.Path(p)
        try:
            name = path.relative_to(_PKG.parent).as_posix()
        except ValueError:
            name = path.name
        h.update(f"{name}\n".encode())
        h.update(path.read_bytes())
        h.update(b"\n")
    return h.hexdigest()[:16]


def code_version(*paths) -> str:
    """A short hash of the package version, :data:`SCHEMA` and the source of some files.

    Parameters
    ----------
    *paths : path-like
        Source files whose text enters the hash (default: every ``theory/**/*.py``).

    Returns
    -------
    str
        16 hex characters of sha256; computed once per process per tuple of paths (a file
        edited while the process runs is not seen until the next process).

    Raises
    ------
    InputError
        If a path is not a readable file.

    Examples
    --------
    >>> len(code_version())
    16
    """
    from .errors import InputError

    if not paths:
        files = tuple(str(p) for p in sorted(_PKG.rglob("*.py")))
    else:
        files = tuple(str(pathlib.Path(p).resolve()) for p in paths)
    for f in files:
        if not os.path.isfile(f):
            raise InputError("paths", f, "source files that exist (for the code version)")
    return _code_version(files)


def _canonical_json(obj) -> str:
    def default(o):
        if hasattr(o, "item") and callable(o.item):  # numpy scalars
            return o.item()
        if hasattr(o, "tolist") and callable(o.tolist):  # numpy arrays
            return o.tolist()
        if isinstance(o, (set, frozenset)):
            return sorted(o)
        raise TypeError(f"a task holds {type(o).__name__} {o!r}: give JSON values (numbers, "
                        "strings, bools, None, lists, dicts)")

    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=default)


def _task_key(task, code: str, version: str, schema: int) -> str:
    task = json.loads(_canonical_json(task))  # as stored: tuples -> lists, int keys -> str
    blob = _canonical_json({"task": task, "schema": schema, "version": version, "code": code})
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def task_key(task: dict, *, code: str | None = None) -> str:
    """The key of a task: a hash of the task, :data:`SCHEMA`, the package and code versions.

    Parameters
    ----------
    task : dict
        JSON-able description of the task (kind, model, parameters, options, seed...).
    code : str or None, optional
        Code version (default :func:`code_version` of the whole package).

    Returns
    -------
    str
        32 hex characters (sha256 of the canonical JSON of ``{"task", "schema", "version",
        "code"}``, keys sorted).

    Raises
    ------
    TypeError
        If the task holds a value that is not JSON-able.

    Examples
    --------
    >>> task_key({"kind": "solve", "alpha": 1.0}, code="0" * 16)  # doctest: +ELLIPSIS
    '...'
    """
    return _task_key(task, code_version() if code is None else code, _version(), SCHEMA)


# ----------------------------------------------------------------------------- atomic writes

def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"


_TMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.(?P<host>[A-Za-z0-9-]+)\.[^.]+\.tmp$")


def _fsync_dir(folder: pathlib.Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: permissions of new files: what ``open()`` would give (mkstemp alone makes them 0600)
_MODE = 0o666 & ~_umask()


def _write_tmp(path: pathlib.Path, data: bytes, fsync: bool = True) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.{_host()}.", suffix=".tmp",
                               dir=path.parent)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, _MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def atomic_write(path, data: bytes, *, fsync: bool = True) -> None:
    """Write a file so that readers see either the old or the whole new content.

    A temporary file ``.<name>.<pid>.<host>.<random>.tmp`` in the same folder (unique per
    writer) is written, flushed and fsynced, renamed over ``path`` (``os.replace``, atomic on
    POSIX and Windows), and the folder is fsynced so that the rename survives a power cut.

    Parameters
    ----------
    path : path-like
        Destination file (its folder must exist).
    data : bytes
        The content.
    fsync : bool, optional
        fsync the file before the rename and the folder after it (default True). False
        keeps the atomicity against a killed process (the page cache outlives it) but not
        against a power cut or an OS crash.

    Raises
    ------
    OSError
        If the folder is not writable (the temporary file is removed).
    """
    path = pathlib.Path(path)
    tmp = _write_tmp(path, data, fsync)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise
    if fsync:
        _fsync_dir(path.parent)


def _pid_alive(pid: int) -> bool:
    import psutil

    return pid == os.getpid() or psutil.pid_exists(pid)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds")


# ----------------------------------------------------------------------------- rows and types

def _scalar(v):
    """A row value as a plain Python value; its kind letter."""
    if v is None:
        return None, "n"
    if isinstance(v, bool):
        return v, "b"
    if isinstance(v, int):
        return v, "i"
    if isinstance(v, float):
        return float(v), "f"
    if isinstance(v, str):
        return v, "s"
    mod = type(v).__module__
    if mod == "numpy":
        import numpy as np

        if isinstance(v, np.bool_):
            return bool(v), "b"
        if isinstance(v, np.integer):
            return int(v), "i"
        if isinstance(v, np.floating):
            return float(v), "f"
        if isinstance(v, np.str_):
            return str(v), "s"
        if isinstance(v, np.ndarray) and v.ndim == 1:
            return _list(v.tolist()), "l"
    if isinstance(v, (list, tuple)):
        return _list(v), "l"
    raise TypeError(f"{type(v).__name__} {v!r}: a row value must be a bool, int, float, str, "
                    "None or a list of numbers")


def _list(v) -> list:
    out = []
    for x in v:
        x, kind = _scalar(x)
        if kind not in "ifn":
            raise TypeError(f"list element {x!r}: a list in a row holds numbers (or None) only")
        out.append(x)
    return out


def _float_of_int(i: int, col: str) -> float:
    f = float(i)
    if int(f) != i:
        raise TypeError(f"column {col!r} mixes floats with the int {i}, which is not exact "
                        "as a float64: store it as a string")
    return f


def _normalise(rows, *, lenient: bool = False):
    """(normalised rows, columns, arrow types) of a list of flat dicts.

    ``lenient``: a column mixing incompatible kinds becomes strings (``repr``) instead of a
    TypeError (used by :meth:`Store.consolidate` across entries).
    """
    import pyarrow as pa

    if isinstance(rows, dict):
        raise TypeError("rows must be a list of dicts (one dict per row), not one dict")
    rows = list(rows)
    columns: dict[str, None] = {}
    conv = []
    for row in rows:
        if not isinstance(row, dict):
            raise TypeError(f"a row is a {type(row).__name__}: rows must be flat dicts")
        r = {}
        for k, v in row.items():
            if not isinstance(k, str):
                raise TypeError(f"column name {k!r}: column names must be strings")
            columns.setdefault(k, None)
            r[k] = _scalar(v)
        conv.append(r)
    types = {}
    for col in columns:
        kinds = {r[col][1] for r in conv if col in r} - {"n"}
        if not kinds:
            types[col] = pa.null()
        elif kinds == {"b"}:
            types[col] = pa.bool_()
        elif kinds == {"i"}:
            vals = [r[col][0] for r in conv if col in r and r[col][1] == "i"]
            if not all(_INT64[0] <= x <= _INT64[1] for x in vals):
                if not lenient:
                    raise TypeError(f"column {col!r} holds an int outside int64: store it as "
                                    "a string")
                types[col] = pa.string()
            else:
                types[col] = pa.int64()
        elif kinds <= {"i", "f"}:
            types[col] = pa.float64()
        elif kinds == {"s"}:
            types[col] = pa.string()
        elif kinds == {"l"}:
            elems = {type(x) for r in conv if col in r and r[col][1] == "l" for x in r[col][0]}
            elems.discard(type(None))
            types[col] = pa.list_(pa.int64() if elems == {int} else pa.float64())
        elif lenient:
            types[col] = pa.string()
        else:
            raise TypeError(f"column {col!r} mixes {' and '.join(sorted(_KIND[k] for k in kinds))}"
                            " values: a column holds one type")
    out = []
    for r in conv:
        row = {}
        for col, t in types.items():
            v, kind = r.get(col, (None, "n"))
            if v is not None:
                if t == pa.string() and kind != "s":
                    v = repr(v)
                elif t == pa.float64() and kind == "i":
                    v = _float_of_int(v, col)
                elif pa.types.is_list(t) and t.value_type == pa.float64():
                    v = [_float_of_int(x, col) if isinstance(x, int) else x for x in v]
            row[col] = v
        out.append(row)
    return out, list(types), types


_KIND = {"b": "bool", "i": "int", "f": "float", "s": "str", "l": "list"}


def _enc(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return ["b", int(v)]
    if isinstance(v, int):
        return ["i", str(v)]
    if isinstance(v, float):
        return ["f", struct.pack(">d", v).hex()]
    if isinstance(v, str):
        return ["s", v]
    if isinstance(v, list):
        return ["l", [_enc(x) for x in v]]
    raise TypeError(f"cannot encode {type(v).__name__} {v!r}")


def canonical_rows(rows: list[dict]) -> bytes:
    """The canonical bytes of normalised rows (the checksum's input).

    Every value is tagged with its type; floats are their 64 bits in hex (NaN payloads, -0.0
    and inf exact); columns sorted by name.

    Parameters
    ----------
    rows : list of dict
        Normalised rows (plain Python values).

    Returns
    -------
    bytes
        UTF-8 JSON.
    """
    enc = [[[c, _enc(r[c])] for c in sorted(r)] for r in rows]
    return json.dumps(enc, separators=(",", ":"), ensure_ascii=False).encode()


def _checksum(rows: list[dict]) -> str:
    return hashlib.sha256(canonical_rows(rows)).hexdigest()


def _table(rows: list[dict], columns: list[str], types: dict, meta: dict):
    import pyarrow as pa

    arrays = [pa.array([r[c] for r in rows], type=types[c]) for c in columns]
    schema = pa.schema([pa.field(c, types[c]) for c in columns],
                       metadata={_META: json.dumps(meta, sort_keys=True, default=str).encode()})
    return pa.Table.from_arrays(arrays, schema=schema)


def _parquet_bytes(table, *, small: bool = False) -> bytes:
    """Parquet bytes of a table; ``small``: an entry of a few rows (no compression, no
    column statistics: a third of the write time, and the file is no larger)."""
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    if small:
        pq.write_table(table, buf, compression="none", write_statistics=False)
    else:
        pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def _short(h: str) -> str:
    return f"{h[:12]}..." if len(h) > 12 else h


# ----------------------------------------------------------------------------- the store

class _Corrupt(Exception):
    """Internal: what is wrong with one entry (turned into StoreError or quarantine)."""

    def __init__(self, problem: str, remedy: str | None = None):
        self.problem, self.remedy = problem, remedy
        super().__init__(problem)


class Store:
    """A folder of committed results: one Parquet file per task, read and checked per entry.

    Parameters
    ----------
    path : path-like
        The store folder (created with ``store.json`` and ``entries/`` when absent).
    create : bool, optional
        Create the store if it does not exist (default True); False raises
        :class:`StoreError` for a folder that is not a store.
    repair : bool, optional
        Move a corrupt entry to ``STORE/quarantine/`` (with a :class:`StoreWarning`) and
        treat it as absent, instead of raising :class:`StoreError` (default False).
    repair_hint : str or None, optional
        How the user asks for ``repair=True`` in the message of a corrupt entry (default
        ``"rerun with --repair"``); None: the message only says to delete the file.
    fsync : bool, optional
        fsync each entry and its folder (default True; see :func:`atomic_write`). False
        saves the fsync time (milliseconds per commit on a virtual disk, more on network
        filesystems): a killed process still leaves whole entries, and an entry cut by a
        power cut is detected on read like any other corrupt entry.

    Attributes
    ----------
    path : pathlib.Path
        The store folder.

    Raises
    ------
    StoreError
        If ``path`` is a file, its ``store.json`` is unreadable or of another schema, or
        (``create=False``) it is not a store.

    Examples
    --------
    >>> import tempfile
    >>> s = Store(tempfile.mkdtemp())
    >>> k = task_key({"x": 1}, code="test")
    >>> _ = s.commit(k, [{"x": 1, "y": 0.5}], task={"x": 1}, code="test")
    >>> s.get(k)
    [{'x': 1, 'y': 0.5}]
    """

    def __init__(self, path, *, create: bool = True, repair: bool = False,
                 repair_hint: str | None = "rerun with --repair", fsync: bool = True):
        self.path = pathlib.Path(path)
        self.fsync = bool(fsync)
        self.repair = bool(repair)
        self.repair_hint = repair_hint
        self.entries = self.path / "entries"
        self.quarantine = self.path / "quarantine"
        info = self.path / "store.json"
        if self.path.exists() and not self.path.is_dir():
            raise StoreError(f"store {self.path} is a file, not a folder: give a folder "
                             "(a new one is created)", self.path)
        if not info.exists():
            if not create:
                raise StoreError(f"{self.path} is not a theory store (no store.json): give "
                                 "the folder of a store, or create it", info)
            self.path.mkdir(parents=True, exist_ok=True)
            self._create(info)
        self.info = self._read_info(info)
        self.entries.mkdir(exist_ok=True)
        self.remove_stale()

    # -- store.json
    def _create(self, info: pathlib.Path) -> None:
        data = json.dumps({"format": "theory.store", "schema": SCHEMA, "created": _now(),
                           "theory_version": _version()}, indent=1).encode()
        tmp = _write_tmp(info, data)
        try:
            os.link(tmp, info)  # first creator wins; a concurrent one keeps its store.json
        except FileExistsError:
            pass
        except OSError:  # pragma: no cover - filesystems without hard links
            if not info.exists():
                os.replace(tmp, info)
        finally:
            _unlink(tmp)
        _fsync_dir(self.path)

    def _read_info(self, info: pathlib.Path) -> dict:
        try:
            d = json.loads(info.read_text())
            schema = d["schema"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"store file {info} is unreadable ({type(exc).__name__}: "
                             f"{exc}): delete {info} (it is recreated; every entry is "
                             "checked on its own when read)", info) from None
        if schema != SCHEMA:
            raise StoreError(f"store {self.path} has schema version {schema}; this theory "
                             f"({_version()}) reads schema {SCHEMA}: use a new store folder, "
                             f"or the theory version that wrote it "
                             f"({d.get('theory_version', '?')})", info)
        return d

    def remove_stale(self) -> list[pathlib.Path]:
        """Remove temporary files left by dead processes of this host.

        Returns
        -------
        list of pathlib.Path
            The files removed.
        """
        gone = []
        host = _host()
        for folder in (self.path, self.entries):
            try:
                names = os.listdir(folder)
            except OSError:
                continue
            for name in names:
                m = _TMP.match(name)
                if m and m["host"] == host and not _pid_alive(int(m["pid"])):
                    _unlink(folder / name)
                    gone.append(folder / name)
        return gone

    # -- entries
    def _file(self, key: str) -> pathlib.Path:
        if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", key):
            raise TypeError(f"store key {key!r}: keys are strings of letters, digits, _ and -")
        return self.entries / f"{key}.parquet"

    def __contains__(self, key) -> bool:
        """Whether an entry of this key exists (cheap: not validated)."""
        return self._file(key).exists()

    def keys(self) -> set[str]:
        """Keys of every committed entry (temporary files excluded).

        Returns
        -------
        set of str
        """
        try:
            names = os.listdir(self.entries)
        except FileNotFoundError:
            return set()
        return {n[:-8] for n in names if n.endswith(".parquet") and not n.startswith(".")}

    def __len__(self) -> int:
        return len(self.keys())

    def commit(self, key: str, rows: list[dict], *, task: dict, meta: dict | None = None,
               code: str | None = None) -> pathlib.Path:
        """Write one entry atomically (replacing an entry of the same key).

        Parameters
        ----------
        key : str
            ``task_key(task, code=code)``.
        rows : list of dict
            Flat dicts; values bool, int, float, str, None or lists of numbers (numpy
            scalars and 1-d arrays accepted). See the module notes on column types.
        task : dict
            The task (JSON-able), stored in the metadata.
        meta : dict or None, optional
            Anything else to keep (JSON-able; e.g. worker, seconds).
        code : str or None, optional
            Code version the key was made with (default :func:`code_version`).

        Returns
        -------
        pathlib.Path
            The entry file.

        Raises
        ------
        ValueError
            If ``key`` is not ``task_key(task, code=code)``.
        TypeError
            If a row value or column is not storable.
        """
        code = code_version() if code is None else code
        path = self._file(key)
        expect = _task_key(task, code, _version(), SCHEMA)
        if key != expect:
            raise ValueError(f"store key {key} is not task_key(task, code={code!r}) = {expect}: "
                             "make the key with task_key(task, code=...) and pass the same "
                             "code= to commit")
        norm, columns, types = _normalise(rows)
        if norm and not columns:
            raise TypeError(f"{len(norm)} rows without any column: give each row a value")
        for c in _RESERVED:
            if c in types:
                raise TypeError(f"column {c!r} is reserved (frame() adds it)")
        info = {"schema": SCHEMA, "version": _version(), "code": code, "key": key,
                "task": json.loads(_canonical_json(task)), "columns": columns,
                "rows": len(norm), "checksum": _checksum(norm),
                "meta": json.loads(_canonical_json(meta or {})),
                "committed": _now(), "writer": f"{_host()}:{os.getpid()}"}
        data = _parquet_bytes(_table(norm, columns, types, info), small=len(norm) <= 64)
        self.entries.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data, fsync=self.fsync)
        return path

    def _read(self, path: pathlib.Path, key: str) -> tuple[list[dict], dict]:
        """Validated (rows, metadata) of one entry file; _Corrupt if anything is wrong."""
        import pyarrow.parquet as pq

        with open(path, "rb") as fh:  # FileNotFoundError: absent (the caller decides)
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                raise _Corrupt("the file is empty (0 bytes: the write was cut short)")
            try:
                pf = pq.ParquetFile(fh)
                schema = pf.schema_arrow
            except Exception as exc:  # pyarrow raises ArrowInvalid, OSError...
                raise _Corrupt(f"not a readable Parquet file ({size} bytes; pyarrow: "
                               f"{_one(exc)}): it was cut short or overwritten") from None
            raw = (schema.metadata or {}).get(_META)
            if raw is None:
                raise _Corrupt("its Parquet metadata has no 'theory' record (it was rewritten "
                               "by another tool, or not written by theory.store)")
            try:
                info = json.loads(raw)
                fields = {f: info[f] for f in ("schema", "version", "code", "key", "task",
                                                "columns", "rows", "checksum")}
                if not (isinstance(fields["columns"], list)
                        and all(isinstance(c, str) for c in fields["columns"])
                        and isinstance(fields["rows"], int)
                        and isinstance(fields["checksum"], str)
                        and isinstance(fields["key"], str) and isinstance(fields["code"], str)):
                    raise TypeError("a field of the wrong type (columns, rows, checksum, key "
                                    "or code)")
            except (ValueError, KeyError, TypeError) as exc:
                raise _Corrupt(f"its 'theory' metadata is invalid ({type(exc).__name__}: "
                               f"{_one(exc)})") from None
            if fields["schema"] != SCHEMA:
                raise _Corrupt(f"it has store schema version {fields['schema']!r}, this theory "
                               f"({_version()}) reads schema {SCHEMA}",
                               f"delete it to recompute that point, or read it with the theory "
                               f"version that wrote it ({fields['version']})")
            if fields["key"] != key:
                raise _Corrupt(f"its stored key {_short(str(fields['key']))} != its file name "
                               f"{_short(key)} (the file was renamed or copied)")
            try:
                expect = _task_key(fields["task"], fields["code"], fields["version"],
                                   fields["schema"])
            except TypeError as exc:
                raise _Corrupt(f"its stored task is invalid ({_one(exc)})") from None
            if expect != key:
                raise _Corrupt(f"its key {_short(key)} != the key of its stored task "
                               f"{_short(expect)} (the metadata was changed)")
            have = schema.names
            missing = [c for c in fields["columns"] if c not in have]
            extra = [c for c in have if c not in fields["columns"]]
            if missing or extra:
                what = []
                if missing:
                    what.append(f"missing column(s) {', '.join(map(repr, missing))}")
                if extra:
                    what.append(f"unexpected column(s) {', '.join(map(repr, extra))}")
                raise _Corrupt(f"{' and '.join(what)} ({len(have)} of {len(fields['columns'])} "
                               "stored columns present: the file was rewritten)")
            try:
                table = pf.read(use_threads=False)
            except Exception as exc:
                raise _Corrupt(f"its data cannot be read ({size} bytes; pyarrow: {_one(exc)}): "
                               "it was cut short or overwritten") from None
        rows = table.to_pylist()
        if len(rows) != fields["rows"]:
            raise _Corrupt(f"it has {len(rows)} rows, stored {fields['rows']} (the file was "
                           "rewritten)")
        try:
            got = _checksum(rows)
        except TypeError as exc:  # a column type the store never writes (timestamp, struct...)
            raise _Corrupt(f"a column has a type the store never writes ({_one(exc)}): the "
                           "file was rewritten") from None
        if got != fields["checksum"]:
            raise _Corrupt(f"checksum of its rows {_short(got)} != stored "
                           f"{_short(str(fields['checksum']))} (the file was changed after it "
                           "was written)")
        return rows, info

    def _remedy(self) -> str:
        msg = "delete it to recompute that point"
        if self.repair_hint:
            msg += f", or {self.repair_hint} (moves it to {self.quarantine}{os.sep})"
        return msg

    def _message(self, path: pathlib.Path, bad: _Corrupt) -> str:
        return f"store entry {path} is corrupt: {bad.problem}; {bad.remedy or self._remedy()}"

    def _quarantine(self, path: pathlib.Path, bad: _Corrupt) -> pathlib.Path | None:
        self.quarantine.mkdir(exist_ok=True)
        dest = self.quarantine / path.name
        if dest.exists():
            dest = self.quarantine / f"{path.name}.{_dt.datetime.now().strftime('%Y%m%dT%H%M%S%f')}"
        try:
            os.replace(path, dest)
        except FileNotFoundError:  # another process moved or replaced it first
            return None
        warnings.warn(f"store entry {path} is corrupt: {bad.problem}; moved to {dest}",
                      StoreWarning, stacklevel=3)
        return dest

    def _load(self, key: str) -> tuple[list[dict], dict] | None:
        path = self._file(key)
        try:
            return self._read(path, key)
        except FileNotFoundError:
            return None
        except _Corrupt as bad:
            if self.repair:
                self._quarantine(path, bad)
                return None
            raise StoreError(self._message(path, bad), path) from None

    def get(self, key: str) -> list[dict] | None:
        """The validated rows of an entry.

        Parameters
        ----------
        key : str
            The entry's key.

        Returns
        -------
        list of dict or None
            The normalised rows as committed; None if there is no such entry (or, with
            ``repair=True``, it was corrupt and has been quarantined).

        Raises
        ------
        StoreError
            If the entry is corrupt (``repair=False``): the message names the file, what is
            wrong and what to do.
        """
        got = self._load(key)
        return None if got is None else got[0]

    def info_of(self, key: str) -> dict | None:
        """The validated metadata of an entry.

        Parameters
        ----------
        key : str
            The entry's key.

        Returns
        -------
        dict or None
            ``{schema, version, code, key, task, columns, rows, checksum, meta, committed,
            writer}``; None if absent (or quarantined with ``repair=True``).

        Raises
        ------
        StoreError
            If the entry is corrupt (``repair=False``).
        """
        got = self._load(key)
        return None if got is None else got[1]

    def verify(self) -> list[tuple[pathlib.Path, str]]:
        """Check every entry; report every problem, raise nothing.

        With ``repair=True`` each corrupt entry is also quarantined.

        Returns
        -------
        list of (pathlib.Path, str)
            (file, message) of each corrupt entry; empty when the store is sound.
        """
        problems = []
        for key in sorted(self.keys()):
            path = self._file(key)
            try:
                self._read(path, key)
            except FileNotFoundError:
                continue
            except _Corrupt as bad:
                problems.append((path, self._message(path, bad)))
                if self.repair:
                    self._quarantine(path, bad)
        return problems

    def frame(self, keys: Iterable[str] | None = None):
        """All validated rows as one table, with columns ``_key`` and ``_committed``.

        Parameters
        ----------
        keys : iterable of str or None, optional
            Only these entries (absent ones are skipped); default every entry, sorted by key.

        Returns
        -------
        pandas.DataFrame
            One row per stored row; columns the union of the entries' columns.

        Raises
        ------
        StoreError
            At the first corrupt entry (``repair=False``).
        """
        import pandas as pd

        records = []
        columns: dict[str, None] = {}
        for key in (sorted(self.keys()) if keys is None else keys):
            got = self._load(key)
            if got is None:
                continue
            rows, info = got
            for c in info["columns"]:
                columns.setdefault(c, None)
            for r in rows:
                records.append({**r, "_key": key, "_committed": info.get("committed")})
        return pd.DataFrame.from_records(records, columns=[*columns, *_RESERVED])

    def consolidate(self) -> pathlib.Path:
        """Write every validated entry into ``STORE/results.parquet`` (atomically).

        Columns whose type differs between entries are stored as strings. The file's
        ``theory`` metadata lists the entries' keys and checksums.

        Returns
        -------
        pathlib.Path
            ``STORE/results.parquet``.

        Raises
        ------
        StoreError
            At the first corrupt entry (``repair=False``).
        """
        records, sums = [], {}
        for key in sorted(self.keys()):
            got = self._load(key)
            if got is None:
                continue
            rows, info = got
            sums[key] = info["checksum"]
            records += [{**r, "_key": key, "_committed": info.get("committed")} for r in rows]
        norm, columns, types = _normalise(records, lenient=True)
        meta = {"schema": SCHEMA, "version": _version(), "consolidated": _now(),
                "entries": sums, "rows": len(norm), "checksum": _checksum(norm)}
        out = self.path / "results.parquet"
        atomic_write(out, _parquet_bytes(_table(norm, columns, types, meta)), fsync=self.fsync)
        return out

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"


def _one(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200].rstrip(".")

