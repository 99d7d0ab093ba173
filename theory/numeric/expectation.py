r"""Compile SymPy expressions holding Gaussian expectations to numbers (float64 or mpmath).

:func:`compile_expression` takes any SymPy expression in which
:class:`~theory.symbolic.expectation.Expectation` objects appear (e.g.
:math:`\frac{\alpha}{V}\mathbb E[1-\partial_\omega\eta]`) and returns a callable of the
parameters.

float64 -- each expectation over :math:`X\sim\mathcal N(0,\Sigma)` is written
:math:`X = L u` with :math:`u\sim\mathcal N(0, I)` and :math:`L` the (PSD-safe) Cholesky factor of
:math:`\Sigma` with the variables that carry kinks ordered first. Kinks are read off the integrand
(arguments of ``sign``, ``Abs``, ``Heaviside``, ``Max``, ``Min``, ``Piecewise`` that involve one
Gaussian variable, solved for it symbolically); a kink of :math:`X_i` at :math:`b` is a kink of
:math:`u_i` at :math:`(b-\sum_{j<i}L_{ij}u_j)/L_{ii}`, so each coordinate is integrated with the
split Gauss rule of :func:`~theory.numeric.quadrature.normal_rule`, cut per outer node. The tensor
rule is refined level by level until two levels agree within ``tol`` (the error estimate).
Kinks in a combination of several Gaussian variables are not aligned: they are reported in
``method`` and convergence is then only algebraic (the error estimate shows it).

mpmath (``dps=``) -- one variable: ``mpmath.quad`` with the cuts as break points; two or three:
the same tensor split rule built in mpmath (half-range Hermite and
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
from .bridge import mpmath_function, numpy_function
from .hermite import check_dps
from .quadrature import LEVELS, MP_LEVELS, normal_rule, normal_rule_mp

__all__ = ["compile_expression", "CompiledExpression", "psd_cholesky"]

#: node levels (per tail, per panel) tried in turn, by dimension
_LEVELS_BY_DIM = {
    1: LEVELS,
    2: ((8, 8), (12, 12), (16, 16), (24, 24), (32, 32), (48, 48), (64, 64)),
    3: ((6, 6), (8, 8), (12, 12), (16, 16), (24, 24), (32, 32)),
}
_NONSMOOTH = (sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min)


def psd_cholesky(cov: np.ndarray, name: str = "cov") -> np.ndarray:
    """Lower-triangular L with L L^T = cov for a positive *semi*-definite cov.

    Columns with a zero pivot (a variable that is a linear function of the earlier ones, e.g.
    q = m^2/rho) are left zero. Raises InputError if cov is not symmetric PSD.
    """
    cov = np.asarray(cov, dtype=float)
    d = cov.shape[0]
    scale = max(1.0, float(np.max(np.abs(cov))))
    if not np.allclose(cov, cov.T, atol=1e-14 * scale) or not np.all(np.isfinite(cov)):
        raise InputError(name, cov.tolist(), "a finite symmetric covariance matrix")
    L = np.zeros((d, d))
    for j in range(d):
        s = cov[j, j] - L[j, :j] @ L[j, :j]
        if s < -1e-12 * scale:
            raise InputError(name, cov.tolist(), "a positive semi-definite covariance matrix",
                             hint=f"the pivot of variable {j} is {s:.3g} < 0")
        if s <= 1e-14 * scale:
            continue  # degenerate direction
        L[j, j] = np.sqrt(s)
        for i in range(j + 1, d):
            L[i, j] = (cov[i, j] - L[i, :j] @ L[j, :j]) / L[j, j]
    return L


def _kinks(integrand: sp.Expr, variables: tuple):
    """{variable index: [breakpoint expressions]} and a list of unaligned kink arguments."""
    args = []
    for node in sp.preorder_traversal(integrand):
        if isinstance(node, (sp.Abs, sp.sign, sp.Heaviside)):
            args.append(node.args[0])
        elif isinstance(node, (sp.Max, sp.Min)):
            a = node.args
            args += [a[i] - a[j] for i in range(len(a)) for j in range(i + 1, len(a))]
        elif isinstance(node, sp.Piecewise):
            for _, cond in node.args:
                args += [r.lhs - r.rhs for r in cond.atoms(sp.core.relational.Relational)]
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


class _Plan:
    """Everything about one Expectation node that does not depend on parameter values."""

    def __init__(self, node: Expectation, params: tuple):
        self.node = node
        self.params = params
        variables = node.variables
        kinks, self.unaligned = _kinks(node.integrand, variables)
        # kinked variables first, so that their cuts are coordinate cuts after Cholesky
        self.order = sorted(range(len(variables)), key=lambda i: (i not in kinks, i))
        self.dim = len(variables)
        if self.dim > 3:
            raise InputError("expectation", str(node), "an expectation over at most 3 variables")
        ordered = tuple(variables[i] for i in self.order)
        self.ordered = ordered
        self.f_np = numpy_function(node.integrand, ordered + params)
        self.f_mp = None
        cov = node.cov.extract(self.order, self.order)
        self.cov_np = numpy_function(cov, params)
        self.cov_expr = cov
        self.break_exprs = [kinks.get(i, []) for i in self.order]  # per ordered coordinate
        self.breaks_np = [[numpy_function(b, params) for b in bl] for bl in self.break_exprs]

    def covariance(self, pvals) -> np.ndarray:
        c = np.asarray(self.cov_np(*pvals), dtype=float).reshape(self.dim, self.dim)
        return c

    def evaluate(self, pvals, tol: float):
        L = psd_cholesky(self.covariance(pvals))
        bvals = [np.array([float(b(*pvals)) for b in bl]) for bl in self.breaks_np]
        levels = _LEVELS_BY_DIM[self.dim]
        prev = None
        for nt, nm in levels:
            val, n = self._tensor(L, bvals, nt, nm, pvals)
            if prev is not None:
                err = abs(val - prev[0])
                if err <= tol * max(1.0, abs(val)):
                    return prev[0], err, prev[1]
            prev = (val, n)
        raise IntegrationError(
            f"{self.node} did not converge: successive levels differ by {err:.3g} > tol "
            f"{tol:.1g} with {n} nodes" + (f"; kinks not aligned with a variable: "
                                           f"{self.unaligned}" if self.unaligned else "")
        )

    def _tensor(self, L, bvals, nt, nm, pvals):
        d = self.dim
        X, W = tensor_nodes(L, bvals, nt, nm)
        vals = self.f_np(*[X[:, i] for i in range(d)], *pvals)
        vals = np.broadcast_to(np.asarray(vals, dtype=float), W.shape)
        if not np.all(np.isfinite(vals)):
            raise IntegrationError(f"the integrand of {self.node} is not finite at a node")
        return float(W @ vals), W.size

    def evaluate_mp(self, pvals, dps: int):
        if self.f_mp is None:
            self.f_mp = mpmath_function(self.node.integrand, self.ordered + self.params)
            self.cov_mp = mpmath_function(self.cov_expr, self.params)
            self.breaks_mp = [[mpmath_function(b, self.params) for b in bl]
                              for bl in self.break_exprs]
        d = self.dim
        with mpmath.workdps(dps + 10):
            cov = mpmath.matrix(self.cov_mp(*pvals))
            L = mpmath.matrix(d, d)
            for j in range(d):
                s = cov[j, j] - mpmath.fsum(L[j, k] ** 2 for k in range(j))
                if s < 0 and abs(s) > mpmath.mpf(10) ** (-dps):
                    raise InputError("cov", str(cov), "a positive semi-definite covariance matrix")
                if s <= mpmath.mpf(10) ** (-(dps + 5)):
                    continue
                L[j, j] = mpmath.sqrt(s)
                for i in range(j + 1, d):
                    L[i, j] = (cov[i, j] - mpmath.fsum(L[i, k] * L[j, k] for k in range(j))) / L[j, j]
            bvals = [[b(*pvals) for b in bl] for bl in self.breaks_mp]

            def tensor(level):
                def inner(i, us):
                    cuts = []
                    if L[i, i] != 0:
                        shift = mpmath.fsum(L[i, j] * us[j] for j in range(i))
                        cuts = [(b - shift) / L[i, i] for b in bvals[i]]
                    total = mpmath.mpf(0)
                    for u, w in normal_rule_mp(cuts, level, dps + 10):
                        vs = us + [u]
                        if i == d - 1:
                            xs = [mpmath.fsum(L[r, j] * vs[j] for j in range(r + 1))
                                  for r in range(d)]
                            total += w * self.f_mp(*xs, *pvals)
                        else:
                            total += w * inner(i + 1, vs)
                    return total

                return inner(0, [])

            if d == 1:  # one dimension: mpmath.quad with the cuts as break points is faster
                s0 = L[0, 0]
                pts = {mpmath.mpf(0), mpmath.mpf(-6), mpmath.mpf(6)}
                if s0 != 0:
                    pts |= {b / s0 for b in bvals[0]}
                pts = [-mpmath.inf, *sorted(pts), mpmath.inf]
                cur, err = mpmath.quad(lambda u: self.f_mp(s0 * u, *pvals) * mpmath.npdf(u), pts,
                                       error=True, maxdegree=10)
                if err > mpmath.mpf(10) ** (-dps) * max(1, abs(cur)):
                    raise IntegrationError(f"{self.node} at {dps} digits: mpmath.quad error "
                                           f"{mpmath.nstr(err, 3)} > 1e-{dps}")
                with mpmath.workdps(dps):
                    return +cur
            # successive levels converge geometrically: a difference below 10^(1-dps) leaves
            # the finer level well inside dps digits
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


@dataclass
class EvaluationReport:
    """What the last call of a :class:`CompiledExpression` did, per expectation."""

    errors: list
    nodes: list
    unaligned: list


class CompiledExpression:
    """A callable ``f(*params)`` or ``f(**params)`` for a SymPy expression with expectations.

    Attributes: ``params`` (the symbols, in call order), ``expr``, ``dps``, ``tol``, and after
    each float64 call ``report`` (error estimates and nodes per expectation).
    """

    def __init__(self, expr, params, dps: int | None = None, tol: float = 1e-12):
        self.expr = sp.sympify(expr)
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
        self.report = EvaluationReport([r[1] for r in res], [r[2] for r in res],
                                       [p.unaligned for p in self.plans])
        return float(self.outer(*pv, *[r[0] for r in res]))


def compile_expression(expr, params, *, dps: int | None = None, tol: float = 1e-12):
    """Compile ``expr`` (which may hold Gaussian expectations) to a function of ``params``.

    Parameters
    ----------
    expr : SymPy expression
    params : the parameter symbols, in call order (every free symbol must be listed)
    dps : None for float64 (tensor split-Gauss quadrature), else mpmath digits
    tol : float64 tolerance on each expectation (relative to max(1, |value|))
    """
    return CompiledExpression(expr, params, dps, tol)
