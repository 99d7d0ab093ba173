r"""Stable Gaussian atoms: named SymPy functions for :math:`\Phi`, :math:`H`, :math:`\log\Phi`,
:math:`\varphi`, the Mills ratio, softplus, sigmoid and the Gaussian ramp moments.

Why named functions. Written with ``erf`` and ``exp``, these quantities lose every digit in the
tails: :math:`\Phi(x) = (1 + \mathrm{erf}(x/\sqrt2))/2` is 0 for :math:`x \lesssim -8.3` although
:math:`\Phi(-9) = 1.13\times10^{-19}`; :math:`\log(1 + e^x)` is 0 below :math:`x \approx -37`
and overflows above 709; SymPy itself rewrites ``erfc(-x)`` as ``2 - erfc(x)`` on construction
(``../shared/NUMERICS.md``, "Traps measured on this engine"). A :class:`sympy.Function` subclass
is not rewritten by SymPy, prints as a paper writes it (``\Phi``, ``\varphi``, ...), has its
derivative (``fdiff``), and carries two implementations that the one lambdify bridge
(:mod:`theory.numeric.bridge`) puts in the namespace:

* ``_numpy_impl``: vectorised float64 with *relative* accuracy over the whole float range
  (``scipy.special.ndtr``, ``log_ndtr``, ``erfcx``, ``expit``, ``numpy.logaddexp``);
* ``_mpmath_impl``: mpmath at the working precision (``ncdf``, ``npdf``, ``erfc``, ``log1p``),
  with guard digits where a formula cancels.

Atoms (``u`` real):

========================  =====================================================  ==============
class                     definition                                             LaTeX
========================  =====================================================  ==============
:class:`Phi`              :math:`\Phi(u)=\int_{-\infty}^u\varphi`                ``\Phi(u)``
:class:`H`                :math:`H(u)=\Phi(-u)=1-\Phi(u)`                        ``H(u)``
:class:`logPhi`           :math:`\log\Phi(u)`                                    ``\log\Phi(u)``
:class:`phi`              :math:`\varphi(u)=e^{-u^2/2}/\sqrt{2\pi}`              ``\varphi(u)``
:class:`Mills`            :math:`\mathcal R(u)=H(u)/\varphi(u)`                  ``\mathcal{R}(u)``
:class:`softplus`         :math:`\log(1+e^u)`                                    ``\operatorname{softplus}(u)``
:class:`sigmoid`          :math:`1/(1+e^{-u})`                                   ``\operatorname{sigmoid}(u)``
:class:`Ramp1`            :math:`\mathbb E(\xi-u)_+=\varphi(u)-uH(u)`            ``\mathcal{T}_1(u)``
:class:`Ramp2`            :math:`\mathbb E(\xi-u)_+^2=(1+u^2)H(u)-u\varphi(u)`   ``\mathcal{T}_2(u)``
:class:`logPhi1`          :math:`(\log\Phi)'(u)=\varphi(u)/\Phi(u)`              ``\frac{\varphi(u)}{\Phi(u)}``
:class:`logPhi2`          :math:`(\log\Phi)''(u)=-\Lambda(u)(u+\Lambda(u))`      ``(\log\Phi)''(u)``
:class:`sech2`            :math:`\operatorname{sech}^2 u`                        ``\operatorname{sech}^2(u)``
========================  =====================================================  ==============

Output channels of generalised linear models (:class:`OutputChannel`, :data:`CHANNELS`:
:func:`sign_channel`, :func:`gaussian_channel`, :func:`abs_channel`, :func:`relu_channel`,
each noiseless or with Gaussian noise of variance Delta) give the partition function
:math:`Z_{\rm out}(y,\omega,V)` and its log-derivatives :math:`g_{\rm out}`,
:math:`\partial_\omega g_{\rm out}` as closed SymPy forms in these atoms (no ``erf``, no
``exp`` that could cancel or overflow). The quotient :math:`\varphi(u)^p/\Phi(u)^k` of a
paper (the perceptron's :math:`\varphi(u)^2/\Phi(u)`) is rewritten by :func:`stabilize` into
:class:`logPhi1`, which keeps its digits where :math:`\Phi(u)` underflows.

:math:`\mathcal T_n(u) = \mathbb E_{\xi\sim\mathcal N(0,1)}(\xi-u)_+^n` are the moments of a
Gaussian ramp (the conditional coefficients of relu, abs and leaky relu are made of them). For
:math:`u > 0` both closed forms cancel (relatively like :math:`u^{2n}`); there
:math:`\mathcal T_n(u) = \varphi(u)J_n(u)` with :math:`J_0 = \mathcal R(u)` and
:math:`J_n/J_{n-1} = r_n`, :math:`r_n = n/(u + r_{n+1})` (Laplace's continued fraction of the
Mills ratio; the ratios satisfy the backward recurrence :math:`J_n = (n-1)J_{n-2} - uJ_{n-1}`,
obtained by integrating :math:`\int_0^\infty s^n e^{-us-s^2/2}ds` by parts), evaluated backwards
from depth 80, which converges to 1e-16 for :math:`u \ge 3`.

Exactness helpers: :func:`rewrite_erf` turns every atom back into ``erf``/``exp``/``log`` (for
symbolic integration or simplification; the value is the same, only the numerics differ).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from scipy import special as sc

__all__ = ["Phi", "H", "logPhi", "phi", "Mills", "softplus", "sigmoid", "Ramp1", "Ramp2",
           "RampStar", "esinhmx", "expm1mx", "logPhi1", "logPhi2", "sech2", "ATOMS",
           "rewrite_erf", "stabilize", "OutputChannel", "CHANNELS", "sign_channel",
           "gaussian_channel", "abs_channel", "relu_channel"]

_SQRT2 = math.sqrt(2.0)
_LOG_SQRT2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF_PI = math.sqrt(0.5 * math.pi)


# ---------------------------------------------------------------------------------------------
# float64 kernels


def _arr(u):
    return np.asarray(u, dtype=float)


def _neg_half_square_exp(u):
    """exp(-u^2/2) with the square formed exactly (Dekker split), relative error ~ 2 ulp.

    Plain ``exp(-u*u/2)`` has relative error ~eps u^2/2 from rounding u^2 (8e-14 at u = 38).
    """
    u = _arr(u)
    with np.errstate(over="ignore", invalid="ignore"):
        hi = u.astype(np.float32).astype(float)  # 24 significant bits: hi*hi is exact
        hi = np.where(np.isfinite(hi), hi, u)
        lo = u - hi
        e1, e2 = -0.5 * (hi * hi), -(hi * lo + 0.5 * lo * lo)
        # far out exp(e1) underflows while exp(e2) may overflow (0 * inf): there the result
        # is below 1e-304 anyway and one exp of the sum is right
        out = np.where(e1 < -700.0, np.exp(e1 + e2), np.exp(e1) * np.exp(e2))
    return np.where(np.isinf(u), 0.0, out)  # u = +-inf: 0, not inf * (inf - inf)


def _at_infinities(u, out, at_minus, at_plus):
    """``out`` with its limits at u = -inf and u = +inf (the finite formulas give nan there)."""
    return np.where(np.isneginf(u), at_minus, np.where(np.isposinf(u), at_plus, out))


def _np_phi(u):
    return _neg_half_square_exp(u) / math.sqrt(2.0 * math.pi)


def _np_H(u):
    """Phi(-u). ``ndtr(-u)`` goes through erfc(u/sqrt 2), whose argument rounding costs
    ~eps u^2 relative (1.5e-14 at u = 12); for u > 1/2, phi(u) sqrt(pi/2) erfcx(u/sqrt 2) with
    phi's square formed exactly keeps a few ulp (erfcx is insensitive to its argument's rounding)."""
    u = _arr(u)
    with np.errstate(all="ignore"):
        far = _np_phi(u) * (_SQRT_HALF_PI * sc.erfcx(np.maximum(u, 0.5) / _SQRT2))
    return _at_infinities(u, np.where(u > 0.5, far, sc.ndtr(-u)), 1.0, 0.0)


def _np_Phi(u):
    return _np_H(-_arr(u))


def _np_logPhi(u):
    """log_ndtr; below -1/2 as -u^2/2 - log sqrt(2 pi) + log R(-u) (relative accuracy of the sum)."""
    u = _arr(u)
    with np.errstate(all="ignore"):
        v = np.minimum(u, -0.5)
        hi = v.astype(np.float32).astype(float)
        lo = v - hi
        far = (-0.5 * (hi * hi) - _LOG_SQRT2PI) - (hi * lo + 0.5 * lo * lo) + np.log(
            _SQRT_HALF_PI * sc.erfcx(-v / _SQRT2))
        right = np.log1p(-_np_H(np.maximum(u, 0.5)))  # log(1 - H(u)), H accurate (see _np_H)
    return _at_infinities(u, np.where(u < -0.5, far, np.where(u > 0.5, right, sc.log_ndtr(u))),
                          -np.inf, 0.0)


def _np_mills(u):
    """H(u)/phi(u): erfcx for u >= 0; Phi(|u|) sqrt(2 pi) e^{u^2/2} for u < 0 (no argument blow-up)."""
    u = _arr(u)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        pos = _SQRT_HALF_PI * sc.erfcx(np.maximum(u, 0.0) / _SQRT2)
        neg = _np_Phi(-u) / _np_phi(u)
    return _at_infinities(u, np.where(u >= 0, pos, neg), np.inf, 0.0)


_CF_DEPTH = 80
_CF_FROM = 3.0


def _cf_ratios(u):
    """(r_1, r_2) of Laplace's continued fraction at u >= _CF_FROM (arrays)."""
    r = np.zeros_like(u)
    for n in range(_CF_DEPTH, 1, -1):
        r = n / (u + r)
    return 1.0 / (u + r), r


