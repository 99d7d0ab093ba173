r"""Bayes-optimal phase retrieval with a Gaussian prior: state evolution.

Labels :math:`y = |z| + \sqrt\Delta\,\xi`, :math:`z = \mathbf x\cdot\mathbf w^\star/\sqrt d`,
:math:`\mathbf w^\star\sim\mathcal N(0, I_d)`, :math:`n = \alpha d`. State evolution
(Barbier, Krzakala, Macris, Miolane & Zdeborová, arXiv:1708.03395v3, Sec. 2), with the channel of
:func:`theory.symbolic.atoms.abs_channel`:

.. math:: \hat q = \alpha\,\mathbb E_{\omega, z, \zeta}\bigl[g_{\rm out}(|z| + \sqrt\Delta\zeta,
   \omega, V)^2\bigr],\quad q = \frac{\hat q}{1 + \hat q},\quad V = 1 - q,

:math:`(\omega, z)` jointly Gaussian with :math:`\mathbb E\omega^2 = \mathbb E\omega z = q`,
:math:`\mathbb Ez^2 = 1`, :math:`\zeta\sim\mathcal N(0,1)` independent (for Delta = 0 the
:math:`\zeta` integral is dropped). Noiseless, :math:`g_{\rm out} = (y\tanh(y\omega/V) -
\omega)/V`.

:math:`q = 0` is always a fixed point (the sign of :math:`\mathbf w^\star` is not identifiable).
Linearising at :math:`q = 0` (:math:`g_{\rm out}\approx\omega\,\partial_\omega g_{\rm out}(y,0,1)`)
gives :math:`q_{t+1}\approx\alpha\,\mathbb E_y[(\partial_\omega g_{\rm out}(y,0,1))^2]\,q_t`: the
overlap leaves 0 at :math:`\alpha = 1/\mathbb E_y[\cdots]`, which is :math:`1/\mathbb E(z^2-1)^2
= 1/2` noiseless (the weak-recovery threshold of Mondelli & Montanari, arXiv:1708.05932v2).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..symbolic.atoms import abs_channel
from ..symbolic.expectation import E, gaussians
from ..symbolic.system import Constraint, SaddlePointSystem
from .base import Model, nonnegative, param, register, validate

REFERENCE = ("Barbier, Krzakala, Macris, Miolane, Zdeborová (2019), Optimal errors and phase "
             "transitions in high-dimensional generalized linear models, arXiv:1708.03395v3, "
             "Sec. 2 (state evolution)")

alpha = sp.Symbol("alpha", positive=True)
Delta = sp.Symbol("Delta", positive=True)
q = sp.Symbol("q", nonnegative=True)
V, qh = sp.symbols(r"V \hat{q}", positive=True)


def phase_retrieval_system(noisy: bool = False) -> SaddlePointSystem:
    """State evolution of Bayes-optimal (noisy) phase retrieval (module docstring).

    Parameters
    ----------
    noisy : bool
        With Gaussian label noise of variance Delta (a parameter of the system).

    Returns
    -------
    SaddlePointSystem
        State q, parameters alpha (and Delta); observable mse.
    """
    params: tuple
    if noisy:
        w, z, zeta = vec = gaussians("omega z zeta", cov=[[q, q, 0], [q, 1, 0], [0, 0, 1]])
        y, ch, params = sp.Abs(z) + sp.sqrt(Delta) * zeta, abs_channel(Delta), (alpha, Delta)
    else:
        w, z = vec = gaussians("omega z", cov=[[q, q], [q, 1]])
        y, ch, params = sp.Abs(z), abs_channel(0), (alpha,)
    return SaddlePointSystem(
        name="phase_retrieval" + ("[noisy]" if noisy else ""), state=[q], parameters=params,
        # g_out^2 is even in omega; |omega| puts a quadrature cut on omega = 0, where
        # tanh(y omega / V) switches over a width V/y (without it the 2-D rule converged
        # algebraically: 2e-8 between the two finest levels at alpha = 1)
        steps=[(V, 1 - q),
               (qh, alpha * E(ch.g(y, w, V).xreplace({w: sp.Abs(w)}) ** 2, over=vec))],
        updates={q: qh / (1 + qh)},
        observables={"mse": 2 * (1 - q)},  # E|w - w_hat|^2 / d with the sign resolved
        constraints=[Constraint(q, "q >= 0", strict=False), Constraint(V, "V = 1 - q > 0")],
        reference=REFERENCE)


_SYSTEMS: dict = {}


@dataclass(frozen=True, kw_only=True)
class PhaseRetrievalParams:
    r"""Validated parameters of :class:`PhaseRetrieval` (keyword-only, frozen).

    Attributes
    ----------
    alpha : float, default 1.0
        Sample ratio :math:`\alpha = n/d` (> 0).
    Delta : float, default 0.0
        Label noise variance :math:`\Delta \ge 0` (0: noiseless).
    """

    alpha: float = param(1.0, "n/d: samples per dimension")
    Delta: float = param(0.0, "label noise variance Delta (y = |z| + sqrt(Delta) xi)",
                         nonnegative)

    def __post_init__(self):
        validate(self)


@register
class PhaseRetrieval(Model):
    """Bayes-optimal phase retrieval, noiseless or noisy (``theory solve phase_retrieval``).

    State evolution of Barbier, Krzakala, Macris, Miolane & Zdeborová (arXiv:1708.03395v3,
    Sec. 2) with the channel :func:`~theory.symbolic.atoms.abs_channel`; see the module
    docstring.
    """

    name = "phase_retrieval"
    title = "Bayes-optimal phase retrieval y = |z| (+ Gaussian noise), Gaussian prior"
    reference = REFERENCE
    Params = PhaseRetrievalParams

    def system(self, p):
        """The state evolution, noisy when ``p.Delta > 0`` (:func:`phase_retrieval_system`).

        Parameters
        ----------
        p : PhaseRetrievalParams
            Validated parameters.

        Returns
        -------
        SaddlePointSystem
            State q; parameters alpha (and Delta when noisy).
        """
        key = p.Delta > 0
        if key not in _SYSTEMS:
            _SYSTEMS[key] = phase_retrieval_system(key)
        return _SYSTEMS[key]

    def values(self, p):
        """Numbers for the system's parameter symbols.

        Parameters
        ----------
        p : PhaseRetrievalParams
            Validated parameters.

        Returns
        -------
        dict {str: float}
            ``alpha``, and ``Delta`` when noisy.
        """
        return {"alpha": p.alpha, "Delta": p.Delta} if p.Delta > 0 else {"alpha": p.alpha}

    def starts(self, p):
        """Two starting states: an informative one and the uninformative q = 0.

        Parameters
        ----------
        p : PhaseRetrievalParams
            Validated parameters.

        Returns
        -------
        list of dict {str: float}
            ``[{"q": 0.5}, {"q": 0.0}]``.
        """
        return [{"q": 0.5}, {"q": 0.0}]


def weak_recovery_threshold(Delta: float = 0.0, *, eps: float = 1e-8, level: int = 3,
                            bracket=(0.2, 5.0)) -> float:
    r"""The :math:`\alpha` at which :math:`q = 0` loses stability, bracketed in float64 on the
    state evolution map itself: the root of :math:`F(\varepsilon)/\varepsilon - 1` in
    :math:`\alpha` (``scipy.optimize.brentq``), F the map at node ``level``. The slope at 0 is
    :math:`F(\varepsilon)/\varepsilon + O(\varepsilon)`, so the threshold is found to
    ~``eps`` (module docstring: 1/2 noiseless).

    Parameters
    ----------
    Delta : float
        Label noise variance >= 0.
    eps : float
        The small overlap at which the slope of the map is read.
    level : int
        Quadrature node level of the map.
    bracket : (float, float)
        Interval of alpha holding the threshold.

    Returns
    -------
    float
        The weak-recovery threshold alpha.

    Raises
    ------
    InputError
        ``Delta`` negative or not finite.
    """
    from scipy.optimize import brentq

    from ..numeric.system import compile_system

    p = PhaseRetrievalParams(alpha=1.0, Delta=Delta)
    model = PhaseRetrieval()
    system = model.system(p)
    cs = compile_system(system)

    def slope(a):
        vals = model.values(PhaseRetrievalParams(alpha=a, Delta=p.Delta))
        pv = [vals[n] for n in system.parameter_names]
        return float(cs.map([eps], pv, level)[0]) / eps - 1.0

    return brentq(slope, *bracket, xtol=1e-12)
