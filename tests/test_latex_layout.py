"""Every .tex file the package exports compiles standalone and stays inside its text block.

The documents: those ``theory demo`` writes (``rf_systems.tex``, ``hermite_exact.tex``), those
``derivations/*.py`` write, and ``latex_document()`` of every registered model's system at its
default parameters. Each is compiled with ``pdflatex -interaction=nonstopmode -halt-on-error``,
every page is rendered to pixels (PyMuPDF), and

* no ink (a pixel darker than the paper) lies outside the text block computed from the
  document's own ``geometry`` options (paper size and margins), except the page number centred
  in the footer band;
* no page is blank (each has ink inside the text block).

The checker is itself tested on two bad documents (an equation wider than the page, a blank
first page), and on two files as written before the layout rules, which it must reject
(tests/reference/latex_layout_*_before.tex: the demo's ``rf_systems.tex`` and
``latex_document()`` of ``rf_convex[hinge, sign]``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
BEFORE = ROOT / "tests" / "reference" / "latex_layout_rf_systems_before.tex"
BEFORE_DOC = ROOT / "tests" / "reference" / "latex_layout_hinge_document_before.tex"

PT_PER = {"pt": 1.0, "bp": 72.27 / 72, "mm": 72.27 / 25.4, "cm": 72.27 / 2.54, "in": 72.27}
PAPER_BP = {"a4paper": (595.28, 841.89), "letterpaper": (612.0, 792.0)}
DPI = 50
TOL_BP = 1.5  # anti-aliasing: a glyph's edge pixel may straddle the boundary
FOOTSKIP_BP = 30 * 72 / 72.27  # article's \footskip (10pt, 11pt, 12pt classes: 30pt)
MAXDEPTH_BP = 5 * 72 / 72.27  # article's \maxdepth: the last line's depth may hang below


def _pdflatex():
    exe = shutil.which("pdflatex")
    if exe is None:
        if os.environ.get("THEORY_ALLOW_NO_LATEX"):
            pytest.skip("pdflatex not installed (THEORY_ALLOW_NO_LATEX set)")
        raise AssertionError("pdflatex not found: install texlive-latex-base (see README)")
    return exe


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "derivations" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def exported_documents() -> dict:
    """{file name: LaTeX} of every document the package exports."""
    from theory.demo import hermite_exact_tex, rf_systems_tex
    from theory.models import load_all
    from theory.models.base import make_params
    from theory.numeric.hermite import hermite_expansion
    from theory.symbolic.activations import REGISTRY

    docs = {"demo/rf_systems.tex": rf_systems_tex()}
    exact = [h for h in (hermite_expansion(n, 10) for n in REGISTRY) if h.exact is not None]
    docs["demo/hermite_exact.tex"] = hermite_exact_tex(exact)
    docs["derivations/hermite_closed_forms.tex"] = _load("hermite_closed_forms").render()
    for fname, text in _load("rf_systems").render().items():
        docs[f"derivations/{fname}"] = text
    for fname, text in _load("spiked_rf_system").render().items():
        docs[f"derivations/{fname}"] = text
    for name, cls in sorted(load_all().items()):
        model = cls()
        docs[f"model/{name}.tex"] = model.system(make_params(model, {})).latex_document()
    return docs


def text_block(tex: str) -> tuple[float, float, float, float, float, float]:
    """(page width, page height, left, top, right, bottom) in PDF points (bp), from the
    document's ``\\usepackage[...]{geometry}`` (paper name and ``margin=``)."""
    m = re.search(r"\\usepackage\[([^\]]*)\]\{geometry\}", tex)
    assert m, "no geometry options: the text block is unknown"
    opts = dict((kv.split("=", 1) + [""])[:2] for kv in (o.strip() for o in m.group(1).split(",")))
    paper = next((p for p in PAPER_BP if p in opts), "letterpaper")
    w, h = PAPER_BP[paper]
    if "landscape" in opts:
        w, h = h, w
    mm = re.fullmatch(r"([\d.]+)\s*(pt|bp|mm|cm|in)", opts.get("margin", ""))
    assert mm, f"margin not given as one length: {opts}"
    margin = float(mm.group(1)) * PT_PER[mm.group(2)] * 72 / 72.27
    return w, h, margin, margin, w - margin, h - margin


