"""The ``theory`` command line. Every command has ``--json`` for machines; bad input exits with
code 2 and one line on stderr that names the parameter, the value and the allowed range."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

from .errors import ConvergenceError, TheoryError

__all__ = ["main"]

#: a token that starts with a single '-' is a value, never an option (theory's options all
#: start with '--', and -h is matched before this): ``--kappa -1.7,0.5``, ``--c -2`` (then
#: refused by its own check, c > 0), ``-2*x``, ``theory hermite -x``, ``theory leap '-z1*z2'``
_VALUE_LIKE = re.compile(r"^-(?!-)")


class _Formatter(argparse.HelpFormatter):
    """Help lines end with the default, when there is one worth stating."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("%(default)" in text or action.default in (None, False, argparse.SUPPRESS)
                or action.nargs == 0):
            return text
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        # argparse takes '-1.7,0.5' (not a plain negative number) for an unknown option: every
        # token of the form -<not a dash>... is a value here (no option of theory looks so)
        self._negative_number_matcher = _VALUE_LIKE

    def error(self, message):  # one clear line, exit code 2
        sys.stderr.write(f"theory: error: {message}\n")
        raise SystemExit(2)


class _Decimal(float):
    """A float that remembers the decimal text it was read from (for ``--dps``)."""

    text: str

    def __new__(cls, text: str):
        obj = super().__new__(cls, text)
        obj.text = text.strip()
        return obj


def _floats(text: str, name: str) -> list[float]:
    import math

    out = []
    for part in text.split(","):
        part = part.strip()
        try:
            v = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name}={text!r}: {part!r} is not a number (give a comma-separated list)"
            ) from None
        if not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"{name}={text!r}: values must be finite")
        out.append(v)
    return out


def _cmd_hermite(a) -> int:
    from .numeric.hermite import hermite_expansion

    h = hermite_expansion(a.activation, a.kmax, dps=a.dps)
    if a.json:
        print(json.dumps(h.to_dict()))
    elif a.latex:
        print(h.latex())
    else:
        print(h)
        print(f"  E sigma^2 = {h.to_dict()['E_sigma2']}")
        ie = h.information_exponent()
        print(f"  information exponent = {ie if ie is not None else f'> {a.kmax}'}")
        if h.dps is None:
            print(f"  error estimate {h.error:.2g} with {h.nodes} nodes")
    return 0


def _cmd_conditional(a) -> int:
    import sympy as sp

    from .numeric.conditional import conditional_coefficients
    from .symbolic.conditional import conditional_closed_forms, conditional_definitions

    if a.latex:
        forms = conditional_closed_forms(a.activation)
        src = forms if forms is not None else conditional_definitions(a.activation)
        names = {"mu0": r"\mu_0(\kappa)", "mu1": r"\mu_1(\kappa)", "E_sigma2":
                 r"\mathbb{E}_\xi\,\sigma(\kappa+\sqrt{c}\,\xi)^2", "mu_star": r"\mu_\star(\kappa)"}
        lines = [f"{names[k]} &= {sp.latex(v)}" for k, v in src.items() if v is not None]
        print("\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}")
        return 0
    kappa = a.kappa if a.dps is None else [t.strip() for t in a.kappa_text.split(",")]
    c = float(a.c) if a.dps is None else getattr(a.c, "text", a.c)  # decimal text at --dps
    r = conditional_coefficients(a.activation, kappa, c, dps=a.dps)
    print(json.dumps(r.to_dict()) if a.json else r)
    return 0


def _cmd_leap(a) -> int:
    from .numeric.multiindex import analyze_target

    info = analyze_target(a.expression)
    if a.json:
        print(json.dumps(info))
    else:
        print(f"target      : {a.expression}")
        print(f"variables   : {', '.join(info['variables'])}")
        print(f"leap index  : {info['leap']}  (rotation invariant: subspace staircase)")
        print(f"information exponent : {info['information_exponent']}")
        for i, step in enumerate(info.get("staircase", [])):
            print(f"  step {i + 1}    : {step}")
        print(f"coordinate leap : {info['coordinate_leap']}  (in the coordinates typed; "
              "changes under rotations)")
        if info.get("note"):
            print(f"note        : {info['note']}")
    return 0


