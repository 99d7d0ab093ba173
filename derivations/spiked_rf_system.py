r"""Write the (c, r, gamma) map of one giant step and the spiked random-features system as LaTeX.

Cui, Pesce, Dandi, Krzakala, Lu, Zdeborová, Loureiro, "Asymptotics of feature learning in
two-layer networks after one gradient-step", ICML 2024, arXiv:2402.04980v2 (Definition 3.1,
Result 3.3). The map is the one kept in :func:`theory.simulate.one_step.predicted_map` (the
authors' current code's formula for c, confirmed there by measuring the simulated W^1 at
d = 2000), written here as SymPy expressions in the constants of sigma and g:

.. math::

    r = \tilde\eta\,|\mu_1|\sqrt{(\mu_1^\star)^2 + \mu_2^\star/\alpha_0},\quad
    \gamma = |\mu_1^\star|\big/\sqrt{(\mu_1^\star)^2 + \mu_2^\star/\alpha_0},\quad
    c = 1 + \tilde\eta^2\mu_2^\star\,\mathrm{Var}[\sigma'(z)]/\alpha_0 ,

with the constants' definitions as Gaussian integrals (unevaluated SymPy ``Integral``), and a
table of (r, c, gamma) at the settings of the paper's Figure 2 (6 significant digits, from
``predicted_map``). The sRF saddle-point system is ``latex_document()`` of the registered
model ``spiked_rf`` (:mod:`theory.models.spiked_rf`), i.e. the same SymPy object its solver
compiles.

Run: ``python derivations/spiked_rf_system.py`` -> ``derivations/out/spiked_rf_map.tex`` and
``derivations/out/spiked_rf_system.tex``. ``tests/test_derivations.py`` regenerates them and
compares (golden); ``tests/test_latex_layout.py`` compiles each with ``pdflatex``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import sympy as sp

from theory.symbolic._texlayout import TEXTWIDTH_EM, align_block, document

OUT = Path(__file__).parent / "out"

eta_tilde, alpha0 = sp.symbols("eta_tilde alpha_0", nonnegative=True)
mu0, mu1, mu1s = sp.symbols("mu_0 mu_1 mu_1^star", real=True)
mu2s, var_dsigma, Delta = sp.symbols("mu_2^star V_sigma Delta", nonnegative=True)
z = sp.Symbol("z", real=True)
sigma, g = sp.Function("sigma"), sp.Function("g")

#: LaTeX names of the symbols (SymPy's printer would write eta_tilde as \eta_{tilde})
NAMES = {eta_tilde: r"\tilde\eta", alpha0: r"\alpha_0", mu0: r"\mu_0", mu1: r"\mu_1",
         mu1s: r"\mu_1^\star", mu2s: r"\mu_2^\star",
         var_dsigma: r"\operatorname{Var}[\sigma'(z)]", Delta: r"\Delta"}

#: the settings of the paper's Figure 2 (sigma = tanh, eta_tilde = 1; digest Sec. 1.9)
FIG2 = (("tanh", "tanh", (0.5, 1.0, 2.0, 5.0)), ("tanh", "sin", (0.5, 5.0, 10.0, 20.0)))


class GaussianMean(sp.Function):
    """:math:`\\mathbb E_z f(z) = \\int f(z) e^{-z^2/2} dz/\\sqrt{2\\pi}` (unevaluated);
    ``.as_integral()`` is that integral."""

    nargs = 1

    def as_integral(self) -> sp.Integral:
        return sp.Integral(self.args[0] * sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi),
                           (z, -sp.oo, sp.oo))

    def _latex(self, printer):
        return r"\mathbb{E}_z\left[" + printer._print(self.args[0]) + r"\right]"


def gaussian_mean(f) -> GaussianMean:
    """:math:`\\mathbb E_z f(z)`, :math:`z \\sim \\mathcal N(0, 1)` (unevaluated)."""
    return GaussianMean(f)


def map_expressions() -> dict:
    """``{"r", "gamma", "c"}``: the kept (c, r, gamma) map as SymPy expressions."""
    norm = sp.sqrt(mu1s**2 + mu2s / alpha0)
    return {"r": eta_tilde * sp.Abs(mu1) * norm, "gamma": sp.Abs(mu1s) / norm,
            "c": 1 + eta_tilde**2 * mu2s * var_dsigma / alpha0}


def definitions() -> list:
    """``[(symbol, definition)]``: the constants of sigma and g as Gaussian integrals."""
    dsigma = sp.Derivative(sigma(z), z)
    return [(mu0, gaussian_mean(sigma(z))),
            (mu1, gaussian_mean(z * sigma(z))),
            (mu1s, gaussian_mean(z * g(z))),
            (mu2s, gaussian_mean((g(z) - mu0)**2) + Delta),
            (var_dsigma, gaussian_mean(dsigma**2) - mu1**2)]


def _fig2_table() -> list[str]:
    from theory.simulate.one_step import predicted_map

    rows = [r"\begin{tabular}{llrrrr}", r"$\sigma$ & $g$ & $\alpha_0$ & $r$ & $c$ & $\gamma$ \\",
            r"\hline"]
    for act, tgt, a0s in FIG2:
        for a0 in a0s:
            m = predicted_map(eta_tilde=1.0, alpha0=a0, activation=act, target=tgt)["code"]
            rows.append(f"{act} & {tgt} & {a0:g} & {m['r']:.6g} & {m['c']:.6g} & "
                        f"{m['gamma']:.6g} \\\\")
    rows.append(r"\end{tabular}")
    return rows


def render_map() -> str:
    """``spiked_rf_map.tex``: the map, the constants' definitions and the Figure 2 table."""
    room = TEXTWIDTH_EM - 0.5
    m = map_expressions()
    body = [r"One full-batch gradient step of size $\eta = \tilde\eta\,p$ on $n_0 = \alpha_0 d$ "
            r"samples, $a^0 = \mathbf 1_p/\sqrt p$, rows of $W^0$ on the unit sphere, "
            r"$x \sim \mathcal N(0, I_d)$, $y = g(\langle\theta_\star, x\rangle) + "
            r"\sqrt\Delta\,\xi$, gives $W^1 \approx W + r\,\mathbf 1_p v^\top$ with rows of $W$ "
            r"of squared norm $c$, $\|v\| = 1$, $\gamma = \langle v, \theta_\star\rangle$ "
            r"(Cui et al., arXiv:2402.04980v2, Definition 3.1; formula for $c$ of the authors' "
            r"current code, confirmed by measurement in \texttt{theory.simulate.one\_step}). "
            r"None of $r, c, \gamma$ depends on $\beta = p/d$ at this scale of $\eta$; "
            r"$\alpha_0 = 0$ or $\tilde\eta = 0$ is plain random features "
            r"($r = \gamma = 0$, $c = 1$). The map needs $\mu_1 \neq 0$.", "",
            r"\subsection*{The map}",
            r"\begin{align*}",
            " \\\\\n".join(align_block([(r"r", m["r"]), (r"\gamma", m["gamma"]),
                                        (r"c", m["c"])], room=room, symbol_names=NAMES)),
            r"\end{align*}",
            r"\subsection*{The constants ($z \sim \mathcal N(0, 1)$)}",
            r"\begin{align*}",
            " \\\\\n".join(align_block([(sp.latex(s, symbol_names=NAMES), d)
                                        for s, d in definitions()], room=room,
                                       symbol_names=NAMES)),
            r"\end{align*}",
            r"\subsection*{At the settings of Figure 2 ($\tilde\eta = 1$, $\Delta = 0$)}",
            r"\begin{center}", *_fig2_table(), r"\end{center}", ""]
    return document("\n".join(body) + "\n", title="One giant step: the (c, r, gamma) map",
                    comment="GENERATED by derivations/spiked_rf_system.py -- do not edit by "
                            "hand.")


def render_system() -> str | None:
    """``spiked_rf_system.tex``: ``latex_document()`` of the model ``spiked_rf`` at its
    defaults (None while the model is not registered)."""
    from theory.models import load_all
    from theory.models.base import make_params

    reg = load_all()
    if "spiked_rf" not in reg:
        return None
    model = reg["spiked_rf"]()
    return model.system(make_params(model, {})).latex_document()


def render() -> dict:
    """{file name: LaTeX document}."""
    out = {"spiked_rf_map.tex": render_map()}
    system = render_system()
    if system is not None:
        out["spiked_rf_system.tex"] = ("% GENERATED by derivations/spiked_rf_system.py -- do not "
                                       "edit by hand.\n" + system)
    return out


def main(argv=None) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for fname, text in render().items():
        (OUT / fname).write_text(text)
        print(f"wrote {OUT / fname}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
