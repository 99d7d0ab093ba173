r"""Proximal operators of convex losses, vectorised over all quadrature nodes at once.

:math:`\eta(y, \omega, V) = \operatorname{argmin}_x \bigl[(x - \omega)^2/(2V) + \ell(y, x)\bigr]`
(Gerace et al. 2020, arXiv:2002.09339v2, the function :math:`\eta` of their saddle-point
equations), and :math:`\partial_\omega\eta = 1/(1 + V\ell''(y, \eta))`. Labels are
:math:`y = \pm 1` for the logistic and hinge losses; :math:`\eta` depends on :math:`(y, \omega)`
only through :math:`u = y\omega`, :math:`\eta = y\,t(u, V)`.

Logistic loss :math:`\ell(y, x) = \log(1 + e^{-yx})`
-----------------------------------------------------
:math:`t` solves :math:`t - u = V\sigma(-t)` (:math:`\sigma` the logistic function). The
solution grows like :math:`\log V` (:math:`u = 0`: :math:`t e^{t} \approx V`), so an update
written in absolute terms loses relative accuracy at large :math:`V` (NUMERICS.md, last
section). Here the unknown is the step :math:`x = t - u \in (0, V]` on a log scale,
:math:`s = \log x`; taking logs of :math:`x(1 + e^{u+x}) = V`,

.. math:: G(s) = s + \operatorname{softplus}(u + e^s) - \log V = 0,
   \qquad G'(s) = 1 + x\,\sigma(t) \ge 1, \qquad G''(s) = x\sigma(t) + x^2\sigma(t)\sigma(-t) > 0.

:math:`G` is increasing and convex, so Newton's method converges from any start (after at most
one step it is right of the root and then decreases monotonically, quadratically near the root).
The start is :math:`\min(\log V, \log W(Ve^{-u}))` (:math:`W` the Lambert function, which solves
the equation without the 1 in :math:`1 + e^{u+x}`, from Winitzki's approximation written through
:math:`\operatorname{softplus}(\log V - u) = \log(1 + Ve^{-u})`, so that nothing overflows);
four to six steps reach round-off. Iterates are updated multiplicatively,
:math:`x \leftarrow x e^{-\Delta s}`, so :math:`x` keeps full relative accuracy at any size.
:math:`t = u + x` cancels when :math:`u < 0` and :math:`t \approx 0`; one Newton step on
:math:`h(t) = (t - u) - V\sigma(-t)` (:math:`h' = 1 + V\sigma(t)\sigma(-t)`) removes that error,
since :math:`h` is evaluated with absolute error :math:`\epsilon|u|` and :math:`|u|/h'(t) \le 2`
near :math:`t = 0`.

:math:`\ell''(t) = \sigma(t)\sigma(-t)` is evaluated as that product (not :math:`s(1 - s)`, which
cancels for :math:`t \gg 1`: the old form was off by 4e-6 relative at :math:`V = 10^{12}`).

Hinge loss :math:`\ell(y, x) = \max(0, 1 - yx)`
------------------------------------------------
:math:`t = u + V` on :math:`u < 1 - V`, :math:`t = 1` on :math:`[1 - V, 1]`, :math:`t = u` beyond;
:math:`\partial_\omega\eta = 0` on :math:`(1 - V, 1)` and 1 outside (at the two kinks, a set of
measure zero, the value of the closed interval is used).

Square loss :math:`\ell(y, x) = (y - x)^2/2`
---------------------------------------------
:math:`\eta = (\omega + Vy)/(1 + V)`, :math:`\partial_\omega\eta = 1/(1 + V)` (any real y).

Every function has an mpmath twin (suffix ``_mp``) that runs the same algorithm at the working
precision (``mpmath.mp.dps``) on scalars.
"""

from __future__ import annotations

import mpmath
import numpy as np

__all__ = ["logistic_prox", "logistic_prox_derivative", "logistic_loss", "logistic_prox_mp",
           "logistic_prox_derivative_mp", "logistic_loss_mp", "hinge_prox",
           "hinge_prox_derivative", "hinge_loss", "hinge_prox_mp", "hinge_prox_derivative_mp",
           "hinge_loss_mp", "square_prox", "square_prox_derivative", "square_loss",
           "square_prox_mp", "square_prox_derivative_mp", "square_loss_mp"]