def _np_ramp(u, n):
    u = _arr(u)
    out = np.empty(np.broadcast(u).shape)
    uu = np.broadcast_to(u, out.shape)
    far = uu >= _CF_FROM
    near = ~far
    with np.errstate(all="ignore"):
        if np.any(near):
            v = uu[near]
            p, h = _np_phi(v), _np_H(v)
            out[near] = p - v * h if n == 1 else (1.0 + v * v) * h - v * p
        if np.any(far):
            v = uu[far]
            r1, r2 = _cf_ratios(v)
            # phi(v) J_n(v), J_0 = Mills(v): product phi * Mills = H(v) keeps the exponent range
            h = _np_H(v)
            out[far] = h * r1 if n == 1 else h * r1 * r2
    return out if out.ndim else out[()]


def _np_ramp1(u):
    return _np_ramp(u, 1)


def _np_ramp2(u):
    return _np_ramp(u, 2)


def _np_softplus(u):
    return np.logaddexp(0.0, _arr(u))


def _np_sigmoid(u):
    return sc.expit(_arr(u))


# ---------------------------------------------------------------------------------------------
# mpmath kernels (at the working precision)


def _guard(u, power: int = 2) -> int:
    """Guard digits for a formula cancelling like |u|^power."""
    try:
        a = abs(float(u))
    except (TypeError, ValueError, OverflowError):
        a = 1e300
    return 10 + int(power * math.log10(1.0 + min(a, 1e300)))


def _mp_Phi(u):
    return mpmath.ncdf(u)


def _mp_H(u):
    return mpmath.ncdf(-u)


def _mp_logPhi(u):
    return mpmath.log(mpmath.ncdf(u))


def _mp_phi(u):
    # exp(-u^2/2)/sqrt(2 pi) directly: mpmath.npdf (general mean and sigma) is ~4x slower, and
    # the mpmath polish evaluates this at thousands of quadrature nodes per map evaluation
    return mpmath.exp(-u * u / 2) / mpmath.sqrt(2 * mpmath.pi)


def _mp_mills(u):
    return mpmath.ncdf(-u) / mpmath.npdf(u)


def _mp_softplus(u):
    return mpmath.log1p(mpmath.exp(u))


def _mp_sigmoid(u):
    return 1 / (1 + mpmath.exp(-u))


def _mp_ramp1(u):
    with mpmath.extradps(_guard(u, 2)):
        v = mpmath.npdf(u) - u * mpmath.ncdf(-u)
    return +v


def _mp_ramp2(u):
    with mpmath.extradps(_guard(u, 4)):
        v = (1 + u * u) * mpmath.ncdf(-u) - u * mpmath.npdf(u)
    return +v


# ---------------------------------------------------------------------------------------------
# SymPy classes


class _Atom(sp.Function):
    """Base of the stable atoms: one real argument, real value, numeric implementations."""

    nargs = 1
    _tex = ""
    _numpy_impl: Callable[..., Any] | None = None
    _mpmath_impl: Callable[..., Any] | None = None

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_finite(self):
        return self.args[0].is_finite

    def _eval_evalf(self, prec):
        a = self.args[0]._eval_evalf(prec)
        if a is None or not a.is_Number:
            return None
        dps = mpmath.libmp.prec_to_dps(prec)
        with mpmath.workdps(dps + 10):
            v = type(self)._mpmath_impl(mpmath.mpf(sp.Float(a, dps + 10)._mpf_))
        return sp.Float(v, dps)

    def _latex(self, printer, exp=None):
        body = rf"{self._tex}\left({printer._print(self.args[0])}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"


class Phi(_Atom):
    r"""Standard normal cdf :math:`\Phi(u)`; float64 ``scipy.special.ndtr``, mpmath ``ncdf``.

    Parameters
    ----------
    u : sympy.Expr or number
        The real argument: a SymPy expression, or a number (``.evalf(n)`` then gives n digits).
    """

    _tex = r"\Phi"
    _numpy_impl = staticmethod(_np_Phi)
    _mpmath_impl = staticmethod(_mp_Phi)

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sp.Rational(1, 2)
        if u is sp.oo:
            return sp.Integer(1)
        if u is sp.S.NegativeInfinity:
            return sp.Integer(0)
        return None

    def fdiff(self, argindex=1):
        return phi(self.args[0])

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _eval_rewrite_as_erf(self, u, **kw):
        return (1 + sp.erf(u / sp.sqrt(2))) / 2


