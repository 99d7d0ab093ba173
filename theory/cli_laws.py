"""``theory threshold`` and ``theory exponent``: the laws layer from the command line.

``theory threshold MODEL --vary P=A:B --observable NAME [--value V] [--kind K] [KEY=VALUE ...]
[--dps D] [--json]`` finds a threshold of a registered model (:func:`theory.laws.find_threshold`);
``theory exponent LAW --in n [KEY=VALUE ...] [--dps D] [--json]`` verifies the exponent of a
registered law or of an expression in the variable (:func:`theory.laws.verify_exponent`);
``theory classic NAME [KEY=VALUE ...] [--dps D] [--json]`` prints a classic threshold of
:mod:`theory.laws.classic` / :mod:`theory.numeric.rmt` (weak recovery of a Bayes-optimal GLM, the
Gardner capacity, Candès–Sur, Moniri–Hassani, BBP for spiked covariance and spiked Wigner).
Bad input (a bracket without a sign change, a law that is not monotone, an unknown law) is one
line on stderr and exit code 2 (:func:`theory.cli.main`). Imports are lazy: ``theory --help``
loads neither SymPy nor mpmath.
"""

from __future__ import annotations

import json
import math

from .errors import InputError

__all__ = ["add_law_commands", "CLASSIC"]

#: ``theory classic`` targets: name -> (parameters with defaults (decimal text), what it prints)
CLASSIC = {
    "weak_recovery": ({"channel": "abs", "Delta": "0"},
                      "alpha_WR = 1/E_y[(E[z^2|y] - 1)^2] of a Bayes-optimal GLM (0 when "
                      "E[z|y] != 0)"),
    "gardner": ({"kappa": "0"}, "Gardner capacity alpha_c(kappa) = 1/int_{-kappa} Dt (t+kappa)^2"),
    "candes_sur": ({"gamma": "1"}, "h(gamma) = min_t E[(t Y V - Z)_+^2]: the logistic MLE exists "
                   "iff p/n < h(gamma)"),
    "candes_sur_gamma": ({"kappa": "0.3"}, "the gamma with h(gamma) = kappa (the boundary curve)"),
    "moniri_hassani": ({"alpha1": "0.35", "alpha2": "0.3"},
                       "number of outliers floor(alpha2/(1/2 - alpha1)), exact rationals"),
    "bbp": ({"gamma": "0.5", "theta": "1"}, "spiked covariance: threshold, outlier, overlap"),
    "wigner_bbp": ({"var": "1", "theta": "2"}, "spiked Wigner: threshold, outlier, overlap"),
}


def _vary(text: str) -> tuple:
    """``P=A:B`` -> (P, A, B) with finite A < B."""
    if "=" not in text or ":" not in text:
        raise InputError("--vary", text, "NAME=LO:HI, e.g. alpha=0.3:0.8")
    name, rng = (t.strip() for t in text.split("=", 1))
    parts = rng.split(":")
    try:
        lo, hi = (float(v) for v in parts)
    except ValueError:
        raise InputError("--vary", text, "NAME=LO:HI with two finite numbers LO < HI") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi) or not name.isidentifier():
        raise InputError("--vary", text, "NAME=LO:HI with two finite numbers LO < HI")
    return name, lo, hi


def _init(text: str | None) -> dict | None:
    if text is None:
        return None
    out = {}
    for item in text.split(","):
        if "=" not in item:
            raise InputError("--init", text, "NAME=VALUE[,NAME=VALUE...]")
        k, v = (t.strip() for t in item.split("=", 1))
        try:
            out[k] = float(v)
        except ValueError:
            raise InputError("--init", text, "NAME=VALUE with a number VALUE") from None
    return out


def _cmd_threshold(a) -> int:
    from .cli_models import _parse_kv
    from .laws.threshold import find_threshold
    from .models import get_model

    model = get_model(a.model)
    name, lo, hi = _vary(a.vary)
    params = _parse_kv(model, a.params, exact=True)
    if name in params:
        raise InputError(name, params[name], "not given as KEY=VALUE: it is varied by --vary")
    if a.kind == "crossing" and a.observable is None:
        raise InputError("--observable", None, "the observable that crosses --value "
                         "(kind crossing)")
    res = find_threshold(a.model, vary=name, bracket=(lo, hi), kind=a.kind,
                         observable=a.observable, value=a.value,
                         dps=None if a.float64 else a.dps, params=params, init=_init(a.init),
                         points=a.points)
    print(json.dumps(res.to_dict()) if a.json else res)
    return 0


