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
import math
import os
import pathlib
import subprocess
import sys

import pytest

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
    """No module outside symbolic/atoms.py builds the normal cdf from ndtr or (1 +- erf)/2."""
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
            if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
                # 1 +- erf(...): the normal cdf (or its tail) written by hand
                sides = (node.left, node.right)
                one = any(isinstance(v, ast.Constant) and v.value == 1 for v in sides)
                erf = any(isinstance(v, ast.Call) and ast.unparse(v.func).split(".")[-1]
                          in ("erf", "erfc") for v in sides)
                if one and erf:
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert not bad, bad


def test_activation_constants_keyed_by_expression():
    """"relu" and "max(x, 0)" are the same function: same constants, one place."""
    from theory.numeric.activation_constants import activation_constants, activation_key

    assert activation_key("relu")[0] == activation_key("max(x, 0)")[0]
    a, b = activation_constants("relu"), activation_constants("max(x, 0)")
    # closed form (Mei & Montanari 2019, Sec. 2): mu_1 = 1/2, mu_star^2 = 1/4 - 1/(2 pi)
    assert abs(a[1] - 0.5) < 1e-15 and abs(b[1] - 0.5) < 1e-14
    assert abs(a[2] - math.sqrt(0.25 - 1 / (2 * math.pi))) < 1e-15


# ------------------------------------------------------------------ compiled-system disk cache
_COMPILE = """
import json, warnings
import sympy as sp
from theory.numeric import bridge
from theory.numeric.system import compile_system
from theory.symbolic.expectation import E, gaussians
from theory.symbolic.system import SaddlePointSystem
m, beta, a = sp.symbols("m beta a", real=True)
z = gaussians("z")
s = SaddlePointSystem(
    name="cw", state=(m,), parameters=(beta, a),
    updates={m: E(sp.tanh(beta * m + sp.sqrt(a) * z[0]) + sp.Max(z[0], 0) / 10, over=z)},
    observables={"m": m, "energy": -m**2 / 2})
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    cs = compile_system(s)
print(json.dumps({**bridge.STATS, "map": float(cs.map([0.3], [1.7, 0.4], 3)[0]),
                  "energy": float(cs.observables([0.3], [1.7, 0.4], 3)["energy"]),
                  "warnings": [str(x.message) for x in w]}))
"""


