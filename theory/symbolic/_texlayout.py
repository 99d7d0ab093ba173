r"""Line breaking and page layout for the LaTeX the package exports (private helpers).

Every ``.tex`` file the package writes (:meth:`SaddlePointSystem.latex_document`, ``theory
demo``, ``derivations/*.py``) is a standalone amsmath document laid out here, so that a long
equation never runs off the page:

* **Page**: portrait A4, 10 pt article, 2.5 cm margins (:data:`PREAMBLE`); the text block is
  :data:`TEXTWIDTH_EM` em wide. Displays are ``align*`` blocks under ``\allowdisplaybreaks``, so
  a system longer than a page continues on the next one (an ``aligned`` box cannot break: a
  system taller than the page was pushed whole to page 2, leaving page 1 blank).
* **Width estimate** (:func:`width`): the rendered width of a LaTeX math string, in em of the
  text font, from a small parse of the string (glyph widths of Computer Modern, script sizes
  0.7 / 0.5, ``\frac`` as the wider of its two rows, operator spacing). It errs on the wide
  side.
* **Breaking** (:func:`break_expr`): a right-hand side wider than the room is broken

  - at its top-level ``+`` / ``-`` terms, packed greedily; a continuation line starts with
    its operator, indented by ``\qquad`` from the alignment point;
  - inside a product, by taking the short factors and the denominator out in front as
    ``\frac{\text{short factors}}{\text{denominator}}`` and breaking the long factor;
  - inside a long factor: a parenthesised sum ``\biggl( ... \biggr)^{k}``, an expectation
    ``\mathbb{E}_\xi\biggl[ ... \biggr]``, or the argument list of a function (at its commas
    and inside its arguments), with delimiters sized by the fraction depth of the content.

* **Fallback** (documents only): a line that is still estimated too wide (a single unbreakable
  term) is set through ``\fitmath{room}{...}``, a macro that measures the line and scales it
  down with ``\resizebox`` (graphicx) only when its real width exceeds the room; it writes
  ``fitmath: scaled`` to the log when it does.

Only amsmath, amssymb, geometry and graphicx are used (all in texlive-latex-base).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sympy as sp
from sympy.printing.latex import LatexPrinter

__all__ = ["PREAMBLE", "TEXTWIDTH_EM", "align_block", "break_expr", "document", "tex_escape",
           "width"]

#: Width of the text block in em of the 10 pt font: A4 (210 mm) less 2 x 25 mm margins.
TEXTWIDTH_EM = 160.0 / (10.0 * 0.3514598)  # 160 mm in units of 10 pt (1 pt = 0.35146 mm)

PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[a4paper,margin=2.5cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{graphicx}
\allowdisplaybreaks
\newsavebox{\fitmathbox}
% \fitmath{room}{math}: the math in display style, scaled down only if wider than room
\newcommand{\fitmath}[2]{\sbox{\fitmathbox}{$\displaystyle #2$}%
  \ifdim\wd\fitmathbox>#1\relax\typeout{fitmath: scaled a line of \the\wd\fitmathbox\space
  to #1}\resizebox{#1}{!}{\usebox{\fitmathbox}}\else\usebox{\fitmathbox}\fi}
"""

_CONT = r"\qquad "  # continuation indent after the alignment point
_CONT_EM = 2.0
_NEST = r"\quad "  # further indent of the continuation lines inside a bracket
_NEST_EM = 1.0


def tex_escape(s: str) -> str:
    """Escape the characters of plain text that LaTeX treats specially."""
    out = []
    for ch in s:
        if ch in "&%$#_{}":
            out.append("\\" + ch)
        elif ch == "~":
            out.append(r"\textasciitilde{}")
        elif ch == "^":
            out.append(r"\textasciicircum{}")
        elif ch == "\\":
            out.append(r"\textbackslash{}")
        else:
            out.append(ch)
    return "".join(out)


def document(body: str, *, title: str | None = None, comment: str | None = None) -> str:
    """A complete, standalone document: :data:`PREAMBLE`, an optional unnumbered title, body."""
    head = "".join(f"% {line}\n" for line in (comment or "").splitlines())
    t = f"\\section*{{{title}}}\n" if title else ""
    return f"{head}{PREAMBLE}\\begin{{document}}\n{t}{body}\\end{{document}}\n"


