r"""Bayes-optimal teacher--student perceptron: state evolution and generalisation errors.

Labels :math:`y = \operatorname{sign}(\mathbf x\cdot\mathbf w^\star/\sqrt d)`, Gaussian inputs,
teacher weights from the prior :math:`P_0` (Gaussian :math:`\mathcal N(0,1)` or Rademacher
:math:`\pm1`), :math:`n = \alpha d` samples. The replica-symmetric (Bayes-optimal, Nishimori)
state evolution in the overlap :math:`q` and its conjugate :math:`\hat q` (Barbier, Krzakala,
Macris, Miolane & Zdeborová, arXiv:1708.03395v3, Sec. 2; the sign channel's
:math:`g_{\rm out}` of :func:`theory.symbolic.atoms.sign_channel`, summed over y = +-1):

.. math:: \hat q = \frac{2\alpha}{V}\,\mathbb E_\xi\frac{\varphi(u)^2}{\Phi(u)},\quad
   u = \sqrt{q/V}\,\xi,\quad V = 1 - q,

with :math:`q = \hat q/(1 + \hat q)` (Gaussian prior) or
:math:`q = \mathbb E_z\tanh(\hat q + \sqrt{\hat q}\,z)` (Rademacher prior). Generalisation errors
(Engel & Van den Broeck, *Statistical Mechanics of Learning*, CUP 2001, Ch. 3):
Bayes :math:`\varepsilon = \arccos(\sqrt q)/\pi`, Gibbs :math:`\varepsilon = \arccos(q)/\pi`,
evaluated as :math:`\arctan\sqrt{V/q}/\pi` and :math:`\arctan(\sqrt{V(1+q)}/q)/\pi` (the same
numbers without the cancellation of :math:`\arccos` near 1). As :math:`\alpha\to\infty`,
:math:`\alpha\varepsilon\to 0.4417` and :math:`0.6246` (Opper & Haussler, PRL 66, 2677 (1991)).

With the Rademacher prior the state evolution from small :math:`\hat q` has a fixed point
with q < 1 only below the algorithmic threshold :math:`\alpha\approx1.49`; above it, it runs to
perfect recovery (:math:`\hat q\to\infty`) and the solve fails with that hint.

The state is :math:`\hat q`, not q: at :math:`\alpha = 10^4`, :math:`V = 1/(1+\hat q)\approx
2\times10^{-8}` keeps its relative accuracy (``1 - q`` would not), and the relative residual
of :math:`\hat q` is that of V. The integrand lives on :math:`|\xi|\lesssim\sqrt{V/q}`: its
transitions :math:`\varphi(u)`, :math:`\Phi(u)` declare that width and the quadrature grades its
panels around it (:func:`theory.numeric.system.graded_rule`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..symbolic.atoms import Phi, phi, sigmoid
from ..symbolic.expectation import E, gaussians
from ..symbolic.system import Constraint, SaddlePointSystem
from .base import Model, choice, param, register, validate

REFERENCE = ("Barbier, Krzakala, Macris, Miolane, Zdeborová (2019), Optimal errors and phase "
             "transitions in high-dimensional generalized linear models, arXiv:1708.03395v3, "
             "Sec. 2 (state evolution); Opper & Haussler, PRL 66, 2677 (1991)")

alpha = sp.Symbol("alpha", positive=True)
qh = sp.Symbol(r"\hat{q}", nonnegative=True)
q, V = sp.symbols("q V", positive=True)
XI = gaussians("xi")
ZR = gaussians("z")
(xi,) = XI
(zr,) = ZR


def perceptron_system(prior: str = "gaussian") -> SaddlePointSystem:
    """The state evolution of the Bayes-optimal perceptron (module docstring).

    Parameters
    ----------
    prior : {"gaussian", "rademacher"}
        Prior of the teacher weights.

    Returns
    -------
    SaddlePointSystem
        State :math:`\\hat q`, parameter alpha; observables q, bayes_error, gibbs_error.
    """
    if prior == "gaussian":
        steps = [(q, qh / (1 + qh)), (V, 1 / (1 + qh))]
    else:  # q = E tanh(h), V = 1 - q = E[2 sigmoid(-2h)], h = qh + sqrt(qh) z
        h = qh + sp.sqrt(qh) * zr
        steps = [(V, E(2 * sigmoid(-2 * h), over=ZR)), (q, 1 - V)]
    u = sp.sqrt(q / V) * xi
    return SaddlePointSystem(
        name=f"perceptron[{prior}]", state=[qh], parameters=[alpha], steps=steps,
        updates={qh: 2 * alpha / V * E(phi(u) ** 2 / Phi(u), over=XI)},
        observables={"q": q, "bayes_error": sp.atan(sp.sqrt(V / q)) / sp.pi,
                     "gibbs_error": sp.atan(sp.sqrt(V * (1 + q)) / q) / sp.pi},
        constraints=[Constraint(qh, "hat q >= 0", strict=False), Constraint(V, "V = 1 - q > 0")],
        reference=REFERENCE)


_SYSTEMS: dict = {}


@dataclass(frozen=True, kw_only=True)
class PerceptronParams:
    r"""Validated parameters of :class:`Perceptron` (keyword-only, frozen).

    Attributes
    ----------
    alpha : float, default 1.0
        Sample ratio :math:`\alpha = n/d` (> 0).
    prior : {"gaussian", "rademacher"}, default "gaussian"
        Prior :math:`P_0` of the teacher weights.
    """

    alpha: float = param(1.0, "n/d: samples per dimension")
    prior: str = param("gaussian", "teacher prior", choice("gaussian", "rademacher"))

    def __post_init__(self):
        validate(self)


@register
class Perceptron(Model):
    """The Bayes-optimal teacher-student perceptron (``theory solve perceptron``).

    State evolution of Barbier, Krzakala, Macris, Miolane & Zdeborová (arXiv:1708.03395v3,
    Sec. 2) for the sign channel; Bayes and Gibbs errors as in the module docstring.

    Examples
    --------
    >>> from theory import solve
    >>> r = solve("perceptron", alpha=1.0)
    >>> print(f"{r.observables['q']:.12f}")
    0.486263637016
    """

    name = "perceptron"
    title = "Bayes-optimal teacher-student perceptron (Gaussian or Rademacher prior)"
    reference = REFERENCE
    Params = PerceptronParams
    hint = ("with the Rademacher prior above alpha ~ 1.49 (the algorithmic threshold) the state "
            "evolution runs to perfect recovery q = 1, which has no finite hat q: there is no "
            "fixed point to report")

    def system(self, p):
        r"""The state evolution for the prior of ``p`` (:func:`perceptron_system`, cached).

        Parameters
        ----------
        p : PerceptronParams
            Validated parameters.

        Returns
        -------
        SaddlePointSystem
            State :math:`\hat q`, parameter alpha.
        """
        if p.prior not in _SYSTEMS:
            _SYSTEMS[p.prior] = perceptron_system(p.prior)
        return _SYSTEMS[p.prior]

    def values(self, p):
        """Numbers for the system's parameter symbols.

        Parameters
        ----------
        p : PerceptronParams
            Validated parameters.

        Returns
        -------
        dict {str: float}
            ``{"alpha": p.alpha}``.
        """
        return {"alpha": p.alpha}

    def starts(self, p):
        r"""Two starting states: the asymptotic :math:`\hat q` at small and large alpha.

        Parameters
        ----------
        p : PerceptronParams
            Validated parameters.

        Returns
        -------
        list of dict {str: float}
            Starting values of :math:`\hat q`.
        """
        # small alpha: qh ~ 2 alpha/pi; large alpha: qh ~ 0.52 alpha^2 (V ~ pi/(2 C^2 alpha^2))
        a = float(p.alpha)
        return [{r"\hat{q}": 2 * a / 3.14159 + 0.5 * a * a}, {r"\hat{q}": 0.1 * a}]
