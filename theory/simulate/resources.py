r"""Memory and time of a simulation before it runs: estimate, and refuse what does not fit.

Every simulator of :mod:`theory.simulate` calls :func:`check_resources` at its top, after its
arguments are validated and before it allocates any array: a setting whose peak memory exceeds
:data:`SAFETY` times the available memory raises :class:`~theory.errors.ResourceError` (one
line, exit code 2 on the command line), e.g. ``d=100000: needs ~224 GiB, 23 GiB available
(...)``, instead of a ``MemoryError`` traceback after minutes (or the kernel's OOM killer).
``theory simulate ... --dry-run`` prints the same estimate and exits without simulating.

**Memory** (``Estimate.bytes``): the float64 arrays alive together at the worst moment of one
seed (seeds run one after another and free their arrays, so the peak does not grow with the
number of seeds). Each simulator's estimator below was written by reading the simulator line
by line (which arrays exist at each phase: the weights, the data, the temporaries of
``F / sqrt(d)``, ``np.linalg.norm(..., axis=...)`` (an elementwise square), ``A.T @ A +
lam * np.eye(p)`` (three p x p arrays), the test blocks of 4096 points, ...), as functions of
d, p, n, n_test, K, ...; the phase with the largest total is the peak, and ``Estimate.parts``
names its arrays. The linear programmes (hinge + l1 ERM, separability) add the sparse
constraint matrix (12 bytes per non-zero, the CSR/CSC copies SciPy makes) and HiGHS's own
copies of it (C++ memory, invisible to ``tracemalloc``; :data:`HIGHS_BYTES_PER_NNZ`,
measured as the growth of the resident size).

Calibration (``tests/test_resources.py``): for every simulator at small sizes, the estimate is
within a factor 2 of the peak measured by ``tracemalloc`` during one seed (NumPy registers its
arrays with ``tracemalloc``); the estimate is meant to be at or above the measurement (an
over-estimate refuses a little early, an under-estimate would let a run die), and a fixed
:data:`BASE_BYTES` covers the small arrays that do not scale (random-number state, SciPy
work arrays, the Monte-Carlo draws of the multi-class test error are counted explicitly).

**Time** (``Estimate.seconds``, per seed): a count of the work -- BLAS floating-point
operations (matrix products, factorisations), normal draws, evaluations of the activation and
its derivative, memory-bound elementwise operations -- each divided by a rate measured on one
core of the development machine (:data:`RATES`), plus :data:`OVERHEAD` seconds per seed.
Iterative solvers (L-BFGS, trust-region Newton, HiGHS) are counted at a typical number of
iterations (:data:`ITERATIONS`), so their time is the roughest part; the tests check the
estimate within a factor 5 of the measured time at small sizes.

**Unknown simulators**: :func:`estimate` returns None for a function without a registered
estimator (:data:`ESTIMATORS`, keyed by ``module.qualname``) and :func:`check_resources` then
lets it run (no estimate is better than a wrong refusal); register one with
:func:`register_estimator`. Setting the environment variable ``THEORY_RESOURCE_CHECK=0``
switches the refusal off (the estimate is still computed for ``--dry-run``).
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import os
from collections.abc import Callable

from ..errors import ResourceError, bytes_text

__all__ = ["Estimate", "available_memory", "estimate", "check_resources", "register_estimator",
           "ESTIMATORS", "SAFETY", "RATES", "seconds_text"]

#: a setting fits when its peak is at most this fraction of the available memory
SAFETY = 0.8
#: bytes of small arrays that do not scale with the sizes (per seed)
BASE_BYTES = 2**19
#: work per second on one core (measured on the development machine: dgemm 24 Gflop/s at
#: 1000 x 1000; 2e7 to 5e7 normal draws/s; the compiled activations 2.5e7 (erf) to 1.1e8
#: (tanh) evaluations/s; 1.3e8 elementwise products/s into fresh arrays)
#: matrix-vector products (the iterative fits) are memory-bound: ~2e9 flop/s
RATES = {"blas": 2.0e10, "gemv": 2.0e9, "rng": 4.0e7, "trans": 4.0e7, "elem": 2.0e8}
#: seconds of Python and SciPy bookkeeping per iteration of an iterative solver
ITER_SECONDS = 1e-4
#: seconds per seed that do not scale (compiled activation lookup, solver set-up, Python)
OVERHEAD = 0.01
#: typical iteration counts of the iterative fits (their cost is the roughest part)
ITERATIONS = {"lbfgs": 150, "newton_cg": 150, "highs": 40, "brent": 8}
#: HiGHS's own memory per non-zero of an LP's constraint matrix (its column- and row-wise
#: copies, the factor, the IPM's work arrays; C++ memory, measured as the growth of the
#: resident size: 150 to 170 bytes per non-zero beyond SciPy's arrays, K = 2, 3 and hinge + l1;
#: rounded up so that the estimate stays above the measurement)
HIGHS_BYTES_PER_NNZ = 200
#: seconds per k^3 of a HiGHS solve, k = min(rows, columns) (measured: 0.58 s at k = 400,
#: 5.6 s at k = 800 for the dense separability LP)
HIGHS_SECONDS_PER_K3 = 9e-9


def _env_off() -> bool:
    return os.environ.get("THEORY_RESOURCE_CHECK", "1").strip().lower() in ("0", "false", "no",
                                                                              "off")


def seconds_text(s: float) -> str:
    """A duration in words: ``"0.4 s"``, ``"12 min"``, ``"3.1 h"``, ``"2.0 days"``.

    Parameters
    ----------
    s : float
        Seconds.

    Returns
    -------
    str
    """
    if s < 60:
        return f"{s:.2g} s" if s < 10 else f"{s:.0f} s"
    if s < 3600:
        return f"{s / 60:.2g} min"
    if s < 86400 * 2:
        return f"{s / 3600:.2g} h"
    return f"{s / 86400:.2g} days"


@dataclasses.dataclass
class Estimate:
    """Memory and time of one seed of a simulator at given arguments.

    Attributes
    ----------
    bytes : int
        Peak memory of one seed (bytes): the arrays of :attr:`parts` plus a fixed base.
    seconds : float
        Estimated wall time of one seed on one core (seconds).
    parts : dict {str: int}
        The arrays alive at the peak, ``"name rows x cols" -> bytes``, largest first.
    available : int
        Memory available when the estimate was made (:func:`available_memory`, bytes).
    param : str
        The size parameter that a refusal names (``"d"``).
    value : object
        Its value.
    sizes : dict
        The sizes the estimate used (``d``, ``p``, ``n``, ``n_test``, ...).
    phase : str
        The phase of the seed where the peak is (``"fit"``, ``"test block"``, ...).
    """

    bytes: int
    seconds: float
    parts: dict
    available: int
    param: str = "d"
    value: object = None
    sizes: dict = dataclasses.field(default_factory=dict)
    phase: str = ""

    @property
    def fits(self) -> bool:
        """True when :attr:`bytes` <= :data:`SAFETY` x :attr:`available`."""
        return self.bytes <= SAFETY * self.available

    def parts_text(self, top: int = 3) -> str:
        """The largest arrays at the peak, ``"F 100000 x 100000: 75 GiB, ..."``.

        Parameters
        ----------
        top : int, default 3
            How many arrays to name.

        Returns
        -------
        str
        """
        items = sorted(self.parts.items(), key=lambda kv: -kv[1])
        text = ", ".join(f"{k}: {bytes_text(v)}" for k, v in items[:top])
        if len(items) > top:
            text += f", +{len(items) - top} smaller"
        return text

    def describe(self) -> str:
        """One line: ``"needs ~224 GiB (F 100000 x 100000: 75 GiB, ...), 23 GiB available;
        ~3.1 h per seed"``.

        Returns
        -------
        str
        """
        return (f"needs ~{bytes_text(self.bytes)} ({self.parts_text()}), "
                f"{bytes_text(self.available)} available; ~{seconds_text(self.seconds)} per seed")

    def to_dict(self, seeds: int | None = None) -> dict:
        """JSON-ready fields (and the total time for ``seeds`` seeds).

        Parameters
        ----------
        seeds : int, optional
            Number of seeds of the run.

        Returns
        -------
        dict
            ``bytes``, ``seconds_per_seed``, ``parts``, ``available``, ``fits``, ``safety``,
            ``sizes``, ``phase`` (+ ``seeds``, ``seconds_total``).
        """
        out = {"bytes": int(self.bytes), "seconds_per_seed": float(self.seconds),
               "parts": dict(self.parts), "available": int(self.available),
               "fits": self.fits, "safety": SAFETY, "sizes": dict(self.sizes),
               "phase": self.phase}
        if seeds is not None:
            out.update(seeds=int(seeds), seconds_total=float(self.seconds) * seeds)
        return out


def available_memory() -> int:
    """Memory this process can still use, in bytes.

    ``psutil.virtual_memory().available``, lowered to what an address-space limit
    (``ulimit -v``, ``RLIMIT_AS``) leaves above the current virtual size, and to what a
    cgroup v2 memory limit (a container, a SLURM job) leaves above its current use.

    Returns
    -------
    int
        Bytes (>= 0).
    """
    import psutil

    avail = int(psutil.virtual_memory().available)
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft not in (resource.RLIM_INFINITY, -1):
            avail = min(avail, int(soft) - int(psutil.Process().memory_info().vms))
    except (ImportError, OSError, ValueError):  # pragma: no cover - not POSIX
        pass
    try:
        with open("/sys/fs/cgroup/memory.max") as fh:
            limit = fh.read().strip()
        if limit != "max":
            with open("/sys/fs/cgroup/memory.current") as fh:
                avail = min(avail, int(limit) - int(fh.read().strip()))
    except (OSError, ValueError):
        pass
    return max(0, avail)


# ----------------------------------------------------------------------------- bookkeeping
class _Work:
    """What one seed allocates (phases of simultaneously alive arrays) and computes."""

    def __init__(self, param: str = "d", value=None, **sizes):
        self.phases: list[tuple[str, dict]] = []
        self.blas = self.gemv = self.rng = self.trans = self.elem = 0.0
        self.iterations = 0.0
        self.extra_seconds = 0.0
        self.param, self.value, self.sizes = param, value, sizes

    def phase(self, name: str, *arrays) -> None:
        """``arrays``: (label, bytes) pairs alive together."""
        parts: dict = {}
        for label, b in arrays:
            if b > 0:
                parts[label] = parts.get(label, 0) + int(b)
        self.phases.append((name, parts))

    def peak(self) -> tuple[str, dict]:
        return max(self.phases, key=lambda ph: sum(ph[1].values()))

    def seconds(self) -> float:
        return (OVERHEAD + self.extra_seconds + self.iterations * ITER_SECONDS
                + self.blas / RATES["blas"] + self.gemv / RATES["gemv"]
                + self.rng / RATES["rng"] + self.trans / RATES["trans"]
                + self.elem / RATES["elem"])


def _a(name: str, *shape: int, item: int = 8) -> tuple[str, int]:
    """(label, bytes) of an array of that shape (float64 unless ``item``)."""
    b = item
    for s in shape:
        b *= max(int(s), 0)
    return f"{name} {' x '.join(str(int(s)) for s in shape)}", b


def _dense_lp_time(rows: int, cols: int, nnz: int) -> float:
    """Seconds of a HiGHS solve: ~k^3 (k = min(rows, cols), measured) plus
    ITERATIONS['highs'] passes over the matrix."""
    k = min(rows, cols)
    return HIGHS_SECONDS_PER_K3 * k**3 + ITERATIONS["highs"] * 4.0 * nnz / RATES["elem"]


#: estimators by the simulator's ``module.qualname``; ``f(kwargs) -> _Work`` where kwargs has
#: every argument of the simulator (defaults filled in)
ESTIMATORS: dict[str, Callable] = {}


def register_estimator(name: str):
    """Decorator: register ``f(kwargs) -> _Work`` as the estimator of simulator ``name``.

    Parameters
    ----------
    name : str
        ``"module.qualname"`` of the simulator (``"theory.simulate.gmm.simulate_gmm_binary"``).

    Returns
    -------
    callable
        The decorator (returns the function unchanged).
    """
    def deco(f):
        ESTIMATORS[name] = f
        return f
    return deco


def _key(fn) -> str:
    return f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"


# ----------------------------------------------------------------------------- random features
@register_estimator("theory.simulate.random_features.simulate_random_features")
def _rf(kw: dict) -> _Work:
    """random_features._Problem.run: F (d x p) lives throughout; data() makes c (n x d), the
    temporary F / sqrt(d) (d x p), pre and X (n x p) and one temporary of the activation; the
    fit works on X / sqrt(p); the test set comes in blocks of 4096 while X is still alive."""
    d, p, n, nt = int(kw["d"]), int(kw["p"]), int(kw["n"]), int(kw["n_test"])
    loss = str(kw.get("loss", "square"))
    sphere, ge = bool(kw.get("sphere")), bool(kw.get("gaussian_equivalent"))
    w = _Work("d", d, d=d, p=p, n=n, n_test=nt)
    F = _a("F", d, p)
    w.phase("weights", F, _a("F*F (norm)", d, p) if sphere else ("", 0))
    data = [F, _a("F/sqrt(d)", d, p), _a("c", n, d), _a("pre", n, p), _a("X", n, p),
            _a("activation temp", n, p)]
    if ge:
        data.append(_a("xi", n, p))
    w.phase("training data", *data)
    A = _a("X/sqrt(p)", n, p)
    k = min(n, p)
    if loss == "square":
        w.phase("fit", F, _a("X", n, p), A, _a("Gram", k, k), _a("eye", k, k),
                _a("lam*eye", k, k), _a("Gram+lam", k, k))
        w.blas += 2.0 * n * p * k + k**3 / 3.0 + 4.0 * n * p
    else:
        extra = _a("diag(y) X", n, p) if "hinge" in loss else ("", 0)
        w.phase("fit", F, _a("X", n, p), A, extra,
                _a("L-BFGS memory", 60, max(n, p)))
        w.gemv += ITERATIONS["lbfgs"] * 4.0 * n * p
        w.trans += ITERATIONS["lbfgs"] * 2.0 * n
        w.iterations += ITERATIONS["lbfgs"]
    m = min(nt, 4096)
    w.phase("test block", F, _a("X", n, p), _a("F/sqrt(d)", d, p), _a("c test", m, d),
            _a("pre test", m, p), _a("X test", m, p), _a("activation temp", m, p))
    blocks = math.ceil(nt / 4096)
    w.rng += d * p + d + (n + nt) * (d + 1) + (n * p if ge else 0)
    w.blas += 2.0 * (n + nt) * d * p + blocks * 0.0 + 2.0 * d * p
    w.trans += (n + nt) * p
    w.elem += 4.0 * (n + nt) * p + 3.0 * d * p * (1 + blocks) + 2.0 * (n + nt) * d
    return w


# ----------------------------------------------------------------------------- one step, sRF
def _readout_phases(w: _Work, keep: list, *, d: int, p: int, ns: list, nt: int,
                    single: bool) -> None:
    """The readout of one_step._Net.readout (one n) or one_step._ridge_path (nested ns)."""
    if single:
        n = ns[0]
        k = min(n, p)
        w.phase("readout data", *keep, _a("x", n, d), _a("pre", n, p), _a("sigma(pre)", n, p),
                _a("F", n, p))
        w.phase("readout fit", *keep, _a("x", n, d), _a("F", n, p), _a("Gram", k, k),
                _a("eye", k, k), _a("lam*eye", k, k), _a("Gram+lam", k, k),
                _a("solve copy", k, k))
        m = min(nt, 4096)
        w.phase("test block", *keep, _a("x", n, d), _a("F", n, p), _a("x test", m, d),
                _a("pre test", m, p), _a("sigma test", m, p), _a("F test", m, p))
        w.blas += 2.0 * n * p * k + k**3 + 2.0 * n * p
    else:
        n = max(ns)
        c = min(n, 4096)
        w.phase("readout data", *keep, _a("x", n, d), _a("F", n, p), _a("pre chunk", c, p),
                _a("sigma chunk", c, p), _a("F chunk", c, p))
        mt = min(nt, 4096)
        w.phase("test set", *keep, _a("F", n, p), _a("F test", nt, p), _a("x test", mt, d),
                _a("pre test", mt, p), _a("sigma test", mt, p))
        w.phase("readout fits", *keep, _a("F", n, p), _a("F test", nt, p), _a("G", p, p),
                _a("eye", p, p), _a("lam*eye", p, p), _a("G+lam", p, p), _a("cho copy", p, p),
                _a("residuals", max(n, nt), 1))
        w.blas += 2.0 * n * p * p + len(set(ns)) * (p**3 / 3.0 + 2.0 * (n + nt) * p)
    w.rng += (n + nt) * (d + 1)
    w.blas += 2.0 * (n + nt) * d * p
    w.trans += (n + nt) * (p + 1)
    w.elem += 4.0 * (n + nt) * p


def _ns(kw: dict, d: int) -> tuple[list, bool]:
    alpha = kw.get("alpha", 0.0)
    if isinstance(alpha, (list, tuple)) or hasattr(alpha, "__len__"):
        return [max(1, round(float(a) * d)) for a in alpha], False
    return [round(float(alpha) * d)], True


@register_estimator("theory.simulate.one_step.simulate_one_step")
def _one_step(kw: dict) -> _Work:
    """one_step._Net: W and its normalised copy W0 (p x d); the step on n0 samples (x, pre,
    the gradient G, G^T x and its scaled copy); the spike (SVD by ARPACK: vectors only); then
    the readout with W0 and W1 alive."""
    d = int(kw["d"])
    p = max(2, round(float(kw.get("beta", 1.0)) * d))
    n0 = round(float(kw["alpha0"]) * d)
    nt = int(kw["n_test"])
    ns, single = _ns(kw, d)
    w = _Work("d", d, d=d, p=p, n0=n0, n=max(ns), n_test=nt)
    W0 = _a("W0", p, d)
    w.phase("weights", _a("W", p, d), _a("W*W (norm)", p, d), W0)
    w.rng += p * d + d
    w.elem += 4.0 * p * d
    if n0 > 0:
        w.phase("gradient step", W0, _a("x", n0, d), _a("pre", n0, p), _a("G", n0, p),
                _a("sigma' temp", n0, p), _a("G^T x", p, d), _a("scaled", p, d))
        w.phase("step result", W0, _a("x", n0, d), _a("pre", n0, p), _a("G", n0, p),
                _a("scaled", p, d), _a("W1", p, d))
        w.rng += n0 * (d + 1)
        w.blas += 4.0 * n0 * d * p
        w.trans += 3.0 * n0 * p
        w.elem += 4.0 * n0 * p + 3.0 * p * d
    W1 = _a("W1", p, d)
    w.phase("spike", W0, W1, _a("W1 rows", p, 4))
    w.blas += 2 * 40.0 * p * d  # ARPACK: ~20 products with W1 and W1^T
    if max(ns) > 0:
        _readout_phases(w, [W0, W1], d=d, p=p, ns=ns, nt=nt, single=single)
    return w


@register_estimator("theory.simulate.spiked_rf.simulate_spiked_rf")
def _spiked_rf(kw: dict) -> _Work:
    """spiked_rf._SRF: W (p x d) drawn, its squares (norm), the scaled W; W1 = W + r 1 v^T
    (np.outer, r * outer, the sum) while the drawn W is still alive; then the readout path
    (one_step._ridge_path) with W and W1 alive."""
    d = int(kw["d"])
    p = max(2, round(float(kw.get("beta", 1.0)) * d))
    nt = int(kw["n_test"])
    ns, _ = _ns(kw, d)
    w = _Work("d", d, d=d, p=p, n=max(ns), n_test=nt)
    Wd, W = _a("W drawn", p, d), _a("W", p, d)
    w.phase("weights", Wd, _a("W*W (norm)", p, d), W)
    w.phase("spike", Wd, W, _a("outer(1, v)", p, d), _a("r outer", p, d))
    w.phase("spike sum", Wd, W, _a("r outer", p, d), _a("W1", p, d))
    w.rng += p * d + 2 * d
    w.elem += 8.0 * p * d
    _readout_phases(w, [W, _a("W1", p, d)], d=d, p=p, ns=ns, nt=nt, single=False)
    return w


# ----------------------------------------------------------------------------- Gaussian mixtures
def _alphas(kw: dict) -> list:
    a = kw["alpha"]
    return [float(t) for t in a] if isinstance(a, (list, tuple)) or hasattr(a, "__len__") \
        else [float(a)]


def _gmm_binary_seed(w: _Work, *, d: int, n: int, loss: str, penalty: str, tag: str) -> None:
    X = _a("X", n, d)
    w.phase(f"data{tag}", _a("outer(y, mu)", n, d), _a("noise", n, d), _a("sum", n, d))
    w.rng += n * d + n + d
    w.elem += 5.0 * n * d
    k = min(n, d)
    if loss == "square" and penalty == "l2":
        w.phase(f"fit{tag}", X, _a("X centred", n, d), _a("Gram", k, k), _a("eye", k, k),
                _a("lam*eye", k, k), _a("Gram+lam", k, k), _a("solve copy", k, k))
        w.blas += 2.0 * n * d * k + k**3
    elif loss == "hinge" and penalty == "l1":
        nnz = 2 * n * d + 2 * n
        A = ("A_ub (CSR)", 12 * nnz)
        w.phase(f"LP build{tag}", X, _a("y X", n, d), _a("-y X", n, d),
                ("CSR(-yX)", 12 * n * d), ("CSR(yX)", 12 * n * d))
        w.phase(f"LP solve{tag}", X, _a("y X", n, d), A, ("A_ub (CSC copy)", 12 * nnz),
                ("HiGHS (C++)", HIGHS_BYTES_PER_NNZ * nnz))
        w.extra_seconds += 2 * _dense_lp_time(n, 2 * d + n, nnz)
    elif loss == "hinge":
        w.phase(f"fit{tag}", X, _a("L-BFGS memory", 62, n), _a("vectors", 10, max(n, d)))
        its = ITERATIONS["lbfgs"] * ITERATIONS["brent"]  # Brent over b: dual solves
        w.gemv += its * 4.0 * n * d
        w.iterations += its
    elif penalty == "l1":
        w.phase(f"fit{tag}", X, _a("L-BFGS memory", 62, 2 * d), _a("vectors", 10, max(n, d)))
        w.gemv += ITERATIONS["lbfgs"] * 4.0 * n * d
        w.trans += ITERATIONS["lbfgs"] * 2.0 * n
        w.iterations += ITERATIONS["lbfgs"]
    else:  # logistic + l2: trust-region Newton-CG with Hessian-vector products
        w.phase(f"fit{tag}", X, _a("vectors", 12, max(n, d)))
        w.gemv += ITERATIONS["newton_cg"] * 4.0 * n * d
        w.trans += ITERATIONS["newton_cg"] * 4.0 * n
        w.iterations += ITERATIONS["newton_cg"]
    w.blas += 4.0 * n * d  # KKT residual, training scores


@register_estimator("theory.simulate.gmm.simulate_gmm_binary")
def _gmm_binary(kw: dict) -> _Work:
    """gmm._run_binary: the data (np.outer(y, mu) + noise * sqrt(Sigma), then / sqrt(d): three
    n x d arrays at once), then the fit of the loss and penalty (closed form: centred X and
    four min(n, d)^2 arrays; hinge + l1: the sparse LP and HiGHS; others: vectors). A list
    of alpha runs one alpha after the other: the peak is the largest alpha's, the time the
    sum."""
    d = int(kw["d"])
    alphas = _alphas(kw)
    ns = [round(a * d) for a in alphas]
    w = _Work("d", d, d=d, n=max(ns))
    for i, n in enumerate(ns):
        _gmm_binary_seed(w, d=d, n=n, loss=str(kw.get("loss", "logistic")),
                         penalty=str(kw.get("penalty", "l2")),
                         tag="" if len(ns) == 1 else f" alpha={alphas[i]:g}")
    return w


@register_estimator("theory.simulate.gmm.simulate_gmm_multiclass")
def _gmm_multiclass(kw: dict) -> _Work:
    """gmm._run_multi: the means (QR of d x K), the data (mus[labels] + noise: three n x d
    arrays), the fit (square: centred X and min(n, d)^2 arrays; cross-entropy: trust-region
    Newton-CG on K d variables), the Monte-Carlo test error (200 000 x K draws, three arrays)."""
    d, K = int(kw["d"]), int(kw["K"])
    alphas = _alphas(kw)
    ns = [round(a * d) for a in alphas]
    w = _Work("d", d, d=d, n=max(ns), K=K)
    draws = 200_000
    for i, n in enumerate(ns):
        tag = "" if len(ns) == 1 else f" alpha={alphas[i]:g}"
        X = _a("X", n, d)
        w.phase(f"data{tag}", _a("mus[labels]", n, d), _a("noise", n, d), _a("sum", n, d))
        w.rng += n * d + n + d * K
        w.elem += 5.0 * n * d
        k = min(n, d)
        if kw.get("loss", "square") == "square":
            w.phase(f"fit{tag}", X, _a("X centred", n, d), _a("Gram", k, k), _a("eye", k, k),
                    _a("lam*eye", k, k), _a("Gram+lam", k, k), _a("solve copy", k, k),
                    _a("Y", n, K))
            w.blas += 2.0 * n * d * k + k**3 + 4.0 * n * d * K
        else:
            w.phase(f"fit{tag}", X, _a("scores", 6 * n, K), _a("vectors", 12, K * d))
            w.gemv += ITERATIONS["newton_cg"] * 4.0 * n * d * K
            w.trans += ITERATIONS["newton_cg"] * 2.0 * n * K
            w.iterations += ITERATIONS["newton_cg"]
        w.phase(f"test error{tag}", X, _a("draws", draws, K), _a("scores", draws, K),
                _a("shifted scores", draws, K))
        w.rng += K * draws * K
        w.elem += K * draws * K * 6.0
        w.blas += 2.0 * K * draws * K * K + 6.0 * n * d * K
    return w


def _sep_lp(w: _Work, *, n: int, d: int, K: int, tag: str = "", X=None) -> None:
    """gmm.max_margin: the constraint matrix (K = 2 dense n x (d + 2); K > 2 the COO triplets
    of n (K - 1) rows of 2 (d + 1) + 1 entries, then CSR), SciPy's CSC copy, HiGHS's copies."""
    X = _a("X", n, d) if X is None else X
    if K == 2:
        nnz = n * (d + 2)
        w.phase(f"LP build{tag}", X, _a("-y X", n, d), _a("A_ub", n, d + 2))
        w.phase(f"LP solve{tag}", X, _a("A_ub", n, d + 2), ("A_ub (CSC copy)", 12 * nnz),
                ("HiGHS (C++)", HIGHS_BYTES_PER_NNZ * nnz))
        rows, cols = n, d + 2
    else:
        D, m = d + 1, n * (K - 1)
        nnz = m * (2 * D + 1)
        w.phase(f"LP build{tag}", X, _a("Xr", m, D), _a("-Xr", m, D),
                _a("rows (int64)", nnz), _a("cols (int64)", nnz), _a("vals", nnz),
                _a("col blocks (int64)", 2 * m, D))
        w.phase(f"LP convert{tag}", X, _a("rows (int64)", nnz), _a("cols (int64)", nnz),
                _a("vals", nnz), ("A_ub (CSR)", 16 * nnz), ("COO copy", 16 * nnz))
        w.phase(f"LP solve{tag}", X, ("A_ub (CSR)", 12 * nnz), ("A_ub (CSC copy)", 12 * nnz),
                ("HiGHS (C++)", HIGHS_BYTES_PER_NNZ * nnz))
        rows, cols = m, K * D + 1
    w.extra_seconds += _dense_lp_time(rows, cols, nnz)


@register_estimator("theory.simulate.gmm.separable_fraction")
def _separable(kw: dict) -> _Work:
    """gmm.separable_fraction: per instance the multi-class data (three n x d arrays) and
    one LP (:func:`_sep_lp`)."""
    d, K = int(kw["d"]), int(kw["K"])
    alphas = _alphas(kw)
    ns = [round(a * d) for a in alphas]
    w = _Work("d", d, d=d, n=max(ns), K=K)
    for i, n in enumerate(ns):
        tag = "" if len(ns) == 1 else f" alpha={alphas[i]:g}"
        w.phase(f"data{tag}", _a("mus[labels]", n, d), _a("noise", n, d), _a("sum", n, d))
        w.rng += n * d
        w.elem += 5.0 * n * d
        _sep_lp(w, n=n, d=d, K=K, tag=tag)
    return w


@register_estimator("theory.simulate.gmm.separability_crossings")
def _crossings(kw: dict) -> _Work:
    """gmm.separability_crossings: one stream of 64 d samples per instance (three 64 d x d
    arrays while drawn), then LPs on prefixes; the largest LP is counted at n = 8 (d + 1)
    (thresholds alpha_c up to 4; a larger one doubles the last LP), the time as the doubling
    plus ~log2(d) bisection LPs at that size."""
    d, K = int(kw["d"]), int(kw["K"])
    nmax = 64 * d
    w = _Work("d", d, d=d, n=nmax, K=K)
    w.phase("data", _a("mus[labels]", nmax, d), _a("noise", nmax, d), _a("sum", nmax, d))
    w.rng += nmax * d
    w.elem += 5.0 * nmax * d
    n = 8 * (d + 1)
    before = w.extra_seconds
    _sep_lp(w, n=n, d=d, K=K, X=_a("X stream", nmax, d))
    one = w.extra_seconds - before
    w.extra_seconds += one * (2 + math.log2(max(d, 2)))
    return w


# ----------------------------------------------------------------------------- CGE
@register_estimator("theory.simulate.cge.conditional_moments")
def _cge(kw: dict) -> _Work:
    """cge.conditional_moments on a given W1 (p x d, not counted: the caller's): per chunk of
    points z and the projection (chunk x d), xi, h, sigma(h), the residual and its products
    (chunk x p); per point the theory coefficients at every distinct shift."""
    W1 = kw["W1"]
    p, d = (int(s) for s in getattr(W1, "shape", (2, 2)))
    npts, chunk = int(kw["n_points"]), int(kw["chunk"])
    c = min(chunk, npts)
    w = _Work("n_points", npts, p=p, d=d, n_points=npts, chunk=chunk)
    w.phase("chunk", _a("z", c, d), _a("outer(z v, v)", c, d), _a("xi", c, p),
            _a("outer(k, proj)", c, p), _a("h", c, p), _a("sigma(h)", c, p), _a("e", c, p),
            _a("e temps", 2 * c, p), _a("per point", 12, npts),
            _a("coefficients", 64, npts))
    w.rng += npts * (d + 1)
    w.blas += 4.0 * npts * d * p + 2.0 * npts * d
    w.trans += npts * p + 64.0 * npts
    w.elem += 12.0 * npts * p + 3.0 * npts * d
    w.blas += 40.0 * p * d  # spike direction (ARPACK)
    return w


# ----------------------------------------------------------------------------- entry points
def _full_kwargs(fn, kwargs: dict) -> dict:
    """``kwargs`` with the simulator's defaults filled in."""
    out = {}
    try:
        for name, par in inspect.signature(fn).parameters.items():
            if par.default is not inspect.Parameter.empty:
                out[name] = par.default
    except (TypeError, ValueError):  # pragma: no cover - a builtin
        pass
    out.update(kwargs)
    return out


def estimate(fn, kwargs: dict) -> Estimate | None:
    """Peak memory and time of one seed of simulator ``fn`` at ``kwargs``.

    Parameters
    ----------
    fn : callable
        A simulator (``theory.simulate.*``); looked up in :data:`ESTIMATORS` by
        ``module.qualname``.
    kwargs : dict
        Its keyword arguments (missing ones take the simulator's defaults; ``seeds``,
        ``cache``, ``progress`` are ignored).

    Returns
    -------
    Estimate or None
        None when no estimator is registered for ``fn`` (an unknown simulator is not refused).

    Raises
    ------
    InputError
        Never on purpose; a malformed size is left to the simulator's own validation (the
        estimator then returns None).
    """
    est = ESTIMATORS.get(_key(fn))
    if est is None:
        return None
    try:
        work = est(_full_kwargs(fn, kwargs))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None  # arguments the simulator itself will refuse with a clear message
    name, parts = work.peak()
    parts = dict(sorted(parts.items(), key=lambda kv: -kv[1]))
    return Estimate(bytes=int(sum(parts.values()) + BASE_BYTES), seconds=work.seconds(),
                    parts=parts, available=available_memory(), param=work.param,
                    value=work.value, sizes=work.sizes, phase=name)


def check_resources(fn, kwargs: dict) -> Estimate | None:
    """Refuse a simulation that would not fit in memory, before it allocates anything.

    Parameters
    ----------
    fn : callable
        The simulator (see :func:`estimate`).
    kwargs : dict
        Its keyword arguments.

    Returns
    -------
    Estimate or None
        The estimate (None for a simulator without an estimator).

    Raises
    ------
    ResourceError
        The peak of one seed exceeds :data:`SAFETY` x the available memory (unless the
        environment sets ``THEORY_RESOURCE_CHECK=0``). One line: ``"d=100000: needs ~224 GiB,
        23 GiB available (peak at fit: F 100000 x 100000: 75 GiB, ...; ~3.1 h per seed);
        lower d ..."``.
    """
    est = estimate(fn, kwargs)
    if est is None or est.fits or _env_off():
        return est
    sizes = ", ".join(f"{k}={v}" for k, v in est.sizes.items() if k != est.param)
    raise ResourceError(
        est.param, est.value, est.bytes, est.available,
        detail=(f"{sizes}; peak at {est.phase}: {est.parts_text()}; "
                f"~{seconds_text(est.seconds)} per seed"),
        hint=f"lower {est.param}, or run where more memory is free (the limit is "
             f"{SAFETY:.0%} of the available memory; THEORY_RESOURCE_CHECK=0 skips the check)")