# ----------------------------------------------------------------- width estimate
_TOKEN = re.compile(r"\\[A-Za-z]+\*?|\\.|[{}^_&]|\s+|[^\s]")
_SIZE = {"D": 1.0, "T": 1.0, "S": 0.7, "SS": 0.5}
_SMALLER = {"D": "S", "T": "S", "S": "SS", "SS": "SS"}
_FRAC_IN = {"D": "T", "T": "S", "S": "SS", "SS": "SS"}
_SPACES = {r"\quad": 1.0, r"\qquad": 2.0, r"\,": 0.167, r"\;": 0.278, r"\:": 0.222,
           r"\!": -0.167, r"\ ": 0.333, "~": 0.333}
_BIN = {"+": 0.78, "-": 0.78, r"\pm": 0.78, r"\cdot": 0.28, r"\times": 0.78, "*": 0.5}
_REL = {"=": 0.78, "<": 0.78, ">": 0.78, r"\geq": 0.78, r"\leq": 0.78, r"\approx": 0.78,
        r"\equiv": 0.78, r"\sim": 0.78, r"\to": 1.0, r"\neq": 0.78}
_SYMBOL = {r"\Phi": 0.72, r"\Psi": 0.78, r"\Delta": 0.83, r"\Gamma": 0.63, r"\Sigma": 0.72,
           r"\Omega": 0.72, r"\Lambda": 0.69, r"\Theta": 0.78, r"\Pi": 0.75, r"\infty": 1.0,
           r"\partial": 0.57, r"\star": 0.5, r"\prime": 0.28, r"\ell": 0.42, r"\pi": 0.57,
           r"\sum": 1.44, r"\prod": 1.28, r"\int": 0.56, r"\top": 0.78, r"\nabla": 0.83,
           r"\dots": 1.17, r"\ldots": 1.17, r"\cdots": 1.17, r"\imath": 0.35, r"\mu": 0.6,
           r"\iota": 0.35, r"\nu": 0.5, r"\xi": 0.47, r"\theta": 0.47, r"\rho": 0.52,
           r"\omega": 0.62, r"\psi": 0.65, r"\phi": 0.6, r"\varphi": 0.65, r"\kappa": 0.58,
           r"\lambda": 0.58, r"\sigma": 0.57, r"\tau": 0.44, r"\gamma": 0.52, r"\zeta": 0.44,
           r"\chi": 0.62, r"\eta": 0.5, r"\epsilon": 0.41, r"\varepsilon": 0.47,
           r"\alpha": 0.64, r"\beta": 0.57, r"\delta": 0.44}
_NAMED_OP = {r"\max", r"\min", r"\log", r"\exp", r"\sin", r"\cos", r"\tanh", r"\sinh",
             r"\cosh", r"\tan", r"\arctan", r"\sup", r"\inf", r"\det", r"\ln", r"\lim"}
_ACCENT = {r"\hat", r"\bar", r"\tilde", r"\vec", r"\dot", r"\ddot", r"\widehat", r"\widetilde",
           r"\overline", r"\mathbf", r"\boldsymbol", r"\mathit", r"\mathsf", r"\mathtt"}
_DELIM_SIZE = {r"\bigl": 0.45, r"\bigr": 0.45, r"\Bigl": 0.55, r"\Bigr": 0.55,
               r"\biggl": 0.62, r"\biggr": 0.62, r"\Biggl": 0.7, r"\Biggr": 0.7,
               r"\big": 0.45, r"\Big": 0.55, r"\bigg": 0.62, r"\Bigg": 0.7}


def _parse(s: str) -> list:
    """Nested token lists: ``{...}`` groups become sub-lists."""
    stack: list = [[]]
    for m in _TOKEN.finditer(s):
        t = m.group()
        if t.isspace():
            continue
        if t == "{":
            stack.append([])
        elif t == "}":
            if len(stack) > 1:
                g = stack.pop()
                stack[-1].append(g)
        else:
            stack[-1].append(t)
    while len(stack) > 1:
        g = stack.pop()
        stack[-1].append(g)
    return stack[0]


def _char_width(c: str) -> float:
    if c.isdigit():
        return 0.5
    if c.isalpha():
        if c.isupper():
            return 0.97 if c in "MNWH" else 0.8
        return 0.85 if c in "mw" else 0.55
    return {"(": 0.39, ")": 0.39, "[": 0.28, "]": 0.28, "|": 0.28, "/": 0.5, "!": 0.28,
            "'": 0.3, ".": 0.28, ";": 0.28, ":": 0.28, "?": 0.47}.get(c, 0.6)


