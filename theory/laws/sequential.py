r"""Sequential feature recovery and the two scaling regimes: a solvable model (issue 11, item 4).

**What this is.** A *solvable model built on the statements* of Nguyen & Barbier, "Bayes-optimal
scaling laws in extensive width" (arXiv:2605.10395 v1, abstract only; see
``laws-digest.md`` section 3). It is **not** the paper's fixed-point equations, which were not
readable: every equation below is this module's own construction, chosen so that the
statements of the abstract can be checked to 30+ digits:

* features become recoverable one after another, each by a discontinuous jump of its overlap;
* :math:`\varepsilon \propto n^{1/(2\beta)-1}` while features are still being learned
  (:math:`k_c < k`), :math:`\varepsilon\propto n^{-1}` once all are (:math:`k_c = k`);
* :math:`\varepsilon = \Theta(k_c\,d/n)`.

**The model (every choice).**

1. Teacher: :math:`k = \kappa d` features of strengths :math:`\lambda_i = i^{-\beta}`,
   :math:`\beta > 1/2` (a power-law hierarchy with :math:`\sum_i\lambda_i^2 < \infty` as
   :math:`k\to\infty`).
2. Each feature is estimated by its own Bayes-optimal scalar channel at signal-to-noise ratio
   :math:`\sigma_i = (n/d)\,\lambda_i^2 = t\,i^{-2\beta}`, :math:`t = n/d` (n samples shared by
   the features, d the input dimension; the features are decoupled, a modelling choice).
3. The channel is the rank-one order-3 spiked tensor with a standard Gaussian prior, whose
   replica-symmetric free entropy (state evolution of the Bayes-optimal AMP) is

   .. math:: \Phi(m;\sigma) = \tfrac12\bigl(\sigma m^2 - \log(1+\sigma m^2)\bigr)
      - \tfrac13\sigma m^3 ,\qquad
      \partial_m\Phi = 0 \iff m = \frac{\sigma m^2}{1+\sigma m^2}
      = \mathbb E\bigl[X\,\mathbb E[X\mid\sqrt{\sigma m^2}X+Z]\bigr]

   (Gaussian prior: the scalar channel's overlap at SNR r is r/(1+r); the stationarity
   equation is checked by SymPy in :func:`derive_exponents` and in the tests). It was chosen
   over the sparse (Bernoulli-Gaussian) spiked matrix suggested in the issue because its
   fixed points are explicit: :math:`m = 0` and
   :math:`m_\pm(\sigma) = \tfrac12\bigl(1\pm\sqrt{1-4/\sigma}\bigr)` for :math:`\sigma\ge4`, with
   :math:`1 - m_+(\sigma) = \sum_{j\ge0} C_j\sigma^{-(j+1)}` (Catalan numbers :math:`C_j`), so
   the error is :math:`1/\sigma + O(\sigma^{-2})` (mmse :math:`\sim 1/\sigma`, the refinement
   regime's :math:`n^{-1}`) and every quantity below is a closed form, a hypergeometric
   function or a Hurwitz zeta function.
4. **Branch: Bayes-optimal** (the global maximum of :math:`\Phi` over :math:`m\in[0,1]`).
   :math:`m = 0` is always a stable fixed point (AMP from an uninformed start never leaves it:
   the algorithmic branch learns nothing, the hard phase of the order-3 tensor), the informative
   branch :math:`m_+` appears at the spinodal :math:`\sigma = 4` and overtakes :math:`m = 0` at
   the information-theoretic threshold :math:`\sigma_c` where :math:`\Phi(m_+;\sigma_c) = 0`.
   With :math:`\sigma = 1/(m(1-m))` on the branch this is the root :math:`m_c\in(1/2,1)` of
   :math:`m - \tfrac23m^2 + (1-m)\log(1-m) = 0`:
   :math:`m_c = 0.64500745133458\ldots`, :math:`\sigma_c = 4.36733022185703\ldots`
   (:func:`transition_snr`, found by ``mpmath.findroot`` at the working precision).
   The overlap jumps from 0 to :math:`m_c` at :math:`\sigma_c`: a first-order transition. At
   :math:`\sigma = \sigma_c` exactly the module takes the informative branch.
5. Risk: :math:`\varepsilon(n) = \sum_{i=1}^k\lambda_i^2\,(1 - m_i)` (no 1/k factor: the total
   signal weight left unrecovered), :math:`m_i` the Bayes-optimal overlap of feature i.
6. Feature i is recovered at :math:`n_i = d\,\sigma_c\,i^{2\beta}` (increasing in i), so
   :math:`k_c(n) = \min(k, \lfloor (n/(d\sigma_c))^{1/(2\beta)}\rfloor)`.

**Computation.** With J features recovered,

.. math:: \varepsilon = \sum_{i=1}^{J} g(i) + \zeta(2\beta, J+1) - \zeta(2\beta, k+1),\qquad
   g(x) = x^{-2\beta}\bigl(1 - m_+(t x^{-2\beta})\bigr) = \frac{2/t}{1+\sqrt{1-4x^{2\beta}/t}}

(Hurwitz zeta for the unrecovered features). The sum is taken directly for small J and
otherwise by Euler-Maclaurin: the first 4M terms directly, the integral in closed form,
:math:`\int_0^x g = (x/t)\,{}_3F_2(\tfrac12, 1, \tfrac1{2\beta}; 2, 1+\tfrac1{2\beta};
4x^{2\beta}/t)` (termwise integration of the Catalan series), the Bernoulli boundary terms
from g's Taylor coefficients (power-series arithmetic, exact), and the last M terms directly;
M is chosen from the working precision so that the neglected Euler-Maclaurin remainder
(:math:`\sim e^{-2\pi M}`, the nearest singularity of g being at distance >= M from both ends)
is below it; a series that has not converged raises :class:`~theory.errors.IntegrationError`.
The cost does not grow with J, so the law is evaluated at :math:`n\sim10^{40}` as cheaply as at
:math:`n\sim10^3`.

**Exponents to 1e-10 on a staircase.** :math:`\varepsilon(n)` is a staircase: between two
transitions it decreases smoothly (refinement of the recovered features), at each
:math:`n_j` it drops. Its local slope at a generic n is not the exponent. The learning-regime
law is therefore taken on the mid-step lattice :math:`n_J = d\sigma_c(J+\tfrac12)^{2\beta}` of
the :math:`k=\infty` model (:func:`learning_envelope`): the Euler-Maclaurin form above, with J
real, is an analytic function of J through those lattice values (equal to the staircase at
every integer J, tested), whose local slope
:math:`d\log\varepsilon/d\log n = (J+\tfrac12)\,\partial_J\log\varepsilon/(2\beta)` tends to
:math:`1/(2\beta)-1` with corrections :math:`J^{-e}`,
:math:`e\in\{i + 2\beta l: i\ge1, l\ge0\}` (the Euler-Maclaurin powers of the expansion in
1/J, and the :math:`\zeta(-2\beta l)` constants of the generalised sums
:math:`\sum_{i\le J}i^{2\beta l}`). Richardson extrapolation with these known exponents on
:math:`J = J_0 2^m` (:func:`richardson_exponent`, J = 2^10..2^16) gives the exponent within
1e-17 of :math:`1/(2\beta)-1` at dps 30 for beta = 0.75, 1, 1.5, 2 (error bounds 1e-17 to
1e-21); :func:`theory.laws.exponent.verify_exponent`, which does not know the correction
exponents, gets 1e-20 to 1e-24 from the registered laws (tests). The refinement law at fixed
d, k (n >= n_k) is analytic in 1/n: slope :math:`-1 + O(1/n)`.

**Theta(k_c d/n).** For :math:`k_c\ge1`,
:math:`1\le\varepsilon n/(k_cd)\le\sigma_c(1-m_c) + \sigma_c4^\beta/(2\beta-1)`:
:math:`1-m_+(\sigma)\ge1/\sigma` and :math:`\sigma(1-m_+(\sigma))` decreases (Catalan series
with positive terms), and the unrecovered tail is at most
:math:`k_c^{1-2\beta}/(2\beta-1)` with :math:`n < d\sigma_c(k_c+1)^{2\beta}`. In the
refinement regime the ratio tends to 1.

The functions take and return ``mpmath`` numbers at the caller's ``mpmath.workdps``.
"""

