r"""Gaussian quadrature rules for expectations over :math:`z\sim\mathcal N(0,1)`, split at kinks.

Plain Gauss--Hermite converges only like O(1/N) for integrands with kinks or jumps. Here the
real line is cut at 0 and at the breakpoints of the integrand (clipped to
:data:`~theory.conventions.BREAK_CLIP`); each cut piece is then analytic and gets its own Gauss
rule:

* the two tails :math:`(-\infty, a]` and :math:`[b, \infty)` (with :math:`a \le 0 \le b`) use the
  *half-range Hermite* rule for the weight :math:`e^{-t^2/2}` on :math:`[0, \infty)`, the extra
  factor :math:`e^{-|b| t}` of the shifted Gaussian being smooth and decaying;
* the finite pieces between breakpoints use Gauss--Legendre with the Gaussian density in the weights.

With the kinks at the cuts, polynomial x Gaussian pieces are integrated exactly (relu, sign, abs
reach float64 round-off with 10 + 10 nodes), and smooth integrands converge faster than with
full-line Gauss--Hermite (tanh: 40 + 40 nodes reach ~1e-16).

The half-range rule is computed once per size from the moments
:math:`m_j = \int_0^\infty t^j e^{-t^2/2} dt = 2^{(j-1)/2}\Gamma((j+1)/2)` by Chebyshev's
algorithm in mpmath at high precision, then nodes are refined by Newton's method and weights
come from the Christoffel function (Gautschi, *Orthogonal Polynomials: Computation and
Approximation*, 2004, Sec. 2.1.7 and Thm. 3.1). Rules are cached (``functools.lru_cache``).

Rules are vectorised over *rows*: each row may have its own breakpoints (conditional
coefficients at many shifts kappa, a kink that moves with an outer integration variable), and
all rows share one node count, so integrands are evaluated on one ``(rows, nodes)`` array.
"""

from __future__ import annotations

from functools import lru_cache, cache

import mpmath
import numpy as np
from scipy.special import roots_hermitenorm, roots_legendre

from ..conventions import BREAK_CLIP

__all__ = [
    "halfrange_rule",
    "halfrange_rule_mp",
    "legendre_rule_mp",
    "split_rule_mp",
    "legendre_rule",
    "hermite_rule",
    "normal_rule",
    "LEVELS",
]

_LOG_SQRT2PI = 0.5 * np.log(2 * np.pi)
#: longest finite piece (in standard deviations) one Gauss--Legendre panel covers
PANEL = 3.0

#: node counts (per tail, per finite piece) tried in turn by adaptive integration
LEVELS: tuple[tuple[int, int], ...] = (
    (16, 16), (24, 24), (32, 32), (40, 40), (56, 56), (80, 80), (112, 112), (160, 160), (224, 224)
)


@cache
def _halfrange_recurrence(n: int, dps: int) -> tuple[tuple, tuple]:
    """Recurrence coefficients (alpha_k, beta_k), k < n, of the weight e^{-t^2/2} on [0, inf)."""
    work = dps + 20 + 2 * n  # Chebyshev's algorithm loses digits roughly linearly in n
    with mpmath.workdps(work):
        mom = [mpmath.power(2, mpmath.mpf(j - 1) / 2) * mpmath.gamma(mpmath.mpf(j + 1) / 2)
               for j in range(2 * n)]
        alpha = [mom[1] / mom[0]]
        beta = [mom[0]]
        sig_prev = [mpmath.mpf(0)] * (2 * n)
        sig = list(mom)
        for k in range(1, n):
            new = [mpmath.mpf(0)] * (2 * n)
            for l_ in range(k, 2 * n - k):
                new[l_] = sig[l_ + 1] - alpha[k - 1] * sig[l_] - beta[k - 1] * sig_prev[l_]
            alpha.append(new[k + 1] / new[k] - sig[k] / sig[k - 1])
            beta.append(new[k] / sig[k - 1])
            sig_prev, sig = sig, new
        return tuple(+a for a in alpha), tuple(+b for b in beta)


def _orthonormal_values(t, alpha, beta, n):
    """Orthonormal polynomials p_0..p_n at t (mpmath), and p_n'(t), by the three-term recurrence."""
    p_prev, p = mpmath.mpf(0), 1 / mpmath.sqrt(beta[0])
    d_prev, d = mpmath.mpf(0), mpmath.mpf(0)
    squares = p * p
    for k in range(n):
        b_next = mpmath.sqrt(beta[k + 1]) if k + 1 < len(beta) else None
        if b_next is None:
            break
        p_new = ((t - alpha[k]) * p - (mpmath.sqrt(beta[k]) if k else 0) * p_prev) / b_next
        d_new = (p + (t - alpha[k]) * d - (mpmath.sqrt(beta[k]) if k else 0) * d_prev) / b_next
        p_prev, p, d_prev, d = p, p_new, d, d_new
        if k + 1 < n:
            squares += p * p
    return p, d, squares