def _text_width(items) -> float:
    """Upright text (\\text, \\mathrm, \\operatorname): about 0.5 em a character."""
    n = 0.0
    for it in items:
        if isinstance(it, list):
            n += _text_width(it)
        elif it.startswith("\\") and len(it) > 2:
            n += 0.6 if it not in (r"\_",) else 0.5
        elif it.startswith("\\"):
            n += 0.5
        elif it not in ("$",):
            n += 0.3 if it in ".,:;!'" else 0.5
    return n


def _measure(items: list, style: str = "D") -> tuple[float, int]:
    """(width in em at the size of ``style``, fraction depth) of a parsed token list."""
    size = _SIZE[style]
    spaced = style in ("D", "T")
    w = 0.0
    depth = 0
    prev = None  # kind of the previous atom: None (start), "op" (bin/rel/open/punct), "ord"
    i = 0
    last_script = None  # (kind, width) of the script just set, to overlap ^ and _
    n = len(items)

    def arg(j):
        """The argument starting at items[j] (a group or a single token) and the next index."""
        while j < n and items[j] in ("*",):
            j += 1
        if j >= n:
            return [], j
        it = items[j]
        return (it if isinstance(it, list) else [it]), j + 1

    while i < n:
        t = items[i]
        if isinstance(t, list):
            gw, gd = _measure(t, style)
            w += gw
            depth = max(depth, gd)
            prev = "ord"
            i += 1
            last_script = None
            continue
        if t in ("^", "_"):
            a, i = arg(i + 1)
            sw, sd = _measure(a, _SMALLER[style])
            if last_script is not None and last_script[0] != t:
                w += max(0.0, sw - last_script[1])  # sub and superscript stacked
                last_script = None
            else:
                w += sw
                last_script = (t, sw)
            continue
        last_script = None
        if t in (r"\frac", r"\dfrac", r"\tfrac", r"\binom"):
            inner = {r"\dfrac": "T", r"\tfrac": "S"}.get(t, _FRAC_IN[style])
            a, i = arg(i + 1)
            b, i = arg(i)
            (wa, da), (wb, db) = _measure(a, inner), _measure(b, inner)
            w += max(wa, wb) + 0.24 * size
            if t != r"\tfrac":
                depth = max(depth, 1 + max(da, db))
            prev = "ord"
            continue
        if t == r"\sqrt":
            j = i + 1
            if j < n and items[j] == "[":
                while j < n and items[j] != "]":
                    j += 1
                j += 1
            a, i = arg(j)
            wa, da = _measure(a, style)
            w += wa + 0.85 * size
            depth = max(depth, da)
            prev = "ord"
            continue
        if t == r"\left":
            j, level = i + 2, 1
            while j < n:
                if items[j] == r"\left":
                    level += 1
                elif items[j] == r"\right":
                    level -= 1
                    if level == 0:
                        break
                j += 1
            between = items[i + 2:j]
            iw, idp = _measure(between, style)
            dl = [items[i + 1] if i + 1 < n else ".", items[j + 1] if j + 1 < n else "."]
            dw = sum(0.12 if d == "." else (0.42, 0.62, 0.75)[min(idp, 2)] for d in dl)
            w += iw + dw * size
            depth = max(depth, idp)
            i = j + 2
            prev = "ord"
            continue
        if t == r"\right":  # unmatched
            i += 2
            w += 0.5 * size
            continue
        if t in _DELIM_SIZE:
            i += 2
            w += _DELIM_SIZE[t] * size
            prev = "op" if t.endswith("l") else "ord"
            continue
        if t in (r"\text", r"\mathrm", r"\operatorname", r"\textrm", r"\mathcal",
                 r"\mathbb", r"\mathfrak", r"\textit", r"\textbf"):
            a, i = arg(i + 1)
            if t in (r"\mathcal", r"\mathbb", r"\mathfrak"):
                w += 0.8 * len([x for x in a if not isinstance(x, list)]) * size
            else:
                w += _text_width(a) * size
            if t == r"\operatorname":
                w += 0.17 * size if spaced else 0.0
            prev = "ord"
            continue
        if t in _ACCENT:
            a, i = arg(i + 1)
            aw, ad = _measure(a, style)
            w += aw
            depth = max(depth, ad)
            prev = "ord"
            continue
        if t in (r"\resizebox", r"\fitmath", r"\scalebox"):
            _, i = arg(i + 1)
            if t == r"\resizebox":
                _, i = arg(i)
            a, i = arg(i)
            aw, ad = _measure(a, style)
            w += aw
            prev = "ord"
            continue
        if t in _SPACES:
            w += _SPACES[t] * size
            i += 1
            continue
        if t in _BIN:
            unary = prev in (None, "op")
            w += (_BIN[t] + (0.0 if unary or not spaced else 0.44)) * size
            prev = "op"
            i += 1
            continue
        if t in _REL:
            w += (_REL[t] + (0.56 if spaced else 0.0)) * size
            prev = "op"
            i += 1
            continue
        if t == ",":
            w += (0.28 + (0.17 if spaced else 0.0)) * size
            prev = "op"
            i += 1
            continue
        if t in ("(", "["):
            w += _char_width(t) * size
            prev = "op"
            i += 1
            continue
        if t == "&":
            i += 1
            continue
        if t in _NAMED_OP:
            w += (0.5 * (len(t) - 1) + 0.17) * size
            prev = "ord"
            i += 1
            continue
        if t.startswith("\\") and len(t) > 2:
            w += _SYMBOL.get(t, 0.6) * size
        elif t.startswith("\\"):
            w += 0.5 * size  # \_ \{ \| ...
        else:
            w += _char_width(t) * size
        prev = "ord"
        i += 1
    return w, depth


