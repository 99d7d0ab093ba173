r"""The activation registry: each activation is a SymPy expression in the real variable ``x``.

An :class:`Activation` carries its expression, its LaTeX, the points where it is not smooth
(kinks and jumps, found from the expression: ``Abs``, ``sign``, ``Heaviside``, ``Max``, ``Min``,
``Piecewise``) and, where they exist, hand-derived closed forms:

* ``mu_closed(k)`` -- the Hermite coefficient :math:`\mu_k = \mathbb E[\sigma(z)\mathrm{He}_k(z)]`;
* ``conditional_closed(kappa, c)`` -- ``(mu0, mu1, E sigma^2)`` of the conditional Gaussian
  equivalence at shift :math:`\kappa` and variance :math:`c` (see :mod:`theory.conventions`).

Closed forms are checked in the tests against an independent 60-digit mpmath reference
(``tests/reference/make_references.py``) and against the generic tiers of
:mod:`theory.symbolic.hermite`.

Users add activations with :func:`register` (a SymPy expression) or simply pass a string to
:func:`get_activation`; strings go through the safe parser :func:`~theory.symbolic.parse.parse_expression`.

Derivations of the closed forms (Stein's lemma :math:`\mathbb E[f(z)\mathrm{He}_k(z)] =
\mathbb E[f^{(k)}(z)]` in the sense of distributions):

* relu: :math:`\mathrm{relu}'' = \delta_0` so :math:`\mu_k = \varphi(0)\,\mathrm{He}_{k-2}(0)`, k >= 2;
* sign: :math:`\mathrm{sign}' = 2\delta_0` so :math:`\mu_k = 2\varphi(0)\,\mathrm{He}_{k-1}(0)`, k >= 1;
* abs: :math:`|x|'' = 2\delta_0` so :math:`\mu_k = 2\varphi(0)\,\mathrm{He}_{k-2}(0)`, k >= 2;
* erf: :math:`\mathrm{erf}' = \tfrac{2}{\sqrt\pi}e^{-x^2}` so
  :math:`\mu_k = \tfrac{2}{\sqrt\pi}\mathbb E[e^{-z^2}\mathrm{He}_{k-1}(z)]`;
* gelu :math:`= x\Phi(x)`: :math:`\mathrm{gelu}'' = (2 - x^2)\varphi(x)`;
* sin, cos: :math:`\mathbb E[\sin(z)\mathrm{He}_k(z)] = e^{-1/2}\sin(k\pi/2)`, likewise cos.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from fractions import Fraction

import sympy as sp

from ..errors import InputError, ParseError
from .atoms import Mills, Phi, Ramp1, Ramp2, RampStar, esinhmx, expm1mx, phi, sigmoid, softplus, stabilize
from .kinks import kink_arguments
from .parse import parse_expression

__all__ = [
    "x",
    "Activation",
    "REGISTRY",
    "register",
    "get_activation",
    "known_activations",
    "breakpoints",
    "he_at_zero",
    "gaussian_poly_exp_expectation",
]

#: the variable of every activation
x = sp.Symbol("x", real=True)

_SQRT2PI = sp.sqrt(2 * sp.pi)
_PHI0 = 1 / _SQRT2PI


def _Phi_expr(u):
    """Phi(u) as the stable named atom (:mod:`theory.symbolic.atoms`), not (1 + erf)/2."""
    return Phi(u)


def _phi_expr(u):
    return phi(u)


def he_at_zero(n: int) -> sp.Integer:
    r"""Value of the Hermite polynomial :math:`\mathrm{He}_n` at 0.

    Parameters
    ----------
    n : int
        Degree (a negative degree gives 0).

    Returns
    -------
    sympy.Integer
        0 for odd n, :math:`(-1)^{n/2}(n-1)!!` for even n.

    Examples
    --------
    >>> [he_at_zero(n) for n in range(5)]
    [1, 0, -1, 0, 3]
    """
    if n < 0:
        return sp.Integer(0)
    if n % 2:
        return sp.Integer(0)
    return sp.Integer((-1) ** (n // 2)) * sp.factorial2(n - 1)


def gaussian_poly_exp_expectation(poly: sp.Expr, beta, var: sp.Symbol = x) -> sp.Expr:
    r""":math:`\mathbb E_{z\sim\mathcal N(0,1)}[p(z)\,e^{-\beta z^2}]` exactly, for a polynomial p.

    :math:`\mathbb E[z^{2j} e^{-\beta z^2}] = (1+2\beta)^{-j-1/2}(2j-1)!!`, odd moments vanish.

    Parameters
    ----------
    poly : sympy.Expr
        A polynomial in ``var``.
    beta : sympy.Expr
        The exponent's coefficient, :math:`1 + 2\beta > 0`.
    var : sympy.Symbol, optional
        The variable (default ``x``).

    Returns
    -------
    sympy.Expr
        The expectation, simplified.

    Examples
    --------
    >>> gaussian_poly_exp_expectation(x**2, 1)
    sqrt(3)/9
    """
    p = sp.Poly(sp.expand(poly), var)
    s = 1 + 2 * sp.sympify(beta)
    total = sp.Integer(0)
    for (n,), coeff in p.terms():
        if n % 2 == 0:
            total += coeff * sp.factorial2(n - 1) * s ** (-sp.Rational(n + 1, 2))
    return sp.simplify(total)


# ---------------------------------------------------------------------------------------------
# closed forms of the Hermite coefficients


def _mu_relu(k: int):
    if k == 0:
        return _PHI0
    if k == 1:
        return sp.Rational(1, 2)
    return _PHI0 * he_at_zero(k - 2)


def _mu_sign(k: int):
    return sp.Integer(0) if k == 0 else 2 * _PHI0 * he_at_zero(k - 1)


def _mu_abs(k: int):
    if k == 0:
        return sp.sqrt(2 / sp.pi)
    if k == 1:
        return sp.Integer(0)
    return 2 * _PHI0 * he_at_zero(k - 2)


def _he_mean(m: int, s2) -> sp.Expr:
    r""":math:`\mathbb E[\mathrm{He}_m(y)]` for :math:`y\sim\mathcal N(0, s^2)`:
    :math:`(s^2-1)^{m/2}(m-1)!!` for even m >= 0, else 0 (the generating function
    :math:`\mathbb E e^{ty - t^2/2} = e^{(s^2-1)t^2/2}`)."""
    if m < 0 or m % 2:
        return sp.Integer(0)
    return (sp.sympify(s2) - 1) ** (m // 2) * sp.factorial2(m - 1)


def _mu_erf(k: int):
    # erf' = 2/sqrt(pi) e^{-x^2};  E[e^{-z^2} g(z)] = E[g(y)]/sqrt(3), y ~ N(0, 1/3) (Stein, k >= 1)
    if k == 0:
        return sp.Integer(0)
    return 2 / sp.sqrt(3 * sp.pi) * _he_mean(k - 1, sp.Rational(1, 3))


def _mu_gelu(k: int):
    # gelu'' = (2 - x^2) phi(x);  E[phi(z) g(z)] = E[g(y)] / (2 sqrt(pi)), y ~ N(0, 1/2), and
    # y^2 He_n = He_{n+2} + (2n + 1) He_n + n(n - 1) He_{n-2}
    if k == 0:
        return 1 / (2 * sp.sqrt(sp.pi))
    if k == 1:
        return sp.Rational(1, 2)
    n, h = k - 2, sp.Rational(1, 2)
    m = (1 - 2 * n) * _he_mean(n, h) - _he_mean(n + 2, h) - n * (n - 1) * _he_mean(n - 2, h)
    return m / (2 * sp.sqrt(sp.pi))


def _mu_sin(k: int):
    return sp.exp(-sp.Rational(1, 2)) * sp.sin(k * sp.pi / 2)


def _mu_cos(k: int):
    return sp.exp(-sp.Rational(1, 2)) * sp.cos(k * sp.pi / 2)


def _mu_leaky(a):
    def mu(k: int):
        return (1 - a) * _mu_relu(k) + (a if k == 1 else 0)

    return mu


# ---------------------------------------------------------------------------------------------
# closed forms of the conditional coefficients: (mu0, mu1, E sigma^2) at shift kappa, variance c


# Every form is written with the stable atoms of :mod:`theory.symbolic.atoms`, so that float64
# keeps relative accuracy deep in the tails (no difference of nearly equal terms): with
# t = kappa/sqrt(c), E (kappa + sqrt(c) xi)_+^n = c^(n/2) T_n(-t) (T_n the Gaussian ramp moments,
# positive and cancellation-free for either sign of t), and mu_star is invariant under adding a
# linear function of y, so that relu, abs and leaky relu share S(t) = mu_star((xi - t)_+), even in t.
# A 4th entry, when present, is a stable closed form of mu_star itself.


def _cond_relu(kappa, c):
    s = sp.sqrt(c)
    t = kappa / s
    return s * Ramp1(-t), Phi(t), c * Ramp2(-t), s * RampStar(t)


def _cond_sign(kappa, c):
    s = sp.sqrt(c)
    t = kappa / s
    u = sp.Abs(t)
    mu0 = sp.erf(t / sp.sqrt(2))
    mu1 = 2 * phi(t) / s
    # mu_star^2 = 1 - erf^2 - 4 phi^2 = 4 (H Phi - phi^2) = 4 phi(u) (R(u) Phi(u) - phi(u)), and
    # sqrt(phi(u)) = (2 pi)^(1/4) phi(u / sqrt 2) does not underflow before mu_star does
    star = 2 * (2 * sp.pi) ** sp.Rational(1, 4) * phi(u / sp.sqrt(2)) * sp.sqrt(
        Mills(u) * Phi(u) - phi(u))
    return mu0, mu1, sp.Integer(1), star


def _cond_abs(kappa, c):
    s = sp.sqrt(c)
    t = kappa / s
    # |y| = y_+ + (-y)_+ ;  mu_star(|y|) = 2 mu_star(y_+)
    return s * (Ramp1(-t) + Ramp1(t)), sp.erf(t / sp.sqrt(2)), kappa**2 + c, 2 * s * RampStar(t)


def _cond_leaky(a):
    def cond(kappa, c):
        s = sp.sqrt(c)
        t = kappa / s
        # sigma = y_+ - a (-y)_+ ;  sigma^2 = y_+^2 + a^2 (-y)_+^2
        return (s * (Ramp1(-t) - a * Ramp1(t)), a + (1 - a) * Phi(t),
                c * (Ramp2(-t) + a**2 * Ramp2(t)), (1 - a) * s * RampStar(t))

    return cond


def _cond_sin(kappa, c):
    e = sp.exp(-c / 2)
    # mu_star^2 = e^{-c} [(sinh c - c) + sin^2(kappa) (e^{-c} - 1 + c)], both terms >= 0
    star = sp.sqrt(esinhmx(c) + sp.sin(kappa) ** 2 * sp.exp(-c) * expm1mx(-c))
    return sp.sin(kappa) * e, sp.cos(kappa) * e, (1 - sp.cos(2 * kappa) * sp.exp(-2 * c)) / 2, star


def _cond_cos(kappa, c):
    e = sp.exp(-c / 2)
    star = sp.sqrt(esinhmx(c) + sp.cos(kappa) ** 2 * sp.exp(-c) * expm1mx(-c))
    return sp.cos(kappa) * e, -sp.sin(kappa) * e, (1 + sp.cos(2 * kappa) * sp.exp(-2 * c)) / 2, star


def _cond_erf(kappa, c):
    # E erf(kappa + sqrt(c) xi) = erf(kappa / sqrt(1 + 2c));  E erf' = 2/sqrt(pi) E exp(-(.)^2)
    mu0 = sp.erf(kappa / sp.sqrt(1 + 2 * c))
    mu1 = 2 / sp.sqrt(sp.pi) / sp.sqrt(1 + 2 * c) * sp.exp(-(kappa**2) / (1 + 2 * c))
    return mu0, mu1, None  # E erf^2 has no elementary closed form for kappa != 0


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activation:
    r"""An activation function :math:`\sigma(x)` and what is known about it in closed form.

    Made by :func:`get_activation` or :func:`register`.

    Parameters
    ----------
    name : str
        Registry name (or the typed text for user activations).
    expr : sympy.Expr
        Expression in :data:`x`.
    mu_closed : callable or None
        ``k -> exact mu_k``.
    conditional_closed : callable or None
        ``(kappa, c) -> (mu0, mu1, E sigma^2)`` SymPy expressions (entries may be None where no
        closed form exists).
    description : str
        One line for listings.
    kinks : tuple
        Sorted real points where :math:`\sigma` is not smooth (exact SymPy numbers).
    """

    name: str
    expr: sp.Expr
    mu_closed: Callable[[int], sp.Expr] | None = None
    conditional_closed: Callable | None = None
    description: str = ""
    kinks: tuple = field(default=(), compare=False)

    @property
    def breakpoints(self) -> tuple:
        """Sorted real points where sigma is not smooth (exact SymPy numbers)."""
        return self.kinks

    @property
    def smooth(self) -> bool:
        """True when the activation has no kink."""
        return not self.kinks

    @property
    def is_polynomial(self) -> bool:
        """True when the expression is a polynomial in x."""
        return self.expr.is_polynomial(x)

    def latex(self) -> str:
        r"""The expression as LaTeX.

        Returns
        -------
        str
            ``sympy.latex`` of :math:`\sigma(x)`.
        """
        return sp.latex(self.expr)

    def derivative(self) -> sp.Expr:
        r"""The derivative :math:`\sigma'(x)`.

        Returns
        -------
        sympy.Expr
            ``sympy.diff(expr, x)`` (Dirac deltas at jumps, as SymPy writes them).
        """
        return sp.diff(self.expr, x)

    def parity(self) -> str | None:
        """Parity of the activation, decided symbolically.

        Returns
        -------
        str or None
            ``"even"``, ``"odd"``, or None when it is neither.
        """
        e = self.expr
        m = e.subs(x, -x)
        if sp.simplify(m - e) == 0:
            return "even"
        if sp.simplify(m + e) == 0:
            return "odd"
        return None

    def __str__(self) -> str:
        return f"{self.name}: {self.expr}"


def breakpoints(expr: sp.Expr, var: sp.Symbol = x) -> tuple:
    r"""Real points where an expression may fail to be smooth (cached).

    Looks at the arguments of ``Abs``, ``sign``, ``Heaviside``, ``Max``, ``Min`` and the
    relational conditions of ``Piecewise`` and returns their real roots. Infinitely many isolated
    roots (periodic kinks) are kept inside :math:`|x| \le` ``KINK_RANGE`` (recorded, see
    ``kinks_truncated``).

    Parameters
    ----------
    expr : sympy.Expr
        The expression.
    var : sympy.Symbol, optional
        The variable (default ``x``).

    Returns
    -------
    tuple of sympy.Expr
        The points, sorted, as exact SymPy numbers.

    Raises
    ------
    InputError
        If the root set is not made of isolated points SymPy can locate (an interval, an
        unsolved equation).

    Examples
    --------
    >>> breakpoints(sp.Max(x, 0) + sp.Abs(x - 1))
    (0, 1)
    """
    return _breakpoints(expr, var)


@lru_cache(maxsize=1024)
def _breakpoints(expr: sp.Expr, var: sp.Symbol = x) -> tuple:
    """Real points where ``expr`` may fail to be smooth, from its non-smooth atoms.

    Looks at the arguments of ``Abs``, ``sign``, ``Heaviside``, ``Max``, ``Min`` and the
    relational conditions of ``Piecewise``; returns their real roots in ``var``, sorted.
    Infinitely many isolated roots (periodic kinks) are kept inside ``|x| <= KINK_RANGE``
    (recorded, see :func:`kinks_truncated`). Raises :class:`InputError` if the root set is
    not made of isolated points SymPy can locate (an interval, an unsolved equation).
    """
    candidates = kink_arguments(expr)
    pts: set = set()
    window = sp.Interval(-KINK_RANGE, KINK_RANGE)
    for g in candidates:
        if var not in g.free_symbols:
            continue
        sol = sp.solveset(g, var, domain=sp.S.Reals)
        if isinstance(sol, sp.FiniteSet):
            pts.update(p for p in sol if p.is_real)
            continue
        if sol is sp.S.EmptySet:
            continue
        # infinitely many roots (abs(sin(3x)), sign(cos x), ...): if they are isolated, the ones
        # with |x| <= KINK_RANGE are all a Gaussian integral can see (the rest weigh less than
        # sqrt(P(|z| > 40)) ~ 1e-175 relative, see theory.numeric.hermite)
        inside = sp.Intersection(sol, window)
        if isinstance(inside, sp.FiniteSet) and all(p.is_real for p in inside):
            pts.update(inside)
            _TRUNCATED_KINKS[expr] = float(KINK_RANGE)
            continue
        raise InputError(
            "activation",
            str(expr),
            "an expression whose kinks/jumps are isolated points that SymPy can locate",
            hint=f"the points where {g} = 0 are {sol}, not isolated points",
        )
    return tuple(sorted(pts, key=lambda p: float(p)))


#: kinks are located in [-KINK_RANGE, KINK_RANGE] when there are infinitely many of them
KINK_RANGE = 40
_TRUNCATED_KINKS: dict = {}


def kinks_truncated(expr: sp.Expr) -> float | None:
    """KINK_RANGE if :func:`breakpoints` kept only the kinks of ``expr`` with |x| <= KINK_RANGE
    (infinitely many isolated kinks), else None."""
    return _TRUNCATED_KINKS.get(expr)


def _make(name, expr, mu=None, cond=None, description=""):
    return Activation(name, expr, mu, cond, description, kinks=breakpoints(expr))


def _leaky_relu(a, label: str | None = None) -> Activation:
    return _make(
        "leaky_relu" if label is None else f"leaky_relu:{label}",
        sp.Max(x, 0) + a * sp.Min(x, 0),
        _mu_leaky(a),
        _cond_leaky(a),
        f"x if x > 0 else {a} x",
    )


REGISTRY: dict[str, Activation] = {}


def _builtin() -> None:
    entries = [
        _make("relu", sp.Max(x, 0), _mu_relu, _cond_relu, "max(x, 0)"),
        _leaky_relu(sp.Rational(1, 100)),
        _make("abs", sp.Abs(x), _mu_abs, _cond_abs, "|x|"),
        _make("sign", sp.sign(x), _mu_sign, _cond_sign, "sign(x)"),
        _make("tanh", sp.tanh(x), None, None, "tanh(x)"),
        _make("erf", sp.erf(x), _mu_erf, _cond_erf, "erf(x) (not erf(x/sqrt 2))"),
        _make("sigmoid", sigmoid(x), None, None, "1/(1+e^-x)"),
        _make("softplus", softplus(x), None, None, "log(1+e^x)"),
        _make("gelu", x * _Phi_expr(x), _mu_gelu, None, "x Phi(x), exact (no tanh approximation)"),
        _make("silu", x * sigmoid(x), None, None, "x sigmoid(x) (swish)"),
        _make("sin", sp.sin(x), _mu_sin, _cond_sin, "sin(x)"),
        _make("cos", sp.cos(x), _mu_cos, _cond_cos, "cos(x)"),
    ]
    for a in entries:
        REGISTRY[a.name] = a


_builtin()

#: families with a parameter: name -> (builder, parameter description)
FAMILIES: dict[str, tuple[Callable, str]] = {
    "leaky_relu": (lambda p: _leaky_relu(_number("leaky_relu", p, lo=0, hi=1), p), "slope a in [0, 1]"),
    "monomial": (
        lambda p: _make(f"monomial:{p}", x ** _integer("monomial", p), None, None, f"x^{p}"),
        "degree K in [0, 20]",
    ),
    "hermite": (
        lambda p: _make(
            f"hermite:{p}", sp.hermite_prob(_integer("hermite", p), x), None, None, f"He_{p}(x)"
        ),
        "degree K in [0, 20]",
    ),
}


def _integer(family: str, p: str) -> int:
    try:
        k = int(p)
    except ValueError:
        raise InputError(family, p, "an integer degree in [0, 20]") from None
    if not 0 <= k <= 20:
        raise InputError(family, p, "an integer degree in [0, 20]")
    return k


def _number(family: str, p: str, lo: float, hi: float):
    try:
        v = sp.Rational(Fraction(p))
    except (ValueError, ZeroDivisionError):
        raise InputError(family, p, f"a number in [{lo}, {hi}]") from None
    if not lo <= v <= hi:
        raise InputError(family, p, f"a number in [{lo}, {hi}]")
    return v


def known_activations() -> list[str]:
    """Names of the known activations.

    Returns
    -------
    list of str
        Registry names, then the parametric families as ``name:PARAM (meaning)``.
    """
    return list(REGISTRY) + [f"{f}:PARAM ({d})" for f, (_, d) in FAMILIES.items()]


def register(name: str, expr: sp.Expr | str, *, mu_closed=None, conditional_closed=None,
             description: str = "", overwrite: bool = False) -> Activation:
    r"""Add an activation to the registry.

    Parameters
    ----------
    name : str
        An identifier (letters, digits, ``_``).
    expr : sympy.Expr or str
        Expression in :data:`x`, or a string parsed safely (:func:`~theory.symbolic.parse.parse_expression`).
    mu_closed : callable, optional
        ``k -> exact mu_k`` when known.
    conditional_closed : callable, optional
        ``(kappa, c) -> (mu0, mu1, E sigma^2)`` SymPy expressions when known.
    description : str, optional
        One line for listings (default: the expression).
    overwrite : bool, optional
        Replace an activation of the same name (default False).

    Returns
    -------
    Activation
        The registered activation; the models and the CLI see it by ``name``.

    Raises
    ------
    InputError
        If the name is not an identifier, is taken (without ``overwrite``), or the expression has
        a free symbol other than x.
    ParseError
        If a string is refused by the safe parser.
    """
    if not name or not name.replace("_", "").isalnum():
        raise InputError("name", name, "a non-empty identifier (letters, digits, _)")
    if name in REGISTRY and not overwrite:
        raise InputError("name", name, "a name not already registered (pass overwrite=True)")
    if isinstance(expr, str):
        expr = parse_expression(expr)
    expr = _as_activation_expr(expr)
    act = _make(name, expr, mu_closed, conditional_closed, description or str(expr))
    REGISTRY[name] = act
    return act


def _as_activation_expr(expr) -> sp.Expr:
    if not isinstance(expr, sp.Expr):
        raise InputError("activation", expr, "a SymPy expression in x or a string")
    # accept a plain Symbol('x') without assumptions too
    subs = {s: x for s in expr.free_symbols if s.name == "x" and s is not x}
    expr = expr.xreplace(subs)
    extra = expr.free_symbols - {x}
    if extra:
        raise InputError(
            "activation", str(expr), "an expression in the single variable x",
            hint=f"it also contains {sorted(map(str, extra))}",
        )
    # exact rewrites of unstable forms (log(1 + e^x), (1 + erf)/2, ...) into stable atoms
    return stabilize(expr)


def get_activation(spec) -> Activation:
    """An :class:`Activation` from a registry name, ``family:PARAM``, an expression or a string.

    Strings that are not registry names are parsed safely as expressions in ``x``
    (e.g. ``"tanh(2*x)"``); anything that is neither gets an error listing the known names.

    Parameters
    ----------
    spec : str, sympy.Expr or Activation
        ``"relu"``, ``"leaky_relu:0.1"``, ``"tanh(2*x)"``, a SymPy expression in x, or an
        Activation (returned as is).

    Returns
    -------
    Activation
        The activation with its kinks and known closed forms.

    Raises
    ------
    InputError
        If ``spec`` is of another type, an unknown family, or an expression with symbols other
        than x.
    ParseError
        If a string is neither a known name nor a safe expression.

    Examples
    --------
    >>> get_activation("relu").expr
    Max(0, x)
    >>> get_activation("tanh(2*x)").smooth
    True
    """
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, sp.Basic):
        expr = _as_activation_expr(spec)
        return _make(str(expr), expr)
    if not isinstance(spec, str):
        raise InputError("activation", spec, "a registry name, an expression string or a SymPy expression")
    key = spec.strip()
    if key in REGISTRY:
        return REGISTRY[key]
    if ":" in key:
        fam, _, param = key.partition(":")
        if fam in FAMILIES:
            return FAMILIES[fam][0](param.strip())
        raise InputError("activation", spec, "a known activation: " + ", ".join(known_activations()))
    try:
        expr = parse_expression(key)
    except ParseError as exc:
        if key.isidentifier():
            raise InputError(
                "activation", spec, "a known activation: " + ", ".join(known_activations()),
                hint="Or give an expression in x such as 'tanh(2*x)'",
            ) from None
        raise exc
    if x not in expr.free_symbols:
        raise InputError("activation", spec, "an expression that depends on x")
    return _make(key, expr, description=key)