def _cmd_activations(a) -> int:
    from .symbolic.activations import FAMILIES, REGISTRY

    rows = [{"name": n, "expression": str(v.expr), "kinks": [str(b) for b in v.breakpoints],
             "description": v.description} for n, v in REGISTRY.items()]
    if a.json:
        print(json.dumps({"activations": rows, "families": {k: d for k, (_, d) in FAMILIES.items()}}))
        return 0
    for r in rows:
        kinks = f"  kinks at {', '.join(r['kinks'])}" if r["kinks"] else ""
        print(f"{r['name']:<12s} {r['expression']:<40s}{kinks}")
    for k, (_, d) in FAMILIES.items():
        print(f"{k + ':PARAM':<12s} {d}")
    print("or any expression in x, e.g. 'tanh(2*x) + 0.1*x^3'")
    return 0


def _cmd_demo(a) -> int:
    from .demo import run_demo

    run_demo(a.out)
    return 0


def _build() -> argparse.ArgumentParser:
    p = _Parser(prog="theory", description="Theory of feature learning: Hermite expansions, "
                "conditional coefficients, multi-index targets, saddle-point models.",
                epilog="Exit codes: 0 success, 1 a solve or a curve point did not converge "
                "(the others are kept), 2 bad input (one line naming the parameter), "
                "3 an internal error (set THEORY_DEBUG=1 for the traceback), 130 interrupted. "
                "Negative numbers and lists are values: --kappa -1.7,0.5.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser,
                           metavar="COMMAND")

    def int_type(name, lo, hi, why=""):
        def parse(text):
            try:
                v = int(text)
            except ValueError:
                v = None
            if v is None or not lo <= v <= hi:
                raise argparse.ArgumentTypeError(f"{name}={text!r} must be an integer in [{lo}, {hi}]{why}")
            return v

        return parse

    kmax_type = int_type("kmax", 0, 200)
    dps_type = int_type("dps", 15, 10_000, " (float64 already gives 15 digits)")

    def c_type(s):
        try:
            v = float(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"c={s!r} must be a real number > 0") from None
        if not v > 0 or v == float("inf"):
            raise argparse.ArgumentTypeError(f"c={s!r} must be a finite real number > 0 (a variance)")
        return _Decimal(s)

    def add_format(parser, latex: str | None):
        g = parser.add_mutually_exclusive_group()
        g.add_argument("--json", action="store_true", help="print JSON (for machines)")
        if latex:
            g.add_argument("--latex", action="store_true", help=latex)

    h = sub.add_parser("hermite", help="Hermite coefficients mu_0..mu_K and mu_star",
                       description="Hermite coefficients mu_k = E[sigma(z) He_k(z)] of an "
                       "activation, k = 0..kmax, and mu_star (theory.conventions).")
    h.add_argument("activation", help="registry name (see `theory activations`) or an "
                   "expression in x, e.g. 'tanh(2*x)'")
    h.add_argument("--kmax", type=kmax_type, default=10, metavar="K",
                   help="largest degree k, an integer in [0, 200]")
    h.add_argument("--dps", type=dps_type, default=None, metavar="DIGITS",
                   help="decimal digits in [15, 10000] (mpmath); default: float64")
    add_format(h, "print the exact coefficients as LaTeX")
    h.set_defaults(func=_cmd_hermite)

    c = sub.add_parser("conditional", help="conditional coefficients mu0(k), mu1(k), mu_star(k)",
                       description="Conditional coefficients at shift kappa and variance c: "
                       "mu0 = E sigma(kappa + sqrt(c) xi), mu1 = E sigma'(kappa + sqrt(c) xi), "
                       "mu_star (theory.conventions).")
    c.add_argument("activation", help="registry name or an expression in x")
    c.add_argument("--kappa", dest="kappa_text", default="0", metavar="K1,K2,...",
                   help="comma-separated shifts kappa (finite reals; negative values allowed: "
                   "--kappa -1.7,0.5)")
    c.add_argument("--c", type=c_type, default=1.0, metavar="C",
                   help="variance c, a finite real > 0")
    c.add_argument("--dps", type=dps_type, default=None, metavar="DIGITS",
                   help="decimal digits in [15, 10000] (mpmath; kappa is then read as decimal "
                   "text); default: float64")
    add_format(c, "print the closed forms (or definitions) as LaTeX")
    c.set_defaults(func=_cmd_conditional)

    lp = sub.add_parser("leap", help="leap index and information exponent of a target g(z1..zr)")
    lp.add_argument("expression", help="a polynomial target in z1, z2, ..., e.g. "
                    "'z1 + z1*z2 + z1*z2*z3'")
    lp.add_argument("--json", action="store_true", help="print JSON (for machines)")
    lp.set_defaults(func=_cmd_leap)

    ac = sub.add_parser("activations", help="list the activation registry")
    ac.add_argument("--json", action="store_true", help="print JSON (for machines)")
    ac.set_defaults(func=_cmd_activations)

    d = sub.add_parser("demo", help="the default end-to-end run: tables, LaTeX and a plot")
    d.add_argument("--out", default="theory-demo", metavar="FOLDER",
                   help="output folder (created if missing)")
    d.set_defaults(func=_cmd_demo)

    from .cli_models import add_model_commands

    add_model_commands(sub, int_type, dps_type)
    from .cli_laws import add_law_commands

    add_law_commands(sub, int_type, dps_type)
    from .cli_sweep import add_sweep_command  # theory sweep (and theory compare)

    add_sweep_command(sub)
    return p