def layout_problems(pdf: Path, tex: str) -> list[str]:
    """Ink outside the text block, and blank pages, of a compiled document."""
    import pymupdf

    pw, ph, x0, y0, x1, y1 = text_block(tex)
    problems = []
    with pymupdf.open(pdf) as doc:
        for i, page in enumerate(doc):
            assert abs(page.rect.width - pw) < 1 and abs(page.rect.height - ph) < 1, \
                (page.rect, pw, ph)
            pix = page.get_pixmap(dpi=DPI, colorspace=pymupdf.csGRAY)
            img = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)
            img = img[:, :pix.width]
            s = DPI / 72.0  # pixels per bp
            ys, xs = np.nonzero(img < 200)
            # a pixel is outside if it lies wholly beyond the boundary (plus the tolerance)
            xl, xr = (xs + 1) / s, xs / s
            yt, yb = (ys + 1) / s, ys / s
            out = ((xl < x0 - TOL_BP) | (xr > x1 + TOL_BP) | (yt < y0 - TOL_BP)
                   | (yb > y1 + MAXDEPTH_BP + TOL_BP))
            # the page number: centred, in the footer band below the text block
            footer = ((yb > y1) & (yt < y1 + FOOTSKIP_BP + 4)
                      & (np.abs((xl + xr) / 2 - (x0 + x1) / 2) < 25))
            bad = out & ~footer
            if bad.any():
                problems.append(
                    f"page {i + 1}: {int(bad.sum())} ink pixels outside the text block "
                    f"[{x0:.0f}, {x1:.0f}] x [{y0:.0f}, {y1:.0f}] bp, reaching x in "
                    f"[{xl[bad].min():.0f}, {xr[bad].max():.0f}], y in "
                    f"[{yt[bad].min():.0f}, {yb[bad].max():.0f}]")
            inside = ~out & ~footer
            if not inside.any():
                problems.append(f"page {i + 1}: blank")
    return problems


def compile_tex(tmp_path: Path, fname: str, text: str) -> tuple[Path, str]:
    name = fname.replace("/", "__")
    (tmp_path / name).write_text(text)
    r = subprocess.run([_pdflatex(), "-interaction=nonstopmode", "-halt-on-error", name],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, (fname, r.stdout[-3000:])
    pdf = tmp_path / name.replace(".tex", ".pdf")
    assert pdf.read_bytes()[:4] == b"%PDF", fname
    return pdf, r.stdout


def test_every_exported_document_compiles_and_fits(tmp_path):
    docs = exported_documents()
    assert {"demo/rf_systems.tex", "demo/hermite_exact.tex",
            "derivations/hermite_closed_forms.tex",
            "derivations/rf_convex_logistic_sign.tex",
            "derivations/spiked_rf_map.tex"} <= set(docs)
    assert any(k.startswith("model/") for k in docs)
    failures = {}
    for fname, text in docs.items():
        assert "\\documentclass" in text and "\\end{document}" in text, fname
        pdf, log = compile_tex(tmp_path, fname, text)
        problems = layout_problems(pdf, text)
        if "Overfull \\hbox" in log:
            problems.append("pdflatex reports an overfull hbox")
        if problems:
            failures[fname] = problems
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())


def test_checker_rejects_wide_equation_and_blank_page(tmp_path):
    from theory.symbolic._texlayout import document

    wide = document("\\[" + " + ".join(f"x_{{{k}}}" for k in range(80)) + "\\]\n")
    pdf, _ = compile_tex(tmp_path, "wide.tex", wide)
    assert any("outside the text block" in p for p in layout_problems(pdf, wide))
    blank = document("\\null\\newpage\nText.\n")
    pdf, _ = compile_tex(tmp_path, "blank.tex", blank)
    assert layout_problems(pdf, blank) == ["page 1: blank"]