class H(_Atom):
    r"""Gaussian tail :math:`H(u) = \Phi(-u)`; float64 ``ndtr(-u)``, mpmath ``ncdf(-u)``.

    Parameters
    ----------
    u : sympy.Expr or number
        The real argument: a SymPy expression, or a number (``.evalf(n)`` then gives n digits).
    """

    _tex = "H"
    _numpy_impl = staticmethod(_np_H)
    _mpmath_impl = staticmethod(_mp_H)

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sp.Rational(1, 2)
        if u is sp.oo:
            return sp.Integer(0)
        if u is sp.S.NegativeInfinity:
            return sp.Integer(1)
        return None

    def fdiff(self, argindex=1):
        return -phi(self.args[0])

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _eval_rewrite_as_erf(self, u, **kw):
        return sp.erfc(u / sp.sqrt(2)) / 2


class logPhi(_Atom):
    r""":math:`\log\Phi(u)`; float64 ``scipy.special.log_ndtr`` (relative accuracy to u = -1e300).

    Parameters
    ----------
    u : sympy.Expr or number
        The real argument: a SymPy expression, or a number (``.evalf(n)`` then gives n digits).
    """

    _tex = r"\log\Phi"
    _numpy_impl = staticmethod(_np_logPhi)
    _mpmath_impl = staticmethod(_mp_logPhi)

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return -sp.log(2)
        if u is sp.oo:
            return sp.Integer(0)
        return None

    def fdiff(self, argindex=1):
        # d log Phi(u) / du = phi(u)/Phi(u) = 1/R(-u)
        return logPhi1(self.args[0])

    def _eval_rewrite_as_erf(self, u, **kw):
        return sp.log((1 + sp.erf(u / sp.sqrt(2))) / 2)


class phi(_Atom):
    r"""Standard normal density :math:`\varphi(u)`; float64 with the square formed exactly.

    Parameters
    ----------
    u : sympy.Expr or number
        The real argument: a SymPy expression, or a number (``.evalf(n)`` then gives n digits).
    """

    _tex = r"\varphi"
    _numpy_impl = staticmethod(_np_phi)
    _mpmath_impl = staticmethod(_mp_phi)

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return 1 / sp.sqrt(2 * sp.pi)
        if u.is_infinite:
            return sp.Integer(0)
        if u.could_extract_minus_sign():
            return cls(-u)
        return None

    def fdiff(self, argindex=1):
        return -self.args[0] * phi(self.args[0])

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _eval_rewrite_as_erf(self, u, **kw):
        return sp.exp(-(u**2) / 2) / sp.sqrt(2 * sp.pi)

    _eval_rewrite_as_exp = _eval_rewrite_as_erf


class Mills(_Atom):
    r"""Mills ratio :math:`\mathcal R(u) = H(u)/\varphi(u)`; float64 ``sqrt(pi/2) erfcx(u/sqrt 2)``.

    Parameters
    ----------
    u : sympy.Expr or number
        The real argument: a SymPy expression, or a number (``.evalf(n)`` then gives n digits).
    """

    _tex = r"\mathcal{R}"
    _numpy_impl = staticmethod(_np_mills)
    _mpmath_impl = staticmethod(_mp_mills)

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sp.sqrt(sp.pi / 2)
        return None

    def fdiff(self, argindex=1):
        u = self.args[0]
        return u * Mills(u) - 1

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _eval_rewrite_as_erf(self, u, **kw):
        return sp.sqrt(sp.pi / 2) * sp.exp(u**2 / 2) * sp.erfc(u / sp.sqrt(2))


class softplus(_Atom):
    r""":math:`\log(1 + e^u)`; float64 ``numpy.logaddexp(0, u)``, mpmath ``log1p(exp(u))``.

    Parameters
    ----------
    u : sympy.Expr or number
        The real argument: a SymPy expression, or a number (``.evalf(n)`` then gives n digits).
    """

    _tex = r"\operatorname{softplus}"
    _numpy_impl = staticmethod(_np_softplus)
    _mpmath_impl = staticmethod(_mp_softplus)

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sp.log(2)
        return None

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _eval_rewrite_as_erf(self, u, **kw):
        return sp.log(1 + sp.exp(u))

    _eval_rewrite_as_exp = _eval_rewrite_as_erf


class sigmoid(_Atom):
    r""":math:`1/(1 + e^{-u})`; float64 ``scipy.special.expit``.

    Parameters
    ----------
    u : sympy.Expr or number
        The real argument: a SymPy expression, or a number (``.evalf(n)`` then gives n digits).
    """

    _tex = r"\operatorname{sigmoid}"
    _numpy_impl = staticmethod(_np_sigmoid)
    _mpmath_impl = staticmethod(_mp_sigmoid)

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sp.Rational(1, 2)
        return None

    def fdiff(self, argindex=1):
        u = self.args[0]
        return sigmoid(u) * sigmoid(-u)

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _eval_rewrite_as_erf(self, u, **kw):
        return 1 / (1 + sp.exp(-u))

    _eval_rewrite_as_exp = _eval_rewrite_as_erf


class Ramp1(_Atom):
    r""":math:`\mathcal T_1(u) = \mathbb E(\xi-u)_+ = \varphi(u) - uH(u)`, stable for u > 0.

    Parameters
    ----------
    u : sympy.Expr or number
        The real argument: a SymPy expression, or a number (``.evalf(n)`` then gives n digits).
    """

    _tex = r"\mathcal{T}_1"
    _numpy_impl = staticmethod(_np_ramp1)
    _mpmath_impl = staticmethod(_mp_ramp1)

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return 1 / sp.sqrt(2 * sp.pi)
        return None

    def fdiff(self, argindex=1):
        return -H(self.args[0])

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _eval_rewrite_as_erf(self, u, **kw):
        return sp.exp(-(u**2) / 2) / sp.sqrt(2 * sp.pi) - u * sp.erfc(u / sp.sqrt(2)) / 2


class Ramp2(_Atom):
    r""":math:`\mathcal T_2(u) = \mathbb E(\xi-u)_+^2 = (1+u^2)H(u) - u\varphi(u)`, stable for u > 0.

    Parameters
    ----------
    u : sympy.Expr or number
        The real argument: a SymPy expression, or a number (``.evalf(n)`` then gives n digits).
    """

    _tex = r"\mathcal{T}_2"
    _numpy_impl = staticmethod(_np_ramp2)
    _mpmath_impl = staticmethod(_mp_ramp2)

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sp.Rational(1, 2)
        return None

    def fdiff(self, argindex=1):
        return -2 * Ramp1(self.args[0])

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _eval_rewrite_as_erf(self, u, **kw):
        return ((1 + u**2) * sp.erfc(u / sp.sqrt(2)) / 2
                - u * sp.exp(-(u**2) / 2) / sp.sqrt(2 * sp.pi))