def _fresh(cache):
    env = {**os.environ, "THEORY_CACHE_DIR": str(cache),
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", _COMPILE], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # four fresh interpreters (~2 s each alone, more on a loaded machine)
def test_disk_cache_second_process_skips_lambdify_and_corrupt_file_is_rebuilt(tmp_path):
    """A fresh process compiles the same system from stored source: no lambdify at all, and
    the same numbers as the process that lambdified. A corrupt file (a torn write) is ignored
    with a warning and rebuilt, and the rebuilt file serves the next process."""
    first = _fresh(tmp_path)
    assert first["lambdify"] > 0 and first["disk_hits"] == 0
    files = list((tmp_path / "compiled").glob("cw-*.json"))
    assert len(files) == 1 and not list((tmp_path / "compiled").glob("*.tmp"))
    second = _fresh(tmp_path)
    assert second["lambdify"] == 0 and second["disk_hits"] == first["lambdify"]
    assert second["map"] == first["map"] and second["energy"] == first["energy"]
    assert not second["warnings"]

    files[0].write_text('{"format": 1, "key": "trunc')
    third = _fresh(tmp_path)
    assert any("unreadable" in w for w in third["warnings"]), third["warnings"]
    assert third["lambdify"] == first["lambdify"] and third["map"] == first["map"]
    fourth = _fresh(tmp_path)
    assert fourth["lambdify"] == 0 and not fourth["warnings"]


def test_disk_cache_key_follows_the_expressions(tmp_path):
    """Another system (one coefficient changed) is another file, never the old source."""
    import sympy as sp

    from theory.numeric import diskcache
    from theory.symbolic.system import SaddlePointSystem

    m, b = sp.symbols("m b", real=True)
    s1 = SaddlePointSystem(name="k", state=(m,), parameters=(b,), updates={m: sp.tanh(b * m)})
    s2 = SaddlePointSystem(name="k", state=(m,), parameters=(b,),
                           updates={m: sp.tanh(2 * b * m)})
    s3 = SaddlePointSystem(name="k", state=(m,), parameters=(b,), updates={m: sp.tanh(b * m)})
    assert diskcache.system_key(s1) != diskcache.system_key(s2)
    assert diskcache.system_key(s1) == diskcache.system_key(s3)
    d = sp.Dummy("E")  # dummies are renumbered: a fresh Dummy gives the same key
    assert (diskcache.normalized_srepr(sp.tanh(d)) ==
            diskcache.normalized_srepr(sp.tanh(sp.Dummy("E"))))


# ------------------------------------------------------------------ batched engine solver
def test_bracketed_newton_batch_of_cube_roots():
    """x^3 = c for a batch of c spanning 40 decades: roots c^(1/3) to a few ulps."""
    import numpy as np

    from theory.numeric.solvers import bracketed_newton

    c = np.logspace(-20, 20, 41)
    x, it = bracketed_newton(lambda t: (t**3 - c, 3 * t**2), np.zeros_like(c),
                             np.maximum(c, 1.0), np.maximum(c, 1.0), 2.2e-16)
    assert np.all(np.abs(x / np.cbrt(c) - 1) < 1e-15) and it < 200


def test_solve_batched_mei_montanari_grid_against_reference():
    """Definition 1 of Mei & Montanari (rf_ridge's SaddlePointSystem, no expectation: its map
    broadcasts) solved over a psi_2 grid in ONE batched Anderson iteration; bias and variance
    against the independent 30-digit mpmath solution (tests/reference/mei_montanari.py)."""
    import mpmath
    import numpy as np

    from theory.models.rf_ridge import mm_system
    from theory.numeric.solvers import solve_batched
    from theory.numeric.system import compile_system

    sys.path.insert(0, str(ROOT / "tests"))
    from reference import mei_montanari as mm

    cs = compile_system(mm_system())
    assert cs.broadcasts
    psi1, lam = 2.0, 1e-2
    psi2 = np.array([0.5, 1.25, 2.0, 3.0])
    mu1, mus = 0.5, math.sqrt(0.25 - 1 / (2 * math.pi))  # relu, closed form
    params = [psi1, psi2, lam, mu1, mus, 1.0, 0.0, 0.0]
    sc = np.sqrt(psi1 * psi2 * lam) / mus
    r = solve_batched(cs, params, np.array([psi1 / (sc + 1), psi2 / (sc + 1)]), tol=1e-13)
    assert r.converged.all(), r.message
    obs = cs.evaluate_arrays(r.x, params)
    for j, p2 in enumerate(psi2):
        ref = mm.observables(psi1, float(p2), lam, mpmath.mpf(mu1), mpmath.mpf(mus), dps=30)
        assert abs(obs["bias"][j] - float(ref["bias"])) < 1e-11 * abs(float(ref["bias"]))
        assert abs(obs["variance"][j] - float(ref["variance"])) < 1e-11 * float(ref["variance"])


def test_solve_batched_flags_unphysical_fixed_points():
    """From a poor start one column converges to a root with a_2 < 0 (Im nu_2 < 0): it is
    reported as a constraint failure, not as an answer."""
    import numpy as np

    from theory.models.rf_ridge import mm_system
    from theory.numeric.solvers import solve_batched
    from theory.numeric.system import compile_system

    cs = compile_system(mm_system())
    mus = math.sqrt(0.25 - 1 / (2 * math.pi))
    r = solve_batched(cs, [2.0, np.linspace(0.5, 3, 20), 1e-2, 0.5, mus, 1.0, 0.0, 0.0],
                      [1.0, 1.0], tol=1e-12)
    bad = [j for j in range(20) if r.failure[j] == "constraint"]
    assert bad and not r.converged[bad].any() and "constraint" in r.message
    assert (r.x[1, r.converged] > 0).all()


def test_solve_batched_refuses_a_map_that_does_not_broadcast():
    import sympy as sp

    from theory.errors import InputError
    from theory.numeric.solvers import solve_batched
    from theory.numeric.system import compile_system
    from theory.symbolic.expectation import E, gaussians
    from theory.symbolic.system import SaddlePointSystem

    m, b = sp.symbols("m b", real=True)
    z = gaussians("z")
    cs = compile_system(SaddlePointSystem(name="cwb", state=(m,), parameters=(b,),
                                          updates={m: E(sp.tanh(b * m + z[0]), over=z)}),
                        disk_cache=False)
    with pytest.raises(InputError, match="broadcast"):
        solve_batched(cs, [[1.0, 2.0]], [0.5])


def test_disk_cache_rebinds_named_functions_of_the_current_system(tmp_path, monkeypatch):
    """Two systems that print alike but carry different numeric functions under one name
    share a cache file; each compiled map calls its own implementation (the stored source
    names the function, the namespace comes from the expression being compiled)."""
    import numpy as np
    import sympy as sp

    from theory.numeric import bridge
    from theory.numeric.system import compile_system
    from theory.symbolic.expectation import numeric_function
    from theory.symbolic.system import SaddlePointSystem

    monkeypatch.setenv("THEORY_CACHE_DIR", str(tmp_path))
    m, b = sp.symbols("m b", real=True)
    g1 = numeric_function("g_arch", 1, lambda u: np.tanh(u))
    g2 = numeric_function("g_arch", 1, lambda u: 2 * np.tanh(u))
    hits = bridge.STATS["disk_hits"]
    c1 = compile_system(SaddlePointSystem(name="t", state=[m], parameters=[b],
                                          updates={m: g1(b * m)}))
    c2 = compile_system(SaddlePointSystem(name="t", state=[m], parameters=[b],
                                          updates={m: g2(b * m)}))
    assert bridge.STATS["disk_hits"] > hits  # the second one was built from the stored source
    assert c1.map([0.5], [1.0])[0] == np.tanh(0.5)
    assert c2.map([0.5], [1.0])[0] == 2 * np.tanh(0.5)


def test_disk_cache_keeps_at_most_max_files(tmp_path, monkeypatch):
    import sympy as sp

    from theory.numeric import diskcache
    from theory.numeric.system import compile_system
    from theory.symbolic.system import SaddlePointSystem

    monkeypatch.setenv("THEORY_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(diskcache, "MAX_FILES", 3)
    m, b = sp.symbols("m b", real=True)
    for k in range(1, 6):
        compile_system(SaddlePointSystem(name=f"p{k}", state=[m], parameters=[b],
                                         updates={m: sp.tanh(k * b * m)}))
    names = sorted(f.name.split("-")[0] for f in (tmp_path / "compiled").glob("*.json"))
    assert len(names) <= 3 and "p5" in names
