r"""The three extension points: :class:`Loss`, :class:`Penalty`, :class:`Channel`.

A loss, a penalty or a teacher channel is one file holding one class (the pattern of
TRAMP: Baker, Aubin, Krzakala, Zdeborova, arXiv:2004.01571, where a prior or channel is one
class).
The same object serves the replica equations (:mod:`theory.models.rf_convex`) and the
simulator (:mod:`theory.simulate.random_features`).

Loss
----
A subclass gives its value :math:`\ell(y, z)` ONCE, as a SymPy expression in the class symbols
:data:`y`, :data:`z` (:meth:`Loss.expr`). Everything else derives from it:

* :meth:`Loss.derivative` -- :math:`\partial_z\ell`, :math:`\partial_z^2\ell` (``sympy.diff``);
* float64 numerics :meth:`Loss.value`, :meth:`Loss.grad`, :meth:`Loss.hess` (lambdified with the
  stable atoms of :mod:`theory.symbolic.atoms`), and their mpmath twins ``*_mp``;
* the proximal operator (Gerace et al. 2020, arXiv:2002.09339v2, the function :math:`\eta` of
  the saddle-point equations)

  .. math:: \eta(y, \omega, V) = \operatorname{prox}_{V\ell(y,\cdot)}(\omega)
            = \operatorname{argmin}_x \Bigl[\frac{(x - \omega)^2}{2V} + \ell(y, x)\Bigr],
            \qquad \partial_\omega\eta = \frac{1}{1 + V\,\partial_z^2\ell(y, \eta)},

  by default a safeguarded vectorised Newton method on
  :math:`g(x) = (x - \omega)/V + \partial_z\ell(y, x)` (increasing for a convex loss), with the
  exact bracket :math:`x \in [\omega - V\ell'(y, \omega), \omega]` (or the reverse) given by the
  monotonicity of :math:`\ell'` (rtsafe: Press et al., *Numerical Recipes*, 3rd ed., Sec. 9.4);
  a subclass with a closed form overrides :meth:`Loss.prox` / :meth:`Loss.prox_mp` /
  :meth:`Loss.prox_symbolic`.

Penalty
-------
:math:`r(w)` per coordinate, with :meth:`Penalty.prox` :math:`\operatorname{prox}_{Vr}(\omega)`.

Channel
-------
The teacher's label law :math:`y\,|\,\omega_0` (:math:`\omega_0 = \theta\cdot c/\sqrt d`):
either a regression channel :math:`y = f_0(\omega_0) + F_\star\xi + \sqrt\Delta\zeta`
(:math:`F_\star` the norm of a nonlinear part of the target acting as effective noise, the
convention of Mei & Montanari arXiv:1908.05355v5 Thm. 1 and of :mod:`theory.models.rf_ridge`),
or a discrete-label channel with :math:`P(y|\omega_0)`.
"""

from __future__ import annotations

import math
from typing import ClassVar

import mpmath
import numpy as np
import sympy as sp

from ..errors import ConvergenceError, InputError

__all__ = ["Loss", "Penalty", "Channel", "y", "z", "omega", "V"]

#: the symbols every loss is written in: label y, prediction (local field) z
y, z = sp.symbols("y z", real=True)
#: the symbols of the proximal operator
omega = sp.Symbol("omega", real=True)
V = sp.Symbol("V", positive=True)

_NEWTON_MAX = 200


def _fmt(v):
    return float(v) if isinstance(v, (int, float, np.floating)) else v


class _Spec:
    """Name, numeric parameters, equality and hashing by (class, parameters)."""

    name: ClassVar[str] = ""
    params: ClassVar[tuple] = ()

    def key(self) -> tuple:
        return (type(self).__module__, type(self).__qualname__,
                tuple(_fmt(getattr(self, k)) for k in self.params))

    def __eq__(self, other):
        return isinstance(other, _Spec) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    def __str__(self):
        if not self.params:
            return self.name
        return f"{self.name}({', '.join(f'{k}={getattr(self, k):g}' for k in self.params)})"

    __repr__ = __str__


