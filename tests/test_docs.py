"""Doctests of every module of the package, and the documentation site's generated pages.

Every ``>>>`` example in a docstring of ``theory`` runs here (the doctest of each module is one
test), so the examples the documentation shows are the examples that work. The site itself is
built by ``sphinx-build -W --keep-going -b html docs docs/_build/html`` (warnings are errors).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import sys
from pathlib import Path

import pytest

import theory

ROOT = Path(__file__).resolve().parent.parent
MODULES = ["theory"] + sorted(m.name for m in pkgutil.walk_packages(theory.__path__, "theory."))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.mark.parametrize("modname", MODULES)
def test_doctests(modname, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    mod = importlib.import_module(modname)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    tests = [t for t in finder.find(mod, modname) if t.examples]
    for t in tests:
        runner.run(t)
    res = runner.summarize(verbose=False)
    assert res.failed == 0, f"{res.failed} of {res.attempted} doctest examples of {modname} failed"


def test_model_pages_render_the_models_own_latex():
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        import theory_docs
    finally:
        sys.path.remove(str(ROOT / "docs" / "_ext"))
    from theory.models import load_all

    for name, cls in load_all().items():
        model = cls() if isinstance(cls, type) else cls
        latex = model.system(model.Params()).latex()
        page = theory_docs._model_page(name, cls)
        assert latex.strip() in page, name  # the page carries the SymPy LaTeX verbatim
        assert "```{math}" in page and "## Parameters" in page


def test_api_pages_cover_the_public_surface():
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        import theory_docs
    finally:
        sys.path.remove(str(ROOT / "docs" / "_ext"))
    mods = theory_docs.public_modules()
    assert "theory" in mods
    page = theory_docs._api_page("theory")
    for name in theory.__all__:
        assert name in page, name