def _law_params(items: list) -> dict:
    out: dict = {}
    for it in items:
        if "=" not in it:
            raise InputError("parameter", it, "KEY=VALUE")
        k, v = (t.strip() for t in it.split("=", 1))
        if not k.isidentifier() or k in out:
            raise InputError("parameter", it, "KEY=VALUE with a name given once")
        try:
            x = float(v)
        except ValueError:
            raise InputError(k, v, "a real number") from None
        if not math.isfinite(x):
            raise InputError(k, v, "a finite real number")
        out[k] = v
    return out


def _cmd_exponent(a) -> int:
    from .laws.exponent import as_law, verify_exponent
    from .laws.law import LAWS, get_law, law_names

    params = _law_params(a.params)
    if a.law in law_names():
        law = get_law(a.law, **{k: float(v) for k, v in params.items()})
    else:
        from .symbolic.parse import parse_expression

        if a.law.isidentifier() and a.law != a.var and a.law not in params:
            raise InputError("law", a.law, "a registered law (" + ", ".join(sorted(LAWS)) +
                             f") or an expression in {a.var}")
        expr = parse_expression(a.law, (a.var, *params), stable=False)
        law = as_law(expr, var=a.var, params=params)
    res = verify_exponent(law, dps=a.dps, tol=a.tol, x0=a.x0, ratio=a.ratio, terms=a.terms)
    print(json.dumps(res.to_dict()) if a.json else res)
    if not res.reliable:  # a failed check, not bad input: exit 1 with the reason
        import sys

        sys.stderr.write(f"theory: exponent not certified to tol {a.tol:.0e}: "
                         f"{' '.join(res.message.split())}\n")
        return 1
    return 0


def _cmd_classic(a) -> int:
    from .laws import classic
    from .numeric import rmt

    if a.name not in CLASSIC:
        raise InputError("name", a.name, "one of " + ", ".join(CLASSIC))
    defaults, what = CLASSIC[a.name]
    given = {}
    for it in a.params:
        if "=" not in it:
            raise InputError("parameter", it, "KEY=VALUE")
        k, v = (t.strip() for t in it.split("=", 1))
        if k not in defaults:
            raise InputError("parameter", k, f"a parameter of {a.name}: one of "
                             + ", ".join(defaults))
        if k in given:
            raise InputError("parameter", it, "each KEY given once")
        given[k] = v
    p = {**defaults, **given}
    dps = None if a.float64 else a.dps
    out: dict = {}
    if a.name == "weak_recovery":
        r = classic.glm_weak_recovery(p["channel"], Delta=p["Delta"], dps=dps)
        out = {"alpha": r.alpha, "formula": r.formula, "linear": r.linear,
               "quadratic": r.quadratic, "reason": r.reason}
    elif a.name == "gardner":
        out = {"alpha_c": classic.gardner_capacity(p["kappa"], dps=dps)}
    elif a.name == "candes_sur":
        out = {"h": classic.candes_sur_h(p["gamma"], dps=dps)}
    elif a.name == "candes_sur_gamma":
        out = {"gamma": classic.candes_sur_gamma(p["kappa"], dps=dps)}
    elif a.name == "moniri_hassani":
        out = {"outliers": classic.moniri_hassani_outliers(p["alpha1"], p["alpha2"])}
    elif a.name == "bbp":
        d = a.dps
        out = {"threshold": rmt.bbp_threshold_mp(p["gamma"], dps=d),
               "outlier": rmt.bbp_outlier_mp(p["theta"], p["gamma"], dps=d),
               "overlap": rmt.bbp_overlap_mp(p["theta"], p["gamma"], dps=d)}
    else:
        d = a.dps
        out = {"threshold": rmt.wigner_bbp_threshold_mp(p["var"], dps=d),
               "outlier": rmt.wigner_bbp_outlier_mp(p["theta"], p["var"], dps=d),
               "overlap": rmt.wigner_bbp_overlap_mp(p["theta"], p["var"], dps=d)}

    digits = 17 if dps is None and a.name not in ("bbp", "wigner_bbp") else a.dps

    def text(v):
        if isinstance(v, (str, int)):
            return str(v)
        import mpmath

        return mpmath.nstr(v, digits)

    if a.json:
        print(json.dumps({"name": a.name, "parameters": p, "dps": dps,
                          **{k: text(v) for k, v in out.items()}}))
    else:
        print(f"{a.name} ({', '.join(f'{k}={v}' for k, v in p.items())}): {what}")
        for k, v in out.items():
            print(f"  {k:<10} {text(v)}")
    return 0