class Loss(_Spec):
    r"""A convex loss :math:`\ell(y, z)` of the label y and the prediction z.

    Subclass and set ``name`` (the registry key), ``latex`` (its name in prose), ``margin``
    (True if :math:`\ell(y, z) = f(yz)` needs labels :math:`\pm 1`), ``residual`` (True if
    :math:`\ell(y, z) = f(y - z)`), and implement :meth:`expr`. Parameters of the loss (Huber's
    :math:`\delta`) are keyword arguments of ``__init__`` listed in ``params``.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory.losses import Loss, y, z
    >>> class Cosh(Loss):
    ...     name = "logcosh"
    ...     residual = True
    ...     def expr(self, yy, zz):
    ...         return sp.log(sp.cosh(yy - zz))
    >>> float(Cosh().prox(0.0, 1.0, 1.0)) < 1.0
    True
    """

    latex: ClassVar[str] = r"\ell"
    margin: ClassVar[bool] = False
    residual: ClassVar[bool] = False

    def expr(self, yy, zz) -> sp.Expr:
        """:math:`\\ell(y, z)` as a SymPy expression of ``yy``, ``zz`` (subclasses implement)."""
        raise NotImplementedError

    # ------------------------------------------------------------ symbolic
    def derivative(self, order: int = 1, yy=y, zz=z) -> sp.Expr:
        r""":math:`\partial_z^k\ell(y, z)` (``order`` = k) as a SymPy expression: the
        derivative almost everywhere (Dirac masses at kinks of :math:`\ell'` are dropped)."""
        d = sp.diff(self.expr(y, z), z, order).replace(sp.DiracDelta, lambda *a: sp.S.Zero)
        return d.subs({y: yy, z: zz}, simultaneous=True)

    # ------------------------------------------------------------ float64 numerics
    def _np(self, order):
        cache = self.__dict__.setdefault("_np_cache", {})
        if order not in cache:
            from ..numeric.bridge import numpy_function

            e = self.expr(y, z) if order == 0 else self.derivative(order)
            f = numpy_function(e, (y, z))
            cache[order] = lambda a, b, _f=f: np.broadcast_to(
                np.asarray(_f(np.asarray(a, float), np.asarray(b, float)), float),
                np.broadcast_shapes(np.shape(a), np.shape(b)))
        return cache[order]

    def _mp(self, order):
        cache = self.__dict__.setdefault("_mp_cache", {})
        if order not in cache:
            from ..numeric.bridge import mpmath_function

            e = self.expr(y, z) if order == 0 else self.derivative(order)
            cache[order] = mpmath_function(e, (y, z))
        return cache[order]

    def value(self, yy, zz) -> np.ndarray:
        r""":math:`\ell(y, z)`, float64, arrays broadcast together."""
        return self._np(0)(yy, zz)

    def grad(self, yy, zz) -> np.ndarray:
        r""":math:`\partial_z\ell(y, z)`, float64."""
        return self._np(1)(yy, zz)

    def hess(self, yy, zz) -> np.ndarray:
        r""":math:`\partial_z^2\ell(y, z)`, float64."""
        return self._np(2)(yy, zz)

    def value_mp(self, yy, zz):
        """mpmath twin of :meth:`value` (scalars, working precision)."""
        return self._mp(0)(yy, zz)

    def grad_mp(self, yy, zz):
        """mpmath twin of :meth:`grad`."""
        return self._mp(1)(yy, zz)

    def hess_mp(self, yy, zz):
        """mpmath twin of :meth:`hess`."""
        return self._mp(2)(yy, zz)

    # ------------------------------------------------------------ proximal operator
    def prox(self, yy, om, VV) -> np.ndarray:
        r"""Proximal operator :math:`\eta(y, \omega, V)`, float64, vectorised.

        Parameters
        ----------
        yy, om, VV : array_like
            Labels, :math:`\omega` (finite), :math:`V > 0` (finite); broadcast together.

        Returns
        -------
        ndarray
            :math:`\eta`, the root of :math:`(x - \omega)/V + \partial_z\ell(y, x)` to a few
            ulps (safeguarded Newton inside the exact bracket, see the module docstring).

        Raises
        ------
        InputError
            ``V`` not finite and > 0, or ``omega`` not finite.
        ConvergenceError
            A node whose bracket did not shrink to round-off in 200 steps (the message names
            the node: y, omega, V and the bracket).
        """
        return newton_prox(self, yy, om, VV)

    def prox_derivative(self, yy, om, VV) -> np.ndarray:
        r""":math:`\partial_\omega\eta = 1/(1 + V\partial_z^2\ell(y, \eta))` (implicit function
        theorem; a kink of :math:`\ell'` is a measure-zero set of nodes)."""
        eta = self.prox(yy, om, VV)
        return 1.0 / (1.0 + np.asarray(VV, float) * self.hess(yy, eta))

    def prox_mp(self, yy, om, VV):
        """mpmath twin of :meth:`prox` (scalars, working precision; Newton with bisection)."""
        return newton_prox_mp(self, yy, om, VV)

    def prox_derivative_mp(self, yy, om, VV):
        """mpmath twin of :meth:`prox_derivative`."""
        eta = self.prox_mp(yy, om, VV)
        return 1 / (1 + VV * self.hess_mp(yy, eta))

    def prox_symbolic(self, yy, om, VV) -> tuple:
        r"""(:math:`\eta`, :math:`\partial_\omega\eta`, :math:`\ell(y, \eta)`) as SymPy
        expressions for the replica equations.

        Default: :math:`\eta` a named function (prints :math:`\eta(y, \omega, V)`) computed by
        :meth:`prox` / :meth:`prox_mp`; :math:`\partial_\omega\eta` and the loss at
        :math:`\eta` from :meth:`expr` (so the loss itself prints in the equations).
        """
        eta = self.eta_function()(yy, om, VV)
        d2 = self.derivative(2, yy, eta)
        return eta, 1 / (1 + VV * d2), self.expr(yy, eta)

    def eta_function(self):
        """The SymPy function class of :math:`\\eta` (numeric implementations attached)."""
        cache = self.__dict__.setdefault("_eta_fn", [])
        if not cache:
            from ..symbolic.expectation import numeric_function

            tag = "".join(ch if ch.isalnum() else "_" for ch in str(self))
            cache.append(numeric_function(f"eta_{tag}", 3, self.prox, self.prox_mp,
                                          latex=r"\eta"))
        return cache[0]

    def features(self, VV) -> list:
        r"""[(center, width)] in :math:`\omega` (for label y = +1; mirrored for y = -1 by the
        caller of a margin loss) where :math:`\eta` bends without a kink; default none."""
        return []

    def exact_step(self, r, VV):
        """For a residual loss: :math:`\\eta - \\omega` as a function of :math:`r = y - \\omega`
        when it is a polynomial in r (then every Gaussian channel average is closed form);
        None otherwise."""
        return None

    # ------------------------------------------------------------ empirical risk minimisation
    def erm(self, A: np.ndarray, yv: np.ndarray, lam: float) -> tuple:
        r"""Minimise :math:`\sum_\mu\ell(y^\mu, (Aw)_\mu) + \frac\lambda2\|w\|^2` (the
        simulator's fit) by L-BFGS with the gradient from :meth:`grad`.

        Parameters
        ----------
        A : ndarray, shape (n, p)
            Design (the simulator passes features / sqrt(p)).
        yv : ndarray, shape (n,)
            Labels.
        lam : float
            Penalty > 0.

        Returns
        -------
        (w, gradient_norm) : (ndarray shape (p,), float)

        Raises
        ------
        ConvergenceError
            Max-norm of the gradient above 1e-6 times its scale at the end.
        """
        import scipy.optimize

        def f(w):
            zz = A @ w
            val = float(self.value(yv, zz).sum()) + 0.5 * lam * float(w @ w)
            return val, A.T @ self.grad(yv, zz) + lam * w

        r = scipy.optimize.minimize(f, np.zeros(A.shape[1]), jac=True, method="L-BFGS-B",
                                    options={"maxiter": 20000, "maxcor": 30, "gtol": 1e-9,
                                             "ftol": 1e-15})
        gnorm = float(np.max(np.abs(f(r.x)[1])))
        scale = max(1.0, float(np.max(np.abs(lam * r.x))))
        if gnorm > 1e-6 * scale:
            raise ConvergenceError(f"{self} fit did not converge ({r.message})", gnorm,
                                   1e-6 * scale, hint="raise lam or lower alpha")
        return r.x, gnorm