def width(tex: str, style: str = "D") -> float:
    """Estimated rendered width (em of the 10 pt font) of LaTeX math ``tex`` in display style."""
    return _SCALE * _measure(_parse(tex), style)[0]


#: calibration of the glyph sums against TeX's own widths of the terms of the shipped systems
#: (``\settowidth`` in display style: the raw sum is 0.83-1.02 of the real width, median 0.93)
_SCALE = 1.12


def frac_depth(tex: str) -> int:
    """How deeply fractions nest at display level in ``tex`` (0: none)."""
    return _measure(_parse(tex))[1]


# ----------------------------------------------------------------- breaking
class _Printer(LatexPrinter):
    """SymPy's LaTeX printer with the symbol names of a system."""


def _open_close(content: str, kind: str) -> tuple[str, str]:
    """Manually sized delimiters (``\\left``/``\\right`` cannot span lines)."""
    d = frac_depth(content)
    size = {0: "big", 1: "bigg"}.get(d, "Bigg")
    left, right = {"(": ("(", ")"), "[": ("[", "]")}[kind]
    return rf"\{size}l{left}", rf"\{size}r{right}"


class Breaker:
    """Breaks SymPy expressions into LaTeX lines that fit a width (see the module docstring)."""

    def __init__(self, symbol_names: dict | None = None):
        settings = {"symbol_names": dict(symbol_names)} if symbol_names else {}
        self.printer = _Printer(settings)

    def tex(self, expr) -> str:
        return self.printer.doprint(expr)

    # top level ----------------------------------------------------------------
    def lines(self, expr, first: float, cont: float) -> list[str]:
        """LaTeX lines of ``expr``: the first fitting ``first`` em, the others ``cont`` em."""
        if isinstance(expr, str):
            return [expr]
        s = self.tex(expr)
        if width(s) <= first:
            if self._pull_denominator(expr):
                return self._mul(expr, first, cont) or [s]
            return [s]
        try:
            out = self._break(expr, first, cont)
        except (TypeError, ValueError, AttributeError, IndexError):  # an expression the rules
            out = None  # do not know how to take apart is printed whole (documents scale it)
        return out if out else [s]

    def term_tex(self, expr) -> str:
        r"""One-line LaTeX of a term, a long fraction written ``\frac{a}{b} F`` (see below)."""
        if self._pull_denominator(expr):
            out = self._mul(expr, float("inf"), float("inf"))
            if out and len(out) == 1:
                return out[0]
        return self.tex(expr)

    def _pull_denominator(self, expr) -> bool:
        r"""A fraction whose numerator holds a long breakable factor (an expectation, a sum) and
        nested fractions or 15 em of material reads better as ``\frac{a}{b} F``."""
        if not isinstance(expr, sp.Mul):
            return False
        num, den = sp.fraction(expr, exact=True)
        if den == 1:
            return False
        tn = self.tex(num)
        if frac_depth(tn) < 1 and width(tn) < 15:
            return False
        return any(_breakable(f) and width(self.tex(f)) > 6 for f in sp.Mul.make_args(num))

    def _break(self, expr, first, cont) -> list[str] | None:
        if isinstance(expr, sp.Add):
            return self._add(expr, first, cont)
        if isinstance(expr, sp.Mul):
            return self._mul(expr, first, cont)
        return self._factor(expr, first, cont)

    def _add(self, expr, first, cont) -> list[str]:
        terms = self.printer._as_ordered_terms(expr, order=None)
        pieces = []
        for k, term in enumerate(terms):
            neg = term.could_extract_minus_sign() and _neg_prints(self, term)
            body = -term if neg else term
            op = "- " if neg else ("+ " if k else "")
            pieces.append((op, body))
        out: list[str] = []
        cur = ""
        for op, body in pieces:
            room = first if not out else cont
            tb = self.term_tex(body)
            if isinstance(body, sp.Add):
                tb = rf"\left({tb}\right)"
            piece = op + tb
            if width(cur + " " + piece) <= room:
                cur = (cur + " " + piece).strip()
                continue
            if cur:
                out.append(cur)
                cur = ""
                room = cont
            if out or cur:  # a continuation line: its operator is binary after ``{}``
                piece = _binary_start(piece)
            if width(piece) <= room:
                cur = piece
                continue
            lead = _binary_start(op) if (out or cur) and op else op
            sub = self._break(body, room - width(lead or "{}"), cont - width("{}+")) or [tb]
            sub = [lead + sub[0], *sub[1:]]
            out.extend(sub[:-1])
            cur = sub[-1]
        if cur:
            out.append(cur)
        return [_binary_start(x) if k else x for k, x in enumerate(out)]

    def _mul(self, expr, first, cont) -> list[str] | None:
        if expr.could_extract_minus_sign() and _neg_prints(self, expr):
            sub = self._break(-expr, first - 0.8, cont)
            return None if sub is None else ["- " + sub[0], *sub[1:]]
        num, den = sp.fraction(expr, exact=True)
        if den != 1 and width(self.tex(den)) > 0.5 * cont and _breakable(den):
            return self._over(num, den, first, cont)
        factors = list(num.as_ordered_factors()) if isinstance(num, sp.Mul) else [num]
        texs = [self.tex(f) for f in factors]
        # short plain factors go in front (over the denominator); the others follow in order
        simple = [k for k, t in enumerate(texs)
                  if width(t) <= 4 and frac_depth(t) == 0 and not isinstance(factors[k], sp.Add)]
        rest = [k for k in range(len(factors)) if k not in simple]
        # the factors that fit a line come before the one(s) that must be broken
        rest.sort(key=lambda k: width(texs[k]) > 0.3 * cont and _breakable(factors[k]))
        if not rest or (den == 1 and not any(_breakable(factors[k]) for k in rest)):
            return None
        s = self.tex(sp.Mul(*[factors[k] for k in simple], evaluate=False)) if simple else ""
        prefix = rf"\frac{{{s or '1'}}}{{{self.tex(den)}}}" if den != 1 else s
        out: list[str] = []
        cur = prefix
        for k in rest:
            f = factors[k]
            tf = texs[k]
            if isinstance(f, sp.Add):
                tf = rf"\left({tf}\right)"
            room = (first if not out else cont) - width(cur) - 0.3
            if width(tf) <= room:
                cur = (cur + " " + tf).strip()
                continue
            if cur and room < 0.4 * cont:
                out.append(cur)
                cur = ""
                room = cont
            sub = self._factor(f, room, cont)
            if sub is None:
                sub = [tf]
            elif isinstance(f, sp.Add) and len(sub) == 1:
                sub = [rf"\left({sub[0]}\right)"]
            sub[0] = (cur + " " + sub[0]).strip()
            out.extend(sub[:-1])
            cur = sub[-1]
        if cur:
            out.append(cur)
        return out

    def _over(self, num, den, first, cont) -> list[str]:
        r"""A fraction with a long denominator: ``(num)`` then ``\Big/ (den)`` lines."""
        top = self._factor(num, first, cont) if isinstance(num, sp.Add) else None
        top = top or [self.tex(num)]
        if isinstance(num, sp.Add) and len(top) == 1:
            top = [rf"\left({top[0]}\right)"]
        bottom = self._factor(den, cont - 1.2, cont) if not isinstance(den, sp.Add) else (
            self._wrapped("", den, "(", "", cont - 1.2, cont))
        bottom = bottom or [self.tex(den)]
        if isinstance(den, (sp.Add, sp.Mul)) and len(bottom) == 1:
            bottom = [rf"\left({bottom[0]}\right)"]
        return [*top, r"\Big/ " + bottom[0], *bottom[1:]]

    def _factor(self, f, first, cont) -> list[str] | None:
        """Break one factor with its own delimiters; None if it cannot be broken."""
        from .expectation import Expectation

        tf = self.tex(f)
        if width(tf) <= first:
            return [tf]
        if isinstance(f, sp.Add):
            return self._wrapped("", f, "(", "", first, cont)
        if isinstance(f, sp.Pow) and f.exp.is_positive and isinstance(f.base, (sp.Add,
                                                                             sp.Mul)):
            exp = self.tex(f.exp)
            return self._wrapped("", f.base, "(", f"^{{{exp}}}", first, cont)
        if isinstance(f, sp.exp):  # e^{long} -> \exp\bigl(long\bigr)
            return self._wrapped(r"\exp", f.args[0], "(", "", first, cont)
        if isinstance(f, Expectation):
            sub = ", ".join(self.tex(v) for v in f.variables)
            return self._wrapped(rf"\mathbb{{E}}_{{{sub}}}", f.integrand, "[", "", first, cont)
        if isinstance(f, sp.Mul):
            return self._mul(f, first, cont)
        if isinstance(f, (sp.Function, sp.Max, sp.Min)) and f.args:
            return self._function(f, first, cont)
        return None

    def _wrapped(self, head, inner, kind, tail, first, cont) -> list[str]:
        it = self.tex(inner)
        lo, rc = _open_close(it, kind)
        pad = width(head + lo) + 0.3
        inner_cont = cont - _NEST_EM - 0.6 - width(rc + tail)
        sub = self.lines(inner, first - pad, inner_cont)
        if len(sub) == 1 and isinstance(inner, sp.Add):
            sub = self._add(inner, first - pad, inner_cont)
        lo, rc = _open_close(" ".join(sub), kind)
        out = [head + lo + " " + sub[0], *(_NEST + x for x in sub[1:])]
        out[-1] = out[-1] + " " + rc + tail
        return out

    def _function(self, f, first, cont) -> list[str] | None:
        """``head(arg, arg, ...)`` broken at the commas and inside its arguments."""
        marks = [sp.Symbol(f"ZZMARK{k}ZZ") for k in range(len(f.args))]
        try:
            skel = self.tex(f.func(*marks, evaluate=False))
        except Exception:
            try:
                skel = self.tex(f.func(*marks))
            except Exception:
                return None
        names = [self.tex(m) for m in marks]
        pos = [skel.find(nm) for nm in names]
        shown = [k for k, p in enumerate(pos) if p >= 0]
        if not shown or sorted(pos[k] for k in shown) != [pos[k] for k in shown]:
            return None
        k0, k1 = shown[0], shown[-1]
        head = skel[:pos[k0]]
        tail = skel[pos[k1] + len(names[k1]):]
        seps = [skel[pos[a] + len(names[a]):pos[b]] for a, b in zip(shown, shown[1:])]
        if not head.endswith(r"\left(") or not tail.startswith(r"\right)"):
            return None
        head, tail = head[: -len(r"\left(")], tail[len(r"\right)"):]
        args = [f.args[k] for k in shown]
        lo, rc = _open_close(self.tex(f), "(")
        inner_cont = cont - _NEST_EM
        out: list[str] = []
        cur = head + lo
        for j, a in enumerate(args):
            sep = seps[j].strip() + " " if j < len(seps) else ""
            ta = self.tex(a)
            room = first if not out else inner_cont
            end = (" " + rc + tail) if j == len(args) - 1 else sep
            if width(cur + " " + ta + end) <= room:
                cur = cur + " " + ta + end
                continue
            if room - width(cur) < 0.4 * inner_cont:
                out.append(cur)
                cur = ""
                room = inner_cont
            sub = self.lines(a, room - width(cur + end) - 0.3, inner_cont - 0.8)
            sub[0] = (cur + " " + sub[0]).strip()
            sub[-1] = sub[-1] + end
            out.extend(sub[:-1])
            cur = sub[-1]
        out.append(cur)
        return [out[0], *(_NEST + x for x in out[1:])]