from __future__ import annotations

from functools import lru_cache
from math import ceil, log

import mpmath as mp

from ..errors import InputError, IntegrationError
from .law import Law, register_law

__all__ = ["channel_free_entropy", "channel_overlap", "transition_snr", "transition_overlap",
           "feature_thresholds", "recovered_count", "overlaps", "risk", "learning_envelope",
           "learning_lattice", "correction_exponents", "richardson_exponent",
           "sequential_learning_law", "sequential_refinement_law", "derive_exponents",
           "REFERENCE"]

REFERENCE = ("Nguyen & Barbier, Bayes-optimal scaling laws in extensive width, arXiv:2605.10395 v1 "
             "(abstract only): a solvable model built on its statements (module docstring)")


# ------------------------------------------------------------------------------ input checks
def _beta(beta) -> mp.mpf:
    try:
        b = mp.mpf(beta)
    except (TypeError, ValueError):
        raise InputError("beta", beta, "a number > 1/2") from None
    if not mp.isfinite(b) or b <= mp.mpf(1) / 2:
        raise InputError("beta", beta, "a number > 1/2 (a power-law hierarchy with summable "
                         "strengths lambda_i^2 = i^(-2 beta))")
    return b


def _positive(name, value) -> mp.mpf:
    try:
        v = mp.mpf(value)
    except (TypeError, ValueError):
        raise InputError(name, value, "a number > 0") from None
    if not mp.isfinite(v) or v <= 0:
        raise InputError(name, value, "a number > 0")
    return v


