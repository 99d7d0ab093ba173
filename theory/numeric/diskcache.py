"""On-disk cache of compiled systems: the generated NumPy source of every lambdified piece.

:func:`theory.numeric.system.compile_system` lambdifies (with common-subexpression
elimination) every step, update, observable and integrand of a saddle-point system; in a fresh
process that is most of the time of a first solve. This module keeps the *generated source
text* of those functions on disk, one JSON file per system, so that the next process executes
the source instead of running ``stabilize`` + CSE + the printer again.

* **Key of a file**: SHA-256 of the system's SymPy expressions (``srepr`` of the state,
  parameters, steps, updates, observables, constraints and features, with ``Dummy`` indices
  renumbered in order of appearance), the package version, the NumPy, SciPy, SymPy and Python
  versions, and the text of the modules that generate the code (:mod:`theory.numeric.bridge`,
  :mod:`theory.symbolic.atoms`, this module): a change of any of them is a different file.
* Functions compiled outside a system (named numeric functions of a model, Hermite
  integrands, ...) go to one process-wide file ``functions-<key>.json``, read once and merged
  back (entries other processes added meanwhile are kept) when the process exits.
* **Key of an entry** (one function): SHA-256 of the normalised ``srepr`` of its expression and
  arguments.
* **Location**: ``$THEORY_CACHE_DIR`` if set (``off`` or ``0`` disables the cache), else the
  user cache directory of the platform (``platformdirs.user_cache_dir("theory-engine")``,
  e.g. ``~/.cache/theory-engine`` on Linux), subfolder ``compiled/``.
* **Writes** are atomic: a uniquely named temporary file in the same folder, then
  ``os.replace``; concurrent processes never see a half-written file.
* **Size**: at most :data:`MAX_FILES` files are kept; the least recently used are removed.
* **A corrupt or unreadable file** is ignored with a :class:`CacheWarning` and rebuilt.
* Only source text is stored, never pickles: the functions it names are resolved again by
  module and name (NumPy, SciPy, :mod:`theory.symbolic.atoms`) or from the expression being
  compiled (named numeric functions); a source whose globals cannot be resolved that way is not
  cached.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import pathlib
import re
import sys
import tempfile
import warnings

import sympy as sp

__all__ = ["CacheWarning", "Session", "cache_dir", "open_session", "open_global", "FORMAT"]

#: bump when the layout of a cache file changes
FORMAT = 1
_DUMMY = re.compile(r"dummy_index=(\d+)")


class CacheWarning(UserWarning):
    """A cache file could not be read (it is rebuilt) or written (the solve goes on)."""


def cache_dir() -> pathlib.Path | None:
    """Folder of the compiled-system cache, or None when disabled (``THEORY_CACHE_DIR=off``).

    Returns
    -------
    pathlib.Path or None
        ``$THEORY_CACHE_DIR/compiled`` or ``<user cache dir>/theory-engine/compiled``.
    """
    env = os.environ.get("THEORY_CACHE_DIR")
    if env is not None:
        if env.strip().lower() in ("", "0", "off", "none", "false"):
            return None
        return pathlib.Path(env).expanduser() / "compiled"
    try:
        import platformdirs

        base = pathlib.Path(platformdirs.user_cache_dir("theory-engine"))
    except ImportError:  # pragma: no cover - platformdirs is a dependency
        base = pathlib.Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() \
            / "theory-engine"
    return base / "compiled"


def normalized_srepr(obj) -> str:
    """``srepr`` with Dummy indices renumbered 0, 1, ... in order of first appearance."""
    text = sp.srepr(obj)
    seen: dict = {}

    def sub(m):
        return f"dummy_index={seen.setdefault(m.group(1), len(seen))}"

    return _DUMMY.sub(sub, text)


_ENV_KEY: str | None = None


def _environment_key() -> str:
    """Versions and generator sources that the generated code depends on (computed once)."""
    global _ENV_KEY
    if _ENV_KEY is None:
        import numpy
        import scipy

        from .. import __version__

        h = hashlib.sha256()
        h.update(f"{FORMAT}|{__version__}|{numpy.__version__}|{scipy.__version__}|"
                 f"{sp.__version__}|{sys.version_info[:2]}".encode())
        here = pathlib.Path(__file__).resolve().parent
        for path in (here / "bridge.py", here.parent / "symbolic" / "atoms.py",
                     pathlib.Path(__file__).resolve()):
            try:
                h.update(path.read_bytes())
            except OSError:  # pragma: no cover - installed without sources
                h.update(str(path).encode())
        _ENV_KEY = h.hexdigest()
    return _ENV_KEY


def system_key(system) -> str:
    """SHA-256 (hex) of a system's expressions and the environment (module docstring)."""
    parts = (system.name, tuple(system.state), tuple(system.parameters or ()), tuple(system.steps),
             tuple(system.updates.items()), tuple(system.observables.items()),
             tuple((c.expr, c.what, c.strict) for c in system.constraints),
             tuple(sorted((sp.srepr(k), tuple(v)) for k, v in
                          (getattr(system, "features", None) or {}).items())))
    h = hashlib.sha256(_environment_key().encode())
    h.update(normalized_srepr(parts).encode())
    return h.hexdigest()


