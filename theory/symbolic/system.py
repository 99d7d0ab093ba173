r"""Saddle-point systems written once in SymPy.

A :class:`SaddlePointSystem` is the whole fixed-point map of a replica / state-evolution
computation, as a paper writes it:

* named **order parameters** (the state, e.g. ``V_s, q_s, m_s, V_w, q_w``),
* named **parameters** (``alpha, gamma, lambda, ...``),
* an ordered list of **steps** ``symbol = expression``: auxiliary definitions
  (``V = \kappa_1^2 V_s + \kappa_\star^2 V_w``) and conjugate equations
  (``\hat V = \frac{\alpha}{V}\mathbb E[1 - \partial_\omega\eta]``); each may use the parameters,
  the current state and the symbols assigned before it; expressions may hold Gaussian
  :class:`~theory.symbolic.expectation.Expectation` objects and named numeric functions,
* the **updates** ``state = expression`` giving the next state,
* **observables** (test error, training loss, ...), evaluated after the steps at a fixed point,
* **constraints**: expressions that must be positive (or non-negative) at a physical fixed point
  (variances, ``\rho - M^2/Q``).

From this one object come the NumPy map and the mpmath map
(:func:`theory.numeric.system.compile_system`) and the LaTeX of the system (:meth:`latex`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sympy as sp

from ..errors import InputError
from . import _texlayout as _tl
from .atoms import stabilize
from .expectation import Expectation

__all__ = ["Constraint", "SaddlePointSystem", "RESERVED_COLUMNS"]

#: columns every solve and curve reports next to the state and the observables; an observable
#: may not take one of these names (nor a state or parameter name, nor ``NAME.error``)
RESERVED_COLUMNS = frozenset({"residual", "iterations", "converged", "failure", "tol",
                              "level", "message", "method", "seconds", "dps"})


@dataclass(frozen=True)
class Constraint:
    """``expr > 0`` (strict) or ``expr >= 0`` at a physical fixed point; ``what`` says why.

    Parameters
    ----------
    expr : sympy.Expr
        An expression of the parameters, the state and the steps of the system.
    what : str
        What the constraint means (a variance is positive, ``rho - M^2/Q >= 0``, ...); the
        error message of a violated constraint quotes it.
    strict : bool, default True
        ``expr > 0`` if True, ``expr >= 0`` if False.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory import Constraint
    >>> V = sp.Symbol("V")
    >>> Constraint(1 - V, "the variance 1 - q is positive").latex()
    '1 - V > 0'
    """

    expr: sp.Expr
    what: str
    strict: bool = True

    def latex(self) -> str:
        """The constraint as LaTeX math, ``expr > 0`` or ``expr \\geq 0``.

        Returns
        -------
        str
            LaTeX math without surrounding ``$``.
        """
        rel = ">" if self.strict else r"\geq"
        return f"{sp.latex(self.expr)} {rel} 0"


@dataclass(kw_only=True, repr=False)
class SaddlePointSystem:
    r"""A fixed-point map declared symbolically (see the module docstring). Keyword-only.

    Every expression is passed through :func:`theory.symbolic.atoms.stabilize` on construction:
    ``(1 + erf(u/sqrt2))/2`` and ``erfc(-u/sqrt2)/2`` become the stable atom ``Phi(u)``,
    ``log(1 + exp(u))`` becomes ``softplus(u)``, ... (exact identities; the value is unchanged,
    the float64 tails keep their relative accuracy).

    Parameters
    ----------
    name : str, default "system"
        Short name (the model's; the CLI and the LaTeX title use it).
    state : sequence of sympy.Symbol or str
        Order parameters, in a fixed order (the solver's vector order). A string names a symbol
        of the expressions (``"q"`` is the ``q`` the updates use, whatever its assumptions).
    parameters : sequence of sympy.Symbol or str, optional
        Model parameters: every free symbol that is neither state nor assigned by a step.
        Default: those free symbols, sorted by name.
    steps : sequence of (symbol, expression) pairs, or a mapping, default ()
        Ordered definitions ``symbol = expression`` (auxiliary quantities and conjugate order
        parameters); each may use the parameters, the state and the symbols assigned before it.
    updates : mapping {state symbol or name: expression}
        The next state; every order parameter needs one.
    observables : mapping {str: expression}, optional
        Quantities evaluated after the steps at a fixed point (test error, training loss, ...).
    constraints : list of Constraint, optional
        Checked on every answer (and, when they involve only parameters and state, before every
        evaluation of the map).
    sections : dict, optional
        ``{symbol: heading}``: a heading printed before that step (``"updates"``: before the
        updates).
    reference : str, optional
        The paper, arXiv id with version and equation numbers.
    latex_names : dict, optional
        ``{symbol: LaTeX}`` for symbols whose name does not print as in the paper (e.g.
        ``kappa_star`` -> ``\kappa_\star``).
    features : dict, optional
        ``{Gaussian variable: [(center, width), ...]}``: places where an integrand over that
        variable changes on a scale ``width`` much shorter than the variable's standard
        deviation without a kink SymPy can see (a proximal operator of the logistic loss at
        large V, a Phi(x / sqrt(Delta)) at small Delta). Expressions of parameters, state and
        earlier steps; one-dimensional expectations are then integrated with panels graded
        geometrically around each center (:func:`theory.numeric.system.graded_rule`). They
        change the nodes, never the value.

    Raises
    ------
    InputError
        An order parameter without an update, a symbol assigned twice, an expression that
        uses a symbol defined nowhere before it (the message names the step and the symbol),
        a name given as a string that matches no symbol of the expressions in a unique way.

    Examples
    --------
    The Bayes-optimal teacher-student perceptron with a Gaussian prior and the sign channel (the
    state evolution as written in issue 9; the GLM case of Barbier, Krzakala, Macris, Miolane &
    Zdeborova, PNAS 116, 5451 (2019), arXiv:1708.03395):

    >>> import sympy as sp
    >>> from theory import E, Phi, SaddlePointSystem, gaussians, phi
    >>> q, qhat, alpha = sp.symbols("q qhat alpha", positive=True)
    >>> xi = gaussians("xi")
    >>> u = sp.sqrt(q / (1 - q)) * xi[0]
    >>> system = SaddlePointSystem(
    ...     name="perceptron", state=["q"], parameters=["alpha"],
    ...     steps=[(qhat, 2 * alpha / (1 - q) * E(phi(u)**2 / Phi(u), over=xi))],
    ...     updates={q: qhat / (1 + qhat)})
    >>> system
    SaddlePointSystem(name='perceptron', state=('q',), parameters=('alpha',), 1 step)
    """

    name: str = "system"
    state: Sequence
    parameters: Sequence | None = None
    steps: Sequence = ()
    updates: Mapping
    observables: Mapping = field(default_factory=dict)
    constraints: list = field(default_factory=list)
    sections: dict = field(default_factory=dict)
    reference: str = ""
    latex_names: dict = field(default_factory=dict)
    features: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise InputError("name", self.name, "a non-empty string")
        steps = list(self.steps.items()) if isinstance(self.steps, Mapping) else list(self.steps)
        for st in steps:
            if not (isinstance(st, (tuple, list)) and len(st) == 2):
                raise InputError("steps", st, "(symbol, expression) pairs, in order")
        if not isinstance(self.updates, Mapping):
            raise InputError("updates", self.updates, "a mapping {order parameter: expression}")
        if not isinstance(self.observables, Mapping):
            raise InputError("observables", self.observables, "a mapping {name: expression}")
        if isinstance(self.state, (str, sp.Symbol)):
            self.state = [self.state]  # one order parameter given bare
        if isinstance(self.parameters, (str, sp.Symbol)):
            self.parameters = [self.parameters]
        for what, seq in (("state", self.state), ("parameters", self.parameters)):
            if seq is not None and not isinstance(seq, Sequence):
                raise InputError(what, seq, "a list of SymPy symbols or their names")
        steps = [(s, stabilize(_sympify("steps", s, e))) for s, e in steps]
        updates = {s: stabilize(_sympify("updates", s, e)) for s, e in self.updates.items()}
        observables = {str(k): stabilize(_sympify("observables", k, e))
                       for k, e in self.observables.items()}
        constraints = []
        for c in self.constraints:
            if not isinstance(c, Constraint):
                raise InputError("constraints", c, "Constraint(expr, what) objects")
            constraints.append(Constraint(stabilize(sp.sympify(c.expr)), c.what, c.strict))
        # names given as text -> the symbols the expressions use
        exprs = [e for _, e in steps] + list(updates.values()) + list(observables.values()) + \
            [c.expr for c in constraints]
        lookup = _symbols_by_name(exprs, [s for s, _ in steps] + list(updates)
                                  + list(self.state) + list(self.parameters or ()))
        resolve = lambda where, s: _resolve(where, s, lookup)  # noqa: E731
        self.state = tuple(resolve("state", s) for s in self.state)
        self.steps = [(resolve("steps", s), e) for s, e in steps]
        self.updates = {resolve("updates", s): e for s, e in updates.items()}
        self.observables = observables
        self.constraints = constraints
        assigned = {s for s, _ in self.steps}
        if self.parameters is None:
            free = set()
            for e in exprs:
                free |= _free(e)
            self.parameters = tuple(sorted(free - set(self.state) - assigned, key=str))
            taken = {str(x) for x in (*self.state, *assigned)}
            twins = [x for x in self.parameters if str(x) in taken]
            if twins:
                x = twins[0]
                where = [w for w, e in (*((f"step {a}", e) for a, e in self.steps),
                                        *((f"update of {a}", e) for a, e in self.updates.items()),
                                        *((f"observable {k}", e) for k, e in observables.items()),
                                        *((f"constraint {c.what}", c.expr) for c in constraints))
                         if x in _free(e)]
                raise InputError("system", where[0] if where else str(x), "one symbol per "
                                 "name", hint=f"{', '.join(where)} use(s) a symbol named "
                                 f"{str(x)!r} ({sp.srepr(x)}) that is not the order parameter "
                                 f"or step {str(x)!r} of the same name (other SymPy "
                                 "assumptions): use one symbol, or give the state as a "
                                 "string")
        else:
            self.parameters = tuple(resolve("parameters", s) for s in self.parameters)
        names = [str(s) for s in self.state]
        if not names:
            raise InputError("state", [], "at least one order parameter")
        if len(set(names)) != len(names):
            raise InputError("state", names, "distinct order-parameter names")
        pnames = [str(s) for s in self.parameters]
        if len(set(pnames)) != len(pnames) or set(pnames) & set(names):
            raise InputError("parameters", pnames, "distinct names, none of them an order "
                             "parameter")
        missing = [str(s) for s in self.state if s not in self.updates]
        if missing:
            raise InputError("updates", sorted(map(str, self.updates)),
                             "one update per order parameter", hint=f"missing {missing}")
        extra = [str(s) for s in self.updates if s not in self.state]
        if extra:
            raise InputError("updates", sorted(map(str, self.updates)), "updates of order "
                             f"parameters only: {names}", hint=f"{extra} are not in state")
        # every expression may use only what is defined before it
        known = set(self.state) | set(self.parameters)
        for sym, expr in self.steps:
            self._check_symbols(expr, known, f"step {sym}")
            if sym in known:
                raise InputError("steps", str(sym), "symbols assigned once, distinct from "
                                 "state and parameters")
            known.add(sym)
        for sym, expr in self.updates.items():
            self._check_symbols(expr, known, f"update of {sym}")
        clash = {**{n: "an order parameter" for n in names},
                 **{n: "a parameter" for n in pnames},
                 **{n: "a result column of solve and curve" for n in RESERVED_COLUMNS}}
        same = {str(x): x for x in (*self.state, *self.parameters)}
        for k, expr in self.observables.items():
            if k in same and expr == same[k]:
                continue  # the order parameter itself under its own name: the same column
            what = clash.get(k) or ("a result column of solve and curve (NAME.error holds "
                                    "an observable's error bound)" if k.endswith(".error") or
                                    k.startswith("closed_form.") else None)
            if what:
                raise InputError("observables", k, "names distinct from the order parameters, "
                                 "the parameters and the result columns "
                                 f"{sorted(RESERVED_COLUMNS)}", hint=f"{k!r} is {what}: a "
                                 "column of that name would hide the other; rename the "
                                 "observable")
        for k, expr in self.observables.items():
            self._check_symbols(expr, known, f"observable {k}")
        for c in self.constraints:
            self._check_symbols(c.expr, known, f"constraint {c.what}")
        self.features = {v: [(sp.sympify(c), sp.sympify(w)) for c, w in fl]
                         for v, fl in self.features.items()}
        for v, fl in self.features.items():
            for c, w in fl:
                self._check_symbols(c + w, known, f"feature of {v}")

    @staticmethod
    def _check_symbols(expr, known, where):
        unknown = _free(expr) - set(known)
        if unknown:
            hint = f"unknown symbols {sorted(map(str, unknown))}"
            same = sorted({str(s) for s in unknown} & {str(k) for k in known})
            if same:
                hint += (f" ({same} also exist(s) with other SymPy assumptions: use one "
                         "symbol, or give the name as a string)")
            raise InputError("system", where, "an expression of parameters, state and earlier "
                             "steps", hint=hint)

    def __repr__(self) -> str:
        def count(n, word):
            return f"{n} {word}{'' if n == 1 else 's'}"

        parts = [f"name={self.name!r}", f"state={self.state_names}",
                 f"parameters={self.parameter_names}"]
        parts += [count(len(x), w) for x, w in ((self.steps, "step"),
                                                 (self.observables, "observable"),
                                                 (self.constraints, "constraint")) if x]
        return f"SaddlePointSystem({', '.join(parts)})"

    # ------------------------------------------------------------------ names
    @property
    def state_names(self) -> tuple:
        """Names of the order parameters, in the solver's vector order.

        Returns
        -------
        tuple of str
            ``str`` of each symbol of :attr:`state`.
        """
        return tuple(str(s) for s in self.state)

    @property
    def parameter_names(self) -> tuple:
        """Names of the model parameters, in the order of :attr:`parameters`.

        Returns
        -------
        tuple of str
            ``str`` of each symbol of :attr:`parameters` (empty if there are none).
        """
        return tuple(str(s) for s in self.parameters or ())

    def symbol(self, name: str) -> sp.Symbol:
        """The symbol of the system named ``name`` (state, parameter or step).

        Parameters
        ----------
        name : str
            Name of an order parameter, a parameter or a symbol assigned by a step.

        Returns
        -------
        sympy.Symbol
            That symbol, with the assumptions the expressions use.

        Raises
        ------
        InputError
            No symbol of the system has that name.
        """
        for s in (*self.state, *(self.parameters or ()), *(a for a, _ in self.steps)):
            if str(s) == name:
                return s
        raise InputError("name", name, f"one of {self.state_names + self.parameter_names}")

    def expectations(self) -> list:
        """Every Gaussian expectation of the steps, updates and observables.

        Returns
        -------
        list of Expectation
            The :class:`~theory.symbolic.expectation.Expectation` nodes, in the order of the
            steps, then the updates, then the observables (sorted within one expression); an
            expectation used twice is listed twice.
        """
        out = []
        for _, e in [*self.steps, *self.updates.items(), *self.observables.items()]:
            out.extend(sorted(e.atoms(Expectation), key=sp.default_sort_key))
        return out

    # ------------------------------------------------------------------ LaTeX
    def _latex_blocks(self, observables: bool) -> list:
        """``[(heading or None, [(lhs, rhs), ...]), ...]`` in the order a paper prints them."""
        blocks: list = [(None, [])]
        for sym, expr in self.steps:
            if sym in self.sections:
                blocks.append((self.sections[sym], []))
            blocks[-1][1].append((sym, expr))
        head = self.sections.get("updates")
        if head:
            blocks.append((head, []))
        blocks[-1][1].extend((sym, self.updates[sym]) for sym in self.state)
        if observables and self.observables:
            blocks.append(("observables", []))
            for k, expr in self.observables.items():
                label = k.replace("_", r"\_")
                blocks[-1][1].append((rf"\mathrm{{{label}}}", expr))
        return [(h, rows) for h, rows in blocks if rows or h]

    def _constraint_items(self, names) -> list:
        rel = {True: ">", False: r"\geq"}
        return [f"{_tl.Breaker(names).tex(c.expr)} {rel[c.strict]} 0" for c in self.constraints]

    def _gaussian_items(self, names) -> list:
        r"""``$(z_1, z_2) \sim \mathcal{N}(0, \Sigma)$`` for each distinct Gaussian of the
        expectations (its covariance may depend on the state): what ``\mathbb{E}_z`` means."""
        out, seen = [], set()
        for node in self.expectations():
            key = (tuple(node.variables), node.cov)
            if key in seen:
                continue
            seen.add(key)
            vs = ", ".join(sp.latex(v, symbol_names=dict(names)) for v in node.variables)
            vs = f"({vs})" if len(node.variables) > 1 else vs
            cov = node.cov[0, 0] if node.cov.shape == (1, 1) else node.cov
            out.append(rf"${vs} \sim \mathcal{{N}}\left(0, "
                       rf"{sp.latex(cov, symbol_names=dict(names))}\right)$")
        return out

    def latex(self, *, observables: bool = True, constraints: bool = True,
              symbol_names: Mapping | None = None, width: float | None = _tl.TEXTWIDTH_EM) -> str:
        r"""The whole system as one ``aligned`` environment (paste inside ``\[ ... \]``).

        Steps come in their order (with section headings as ``\text{}`` lines), then the
        updates, then the observables and the constraints. A right-hand side wider than the
        room is broken across lines (at its top-level ``+``/``-`` terms, else inside its long
        factor; continuation lines are indented by ``\qquad``), from an estimate of its
        rendered width.

        Parameters
        ----------
        observables, constraints : bool
            Include the observables / the constraints.
        symbol_names : mapping, optional
            ``{symbol: LaTeX}`` overriding :attr:`latex_names`.
        width : float or None
            Width of the block in em of a 10 pt font (default: the text width of
            :meth:`latex_document`, 45.5 em); ``None`` never breaks a line.

        Returns
        -------
        str
            ``\begin{aligned} ... \end{aligned}``.
        """
        names = {**self.latex_names, **dict(symbol_names or {})}
        room = float("inf") if width is None else float(width)
        rows: list = []
        for head, block in self._latex_blocks(observables):
            if head:
                rows.append((None, rf"&\text{{{head}}}"))
            rows.extend(block)
        if constraints and self.constraints:
            items = self._constraint_items(names)
            packed = _tl.pack_list(items, room - _tl.width(r"\text{constraints: }") - 1.0)
            rows.append((None, rf"&\text{{constraints: }} {packed[0]}"))
            rows.extend((None, rf"&\phantom{{\text{{constraints: }}}} {p}") for p in packed[1:])
        lines = _tl.align_block(rows, room=room, symbol_names=names, fit=False)
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"

    def latex_document(self, title: str | None = None) -> str:
        r"""A complete, standalone LaTeX document of the system (compiles with pdflatex).

        Portrait A4, 2.5 cm margins, amsmath only. Each section of the system is an ``align*``
        block under ``\allowdisplaybreaks`` (so a long system continues on the next page)
        with its heading as text above it; long right-hand sides are broken across lines as in
        :meth:`latex`, and a line that cannot be broken enough is scaled down to the text
        width (``\fitmath``, graphicx). The constraints close the document as a sentence.

        Parameters
        ----------
        title : str, optional
            Plain-text title (escaped); default ``"Saddle-point system: <name>"``.

        Returns
        -------
        str
            The document, from ``\documentclass`` to ``\end{document}``.
        """
        t = title or f"Saddle-point system: {self.name}"
        names = dict(self.latex_names)
        body = ["\\noindent " + _tl.tex_escape(self.reference) + "\n\\medskip\n"
                ] if self.reference else []
        for head, rows in self._latex_blocks(True):
            if head:
                body.append(f"\n\\noindent {head}\n")
            if rows:
                lines = _tl.align_block(rows, room=_tl.TEXTWIDTH_EM - 0.5, symbol_names=names)
                body.append("\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}\n")
        gauss = self._gaussian_items(names)
        if gauss:
            body.append("\n\\noindent Gaussian variables (mean zero): " + "; ".join(gauss)
                        + ".\n")
        if self.constraints:
            items = ", ".join(f"${c}$" for c in self._constraint_items(names))
            body.append(f"\n\\noindent Constraints at a physical fixed point: {items}.\n")
        return _tl.document("".join(body), title=_tl.tex_escape(t))


def as_symbols(names: Sequence[str] | str, **assumptions) -> tuple:
    """``sp.symbols`` that always returns a tuple."""
    out = sp.symbols(names, **assumptions)
    return out if isinstance(out, tuple) else (out,)


def _sympify(where, key, expr):
    try:
        out = sp.sympify(expr, strict=not isinstance(expr, (int, float)))
    except (sp.SympifyError, TypeError):
        raise InputError(where, f"{key}: {expr!r}", "a SymPy expression (build it from "
                         "symbols; strings are not parsed)") from None
    if not isinstance(out, sp.Expr) or isinstance(out, sp.MatrixBase):
        raise InputError(where, f"{key}: {expr!r}", "a scalar SymPy expression (not a "
                         f"{type(out).__name__}: one expression per order parameter)")
    return out


def _free(expr) -> set:
    """Free symbols of ``expr``; the variables bound inside expectations are not free."""
    free = set(expr.free_symbols)
    for node in expr.atoms(Expectation):
        free -= set(node.variables)
        free |= set(node.cov.free_symbols)
        free |= node.integrand.free_symbols - set(node.variables)
    return free


def _symbols_by_name(exprs, given) -> dict:
    out: dict = {}
    for s in [*given, *(x for e in exprs for x in _free(e))]:
        if isinstance(s, sp.Symbol):
            out.setdefault(s.name, set()).add(s)
    return out


def _resolve(where, s, lookup):
    """A symbol, or the unique symbol of the expressions named ``s``."""
    if isinstance(s, sp.Symbol):
        return s
    if not isinstance(s, str) or not s.strip():
        raise InputError(where, s, "SymPy symbols or their names as strings")
    name = s.strip()
    found = lookup.get(name, set())
    if len(found) > 1:
        raise InputError(where, name, "a name used by one symbol only", hint="the expressions "
                         f"hold {len(found)} symbols named {name!r} with different assumptions "
                         f"({sorted(map(sp.srepr, found))}); pass the symbol itself")
    return next(iter(found)) if found else sp.Symbol(name, real=True)
