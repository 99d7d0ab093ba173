"""README.md as written: its Python blocks run, its cheap commands run, it names no outside file,
and its glossary defines every quantity the model commands print.

* every fenced ``python`` block runs in a fresh interpreter (a subprocess, in a temporary
  directory, with a timeout), exactly as written;
* every ``theory ...`` line of a ``bash``/``console`` block runs (``theory`` is
  ``python -c 'from theory.cli import main; main()'`` on this checkout) and must exit 0, except
  the lines listed in ``SKIP``/``SKIP_PREFIX`` (with the reason); optional parts written
  ``[--json | --latex]`` are left out (the line runs in its basic form);
* the README names no file outside the repository (``../``, ``/work``, ``shared/``);
* every state variable and observable printed by ``theory solve MODEL`` and
  ``theory simulate MODEL`` appears in the README's glossary section.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^```([A-Za-z]*)[^\n]*\n(.*?)^```", re.S | re.M)
THEORY = [sys.executable, "-c", "import sys; from theory.cli import main; sys.exit(main())"]

#: command lines (after ``theory``, comments removed) not run here, with the reason
SKIP = {
    "demo": "the end-to-end run writes every table and plot (minutes); tests/test_demo.py runs it",
}
#: a command is skipped when it starts with one of these (the reason is the value)
SKIP_PREFIX = {
    "simulate": "simulations at d = 1000 over 10 seeds take minutes; tests/test_simulation.py",
    "compare": "theory against simulation at d = 1000 takes minutes (and the README shows its "
               "refusals); tests/test_compare.py runs the command and each refusal",
}
#: a ```python block whose first line starts with this is shown, not run (the reason follows)
NOT_RUN = "# not run here:"


def blocks(lang: set) -> list:
    return [body for tag, body in BLOCK.findall(README) if tag.lower() in lang]


def python_blocks() -> list:
    return blocks({"python"})


def theory_commands() -> list:
    out = []
    for body in blocks({"bash", "console", "sh", "shell"}):
        for line in body.splitlines():
            line = line.strip().removeprefix("$ ").strip()
            if not line.startswith("theory "):
                continue
            cmd = line.split(" #", 1)[0].strip()
            out.append(cmd)
    return out


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "")
                                                       .split(os.pathsep) if p])
    env.setdefault("MPLBACKEND", "Agg")
    return env


@pytest.mark.slow  # the README's Python tour solves, polishes at 40 digits and simulates (~40 s)
@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_python_block_runs_as_written(index, tmp_path):
    code = python_blocks()[index]
    if code.startswith(NOT_RUN):
        pytest.skip(code.splitlines()[0].removeprefix(NOT_RUN).strip())
    # the blocks are written for the repository root: the example specs are there
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(),
                         capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, f"README python block {index}:\n{code}\n--- stderr:\n{res.stderr}"


def basic_form(cmd: str) -> str:
    """The command with its optional ``[...]`` parts left out."""
    return " ".join(re.sub(r"\[[^]]*\]", " ", cmd).split())


def _skip_reason(cmd: str) -> str | None:
    rest = basic_form(cmd).removeprefix("theory ").strip()
    if any(t in rest for t in ("|", "...")):
        return "shows alternatives, not a runnable line"
    if rest in SKIP:
        return SKIP[rest]
    for prefix, why in SKIP_PREFIX.items():
        if rest.startswith(prefix):
            return why
    return None


@pytest.mark.parametrize("cmd", theory_commands())
def test_theory_command_runs(cmd, tmp_path):
    why = _skip_reason(cmd)
    if why:
        pytest.skip(why)
    args = shlex.split(basic_form(cmd))[1:]
    res = subprocess.run(THEORY + args, cwd=tmp_path, env=_env(), capture_output=True, text=True,
                         timeout=240)
    assert res.returncode == 0, f"`{cmd}` exited {res.returncode}:\n{res.stderr[-2000:]}"


def test_readme_has_python_blocks_and_commands():
    assert python_blocks(), "README has no ```python block"
    assert len(theory_commands()) >= 5


def test_readme_names_no_file_outside_the_repository():
    bad = [pat for pat in ("../", "/work", "shared/", "/tmp/", "/home/") if pat in README]
    assert not bad, f"README names paths outside the repository: {bad}"


def _glossary() -> str:
    m = re.search(r"^## Glossary\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert m, "README has no '## Glossary' section"
    return m.group(1)


@pytest.mark.slow  # solves every registered model and simulates each once (~8 s)
def test_glossary_defines_every_printed_quantity():
    from theory.simulate.dispatch import resolve as _resolve
    from theory.models import get_model, load_all, solve

    gloss = _glossary()
    names = set()
    for name in load_all():
        r = solve(name)
        names |= set(r.state) | set(r.observables)
        m = get_model(name)
        if hasattr(m, "simulation"):
            fn = _resolve(getattr(m, "simulator",
                                  "theory.simulate.random_features:simulate_random_features"))
            sim = fn(**m.simulation(m.Params(), 24), seeds=1)
            names |= set(sim.observables)
    def generic(n):  # an entry of a K x K order parameter: M12 -> Mjk, M[0,1] -> M[j,k], b2 -> bj
        m = re.fullmatch(r"([A-Za-z]+)(\d)(\d)?", n)
        if m:
            return m.group(1) + ("jk" if m.group(3) else "j")
        m = re.fullmatch(r"([A-Za-z]+)\[\d+(,\d+)?\]", n)
        if m:
            return m.group(1) + ("[j,k]" if m.group(2) else "[j]")
        return n

    missing = sorted(n for n in names if f"`{n}`" not in gloss and f"`{generic(n)}`" not in gloss)
    assert not missing, f"not defined in the README glossary: {missing}"
