r"""Compile SymPy expressions holding Gaussian expectations to numbers (float64 or mpmath).

:func:`compile_expression` takes any SymPy expression in which
:class:`~theory.symbolic.expectation.Expectation` objects appear (e.g.
:math:`\frac{\alpha}{V}\mathbb E[1-\partial_\omega\eta]`) and returns a callable of the
parameters.

float64 -- each expectation over :math:`X\sim\mathcal N(0,\Sigma)` is written
:math:`X = L Q v` with :math:`v\sim\mathcal N(0, I_r)`, :math:`L` the PSD Cholesky factor of
:math:`\Sigma` (pivots that cancel are recomputed at 40 digits; exactly degenerate directions are
dropped, r = rank) and :math:`Q` a rotation (:class:`GaussianGeometry`). The integrand declares
its features (:func:`_features`): kinks and jumps on affine hyperplanes :math:`a\cdot x+b=0`
(sign, Abs, Heaviside, Max, Min, Piecewise; non-affine kinks of one variable are solved for their
points) and smooth transitions of a scaled argument (erf, erfc, tanh, the stable atoms Phi,
softplus, ..., exp of an affine argument, a Gaussian bump :math:`e^{-a(x-b)^2}`). :math:`Q` is
chosen so that the hyperplanes are as little steep as possible in the last coordinate that
carries them (two nearly parallel kinks of a near-singular Gaussian become two gentle cuts,
:func:`_choose_frame`); every kink is then a per-row cut of its coordinate, every narrow
transition gets graded panels at centre :math:`\pm 3^k` widths, and integrating a coordinate out
adds the features it leaves in the outer ones (where a cut crosses the bulk, where two cuts meet:
:func:`_layout`). Levels are refined until two agree within ``tol``; the answer is accepted only
if a rule sharing no node with them agrees too, and the error bound adds the rounding of the
nodes. Derivatives with respect to covariance entries (Price's theorem) give Dirac deltas of
affine arguments, integrated out exactly by :func:`reduce_deltas`.

mpmath (``dps=``) -- the same frame and cuts, computed at working precision. One variable:
``mpmath.quad`` with the cuts as break points; two or three: the same tensor split rule built in
mpmath (half-range Hermite and
Gauss--Legendre nodes at ``dps + 10`` digits, :func:`~theory.numeric.quadrature.normal_rule_mp`),
refined until two levels agree to ``10^-dps``. (Nested ``mpmath.quad`` was tried first: over a
minute for one 2-D integral at 30 digits.)
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

from ..errors import InputError, IntegrationError
from ..symbolic.expectation import Expectation
from ..symbolic.kinks import kink_argument, kink_arguments
from .bridge import mpmath_function, numpy_function
from .hermite import check_dps
from ..conventions import BREAK_CLIP
from .quadrature import (LEVELS, MP_LEVELS, PANEL, halfrange_rule, legendre_rule, normal_rule,
                         normal_rule_mp)

_LOG_SQRT2PI = 0.5 * np.log(2 * np.pi)

__all__ = ["compile_expression", "CompiledExpression", "psd_cholesky", "GaussianGeometry",
           "register_transition", "reduce_deltas", "split_rule"]

#: node levels (per tail, per panel) tried in turn, by dimension
_LEVELS_BY_DIM = {
    1: LEVELS,
    2: ((8, 8), (12, 12), (16, 16), (24, 24), (32, 32), (48, 48), (64, 64)),
    3: ((6, 6), (8, 8), (12, 12), (16, 16), (24, 24), (32, 32)),
}


#: a Cholesky pivot below this fraction of its diagonal entry has cancelled (> 1 digit lost):
#: it is recomputed at 40 digits (issue 8 review)
PIVOT_CANCEL = 0.1


def psd_cholesky(cov: np.ndarray, name: str = "cov") -> np.ndarray:
    r"""Cholesky factor of a positive *semi*-definite covariance.

    Columns with a zero pivot (a variable that is a linear function of the earlier ones, e.g.
    :math:`q = m^2/\rho`) are left zero.

    A pivot that cancels (below :data:`PIVOT_CANCEL` = 0.1 of its diagonal entry: a near-singular
    covariance such as correlation 1 - 1e-12; at 1e-4, the former threshold, a correlation of
    -0.9999 lost 4 digits of the pivot and E[H(a)H(b)] was off by 1e-13 relative, 15x its
    reported error) is recomputed from the float entries at 40 digits, so that L is
    accurate entrywise in relative terms and a direction is treated as degenerate only when its
    exact pivot is below 1e-30 of the scale (or negative within round-off, 1e-12).

    Parameters
    ----------
    cov : array_like, shape (d, d)
        Symmetric positive semi-definite matrix.
    name : str, optional
        Parameter name used in the error message (default ``"cov"``).

    Returns
    -------
    numpy.ndarray, shape (d, d)
        Lower-triangular :math:`L` with :math:`LL^\top = \Sigma`.

    Raises
    ------
    InputError
        If ``cov`` is not finite, symmetric and positive semi-definite.

    Examples
    --------
    >>> psd_cholesky([[1.0, 1.0], [1.0, 1.0]]).tolist()  # correlation 1: one direction
    [[1.0, 0.0], [1.0, 0.0]]
    """
    cov = np.asarray(cov, dtype=float)
    d = cov.shape[0]
    scale = max(1.0, float(np.max(np.abs(cov)))) if cov.size else 1.0
    if not np.allclose(cov, cov.T, atol=1e-14 * scale) or not np.all(np.isfinite(cov)):
        raise InputError(name, cov.tolist(), "a finite symmetric covariance matrix")
    L = np.zeros((d, d))
    for j in range(d):
        s = cov[j, j] - L[j, :j] @ L[j, :j]
        if j and s < PIVOT_CANCEL * abs(cov[j, j]):
            return _psd_cholesky_exact(cov, name, scale)
        if s < -1e-12 * scale:
            raise InputError(name, cov.tolist(), "a positive semi-definite covariance matrix",
                             hint=f"the pivot of variable {j} is {s:.3g} < 0")
        if s <= 1e-14 * scale:
            continue  # degenerate direction
        L[j, j] = np.sqrt(s)
        for i in range(j + 1, d):
            L[i, j] = (cov[i, j] - L[i, :j] @ L[j, :j]) / L[j, j]
    return L


def _psd_cholesky_exact(cov: np.ndarray, name: str, scale: float, exact=None) -> np.ndarray:
    """Cholesky at 40 digits of the float entries of ``cov``, or of ``exact`` (a callable
    returning the covariance as an mpmath matrix evaluated at 40 digits)."""
    d = cov.shape[0]
    with mpmath.workdps(40):
        C = (exact() if exact is not None else
             mpmath.matrix([[mpmath.mpf(float(cov[i, j])) for j in range(d)] for i in range(d)]))
        L = mpmath.matrix(d, d)
        for j in range(d):
            s = C[j, j] - mpmath.fsum(L[j, k] ** 2 for k in range(j))
            if s < -1e-12 * scale:
                raise InputError(name, cov.tolist(), "a positive semi-definite covariance matrix",
                                 hint=f"the pivot of variable {j} is {float(s):.3g} < 0")
            if s <= 1e-30 * scale:
                continue
            L[j, j] = mpmath.sqrt(s)
            for i in range(j + 1, d):
                L[i, j] = (C[i, j] - mpmath.fsum(L[i, k] * L[j, k] for k in range(j))) / L[j, j]
        return np.array([[float(L[i, j]) for j in range(d)] for i in range(d)])


def _kinks(integrand: sp.Expr, variables: tuple):
    """{variable index: [breakpoint expressions]} and a list of unaligned kink arguments."""
    args = kink_arguments(integrand)
    out: dict = {}
    unaligned = []
    for g in args:
        inside = [i for i, v in enumerate(variables) if v in g.free_symbols]
        if len(inside) == 0:
            continue
        if len(inside) > 1:
            unaligned.append(g)
            continue
        i = inside[0]
        try:
            sols = sp.solve(g, variables[i])
        except NotImplementedError:
            sols = None
        if not sols:
            unaligned.append(g)
            continue
        out.setdefault(i, []).extend(s for s in sols if not s.has(sp.I))
    return out, unaligned


def tensor_nodes(L, bvals, nt, nm):
    """Nodes X (n x d) and weights W of the tensor split-Gauss rule for N(0, L L^T).

    Coordinate i is integrated conditionally on the previous ones, its rule split at the kinks
    ``bvals[i]`` (values of x_i) mapped through the Cholesky factor, so every kink that is a
    coordinate cut lies on a panel boundary.
    """
    d = L.shape[0]
    U = np.zeros((1, 0))
    W = np.ones(1)
    for i in range(d):
        rows = U.shape[0]
        if bvals[i].size and L[i, i] > 0:
            shift = U @ L[i, :i] if i else np.zeros(rows)
            z, w = normal_rule((bvals[i][None, :] - shift[:, None]) / L[i, i], nt, nm)
        else:
            z, w = normal_rule(None, nt, nm, rows=rows)
        n_i = z.shape[1]
        U = np.concatenate([np.repeat(U, n_i, axis=0), z.reshape(-1, 1)], axis=1)
        W = (W[:, None] * w).reshape(-1)
    return U @ L.T, W


# ------------------------------------------------------------------ features, frames, rules
#: functions that switch between two regimes over |g| ~ width of their argument g (a scaled
#: argument a.x + b with large |a| is a narrow feature); extend with :func:`register_transition`
_TRANSITIONS: dict = {sp.erf: 1.0, sp.erfc: 1.0, sp.tanh: 1.0}
#: the same, by class name (the stable atoms of theory.symbolic.atoms, user functions)
_TRANSITION_NAMES: dict = {"Phi": 1.0, "H": 1.0, "logPhi": 1.0, "phi": 1.0, "Mills": 1.0,
                           "softplus": 1.0, "sigmoid": 1.0, "Ramp1": 1.0, "Ramp2": 1.0,
                           "logPhi1": 1.0, "logPhi2": 1.0, "sech2": 1.0}
#: a smooth feature narrower than this (in standard deviations of the coordinate it is
#: integrated in) gets graded panels around it
NARROW = 0.5
#: ratio of successive graded cut offsets around a narrow feature
_GRADE = 3.0
#: a transition narrower than this (standard deviations) is integrated as a jump: float64
#: nodes cannot resolve it, and the jump differs from it by O(width) in the value (O(width^2)
#: for an odd transition such as erf)
_JUMP = 1e-14
#: a coefficient below this fraction of a feature's largest one counts as zero
_ZERO = 1e-12


def register_transition(func, width: float = 1.0) -> None:
    r"""Declare a function a smooth transition of a given width.

    An argument :math:`a\cdot x + b` (affine in the Gaussian variables) of a registered function
    is a feature of width ``width/|a|`` centred on :math:`a\cdot x + b = 0`: the quadrature puts
    graded panels around it (see :class:`GaussianGeometry`).

    Parameters
    ----------
    func : type or str
        A SymPy function class or its name.
    width : float, optional
        Width of the transition in units of its argument (default 1).
    """
    name = func if isinstance(func, str) else func.__name__
    _TRANSITION_NAMES[name] = float(width)


def _affine(g, variables):
    """(coefficients, offset) of ``g`` if it is affine in ``variables`` (coefficients free of
    them), else None."""
    vs = set(variables)
    coefs = [sp.diff(g, v) for v in variables]
    if any(c.free_symbols & vs or c.has(sp.DiracDelta) for c in coefs):
        return None
    return coefs, g.xreplace({v: 0 for v in variables})


def _features(integrand: sp.Expr, variables: tuple):
    """Kinks and narrow features that the integrand declares.

    Returns ``(features, unaligned)``: features are ``(coefficients, offset, width)`` of an
    argument ``g = coefficients . x + offset`` (SymPy expressions of the parameters); width 0 is
    a kink or jump on the hyperplane g = 0 (arguments of sign, Abs, Heaviside, Max, Min, Piecewise
    conditions; a kink of one variable that is not affine is solved for its points), width > 0 a
    smooth transition over |g| ~ width (erf, erfc, tanh, Phi ..., exp(g), and a Gaussian bump
    exp(A (x - c)^2), A < 0, of width (-2A)^(-1/2) in one variable). ``unaligned`` holds the kink
    arguments that are not affine in several variables.
    """
    d = len(variables)
    hard: list = []
    soft: list = []
    for node in sp.preorder_traversal(integrand):
        kinks = kink_argument(node)
        if kinks is not None:
            hard += kinks
        elif node.func in _TRANSITIONS and node.args:
            soft.append((node.args[0], sp.Float(_TRANSITIONS[node.func])))
        elif type(node).__name__ in _TRANSITION_NAMES and len(node.args) == 1:
            soft.append((node.args[0], sp.Float(_TRANSITION_NAMES[type(node).__name__])))
        elif isinstance(node, sp.exp):
            g = node.args[0]
            inside = [v for v in variables if v in g.free_symbols]
            if len(inside) == 1 and g.is_polynomial(inside[0]):
                x = inside[0]
                poly = sp.Poly(g, x)
                if poly.degree() == 2:
                    A, B = poly.coeff_monomial(x**2), poly.coeff_monomial(x)
                    coefs = [sp.Integer(1) if v == x else sp.Integer(0) for v in variables]
                    out = (coefs, B / (2 * A), sp.sqrt(-1 / (2 * A)))
                    soft.append(out)
                    continue
            soft.append((g, sp.Float(1.0)))
    feats, unaligned = [], []
    for g in hard:
        inside = [i for i, v in enumerate(variables) if v in g.free_symbols]
        if not inside:
            continue
        aff = _affine(g, variables)
        if aff is not None:
            feats.append((aff[0], aff[1], sp.Integer(0)))
            continue
        if len(inside) > 1:
            unaligned.append(g)
            continue
        i = inside[0]
        try:
            sols = sp.solve(g, variables[i])
        except NotImplementedError:
            sols = None
        if not sols:
            unaligned.append(g)
            continue
        for s in sols:
            if not s.has(sp.I):
                feats.append(([sp.Integer(int(k == i)) for k in range(d)], -s, sp.Integer(0)))
    for item in soft:
        if len(item) == 3:
            feats.append(item)
            continue
        g, width = item
        if not g.free_symbols & set(variables):
            continue
        aff = _affine(g, variables)
        if aff is not None:
            feats.append((aff[0], aff[1], width))
    uniq = []
    for f in feats:
        key = (tuple(f[0]), f[1], f[2])
        if key not in uniq:
            uniq.append(key)
    return [(list(k[0]), k[1], k[2]) for k in uniq], unaligned


def _steepness(C: np.ndarray) -> np.ndarray:
    """Largest slope |c_i / c_j| (i < j, j the last nonzero coordinate) of the feature normals
    ``C`` (K frames x F features x r), per frame: a cut whose position moves fast with the outer
    coordinates makes a narrow feature in them."""
    A = np.abs(C)
    r = A.shape[-1]
    n = A.max(axis=-1, keepdims=True)
    sig = A > _ZERO * n
    last = r - 1 - np.argmax(sig[..., ::-1], axis=-1)
    cj = np.take_along_axis(A, last[..., None], axis=-1)[..., 0]
    outer = np.where(np.arange(r) < last[..., None], A, 0.0).max(axis=-1)
    with np.errstate(all="ignore"):
        s = np.where(cj > 0, outer / cj, 0.0)
    return s.max(axis=-1)


def _unit(v):
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.where(n > 0, v / np.where(n > 0, n, 1.0), 0.0)


def _choose_frame(N: np.ndarray) -> np.ndarray:
    """Orthonormal Q (r x r, columns = coordinates v_1..v_r, innermost last) making the feature
    normals ``N`` (F x r, rows in the standardised coordinates u) as little steep as possible.

    Candidates: the identity, and frames whose innermost coordinate is a normal, the bisector
    of two normals (two nearly parallel kinks become two gentle cuts), a normal turned by 90
    degrees (the kink becomes an outer cut), or in 3-D the cross product of two normals.
    The frame with the smallest :func:`_steepness` wins (the identity on ties).
    """
    F, r = N.shape
    if F == 0 or r == 1:
        return np.eye(r)
    N = _unit(N)
    pairs = [(k, l_) for k in range(F) for l_ in range(k + 1, F)]
    inner = [N[k] for k in range(F)]
    inner += [N[k] + s * N[l_] for k, l_ in pairs for s in (1.0, -1.0)]
    frames = [np.eye(r)]
    if r == 2:
        inner += [np.array([-v[1], v[0]]) for v in N]
        for e in _unit(np.array(inner)):
            if np.linalg.norm(e) > 0.5:
                frames.append(np.array([[e[1], e[0]], [-e[0], e[1]]]))
    else:
        inner += [np.cross(N[k], N[l_]) for k, l_ in pairs]
        for e3 in _unit(np.array(inner)):
            if np.linalg.norm(e3) < 0.5:
                continue
            P = N - np.outer(N @ e3, e3)
            cand2 = list(P) + [np.cross(e3, p) for p in P]
            cand2 += [P[k] + s * P[l_] for k, l_ in pairs for s in (1.0, -1.0)]
            seed = np.eye(3)[np.argmin(np.abs(e3))]
            cand2.append(seed - (seed @ e3) * e3)
            for e2 in _unit(np.array(cand2)):
                if np.linalg.norm(e2) < 0.5:
                    continue
                frames.append(np.stack([np.cross(e2, e3), e2, e3], axis=1))
    Qs = np.array(frames)
    score = _steepness(np.einsum("fr,krs->kfs", N, Qs))
    best = score.min()
    k = int(np.nonzero(score <= best * (1 + 1e-9) + 1e-12)[0][0])
    return Qs[k]


def _layout(C, b, w, r):
    """Per coordinate j (0 = outermost), the features to cut at: [(c_outer, c_j, offset, omega)].

    A feature ``g = c . v + offset`` sits in its last nonzero coordinate j at
    ``v_j = -(offset + c_outer . v_<j) / c_j``, with width ``omega = w / |c_j|`` (0: a kink).
    Integrating v_j out leaves features in the outer coordinates, added here (a cylindrical
    decomposition for affine features): where the position crosses the Gaussian bulk (an
    argument of width 1 in the position), and where two features of coordinate j meet (a kink
    if both are kinks). Works on floats and on mpmath numbers alike.
    """
    levels: list = [[] for _ in range(r)]

    def place(c, off, width):
        n = max((abs(x) for x in c), default=0)
        if not n > 0:
            return
        j = max(i for i in range(r) if abs(c[i]) > _ZERO * n)
        levels[j].append((list(c), off, width))

    for c, off, width in zip(C, b, w):
        place(list(c), off, width)
    out: list = [[] for _ in range(r)]
    for j in range(r - 1, -1, -1):
        active = []
        for c, off, width in levels[j]:
            cj = c[j]
            om = width / abs(cj)
            if om < _JUMP:  # narrower than float resolution can see: a jump
                om = 0 * om
            if width == 0 or om < NARROW:
                out[j].append((c[:j], cj, off, om))
                active.append((c, off, om))
            if j > 0 and any(x != 0 for x in c[:j]):
                place([x / cj for x in c[:j]] + [0 * cj] * (r - j), off / cj, max(1, om))
        if j == 0:
            continue
        for k1 in range(len(active)):
            for k2 in range(k1 + 1, len(active)):
                (c1, b1, o1), (c2, b2, o2) = active[k1], active[k2]
                cc = [c2[i] / c2[j] - c1[i] / c1[j] for i in range(j)] + [0 * c1[j]] * (r - j)
                place(cc, b2 / c2[j] - b1 / c1[j], max(o1, o2))
    return out


def _offsets(om: float, variant: int) -> np.ndarray:
    """Graded cut offsets (units of the coordinate) around a feature of width ``om`` (0: the
    kink itself): 0, +-om, +-3 om, ... up to ~1; the variant rule starts at 1.7 om."""
    if om == 0:
        return np.zeros(1)
    first = om * (1.0 if variant == 0 else 1.7)
    k = max(0, int(np.ceil(np.log(1.0 / first) / np.log(_GRADE))))
    g = first * _GRADE ** np.arange(k + 1)
    return np.concatenate([-g[::-1], [0.0], g])


def _cut_positions(spec_j, V: np.ndarray, variant: int):
    """(rows, B) cut positions of one coordinate for outer nodes ``V`` (rows x j)."""
    cols = []
    for c_out, cj, off, om in spec_j:
        c_out = np.asarray(c_out, dtype=float)
        p = -(off + (V @ c_out if c_out.size else 0.0)) / cj
        p = np.broadcast_to(np.asarray(p, dtype=float), (V.shape[0],))
        cols.append(p[:, None] + _offsets(om, variant)[None, :])
    if variant:
        cols.append(np.full((V.shape[0], 1), 0.7))  # moves every panel of the variant rule
    return np.concatenate(cols, axis=1) if cols else None


def split_rule(breaks, n_tail: int, n_mid: int, rows: int = 1, row_weight=None):
    r"""Nodes and weights for :math:`\mathbb E_{z\sim\mathcal N(0,1)}` cut at 0 and ``breaks``.

    Like :func:`~theory.numeric.quadrature.normal_rule` (half-range Hermite tails, Gauss--Legendre
    pieces, per-row breakpoints clipped to :data:`~theory.conventions.BREAK_CLIP`), but each piece
    gets its own number of panels (its longest length over the rows / ``PANEL``), so that many
    graded cuts around a narrow feature do not multiply the panels of every other piece.

    Parameters
    ----------
    breaks : numpy.ndarray, shape (M, B), or None
        Breakpoints, one row per outer node.
    n_tail : int
        Nodes per half-range Hermite tail.
    n_mid : int
        Nodes per Gauss--Legendre panel.
    rows : int, optional
        M when ``breaks`` is None (default 1).
    row_weight : numpy.ndarray, shape (M,), optional
        Weights of the rows (outer nodes); rows below 1e-24 of the largest do not set the panel
        counts (their contribution is below round-off).

    Returns
    -------
    z : numpy.ndarray, shape (M, n)
        Nodes, one row per outer node.
    w : numpy.ndarray, shape (M, n)
        Weights: ``(w * f(z)).sum(axis=1)`` approximates :math:`\mathbb E f(z)` for each row.
    """
    if breaks is None or breaks.shape[1] == 0:
        z, w = normal_rule(None, n_tail, n_mid, rows=rows)
        return z, w
    b = np.clip(np.asarray(breaks, dtype=float), -BREAK_CLIP, BREAK_CLIP)
    m = b.shape[0]
    cuts = np.sort(np.concatenate([b, np.zeros((m, 1))], axis=1), axis=1)
    lo, hi = cuts[:, :1], cuts[:, -1:]
    t, wt = halfrange_rule(n_tail)
    parts_z = [lo - t, hi + t]
    parts_w = [wt * np.exp(0.5 * t**2 - 0.5 * (lo - t) ** 2 - _LOG_SQRT2PI),
               wt * np.exp(0.5 * t**2 - 0.5 * (hi + t) ** 2 - _LOG_SQRT2PI)]
    u, wu = legendre_rule(n_mid)
    a_, b_ = cuts[:, :-1], cuts[:, 1:]
    used = slice(None) if row_weight is None else row_weight >= 1e-24 * np.max(row_weight)
    lengths = (b_ - a_)[used].max(axis=0)
    for k in range(a_.shape[1]):
        if lengths[k] == 0:
            continue
        panels = max(1, int(np.ceil(lengths[k] / PANEL)))
        edges = a_[:, k:k + 1] + (b_ - a_)[:, k:k + 1] * (np.arange(panels + 1) / panels)
        lo_e, hi_e = edges[:, :-1, None], edges[:, 1:, None]
        half = 0.5 * (hi_e - lo_e)
        zm = (0.5 * (lo_e + hi_e) + half * u).reshape(m, -1)
        parts_z.append(zm)
        parts_w.append((half * wu).reshape(m, -1) * np.exp(-0.5 * zm**2 - _LOG_SQRT2PI))
    return np.concatenate(parts_z, axis=1), np.concatenate(parts_w, axis=1)


class GaussianGeometry:
    """Where the quadrature of one Gaussian expectation must cut, and in which frame.

    Built once per expectation (or group of integrands over the same Gaussian vector) from the
    features the integrands declare (:func:`_features`); per parameter values,
    :meth:`frame` writes X = M v with v ~ N(0, I_r) (r = rank of the covariance), M = L Q, L the
    PSD Cholesky factor (computed in extended precision when a pivot cancels) and Q the
    rotation of :func:`_choose_frame`, so that every affine kink is a coordinate cut of its last
    coordinate (conditional on the outer ones) and every narrow smooth feature gets graded panels
    at its centre +- 1, 3, 9, ... widths (:func:`_layout`). :meth:`nodes` then builds the tensor
    rule coordinate by coordinate; ``variant=1`` is a rule that shares no node with it (other
    graded offsets, one extra cut), used to confirm acceptance.

    Parameters
    ----------
    integrands : sequence of sympy.Expr
        The integrands over this Gaussian vector.
    variables : sequence of sympy.Symbol
        The Gaussian variables, in the covariance's order.
    cov_expr : sympy.Matrix
        The covariance, a function of ``params``.
    params : sequence of sympy.Symbol
        The parameters, in call order.
    """

    def __init__(self, integrands, variables, cov_expr, params):
        self.variables = tuple(variables)
        self.params = tuple(params)
        self.d = len(self.variables)
        feats, unaligned = [], []
        for f in integrands:
            fe, un = _features(f, self.variables)
            feats += [x for x in fe if x not in feats]
            unaligned += [u for u in un if u not in unaligned]
        self.features, self.unaligned = feats, unaligned
        rows = [list(c) + [off, wd] for c, off, wd in feats]
        self._feat_np = None
        if rows and sp.Matrix(rows).free_symbols:
            self._feat_np = numpy_function(sp.Matrix(rows), self.params)
        elif rows:  # constant features: evaluated once
            const = np.array(sp.Matrix(rows).evalf(20).tolist(), dtype=float)
            self._feat_np = lambda *a, _c=const: _c
        self._feat_expr = sp.Matrix(rows) if rows else None
        self._feat_mp = None
        self.cov_expr = sp.ImmutableMatrix(cov_expr)
        self.cov_np = numpy_function(self.cov_expr, self.params)
        self.cov_mp = None

    # float64 ---------------------------------------------------------------
    def _feature_values(self, pvals):
        if self._feat_np is None:
            return np.zeros((0, self.d + 2))
        with np.errstate(all="ignore"):
            F = np.asarray(self._feat_np(*pvals), dtype=float)
        return F.reshape(len(self.features), self.d + 2)

    def frame(self, pvals):
        r"""The integration frame at given parameter values (float64).

        Parameters
        ----------
        pvals : sequence of float
            Values of ``params``.

        Returns
        -------
        M : numpy.ndarray, shape (d, r)
            :math:`X = Mv`, :math:`v \sim \mathcal N(0, I_r)`, r the rank of the covariance.
        layout : list
            Per coordinate, the cuts and graded features (an internal layout read by
            :meth:`nodes`).
        """
        cov = np.asarray(self.cov_np(*pvals), dtype=float).reshape(self.d, self.d)
        L = psd_cholesky(cov)
        if np.any(np.diag(L) ** 2 < PIVOT_CANCEL * np.diag(cov)) and self.cov_expr.free_symbols:
            # near-singular: the covariance evaluated in float from the parameters (r s0 s1)
            # already carries a relative error that 1 - r^2 amplifies: evaluate it at 40 digits
            if self.cov_mp is None:
                self.cov_mp = mpmath_function(self.cov_expr, self.params)

            def exact():
                return mpmath.matrix(self.cov_mp(*[mpmath.mpf(float(v)) for v in pvals]))

            scale = max(1.0, float(np.max(np.abs(cov))))
            L = _psd_cholesky_exact(cov, "cov", scale, exact)
        Lr = L[:, np.any(L != 0, axis=0)]
        F = self._feature_values(pvals)
        F = F.copy()
        A, b, w = F[:, : self.d], F[:, self.d], F[:, self.d + 1]
        # a transition of infinite steepness (erf(w/sqrt(2 Delta)) at Delta = 0) is a jump
        inf = np.any(np.isinf(A), axis=1) & np.isfinite(b)
        if np.any(inf):
            A[inf] = np.where(np.isinf(A[inf]), np.sign(A[inf]), 0.0)
            b[inf], w[inf] = 0.0, 0.0
        ok = np.all(np.isfinite(F), axis=1) & (w >= 0)
        A, b, w = A[ok], b[ok], w[ok]
        C = A @ Lr
        r = Lr.shape[1]
        Q = _choose_frame(C) if r else np.eye(0)
        return Lr @ Q, _layout(C @ Q, b, w, r)

    def levels(self, r: int):
        """Node levels for an r-dimensional rule.

        Parameters
        ----------
        r : int
            Rank of the covariance (number of integrated coordinates).

        Returns
        -------
        tuple of (int, int)
            ``(nodes per tail, nodes per panel)`` for each refinement level.
        """
        return _LEVELS_BY_DIM[max(r, 1)]

    def nodes(self, frame, level: int, variant: int = 0):
        """Tensor quadrature rule at a refinement level.

        Parameters
        ----------
        frame : tuple
            The output of :meth:`frame`.
        level : int
            Index into :meth:`levels`.
        variant : int, optional
            0 for the rule, 1 for a rule sharing no node with it (default 0).

        Returns
        -------
        X : numpy.ndarray, shape (n, d)
            Nodes in the declared variables.
        W : numpy.ndarray, shape (n,)
            Weights.
        """
        M, spec = frame
        r = M.shape[1]
        nt, nm = self.levels(r)[level]
        V = np.zeros((1, 0))
        W = np.ones(1)
        for j in range(r):
            br = _cut_positions(spec[j], V, variant)
            z, w = split_rule(br, nt, nm, rows=V.shape[0], row_weight=W)
            n_j = z.shape[1]
            V = np.concatenate([np.repeat(V, n_j, axis=0), z.reshape(-1, 1)], axis=1)
            W = (W[:, None] * w).reshape(-1)
        self._last_v = (V, M)
        return V @ M.T, W

    # mpmath ----------------------------------------------------------------
    def frame_mp(self, pvals, dps: int):
        """The integration frame in mpmath at ``dps`` digits (call inside ``mpmath.workdps``).

        The rotation is chosen in float64 and re-orthonormalised at ``dps`` (any rotation is
        exact).

        Parameters
        ----------
        pvals : sequence of mpmath.mpf
            Values of ``params``.
        dps : int
            Working precision.

        Returns
        -------
        M : list of list of mpmath.mpf
            The d x r factor, as in :meth:`frame`.
        layout : list
            Per coordinate, the cuts and features (read by :meth:`cuts_mp`).
        """
        if self.cov_mp is None:
            self.cov_mp = mpmath_function(self.cov_expr, self.params)
            if self._feat_expr is not None:
                self._feat_mp = mpmath_function(self._feat_expr, self.params)
        d = self.d
        cov = mpmath.matrix(self.cov_mp(*pvals))
        L = _cholesky_mp(cov, dps)
        cols = [j for j in range(d) if any(L[i, j] != 0 for i in range(d))]
        r = len(cols)
        Lr = [[L[i, j] for j in cols] for i in range(d)]
        feats = []
        if self._feat_mp is not None:
            Fm = mpmath.matrix(self._feat_mp(*pvals))
            for k in range(len(self.features)):
                row = [Fm[k, i] for i in range(d + 2)]
                if all(mpmath.isfinite(x) for x in row) and row[-1] >= 0:
                    feats.append(row)
        C = [[mpmath.fsum(row[i] * Lr[i][j] for i in range(d)) for j in range(r)] for row in feats]
        Cf = np.array([[float(x) for x in c] for c in C]).reshape(len(C), r)
        Qf = _choose_frame(Cf) if r else np.eye(0)
        Q: list = []  # Gram--Schmidt of the float columns at working precision
        for j in range(r):
            v = [mpmath.mpf(float(x)) for x in Qf[:, j]]
            for q in Q:
                dot = mpmath.fsum(a * b for a, b in zip(v, q))
                v = [a - dot * b for a, b in zip(v, q)]
            n = mpmath.sqrt(mpmath.fsum(a * a for a in v))
            Q.append([a / n for a in v])
        M = [[mpmath.fsum(Lr[i][k] * Q[j][k] for k in range(r)) for j in range(r)] for i in range(d)]
        Cv = [[mpmath.fsum(c[k] * Q[j][k] for k in range(r)) for j in range(r)] for c in C]
        spec = _layout(Cv, [f[d] for f in feats], [f[d + 1] for f in feats], r)
        return M, spec

    @staticmethod
    def cuts_mp(spec_j, vs):
        """Cut points (mpmath) of one coordinate given the outer coordinates.

        Parameters
        ----------
        spec_j : list
            The layout entry of that coordinate (from :meth:`frame_mp`).
        vs : sequence of mpmath.mpf
            Values of the outer coordinates.

        Returns
        -------
        list of mpmath.mpf
            The cut points.
        """
        out = []
        for c_out, cj, off, om in spec_j:
            p = -(off + mpmath.fsum(c * v for c, v in zip(c_out, vs))) / cj
            out += [p + o for o in _offsets(float(om), 0)] if om else [p]
        return out


def _cholesky_mp(cov, dps: int):
    """PSD Cholesky factor in mpmath (zero columns for degenerate directions)."""
    d = cov.rows
    L = mpmath.matrix(d, d)
    scale = max(1, max(abs(cov[i, i]) for i in range(d)))
    for j in range(d):
        s = cov[j, j] - mpmath.fsum(L[j, k] ** 2 for k in range(j))
        if s < 0 and abs(s) > mpmath.mpf(10) ** (-dps) * scale:
            raise InputError("cov", str(cov), "a positive semi-definite covariance matrix",
                             hint=f"the pivot of variable {j} is {mpmath.nstr(s, 3)} < 0")
        if s <= mpmath.mpf(10) ** (-(dps + 5)) * scale:
            continue
        L[j, j] = mpmath.sqrt(s)
        for i in range(j + 1, d):
            L[i, j] = (cov[i, j] - mpmath.fsum(L[i, k] * L[j, k] for k in range(j))) / L[j, j]
    return L


class _Plan:
    """Everything about one Expectation node that does not depend on parameter values."""

    def __init__(self, node: Expectation, params: tuple):
        self.node = node
        self.params = params
        variables = node.variables
        self.dim = len(variables)
        if self.dim > 3:
            raise InputError("expectation", str(node), "an expectation over at most 3 variables")
        self.geometry = GaussianGeometry([node.integrand], variables, node.cov, params)
        self.unaligned = self.geometry.unaligned
        self.f_np = numpy_function(node.integrand, tuple(variables) + params)
        self.f_mp = None

    def evaluate(self, pvals, tol: float):
        """(value, error bound, nodes) in float64.

        Levels are refined until two successive levels agree within ``tol`` (relative to
        max(1, |value|)); the finer value is then accepted only if the variant rule (no shared
        node) agrees too. The error returned is the sum of the two differences and of
        :meth:`_rounding` (times
        2 N1 / (N2 - N1) when a kink is not aligned, for algebraic convergence), plus the
        round-off bound 32 eps sum |w f|.
        """
        frame = self.geometry.frame(pvals)
        levels = self.geometry.levels(frame[0].shape[1])
        prev = None
        why = ""
        for level in range(len(levels)):
            val, n, absum = self._tensor(frame, level, 0, pvals)
            if prev is not None:
                diff = abs(val - prev[0])
                scale = max(1.0, abs(val))
                if diff <= tol * scale:
                    conf, _, _ = self._tensor(frame, level, 1, pvals)
                    dconf = abs(conf - val)
                    if dconf <= tol * scale:
                        err = diff + dconf + self._rounding(pvals, frame)
                        if self.unaligned:
                            n1, n2 = levels[level - 1][0], levels[level][0]
                            err *= 2 * n1 / (n2 - n1)
                        return val, err + 32 * np.finfo(float).eps * absum, n
                    why = (f"; two levels agree ({diff:.3g}) but a rule sharing no node with "
                           f"them differs by {dconf:.3g} (a feature between the nodes?)")
                else:
                    why = ""
            prev = (val, n)
        raise IntegrationError(
            f"{self.node} did not converge: successive levels differ by {diff:.3g} > tol "
            f"{tol:.1g} with {n} nodes{why}" + (f"; kinks not aligned with a variable: "
                                                f"{self.unaligned}" if self.unaligned else "")
        )

    def _tensor(self, frame, level, variant, pvals):
        X, W = self.geometry.nodes(frame, level, variant)
        vals = self.f_np(*[X[:, i] for i in range(self.dim)], *pvals)
        vals = np.broadcast_to(np.asarray(vals, dtype=float), W.shape)
        if not np.all(np.isfinite(vals)):
            raise IntegrationError(f"the integrand of {self.node} is not finite at a node")
        prod = W * vals
        self._last = (X, W, vals)
        return float(np.sum(prod)), W.size, float(np.sum(np.abs(prod)))

    def _rounding(self, pvals, frame) -> float:
        """Bound on the rounding of the nodes, for the last rule evaluated: sum_i |w_i| |f(x_i')
        - f(x_i)| with every coordinate of every node moved by 8 ulps (pseudo-random signs). A
        steep integrand, or a near-singular frame, amplifies the rounding of the nodes this much
        (an exactly degenerate direction, rank < d, is left exact)."""
        X, W, vals = self._last
        if X.shape[1] == 0 or frame[0].shape[1] < X.shape[1]:
            return 0.0
        idx = np.arange(X.size, dtype=np.uint64).reshape(X.shape)
        sg = 1.0 - 2.0 * ((idx * np.uint64(2654435761) >> np.uint64(11)) & np.uint64(1))
        Xp = X * (1 + 8 * np.finfo(float).eps * sg)
        with np.errstate(all="ignore"):
            moved = self.f_np(*[Xp[:, i] for i in range(self.dim)], *pvals)
        moved = np.broadcast_to(np.asarray(moved, dtype=float), W.shape)
        node_part = float(np.sum(np.abs(W * (moved - vals))))
        # the frame M itself is rounded (and the covariance evaluated in float): a backward
        # error of the covariance of a few ulps per entry, which a near-singular Gaussian turns
        # into a relative error of the value (e.g. Var(u - v) = 18 (1 - r) at r = 1 - 1e-12)
        V, M = self.geometry._last_v
        if M.shape[0] != M.shape[1] or V.shape[0] != X.shape[0]:
            return node_part
        sgm = 1.0 - 2.0 * ((np.arange(M.size).reshape(M.shape) * 7 + 3) % 5 < 2)
        Xm = V @ (M * (1 + 8 * np.finfo(float).eps * sgm)).T
        with np.errstate(all="ignore"):
            moved = self.f_np(*[Xm[:, i] for i in range(self.dim)], *pvals)
        moved = np.broadcast_to(np.asarray(moved, dtype=float), W.shape)
        return node_part + 2 * abs(float(np.sum(W * (moved - vals))))

    def evaluate_mp(self, pvals, dps: int):
        if self.f_mp is None:
            self.f_mp = mpmath_function(self.node.integrand, tuple(self.node.variables)
                                        + self.params)
        d = self.dim
        with mpmath.workdps(dps + 10):
            M, spec = self.geometry.frame_mp(pvals, dps + 10)
            r = len(M[0]) if M else 0

            def point(vs):
                xs = [mpmath.fsum(M[i][j] * vs[j] for j in range(r)) for i in range(d)]
                return self.f_mp(*xs, *pvals)

            if r == 0:
                cur = point([])
            elif r == 1:  # mpmath.quad with the cuts (and graded panels) as break points
                pts = {mpmath.mpf(0), mpmath.mpf(-6), mpmath.mpf(6)}
                clip = mpmath.mpf(BREAK_CLIP)
                pts |= {min(max(c, -clip), clip) for c in GaussianGeometry.cuts_mp(spec[0], [])}
                cuts = [-mpmath.inf, *sorted(pts), mpmath.inf]
                cur, err = mpmath.quad(lambda u: point([u]) * mpmath.npdf(u), cuts,
                                       error=True, maxdegree=10)
                if err > mpmath.mpf(10) ** (-dps) * max(1, abs(cur)):
                    raise IntegrationError(f"{self.node} at {dps} digits: mpmath.quad error "
                                           f"{mpmath.nstr(err, 3)} > 1e-{dps}")
            else:
                def tensor(level):
                    def inner(i, vs):
                        cuts = GaussianGeometry.cuts_mp(spec[i], vs)
                        total = mpmath.mpf(0)
                        for u, w in normal_rule_mp(cuts, level, dps + 10):
                            total += w * (point(vs + [u]) if i == r - 1 else inner(i + 1, vs + [u]))
                        return total

                    return inner(0, [])

                # successive levels converge geometrically: a difference below 10^(1-dps)
                # leaves the finer level well inside dps digits
                need = mpmath.mpf(10) ** (1 - dps)
                prev = tensor(0)
                for level in range(1, len(MP_LEVELS)):
                    cur = tensor(level)
                    err = abs(cur - prev)
                    if err <= need * max(1, abs(cur)):
                        break
                    prev = cur
                else:
                    raise IntegrationError(
                        f"{self.node} at {dps} digits: successive levels differ by "
                        f"{mpmath.nstr(err, 3)} > 1e-{dps}"
                    )
        with mpmath.workdps(dps):
            return +cur


def reduce_deltas(expr: sp.Expr) -> sp.Expr:
    r"""Integrate the Dirac deltas of affine arguments out of every expectation in ``expr``.

    For :math:`g = a\cdot x + b` with :math:`x\sim\mathcal N(0,\Sigma)`,
    :math:`s^2 = a^T\Sigma a`:

    .. math:: \mathbb E[\delta(g)\,h(x)] = \frac{e^{-b^2/2s^2}}{\sqrt{2\pi s^2}}\,
       \mathbb E\,h\Big(-\frac{b\,\Sigma a}{s^2} + \big(I - \frac{\Sigma a a^T}{s^2}\big)x\Big),

    the density of g at 0 times the conditional expectation given g = 0 (the conditional law of
    x is that of the affine map of x on the right). Several deltas are integrated out one after
    the other. These come from Price's theorem
    (``Expectation._eval_derivative`` in :mod:`theory.symbolic.expectation`) applied to kinked
    integrands. :math:`s^2` is factored symbolically so that :math:`1 - r^2` is evaluated as
    :math:`(1 - r)(1 + r)`.

    Parameters
    ----------
    expr : sympy.Expr
        An expression holding :class:`~theory.symbolic.expectation.Expectation` objects.

    Returns
    -------
    sympy.Expr
        The same expression with no ``DiracDelta`` inside an expectation.
    """
    nodes = [n for n in expr.atoms(Expectation) if n.integrand.has(sp.DiracDelta)]
    if not nodes:
        return expr
    return expr.xreplace({n: _reduce_node(n) for n in nodes})


def _reduce_node(node: Expectation) -> sp.Expr:
    X, S = node.variables, node.cov
    integrand = sp.expand(node.integrand, multinomial=False, power_base=False,
                          power_exp=False, log=False)
    return sp.Add(*[_reduce_term(t, X, S) for t in sp.Add.make_args(integrand)])


def _reduce_term(term, X, S) -> sp.Expr:
    factors = sp.Mul.make_args(term)
    deltas = [f for f in factors if isinstance(f, sp.DiracDelta)]
    rest = sp.Mul(*[f for f in factors if not isinstance(f, sp.DiracDelta)])
    if not deltas:
        return Expectation(term, X, S)
    factor = sp.Integer(1)
    x = sp.Matrix(X)
    while deltas:
        dl = deltas.pop(0)
        g = dl.args[0]
        a = sp.Matrix([sp.diff(g, v) for v in X])
        if (len(dl.args) > 1 and dl.args[1] != 0) or rest.has(sp.DiracDelta) or any(
                c.free_symbols & set(X) for c in a):
            raise InputError("expectation", str(term), "Dirac deltas of affine arguments "
                             "(order 0) as factors of the integrand",
                             hint="differentiate a smooth integrand, or use the score form")
        b = g.xreplace({v: 0 for v in X})
        s2 = sp.factor((a.T * S * a)[0, 0])
        if s2 == 0:
            raise InputError("expectation", str(term), "a delta whose argument has a positive "
                             "variance", hint=f"{g} has variance 0 under the covariance")
        factor *= sp.exp(-b**2 / (2 * s2)) / sp.sqrt(2 * sp.pi * s2)
        Sa = S * a
        ax = (a.T * x)[0, 0]
        sub = {X[i]: X[i] - (b + ax) * Sa[i] / s2 for i in range(len(X))}
        deltas = [d.xreplace(sub) for d in deltas]
        rest = rest.xreplace(sub)
    return factor * Expectation(rest, X, S)


@dataclass
class EvaluationReport:
    """What the last call of a :class:`CompiledExpression` did, per expectation."""

    errors: list
    nodes: list
    unaligned: list
    #: bound on the error of the returned value: the expectations' error bounds propagated
    #: through the outer expression (each moved by +-its bound), plus its round-off
    error: float = float("nan")


class CompiledExpression:
    """A callable ``f(*params)`` or ``f(**params)`` for a SymPy expression with expectations.

    Made by :func:`compile_expression`. After each float64 call, ``report`` holds the error
    estimates and node counts per expectation and ``report.error`` a bound on the error of the
    returned value.

    Parameters
    ----------
    expr : sympy.Expr
        The expression (Dirac deltas are integrated out by :func:`reduce_deltas`).
    params : sequence of sympy.Symbol
        Parameter symbols, in call order; every free symbol must be listed.
    dps : int, optional
        None for float64, else mpmath digits.
    tol : float, optional
        Float64 tolerance on each expectation (default 1e-12).

    Attributes
    ----------
    report : EvaluationReport or None
        Error estimates of the last float64 call.
    """

    def __init__(self, expr, params, dps: int | None = None, tol: float = 1e-12):
        self.expr = reduce_deltas(sp.sympify(expr))
        self.params = tuple(params)
        self.dps = check_dps(dps)
        self.tol = tol
        missing = self.expr.free_symbols - set(self.params)
        if missing:
            raise InputError("params", [str(p) for p in self.params],
                             "a list holding every free symbol of the expression",
                             hint=f"missing {sorted(map(str, missing))}")
        nodes = sorted(self.expr.atoms(Expectation), key=sp.default_sort_key)
        for nd in nodes:
            if nd.integrand.atoms(Expectation):
                raise InputError("expr", str(nd), "expectations that are not nested")
        self.dummies = [sp.Dummy(f"E{i}") for i in range(len(nodes))]
        self.plans = [_Plan(nd, self.params) for nd in nodes]
        outer = self.expr.xreplace(dict(zip(nodes, self.dummies)))
        args = self.params + tuple(self.dummies)
        self.outer = (numpy_function(outer, args) if self.dps is None
                      else mpmath_function(outer, args))
        self.report: EvaluationReport | None = None

    def latex(self) -> str:
        """The expression as LaTeX.

        Returns
        -------
        str
            ``sympy.latex`` of the (delta-reduced) expression.
        """
        return sp.latex(self.expr)

    def _values(self, args, kwargs):
        if args and kwargs:
            raise TypeError("pass the parameters either by position or by name")
        if kwargs:
            names = {str(p): p for p in self.params}
            unknown = set(kwargs) - set(names)
            if unknown:
                raise InputError("parameter", sorted(unknown)[0], f"one of {sorted(names)}")
            missing = set(names) - set(kwargs)
            if missing:
                raise InputError("parameter", sorted(missing)[0], "given (it has no default)")
            return [kwargs[str(p)] for p in self.params]
        if len(args) != len(self.params):
            raise InputError("parameters", args, f"{len(self.params)} values for {self.params}")
        return list(args)

    def __call__(self, *args, **kwargs):
        vals = self._values(args, kwargs)
        if self.dps is not None:
            with mpmath.workdps(self.dps + 10):
                pv = [mpmath.mpf(v) if not isinstance(v, mpmath.mpf) else v for v in vals]
                ev = [p.evaluate_mp(pv, self.dps) for p in self.plans]
                out = self.outer(*pv, *ev)
            with mpmath.workdps(self.dps):
                return +out
        arrs = np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in vals]) if vals else []
        shape = arrs[0].shape if arrs else ()
        if shape == ():
            return self._point([float(a) for a in arrs])
        out = np.empty(shape)
        for idx in np.ndindex(shape):  # parameter grids: one vectorised quadrature per point
            out[idx] = self._point([float(a[idx]) for a in arrs])
        return out

    def _point(self, pv):
        res = [p.evaluate(pv, self.tol) for p in self.plans]
        ev = [r[0] for r in res]
        out = float(self.outer(*pv, *ev))
        total = 4 * np.finfo(float).eps * abs(out)
        for k, r in enumerate(res):
            moved = [abs(float(self.outer(*pv, *(ev[:k] + [ev[k] + sgn * r[1]] + ev[k + 1:])))
                         - out) for sgn in (1.0, -1.0)]
            total += max(moved)
        self.report = EvaluationReport([r[1] for r in res], [r[2] for r in res],
                                       [p.unaligned for p in self.plans], total)
        return out


def compile_expression(expr, params, *, dps: int | None = None, tol: float = 1e-12):
    """Compile ``expr`` (which may hold Gaussian expectations) to a function of ``params``.

    Parameters
    ----------
    expr : sympy.Expr
        The expression; it may hold :class:`~theory.symbolic.expectation.Expectation` objects.
    params : sequence of sympy.Symbol
        The parameter symbols, in call order (every free symbol must be listed).
    dps : int, optional
        None for float64 (tensor split-Gauss quadrature), else mpmath digits.
    tol : float, optional
        Float64 tolerance on each expectation, relative to max(1, abs(value)) (default 1e-12).

    Returns
    -------
    CompiledExpression
        ``f(*values)`` or ``f(**values)``; float64 calls broadcast over parameter arrays.

    Raises
    ------
    InputError
        If a free symbol is missing from ``params``, or expectations are nested.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory import E, gaussians
    >>> r = sp.Symbol("r")
    >>> u, v = gaussians("u v", cov=[[1, r], [r, 1]])
    >>> f = compile_expression(E(sp.sign(u) * sp.sign(v)), [r])
    >>> round(f(0.5), 12)  # (2/pi) asin(1/2) = 1/3
    0.333333333333
    """
    return CompiledExpression(expr, params, dps, tol)
