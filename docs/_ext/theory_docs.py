"""Sphinx extension: pages generated from the package itself at build time.

At ``builder-inited`` it writes into ``docs/_generated/`` (never committed):

* ``api/<module>.rst``: one page per module of the public surface (``theory.__all__`` and every
  submodule that declares ``__all__``): an autosummary table of the module's names, then
  ``autofunction``/``autoclass`` of the objects *defined* there (a re-exported name links to the
  page of the module that defines it, so nothing is documented twice);
* ``models/<name>.md``: one page per registered model (:func:`theory.models.load_all`) with its
  paper, its parameters (defaults and meaning from the ``Params`` dataclass) and its equations,
  rendered from ``model.system(model.Params()).latex()`` -- the model's own SymPy LaTeX;
* ``tutorials/<name>.ipynb``: a copy of every ``notebooks/*.ipynb``, executed by myst-nb when
  the site builds.  A notebook whose first code cell starts with ``# parameters`` gets that
  cell replaced by the values in ``NOTEBOOK_PARAMETERS`` (a size the build can afford), the way
  the tests run it.

A file is rewritten only when its text changes, so an incremental build re-reads (and myst-nb
re-executes) only what changed.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import pkgutil
from pathlib import Path

#: notebook file name -> source of its parameter cell in the docs build (cheap sizes; the
#: figure is written inside the execution directory, not over the repository's figure)
NOTEBOOK_PARAMETERS = {
    "rf_learning_curve.ipynb": (
        "# parameters (the documentation build runs a small size: d = 100, 6 seeds)\n"
        "D = 100\nSEEDS = 6\nPOINTS = 3\nCACHE = '.cache'\n"
        "FIGURE = 'figures/rf_learning_curve.png'\n"
    ),
    "one_step_spiked_rf.ipynb": (
        "# parameters (the documentation build runs a small size: d = 100, 3 seeds)\n"
        "D = 100\nSEEDS = 3\nPOINTS = 3\nTHEORY_POINTS = 20\n"
        "ALPHA0_LEFT = [0.0, 0.5, 2.0, 5.0]\nALPHA0_RIGHT = [0.0, 5.0, 10.0, 20.0]\n"
        "R_VALUES = [0.0, 0.5, 1.0, 2.0]\nCACHE = '.cache'\n"
        "FIGURE = 'figures/one_step_spiked_rf.png'\n"
    ),
}
#: notebook file name -> a cell appended in the docs build (to show a figure the notebook saves)
NOTEBOOK_APPENDIX = {
    "rf_learning_curve.ipynb": "from IPython.display import Image\nImage(FIGURE)\n",
    "one_step_spiked_rf.ipynb": "from IPython.display import Image\nImage(FIGURE)\n",
}
NOTE = ("*Executed when this site was built, at the reduced size of the parameter cell below "
        "(the repository's notebook runs at full size). At this size the "
        "simulations carry finite-size effects and the standard errors come from few seeds, so "
        "the z-scores are indicative only; the tests compare theory and simulation at "
        "d = 1000 to 2000.*")

ROOT = Path(__file__).resolve().parents[2]


_WRITTEN: set = set()


def _write(path: Path, text: str) -> None:
    _WRITTEN.add(path.resolve())
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _title(text: str, ch: str = "=") -> str:
    return f"{text}\n{ch * len(text)}\n"


# ----------------------------------------------------------------------------- API pages
def public_modules() -> list:
    """Names of ``theory`` and of every submodule that declares ``__all__`` (sorted)."""
    import theory

    names = ["theory"]
    for info in pkgutil.walk_packages(theory.__path__, "theory."):
        mod = importlib.import_module(info.name)
        if "__all__" in vars(mod):
            names.append(info.name)
    return sorted(set(names))


def own_methods(cls) -> list:
    """Public methods and properties a class defines itself (not library protocol overrides)."""
    out = []
    for name, attr in vars(cls).items():
        if name.startswith("_"):
            continue
        if any(name in vars(base) for base in cls.__mro__[1:]
               if not base.__module__.startswith("theory")):
            continue  # overrides a method of SymPy, dataclass, Exception, ...: documented there
        func = attr.__func__ if isinstance(attr, (staticmethod, classmethod)) else attr
        if inspect.isfunction(func) or isinstance(func, property):
            out.append(name)
    return out


def _api_page(modname: str) -> str:
    mod = importlib.import_module(modname)
    names = list(mod.__all__)
    routines, data = [], []
    for n in names:
        obj = getattr(mod, n)
        if inspect.isfunction(inspect.unwrap(obj)) or inspect.isclass(obj):  # lru_cache too
            routines.append((n, obj))
        else:
            data.append((n, obj))
    lines = [_title(modname), f".. automodule:: {modname}\n   :no-members:\n",
             f".. currentmodule:: {modname}\n"]
    if routines:
        lines.append(".. autosummary::\n   :nosignatures:\n")
        for _n, obj in routines:
            where = obj.__module__
            if where == modname:  # autosummary wants names relative to the current module
                lines.append(f"   {obj.__qualname__}")
            elif where.startswith(modname + "."):
                lines.append(f"   ~{where[len(modname) + 1:]}.{obj.__qualname__}")
            else:
                lines.append(f"   ~{where}.{obj.__qualname__}")
        lines.append("")
    if data:
        lines.append("Data:\n")
        for n, obj in data:
            lines.append(f"* ``{n}``: {type(obj).__name__}")
        lines.append("")
    for n, obj in routines:
        if obj.__module__ != modname:
            continue  # documented on its defining module's page
        if inspect.isclass(obj):
            members = own_methods(obj)
            opt = f"   :members: {', '.join(members)}\n" if members else ""
            lines.append(f".. autoclass:: {n}\n{opt}")
        else:
            lines.append(f".. autofunction:: {n}\n")
    return "\n".join(lines) + "\n"


def write_api(out: Path) -> None:
    mods = public_modules()
    index = [_title("API reference"),
             "The public surface: ``from theory import ...`` (the names in ``theory.__all__``) "
             "and, module by module, the names each module lists in its ``__all__``. Every "
             "docstring is in numpydoc form; ``tests/test_docstrings.py`` checks the sections "
             "and pytest runs every example (``--doctest-modules``).\n",
             ".. toctree::\n   :maxdepth: 1\n"]
    for m in mods:
        index.append(f"   {m}")
        _write(out / f"{m}.rst", _api_page(m))
    _write(out / "index.rst", "\n".join(index) + "\n")


# ----------------------------------------------------------------------------- model pages
def _math_block(latex: str) -> str:
    body = latex.strip()
    if not body.startswith(r"\begin") or body.startswith(r"\begin{aligned}"):
        body = f"\\[\n{body}\n\\]"
    return f"```{{math}}\n:nowrap:\n\n{body}\n```\n"


def _model_page(name: str, cls) -> str:
    model = cls() if inspect.isclass(cls) else cls
    params = model.Params()
    system = model.system(params)
    lines = [f"# `{name}`: {getattr(model, 'title', '')}\n"]
    ref = getattr(model, "reference", "")
    if ref:
        lines.append(f"**Paper.** {ref}\n")
    modname = type(model).__module__
    # a module with __all__ has its own API page: index it there only
    noindex = "   :no-index:\n" if hasattr(importlib.import_module(modname), "__all__") else ""
    lines.append(f"```{{eval-rst}}\n.. automodule:: {modname}\n"
                 f"   :no-members:\n{noindex}```\n")
    lines.append("## Parameters\n")
    lines.append("| parameter | default | meaning |\n|---|---|---|")
    for f in dataclasses.fields(params):
        doc = str(f.metadata.get("doc", "")).replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{f.name}` | `{getattr(params, f.name)!r}` | {doc} |")
    lines.append("")
    lines.append("## Equations\n")
    lines.append("Rendered from the model's own SymPy expressions at the default parameters "
                 f"(`get_model({name!r}).system(Params()).latex()`, generated when this site "
                 "was built):\n")
    lines.append(_math_block(system.latex()))
    state = ", ".join(f"`{s}`" for s in system.state_names)
    obs = ", ".join(f"`{o}`" for o in system.observables)
    lines.append(f"Order parameters (the state): {state}.\n")
    if obs:
        lines.append(f"Observables: {obs}.\n")
    lines.append("## Command line\n")
    lines.append(f"```console\n$ theory solve {name}\n$ theory models\n```\n")
    return "\n".join(lines)


def write_models(out: Path) -> None:
    from theory.models import load_all

    models = load_all()
    index = ["# Models\n",
             "One page per registered model. The equations on each page are not copied by hand: "
             "the documentation build renders the LaTeX of the model's own SymPy system.\n",
             "```{toctree}\n:maxdepth: 1\n"]
    for name in sorted(models):
        index.append(name)
        try:
            page = _model_page(name, models[name])
        except Exception as exc:  # a model whose page cannot be made fails the build, by name
            raise RuntimeError(f"docs: cannot render the page of model {name!r}: "
                               f"{type(exc).__name__}: {exc}") from exc
        _write(out / f"{name}.md", page)
    index.append("```\n")
    _write(out / "index.md", "\n".join(index))


# ----------------------------------------------------------------------------- tutorials
def write_tutorials(out: Path) -> None:
    index = ["# Tutorials\n",
             "The notebooks of `notebooks/`, executed when this site is built (myst-nb; results "
             "cached until a notebook changes). A notebook with a `# parameters` cell runs at a "
             "small size here; the repository's copy runs at full size.\n",
             "```{toctree}\n:maxdepth: 1\n"]
    for src in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(src.read_text(encoding="utf-8"))
        override = NOTEBOOK_PARAMETERS.get(src.name)
        if override is not None:
            for i, cell in enumerate(nb["cells"]):
                text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                if cell["cell_type"] == "code" and text.startswith("# param"):
                    cell["source"] = override
                    nb["cells"].insert(i, {"cell_type": "markdown", "metadata": {}, "id": "docs-note",
                                           "source": NOTE})
                    break
        if src.name in NOTEBOOK_APPENDIX:
            nb["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None,
                                "id": "docs-figure",
                                "outputs": [], "source": NOTEBOOK_APPENDIX[src.name]})
        for cell in nb["cells"]:  # executed here: stored outputs are not shown
            if cell["cell_type"] == "code":
                cell["outputs"], cell["execution_count"] = [], None
        _write(out / src.name, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        index.append(src.stem)
    index.append("```\n")
    _write(out / "index.md", "\n".join(index))


def generate(app) -> None:
    out = Path(app.srcdir) / "_generated"
    write_api(out / "api")
    write_models(out / "models")
    write_tutorials(out / "tutorials")
    # pages of modules, models or notebooks that no longer exist would break a rebuild
    for f in out.rglob("*"):
        if f.is_file() and f.suffix in (".md", ".rst", ".ipynb") and f.resolve() not in _WRITTEN:
            f.unlink()


def setup(app):
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