#: every atom class, by name
ATOMS = {cls.__name__: cls for cls in (Phi, H, logPhi, phi, Mills, softplus, sigmoid, Ramp1, Ramp2)}


def rewrite_erf(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every atom written back in ``erf``/``erfc``/``exp``/``log`` (same value).

    For symbolic integration or simplification; the numerics of the result are those of the
    cancelling closed forms (use :func:`stabilize` to go back).

    Parameters
    ----------
    expr : sympy.Expr
        An expression holding atoms of this module.

    Returns
    -------
    sympy.Expr
        The same value without any atom.

    Examples
    --------
    >>> u = sp.Symbol("u", real=True)
    >>> rewrite_erf(Phi(u))
    erf(sqrt(2)*u/2)/2 + 1/2
    """
    return sp.sympify(expr).replace(
        lambda e: isinstance(e, _Atom), lambda e: e._eval_rewrite_as_erf(*e.args))


# ---------------------------------------------------------------------------------------------
# the rewrite pass: common unstable user forms -> atoms (exact identities only)


def _exp_arg(e):
    """u if ``e`` is exp(u), else None."""
    return e.args[0] if isinstance(e, sp.exp) else None


def _one_plus_exp(e):
    """u if ``e`` is 1 + exp(u), else None."""
    if isinstance(e, sp.Add):
        b, terms = e.as_coeff_add()
        if b == 1 and len(terms) == 1:
            return _exp_arg(terms[0])
    return None


def _rewrite_add(e: sp.Add) -> sp.Expr:
    b, terms = e.as_coeff_add()
    if b == 0:
        return e
    terms = list(terms)
    for i, t in enumerate(terms):
        coeff, rest = t.as_coeff_Mul()
        if coeff == 0:
            continue
        new = None
        if isinstance(rest, sp.erf):
            u = sp.sqrt(2) * rest.args[0]
            if b == coeff:  # a (1 + erf(v)) = 2a Phi(sqrt2 v)
                new = 2 * coeff * Phi(u)
            elif b == -coeff:  # a (erf(v) - 1) = -2a H(sqrt2 v)
                new = -2 * coeff * H(u)
        elif isinstance(rest, (Phi, H)) and b == -coeff:  # a (1 - Phi(u)) = a H(u)
            other = H if isinstance(rest, Phi) else Phi
            new = b * other(rest.args[0])
        elif isinstance(rest, sigmoid) and b == -coeff:  # a (1 - sigmoid(u)) = a sigmoid(-u)
            new = b * sigmoid(-rest.args[0])
        if new is not None:
            return sp.Add(new, *terms[:i], *terms[i + 1:])
    return e


def _rewrite_log(e: sp.log) -> sp.Expr:
    a = e.args[0]
    u = _one_plus_exp(a)
    if u is not None:
        return softplus(u)
    coeff, rest = a.as_coeff_Mul()
    if coeff.is_positive and coeff != 1:
        inner = _rewrite_log(sp.log(rest, evaluate=False))
        if not isinstance(inner, sp.log):
            return sp.log(coeff) + inner
    if isinstance(a, Phi):
        return logPhi(a.args[0])
    if isinstance(a, H):
        return logPhi(-a.args[0])
    if isinstance(a, sigmoid):
        return -softplus(-a.args[0])
    return e


def _rewrite_pow(e: sp.Pow) -> sp.Expr:
    base, ex = e.args
    u = _one_plus_exp(base)
    if u is not None and ex.is_negative:  # (1 + e^u)^(-n) = sigmoid(-u)^n
        return sigmoid(-u) ** (-ex)
    return e


def _power_of(f, cls):
    """(argument, exponent) if ``f`` is cls(u)**n (n = 1 for a bare cls(u)), else None."""
    base, ex = f.as_base_exp()
    return (base.args[0], ex) if isinstance(base, cls) else None


def _rewrite_inverse_mills(e: sp.Mul) -> sp.Expr:
    """phi(u)^p Phi(u)^-k -> phi(u)^(p-k) logPhi1(u)^k and phi(u)^p H(u)^-k -> ... logPhi1(-u)^k
    (0 < k <= p): the quotient is 0/0 in float64 far in the tail of Phi."""
    factors = list(e.args)
    for j, g in enumerate(factors):
        for cls, sgn in ((Phi, 1), (H, -1)):
            den = _power_of(g, cls)
            if den is None or not (den[1].is_number and den[1].is_negative):
                continue
            u, k = den[0], -den[1]
            for i, f in enumerate(factors):
                num = _power_of(f, phi)
                if num is None or i == j or not (num[1].is_number and num[1] >= k):
                    continue
                if sp.simplify(num[0] - u) != 0 and sp.simplify(num[0] + u) != 0:
                    continue
                rest = [h for m, h in enumerate(factors) if m not in (i, j)]
                return sp.Mul(phi(u) ** (num[1] - k), logPhi1(sgn * u) ** k, *rest)
    return e


def _rewrite_mul(e: sp.Mul, quotients: bool = False) -> sp.Expr:
    if quotients:
        new = _rewrite_inverse_mills(e)
        if new != e:
            return new
    factors = list(e.args)
    for i, f in enumerate(factors):
        u = _exp_arg(f)
        if u is None:
            continue
        for j, g in enumerate(factors):
            if isinstance(g, sigmoid) and sp.simplify(g.args[0] + u) == 0:  # e^u sigmoid(-u)
                rest = [h for k, h in enumerate(factors) if k not in (i, j)]
                return sp.Mul(sigmoid(u), *rest)
    return e


def stabilize(expr, *, quotients: bool = False) -> sp.Expr:
    """Rewrite unstable closed forms into the stable atoms, by exact identities only.

    ``(1 + erf(v))/2 -> Phi(sqrt2 v)``, ``1 - erf(v) -> 2 H(sqrt2 v)``, ``erfc(v) -> 2 H(sqrt2 v)``,
    ``1 - Phi(u) -> H(u)``, ``log(1 + exp(u)) -> softplus(u)``, ``(1 + exp(u))^(-n) ->
    sigmoid(-u)^n``, ``exp(u) sigmoid(-u) -> sigmoid(u)``, ``log Phi(u) -> logPhi(u)``,
    ``log H(u) -> logPhi(-u)``. The value is unchanged; only the float64 evaluation gains its
    relative accuracy in the tails (``../shared/NUMERICS.md``, traps).

    With ``quotients=True`` (the compile step, :mod:`theory.numeric.bridge`, which prints for
    numbers and not for a reader) also ``phi(u)^p / Phi(u)^k -> phi(u)^(p-k) logPhi1(u)^k``
    and ``phi(u)^p / H(u)^k -> phi(u)^(p-k) logPhi1(-u)^k`` (k <= p): the quotient a paper
    writes is 0/0 in float64 below u = -37.5. Without it the system keeps the paper's form.

    Parameters
    ----------
    expr : sympy.Expr, matrix or Tuple
        The expression to rewrite.
    quotients : bool, default False
        Also rewrite the Gaussian quotients above.

    Returns
    -------
    sympy.Expr
        The same value in stable atoms.

    Examples
    --------
    >>> x = sp.Symbol("x", real=True)
    >>> stabilize(sp.log(1 + sp.exp(100 * x)))
    softplus(100*x)
    >>> stabilize((1 + sp.erf(x / sp.sqrt(2))) / 2)
    Phi(x)
    """
    expr = sp.sympify(expr)
    if not isinstance(expr, sp.Basic) or expr.is_Atom or not expr.args:
        return expr
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(lambda a: stabilize(a, quotients=quotients))
    if isinstance(expr, sp.Tuple):  # the integrands of one quadrature group
        return sp.Tuple(*[stabilize(a, quotients=quotients) for a in expr.args])
    if not isinstance(expr, sp.Expr):
        return expr
    args = tuple(stabilize(a, quotients=quotients) for a in expr.args)
    e = expr.func(*args) if args != expr.args else expr
    if isinstance(e, sp.erfc):
        return 2 * H(sp.sqrt(2) * e.args[0])
    if isinstance(e, sp.Add):
        new = _rewrite_add(e)
        return stabilize(new, quotients=quotients) if new != e else e
    if isinstance(e, sp.log):
        return _rewrite_log(e)
    if isinstance(e, sp.Pow):
        return _rewrite_pow(e)
    if isinstance(e, sp.Mul):
        return _rewrite_mul(e, quotients)
    return e


# ---------------------------------------------------------------------------------------------
# small-argument differences used by closed forms (sin, cos conditional coefficients; relu mu_star)


def _series_or_direct(u, series_terms, direct, cut=1.0):
    u = _arr(u)
    small = np.abs(u) < cut
    out = np.asarray(direct(np.where(small, cut, u)), dtype=float).copy()
    if np.any(small):
        v = u[small] if u.ndim else u
        out_s = series_terms(v)
        if u.ndim:
            out[small] = out_s
        else:
            out = np.asarray(out_s)
    return out if out.ndim else out[()]


def _np_esinhmx(u):
    """e^{-u} (sinh u - u): series times e^{-u} below 1, else (1 - e^{-2u})/2 - u e^{-u}."""
    def series(v):
        term, total = v**3 / 6.0, v**3 / 6.0
        for k in range(2, 12):
            term = term * v * v / ((2 * k) * (2 * k + 1))
            total = total + term
        return np.exp(-v) * total

    return _series_or_direct(u, series, lambda v: -0.5 * np.expm1(-2 * v) - v * np.exp(-v))


def _np_expm1mx(u):
    def series(v):
        term, total = v * v / 2.0, v * v / 2.0
        for k in range(3, 22):
            term = term * v / k
            total = total + term
        return total

    return _series_or_direct(u, series, lambda v: np.expm1(v) - v)


def _mp_esinhmx(u):
    with mpmath.extradps(_guard(1.0 / (abs(float(u)) + 1e-300), 3)):
        v = mpmath.exp(-u) * (mpmath.sinh(u) - u)
    return +v


def _mp_expm1mx(u):
    with mpmath.extradps(_guard(1.0 / (abs(float(u)) + 1e-300), 2)):
        v = mpmath.expm1(u) - u
    return +v


class esinhmx(_Atom):
    r""":math:`e^{-u}(\sinh u - u)` without cancellation at small u (series for :math:`|u| < 1`)
    and without overflow at large u (:math:`(1 - e^{-2u})/2 - u e^{-u}`).

    Parameters
    ----------
    u : sympy.Expr or number
        The real argument: a SymPy expression, or a number (``.evalf(n)`` then gives n digits).
    """

    _tex = r"\operatorname{esinhmx}"
    _numpy_impl = staticmethod(_np_esinhmx)
    _mpmath_impl = staticmethod(_mp_esinhmx)

    @classmethod
    def eval(cls, u):
        return sp.Integer(0) if u.is_zero else None

    def fdiff(self, argindex=1):
        u = self.args[0]
        return sp.exp(-2 * u) + u * sp.exp(-u) - sp.exp(-u)

    def _eval_rewrite_as_erf(self, u, **kw):
        return sp.exp(-u) * (sp.sinh(u) - u)


class expm1mx(_Atom):
    r""":math:`e^u - 1 - u` without cancellation at small u (series for :math:`|u| < 1`).

    Parameters
    ----------
    u : sympy.Expr or number
        The real argument: a SymPy expression, or a number (``.evalf(n)`` then gives n digits).
    """

    _tex = r"\operatorname{expm1mx}"
    _numpy_impl = staticmethod(_np_expm1mx)
    _mpmath_impl = staticmethod(_mp_expm1mx)

    @classmethod
    def eval(cls, u):
        return sp.Integer(0) if u.is_zero else None

    def fdiff(self, argindex=1):
        return sp.exp(self.args[0]) - 1

    def _eval_rewrite_as_erf(self, u, **kw):
        return sp.exp(u) - 1 - u


def _np_rampstar(u):
    """sqrt(T2 - T1^2 - H^2)(|u|): direct below 3, else sqrt(H) sqrt(r1 r2 - H (r1^2 + 1))."""
    u = np.abs(_arr(u))
    out = np.empty(u.shape)
    far = u >= _CF_FROM
    with np.errstate(all="ignore"):
        if np.any(~far):
            v = u[~far]
            p, h = _np_phi(v), _np_H(v)
            t1 = p - v * h
            t2 = (1.0 + v * v) * h - v * p
            out[~far] = np.sqrt(np.maximum(t2 - t1 * t1 - h * h, 0.0))
        if np.any(far):
            v = u[far]
            r1, r2 = _cf_ratios(v)
            h = _np_H(v)
            out[far] = np.exp(0.5 * _np_logPhi(-v)) * np.sqrt(r1 * r2 - h * (r1 * r1 + 1.0))
    return out if out.ndim else out[()]


def _mp_rampstar(u):
    u = abs(u)
    with mpmath.extradps(_guard(u, 4)):
        h = mpmath.ncdf(-u)
        p = mpmath.npdf(u)
        t1 = p - u * h
        t2 = (1 + u * u) * h - u * p
        v = mpmath.sqrt(t2 - t1 * t1 - h * h)
    return +v


class RampStar(_Atom):
    r""":math:`\mathcal S(u)=\sqrt{\mathcal T_2(|u|)-\mathcal T_1(|u|)^2-H(|u|)^2}`: the residual
    standard deviation :math:`\mu_\star` of :math:`(\xi-u)_+` after its projection on
    :math:`1, \xi` (even in u; relu's :math:`\mu_\star(\kappa) = \sqrt c\,\mathcal S(\kappa/\sqrt c)`).
    """

    _tex = r"\mathcal{S}"
    _numpy_impl = staticmethod(_np_rampstar)
    _mpmath_impl = staticmethod(_mp_rampstar)

    def fdiff(self, argindex=1):
        u = sp.Abs(self.args[0])
        # d S^2/du = -2 T1 + 2 T1 H + 2 H phi  (u >= 0), times sign(u)
        return sp.sign(self.args[0]) * (H(u) * (Ramp1(u) + phi(u)) - Ramp1(u)) / RampStar(u)

    def _eval_is_nonnegative(self):
        return True

    def _eval_rewrite_as_erf(self, u, **kw):
        a = sp.Abs(u)
        t1 = sp.exp(-(a**2) / 2) / sp.sqrt(2 * sp.pi) - a * sp.erfc(a / sp.sqrt(2)) / 2
        t2 = (1 + a**2) * sp.erfc(a / sp.sqrt(2)) / 2 - a * sp.exp(-(a**2) / 2) / sp.sqrt(2 * sp.pi)
        return sp.sqrt(t2 - t1**2 - sp.erfc(a / sp.sqrt(2)) ** 2 / 4)


ATOMS.update({cls.__name__: cls for cls in (esinhmx, expm1mx, RampStar)})


# ---------------------------------------------------------------------------------------------
# log-derivatives of Phi: the inverse Mills ratio and its derivative (channel log-derivatives)


def _np_logphi1(u):
    """phi(u)/Phi(u) = 1/R(-u) (R by erfcx: relative accuracy for every u)."""
    u = _arr(u)
    with np.errstate(divide="ignore", over="ignore"):
        return 1.0 / _np_mills(-u)


def _np_logphi2(u):
    """-L(u)(u + L(u)), L = phi/Phi. For u < -3, with t = -u: L = t + r_1(t) and u + L = r_1(t)
    (Laplace's continued fraction, see the module docstring), no cancellation."""
    u = _arr(u)
    out = np.empty(np.broadcast(u).shape)
    uu = np.broadcast_to(u, out.shape)
    far = uu < -_CF_FROM
    with np.errstate(all="ignore"):
        if np.any(~far):
            v = uu[~far]
            lam = _np_logphi1(v)
            out[~far] = -lam * (v + lam)
        if np.any(far):
            t = -uu[far]
            r1, _ = _cf_ratios(t)
            out[far] = -(t + r1) * r1
    return out if out.ndim else out[()]


def _np_sech2(u):
    u = np.abs(_arr(u))
    with np.errstate(over="ignore"):
        e = np.exp(-2.0 * u)
    return 4.0 * e / (1.0 + e) ** 2


def _mp_logphi1(u):
    return _mp_phi(u) / mpmath.ncdf(u)


def _mp_logphi2(u):
    with mpmath.extradps(_guard(u, 2)):
        lam = _mp_phi(u) / mpmath.ncdf(u)
        v = -lam * (u + lam)
    return +v


def _mp_sech2(u):
    return mpmath.sech(u) ** 2


class logPhi1(_Atom):
    r""":math:`(\log\Phi)'(u) = \varphi(u)/\Phi(u)` (the inverse Mills ratio of :math:`-u`);
    float64 as :math:`1/\mathcal R(-u)` with ``erfcx`` (relative accuracy for every u: the
    quotient ``phi(u)**2/Phi(u)`` of a paper is 0/0 below u = -37.5).

    Parameters
    ----------
    u : sympy.Expr or number
        The real argument: a SymPy expression, or a number (``.evalf(n)`` then gives n digits).
    """

    _numpy_impl = staticmethod(_np_logphi1)
    _mpmath_impl = staticmethod(_mp_logphi1)

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sp.sqrt(2 / sp.pi)
        if u is sp.oo:
            return sp.Integer(0)
        return None

    def fdiff(self, argindex=1):
        return logPhi2(self.args[0])

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _eval_rewrite_as_erf(self, u, **kw):
        return (sp.exp(-(u**2) / 2) / sp.sqrt(2 * sp.pi)) / ((1 + sp.erf(u / sp.sqrt(2))) / 2)

    def _latex(self, printer, exp=None):
        a = printer._print(self.args[0])
        body = rf"\frac{{\varphi\left({a}\right)}}{{\Phi\left({a}\right)}}"
        return body if exp is None else rf"\left({body}\right)^{{{exp}}}"


class logPhi2(_Atom):
    r""":math:`(\log\Phi)''(u) = -\Lambda(u)(u + \Lambda(u))`, :math:`\Lambda = \varphi/\Phi`,
    in :math:`(-1, 0)`; the two factors cancel for :math:`u\to-\infty`, where float64 uses
    :math:`u + \Lambda(u) = r_1(-u)` of Laplace's continued fraction (module docstring).

    Parameters
    ----------
    u : sympy.Expr or number
        The real argument: a SymPy expression, or a number (``.evalf(n)`` then gives n digits).
    """

    _tex = r"(\log\Phi)''"
    _numpy_impl = staticmethod(_np_logphi2)
    _mpmath_impl = staticmethod(_mp_logphi2)

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return -2 / sp.pi
        if u is sp.oo:
            return sp.Integer(0)
        return None

    def fdiff(self, argindex=1):
        u = self.args[0]
        lam = logPhi1(u)
        return -logPhi2(u) * (u + lam) - lam * (1 + logPhi2(u))

    def _eval_is_negative(self):
        return True if self.args[0].is_real else None

    def _eval_rewrite_as_erf(self, u, **kw):
        lam = logPhi1(u)._eval_rewrite_as_erf(u)
        return -lam * (u + lam)


class sech2(_Atom):
    r""":math:`\operatorname{sech}^2 u = 1 - \tanh^2 u` as :math:`4e^{-2|u|}/(1 + e^{-2|u|})^2`
    (no cancellation, no overflow).

    Parameters
    ----------
    u : sympy.Expr or number
        The real argument: a SymPy expression, or a number (``.evalf(n)`` then gives n digits).
    """

    _tex = r"\operatorname{sech}^2"
    _numpy_impl = staticmethod(_np_sech2)
    _mpmath_impl = staticmethod(_mp_sech2)

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sp.Integer(1)
        if u.could_extract_minus_sign():
            return cls(-u)
        return None

    def fdiff(self, argindex=1):
        return -2 * sp.tanh(self.args[0]) * sech2(self.args[0])

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _eval_rewrite_as_erf(self, u, **kw):
        return 1 / sp.cosh(u) ** 2

    def _latex(self, printer, exp=None):
        body = rf"\operatorname{{sech}}^{{2}}\left({printer._print(self.args[0])}\right)"
        return body if exp is None else rf"\left({body}\right)^{{{exp}}}"


ATOMS.update({cls.__name__: cls for cls in (logPhi1, logPhi2, sech2)})


# ---------------------------------------------------------------------------------------------
# output channels of generalised linear models: Z_out and its log-derivatives


class OutputChannel:
    r"""An output channel :math:`P_{\rm out}(y|z)` of a generalised linear model, through its
    partition function and log-derivatives (closed SymPy forms built from the stable atoms):

    .. math:: Z_{\rm out}(y,\omega,V) = \int dz\,\mathcal N(z;\omega,V)\,P_{\rm out}(y|z),\quad
       g_{\rm out} = \partial_\omega\log Z_{\rm out},\quad \partial_\omega g_{\rm out}

    (Zdeborová & Krzakala, "Statistical physics of inference: thresholds and algorithms",
    arXiv:1511.02476v5, Sec. 6.4, eqs. (155)-(157); Barbier, Krzakala, Macris, Miolane &
    Zdeborová, arXiv:1708.03395v3, Sec. 2). ``Z`` is the form a paper writes; ``logZ``, ``g``
    and ``dg`` are written as ``log-sum-exp`` of at most two terms
    :math:`L_i(\omega)` (each a sum of a quadratic and a :class:`logPhi`): with
    :math:`w_1 = \operatorname{sigmoid}(L_1 - L_2)`, :math:`w_2 = 1 - w_1`,

    .. math:: \log Z = L_1 + \operatorname{softplus}(L_2 - L_1),\quad
       g = \textstyle\sum_i w_i L_i',\quad
       \partial_\omega g = \sum_i w_i L_i'' + w_1 w_2 (L_1' - L_2')^2,

    with :math:`L_i''` through :class:`logPhi2` (no cancellation in the tails: the float64
    forms keep relative accuracy for :math:`|\omega|/\sqrt V` up to 40 and V down to 1e-8, see
    ``tests/test_glm_channels.py``). ``label(z, xi)`` is the label as a function of the field
    and a standard Gaussian noise ``xi`` (the teacher of a state evolution).

    The channels of :data:`CHANNELS` are built by their factories (:func:`sign_channel`, ...);
    the constructor is for a new channel.

    Parameters
    ----------
    name : str
        Short name (``"sign"``, ``"gaussian"``, ...).
    doc : str
        One line saying what the channel is (shown by ``repr`` and in listings).
    Z : callable
        ``Z(y, omega, V) -> sympy.Expr``: the partition function as a paper writes it.
    terms : callable
        ``terms(y, omega, V) -> list of sympy.Expr``: the one or two log-terms
        :math:`L_i` with :math:`Z = \sum_i e^{L_i}`.
    label : callable
        ``label(z, xi) -> sympy.Expr``: the label given the teacher field and a standard
        Gaussian noise.
    Delta : sympy.Expr or number
        Variance of the Gaussian noise of the channel (0: noiseless).
    closed : dict, optional
        ``{"logZ" | "g" | "dg": callable(y, omega, V)}``: closed forms used instead of the
        log-sum-exp of the terms.
    """

    def __init__(self, name, doc, Z, terms, label, Delta, closed=None):
        self.name, self.doc, self.Delta = name, doc, Delta
        self._Z, self._terms, self._label = Z, terms, label
        #: {"logZ" | "g" | "dg": f(y, omega, V)}: closed forms used instead of the terms
        self._closed = dict(closed or {})

    def __repr__(self):
        return f"OutputChannel({self.name!r}, Delta={self.Delta})"

    def Z(self, y, omega, V) -> sp.Expr:
        """:math:`Z_{\\rm out}(y, \\omega, V)` as a paper writes it.

        Parameters
        ----------
        y, omega, V : SymPy expressions
            Label, mean and variance of the Gaussian field.

        Returns
        -------
        sympy.Expr
        """
        return self._Z(y, omega, V)

    def _parts(self, y, omega, V):
        return [(L, sp.diff(L, omega), sp.diff(L, omega, 2)) for L in self._terms(y, omega, V)]

    def logZ(self, y, omega, V) -> sp.Expr:
        """:math:`\\log Z_{\\rm out}` (log-sum-exp of the terms).

        Parameters
        ----------
        y, omega, V : SymPy expressions
            Label, mean and variance of the Gaussian field.

        Returns
        -------
        sympy.Expr
        """
        if "logZ" in self._closed:
            return self._closed["logZ"](y, omega, V)
        p = self._parts(y, omega, V)
        return p[0][0] if len(p) == 1 else p[0][0] + softplus(p[1][0] - p[0][0])

    def g(self, y, omega, V) -> sp.Expr:
        """:math:`g_{\\rm out} = \\partial_\\omega\\log Z_{\\rm out}`.

        Parameters
        ----------
        y, omega, V : SymPy expressions
            Label, mean and variance of the Gaussian field.

        Returns
        -------
        sympy.Expr
        """
        if "g" in self._closed:
            return self._closed["g"](y, omega, V)
        p = self._parts(y, omega, V)
        if len(p) == 1:
            return p[0][1]
        (L1, d1, _), (L2, d2, _) = p
        return sigmoid(L1 - L2) * d1 + sigmoid(L2 - L1) * d2

    def dg(self, y, omega, V) -> sp.Expr:
        """:math:`\\partial_\\omega g_{\\rm out}`.

        Parameters
        ----------
        y, omega, V : SymPy expressions
            Label, mean and variance of the Gaussian field.

        Returns
        -------
        sympy.Expr
        """
        if "dg" in self._closed:
            return self._closed["dg"](y, omega, V)
        p = self._parts(y, omega, V)
        if len(p) == 1:
            return p[0][2]
        (L1, d1, e1), (L2, d2, e2) = p
        w1, w2 = sigmoid(L1 - L2), sigmoid(L2 - L1)
        return w1 * e1 + w2 * e2 + w1 * w2 * (d1 - d2) ** 2

    def label(self, z, xi) -> sp.Expr:
        """The label y given the teacher field z and a standard Gaussian noise xi.

        Parameters
        ----------
        z, xi : SymPy expressions
            Teacher field and standard Gaussian noise.

        Returns
        -------
        sympy.Expr
        """
        return self._label(z, xi)


def _gauss_log(r, s2):
    """log N(r; 0, s2)."""
    return -r**2 / (2 * s2) - sp.log(2 * sp.pi * s2) / 2


def sign_channel(Delta=0) -> OutputChannel:
    r"""Sign / probit channel :math:`y = \operatorname{sign}(z + \sqrt\Delta\,\xi)`, y = +-1:
    :math:`Z = \Phi(y\omega/\sqrt{V+\Delta})`, :math:`g = y\Lambda(u)/\sqrt{V+\Delta}`,
    :math:`\partial_\omega g = (\log\Phi)''(u)/(V+\Delta)`, :math:`u = y\omega/\sqrt{V+\Delta}`.

    Parameters
    ----------
    Delta : SymPy expression or number
        Noise variance (a symbol or a number >= 0).

    Returns
    -------
    OutputChannel
        Its ``Z``, ``logZ``, ``g``, ``dg`` take SymPy ``(y, omega, V)``.
    """
    D = sp.sympify(Delta)

    def Z(y, w, V):
        return Phi(y * w / sp.sqrt(V + D))

    def terms(y, w, V):
        return [logPhi(y * w / sp.sqrt(V + D))]

    return OutputChannel("sign", "y = sign(z + sqrt(Delta) xi)", Z, terms,
                         lambda z, xi: sp.sign(z + sp.sqrt(D) * xi), D)


def gaussian_channel(Delta) -> OutputChannel:
    r"""Additive Gaussian noise :math:`y = z + \sqrt\Delta\,\xi` (Delta > 0):
    :math:`Z = \mathcal N(y;\omega,V+\Delta)`, :math:`g = (y-\omega)/(V+\Delta)`,
    :math:`\partial_\omega g = -1/(V+\Delta)`.

    Parameters
    ----------
    Delta : SymPy expression or number
        Noise variance (a symbol or a number >= 0).

    Returns
    -------
    OutputChannel
        Its ``Z``, ``logZ``, ``g``, ``dg`` take SymPy ``(y, omega, V)``.
    """
    D = sp.sympify(Delta)

    def Z(y, w, V):
        return phi((y - w) / sp.sqrt(V + D)) / sp.sqrt(V + D)

    return OutputChannel("gaussian", "y = z + sqrt(Delta) xi", Z,
                         lambda y, w, V: [_gauss_log(y - w, V + D)],
                         lambda z, xi: z + sp.sqrt(D) * xi, D)


def _noisy_branch(y, w, V, D, sgn):
    """log of int_{sgn z > 0} N(z; w, V) N(y - sgn z; 0, D) dz (y observed, D > 0)."""
    s2 = V + D
    a = (y * V + sgn * w * D) / sp.sqrt(s2 * V * D)
    return _gauss_log(y - sgn * w, s2) + logPhi(a)


def abs_channel(Delta=0) -> OutputChannel:
    r"""Phase retrieval :math:`y = |z| + \sqrt\Delta\,\xi` (real, y >= 0 when Delta = 0).

    Noiseless: :math:`Z = [\varphi(\frac{y-\omega}{\sqrt V}) + \varphi(\frac{y+\omega}{\sqrt V})]
    /\sqrt V`, :math:`g = (y\tanh(y\omega/V) - \omega)/V`,
    :math:`\partial_\omega g = -1/V + (y/V)^2\operatorname{sech}^2(y\omega/V)`.
    Noisy (Delta > 0): :math:`Z = \sum_\pm\mathcal N(y\mp\omega;0,V+\Delta)\,\Phi(a_\pm)`,
    :math:`a_\pm = (yV \pm \omega\Delta)/\sqrt{(V+\Delta)V\Delta}` (the two signs of z).

    Parameters
    ----------
    Delta : SymPy expression or number
        Noise variance (a symbol or a number >= 0).

    Returns
    -------
    OutputChannel
        Its ``Z``, ``logZ``, ``g``, ``dg`` take SymPy ``(y, omega, V)``.
    """
    D = sp.sympify(Delta)
    if D == 0:
        def Z(y, w, V):
            return (phi((y - w) / sp.sqrt(V)) + phi((y + w) / sp.sqrt(V))) / sp.sqrt(V)

        def terms(y, w, V):
            x = y * w / V
            return [_gauss_log(sp.Abs(y) - sp.Abs(w), V) + softplus(-2 * sp.Abs(x))]

        # closed forms of g and dg (tanh, sech^2) instead of differentiating |w|
        return OutputChannel(
            "abs", "y = |z|", Z, terms, lambda z, xi: sp.Abs(z), D,
            closed={"g": lambda y, w, V: (y * sp.tanh(y * w / V) - w) / V,
                    "dg": lambda y, w, V: -1 / V + (y / V) ** 2 * sech2(y * w / V)})

    def Zn(y, w, V):
        s = sp.sqrt(V + D)
        return sum(phi((y - g * w) / s) / s * Phi((y * V + g * w * D) / sp.sqrt((V + D) * V * D))
                   for g in (1, -1))

    return OutputChannel("abs", "y = |z| + sqrt(Delta) xi", Zn,
                         lambda y, w, V: [_noisy_branch(y, w, V, D, 1),
                                          _noisy_branch(y, w, V, D, -1)],
                         lambda z, xi: sp.Abs(z) + sp.sqrt(D) * xi, D)


def relu_channel(Delta=0) -> OutputChannel:
    r"""ReLU :math:`y = \max(0, z) + \sqrt\Delta\,\xi`.

    Noiseless: y = 0 has probability :math:`Z = H(\omega/\sqrt V)` (g, dg from
    :class:`logPhi`); y > 0 has density :math:`Z = \mathcal N(y;\omega,V)`. The functions are
    ``Piecewise`` in y. Noisy (Delta > 0): :math:`Z = \mathcal N(y;0,\Delta)H(\omega/\sqrt V)
    + \mathcal N(y-\omega;0,V+\Delta)\Phi(a_+)`, :math:`a_+ = (yV + \omega\Delta)/
    \sqrt{(V+\Delta)V\Delta}`.

    Parameters
    ----------
    Delta : SymPy expression or number
        Noise variance (a symbol or a number >= 0).

    Returns
    -------
    OutputChannel
        Its ``Z``, ``logZ``, ``g``, ``dg`` take SymPy ``(y, omega, V)``.
    """
    D = sp.sympify(Delta)
    if D == 0:
        def Z(y, w, V):
            return sp.Piecewise((H(w / sp.sqrt(V)), sp.Le(y, 0)),
                                (phi((y - w) / sp.sqrt(V)) / sp.sqrt(V), True))

        def pw(k):
            def f(y, w, V):
                zero = logPhi(-w / sp.sqrt(V))
                pos = _gauss_log(y - w, V)
                return sp.Piecewise((sp.diff(zero, w, k), sp.Le(y, 0)), (sp.diff(pos, w, k), True))
            return f

        return OutputChannel("relu", "y = max(0, z)", Z, None, lambda z, xi: sp.Max(0, z), D,
                             closed={"logZ": pw(0), "g": pw(1), "dg": pw(2)})

    def Zn(y, w, V):
        return (phi(y / sp.sqrt(D)) / sp.sqrt(D) * H(w / sp.sqrt(V))
                + phi((y - w) / sp.sqrt(V + D)) / sp.sqrt(V + D)
                * Phi((y * V + w * D) / sp.sqrt((V + D) * V * D)))

    return OutputChannel("relu", "y = max(0, z) + sqrt(Delta) xi", Zn,
                         lambda y, w, V: [_gauss_log(y, D) + logPhi(-w / sp.sqrt(V)),
                                          _noisy_branch(y, w, V, D, 1)],
                         lambda z, xi: sp.Max(0, z) + sp.sqrt(D) * xi, D)


#: the standard channels by name: factory(Delta) -> OutputChannel
CHANNELS = {"sign": sign_channel, "gaussian": gaussian_channel, "abs": abs_channel,
            "relu": relu_channel}