def add_law_commands(sub, int_type, dps_type) -> None:
    """Add ``threshold`` and ``exponent`` to the ``theory`` subcommands.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subcommands of :func:`theory.cli.main`'s parser.
    int_type : callable
        ``int_type(name, lo, hi)`` -> an argparse type for a bounded integer.
    dps_type : callable
        The argparse type of ``--dps``.
    """
    t = sub.add_parser("threshold", help="a threshold of a model, refined at --dps digits",
                       description="Bracket a threshold of a model in float64 along --vary, "
                       "then refine it with mpmath, the fixed point solved jointly; print the "
                       "certified digits (two precisions agree) and the time. Kinds: crossing "
                       "(--observable crosses --value), stability (det(I - J) of the fixed "
                       "point followed from --init vanishes), jump (that branch disappears), "
                       "zero (--observable vanishes).")
    t.add_argument("model", help="a model name (`theory models`)")
    t.add_argument("params", nargs="*", metavar="KEY=VALUE", help="fixed model parameters")
    t.add_argument("--vary", required=True, metavar="NAME=LO:HI",
                   help="the parameter varied and the float64 bracket (required)")
    t.add_argument("--kind", choices=("crossing", "stability", "jump", "zero"),
                   default="crossing", help="the defining condition")
    t.add_argument("--observable", default=None, metavar="NAME",
                   help="for crossing/zero: an observable, step or order parameter")
    t.add_argument("--value", default="0", metavar="V",
                   help="the value crossed (decimal text, read exactly)")
    t.add_argument("--init", default=None, metavar="NAME=V,...",
                   help="the start of the fixed point followed, e.g. q=0 (default: the "
                   "model's first start)")
    t.add_argument("--points", type=int_type("points", 3, 10000), default=21,
                   help="float64 scan points in the bracket, an integer in [3, 10000]")
    t.add_argument("--dps", type=dps_type, default=30, metavar="DIGITS",
                   help="digits of the mpmath refinement in [15, 10000]")
    t.add_argument("--float64", action="store_true",
                   help="refine in float64 only (joint Newton at two quadrature levels)")
    t.add_argument("--json", action="store_true", help="print JSON (for machines)")
    t.set_defaults(func=_cmd_threshold)

    e = sub.add_parser("exponent", help="the exponent of a scaling law, with an error bound",
                       description="The limit of the local slopes d log eps / d log n of a "
                       "registered law or of an expression in the variable, formed exactly and "
                       "extrapolated (Wynn epsilon on a geometric lattice); the bound compares "
                       "two orders and two precisions; SymPy's limit is shown when it exists.")
    e.add_argument("law", help="a registered law name or an expression, e.g. "
                   "'n^(-1/2)*(1 + 3/n)'")
    e.add_argument("params", nargs="*", metavar="KEY=VALUE", help="the law's parameters")
    e.add_argument("--in", dest="var", default="n", metavar="VAR",
                   help="the variable of the law")
    e.add_argument("--dps", type=dps_type, default=30, metavar="DIGITS",
                   help="working digits in [15, 10000]")
    e.add_argument("--tol", type=float, default=1e-10, help="accuracy wanted (reliable flag)")
    e.add_argument("--x0", default="10", help="first point of the lattice (> 0)")
    e.add_argument("--ratio", default="2", help="ratio of the geometric lattice (> 1)")
    e.add_argument("--terms", type=int_type("terms", 6, 400), default=30,
                   help="number of slopes, an integer in [6, 400]")
    e.add_argument("--json", action="store_true", help="print JSON (for machines)")
    e.set_defaults(func=_cmd_exponent)

    c = sub.add_parser("classic", help="a classic threshold (GLM weak recovery, Gardner, "
                       "Candes-Sur, Moniri-Hassani, BBP) at --dps digits",
                       description="The classic thresholds of theory.laws.classic and "
                       "theory.numeric.rmt: " + "; ".join(f"{k}: {v[1]} (parameters "
                       + ", ".join(f"{p}={d}" for p, d in v[0].items()) + ")"
                       for k, v in CLASSIC.items()) + ".")
    c.add_argument("name", help="one of " + ", ".join(CLASSIC))
    c.add_argument("params", nargs="*", metavar="KEY=VALUE",
                   help="parameters (decimal text, read exactly)")
    c.add_argument("--dps", type=dps_type, default=30, metavar="DIGITS",
                   help="digits in [15, 10000] (BBP: always mpmath)")
    c.add_argument("--float64", action="store_true", help="float64 instead of mpmath")
    c.add_argument("--json", action="store_true", help="print JSON (for machines)")
    c.set_defaults(func=_cmd_classic)