@cache
def halfrange_rule_mp(n: int, dps: int = 30) -> tuple[tuple, tuple]:
    r"""Half-range Gauss rule for :math:`\int_0^\infty f(t)e^{-t^2/2}dt` at ``dps`` digits.

    Parameters
    ----------
    n : int
        Number of nodes.
    dps : int, optional
        Decimal digits (default 30).

    Returns
    -------
    t : tuple of mpmath.mpf
        Nodes.
    w : tuple of mpmath.mpf
        Weights.
    """
    if n < 1:
        raise ValueError(f"n={n} must be >= 1")
    alpha, beta = _halfrange_recurrence(n + 1, dps)
    # float eigenvalues of the Jacobi matrix as starting points, then Newton in mpmath
    from scipy.linalg import eigh_tridiagonal

    a = np.array([float(v) for v in alpha[:n]])
    b = np.sqrt(np.array([float(v) for v in beta[1:n]]))
    t0 = eigh_tridiagonal(a, b, eigvals_only=True)
    nodes, weights = [], []
    with mpmath.workdps(dps + 10):
        al = [mpmath.mpf(v) for v in alpha]
        be = [mpmath.mpf(v) for v in beta]
        for t in t0:
            t = mpmath.mpf(float(t))
            for _ in range(60):
                p, d, _ = _orthonormal_values(t, al, be, n)
                step = p / d
                t -= step
                if abs(step) < mpmath.mpf(10) ** (-(dps + 5)) * max(1, abs(t)):
                    break
            _, _, sq = _orthonormal_values(t, al, be, n)
            nodes.append(+t)
            weights.append(1 / sq)
    return tuple(nodes), tuple(weights)


#: largest half-range rule whose recurrence coefficients ship in theory/data
MAX_SHIPPED = 260
_DATA = __import__("pathlib").Path(__file__).resolve().parent.parent / "data" / "halfrange_recurrence.json"


def write_recurrence_table(path=_DATA, n: int = MAX_SHIPPED, dps: int = 40) -> None:
    """Regenerate the shipped table of recurrence coefficients (run by ``tests`` golden check)."""
    import json

    alpha, beta = _halfrange_recurrence(n, dps)
    payload = {
        "generator": "theory.numeric.quadrature.write_recurrence_table",
        "weight": "exp(-t^2/2) on [0, inf)",
        "dps": dps,
        "alpha": [mpmath.nstr(a, 34) for a in alpha],
        "beta": [mpmath.nstr(b, 34) for b in beta],
    }
    path.write_text(json.dumps(payload, indent=0) + "\n")


@lru_cache(maxsize=1)
def _shipped_recurrence() -> tuple[np.ndarray, np.ndarray]:
    import json

    data = json.loads(_DATA.read_text())
    return np.array([float(v) for v in data["alpha"]]), np.array([float(v) for v in data["beta"]])


def _recurrence_float(n: int) -> tuple[np.ndarray, np.ndarray]:
    if n + 1 <= MAX_SHIPPED and _DATA.exists():
        a, b = _shipped_recurrence()
        return a[: n + 1], b[: n + 1]
    alpha, beta = _halfrange_recurrence(n + 1, 30)
    return np.array([float(v) for v in alpha]), np.array([float(v) for v in beta])