class Session:
    """The entries of one system's cache file, read once and written back if new ones came.

    Parameters
    ----------
    path : pathlib.Path
        The JSON file.
    key : str
        The system key (stored in the file and checked on reading).
    merge : bool, optional
        On saving, keep the entries other processes wrote to the file meanwhile (the
        process-wide file of :func:`open_global`). Default False.
    """

    def __init__(self, path: pathlib.Path, key: str, merge: bool = False):
        self.path, self.key, self.merge = path, key, merge
        self.entries: dict = {}
        self.dirty = False
        self.hits = 0
        self.loaded = False
        self._read()

    def _read(self) -> None:
        if not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not (isinstance(data, dict) and data.get("format") == FORMAT
                    and data.get("key") == self.key and isinstance(data.get("entries"), dict)):
                raise ValueError("not a cache file of this format and key")
            for k, rec in data["entries"].items():
                if not (isinstance(rec, dict) and isinstance(rec.get("source"), str)
                        and isinstance(rec.get("globals"), dict)):
                    raise ValueError(f"malformed entry {k!r}")
            self.entries = data["entries"]
            self.loaded = True
            try:  # mark as used: pruning removes the least recently used files
                os.utime(self.path)
            except OSError:
                pass
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            warnings.warn(f"compiled-system cache file {self.path} is unreadable ({exc}); "
                          "it is ignored and rebuilt", CacheWarning, stacklevel=4)
            self.entries, self.dirty = {}, True

    @staticmethod
    def entry_key(expr, args) -> str:
        """Key of one compiled function: its expression and arguments (Dummies normalised).

        Parameters
        ----------
        expr : sympy.Basic
            The expression compiled.
        args : sequence of sympy.Symbol
            Its arguments, in order.

        Returns
        -------
        str
            32 hex digits of a SHA-256.
        """
        return hashlib.sha256(normalized_srepr((expr, tuple(args))).encode()).hexdigest()[:32]

    def get(self, key: str):
        """The stored record of an entry key, or None.

        Parameters
        ----------
        key : str
            From :meth:`entry_key`.

        Returns
        -------
        dict or None
            ``{"source", "globals", "const", "nargs"}`` (see :mod:`theory.numeric.bridge`).
        """
        return self.entries.get(key)

    def put(self, key: str, record: dict) -> None:
        """Add a record (kept in memory until :meth:`save`; an existing key is not replaced).

        Parameters
        ----------
        key : str
            From :meth:`entry_key`.
        record : dict
            The generated source and how to rebuild its globals.
        """
        if key not in self.entries:
            self.entries[key] = record
            self.dirty = True

    def save(self) -> None:
        """Write the file atomically (unique temporary name + ``os.replace``) if it changed."""
        if not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            entries = self.entries
            if self.merge and self.path.exists():  # keep what other processes added meanwhile
                try:
                    data = json.loads(self.path.read_text(encoding="utf-8"))
                    if data.get("format") == FORMAT and data.get("key") == self.key:
                        entries = {**data.get("entries", {}), **entries}
                except (OSError, ValueError, AttributeError):
                    pass
            text = json.dumps({"format": FORMAT, "key": self.key, "entries": entries})
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.stem + ".",
                                       suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                os.replace(tmp, self.path)
                _prune(self.path.parent)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
            self.dirty = False
        except OSError as exc:
            warnings.warn(f"compiled-system cache not written to {self.path} ({exc})",
                          CacheWarning, stacklevel=3)


#: at most this many cache files are kept (the least recently used go first): a new
#: package version or generator source starts new files, the old ones are never read again
MAX_FILES = 200


def _prune(folder: pathlib.Path) -> None:
    try:
        files = sorted(folder.glob("*.json"), key=lambda f: f.stat().st_mtime)
        for f in files[: max(0, len(files) - MAX_FILES)]:
            f.unlink(missing_ok=True)
    except OSError:  # another process pruned first, or a read-only folder
        pass


def open_global() -> Session | None:
    """The process-wide session for functions compiled outside a system.

    Returns
    -------
    Session or None
        Merged and written back when the process exits; None when the cache is disabled.
    """
    folder = cache_dir()
    if folder is None:
        return None
    key = _environment_key()
    session = Session(folder / f"functions-{key[:24]}.json", key, merge=True)
    atexit.register(session.save)
    return session


def open_session(system) -> Session | None:
    """The cache session of a system.

    Parameters
    ----------
    system : theory.symbolic.system.SaddlePointSystem
        The system about to be compiled.

    Returns
    -------
    Session or None
        Its file, read if present; None when the cache is disabled.
    """
    folder = cache_dir()
    if folder is None:
        return None
    key = system_key(system)
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", str(system.name))[:40] or "system"
    return Session(folder / f"{stem}-{key[:24]}.json", key)