# ------------------------------------------------------------------ generic Newton prox
def _check_prox_input(om, VV):
    badV = ~(VV > 0) | ~np.isfinite(VV)
    if np.any(badV):
        raise InputError("V", np.atleast_1d(VV[badV]).tolist()[:3], "finite numbers > 0")
    if np.any(~np.isfinite(om)):
        raise InputError("omega", np.atleast_1d(om[~np.isfinite(om)]).tolist()[:3],
                         "finite numbers")


def _mid(lo, hi):
    """Bisection point of [lo, hi] in asinh units (log scale for wide brackets, arithmetic
    for narrow ones), so a bracket [-400, 1e116] shrinks in ~10 steps, not ~390."""
    with np.errstate(over="ignore", invalid="ignore"):
        m = np.sinh(0.5 * (np.arcsinh(lo) + np.arcsinh(hi)))
    a = 0.5 * lo + 0.5 * hi
    return np.where(np.isfinite(m) & (m > lo) & (m < hi), m, a)


def newton_prox(loss: Loss, yy, om, VV) -> np.ndarray:
    r"""Vectorised safeguarded Newton (rtsafe) for :math:`\operatorname{prox}_{V\ell(y,\cdot)}`.

    Solves :math:`g(x) = (x - \omega)/V + \ell'(y, x) = 0` at every node at once.
    :math:`g' = 1/V + \ell'' > 0`; the bracket :math:`[\omega - V\ell'(y,\omega), \omega]`
    (reversed when :math:`\ell'(y, \omega) < 0`) holds the root because :math:`\ell'` is
    nondecreasing; when that end overflows it is found by doubling. Each step is Newton's if it
    stays inside the bracket and shrank the step by half, else bisection (in asinh units); a node stops when
    its bracket or its step is at round-off (4 ulps of x), then two Newton steps kept inside the
    bracket polish it.

    Parameters
    ----------
    loss : Loss
    yy, om, VV : array_like (broadcast together)

    Returns
    -------
    ndarray of :math:`\eta`.

    Raises
    ------
    InputError
        Bad V or omega.
    ConvergenceError
        A node not converged after 200 steps; the message names the first such node.
    """
    yy, om, VV = (np.asarray(a, float) for a in np.broadcast_arrays(yy, om, VV))
    _check_prox_input(om, VV)
    shape = om.shape
    yf, of, Vf = yy.ravel(), om.ravel(), VV.ravel()
    with np.errstate(over="ignore", invalid="ignore"):
        g0 = loss.grad(yf, of)
        other = of - Vf * g0
    lo = np.where(g0 > 0, other, of)
    hi = np.where(g0 > 0, of, other)
    x = of.copy()
    done = g0 == 0
    # an end that overflowed: double a step from omega until g changes sign
    bad = ~np.isfinite(lo) | ~np.isfinite(hi)
    if np.any(bad):
        step = np.ones(bad.sum())
        sgn = np.where(g0[bad] > 0, -1.0, 1.0)
        ob, yb, Vb = of[bad], yf[bad], Vf[bad]
        end = ob + sgn * step
        for _ in range(2100):
            with np.errstate(over="ignore", invalid="ignore"):
                ge = (end - ob) / Vb + loss.grad(yb, end)
            ok = (sgn * ge >= 0) | ~np.isfinite(end)
            if np.all(ok):
                break
            step = np.where(ok, step, 2 * step)
            end = np.where(ok, end, ob + sgn * step)
        lo[bad] = np.where(sgn > 0, ob, end)
        hi[bad] = np.where(sgn > 0, end, ob)
    x = np.where(done, of, _mid(lo, hi))
    x = np.where(np.isfinite(x), x, np.where(np.isfinite(lo), lo, hi))
    dx_old = np.abs(hi - lo)
    idx = np.flatnonzero(~done)
    eps = np.finfo(float).eps
    for _ in range(_NEWTON_MAX):
        if idx.size == 0:
            break
        xi, oi, Vi, yi = x[idx], of[idx], Vf[idx], yf[idx]
        with np.errstate(over="ignore", invalid="ignore"):
            g = (xi - oi) / Vi + loss.grad(yi, xi)
            gp = 1.0 / Vi + loss.hess(yi, xi)
        if np.any(np.isnan(g)):  # the derivative failed at this node: no bracket update
            k = int(np.flatnonzero(np.isnan(g))[0])
            raise ConvergenceError(
                f"prox of the {loss} loss: the derivative is NaN at x = {float(xi[k])!r} for the node "
                f"y = {float(yi[k])!r}, omega = {float(oi[k])!r}, V = {float(Vi[k])!r} (safeguarded Newton, bracket "
                f"[{float(lo[idx][k])!r}, {float(hi[idx][k])!r}])", float("nan"), 0.0,
                hint="check Loss.grad / Loss.expr on this range")
        li, hi_ = lo[idx], hi[idx]
        li = np.where(g < 0, xi, li)
        hi_ = np.where(g > 0, xi, hi_)
        lo[idx], hi[idx] = li, hi_
        with np.errstate(divide="ignore", invalid="ignore"):
            xn = xi - g / gp
        newton_ok = (np.isfinite(xn) & (xn > li) & (xn < hi_)
                     & (np.abs(xn - xi) < 0.5 * dx_old[idx]))
        xb = _mid(li, hi_)
        xnew = np.where(newton_ok, xn, xb)
        dx_old[idx] = np.abs(xnew - xi)
        x[idx] = xnew
        # round-off of x itself (a root at a kink of l' is reached by bisection alone); the
        # floor eps^2 max(1, |omega|) stops a root at 0 after ~110 halvings at most
        tol = 4 * eps * np.maximum(np.abs(xnew), eps * np.maximum(1.0, np.abs(oi)))
        conv = (g == 0) | (np.abs(xnew - xi) <= tol) | (hi_ - li <= tol)
        idx = idx[~conv]
    if idx.size == 0:
        # polish: two Newton steps kept inside the bracket (a smooth root stopped by its
        # bracket is then at round-off)
        for _ in range(2):
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                g = (x - of) / Vf + loss.grad(yf, x)
                xn = x - g / (1.0 / Vf + loss.hess(yf, x))
            x = np.where(np.isfinite(xn) & (xn >= lo) & (xn <= hi), xn, x)
    if idx.size:
        k = idx[0]
        raise ConvergenceError(
            f"prox of the {loss} loss did not converge at node y = {float(yf[k])!r}, omega = "
            f"{float(of[k])!r}, V = {float(Vf[k])!r} (bracket [{float(lo[k])!r}, {float(hi[k])!r}] after "
            f"{_NEWTON_MAX} safeguarded Newton steps; {idx.size} node(s) failed)",
            float(hi[k] - lo[k]), float(4 * eps * max(abs(x[k]), abs(of[k]))),
            hint="give the loss a closed-form prox (override Loss.prox)")
    return x.reshape(shape)


