"""The sweep specification: a TOML or YAML file (or the same dict in Python), validated whole.

Every bad key or value raises :class:`~theory.errors.InputError` whose parameter names the spec
file and the key (``spec runs/x.toml: grid.alpha``), before anything is computed.

The format (TOML; YAML has the same keys)::

    kind = "curve"            # "solve" | "curve" | "simulate"
    model = "rf_ridge"        # a registered model, or (simulate) a name of dispatch.SIMULATORS
    store = "rf_ridge.store"  # optional, relative to the spec file; default "<stem>.store"
    vary = "psi2"             # the x-axis; required for curve (the continuation parameter)
    observables = ["test_error"]   # optional: what --plot draws
    [fixed]                   # fixed parameters
    psi1 = 2.0
    [grid]                    # cartesian product: a list, "start:stop:count",
    lam = [1e-3, 1e-2]        #   or {start=..., stop=..., num=..., log=true}
    psi2 = "0.2:3:50"
    # points = [{psi2 = 1.0, lam = 0.1}, ...]   # explicit points instead of / besides [grid]
    [options]                 # solve/curve: tol, method, damping, max_iter, max_time,
    tol = 1e-10               #   max_evaluations
    [simulate]                # simulate: d, seeds, first_seed (+ simulator extras, e.g. n_test)
    d = 1000
    seeds = 10
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import os
import pathlib

import numpy as np

from ..errors import InputError

__all__ = ["SweepSpec", "load_spec", "KINDS", "OPTIONS", "parse_values"]

#: the kinds of sweep
KINDS = ("solve", "curve", "simulate")
#: the keys of ``[options]`` (keyword arguments of :func:`theory.solve` / :func:`theory.curve`)
OPTIONS = {"tol": "a real number in (0, 1)",
           "method": "one of 'auto', 'anderson', 'damped', 'newton'",
           "damping": "a real number in [0, 1)",
           "max_iter": "an integer >= 1",
           "max_time": "a real number > 0 (seconds per solve)",
           "max_evaluations": "an integer >= 1"}
_TOP = ("kind", "model", "store", "vary", "observables", "fixed", "grid", "points", "options",
        "simulate", "name", "description")
#: keys of ``[simulate]`` the sweep itself sets or reads
_SIM_KEYS = ("d", "seeds", "first_seed")
_MAX_TASKS = 1_000_000


@dataclasses.dataclass(frozen=True)
class SweepSpec:
    """A validated sweep specification (what :func:`load_spec` returns).

    Attributes
    ----------
    kind : str
        ``"solve"``, ``"curve"`` or ``"simulate"``.
    model : str
        A registered model name or (simulate) a simulator of
        :data:`theory.simulate.dispatch.SIMULATORS`.
    store : pathlib.Path
        The results store (a folder).
    vary : str or None
        The x-axis (the continuation parameter of a curve).
    observables : tuple of str
        What ``--plot`` draws (empty: the plot's default).
    fixed : dict {str: value}
        Parameters fixed over the sweep.
    grid : dict {str: list}
        Parameters varied on a cartesian grid, in the order given.
    points : tuple of dict
        Explicit points (after the grid's).
    options : dict
        Solver options (``tol``, ``method``, ...).
    simulate : dict
        ``d``, ``seeds``, ``first_seed`` and simulator extras (``n_test``, ...).
    source : str
        The spec file (or ``"<dict>"``), for messages.
    raw : dict
        The specification as read.
    """

    kind: str
    model: str
    store: pathlib.Path
    vary: str | None
    observables: tuple
    fixed: dict
    grid: dict
    points: tuple
    options: dict
    simulate: dict
    source: str
    raw: dict

    def point_list(self) -> list[dict]:
        """Every point: the grid's cartesian product (last key fastest), then ``points``.

        Returns
        -------
        list of dict
            The varied parameters of each point (without the fixed ones).
        """
        import itertools

        out: list[dict] = []
        if self.grid:
            names = list(self.grid)
            for combo in itertools.product(*(self.grid[n] for n in names)):
                out.append(dict(zip(names, combo)))
        out += [dict(p) for p in self.points]
        return out or [{}]


def _err(src: str, key: str, value, allowed: str, hint: str | None = None) -> InputError:
    return InputError(f"spec {src}: {key}", value, allowed, hint)


def _read(path: pathlib.Path) -> dict:
    src = str(path)
    if not path.is_file():
        raise InputError("spec", src, "an existing TOML (.toml) or YAML (.yaml, .yml) file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            import tomllib

            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        elif suffix in (".yaml", ".yml"):
            import yaml

            with open(path, encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
        else:
            raise InputError("spec", src, "a file ending in .toml, .yaml or .yml")
    except InputError:
        raise
    except Exception as exc:  # a syntax error of the file: one line naming it
        msg = " ".join(str(exc).split())
        raise InputError("spec", src, f"valid {suffix[1:].upper()} ({msg})") from None
    if not isinstance(data, dict):
        raise InputError("spec", src, "a mapping of keys (kind, model, grid, ...) at the top")
    return data


def _number(src, key, v, *, integer=False, lo=None, hi=None, lo_open=False, words=None):
    ok = isinstance(v, (int, float)) and not isinstance(v, bool)
    if ok and integer:
        ok = float(v).is_integer()
    if ok:
        x = float(v)
        ok = math.isfinite(x) and (lo is None or (x > lo if lo_open else x >= lo)) \
            and (hi is None or x < hi)
    if not ok:
        raise _err(src, key, v, words or ("an integer" if integer else "a finite number"))
    return int(v) if integer else float(v)


def parse_values(src: str, key: str, v) -> list:
    """The values of one grid axis: a list, ``"start:stop:count"`` or a comma list (text), or
    ``{start, stop, num, log}`` (``log=true``: geometric spacing).

    Parameters
    ----------
    src : str
        The spec file, for messages.
    key : str
        ``grid.NAME``, for messages.
    v : list, str or dict
        The axis as written.

    Returns
    -------
    list
        The values (floats for numbers; strings kept).

    Raises
    ------
    InputError
        Anything else, or an empty or non-finite axis.
    """
    from ..models.base import MAX_POINTS, parse_grid

    allowed = ("a non-empty list, 'start:stop:count', or {start=..., stop=..., num=..., "
               "log=true|false}")
    if isinstance(v, str):
        try:
            vals = parse_grid(v).tolist()
        except InputError:
            raise _err(src, key, v, allowed) from None
    elif isinstance(v, dict):
        extra = set(v) - {"start", "stop", "num", "log"}
        if extra or not {"start", "stop", "num"} <= set(v):
            raise _err(src, key, v, allowed)
        a = _number(src, f"{key}.start", v["start"])
        b = _number(src, f"{key}.stop", v["stop"])
        n = _number(src, f"{key}.num", v["num"], integer=True, lo=1,
                    words=f"an integer in [1, {MAX_POINTS}]")
        if n > MAX_POINTS:
            raise _err(src, f"{key}.num", n, f"an integer in [1, {MAX_POINTS}]")
        log = v.get("log", False)
        if not isinstance(log, bool):
            raise _err(src, f"{key}.log", log, "true or false")
        if log:
            if a <= 0 or b <= 0:
                raise _err(src, key, v, "start > 0 and stop > 0 with log=true")
            vals = np.geomspace(a, b, n).tolist()
        else:
            vals = np.linspace(a, b, n).tolist()
    elif isinstance(v, list):
        if not v:
            raise _err(src, key, v, allowed)
        vals = []
        for i, x in enumerate(v):
            if isinstance(x, str):
                vals.append(x)
            else:
                vals.append(_number(src, f"{key}[{i}]", x, words="a finite number or a text"))
    else:
        raise _err(src, key, v, allowed)
    return vals


def _scalar(src, key, v):
    if isinstance(v, bool) or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        if not math.isfinite(float(v)):
            raise _err(src, key, v, "a finite number")
        return v
    raise _err(src, key, v, "a number, a text or true/false")


def _real_fields(model) -> set:
    def is_real(tp):
        text = str(tp).replace(" ", "")
        return tp is float or text in ("float", "float|None", "None|float", "Optional[float]",
                                       "typing.Optional[float]")

    return {f.name for f in dataclasses.fields(model.Params) if is_real(f.type)}


def load_spec(spec: str | os.PathLike | dict | SweepSpec) -> SweepSpec:
    """Read and validate a sweep specification.

    Parameters
    ----------
    spec : str, os.PathLike, dict or SweepSpec
        A TOML (``.toml``) or YAML (``.yaml``/``.yml``) file, or the same keys as a dict
        (relative ``store`` paths are then relative to the current folder). The format is the
        module docstring's.

    Returns
    -------
    SweepSpec
        The validated specification (the grid axes expanded to lists; every point checked
        against the model's parameter ranges).

    Raises
    ------
    InputError
        The file is missing or unreadable, or any key or value is wrong: the parameter is
        ``spec <file>: <key>`` (``spec runs/x.toml: grid.alpha``) with the value and what is
        allowed.
    """
    if isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, dict):
        data, src, base, stem = dict(spec), "<dict>", pathlib.Path.cwd(), "sweep"
    elif isinstance(spec, (str, os.PathLike)):
        path = pathlib.Path(spec)
        data, src, base, stem = _read(path), str(path), path.parent, path.stem
    else:
        raise InputError("spec", type(spec).__name__, "a path to a TOML/YAML file or a dict")
    for k in data:
        if k not in _TOP:
            raise _err(src, str(k), data[k], f"a key of a sweep spec: one of {list(_TOP)}")
    kind = data.get("kind")
    if kind not in KINDS:
        raise _err(src, "kind", kind, f"one of {list(KINDS)}")
    model_name = data.get("model")
    if not isinstance(model_name, str):
        raise _err(src, "model", model_name, "the name of a registered model (theory models)")
    from ..models import MODELS, load_all
    from ..simulate.dispatch import RUN_OPTIONS, SIMULATORS, resolve

    load_all()
    model = None
    fields: set | None = None
    if kind == "simulate" and model_name in SIMULATORS and model_name not in MODELS:
        fn = resolve(SIMULATORS[model_name])
        fields = set(inspect.signature(fn).parameters) - set(RUN_OPTIONS)
    elif model_name in MODELS:
        model = MODELS[model_name]
        fields = {f.name for f in dataclasses.fields(model.Params)}
    else:
        extra = f" or a simulator of {sorted(SIMULATORS)}" if kind == "simulate" else ""
        raise _err(src, "model", model_name, f"a registered model: one of {sorted(MODELS)}"
                   + extra)
    reals = _real_fields(model) if model is not None else set()

    def norm(key, name, v):  # a real parameter given as 2 is 2.0 (one key per value)
        if name not in fields:
            raise _err(src, key, v, f"a parameter of {model_name}: one of {sorted(fields)}")
        if name in reals and isinstance(v, int) and not isinstance(v, bool):
            return float(v)
        return v

    store = data.get("store", f"{stem}.store")
    if not isinstance(store, str) or not store.strip():
        raise _err(src, "store", store, "a folder path (text)")
    store_path = pathlib.Path(os.path.expanduser(store))
    if not store_path.is_absolute():
        store_path = base / store_path

    fixed_in = data.get("fixed", {})
    if not isinstance(fixed_in, dict):
        raise _err(src, "fixed", fixed_in, "a table of NAME = value")
    fixed = {str(k): norm(f"fixed.{k}", str(k), _scalar(src, f"fixed.{k}", v))
             for k, v in fixed_in.items()}

    grid_in = data.get("grid", {})
    if not isinstance(grid_in, dict):
        raise _err(src, "grid", grid_in, "a table of NAME = values")
    grid = {}
    for k, v in grid_in.items():
        if k in fixed:
            raise _err(src, f"grid.{k}", v, "a parameter not also in [fixed]")
        grid[str(k)] = [norm(f"grid.{k}", str(k), x) for x in parse_values(src, f"grid.{k}", v)]

    points_in = data.get("points", [])
    if not isinstance(points_in, list) or not all(isinstance(p, dict) for p in points_in):
        raise _err(src, "points", points_in, "a list of tables {NAME = value, ...}")
    points = []
    for i, p in enumerate(points_in):
        if not p:
            raise _err(src, f"points[{i}]", p, "a non-empty table {NAME = value, ...}")
        q = {}
        for k, v in p.items():
            if k in fixed:
                raise _err(src, f"points[{i}].{k}", v, "a parameter not also in [fixed]")
            q[str(k)] = norm(f"points[{i}].{k}", str(k), _scalar(src, f"points[{i}].{k}", v))
        points.append(q)
    if grid and points and any(set(p) != set(grid) for p in points):
        raise _err(src, "points", points_in, f"points with the grid's keys {sorted(grid)} "
                   "when both [grid] and points are given")

    varied = set(grid) | {k for p in points for k in p}
    vary = data.get("vary")
    if kind == "curve" and vary is None:
        raise _err(src, "vary", None, "given for a curve: the continuation parameter (a key "
                   "of [grid] or of the points)")
    if vary is not None and (not isinstance(vary, str) or vary not in varied):
        raise _err(src, "vary", vary, f"a varied parameter: one of {sorted(varied)}")

    obs = data.get("observables", [])
    if isinstance(obs, str):
        obs = [obs]
    if not isinstance(obs, list) or not all(isinstance(o, str) for o in obs):
        raise _err(src, "observables", obs, "a list of observable names")

    options_in = data.get("options", {})
    if not isinstance(options_in, dict):
        raise _err(src, "options", options_in, "a table of solver options")
    if options_in and kind == "simulate":
        raise _err(src, "options", options_in, "absent for a simulation (solver options of "
                   "solve and curve)")
    options: dict = {}
    for k, v in options_in.items():
        key = f"options.{k}"
        if k not in OPTIONS:
            raise _err(src, key, v, f"a solver option: one of {list(OPTIONS)}")
        if k == "tol":
            options[k] = _number(src, key, v, lo=0, hi=1, lo_open=True, words=OPTIONS[k])
        elif k == "method":
            if v not in ("auto", "anderson", "damped", "newton"):
                raise _err(src, key, v, OPTIONS[k])
            options[k] = v
        elif k == "damping":
            options[k] = _number(src, key, v, lo=0, hi=1, words=OPTIONS[k])
        elif k == "max_time":
            options[k] = _number(src, key, v, lo=0, lo_open=True, words=OPTIONS[k])
        else:
            options[k] = _number(src, key, v, integer=True, lo=1, words=OPTIONS[k])

    sim_in = data.get("simulate", {})
    if not isinstance(sim_in, dict):
        raise _err(src, "simulate", sim_in, "a table (d, seeds, first_seed, ...)")
    sim: dict = {}
    if kind != "simulate" and sim_in:
        raise _err(src, "simulate", sim_in, "absent unless kind = 'simulate'")
    if kind == "simulate":
        if "d" not in sim_in:
            raise _err(src, "simulate.d", None, "given: the input dimension, an integer >= 1")
        sim["d"] = _number(src, "simulate.d", sim_in["d"], integer=True, lo=1,
                           words="an integer >= 1")
        sim["seeds"] = _number(src, "simulate.seeds", sim_in.get("seeds", 1), integer=True,
                               lo=1, words="an integer >= 1")
        sim["first_seed"] = _number(src, "simulate.first_seed", sim_in.get("first_seed", 0),
                                    integer=True, lo=0, words="an integer >= 0")
        for k, v in sim_in.items():
            if k in _SIM_KEYS:
                continue
            if k not in ("n_test", "gaussian_equivalent"):
                raise _err(src, f"simulate.{k}", v, "one of d, seeds, first_seed, n_test, "
                           "gaussian_equivalent")
            if k == "n_test":
                sim[k] = _number(src, "simulate.n_test", v, integer=True, lo=1,
                                 words="an integer >= 1")
            else:
                if not isinstance(v, bool):
                    raise _err(src, f"simulate.{k}", v, "true or false")
                sim[k] = v

    out = SweepSpec(kind, model_name, store_path, vary, tuple(obs), fixed, grid, tuple(points),
                    options, sim, src, data)
    n = len(out.point_list())
    if n * (sim.get("seeds", 1)) > _MAX_TASKS:
        raise _err(src, "grid", f"{n} points", f"at most {_MAX_TASKS} tasks")
    _check_points(out, model)
    return out


def _check_points(spec: SweepSpec, model) -> None:
    """Every point through the model's own checks (or the simulator's setting), before any
    solve: a parameter out of range names the spec key it came from."""
    from ..models.base import make_params
    from ..simulate.dispatch import simulation_call

    seen: set = set()
    for point in spec.point_list():
        full = {**spec.fixed, **point}
        sig = tuple(sorted((k, repr(v)) for k, v in full.items()))
        if sig in seen:
            continue
        seen.add(sig)
        try:
            if spec.kind == "simulate":
                simulation_call(spec.model, full, spec.simulate["d"])
            elif model is not None:
                make_params(model, full)
        except InputError as exc:
            name = exc.param
            where = ("fixed" if name in spec.fixed else "grid" if name in spec.grid
                     else "points" if any(name in p for p in spec.points) else "model")
            key = f"{where}.{name}" if where != "model" else f"model ({spec.model}): {name}"
            raise InputError(f"spec {spec.source}: {key}", exc.value, exc.allowed,
                             exc.hint) from None
