"""Architecture rules of issue 9, item 6: layers, one implementation of each shared piece.

* ``theory.symbolic`` is the exact layer: importing it (every module of it) imports no module
  of ``theory.numeric`` (checked in a fresh interpreter through ``sys.modules``), and no module
  of ``symbolic/`` names ``numeric`` in an import statement (checked on the source with ``ast``).
* models do not import each other: a module of ``theory/models/`` imports ``base`` of its
  package at most, never a sibling model.
* one kink finder, one Phi: the traversal that locates kinks lives in
  :mod:`theory.symbolic.kinks` only, and no module outside :mod:`theory.symbolic.atoms` builds
  the normal cdf from ``ndtr``/``erfc``/``erf`` itself.
"""

from __future__ import annotations

import ast
import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PKG = ROOT / "theory"


def _imports(path: pathlib.Path) -> list[tuple[int, str]]:
    """(level, dotted module) of every import statement of a file (nested ones included)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            out.append((node.level, mod))
            if not mod:  # from . import a, b
                out += [(node.level, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(0, a.name) for a in node.names]
    return out


def _absolute(path: pathlib.Path, level: int, mod: str) -> str:
    if level == 0:
        return mod
    parts = list(path.relative_to(ROOT).with_suffix("").parts)[:-level]
    return ".".join(parts + ([mod] if mod else []))


def test_symbolic_imports_no_numeric_module():
    code = ("import importlib, json, pkgutil, sys, theory.symbolic as S\n"
            "for m in pkgutil.iter_modules(S.__path__):\n"
            "    importlib.import_module('theory.symbolic.' + m.name)\n"
            "print(json.dumps(sorted(k for k in sys.modules if k.startswith('theory'))))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert "theory.symbolic.atoms" in loaded  # the import did happen
    bad = [m for m in loaded if m == "theory.numeric" or m.startswith("theory.numeric.")]
    assert not bad, f"importing theory.symbolic loaded {bad}"


def test_symbolic_sources_name_no_numeric_import():
    bad = []
    for path in sorted((PKG / "symbolic").glob("*.py")):
        for level, mod in _imports(path):
            full = _absolute(path, level, mod)
            if full == "theory.numeric" or full.startswith("theory.numeric."):
                bad.append(f"{path.name}: {full}")
    assert not bad, bad


def test_models_import_no_sibling_model():
    models = {p.stem for p in (PKG / "models").glob("*.py")} - {"__init__", "base"}
    bad = []
    for path in sorted((PKG / "models").glob("*.py")):
        if path.stem == "__init__":
            continue
        for level, mod in _imports(path):
            full = _absolute(path, level, mod)
            if full.startswith("theory.models."):
                name = full.split(".")[2]
                if name in models and name != path.stem:
                    bad.append(f"{path.name} imports {full}")
    assert not bad, bad


def _sources():
    return sorted(p for p in PKG.rglob("*.py"))


def test_one_kink_finder():
    """The kink traversal (isinstance checks on Abs/sign/Heaviside) lives in symbolic/kinks.py."""
    bad = []
    for path in _sources():
        if path.name == "kinks.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "isinstance"
                    and len(node.args) == 2):
                src = ast.unparse(node.args[1])
                if "Heaviside" in src and "Abs" in src:
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert not bad, bad


def test_one_phi():
    """No module outside symbolic/atoms.py builds the normal cdf from ndtr or (1 + erf)/2."""
    bad = []
    for path in _sources():
        if path.relative_to(PKG).as_posix() == "symbolic/atoms.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and "special" in node.module:
                names = {a.name for a in node.names}
                if names & {"ndtr", "log_ndtr"}:
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {names}")
            if isinstance(node, ast.Attribute) and node.attr in ("ndtr", "log_ndtr"):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                src = ast.unparse(node)
                if src.replace(" ", "").startswith("1+") and "erf(" in src and "/" not in src:
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {src}")
    assert not bad, bad


def test_activation_constants_keyed_by_expression():
    """"relu" and "max(x, 0)" are the same function: same constants, one place."""
    from theory.numeric.activation_constants import activation_constants, activation_key

    assert activation_key("relu")[0] == activation_key("max(x, 0)")[0]
    a, b = activation_constants("relu"), activation_constants("max(x, 0)")
    # closed form (Mei & Montanari 2019, Sec. 2): mu_1 = 1/2, mu_star^2 = 1/4 - 1/(2 pi)
    import math
    assert abs(a[1] - 0.5) < 1e-15 and abs(b[1] - 0.5) < 1e-14
    assert abs(a[2] - math.sqrt(0.25 - 1 / (2 * math.pi))) < 1e-15
