r"""Gardner capacity of the spherical perceptron with margin :math:`\kappa`, from the replica
saddle point in its :math:`q\to1` limit.

Derivation (Gardner, J. Phys. A 21, 257 (1988); Engel & Van den Broeck, *Statistical Mechanics
of Learning*, CUP 2001, Ch. 6; written here in the GLM notation of
:func:`theory.symbolic.atoms.OutputChannel`). The fraction of the sphere
:math:`|\mathbf w|^2 = d` that stores :math:`n = \alpha d` random patterns with margin
:math:`\kappa` (:math:`y_\mu\mathbf w\cdot\mathbf x_\mu/\sqrt d\ge\kappa`, labels absorbed in the
patterns) has the replica-symmetric free entropy

.. math:: \phi(q) = \tfrac12\log(1-q) + \frac{q}{2(1-q)}
   + \alpha\,\mathbb E_\xi\log Z_{\rm out}(\sqrt q\,\xi, 1-q),\qquad
   Z_{\rm out}(\omega, V) = H\Bigl(\frac{\kappa-\omega}{\sqrt V}\Bigr),

q the overlap of two solutions. With :math:`\partial_q\,\mathbb E_\xi\log Z_{\rm out}(\sqrt q\xi,
1-q) = -\tfrac12\mathbb E_\xi g_{\rm out}^2` (Gaussian integration by parts and
:math:`\partial_V Z = \tfrac12\partial_\omega^2 Z`), :math:`\partial_q\phi = 0` reads

.. math:: \hat q \equiv \frac{q}{(1-q)^2} = \alpha\,\mathbb E_\xi\,g_{\rm out}(\sqrt q\,\xi, V)^2,
   \qquad g_{\rm out}(\omega, V) = \frac1{\sqrt V}\frac{\varphi(u)}{\Phi(u)},\quad
   u = \frac{\omega-\kappa}{\sqrt V},\ V = 1-q.

The capacity is the :math:`\alpha` at which the volume shrinks to a point, :math:`q\to1`. There
:math:`V g_{\rm out}\to(\kappa-\omega)_+` (:math:`\varphi(u)/\Phi(u)\to -u` for
:math:`u\to-\infty`, :math:`\to 0` for :math:`u\to+\infty`), so multiplying the saddle point by
:math:`V^2` and letting :math:`V\to0`:

.. math:: r \equiv \hat qV^2 = \alpha\,\mathbb E_\xi(\kappa-\xi)_+^2,\qquad \hat qV^2 = q = 1 .

This limit system is solved below with :math:`\alpha` as the unknown: the update
:math:`\alpha\leftarrow\alpha/r` is the spherical-prior equation :math:`\hat qV^2 = 1`, and the
engine integrates :math:`\mathbb E(\kappa-\xi)_+^2` by its kink-aware quadrature (cut at
:math:`\xi = \kappa`). The closed form :math:`\alpha_c = 1/\mathbb E(\xi+\kappa)_+^2 =
1/((1+\kappa^2)\Phi(\kappa) + \kappa\varphi(\kappa))` (:math:`\alpha_c(0) = 2`, Cover 1965) is
not used; the tests compare with it. The finite-q saddle point itself is
:func:`gardner_volume_system`; the tests also check that its :math:`V = 1 - q` vanishes linearly
as :math:`\alpha\to\alpha_c` from below and that it has no fixed point above.
"""

from __future__ import annotations

import sympy as sp

from ..symbolic.atoms import logPhi1
from ..symbolic.expectation import E, gaussians
from ..symbolic.system import Constraint, SaddlePointSystem
from .base import Model, register

REFERENCE = ("Gardner, The space of interactions in neural network models, J. Phys. A 21, 257 "
             "(1988); the q -> 1 limit of the replica-symmetric saddle point (module docstring)")

kappa = sp.Symbol("kappa", real=True)
alpha_c = sp.Symbol("alpha_c", positive=True)
r = sp.Symbol(r"\hat{q}V^{2}", positive=True)
XI = gaussians("xi")
(xi,) = XI


def gardner_system() -> SaddlePointSystem:
    """The q -> 1 limit of Gardner's saddle point, unknown alpha_c (module docstring).

    Returns
    -------
    SaddlePointSystem
        State alpha_c, parameter kappa.
    """
    return SaddlePointSystem(
        name="gardner", state=[alpha_c], parameters=[kappa],
        steps=[(r, alpha_c * E(sp.Max(kappa - xi, 0) ** 2, over=XI))],
        updates={alpha_c: alpha_c / r},
        constraints=[Constraint(r, "hat q V^2 > 0")],
        sections={r: r"$q\to1$ limit of $q/(1-q)^2 = \alpha\,\mathbb E g_{\rm out}^2$:"},
        reference=REFERENCE)


def gardner_volume_system() -> SaddlePointSystem:
    r"""Gardner's finite-q saddle point :math:`q/(1-q)^2 = \alpha\,\mathbb E_\xi g_{\rm out}^2`
    (module docstring), the system whose :math:`q\to1` limit :func:`gardner_system` solves.

    The state is :math:`\hat q = q/(1-q)^2`; q and V = 1 - q are its stable roots
    :math:`q = 2\hat q/(2\hat q + 1 + \sqrt{4\hat q + 1})`,
    :math:`V = (1 + \sqrt{4\hat q + 1})/(2\hat q + 1 + \sqrt{4\hat q + 1})`.

    Returns
    -------
    SaddlePointSystem
        State :math:`\hat q`, parameters alpha, kappa; observable q.
    """
    a = sp.Symbol("alpha", positive=True)
    qh = sp.Symbol(r"\hat{q}", positive=True)
    q, V = sp.symbols("q V", positive=True)
    root = 2 * qh + 1 + sp.sqrt(4 * qh + 1)
    u = (sp.sqrt(q) * xi - kappa) / sp.sqrt(V)
    return SaddlePointSystem(
        name="gardner_volume", state=[qh], parameters=[a, kappa],
        steps=[(q, 2 * qh / root), (V, (1 + sp.sqrt(4 * qh + 1)) / root)],
        updates={qh: a / V * E(logPhi1(u) ** 2, over=XI)}, observables={"q": q}, reference=REFERENCE)


#: the registered model (``theory solve gardner kappa=1``): the limit system, validated
#: parameters (kappa any finite real, from its SymPy assumptions) and its start
Gardner = register(Model.from_system(
    gardner_system(), defaults={"kappa": 0.0}, starts={"alpha_c": 1.0},
    title="Gardner capacity alpha_c(kappa) of the spherical perceptron with margin kappa"))
Gardner.__module__ = __name__  # its documentation page is this module's, not models.base's