def newton_prox_mp(loss: Loss, yy, om, VV):
    """mpmath twin of :func:`newton_prox` on scalars at the working precision."""
    yy, om, VV = mpmath.mpf(yy), mpmath.mpf(om), mpmath.mpf(VV)
    if not (VV > 0 and mpmath.isfinite(VV)):
        raise InputError("V", VV, "a finite number > 0")
    with mpmath.extradps(10):
        g0 = loss.grad_mp(yy, om)
        if g0 == 0:
            return +om
        sgn = -1 if g0 > 0 else 1
        step = abs(VV * g0)
        if not mpmath.isfinite(step) or step == 0:
            step = mpmath.mpf(1)
        end = om + sgn * step
        for _ in range(5000):
            if sgn * ((end - om) / VV + loss.grad_mp(yy, end)) >= 0:
                break
            step *= 2
            end = om + sgn * step
        lo, hi = (end, om) if sgn < 0 else (om, end)

        def mid(a, b):
            if b - a > 1:
                return mpmath.sinh((mpmath.asinh(a) + mpmath.asinh(b)) / 2)
            return (a + b) / 2

        x = mid(lo, hi)
        eps = mpmath.mpf(2) ** (-mpmath.mp.prec + 4)
        dx_old = hi - lo
        for _ in range(20 * mpmath.mp.prec):
            g = (x - om) / VV + loss.grad_mp(yy, x)
            if g < 0:
                lo = x
            elif g > 0:
                hi = x
            else:
                break
            gp = 1 / VV + loss.hess_mp(yy, x)
            xn = x - g / gp if gp > 0 else mid(lo, hi)
            if not (lo < xn < hi) or abs(xn - x) >= dx_old / 2:  # rtsafe: bisect
                xn = mid(lo, hi)
            dx_old = abs(xn - x)
            floor = eps * max(abs(xn), eps * max(1, abs(om)))
            done = abs(xn - x) <= floor or hi - lo <= floor
            x = xn
            if done:
                break
        else:
            raise ConvergenceError(f"mpmath prox of the {loss} loss did not converge at "
                                   f"y = {yy}, omega = {om}, V = {VV}", float(hi - lo),
                                   float(eps))
        for _ in range(2):  # polish inside the bracket (see newton_prox)
            gp = 1 / VV + loss.hess_mp(yy, x)
            xn = x - ((x - om) / VV + loss.grad_mp(yy, x)) / gp
            if lo <= xn <= hi:
                x = xn
    return +x