def _repeated_option(argv: list[str]) -> str | None:
    """The first option given twice (argparse keeps the last one silently)."""
    seen = set()
    for tok in argv:
        if tok == "--":
            break
        if tok.startswith("--") and len(tok) > 2:
            name = tok.split("=", 1)[0]
            if name in seen and name not in ("--help",):
                return name
            seen.add(name)
    return None


def _options_as_params(extra: list) -> list:
    """Model parameters may also be given as options: ``--alpha 2`` or ``--alpha=2`` is
    ``alpha=2`` (only tokens argparse did not recognise, i.e. no option of theory's own)."""
    out, i = [], 0
    while i < len(extra):
        tok = extra[i]
        key = tok[2:].split("=", 1)[0] if tok.startswith("--") else ""
        if key.isidentifier():
            if "=" in tok:
                out.append(tok[2:])
            elif i + 1 < len(extra) and not extra[i + 1].startswith("--"):
                out.append(f"{key}={extra[i + 1]}")
                i += 1
            else:
                out.append(tok)  # refused below, as before
        else:
            out.append(tok)
        i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0, 1 not converged, 2 bad input).

    Errors never escape as a traceback: bad input (:class:`~theory.errors.TheoryError`) prints
    one line on stderr naming the parameter, the value and the allowed range; a strict solve
    that does not converge prints the failed check.

    Parameters
    ----------
    argv : list of str or None, optional
        The arguments after the program name (``["solve", "rf_ridge", "psi1=2"]``); None reads
        ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit code: 0 success, 1 not converged (a failed check), 2 bad input, 3 internal
        error (a bug), 130 interrupted by Ctrl-C.

    Examples
    --------
    >>> main(["models"]) == 0  # doctest: +SKIP
    True
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _build()
    args, extra = parser.parse_known_args(argv)
    # KEY=VALUE parameters may come after options (theory curve M --vary a=1:2:3 gamma=0.5)
    if extra and hasattr(args, "params"):
        extra = _options_as_params(extra)
    if extra:
        if hasattr(args, "params") and all("=" in e and not e.startswith("-") for e in extra):
            args.params = list(args.params) + extra
        else:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    twice = _repeated_option(argv)
    if twice:
        parser.error(f"option {twice} given twice: give it once")
    if getattr(args, "command", None) == "conditional":
        try:
            args.kappa = _floats(args.kappa_text, "kappa")
        except argparse.ArgumentTypeError as exc:
            parser.error(str(exc))
    try:
        return args.func(args)
    except ConvergenceError as exc:  # strict solve: not bad input, a failed check
        sys.stderr.write(f"theory: not converged: {_one_line(exc)}\n")
        return 1
    except TheoryError as exc:
        sys.stderr.write(f"theory: error: {_one_line(exc)}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("\ntheory: interrupted\n")
        return 130
    except BrokenPipeError:  # pragma: no cover
        return 0
    except Exception as exc:  # a bug, not the user's input: still one line, no traceback
        if os.environ.get("THEORY_DEBUG"):
            raise
        sys.stderr.write(f"theory: internal error: {type(exc).__name__}: {_one_line(exc)} "
                         "(a bug: please report it; THEORY_DEBUG=1 shows the traceback)\n")
        return 3


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