def _width(k):
    """k as an int >= 1, or None for infinitely many features."""
    if k is None or (isinstance(k, float) and k == float("inf")) or k == "inf":
        return None
    try:
        kf = float(k)
    except (TypeError, ValueError):
        raise InputError("k", k, "an integer >= 1 or None (infinitely many features)") from None
    if kf != int(kf) or kf < 1:
        raise InputError("k", k, "an integer >= 1 or None (infinitely many features)")
    return int(kf)


# ------------------------------------------------------------------------------ the channel
def channel_free_entropy(m, sigma):
    r"""Replica-symmetric free entropy of the order-3 spiked-tensor channel, Gaussian prior.

    :math:`\Phi(m;\sigma) = \tfrac12(\sigma m^2 - \log(1+\sigma m^2)) - \sigma m^3/3`
    (module docstring, item 3; :math:`\Phi(0;\sigma) = 0`).

    Parameters
    ----------
    m : mpmath.mpf or float
        Overlap in [0, 1].
    sigma : mpmath.mpf or float
        Signal-to-noise ratio of the channel, > 0.

    Returns
    -------
    mpmath.mpf
        :math:`\Phi(m;\sigma)` at the working precision.
    """
    m, s = mp.mpf(m), mp.mpf(sigma)
    r = s * m**2
    return (r - mp.log1p(r)) / 2 - s * m**3 / 3


@lru_cache(maxsize=64)
def _transition(prec: int):
    with mp.workprec(prec + 20):
        f = lambda m: m - 2 * m**2 / 3 + (1 - m) * mp.log1p(-m)  # noqa: E731
        m = mp.findroot(f, (mp.mpf("0.6"), mp.mpf("0.7")), solver="anderson")
        if not (mp.mpf(1) / 2 < m < 1) or abs(f(m)) > mp.mpf(2) ** (-prec - 10):
            raise IntegrationError(f"transition: findroot gave m = {m}, residual {f(m)}")
        s = 1 / (m * (1 - m))
    return +m, +s


def transition_snr():
    r"""The information-theoretic threshold :math:`\sigma_c` of the scalar channel.

    The root of :math:`\Phi(m_+(\sigma);\sigma) = 0`, i.e. :math:`\sigma_c = 1/(m_c(1-m_c))` with
    :math:`m_c - \tfrac23 m_c^2 + (1-m_c)\log(1-m_c) = 0`, :math:`m_c\in(1/2,1)` (module
    docstring, item 4), solved by ``mpmath.findroot`` at the working precision + 20 bits.

    Returns
    -------
    mpmath.mpf
        :math:`\sigma_c = 4.36733022185703\ldots`

    Raises
    ------
    IntegrationError
        If the root finder does not return a root in (1/2, 1).

    Examples
    --------
    >>> import mpmath as mp
    >>> with mp.workdps(20):
    ...     print(transition_snr())
    4.3673302218570343762
    """
    return +_transition(mp.mp.prec)[1]


def transition_overlap():
    r"""The overlap :math:`m_c` just above the threshold (the size of the jump, from 0).

    Returns
    -------
    mpmath.mpf
        :math:`m_c = m_+(\sigma_c) = 0.64500745133458\ldots` (see :func:`transition_snr`).
    """
    return +_transition(mp.mp.prec)[0]


def channel_overlap(sigma, *, branch: str = "bayes"):
    r"""Overlap of the scalar channel at signal-to-noise ratio :math:`\sigma`.

    Parameters
    ----------
    sigma : mpmath.mpf or float
        Signal-to-noise ratio, >= 0.
    branch : {"bayes", "informative", "uninformative"}
        ``"bayes"``: the global maximiser of :math:`\Phi` (0 below :math:`\sigma_c`,
        :math:`m_+` at and above); ``"informative"``: :math:`m_+(\sigma)` (defined for
        :math:`\sigma\ge4`); ``"uninformative"``: 0.

    Returns
    -------
    mpmath.mpf
        The overlap m in [0, 1].

    Raises
    ------
    InputError
        sigma < 0, an unknown branch, or the informative branch below its spinodal 4.
    """
    s = mp.mpf(sigma)
    if not mp.isfinite(s) or s < 0:
        raise InputError("sigma", sigma, "a number >= 0")
    if branch not in ("bayes", "informative", "uninformative"):
        raise InputError("branch", branch, '"bayes", "informative" or "uninformative"')
    if branch == "uninformative" or (branch == "bayes" and s < transition_snr()):
        return mp.mpf(0)
    if s < 4:
        raise InputError("sigma", sigma, "sigma >= 4 on the informative branch (its spinodal)")
    return 1 - 2 / (s * (1 + mp.sqrt(1 - 4 / s)))