# ------------------------------------------------------------------ penalty
class Penalty(_Spec):
    r"""A separable penalty :math:`\lambda\,r(w)` per coordinate.

    Subclasses implement :meth:`expr` (SymPy, in the symbol :data:`z` for w and ``lam``) and
    :meth:`prox` :math:`\operatorname{argmin}_x [(x - \omega)^2/(2V) + \lambda r(x)]`.
    """

    latex: ClassVar[str] = "r"

    def expr(self, w, lam) -> sp.Expr:
        raise NotImplementedError

    def prox(self, om, VV, lam) -> np.ndarray:
        raise NotImplementedError

    def prox_mp(self, om, VV, lam):
        raise NotImplementedError


# ------------------------------------------------------------------ channel
class Channel(_Spec):
    r"""The teacher's label law :math:`y\,|\,\omega_0`, :math:`\omega_0 = \theta\cdot c/\sqrt d
    \sim \mathcal N(0, \rho)`.

    Two kinds (``discrete``):

    * regression (``discrete = False``): :math:`y = f_0(\omega_0) + F_\star\xi +
      \sqrt\Delta\,\zeta`, :math:`\xi, \zeta \sim \mathcal N(0, 1)` independent of
      :math:`\omega_0` and of the features. Subclasses give :meth:`f0` (SymPy) and
      :meth:`clean` (NumPy). :math:`F_\star` is the norm of the nonlinear part of the target,
      which random features with :math:`p \propto d` cannot learn, so it enters training as
      extra noise and the test error as :math:`+F_\star^2` (Mei & Montanari,
      arXiv:1908.05355v5, Thm. 1: :math:`R = F_1^2\mathscr B + (\tau^2 + F_\star^2)\mathscr V
      + F_\star^2`; the same symbol and convention as :mod:`theory.models.rf_ridge`). It is
      exact for the square loss, where only second moments of the labels enter; for any
      other loss it DEFINES the nonlinear part as a Gaussian field independent of
      :math:`\omega_0`.
    * discrete labels (``discrete = True``, ``labels`` the finite set): :meth:`likelihood`
      :math:`P(y|\omega_0)` and its Gaussian smoothing :meth:`smoothed`
      :math:`\mathbb E[P(y|\omega_0)]`, :math:`\omega_0 \sim \mathcal N(\mu, v)`.
    """

    discrete: ClassVar[bool] = False
    labels: ClassVar[tuple] = ()
    latex: ClassVar[str] = "f_0"
    accepts_fstar: ClassVar[bool] = True

    # regression channels
    def f0(self, w0) -> sp.Expr:
        """The clean output :math:`f_0(\\omega_0)` (SymPy)."""
        raise NotImplementedError

    def clean(self, w0: np.ndarray) -> np.ndarray:
        """:math:`f_0(\\omega_0)` in float64 (the simulator's clean target)."""
        from ..numeric.bridge import numpy_function

        w = sp.Symbol("omega_0", real=True)
        return np.broadcast_to(np.asarray(numpy_function(self.f0(w), (w,))(w0), float),
                               np.shape(w0))

    # discrete channels
    def likelihood(self, yy, w0, Delta) -> sp.Expr:
        """:math:`P(y|\\omega_0)` at noise variance Delta (SymPy)."""
        raise NotImplementedError

    def smoothed(self, yy, mu, var, Delta) -> sp.Expr:
        """:math:`\\mathbb E P(y|\\omega_0)` over :math:`\\omega_0 \\sim \\mathcal N(\\mu, v)`."""
        raise NotImplementedError

    def smoothing_width(self, var, Delta) -> sp.Expr:
        """Width in :math:`\\mu` over which :meth:`smoothed` switches (for the quadrature)."""
        return sp.sqrt(var + Delta)

    # both
    def sample(self, w0: np.ndarray, zeta: np.ndarray, *, noise: float,
               nonlinear: np.ndarray | None = None) -> np.ndarray:
        r"""Labels for the simulator.

        Parameters
        ----------
        w0 : ndarray, teacher fields :math:`\omega_0`
        zeta : ndarray, standard normals (same shape), the label noise
        noise : float, :math:`\Delta`
        nonlinear : ndarray or None, the nonlinear part :math:`F_\star\,\cdot` (regression)

        Returns
        -------
        ndarray of labels.
        """
        out = self.clean(w0)
        if nonlinear is not None:
            out = out + nonlinear
        return out + math.sqrt(noise) * zeta if noise > 0 else out