_RECENT: list = []  # (u, V, t) of the last few solves: eta, d eta and the loss share nodes
_MAX_NEWTON = 60  # G convex with G' >= 1: 4-6 steps from the start below; 60 is a safeguard


def _solve_t(u, V):
    u, V = np.broadcast_arrays(np.asarray(u, float), np.asarray(V, float))
    for lu, lv, lt in _RECENT:
        if lu.shape == u.shape and np.array_equal(lu, u) and np.array_equal(lv, V):
            return lt
    t = _newton_t(u, V)
    _RECENT.insert(0, (u.copy(), V.copy(), t))
    del _RECENT[4:]
    return t


def _softplus(x):
    """log(1 + e^x) to relative accuracy (np.logaddexp is ~10x slower)."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _sig(x):
    """The logistic function 1/(1 + e^{-x}), relative accuracy for all x (no cancellation)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def _winitzki(a):
    """Winitzki's approximation of W(z) from a = log(1 + z) (relative error < 2e-2, z >= 0)."""
    return a * (1.0 - np.log1p(a) / (2.0 + a))


def _newton_t(u, V):
    """t(u, V) solving t - u = V sigma(-t), all nodes at once (see the module docstring)."""
    u = np.asarray(u, float)
    V = np.asarray(V, float)
    badV = ~(V > 0) | ~np.isfinite(V)
    if np.any(badV) or np.any(~np.isfinite(u)):
        from ..errors import InputError

        if np.any(badV):
            raise InputError("V", np.atleast_1d(V[badV]).tolist()[:3], "finite numbers > 0")
        raise InputError("omega", np.atleast_1d(u[~np.isfinite(u)]).tolist()[:3],
                         "finite numbers")
    # symmetry t(u, V) = -t(-(u + V), V): solve with t >= 0 only (u >= -V/2); u + V is exact
    # (Sterbenz) where the flip matters, -2V <= u <= -V/2
    flip = u < -0.5 * V
    u = np.where(flip, -(u + V), u)
    logV = np.log(V)
    w = _winitzki(_softplus(logV - u))  # ~ W(V e^{-u}), never overflows
    with np.errstate(divide="ignore"):
        s = np.minimum(logV, np.log(w))
    s = np.where(np.isfinite(s), s, logV - _softplus(u))  # w underflowed: x ~ V sigma(-u)
    x = np.exp(s)
    # Newton on G(s) over the nodes still moving; a node stops when its step is below
    # round-off, or when the step stopped shrinking quadratically at the level of round-off
    # (G is evaluated with absolute error ~eps |u| sigma(t))
    idx = np.flatnonzero(np.ones(u.shape, bool))
    uu, ss, xx, VV, lV = u.ravel(), s.ravel().copy(), x.ravel().copy(), V.ravel(), logV.ravel()
    prev = np.full(idx.size, np.inf)
    for _ in range(_MAX_NEWTON):
        ui, si, xi, Vi, li = uu[idx], ss[idx], xx[idx], VV[idx], lV[idx]
        t = ui + xi
        r = xi / Vi
        with np.errstate(divide="ignore"):
            lr = np.where(r > 0, np.log(r), si - li)  # log(x/V) unless x/V underflowed
        ds = (lr + _softplus(t)) / (1.0 + xi * _sig(t))
        ss[idx] = si - ds
        xx[idx] = xi * np.exp(-ds)  # multiplicative: x keeps full relative accuracy
        a = np.abs(ds)
        more = (a > 4e-16) & ((a < 0.5 * prev) | (a > 1e-9 * (1.0 + np.abs(ui) / (1.0 + xi))))
        idx, prev = idx[more], a[more]
        if idx.size == 0:
            break
    x = xx.reshape(u.shape)
    # t = u + x cancels for u < 0 (absolute error eps |u|); there t = log((1 - p)/p) with
    # p = x/V = sigma(-t) <= 1/2 has absolute error ~3 eps
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / V
        t = np.where(u < 0, np.log1p(-p) - np.log(p), u + x)
    # one Newton step on h(t) = (t - u) - V sigma(-t); for t >= 0 its absolute error is
    # eps |u| / h'(t) <= 2 eps (h' >= 1 + |u| sigma(t) when u < 0)
    h = (t - u) - V * _sig(-t)
    t = t - h / (1.0 + V * _ell2(t))
    return np.where(flip, -t, t)


