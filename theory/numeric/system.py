r"""Compile a :class:`~theory.symbolic.system.SaddlePointSystem` to numbers.

:func:`compile_system` returns a :class:`CompiledSystem` with

* ``map(state, params, level)`` -- the fixed-point map in float64. Gaussian expectations are
  evaluated by tensor split-Gauss rules at a *fixed* node level (the solver chooses the level
  and checks it: the map at ``level`` and ``level + 1`` must agree at the answer). Expectations
  over the same Gaussian vector with the same covariance are evaluated together on one set of
  nodes, through one lambdified function with common subexpressions shared, so a proximal
  operator that appears in several conjugate equations is solved once per node.
  One-dimensional expectations over a variable for which the system declares *features*
  (``SaddlePointSystem.features``: narrow smooth transitions such as the bends of a logistic
  proximal operator) use :func:`graded_rule` instead: panels graded geometrically around each
  feature, so the node levels converge however narrow it is.
* ``map_mp(state, params, dps)`` -- the same map in mpmath (expectations by ``mpmath.quad`` in
  one dimension, tensor split-Gauss rules in mpmath in two or three).
* ``observables(...)``, ``constraints(...)`` -- at a given state.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from ..errors import InputError, IntegrationError
from ..symbolic.expectation import Expectation
from ..symbolic.system import SaddlePointSystem
from . import diskcache
from .bridge import mpmath_function, numpy_function, source_store
from ..conventions import BREAK_CLIP
from .expectation import (_LEVELS_BY_DIM, NARROW, _features, _kinks, _Plan, psd_cholesky,
                          tensor_nodes)
from .quadrature import PANEL, halfrange_rule, legendre_rule

__all__ = ["CompiledSystem", "compile_system", "levels_for", "graded_rule"]

_LOG_SQRT2PI = 0.5 * np.log(2 * np.pi)
#: ratio of successive panels graded around a feature
GRADE = 3.0


def graded_cuts(hard, soft) -> np.ndarray:
    """Sorted cut points (standard units) for :func:`graded_rule`."""
    cuts = [0.0, *[float(h) for h in hard if np.isfinite(h)]]
    for c, w in soft:
        c, w = float(c), abs(float(w))
        if not (np.isfinite(c) and np.isfinite(w)) or abs(c) > BREAK_CLIP + PANEL:
            continue
        cuts.append(c)
        r = w
        while 0 < r < PANEL:
            cuts += [c - r, c + r]
            r *= GRADE
    out = np.unique(np.clip(np.array(cuts), -BREAK_CLIP, BREAK_CLIP))
    keep = np.concatenate([[True], np.diff(out) > 1e-13 * (1 + np.abs(out[1:]))])
    return out[keep]


def graded_rule(hard, soft, n_tail: int, n_mid: int):
    r"""Nodes and weights for :math:`\mathbb E_{z\sim\mathcal N(0,1)} f(z)` when f has kinks at
    ``hard`` and smooth but narrow features ``soft = [(center, width)]`` (standard units).

    The line is cut at 0, at the kinks, and around each feature at ``center`` and
    ``center +- width * 3^j`` (j = 0, 1, ... while the offset is below
    :data:`~theory.numeric.quadrature.PANEL`): a function analytic in a strip of half-width
    ~``width`` around the center (the logistic proximal operator has its branch points at
    distance pi from the real axis in units of omega) is then integrated by Gauss--Legendre
    panels whose length is at most a fixed multiple of their distance to the singularity, so
    every panel converges geometrically at the same rate, however narrow the feature
    (composite rule graded geometrically towards a singularity: Davis & Rabinowitz, *Methods
    of Numerical Integration*, 2nd ed., 1984, Sec. 2.9). Pieces longer than ``PANEL`` are split
    into equal panels of ``n_mid`` Gauss--Legendre nodes; beyond the outermost cuts the
    half-range Hermite rule of ``n_tail`` nodes integrates the tails (as
    :func:`~theory.numeric.quadrature.normal_rule`).

    Parameters
    ----------
    hard : sequence of float
        Kinks of f in standard units (non-finite entries are ignored).
    soft : sequence of (float, float)
        ``(center, width)`` of each narrow smooth feature, in standard units (a feature
        whose center lies beyond the clip range, or that is not finite, is ignored).
    n_tail : int
        Nodes of the half-range Hermite rule of each tail.
    n_mid : int
        Gauss--Legendre nodes per panel between the outermost cuts.

    Returns
    -------
    z : numpy.ndarray of float, shape (m,)
        Nodes.
    w : numpy.ndarray of float, shape (m,)
        Weights, the standard normal density included: :math:`\sum_i w_i f(z_i)`
        approximates :math:`\mathbb E f(z)`.
    """
    cuts = graded_cuts(hard, soft)
    lo, hi = cuts[0], cuts[-1]
    t, wt = halfrange_rule(n_tail)
    zs = [hi + t, lo - t]
    ws = [wt * np.exp(0.5 * t**2 - 0.5 * (hi + t) ** 2 - _LOG_SQRT2PI),
          wt * np.exp(0.5 * t**2 - 0.5 * (lo - t) ** 2 - _LOG_SQRT2PI)]
    if cuts.size > 1:
        u, wu = legendre_rule(n_mid)
        a, b = cuts[:-1], cuts[1:]
        npan = np.maximum(1, np.ceil((b - a) / PANEL).astype(int))
        k = np.repeat(np.arange(a.size), npan)
        j = np.arange(k.size) - np.repeat(np.cumsum(npan) - npan, npan)
        step = (b - a)[k] / npan[k]
        pa = a[k] + step * j
        pb = np.where(j + 1 == npan[k], b[k], pa + step)
        half = 0.5 * (pb - pa)[:, None]
        zm = (0.5 * (pa + pb)[:, None] + half * u).ravel()
        zs.append(zm)
        ws.append((half * wu).ravel() * np.exp(-0.5 * zm**2 - _LOG_SQRT2PI))
    return np.concatenate(zs), np.concatenate(ws)


def levels_for(dim: int) -> tuple:
    """The node levels available for expectations over ``dim`` variables.

    Parameters
    ----------
    dim : int
        Number of Gaussian variables (1, 2 or 3).

    Returns
    -------
    tuple of (int, int)
        ``(n_tail, n_mid)`` per coordinate, level 0 first.
    """
    return _LEVELS_BY_DIM[dim]


class _Group:
    """Expectations sharing one Gaussian vector and covariance, evaluated on common nodes."""

    def __init__(self, key, variables, cov, args, features=None):
        self.key = key
        self.features = features or {}
        self.variables = variables
        self.cov_expr = cov
        self.args = args  # symbols available when the group is evaluated
        self.nodes: list = []
        self.is_obs = False  # a group of observables (evaluated after the fixed point)
        self.dim = len(variables)
        if self.dim > 3:
            raise InputError("expectation", str(variables), "an expectation over at most 3 "
                             "variables")

    def finalize(self):
        kinks: dict = {}
        self.unaligned = []
        for nd in self.nodes:
            k, un = _kinks(nd.integrand, self.variables)
            for i, bl in k.items():
                kinks.setdefault(i, [])
                kinks[i].extend(b for b in bl if b not in kinks[i])
            self.unaligned.extend(un)
        self.order = sorted(range(self.dim), key=lambda i: (i not in kinks, i))
        ordered = tuple(self.variables[i] for i in self.order)
        integrands = sp.Tuple(*[nd.integrand for nd in self.nodes])
        self.f = numpy_function(integrands, ordered + self.args)
        cov = self.cov_expr.extract(self.order, self.order)
        self.cov_np = numpy_function(cov, self.args)
        self.breaks = [[numpy_function(b, self.args) for b in kinks.get(i, [])]
                       for i in self.order]
        self.soft = []
        self.auto_soft = []
        if self.dim == 1:
            for c, w in self.features.get(self.variables[0], []):
                self.soft.append((numpy_function(c, self.args), numpy_function(w, self.args)))
            # transitions the integrands declare themselves (Phi(a x + b), phi, tanh, ... of a
            # scaled argument: theory.numeric.expectation._features): centre -b/a, width w/|a|
            seen = set()
            for nd in self.nodes:
                for coefs, off, width in _features(nd.integrand, self.variables)[0]:
                    a = coefs[0]
                    if width == 0 or a == 0:
                        continue
                    key = (-off / a, width / sp.Abs(a))
                    if key in seen:
                        continue
                    seen.add(key)
                    self.auto_soft.append(tuple(numpy_function(k, self.args) for k in key))

    def evaluate(self, vals, level: int) -> list:
        c = np.asarray(self.cov_np(*vals), dtype=float).reshape(self.dim, self.dim)
        L = psd_cholesky(c)
        nt, nm = _LEVELS_BY_DIM[self.dim][level]
        bvals = [np.array([float(b(*vals)) for b in br]) for br in self.breaks]
        soft = []
        if self.dim == 1 and L[0, 0] > 0:
            s0 = L[0, 0]
            with np.errstate(all="ignore"):
                soft = [(float(c(*vals)) / s0, float(w(*vals)) / s0) for c, w in self.soft]
                # a self-declared transition narrower than NARROW standard deviations (the
                # integrand of a perceptron at alpha = 1e4 lives on |xi| < sqrt(V/q) ~ 1e-4):
                # graded panels follow it, however narrow
                for c, w in self.auto_soft:
                    cw = (float(c(*vals)) / s0, abs(float(w(*vals))) / s0)
                    if np.isfinite(cw[0]) and 0 < cw[1] < NARROW:
                        soft.append(cw)
        if soft:
            z, W = graded_rule(bvals[0] / s0, soft, nt, nm)
            X = (s0 * z)[:, None]
        else:
            X, W = tensor_nodes(L, bvals, nt, nm)
        out = self.f(*[X[:, i] for i in range(self.dim)], *vals)
        res = []
        for v in out:
            v = np.broadcast_to(np.asarray(v, dtype=float), W.shape)
            if not np.all(np.isfinite(v)):
                raise IntegrationError(f"an integrand over {self.variables} is not finite at a "
                                       "node (unphysical state?)")
            res.append(float(W @ v))
        return res


class CompiledSystem:
    """NumPy and mpmath maps of a saddle-point system (see the module docstring).

    Parameters
    ----------
    system : SaddlePointSystem
        The system; use :func:`compile_system`, which remembers the result and reads the disk
        cache.
    """

    def __init__(self, system: SaddlePointSystem):
        self.system = system
        #: the disk-cache session used while compiling (None: not cached)
        self.disk_cache: diskcache.Session | None = None
        self.params: tuple = tuple(system.parameters or ())  # inferred by the constructor
        self.state = system.state
        obs_syms = [sp.Dummy(f"obs_{k}") for k in system.observables]
        self._obs = dict(zip(system.observables, obs_syms))
        # an update that contains an expectation becomes a step of its own (same nodes)
        self._upd = dict(system.updates)
        own = list(system.steps)
        for st in system.state:
            if self._upd[st].has(Expectation):
                d = sp.Dummy(f"F_{st}")
                own.append((d, self._upd[st]))
                self._upd[st] = d
        steps = own + list(zip(obs_syms, system.observables.values()))
        self.n_steps = len(own)
        known = list(self.params) + list(self.state)
        groups: list[_Group] = []
        self._steps = []  # (symbol, outer fn, [(group index, node index)], groups to run first)
        self._mp_steps = []
        for istep, (sym, expr) in enumerate(steps):
            is_obs = istep >= self.n_steps
            nodes = sorted(expr.atoms(Expectation), key=sp.default_sort_key)
            refs, run = [], []
            for nd in nodes:
                key = (nd.variables, nd.cov)
                need = (nd.integrand.free_symbols | nd.cov.free_symbols) - set(nd.variables)
                gi = None
                for j, g in enumerate(groups):
                    if g.key == key and need <= set(g.args) and g.is_obs == is_obs:
                        gi = j
                        break
                if gi is None:
                    g = _Group(key, nd.variables, nd.cov, tuple(known), system.features)
                    g.is_obs = is_obs
                    groups.append(g)
                    gi = len(groups) - 1
                    run.append(gi)
                g = groups[gi]
                if nd not in g.nodes:
                    g.nodes.append(nd)
                refs.append((gi, g.nodes.index(nd)))
            dummies = [sp.Dummy(f"E{i}") for i in range(len(nodes))]
            outer = expr.xreplace(dict(zip(nodes, dummies)))
            f = numpy_function(outer, tuple(known) + tuple(dummies))
            self._steps.append((sym, f, refs, run))
            self._mp_steps.append((sym, outer, nodes, dummies, tuple(known)))
            known.append(sym)
        for g in groups:
            g.finalize()
        self.groups = groups
        self.args_all = tuple(known)
        self.updates = [numpy_function(self._upd[s], self.args_all) for s in self.state]
        self.cons = [numpy_function(c.expr, self.args_all) for c in system.constraints]
        # constraints on the state alone are the map's domain: checked before every evaluation
        base = set(self.params) | set(self.state)
        self._domain = [(c, numpy_function(c.expr, tuple(self.params) + tuple(self.state)))
                        for c in system.constraints if c.expr.free_symbols <= base]
        self.dims = sorted({g.dim for g in groups})
        self.max_level = min((len(_LEVELS_BY_DIM[d]) for d in self.dims), default=1) - 1
        self._mp_cache: dict = {}

    # ------------------------------------------------------------------ float64
    def _run(self, state, params, level: int, upto: int) -> list:
        vals = [float(v) for v in params] + [float(v) for v in state]
        for c, f in self._domain:
            v = float(f(*vals))
            if not (v > 0 if c.strict else v >= 0):
                raise InputError("state", dict(zip(map(str, self.state), map(float, state))),
                                 f"inside the domain of the map ({c.what})")
        gvals: dict = {}
        for _sym, f, refs, run in self._steps[:upto]:
            for gi in run:
                gvals[gi] = self.groups[gi].evaluate(vals, level)
            ev = [gvals[gi][ni] for gi, ni in refs]
            with np.errstate(all="ignore"):
                vals.append(float(f(*vals, *ev)))
        return vals

    def map(self, state, params, level: int = 2) -> np.ndarray:
        """Next state F(state) in float64.

        Parameters
        ----------
        state : array_like
            Order parameters, shape (n_state,), in ``system.state`` order.
        params : array_like
            Parameter values, shape (n_param,), in ``system.parameters`` order.
        level : int, optional
            Node level of the Gaussian expectations (default 2; :func:`levels_for`).

        Returns
        -------
        numpy.ndarray
            F(state), shape (n_state,).
        """
        vals = self._run(state, params, level, self.n_steps)
        vals += [np.nan] * (len(self.args_all) - len(vals))
        with np.errstate(all="ignore"):
            return np.array([float(u(*vals)) for u in self.updates])

    def assigned(self, state, params, level: int = 2) -> dict:
        """Every step's value at ``state`` (the conjugates, auxiliary definitions).

        Parameters
        ----------
        state : array_like
            Order parameters, shape (n_state,), in ``system.state`` order.
        params : array_like
            Parameter values, shape (n_param,), in ``system.parameters`` order.
        level : int, optional
            Node level of the Gaussian expectations (default 2; :func:`levels_for`).

        Returns
        -------
        dict
            ``{step symbol name: float}``.
        """
        vals = self._run(state, params, level, self.n_steps)
        n0 = len(self.params) + len(self.state)
        return {str(s): v for (s, *_), v in zip(self._steps, vals[n0:])}

    def observables(self, state, params, level: int = 2) -> dict:
        """The observables at ``state`` in float64.

        Parameters
        ----------
        state : array_like
            Order parameters, shape (n_state,), in ``system.state`` order.
        params : array_like
            Parameter values, shape (n_param,), in ``system.parameters`` order.
        level : int, optional
            Node level of the Gaussian expectations (default 2; :func:`levels_for`).

        Returns
        -------
        dict
            ``{observable name: float}``.
        """
        vals = self._run(state, params, level, len(self._steps))
        n = len(self.params) + len(self.state) + self.n_steps
        return dict(zip(self.system.observables, vals[n:]))

    def constraint_violations(self, state, params, level: int = 2) -> list:
        """The constraints violated at ``state``.

        Parameters
        ----------
        state : array_like
            Order parameters, shape (n_state,), in ``system.state`` order.
        params : array_like
            Parameter values, shape (n_param,), in ``system.parameters`` order.
        level : int, optional
            Node level of the Gaussian expectations (default 2; :func:`levels_for`).

        Returns
        -------
        list of (str, float)
            ``(description, value)`` of each violated constraint (empty when admissible).
        """
        try:
            vals = self._run(state, params, level, self.n_steps)
        except (IntegrationError, InputError, np.linalg.LinAlgError) as exc:
            return [("the map is defined (Gaussian covariances admissible)", str(exc))]
        vals += [np.nan] * (len(self.args_all) - len(vals))
        bad = []
        for c, f in zip(self.system.constraints, self.cons):
            with np.errstate(all="ignore"):
                v = float(f(*vals))
            ok = v > 0 if c.strict else v >= -1e-14
            if not ok or not np.isfinite(v):
                bad.append((f"{c.what}: {sp.sstr(c.expr)} {'>' if c.strict else '>='} 0", v))
        return bad

    @property
    def broadcasts(self) -> bool:
        """True when the map broadcasts over arrays of states and parameters (no Gaussian
        expectation: every step is a NumPy expression), so a whole parameter grid is solved in
        one batched iteration (:func:`theory.numeric.solvers.solve_batched`)."""
        return not self.groups

    def map_arrays(self, state, params) -> np.ndarray:
        """Next states for arrays of states and parameters (a parameter grid at once).

        Parameters
        ----------
        state : array_like
            Shape (n_state, n_points).
        params : sequence of array_like
            n_param arrays (or scalars) broadcasting to (n_points,).

        Returns
        -------
        numpy.ndarray
            Shape (n_state, n_points).

        Raises
        ------
        InputError
            If the system has Gaussian expectations (:attr:`broadcasts` is False).
        """
        if self.groups:
            raise InputError("system", self.system.name, "a system without expectations for "
                             "array evaluation (its map broadcasts over parameter arrays)")
        state = np.asarray(state, dtype=float)
        vals: list = [np.asarray(v, dtype=float) for v in (*params, *state)]
        with np.errstate(all="ignore"):
            for _sym, f, _refs, _run in self._steps[: self.n_steps]:
                vals.append(np.asarray(f(*vals), dtype=float))
            vals += [np.nan] * (len(self.args_all) - len(vals))
            out = [np.broadcast_to(np.asarray(u(*vals), dtype=float), state.shape[1:])
                   for u in self.updates]
        return np.array(out)

    def constraints_arrays(self, state, params) -> list:
        """Every constraint at arrays of states and parameters (systems whose map broadcasts).

        Parameters
        ----------
        state : array_like
            Shape (n_state, n_points).
        params : sequence of array_like
            n_param arrays (or scalars) broadcasting to (n_points,).

        Returns
        -------
        list of (str, numpy.ndarray)
            ``(description, ok)``, ``ok`` a bool array of shape (n_points,), False where the
            constraint is violated or not finite.
        """
        out = self.evaluate_arrays(state, params)
        state = np.asarray(state, dtype=float)
        vals: list = [np.asarray(v, dtype=float) for v in (*params, *state)]
        vals += [out[str(s)] for (s, *_r) in self._steps[: self.n_steps]]
        vals += [np.nan] * (len(self.args_all) - len(vals))
        res = []
        for c, f in zip(self.system.constraints, self.cons):
            with np.errstate(all="ignore"):
                v = np.broadcast_to(np.asarray(f(*vals), dtype=float), state.shape[1:])
                ok = (v > 0) if c.strict else (v >= -1e-14)
            res.append((f"{c.what}: {sp.sstr(c.expr)} {'>' if c.strict else '>='} 0",
                        ok & np.isfinite(v)))
        return res

    def evaluate_arrays(self, state, params) -> dict:
        """Every step, update and observable at arrays of states and parameters (systems
        without expectations; the arrays broadcast together).

        Parameters
        ----------
        state : sequence of array_like
            One array per order parameter.
        params : sequence of array_like
            One array (or scalar) per parameter.

        Returns
        -------
        dict
            ``{step name or observable: array}``, and ``"__map__"``: the next states.

        Raises
        ------
        InputError
            If the system has Gaussian expectations.
        """
        if self.groups:
            raise InputError("system", self.system.name, "a system without expectations for "
                             "array evaluation")
        vals = [np.asarray(v, dtype=float) for v in (*params, *state)]
        with np.errstate(all="ignore"):
            for _sym, f, _refs, _run in self._steps:
                vals.append(np.asarray(f(*vals), dtype=float))
            n = len(self.params) + len(self.state)
            out: dict = {str(s): v for (s, *_), v in zip(self._steps, vals[n:])}
            full = vals[: len(self.args_all)]
            out["__map__"] = [np.asarray(u(*full), dtype=float) for u in self.updates]
        for k, d in self._obs.items():
            out[k] = out.pop(str(d))
        return out

    # ------------------------------------------------------------------ mpmath
    def _run_mp(self, state, params, dps: int, upto: int) -> list:
        with mpmath.workdps(dps + 10):
            vals = [mpmath.mpf(v) if not isinstance(v, mpmath.mpf) else v
                    for v in (*params, *state)]
            for i, (_sym, outer, nodes, dummies, known) in enumerate(self._mp_steps[:upto]):
                key = i
                if key not in self._mp_cache:
                    self._mp_cache[key] = (
                        mpmath_function(outer, known + tuple(dummies)),
                        [_Plan(nd, known) for nd in nodes])
                f, plans = self._mp_cache[key]
                ev = [p.evaluate_mp(vals, dps) for p in plans]
                vals.append(f(*vals, *ev))
        return vals

    def map_mp(self, state, params, dps: int) -> list:
        """Next state in mpmath.

        Parameters
        ----------
        state : sequence of mpmath.mpf
            Order parameters.
        params : sequence of mpmath.mpf
            Parameters.
        dps : int
            Decimal digits.

        Returns
        -------
        list of mpmath.mpf
            F(state).
        """
        vals = self._run_mp(state, params, dps, self.n_steps)
        with mpmath.workdps(dps + 10):
            ups = self._mp_updates()
            vals = vals + [mpmath.nan] * (len(self.args_all) - len(vals))
            return [u(*vals) for u in ups]

    def _mp_updates(self):
        if "updates" not in self._mp_cache:
            self._mp_cache["updates"] = [mpmath_function(self._upd[s], self.args_all)
                                         for s in self.state]
        return self._mp_cache["updates"]

    def observables_mp(self, state, params, dps: int) -> dict:
        """The observables at ``state`` in mpmath.

        Parameters
        ----------
        state : sequence of mpmath.mpf
            Order parameters.
        params : sequence of mpmath.mpf
            Parameters.
        dps : int
            Decimal digits.

        Returns
        -------
        dict
            ``{observable name: mpmath.mpf}``.
        """
        vals = self._run_mp(state, params, dps, len(self._mp_steps))
        n = len(self.params) + len(self.state) + self.n_steps
        return dict(zip(self.system.observables, vals[n:]))


_CACHE: dict = {}


def compile_system(system: SaddlePointSystem, *, disk_cache: bool = True) -> CompiledSystem:
    """Compile (and remember) the maps of ``system``.

    Parameters
    ----------
    system : SaddlePointSystem
        The system to compile.
    disk_cache : bool, optional
        Read and write the generated NumPy source in the on-disk cache
        (:mod:`theory.numeric.diskcache`; ``THEORY_CACHE_DIR=off`` disables it globally), so a
        fresh process does not run ``stabilize`` + CSE + the printer again. Default True.

    Returns
    -------
    CompiledSystem
        Remembered for the lifetime of ``system`` (same object: same compiled maps).
    """
    key = id(system)
    got = _CACHE.get(key)
    if got is None or got[0] is not system:
        session = diskcache.open_session(system) if disk_cache else None
        with source_store(session):
            cs = CompiledSystem(system)
        if session is not None:
            session.save()
        cs.disk_cache = session
        got = (system, cs)
        _CACHE[key] = got
    return got[1]