# ------------------------------------------------------------------------------ thresholds
def feature_thresholds(j, *, beta, d=1):
    r"""Sample size :math:`n_j = d\,\sigma_c\,j^{2\beta}` at which feature j is recovered.

    Parameters
    ----------
    j : int or mpmath.mpf
        Feature index (>= 1; a real j gives the interpolating curve).
    beta : float
        Hierarchy exponent, > 1/2.
    d : float
        Input dimension (the SNR of feature i is :math:`(n/d)\,i^{-2\beta}`).

    Returns
    -------
    mpmath.mpf
        :math:`n_j` (increasing in j).

    Raises
    ------
    InputError
        beta <= 1/2, d <= 0, j < 1.
    """
    b, dd = _beta(beta), _positive("d", d)
    jj = mp.mpf(j)
    if jj < 1:
        raise InputError("j", j, "a feature index >= 1")
    return dd * transition_snr() * jj ** (2 * b)


def _count(t, b) -> int:
    """floor((t/sigma_c)^(1/(2 beta))), the recovered count at t = n/d (k infinite)."""
    x = (t / transition_snr()) ** (1 / (2 * b))
    near = mp.nint(x)
    if abs(x - near) <= mp.mpf(10) ** (-(mp.mp.dps // 2)) * max(1, x):
        return int(near)  # at a transition: the feature counts as recovered
    j = int(mp.floor(x))
    return j


def recovered_count(n, *, beta, d=1, k=None) -> int:
    r"""The effective width :math:`k_c(n)`: the number of features recovered at budget n.

    :math:`k_c = \min(k, \lfloor(n/(d\sigma_c))^{1/(2\beta)}\rfloor)` (a feature at its threshold
    counts as recovered: an n within a relative :math:`10^{-\lfloor{\rm dps}/2\rfloor}` of
    :math:`n_j` is taken as :math:`n_j`).

    Parameters
    ----------
    n : float or mpmath.mpf
        Sample size, > 0.
    beta : float
        Hierarchy exponent, > 1/2.
    d : float
        Input dimension.
    k : int or None
        Number of features (None: infinitely many).

    Returns
    -------
    int
        :math:`k_c(n)`.

    Raises
    ------
    InputError
        A parameter out of range.
    """
    b, dd, nn, kk = _beta(beta), _positive("d", d), _positive("n", n), _width(k)
    j = _count(nn / dd, b)
    return j if kk is None else min(j, kk)


def overlaps(n, *, beta, d=1, k):
    r"""The Bayes-optimal overlaps :math:`m_i(n)`, i = 1..k (the staircase of the notebook).

    Parameters
    ----------
    n : float or mpmath.mpf
        Sample size, > 0.
    beta : float
        Hierarchy exponent, > 1/2.
    d : float
        Input dimension.
    k : int
        Number of features (>= 1).

    Returns
    -------
    list of mpmath.mpf
        :math:`m_i = m(\,(n/d)\,i^{-2\beta})`, Bayes-optimal branch.

    Raises
    ------
    InputError
        A parameter out of range (k must be finite here).
    """
    b, dd, nn, kk = _beta(beta), _positive("d", d), _positive("n", n), _width(k)
    if kk is None:
        raise InputError("k", k, "a finite integer >= 1 here")
    J = min(_count(nn / dd, b), kk)
    t = nn / dd
    return [channel_overlap(t * mp.mpf(i) ** (-2 * b), branch="informative") if i <= J
            else mp.mpf(0) for i in range(1, kk + 1)]


# ------------------------------------------------------------------------------ the sums
def _g(x, t, b):
    """g(x) = x^(-2b) (1 - m_+(t x^(-2b))) in the cancellation-free form."""
    return (2 / t) / (1 + mp.sqrt(1 - 4 * mp.mpf(x) ** (2 * b) / t))


def _taylor_g(x0, t, b, K):
    """Taylor coefficients c_0..c_K of g at x0 (power-series arithmetic, exact)."""
    p = 2 * b
    x0 = mp.mpf(x0)
    base = 4 * x0**p / t
    w = [base * mp.binomial(p, m) / x0**m for m in range(K + 1)]
    u = [1 - w[0]] + [-wm for wm in w[1:]]
    v = [mp.sqrt(u[0])]
    for m in range(1, K + 1):
        v.append((u[m] - mp.fdot(v[1:m], v[m - 1:0:-1])) / (2 * v[0]))
    D = [1 + v[0]] + v[1:]
    r = [1 / D[0]]
    for m in range(1, K + 1):
        r.append(-mp.fdot(D[1:m + 1], r[m - 1::-1]) / D[0])
    return [2 * rm / t for rm in r]


def _em_tail_terms(x0, t, b, scale):
    """sum_k B_2k/(2k) c_{2k-1}(x0): the Bernoulli boundary terms at x0 (until negligible)."""
    tol = mp.mpf(2) ** (-mp.mp.prec - 8) * scale
    K = 24
    while True:
        c = _taylor_g(x0, t, b, K)
        total, last = mp.mpf(0), None
        for k in range(1, K // 2 + 1):
            term = mp.bernoulli(2 * k) / (2 * k) * c[2 * k - 1]
            total += term
            if abs(term) < tol:
                return total
            if last is not None and abs(term) > abs(last) and k > 3:
                raise IntegrationError(f"Euler-Maclaurin terms grow at x0 = {mp.nstr(x0, 8)} "
                                       f"before reaching {mp.nstr(tol, 3)} (last {mp.nstr(term, 3)})")
            last = term
        if K >= 400:
            raise IntegrationError(f"Euler-Maclaurin at x0 = {mp.nstr(x0, 8)}: no convergence "
                                   f"in {K // 2} terms (last {mp.nstr(last, 3)})")
        K *= 2


def _G(x, t, b):
    """int_0^x g = (x/t) 3F2(1/2, 1, a; 2, a+1; 4 x^(2b)/t), a = 1/(2b)."""
    a = 1 / (2 * b)
    return (x / t) * mp.hyp3f2(mp.mpf(1) / 2, 1, a, 2, a + 1, 4 * mp.mpf(x) ** (2 * b) / t)


def _em_margin() -> int:
    """M: e^(-2 pi M) below the working precision (with 8 guard digits)."""
    return int(ceil((mp.mp.dps + 8) * log(10) / (2 * mp.pi))) + 1


def _learned_sum(t, J, b):
    r"""sum_{i=1}^{J} g(i) for an integer J, or its Euler-Maclaurin interpolant for a real J.

    Requires t J^(-2b) >= sigma_c (all the summed features on the informative branch).
    """
    M = _em_margin()
    A = 4 * M  # lower end: fewer Bernoulli terms (e^(-2 pi A)) for a few more direct terms
    Jm = mp.mpf(J)
    if Jm == mp.floor(Jm) and Jm <= 6 * M:
        return mp.fsum(_g(i, t, b) for i in range(1, int(Jm) + 1))
    if Jm < A + M + 1:
        raise InputError("J", J, f"an integer, or a real >= {A + M + 1} (the interpolant at "
                         f"{mp.mp.dps} digits)")
    Y = Jm - M
    head = mp.fsum(_g(i, t, b) for i in range(1, A))  # i = 1..A-1
    last = mp.fsum(_g(Jm - i, t, b) for i in range(M))  # i = Y+1..J
    body = _G(Y, t, b) - _G(A, t, b) + (_g(A, t, b) + _g(Y, t, b)) / 2
    scale = abs(head + body)
    body += _em_tail_terms(Y, t, b, scale) - _em_tail_terms(mp.mpf(A), t, b, scale)
    return head + body + last


def risk(n, *, beta, d=1, k=None):
    r"""The Bayes-optimal risk :math:`\varepsilon(n) = \sum_{i\le k}\lambda_i^2(1-m_i)` (a staircase).

    Parameters
    ----------
    n : float or mpmath.mpf
        Sample size, > 0.
    beta : float
        Hierarchy exponent, > 1/2.
    d : float
        Input dimension.
    k : int or None
        Number of features (None: infinitely many, the learning regime never ends).

    Returns
    -------
    mpmath.mpf
        :math:`\varepsilon(n)` at the working precision (module docstring, "Computation").

    Raises
    ------
    InputError
        A parameter out of range.

    Examples
    --------
    >>> import mpmath as mp
    >>> with mp.workdps(20):
    ...     print(risk(1, beta=1, d=1, k=3))  # no feature recovered: 1 + 1/4 + 1/9
    1.3611111111111111111
    """
    b, dd, nn, kk = _beta(beta), _positive("d", d), _positive("n", n), _width(k)
    t = nn / dd
    J = _count(t, b)
    if kk is not None:
        J = min(J, kk)
    learned = _learned_sum(t, J, b) if J > 0 else mp.mpf(0)
    rest = mp.zeta(2 * b, J + 1) - (mp.zeta(2 * b, kk + 1) if kk is not None else 0)
    return learned + rest


def learning_lattice(J, *, beta, d=1):
    r"""The mid-step lattice :math:`n_J = d\,\sigma_c\,(J+\tfrac12)^{2\beta}` (J features recovered).

    Parameters
    ----------
    J : int or mpmath.mpf
        The number of recovered features (a real J gives the interpolating curve).
    beta : float
        Hierarchy exponent, > 1/2.
    d : float
        Input dimension.

    Returns
    -------
    mpmath.mpf
        :math:`n_J`, halfway (in :math:`n^{1/(2\beta)}`) between the transitions J and J+1.

    Raises
    ------
    InputError
        beta <= 1/2 or d <= 0.
    """
    b, dd = _beta(beta), _positive("d", d)
    return dd * transition_snr() * (mp.mpf(J) + mp.mpf(1) / 2) ** (2 * b)


def learning_envelope(n, *, beta, d=1):
    r"""The learning-regime law: the :math:`k=\infty` risk through its mid-step values.

    :math:`E(n) = \sum_{i=1}^{J}g(i) + \zeta(2\beta, J+1)` with
    :math:`J = (n/(d\sigma_c))^{1/(2\beta)} - \tfrac12` real (Euler-Maclaurin interpolant, module
    docstring); equal to :func:`risk` (k = None) at every lattice point
    :func:`learning_lattice` (tested), analytic in n.

    Parameters
    ----------
    n : float or mpmath.mpf
        Sample size; J(n) must be >= 5M + 1 (M ~ 15 at dps 30) unless n is a lattice point.
    beta : float
        Hierarchy exponent, > 1/2.
    d : float
        Input dimension.

    Returns
    -------
    mpmath.mpf
        :math:`E(n)`.

    Raises
    ------
    InputError
        A parameter out of range, or n below the interpolant's range.
    """
    b, dd, nn = _beta(beta), _positive("d", d), _positive("n", n)
    J = (nn / (dd * transition_snr())) ** (1 / (2 * b)) - mp.mpf(1) / 2
    Jr = mp.nint(J)
    if abs(J - Jr) < mp.mpf(10) ** (-mp.mp.dps + 5) * max(1, abs(J)):
        J = Jr  # a lattice point: the exact staircase value
    if J < 1:
        raise InputError("n", n, "n >= the lattice point J = 1 (at least one feature recovered)")
    t = nn / dd
    return _learned_sum(t, J, b) + mp.zeta(2 * b, J + 1)


# ------------------------------------------------------------------------------ exponents
def correction_exponents(beta, emax=12.0) -> list:
    r"""The correction exponents :math:`e\in\{i + 2\beta l: i\ge1, l\ge0\}`, e <= emax, sorted.

    The local slope of the learning envelope on the lattice is
    :math:`1/(2\beta) - 1 + \sum_e c_e J^{-e}` (module docstring).

    Parameters
    ----------
    beta : float
        Hierarchy exponent, > 1/2.
    emax : float
        Largest exponent listed.

    Returns
    -------
    list of float
        Distinct exponents (duplicates within 1e-9 merged).

    Raises
    ------
    InputError
        beta <= 1/2.
    """
    b = float(_beta(beta))
    out: list[float] = []
    i = 1
    while i <= emax:
        ell = 0
        while i + 2 * b * ell <= emax:
            e = i + 2 * b * ell
            if all(abs(e - o) > 1e-9 for o in out):
                out.append(e)
            ell += 1
        i += 1
    return sorted(out)


def richardson_exponent(slope, grid, exponents):
    r"""Generalised Richardson extrapolation of slopes :math:`S(x_j)` with known corrections.

    :math:`S(x) = S_\infty + \sum_e c_e x^{-e}`; on :math:`x_j = x_0 2^j`, each level removes
    one exponent: :math:`R\leftarrow(2^eR(2x) - R(x))/(2^e-1)`. (This module's own extrapolation,
    to be replaced by :func:`theory.laws.exponent.verify_exponent` when that lands.)

    Parameters
    ----------
    slope : callable mpf -> mpf
        The local slope as a function of the lattice variable x.
    grid : sequence of mpmath.mpf
        :math:`x_0 2^j`, j = 0..L (geometric with ratio 2).
    exponents : sequence of float
        The correction exponents, increasing; the first L - 1 are removed.

    Returns
    -------
    tuple (mpmath.mpf, mpmath.mpf, list)
        The extrapolated value, an error bound (the change made by the last level, times 10),
        and the table of (x, S(x)).
    """
    table = [(x, slope(x)) for x in grid]
    R = [s for _, s in table]
    prev = R[-1]
    change = mp.mpf(0)
    for e in list(exponents)[:len(grid) - 1]:
        f = mp.mpf(2) ** mp.mpf(e)
        R = [(f * R[i + 1] - R[i]) / (f - 1) for i in range(len(R) - 1)]
        change, prev = abs(R[-1] - prev), R[-1]
    return R[-1], 10 * change, table


def _log_slope(fun, x):
    """d log fun / d log x at x, differentiated in t = log x (a step relative to x: an absolute
    step in x loses every digit once x is ~1e20 and beyond)."""
    return mp.diff(lambda t: mp.log(fun(mp.exp(t))), mp.log(x))


# ------------------------------------------------------------------------------ the laws
def _exact(value):
    """A parameter as an exact SymPy Rational of its decimal text (0.6 -> 3/5, "0.6" -> 3/5).

    A law is evaluated at the caller's precision, so its parameters are kept exact and turned
    into mpf at call time (:func:`_at`): a float 0.6 means the decimal 0.6, not the binary
    0.59999999999999997780 (which would limit every value to 1e-16).
    """
    import sympy as sp

    text = value if isinstance(value, str) else repr(float(value))
    return sp.Rational(text)


def _at(R):
    """mpf of an exact Rational at the working precision."""
    return mp.mpf(int(R.p)) / int(R.q)


def sequential_learning_law(beta=1.0, d=1.0) -> Law:
    r"""The feature-learning law :math:`\varepsilon\propto n^{1/(2\beta)-1}` (k = infinity).

    ``evaluate`` is :func:`learning_envelope` (the staircase through its mid-step values, an
    analytic function of n), ``points`` the lattice :math:`n_J`, :math:`J = 2^{j+10}` (the interpolant needs J >= 5M+1 at
    the precision mp.diff raises to),
    ``log_slope`` its local slope (``mpmath.diff`` at raised precision of the analytic
    envelope), ``predicted`` = 1/(2 beta) - 1.

    Parameters
    ----------
    beta : float
        Hierarchy exponent, > 1/2.
    d : float
        Input dimension.

    Returns
    -------
    Law
        Registered as ``"sequential_learning"``.

    Raises
    ------
    InputError
        beta <= 1/2 or d <= 0.
    """
    import sympy as sp

    _beta(beta), _positive("d", d)
    B, D = _exact(beta), _exact(d)
    ev = lambda n: learning_envelope(n, beta=_at(B), d=_at(D))  # noqa: E731
    return Law(name="sequential_learning", var="n", evaluate=ev,
               log_slope=lambda n: _log_slope(ev, mp.mpf(n)),
               points=lambda j: learning_lattice(2 ** (int(j) + 10), beta=_at(B), d=_at(D)),
               expression=None, predicted=sp.nsimplify(1 / (2 * B) - 1),
               regime="feature learning (k_c < k; the k = infinity model on its mid-step "
                      "lattice)")


def sequential_refinement_law(beta=1.0, d=100.0, kappa=1.0) -> Law:
    r"""The refinement law :math:`\varepsilon\propto n^{-1}` (all k = kappa d features recovered).

    ``evaluate`` is :func:`risk` at fixed d and k (analytic for :math:`n\ge n_k`), ``points``
    :math:`n_k 2^{j+1}`, ``predicted`` = -1.

    Parameters
    ----------
    beta : float
        Hierarchy exponent, > 1/2.
    d : float
        Input dimension.
    kappa : float
        Width ratio; k = kappa d must be an integer >= 1.

    Returns
    -------
    Law
        Registered as ``"sequential_refinement"``.

    Raises
    ------
    InputError
        A parameter out of range, or kappa d not an integer.
    """
    import sympy as sp

    _beta(beta)
    dd, kp = _positive("d", d), _positive("kappa", kappa)
    kd = float(dd * kp)
    if abs(kd - round(kd)) > 1e-9 or round(kd) < 1:
        raise InputError("kappa", kappa, f"a value with k = kappa d an integer >= 1 (d = {d})")
    k, B, D = int(round(kd)), _exact(beta), _exact(d)
    ev = lambda n: risk(n, beta=_at(B), d=_at(D), k=k)  # noqa: E731
    return Law(name="sequential_refinement", var="n", evaluate=ev,
               log_slope=lambda n: _log_slope(ev, mp.mpf(n)),
               points=lambda j: feature_thresholds(k, beta=_at(B), d=_at(D)) * 2 ** (int(j) + 1),
               expression=None, predicted=sp.Integer(-1),
               regime=f"refinement (all k = {k} features recovered, n >= n_k)")


register_law("sequential_learning", sequential_learning_law,
             "sequential feature recovery, learning regime: eps ~ n^(1/(2 beta) - 1) "
             "[beta > 1/2, d]")
register_law("sequential_refinement", sequential_refinement_law,
             "sequential feature recovery, refinement regime: eps ~ n^(-1) [beta, d, kappa]")


# ------------------------------------------------------------------------------ SymPy
@lru_cache(maxsize=1)
def derive_exponents() -> dict:
    r"""SymPy derivation of the channel, its threshold equation and both exponents (symbolic beta).

    1. The fixed points of :math:`m = \sigma m^2/(1+\sigma m^2)` (``solve``), the spinodal
       (discriminant zero: :math:`\sigma = 4`), the stationarity of :math:`\Phi` (``diff``),
       the large-:math:`\sigma` series :math:`1 - m_+ = 1/\sigma + 1/\sigma^2 + \dots`
       (``series``), and the threshold equation on the branch :math:`\sigma = 1/(m(1-m))`.
    2. Refinement: the summand's series at :math:`n\to\infty` (``series``), summed over the
       k features (``summation``): :math:`\varepsilon\sim kd/n`; exponent
       ``limit(n d log(eps)/dn)`` = -1.
    3. Learning: the continuum (leading Euler-Maclaurin) form of the k = infinity risk, the
       unrecovered tail :math:`\int_J^\infty x^{-2\beta}dx` and the first Catalan term of the
       recovered part :math:`\int_0^J x^{-2\beta}\,x^{2\beta}/t\,dx` (``integrate``, with
       :math:`\beta = \tfrac12 + b`, b > 0), at :math:`J = (n/(d\sigma_c))^{1/(2\beta)}`; the
       exponent ``limit(n d log(eps)/dn)`` and :math:`\varepsilon n/(k_c d)` (n-independent).

    Returns
    -------
    dict
        ``"m_plus"``, ``"spinodal"``, ``"stationarity"`` (zero), ``"error_series"``,
        ``"threshold_equation"``, ``"refinement_leading"``, ``"refinement_exponent"``,
        ``"learning_leading"``, ``"learning_exponent"``, ``"learning_ratio"``,
        and the symbols ``"beta"``, ``"n"``, ``"d"``, ``"k"``, ``"sigma"``, ``"sigma_c"``.
    """
    import sympy as sp

    s, m = sp.symbols("sigma m", positive=True)
    n, d, k, t, x, J = sp.symbols("n d k t x J", positive=True)
    bpos = sp.Symbol("b", positive=True)
    beta = sp.Symbol("beta", positive=True)
    sc = sp.Symbol("sigma_c", positive=True)
    i = sp.Symbol("i", positive=True, integer=True)
    # 1. the channel
    roots = sp.solve(sp.Eq(m * (1 + s * m**2), s * m**2), m)
    m_plus = [r for r in roots if r != 0 and sp.limit(r, s, sp.oo) == 1][0]
    disc = sp.discriminant(s * m**2 - s * m + 1, m)
    spinodal = [v for v in sp.solve(disc, s) if v != 0][0]
    Phi = (s * m**2 - sp.log(1 + s * m**2)) / 2 - s * m**3 / 3
    stationarity = sp.simplify(sp.diff(Phi, m).subs(m, m_plus))
    u = sp.Symbol("u", positive=True)
    err_series = sp.series((1 - m_plus).subs(s, 1 / u), u, 0, 4).removeO().subs(u, 1 / s)
    thr = sp.expand(sp.simplify(Phi.subs(s, 1 / (m * (1 - m))) * 2 * (1 - m)))
    thr = sp.collect(sp.expand(thr.subs(sp.log(-1 / (m - 1)), -sp.log(1 - m))), sp.log(1 - m))
    # 2. refinement: summand lambda_i^2 (1 - m_+(n lambda_i^2/d)), series at n -> oo
    summand = (i ** (-2 * beta) * (1 - m_plus)).subs(s, n * i ** (-2 * beta) / d)
    lead = sp.series(summand.subs(n, 1 / u), u, 0, 2).removeO().subs(u, 1 / n)
    lead = sp.simplify(lead)
    ref_leading = sp.simplify(sp.summation(lead, (i, 1, k)))
    ref_exp = sp.limit(n * sp.diff(sp.log(ref_leading), n), n, sp.oo)
    # 3. learning: continuum form at J = (n/(d sigma_c))^(1/(2 beta)), beta = 1/2 + b
    bb = sp.Rational(1, 2) + bpos
    tail = sp.integrate(x ** (-2 * bb), (x, J, sp.oo))
    first = sp.integrate(x ** (-2 * bb) * x ** (2 * bb) / t, (x, 0, J))
    eps_J = sp.simplify((tail + first).subs(t, sc * J ** (2 * bb)))
    Jn = (n / (d * sc)) ** (1 / (2 * bb))
    eps_n = eps_J.subs(J, Jn)
    learn_exp = sp.simplify(sp.limit(sp.simplify(n * sp.diff(sp.log(eps_n), n)), n, sp.oo))
    ratio = sp.simplify(sp.powsimp(eps_n * n / (Jn * d), force=True))
    back = {bpos: beta - sp.Rational(1, 2)}
    return {"m_plus": m_plus, "spinodal": spinodal, "stationarity": stationarity,
            "error_series": err_series, "threshold_equation": thr,
            "refinement_leading": ref_leading, "refinement_exponent": ref_exp,
            "learning_leading": sp.simplify(eps_J.subs(back)),
            "learning_exponent": sp.apart(sp.simplify(learn_exp.subs(back)), beta),
            "learning_ratio": sp.simplify(ratio.subs(back)),
            "beta": beta, "n": n, "d": d, "k": k, "sigma": s, "sigma_c": sc, "J": J, "m": m}