def _ell2(t):
    """l''(t) = sigma(t) sigma(-t) of the logistic loss, without cancellation."""
    return _sig(t) * _sig(-t)


def logistic_prox(y, omega, V):
    r"""Proximal operator :math:`\eta(y, \omega, V)` of the logistic loss.

    Parameters
    ----------
    y : array_like
        Labels :math:`\pm 1` (arrays broadcast together).
    omega : array_like
        :math:`\omega`, finite.
    V : array_like
        :math:`V > 0`, finite (any size: :math:`10^{-12} \dots 10^{60}` are tested).

    Returns
    -------
    numpy.ndarray of float
        :math:`\eta = y\,t`, :math:`t - y\omega = V\sigma(-t)` (module docstring), to
        relative accuracy ~1e-15 (tests/test_edges_prox.py against 30-digit bisection).

    Raises
    ------
    InputError
        ``V`` not finite and > 0, or ``omega`` not finite.
    """
    y = np.asarray(y, float)
    return y * _solve_t(y * np.asarray(omega, float), V)


def logistic_prox_derivative(y, omega, V):
    r""":math:`\partial_\omega\eta = 1/(1 + V\sigma(t)\sigma(-t))` of the logistic loss.

    Parameters
    ----------
    y : array_like
        Labels :math:`\pm 1`.
    omega : array_like
        :math:`\omega` (finite), broadcast with ``y``.
    V : array_like
        :math:`V > 0` (finite), broadcast with ``y``.

    Returns
    -------
    numpy.ndarray of float
        :math:`\partial_\omega\eta \in (0, 1)`, the broadcast shape.

    Raises
    ------
    InputError
        As :func:`logistic_prox`.
    """
    t = _solve_t(np.asarray(y, float) * np.asarray(omega, float), V)
    return 1.0 / (1.0 + np.asarray(V, float) * _ell2(t))


def logistic_loss(y, x):
    r""":math:`\log(1 + e^{-yx})` without overflow (``numpy.logaddexp``).

    Parameters
    ----------
    y : array_like
        Labels :math:`\pm 1`.
    x : array_like
        Predictions, broadcast with ``y``.

    Returns
    -------
    numpy.ndarray of float
        The loss, the broadcast shape.
    """
    return np.logaddexp(0.0, -np.asarray(y, float) * np.asarray(x, float))


def _t_mp(u, V):
    """The same algorithm as :func:`_newton_t` on mpmath scalars at the working precision."""
    u, V = mpmath.mpf(u), mpmath.mpf(V)
    if not V > 0:
        from ..errors import InputError

        raise InputError("V", V, "a number > 0")
    with mpmath.extradps(10):
        flip = u < -V / 2
        if flip:
            u = -(u + V)
        eps = mpmath.mpf(2) ** (-mpmath.mp.prec + 12)
        logV = mpmath.log(V)

        def softplus(a):
            return mpmath.log1p(mpmath.exp(a)) if a < 0 else a + mpmath.log1p(mpmath.exp(-a))

        L = logV - u
        w = mpmath.lambertw(mpmath.exp(L)).real if L < 1e6 else L - mpmath.log(L)
        x = mpmath.exp(min(logV, mpmath.log(w)) if w > 0 else logV - softplus(u))
        for _ in range(200):
            t = u + x
            ds = (mpmath.log(x / V) + softplus(t)) / (1 + x / (1 + mpmath.exp(-t)))
            x = x * mpmath.exp(-ds)
            if abs(ds) <= eps:
                break
        t = mpmath.log1p(-x / V) - mpmath.log(x / V) if u < 0 else u + x
        for _ in range(2):
            h = (t - u) - V / (1 + mpmath.exp(t))
            t = t - h / (1 + V / ((1 + mpmath.exp(t)) * (1 + mpmath.exp(-t))))
        if flip:
            t = -t
    return +t


def logistic_prox_mp(y, omega, V):
    r"""mpmath twin of :func:`logistic_prox` (scalars, working precision).

    Parameters
    ----------
    y : mpmath.mpf or float
        Label :math:`\pm 1`.
    omega : mpmath.mpf or float
        :math:`\omega` (finite).
    V : mpmath.mpf or float
        :math:`V > 0` (finite).

    Returns
    -------
    mpmath.mpf
        :math:`\eta` at the working precision.

    Raises
    ------
    InputError
        ``V`` not > 0.
    """
    return y * _t_mp(y * omega, V)


