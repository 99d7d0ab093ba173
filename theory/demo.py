"""``theory demo``: the default end-to-end run (no arguments needed).

Writes to one folder (default ``./theory-demo``) and prints what it wrote:

* ``hermite.md`` / ``hermite.csv`` -- mu_0..mu_10 and mu_star of every registry activation
  (float64), with the exact SymPy value where an exact tier applies;
* ``hermite_exact.tex`` -- the exact coefficients (a standalone LaTeX document);
* ``verification.md`` -- float64 and 50-digit mpmath values side by side for a few activations;
* ``conditional.png`` / ``conditional.csv`` -- mu0, mu1, mu_star of sign, relu, tanh over kappa;
* ``leap.json`` -- leap index and information exponent of the slides' multi-index examples;
* ``rf_curves.csv`` / ``rf_curves.png`` -- learning curves of random features: Mei-Montanari
  ridge over p/d (through the interpolation peak) with its replica twin at a few points, and
  logistic regression on a sign teacher over n/p (Gerace et al. equations at residual 1e-10);
* ``rf_systems.tex`` -- the saddle-point systems of both models (a standalone LaTeX document);
* ``spiked_rf_curve.csv`` / ``spiked_rf_curve.png`` -- one giant step (Cui et al. 2024,
  arXiv:2402.04980v2): test error over alpha = n/d of the spiked random-features asymptotics
  (model ``spiked_rf``) after one step (sigma = g = tanh, eta_tilde = 1, alpha0 = 0.5,
  lam = 0.01: the (c, r, gamma) map inside the model) and in the large-batch limit
  alpha0 -> infinity (r = eta_tilde mu1 mu1_star, c = 1, gamma = 1), with the kernel line
  E[g^2] - E[z g]^2 and the bounds of the lambda-optimised risk at that limit
  (:mod:`theory.numeric.spiked_bounds`).

The .tex files compile alone with pdflatex (portrait A4, amsmath; long equations broken across
lines by :mod:`theory.symbolic._texlayout`; checked page by page in tests/test_latex_layout.py).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from .errors import InputError
from .numeric.conditional import conditional_coefficients
from .numeric.hermite import hermite_expansion
from .symbolic.activations import REGISTRY

__all__ = ["run_demo"]


def run_demo(out: str | Path = "theory-demo", kmax: int = 10) -> Path:
    """Write the demo files into ``out``; nothing lands there unless the whole run succeeds.

    The files are listed in the module docstring: Hermite tables, conditional coefficients,
    leap indices, and random-features learning curves from the closed form of Mei & Montanari
    (arXiv:1908.05355v5, Definition 1) and the replica equations of Gerace et al.
    (arXiv:2002.09339v2), with their saddle-point systems as LaTeX. They are written to a
    staging folder inside ``out`` and moved in only when every file has been written.

    Parameters
    ----------
    out : str or pathlib.Path, default "theory-demo"
        Output folder (created if needed).
    kmax : int, default 10
        Highest Hermite order of the tables.

    Returns
    -------
    pathlib.Path
        The output folder.

    Raises
    ------
    InputError
        ``out`` cannot be created or written.
    """
    final = Path(out)
    try:
        final.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=final, prefix=".partial-"))
    except OSError as exc:
        raise InputError("out", str(out), "a folder that can be created and written",
                         hint=str(exc)) from None
    try:
        written = _write_all(staging, kmax)
        for p in written:
            os.replace(p, final / p.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def _write_all(out: Path, kmax: int) -> list[Path]:
    t0 = time.perf_counter()
    written: list[Path] = []

    # 1. Hermite table
    rows, exact = [], []
    for name in REGISTRY:
        h = hermite_expansion(name, kmax)
        rows.append(h)
        if h.exact is not None:
            exact.append(h)
    md = ["# Hermite coefficients mu_k = E[sigma(z) He_k(z)] (float64, split Gauss quadrature)", "",
          "| activation | " + " | ".join(f"mu_{k}" for k in range(kmax + 1)) + " | mu_star | exact tier |",
          "|---" * (kmax + 4) + "|"]
    for h in rows:
        md.append(f"| {h.activation.name} | " + " | ".join(f"{m:.10g}" for m in h.mu)
                  + f" | {h.mu_star:.10g} | {h.tier or '-'} |")
    p = out / "hermite.md"
    p.write_text("\n".join(md) + "\n")
    written.append(p)
    p = out / "hermite.csv"
    with p.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["activation", *[f"mu_{k}" for k in range(kmax + 1)], "mu_star"])
        for h in rows:
            w.writerow([h.activation.name, *[repr(float(m)) for m in h.mu], repr(float(h.mu_star))])
    written.append(p)
    p = out / "hermite_exact.tex"
    p.write_text(hermite_exact_tex(exact))
    written.append(p)

    # 2. float64 against 50 digits
    ver = ["# float64 against mpmath at 50 digits (mu_k / sqrt(k!), k <= 10)", "",
           "| activation | max abs difference | float64 time | mpmath time |", "|---|---|---|---|"]
    for name in ("relu", "sign", "tanh", "gelu"):
        t1 = time.perf_counter()
        hf = hermite_expansion(name, kmax, exact=False)
        tf = time.perf_counter() - t1
        t1 = time.perf_counter()
        hm = hermite_expansion(name, kmax, dps=50, exact=False)
        tm = time.perf_counter() - t1
        diff = max(abs(float(a) - float(b)) for a, b in zip(hf.mu_normalized, hm.mu_normalized))
        ver.append(f"| {name} | {diff:.2e} | {tf * 1e3:.2f} ms | {tm:.2f} s |")
    p = out / "verification.md"
    p.write_text("\n".join(ver) + "\n")
    written.append(p)

    # 3. conditional coefficients plot
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kappa = np.linspace(-3, 3, 241)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharex=True)
    table = {"kappa": kappa}
    for name in ("sign", "relu", "tanh"):
        r = conditional_coefficients(name, kappa, 1.0)
        for ax, key, lab in zip(axes, ("mu0", "mu1", "mu_star"),
                                (r"$\mu_0(\kappa)$", r"$\mu_1(\kappa)$", r"$\mu_\star(\kappa)$")):
            ax.plot(kappa, getattr(r, key), label=name)
            ax.set_title(lab)
            ax.set_xlabel(r"$\kappa$")
            table[f"{name}_{key}"] = getattr(r, key)
    axes[0].legend()
    fig.suptitle("Conditional coefficients at c = 1 (conditional Gaussian equivalence)")
    fig.tight_layout()
    p = out / "conditional.png"
    fig.savefig(p, dpi=120)
    plt.close(fig)
    written.append(p)
    p = out / "conditional.csv"
    with p.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(list(table))
        for i in range(kappa.size):
            w.writerow([repr(float(table[k][i])) for k in table])
    written.append(p)

    # 4. leap indices of the slides' examples
    try:
        from .numeric.multiindex import analyze_target

        examples = ["z1 + z1*z2 + z1*z2*z3", "He(3, z1)", "z1*z2*z3*z4", "z1 + z2*z3*z4"]
        leaps = {e: {k: v for k, v in analyze_target(e).items()
                     if k in ("leap", "information_exponent", "variables")} for e in examples}
        p = out / "leap.json"
        p.write_text(json.dumps(leaps, indent=2) + "\n")
        written.append(p)
    except ImportError:  # pragma: no cover - multi-index module absent
        pass

    # 5. random-features learning curves and their saddle-point systems
    written += _rf_curves(out)

    # 6. one giant step: the spiked random-features curve, kernel line and bounds
    written += _spiked_rf_curve(out)

    print(f"theory demo: wrote {len(written)} files to {out.parent.resolve()}/ in "
          f"{time.perf_counter() - t0:.1f} s")
    for p in written:
        print(f"  {p.name}")
    print(f"  e.g. relu: mu_0 = {sp.sstr((rows[0].exact or [None])[0])} = {rows[0].mu[0]:.15f}")
    print(f"  rf_ridge peak (psi1 = psi2 = 1.5, lam = 1e-3): test error "
          f"{_PEAK['closed_form']:.10f} (replica equations: {_PEAK['replica']:.10f})")
    sr = _PEAK["spiked_rf"]
    print(f"  one giant step (tanh, eta_tilde = 1, alpha0 = 0.5, lam = 0.01) at alpha = 3: "
          f"test error {sr['one_step']:.6f}; kernel line {sr['kernel_line']:.6f}")
    return written


_PEAK: dict = {}


def _rf_curves(out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .models import curve, get_model, solve
    from .models.base import make_params

    psi1 = np.linspace(0.1, 4.0, 100)
    rc = curve("rf_ridge", "psi1", psi1, psi2=1.5, lam=1e-3)
    alpha = np.linspace(0.2, 4.0, 50)
    lc = curve("rf_convex", "alpha", alpha, gamma=0.5, lam=1e-2, loss="logistic",
               teacher="sign")
    m = get_model("rf_ridge")
    twin = {}
    for v in (0.5, 1.5, 3.0):  # the same risk from the generic replica system
        eq = m.replica_equivalent(make_params(m, {"psi1": v, "psi2": 1.5, "lam": 1e-3}))
        fs = eq.pop("Fstar")
        twin[v] = solve("rf_convex", strict=True, **eq).observables["test_error"] + fs**2
    _PEAK["closed_form"] = solve("rf_ridge", psi1=1.5, psi2=1.5, lam=1e-3,
                                 strict=True).observables["test_error"]
    _PEAK["replica"] = twin[1.5]
    p = out / "rf_curves.csv"
    with p.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["model", "vary", "value", "test_error", "train_loss", "residual"])
        for v, pt in zip(psi1, rc.points):
            w.writerow(["rf_ridge", "psi1", repr(float(v)), repr(pt.observables["test_error"]),
                        "", repr(float(pt.residual))])
        for v, pt in zip(alpha, lc.points):
            w.writerow(["rf_convex[logistic,sign]", "alpha", repr(float(v)),
                        repr(pt.observables["test_error"]), repr(pt.observables["train_loss"]),
                        repr(float(pt.residual))])
    written = [p]
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.4))
    ax[0].plot(psi1, rc.column("test_error"), label="Mei-Montanari closed form")
    ax[0].plot(list(twin), list(twin.values()), "o", mfc="none", label="replica equations")
    ax[0].set(xlabel=r"$\psi_1 = p/d$", ylabel="test error", yscale="log",
              title=r"RF ridge, relu, $\psi_2 = 1.5$, $\lambda = 10^{-3}$")
    ax[0].legend(fontsize=8)
    ax[1].plot(alpha, lc.column("test_error"), label="test (classification) error")
    ax[1].plot(alpha, lc.column("train_loss"), "--", label="training loss")
    ax[1].set(xlabel=r"$\alpha = n/p$", title=r"RF logistic, sign teacher, erf, $\gamma = 0.5$")
    ax[1].legend(fontsize=8)
    fig.tight_layout()
    p = out / "rf_curves.png"
    fig.savefig(p, dpi=100)
    plt.close(fig)
    written.append(p)
    p = out / "rf_systems.tex"
    p.write_text(rf_systems_tex())
    written.append(p)
    return written


#: the demo's one-step setting (the paper's Figure 2, left: sigma = g = tanh, lam = 0.01)
_SRF: dict[str, Any] = {"activation": "tanh", "target": "tanh", "lam": 0.01}


def _spiked_rf_curve(out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .models import curve
    from .numeric.hermite import hermite_expansion
    from .numeric.spiked_bounds import kernel_line, spiked_bounds

    alpha = np.linspace(0.2, 8.0, 40)
    step = curve("spiked_rf", "alpha", alpha, eta_tilde=1.0, alpha0=0.5, **_SRF)
    mu1 = float(hermite_expansion(_SRF["activation"], 1).mu[1])
    mu1s = float(hermite_expansion(_SRF["target"], 1).mu[1])
    limit: dict[str, Any] = {"r": mu1 * mu1s, "c": 1.0, "gamma": 1.0}  # alpha0 -> inf
    big = curve("spiked_rf", "alpha", alpha, **limit, **_SRF)
    kl = float(kernel_line(_SRF["target"])[0])
    b: Any = spiked_bounds(_SRF["activation"], _SRF["target"], **limit)  # float64 fields
    i3 = int(np.argmin(abs(alpha - 3.0)))  # alpha = 3 is on the grid
    _PEAK["spiked_rf"] = {"one_step": float(step.column("test_error")[i3]), "kernel_line": kl}
    p = out / "spiked_rf_curve.csv"
    with p.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["setting", "alpha", "test_error", "residual", "converged"])
        for name, c in (("eta_tilde=1,alpha0=0.5", step),
                        (f"r={limit['r']!r},c=1,gamma=1", big)):
            for v, pt in zip(alpha, c.points):
                w.writerow([name, repr(float(v)), repr(pt.observables.get("test_error",
                                                                         float("nan"))),
                            repr(float(pt.residual)), bool(pt.converged)])
        for name, v in (("kernel_line", kl), ("upper_bound_alpha0_inf", float(b.upper)),
                        ("lower_bound_alpha0_inf", float(b.lower))):
            w.writerow([name, "", repr(v), "", True])
    written = [p]
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    ax.plot(alpha, step.column("test_error"), "-", label=r"one step, $\alpha_0 = 0.5$")
    ax.plot(alpha, big.column("test_error"), "-",
            label=rf"$\alpha_0\to\infty$: $r = {limit['r']:.3f}$, $c = \gamma = 1$")
    ax.axhline(kl, ls="--", c="k", lw=1, label=r"kernel line $\mathbb{E}g^2 - \mathbb{E}[zg]^2$")
    ax.axhline(float(b.upper), ls=":", c="C1", lw=1, label=r"bounds ($\lambda$ optimised, "
               r"$\alpha_0\to\infty$)")
    ax.axhline(float(b.lower), ls=":", c="C1", lw=1)
    ax.set(xlabel=r"$\alpha = n/d$", ylabel="test error", yscale="log",
           title=r"spiked RF after one step: $\sigma = g = \tanh$, $\tilde\eta = 1$, "
                 r"$\lambda = 0.01$")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    p = out / "spiked_rf_curve.png"
    fig.savefig(p, dpi=100)
    plt.close(fig)
    written.append(p)
    return written


# ---------------------------------------------------------------- LaTeX outputs
def rf_systems_tex() -> str:
    """``rf_systems.tex``: the systems of ``rf_ridge`` and ``rf_convex[logistic, sign]``, one
    standalone document (layout of :mod:`theory.symbolic._texlayout`)."""
    from .models.rf_convex import build_system
    from .models.rf_ridge import mm_system
    from .symbolic import _texlayout as tl

    parts = []
    for d in (mm_system(), build_system("logistic", "sign", False)):
        doc = d.latex_document()
        body = doc[doc.index("\\begin{document}") + len("\\begin{document}"):
                   doc.index("\\end{document}")]
        parts.append(body.replace("\\section*{Saddle-point system: ", "\\section*{"))
    return tl.document("".join(parts), comment="generated by `theory demo`")


def hermite_exact_tex(expansions) -> str:
    """``hermite_exact.tex``: the exact coefficients of the expansions that have them, one
    standalone document (one ``align*`` block per activation, long expressions broken)."""
    from .symbolic import _texlayout as tl

    body = [r"Exact Hermite coefficients $\mu_k = \mathbb{E}_z[\sigma(z)\,\mathrm{He}_k(z)]$,"
            r" $z \sim \mathcal{N}(0, 1)$ (probabilists' Hermite polynomials).", ""]
    for h in expansions:
        body.append(rf"\subsection*{{{tl.tex_escape(h.activation.name)}}}")
        room = tl.TEXTWIDTH_EM - 0.5
        rows: list = [(rf"\mu_{{{k}}}", m) for k, m in enumerate(h.exact)]
        star = h.latex().rsplit("\\mu_\\star = ", 1)
        if len(star) == 2:  # the float64 value of mu_star as hermite_expansion prints it
            rows.append((r"\mu_\star", star[1].split("\n")[0].strip()))
        sigma = tl.align_block([(r"\sigma(x)", h.activation.expr)], room=room)
        body += [r"\begin{align*}", " \\\\\n".join(sigma), r"\end{align*}",
                 r"\begin{align*}", " \\\\\n".join(tl.grid_block(rows, room=room)),
                 r"\end{align*}", ""]
    return tl.document("\n".join(body) + "\n", title="Exact Hermite coefficients",
                       comment="generated by `theory demo` -- exact Hermite coefficients")
