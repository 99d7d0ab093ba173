"""Sphinx configuration of the ``theory`` documentation site.

Build (from the repository root)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The API pages, one page per registered model (its equations rendered from the model's own
SymPy LaTeX) and the tutorial copies of ``notebooks/*.ipynb`` are generated at build time
into ``docs/_generated/`` by the local extension ``docs/_ext/theory_docs.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the package from this checkout
sys.path.insert(0, str(HERE / "_ext"))
# the notebooks' kernels import the package from this checkout too
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(HERE.parent)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
os.environ.setdefault("MPLBACKEND", "Agg")

import theory  # noqa: E402

project = "theory"
author = "the theory authors"
copyright = "2026, the theory authors"
version = release = theory.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
    "theory_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints", "jupyter_execute"]
root_doc = "index"

# --- autodoc / numpydoc
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc sections carry the types
autosummary_generate = False  # the API pages are written by theory_docs
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# docstrings are checked by tests/test_docstrings.py (numpydoc.validate), not by the build
numpydoc_validation_checks: set = set()

# --- MyST / myst-nb
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
nb_execution_mode = "cache"  # executed at build time; unchanged notebooks come from the cache
nb_execution_cache_path = str(HERE / "_build" / ".jupyter_cache")
nb_execution_timeout = 150
nb_execution_raise_on_error = True  # a failing notebook fails the build
nb_execution_show_tb = True
nb_merge_streams = True

# --- HTML
html_theme = "alabaster"
html_static_path = ["_static"]
html_css_files = ["theory.css"]
html_title = f"theory {release}"
html_theme_options = {"description": "saddle-point equations of high-dimensional learning",
                      "fixed_sidebar": True}

# nitpicky cross-references would fail on every plain-text type ("float64 array, shape (n,)");
# types are prose in this project's numpydoc sections
nitpicky = False
suppress_warnings = ["myst.header"]