def logistic_prox_derivative_mp(y, omega, V):
    r"""mpmath twin of :func:`logistic_prox_derivative`.

    Parameters
    ----------
    y : mpmath.mpf or float
        Label :math:`\pm 1`.
    omega : mpmath.mpf or float
        :math:`\omega` (finite).
    V : mpmath.mpf or float
        :math:`V > 0` (finite).

    Returns
    -------
    mpmath.mpf
        :math:`\partial_\omega\eta` at the working precision.
    """
    t = _t_mp(y * omega, V)
    return 1 / (1 + V / ((1 + mpmath.exp(t)) * (1 + mpmath.exp(-t))))


def logistic_loss_mp(y, x):
    r"""mpmath twin of :func:`logistic_loss`: :math:`\log(1 + e^{-yx})` (``log1p``).

    Parameters
    ----------
    y : mpmath.mpf or float
        Label :math:`\pm 1`.
    x : mpmath.mpf or float
        Prediction.

    Returns
    -------
    mpmath.mpf
        The loss at the working precision.
    """
    return mpmath.log1p(mpmath.exp(-y * x))


# ------------------------------------------------------------------ hinge
def hinge_prox(y, omega, V):
    r"""Proximal operator of :math:`\max(0, 1 - yx)`, :math:`y = \pm 1` (module docstring).

    Parameters
    ----------
    y : array_like
        Labels :math:`\pm 1`.
    omega : array_like
        :math:`\omega` (finite), broadcast with ``y``.
    V : array_like
        :math:`V > 0` (finite), broadcast with ``y``.

    Returns
    -------
    numpy.ndarray of float
        :math:`\eta = y\,t`: :math:`t = y\omega + V` below :math:`1 - V`, 1 on
        :math:`[1 - V, 1]`, :math:`y\omega` above; the broadcast shape.
    """
    y, omega, V = np.broadcast_arrays(np.asarray(y, float), np.asarray(omega, float),
                                      np.asarray(V, float))
    u = y * omega
    t = np.where(u < 1.0 - V, u + V, np.where(u <= 1.0, 1.0, u))
    return y * t


def hinge_prox_derivative(y, omega, V):
    r""":math:`\partial_\omega\eta` of the hinge loss: 0 on :math:`1 - V < y\omega < 1`, else 1.

    Parameters
    ----------
    y : array_like
        Labels :math:`\pm 1`.
    omega : array_like
        :math:`\omega` (finite), broadcast with ``y``.
    V : array_like
        :math:`V > 0` (finite), broadcast with ``y``.

    Returns
    -------
    numpy.ndarray of float
        0 or 1, the broadcast shape.
    """
    y, omega, V = np.broadcast_arrays(np.asarray(y, float), np.asarray(omega, float),
                                      np.asarray(V, float))
    u = y * omega
    return np.where((u > 1.0 - V) & (u < 1.0), 0.0, 1.0)


def hinge_loss(y, x):
    r"""The hinge loss :math:`\max(0, 1 - yx)`.

    Parameters
    ----------
    y : array_like
        Labels :math:`\pm 1`.
    x : array_like
        Predictions, broadcast with ``y``.

    Returns
    -------
    numpy.ndarray of float
        The loss, the broadcast shape.
    """
    return np.maximum(0.0, 1.0 - np.asarray(y, float) * np.asarray(x, float))


def hinge_prox_mp(y, omega, V):
    r"""mpmath twin of :func:`hinge_prox`.

    Parameters
    ----------
    y : mpmath.mpf or float
        Label :math:`\pm 1`.
    omega : mpmath.mpf or float
        :math:`\omega` (finite).
    V : mpmath.mpf or float
        :math:`V > 0` (finite).

    Returns
    -------
    mpmath.mpf
        :math:`\eta` at the working precision.
    """
    u = y * omega
    return y * (u + V if u < 1 - V else (1 if u <= 1 else u))