def _neg_prints(br: Breaker, term) -> bool:
    """True if SymPy prints ``term`` with a leading minus (so we print ``-`` and ``-term``)."""
    return br.tex(term).lstrip().startswith("-")


def _breakable(f) -> bool:
    from .expectation import Expectation

    if isinstance(f, (sp.Add, Expectation)):
        return True
    if isinstance(f, sp.Mul):
        return any(_breakable(a) for a in f.args)
    if isinstance(f, sp.Pow):
        return isinstance(f.base, (sp.Add, sp.Mul)) and f.exp.is_positive is True
    if isinstance(f, (sp.Function, sp.Max, sp.Min)):
        return any(not a.is_Atom for a in f.args)
    return False


def _binary_start(line: str) -> str:
    """A continuation line starting with + or - keeps binary spacing after ``\\qquad``."""
    s = line.lstrip()
    return "{}" + s if s[:1] in "+-" else s


def break_expr(expr, first: float, cont: float, symbol_names: dict | None = None) -> list[str]:
    """LaTeX lines of ``expr``: the first at most ``first`` em wide, the others ``cont`` em."""
    return Breaker(symbol_names).lines(expr, first, cont)


# ----------------------------------------------------------------- alignment blocks
def align_block(rows: Sequence, *, room: float, symbol_names: dict | None = None,
                fit: bool = True, rel: str = "=") -> list[str]:
    r"""Rows ``(lhs, rhs)`` as ``aligned``/``align*`` lines, long right-hand sides broken.

    ``lhs`` is LaTeX (or a SymPy expression); ``rhs`` a SymPy expression (broken to fit) or a
    LaTeX string (kept whole). ``room`` is the width (em) of the whole block. A row ``(None,
    text)`` is a LaTeX line kept as it is. With ``fit``, a line still estimated wider than its
    room is wrapped in ``\fitmath`` (needs :data:`PREAMBLE`).
    Returns the lines, to be joined with ``\\``.
    """
    br = Breaker(symbol_names)
    lhs_tex = [(br.tex(lhs) if not isinstance(lhs, str) else lhs) if lhs is not None else None
               for lhs, _ in rows]
    lw = max((width(t) for t in lhs_tex if t is not None), default=0.0)
    relw = width(rel) + 0.56
    first = room - lw - relw - 0.2
    cont = room - lw - _CONT_EM - 0.2
    out = []
    for lt, (_, rhs) in zip(lhs_tex, rows):
        if lt is None:
            out.append(rhs)
            continue
        parts = br.lines(rhs, first, cont)
        for k, p in enumerate(parts):
            r = first if k == 0 else cont
            if fit and width(p) > r:
                p = rf"\fitmath{{{r:.1f}em}}{{{p}}}"
            out.append(f"{lt} &{rel} {p}" if k == 0 else f"&{_CONT}{p}")
    return out