def test_checker_rejects_the_documents_of_before(tmp_path):
    """The demo's rf_systems.tex and latex_document() of rf_convex[hinge, sign] as written
    before the layout rules (landscape, one ``aligned`` box per system): the rf_convex
    equations run off the page, and the hinge document starts with a blank page."""
    text = BEFORE.read_text()
    pdf, _ = compile_tex(tmp_path, "before.tex", text)
    problems = layout_problems(pdf, text)
    assert any("outside the text block" in p for p in problems), problems
    text = BEFORE_DOC.read_text()
    pdf, _ = compile_tex(tmp_path, "before_doc.tex", text)
    problems = layout_problems(pdf, text)
    assert "page 1: blank" in problems and any("outside" in p for p in problems), problems


def _stress_system():
    """Long right-hand sides of every kind the breaker handles, and one it cannot break."""
    import sympy as sp

    from theory.symbolic.expectation import E, gaussians
    from theory.symbolic.system import SaddlePointSystem

    a, b, c, q, m = sp.symbols("alpha beta gamma q m", positive=True)
    x = sp.symbols("x_1:30")
    g = gaussians("xi")
    P, R, S, T, U, W, Y, Z = sp.symbols("P R S T U W Y Z")
    steps = [
        (P, sp.expand((1 + a * q + b * m + c) ** 6)),                     # a long sum
        (R, sp.Mul(*[sp.exp(v * a) + v for v in x[:12]])),                # a long product
        (S, sp.Add(*x[:25]) / sp.Add(*x[3:28])),                          # long over long
        (T, sp.Max(0, sp.Add(*[v * q for v in x[:25]]))),                 # a long argument
        (U, sp.exp(-sp.Add(*[v**2 * q for v in x[:25]]))),               # a long exponent
        (W, E(sp.Add(*[sp.tanh(g[0] * v) ** 2 for v in x[:20]]), g) / (1 + q)),
        (Y, sp.sqrt(sp.Add(*[v * q for v in x[:25]]))),
        (Z, sp.Integer(7) ** 300 * q),                                    # unbreakable
    ]
    return SaddlePointSystem(name="stress", state=(q, m), parameters=(a, b, c, *x), steps=steps,
                             updates={q: P / (1 + P), m: q}, reference="stress_test & layout")


def test_stress_system_breaks_and_fits(tmp_path):
    """Every long line of the stress system is broken (no line scaled) but the unbreakable
    300-digit number, which the fallback scales into the text block."""
    tex = _stress_system().latex_document()
    assert tex.split("\\begin{document}")[1].count("\\fitmath{") == 1
    pdf, log = compile_tex(tmp_path, "stress.tex", tex)
    assert layout_problems(pdf, tex) == []
    assert "fitmath: scaled" in log and "Overfull \\hbox" not in log  # (align* sets it twice)


def test_width_estimate_against_tex(tmp_path):
    """The width estimate that decides the breaks is within -10 % / +35 % of the width TeX
    gives (``\\settowidth`` in display style) for the terms of shipped systems and the stress
    system; an underestimate is what could push ink past the margin."""
    import sympy as sp

    from theory.models.rf_convex import build_system
    from theory.models.rf_ridge import mm_system
    from theory.symbolic._texlayout import PREAMBLE, Breaker, width

    samples = set()
    for system in (mm_system(), build_system("hinge", "sign", False), _stress_system()):
        br = Breaker(system.latex_names)
        for e in [e for _, e in system.steps] + list(system.observables.values()):
            for t in sp.Add.make_args(e):
                samples.add(br.tex(t))
                samples.update(br.tex(f) for f in sp.Mul.make_args(t))
    samples = sorted(samples)
    body = "\\newlength{\\ww}\n" + "\n".join(
        f"\\settowidth{{\\ww}}{{$\\displaystyle {s}$}}\\typeout{{WIDTH {i} \\the\\ww}}"
        for i, s in enumerate(samples))
    _, log = compile_tex(tmp_path, "widths.tex",
                         PREAMBLE + "\\begin{document}\n" + body + "\nx\n\\end{document}\n")
    real = {int(i): float(w) / 10 for i, w in re.findall(r"WIDTH (\d+) ([\d.]+)pt", log)}
    assert len(real) == len(samples)
    ratios = {samples[i]: width(samples[i]) / w for i, w in real.items() if w > 3}
    assert len(ratios) > 30
    bad = {s[:80]: round(r, 2) for s, r in ratios.items() if not 0.9 <= r <= 1.35}
    assert not bad, bad