def hinge_prox_derivative_mp(y, omega, V):
    r"""mpmath twin of :func:`hinge_prox_derivative`.

    Parameters
    ----------
    y : mpmath.mpf or float
        Label :math:`\pm 1`.
    omega : mpmath.mpf or float
        :math:`\omega` (finite).
    V : mpmath.mpf or float
        :math:`V > 0` (finite).

    Returns
    -------
    mpmath.mpf
        :math:`\partial_\omega\eta` (0 or 1) at the working precision.
    """
    u = y * omega
    return mpmath.mpf(0) if 1 - V < u < 1 else mpmath.mpf(1)


def hinge_loss_mp(y, x):
    r"""mpmath twin of :func:`hinge_loss`.

    Parameters
    ----------
    y : mpmath.mpf or float
        Label :math:`\pm 1`.
    x : mpmath.mpf or float
        Prediction.

    Returns
    -------
    mpmath.mpf
        :math:`\max(0, 1 - yx)` at the working precision.
    """
    return max(mpmath.mpf(0), 1 - y * x)


# ------------------------------------------------------------------ square
def square_prox(y, omega, V):
    r""":math:`(\omega + Vy)/(1 + V)`, written :math:`\omega + V(y - \omega)/(1 + V)` (exact at
    both ends :math:`V \to 0` and :math:`V \to \infty`).

    Parameters
    ----------
    y : array_like
        Labels (any real).
    omega : array_like
        :math:`\omega` (finite), broadcast with ``y``.
    V : array_like
        :math:`V > 0` (finite), broadcast with ``y``.

    Returns
    -------
    numpy.ndarray of float
        :math:`\eta`, the broadcast shape.
    """
    y, omega, V = (np.asarray(a, float) for a in (y, omega, V))
    return np.where(V <= 1.0, omega + V * (y - omega) / (1.0 + V),
                    y + (omega - y) / (1.0 + V))


def square_prox_derivative(y, omega, V):
    r""":math:`\partial_\omega\eta = 1/(1 + V)` of the square loss.

    Parameters
    ----------
    y : array_like
        Labels (any real).
    omega : array_like
        :math:`\omega` (finite), broadcast with ``y``.
    V : array_like
        :math:`V > 0` (finite), broadcast with ``y``.

    Returns
    -------
    numpy.ndarray of float
        :math:`1/(1 + V)`, the broadcast shape.
    """
    return np.broadcast_to(1.0 / (1.0 + np.asarray(V, float)),
                           np.broadcast_shapes(np.shape(y), np.shape(omega), np.shape(V)))


def square_loss(y, x):
    r"""The square loss :math:`(y - x)^2/2`.

    Parameters
    ----------
    y : array_like
        Labels (any real).
    x : array_like
        Predictions, broadcast with ``y``.

    Returns
    -------
    numpy.ndarray of float
        The loss, the broadcast shape.
    """
    return 0.5 * (np.asarray(y, float) - np.asarray(x, float)) ** 2


def square_prox_mp(y, omega, V):
    r"""mpmath twin of :func:`square_prox`: :math:`(\omega + Vy)/(1 + V)`.

    Parameters
    ----------
    y : mpmath.mpf or float
        Label (any real).
    omega : mpmath.mpf or float
        :math:`\omega` (finite).
    V : mpmath.mpf or float
        :math:`V > 0` (finite).

    Returns
    -------
    mpmath.mpf
        :math:`\eta` at the working precision.
    """
    return (omega + V * y) / (1 + V)


def square_prox_derivative_mp(y, omega, V):
    r"""mpmath twin of :func:`square_prox_derivative`: :math:`1/(1 + V)`.

    Parameters
    ----------
    y : mpmath.mpf or float
        Label (any real).
    omega : mpmath.mpf or float
        :math:`\omega` (finite).
    V : mpmath.mpf or float
        :math:`V > 0` (finite).

    Returns
    -------
    mpmath.mpf
        :math:`\partial_\omega\eta` at the working precision.
    """
    return 1 / (1 + mpmath.mpf(V))


def square_loss_mp(y, x):
    r"""mpmath twin of :func:`square_loss`.

    Parameters
    ----------
    y : mpmath.mpf or float
        Label (any real).
    x : mpmath.mpf or float
        Prediction.

    Returns
    -------
    mpmath.mpf
        :math:`(y - x)^2/2` at the working precision.
    """
    return (y - x) ** 2 / 2