@cache
def halfrange_rule(n: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Half-range Gauss rule for :math:`\int_0^\infty f(t)e^{-t^2/2}dt` in float64 (cached).

    Golub--Welsch eigenvalues of the Jacobi matrix, two Newton polishes on the orthonormal
    polynomial :math:`p_n`, weights :math:`1/\sum_k p_k(t)^2` (Christoffel), all vectorised over
    the nodes.

    Parameters
    ----------
    n : int
        Number of nodes.

    Returns
    -------
    t : numpy.ndarray, shape (n,)
        Nodes (read-only).
    w : numpy.ndarray, shape (n,)
        Weights (read-only), summing to :math:`\sqrt{\pi/2}`.
    """
    from scipy.linalg import eigh_tridiagonal

    if n < 1:
        raise ValueError(f"n={n} must be >= 1")
    alpha, beta = _recurrence_float(n)
    sb = np.sqrt(beta)
    t = eigh_tridiagonal(alpha[:n], sb[1:n], eigvals_only=True)

    def evaluate(t):
        p_prev, p = np.zeros_like(t), np.full_like(t, 1 / sb[0])
        d_prev, d = np.zeros_like(t), np.zeros_like(t)
        squares = p * p
        for k in range(n):
            off = sb[k] if k else 0.0
            p_new = ((t - alpha[k]) * p - off * p_prev) / sb[k + 1]
            d_new = (p + (t - alpha[k]) * d - off * d_prev) / sb[k + 1]
            p_prev, p, d_prev, d = p, p_new, d, d_new
            if k + 1 < n:
                squares = squares + p * p
        return p, d, squares

    for _ in range(2):
        p, d, _ = evaluate(t)
        t = t - p / d
    _, _, squares = evaluate(t)
    w = 1.0 / squares
    t.flags.writeable = False
    w.flags.writeable = False
    return t, w


@cache
def legendre_rule(n: int) -> tuple[np.ndarray, np.ndarray]:
    """n-point Gauss--Legendre rule on [-1, 1] (cached, read-only).

    Parameters
    ----------
    n : int
        Number of nodes.

    Returns
    -------
    u : numpy.ndarray, shape (n,)
        Nodes.
    w : numpy.ndarray, shape (n,)
        Weights, summing to 2.
    """
    u, w = roots_legendre(n)
    u.flags.writeable = False
    w.flags.writeable = False
    return u, w


@cache
def hermite_rule(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Plain n-point Gauss--Hermite rule for the expectation over N(0, 1), cached.

    Kept as the baseline the benchmarks compare with; the library itself splits at 0 and kinks.

    Parameters
    ----------
    n : int
        Number of nodes.

    Returns
    -------
    z : numpy.ndarray, shape (n,)
        Nodes.
    w : numpy.ndarray, shape (n,)
        Weights, summing to 1.
    """
    z, w = roots_hermitenorm(n)
    w = w / np.sqrt(2 * np.pi)
    z.flags.writeable = False
    w.flags.writeable = False
    return z, w


def normal_rule(breaks=None, n_tail: int = 40, n_mid: int = 40, rows: int | None = None):
    r"""Nodes and weights for :math:`\mathbb E_{z\sim\mathcal N(0,1)} f(z)`, cut at 0 and ``breaks``.

    Parameters
    ----------
    breaks : None, a 1-D array of B breakpoints shared by all rows, or an (M, B) array with one
        set of breakpoints per row (NaN = no breakpoint). Breakpoints beyond
        :data:`~theory.conventions.BREAK_CLIP` are clipped to it.
    n_tail : nodes of each half-range tail rule
    n_mid : Gauss--Legendre nodes of each panel of a finite piece (there are B finite pieces,
        some possibly of length zero, so that every row has the same number of nodes; pieces
        longer than :data:`PANEL` are cut into equal panels, the same count for all rows)
    rows : number of rows M when ``breaks`` is None or 1-D (default 1)

    Returns
    -------
    z, w : arrays of shape (M, N), N = 2 n_tail + B P n_mid, with sum(w * f(z), axis=-1) = E f.
    """
    if breaks is None:
        b = np.zeros((rows or 1, 0))
    else:
        b = np.asarray(breaks, dtype=float)
        if b.ndim == 1:
            b = np.broadcast_to(b, (rows or 1, b.size))
        elif b.ndim != 2:
            raise ValueError("breaks must be None, 1-D or 2-D")
    m, nb = b.shape
    b = np.where(np.isnan(b), 0.0, np.clip(b, -BREAK_CLIP, BREAK_CLIP))
    cuts = np.sort(np.concatenate([b, np.zeros((m, 1))], axis=1), axis=1)  # (M, B+1)
    lo, hi = cuts[:, :1], cuts[:, -1:]
    t, wt = halfrange_rule(n_tail)
    # right tail z = hi + t, left tail z = lo - t; weight phi(z) e^{t^2/2} * w_t
    z_right = hi + t
    z_left = lo - t
    w_right = wt * np.exp(0.5 * t**2 - 0.5 * z_right**2 - _LOG_SQRT2PI)
    w_left = wt * np.exp(0.5 * t**2 - 0.5 * z_left**2 - _LOG_SQRT2PI)
    parts_z, parts_w = [z_left, z_right], [w_left, w_right]
    if nb:
        # finite pieces longer than PANEL standard deviations are cut into equal panels (the
        # same number for every row, so that the node array keeps one shape)
        u, wu = legendre_rule(n_mid)
        a_, b_ = cuts[:, :-1], cuts[:, 1:]  # (M, B)
        panels = max(1, int(np.ceil(float(np.max(b_ - a_, initial=0.0)) / PANEL)))
        frac = np.arange(panels + 1) / panels
        edges = a_[..., None] + (b_ - a_)[..., None] * frac  # (M, B, P+1)
        lo_e, hi_e = edges[..., :-1, None], edges[..., 1:, None]  # (M, B, P, 1)
        half = 0.5 * (hi_e - lo_e)
        zm = (0.5 * (lo_e + hi_e) + half * u).reshape(m, -1)
        wm = (half * wu).reshape(m, -1) * np.exp(-0.5 * zm**2 - _LOG_SQRT2PI)
        parts_z.append(zm)
        parts_w.append(wm)
    return np.concatenate(parts_z, axis=1), np.concatenate(parts_w, axis=1)


@cache
def _legendre_mp(degree: int, dps: int):
    """mpmath Gauss--Legendre nodes (3 * 2^(degree-1) points) on [-1, 1] at dps digits."""
    from mpmath.calculus.quadrature import GaussLegendre

    with mpmath.workdps(dps):
        return tuple(GaussLegendre(mpmath.mp).calc_nodes(degree, mpmath.mp.prec))


def legendre_rule_mp(degree: int, dps: int):
    r"""Gauss--Legendre rule on [-1, 1] at ``dps`` digits (mpmath's own nodes; cached).

    Parameters
    ----------
    degree : int
        mpmath's degree: the rule has :math:`3\cdot 2^{\mathrm{degree}-1}` nodes.
    dps : int
        Decimal digits of the nodes and weights.

    Returns
    -------
    tuple of (mpmath.mpf, mpmath.mpf)
        ``((u, w), ...)``, nodes and weights with :math:`\sum w = 2`.
    """
    return _legendre_mp(degree, dps)


#: mpmath levels: (half-range nodes per tail, Gauss--Legendre degree per panel)
MP_LEVELS: tuple[tuple[int, int], ...] = ((12, 3), (24, 4), (48, 5), (80, 6), (120, 6))


def split_rule_mp(cuts, n_tail: int, degree: int, dps: int, panel=None):
    r"""Gauss rule for the standard normal, split at cut points, at ``dps`` digits.

    Half-range Hermite rules beyond the first and the last cut, Gauss--Legendre panels between
    consecutive cuts. The one mpmath split rule: :func:`normal_rule_mp` and the Hermite mpmath
    path build theirs with it.

    Parameters
    ----------
    cuts : sequence of mpmath.mpf
        Sorted cut points (at least one).
    n_tail : int
        Nodes of each half-range Hermite tail rule.
    degree : int
        Gauss--Legendre degree per panel (:math:`3\cdot 2^{\mathrm{degree}-1}` nodes).
    dps : int
        Decimal digits of the nodes and weights.
    panel : float, optional
        Largest panel width between cuts (default :data:`PANEL`).

    Returns
    -------
    list of (mpmath.mpf, mpmath.mpf)
        ``[(z, w), ...]`` with :math:`\sum w f(z) \approx \mathbb E f(z)`,
        :math:`z \sim \mathcal N(0, 1)`.
    """
    width = PANEL if panel is None else panel
    t, wt = halfrange_rule_mp(n_tail, dps)
    lo, hi = cuts[0], cuts[-1]
    out = []
    for ti, wi in zip(t, wt):
        for z in (hi + ti, lo - ti):
            out.append((z, wi * mpmath.exp(ti * ti / 2) * mpmath.npdf(z)))
    gl = _legendre_mp(degree, dps)
    for a, b in zip(cuts[:-1], cuts[1:]):
        if b <= a:
            continue
        panels = max(1, int(mpmath.ceil((b - a) / width)))
        for p in range(panels):
            pa = a + (b - a) * p / panels
            pb = a + (b - a) * (p + 1) / panels
            half, mid = (pb - pa) / 2, (pa + pb) / 2
            for u, wu in gl:
                z = mid + half * u
                out.append((z, half * wu * mpmath.npdf(z)))
    return out


def normal_rule_mp(breaks, level: int, dps: int):
    """One row of :func:`normal_rule` in mpmath: [(z, w)] with sum w f(z) = E f(z), cut at 0
    and ``breaks``; use inside ``mpmath.workdps(dps)``."""
    n_tail, degree = MP_LEVELS[level]
    clip = mpmath.mpf(BREAK_CLIP)
    cuts = sorted({min(max(mpmath.mpf(c), -clip), clip) for c in (0, *breaks)})
    return split_rule_mp(cuts, n_tail, degree, dps)
