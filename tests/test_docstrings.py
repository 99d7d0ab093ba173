"""Every public function, class and method has numpydoc sections (checked by numpydoc.validate).

The public surface is ``theory.__all__`` and the ``__all__`` of every module of the package;
of a public class, the public methods and properties it defines itself (an override of a
SymPy / dataclass / Exception method is documented by that library). Each object is validated
where it is defined (a re-exported name is checked once).

Checks (numpydoc codes): GL08 a docstring exists; SS01 a one-line summary; GL06 no unknown
section; PR01 every parameter documented; PR02 no documented parameter that does not exist;
RT01 a Returns section when the function returns a value; YD01 a Yields section for a
generator. For a class, a field documented under ``Attributes`` counts as documented (result
dataclasses document their fields there).

The test prints the list of offenders (``pytest -s tests/test_docstrings.py``, or read the
assertion message).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import theory

numpydoc_validate = pytest.importorskip("numpydoc.validate")
docscrape = pytest.importorskip("numpydoc.docscrape")

CHECKS = {"GL08", "SS01", "GL06", "PR01", "PR02", "RT01", "YD01"}

# Modules exempt from the check (a helper fixing their docstrings lists them here while it works;
# empty: every public docstring of the package is checked).
ALLOW: tuple = ()


def _allowed(qualname: str) -> bool:
    return any(qualname == m or qualname.startswith(m + ".") or qualname.startswith(m + "_")
               for m in ALLOW)


def public_objects() -> dict:
    """``{dotted name: object}`` of every public function, class and method (see above)."""
    mods = ["theory"] + [m.name for m in pkgutil.walk_packages(theory.__path__, "theory.")]
    found = {}
    for modname in mods:
        mod = importlib.import_module(modname)
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name)
            if not (inspect.isfunction(inspect.unwrap(obj)) or inspect.isclass(obj)):
                continue  # data (registries, constants, symbols); lru_cache-wrapped functions count
            where = f"{obj.__module__}.{obj.__qualname__}"
            found[where] = obj
            if inspect.isclass(obj):
                for attr, value in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if any(attr in vars(base) for base in obj.__mro__[1:]
                           if not base.__module__.startswith("theory")):
                        continue
                    func = value.__func__ if isinstance(value, (staticmethod, classmethod)) \
                        else value
                    if inspect.isfunction(func) or isinstance(func, property):
                        found[f"{where}.{attr}"] = value
    return found


def problems(name: str, obj) -> list:
    """numpydoc.validate errors of one object among CHECKS, after the Attributes rule."""
    res = numpydoc_validate.validate(name)
    errs = [(code, msg) for code, msg in res["errors"] if code in CHECKS]
    if inspect.isclass(obj) and any(code == "PR01" for code, _ in errs):
        doc = docscrape.ClassDoc(obj, config={"show_class_members": False})
        documented = {p.name.strip("*") for sec in ("Parameters", "Attributes", "Other Parameters")
                      for p in doc[sec]}
        for piece in list(documented):  # "a, b : float" documents a and b
            documented |= {x.strip() for x in piece.split(",")}
        try:
            params = [p for p in inspect.signature(obj).parameters
                      if p not in ("self", "args", "kwargs")]
        except (TypeError, ValueError):
            params = []
        if all(p in documented for p in params):
            errs = [(c, m) for c, m in errs if c != "PR01"]
    return errs


def offenders(allowed: bool) -> list:
    out = []
    for name, obj in sorted(public_objects().items()):
        if _allowed(name) != allowed:
            continue
        for code, msg in problems(name, obj):
            out.append(f"{name}: {code} {msg}")
    return out


def test_public_surface_is_found():
    names = public_objects()
    assert "theory.numeric.hermite.hermite_expansion" in names
    assert "theory.numeric.hermite.HermiteExpansion.dual_kernel" in names
    assert len(names) > 100


def test_every_public_docstring_has_numpydoc_sections():
    bad = offenders(allowed=False)
    print("\n".join(bad) or "no offenders")
    assert not bad, f"{len(bad)} numpydoc problems:\n" + "\n".join(bad)


def test_allow_listed_modules_report(capsys):
    """Not a check: prints what the coordinator must fix before shrinking ``ALLOW``."""
    bad = offenders(allowed=True)
    with capsys.disabled():
        print(f"\n[allow-listed, owned by other helpers] {len(bad)} numpydoc problems")