def pack_list(items: Sequence[str], room: float, sep: str = r",\quad ") -> list[str]:
    """Greedy packing of short LaTeX items (constraints, ...) into lines of ``room`` em."""
    out, cur = [], ""
    for it in items:
        cand = cur + sep + it if cur else it
        if cur and width(cand) > room:
            out.append(cur + ",")
            cur = it
        else:
            cur = cand
    if cur:
        out.append(cur)
    return out


def grid_block(rows: Sequence, *, room: float, symbol_names: dict | None = None,
               max_columns: int = 3) -> list[str]:
    """Short rows ``(lhs, rhs)`` side by side, ``max_columns`` equations a line at most (an
    ``align*`` with several column pairs, filled row by row); rows too long for two columns
    fall back to :func:`align_block`."""
    br = Breaker(symbol_names)
    cells = [((br.tex(lhs) if not isinstance(lhs, str) else lhs),
              (br.tex(rhs) if not isinstance(rhs, str) else rhs)) for lhs, rhs in rows]
    lw = max((width(a) for a, _ in cells), default=0.0)
    rw = max((width(b) for _, b in cells), default=0.0)
    cell = lw + rw + width("=") + 0.56 + 2.0  # plus the space between column pairs
    ncol = min(max_columns, len(cells), int(room // cell)) if cell > 0 else 1
    if ncol < 2:
        return align_block(rows, room=room, symbol_names=symbol_names)
    nrow = -(-len(cells) // ncol)
    out = []
    for i in range(nrow):
        line = [cells[i + j * nrow] for j in range(ncol) if i + j * nrow < len(cells)]
        out.append(" & ".join(f"{a} &= {b}" for a, b in line))
    return out
