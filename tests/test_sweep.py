"""theory sweep: spec validation, serial runs, resume, retries, flags, CLI output (fast).

The executor-equality, kill and Ctrl-C tests are in test_sweep_dask.py and test_sweep_kill.py.
Every number compared here comes from a path that does not go through the sweep: a direct
``theory.solve`` / ``theory.curve`` / simulator call (the sweep must reproduce it bitwise).
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from theory.cli import main
from theory.errors import InputError
from theory.sweep import load_spec, run_sweep
from theory.sweep.tasks import FAULT_ENV, expand

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "sweeps"
DATA = pathlib.Path(__file__).parent / "data" / "sweeps"

SOLVE = {"kind": "solve", "model": "rf_ridge", "fixed": {"psi1": 2.0},
         "grid": {"lam": [0.01, 0.1], "psi2": [0.5, 1.0, 2.0]}}


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


# ------------------------------------------------------------------ (f) bad spec inputs
GOOD = 'kind = "solve"\nmodel = "rf_ridge"\n[fixed]\npsi1 = 2.0\n[grid]\npsi2 = [0.5, 1.0]\n'
BAD = [
    ('colour = 1\n' + GOOD, "colour"),
    (GOOD.replace('"solve"', '"integrate"'), "kind"),
    (GOOD.replace('"rf_ridge"', '"no_such_model"'), "model"),
    (GOOD.replace("[0.5, 1.0]", '"0.2:3"'), "grid.psi2"),
    (GOOD.replace("[0.5, 1.0]", "[]"), "grid.psi2"),
    (GOOD.replace("[0.5, 1.0]", "{start = 1, stop = 2}"), "grid.psi2"),
    (GOOD.replace("[0.5, 1.0]", "{start = 0, stop = 2, num = 3, log = true}"), "grid.psi2"),
    (GOOD.replace("[0.5, 1.0]", "[0.5, -1.0]"), "grid.psi2"),
    (GOOD.replace("psi1 = 2.0", "psi9 = 2.0"), "fixed.psi9"),
    (GOOD.replace("psi1 = 2.0", "psi1 = -2.0"), "fixed.psi1"),
    (GOOD + "[options]\ntol = 2.0\n", "options.tol"),
    (GOOD + "[options]\ncolor = 1\n", "options.color"),
    (GOOD.replace('"solve"', '"curve"'), "vary"),
    ('vary = "psi1"\n' + GOOD, "vary"),
    (GOOD.replace('"solve"', '"simulate"') + "[simulate]\nseeds = 2\n", "simulate.d"),
    (GOOD.replace('"solve"', '"simulate"') + "[simulate]\nd = 50\nseeds = 0\n",
     "simulate.seeds"),
    (GOOD + "[simulate]\nd = 50\n", "simulate"),
    (GOOD + "points = 3\n", "points"),
    ("kind = \n", "spec"),  # not TOML
]


@pytest.mark.parametrize("text,key", BAD, ids=[k for _, k in BAD])
def test_bad_spec_one_line_exit_2_naming_file_and_key(tmp_path, capsys, text, key):
    spec = _write(tmp_path, "bad.toml", text)
    code = main(["sweep", str(spec), "--json"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(spec) in lines[0] and key in lines[0], lines[0]
    assert not (tmp_path / "bad.store").exists()  # nothing was created


def test_bad_yaml_and_missing_file(tmp_path, capsys):
    spec = _write(tmp_path, "bad.yaml", "kind: solve\nmodel: rf_ridge\ngrid:\n  psi2: oops\n")
    assert main(["sweep", str(spec)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(spec) in err[0] and "grid.psi2" in err[0]
    assert main(["sweep", str(tmp_path / "missing.toml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.toml" in err[0]
    with pytest.raises(InputError, match=r"spec <dict>: grid\.lam"):
        load_spec({**SOLVE, "grid": {"lam": "x"}})


def test_yaml_toml_and_dict_give_the_same_tasks(tmp_path):
    toml = _write(tmp_path, "s.toml", 'kind = "solve"\nmodel = "rf_ridge"\n[fixed]\npsi1 = 2\n'
                  '[grid]\nlam = [0.01, 0.1]\npsi2 = [0.5, 1.0, 2.0]\n')
    yaml = _write(tmp_path, "s.yaml", "kind: solve\nmodel: rf_ridge\nfixed: {psi1: 2.0}\n"
                  "grid:\n  lam: [0.01, 0.1]\n  psi2: [0.5, 1.0, 2.0]\n")
    a, b, c = (expand(load_spec(s)) for s in (toml, yaml, SOLVE))
    assert a == b == c  # psi1 = 2 (an int in TOML) is the real 2.0: one key per value
    assert len(a) == 6 and [t["params"]["psi2"] for t in a[:3]] == [0.5, 1.0, 2.0]
    assert load_spec(toml).store == tmp_path / "s.store"
    # grid forms: "start:stop:count" and {start, stop, num, log}
    g = load_spec({**SOLVE, "grid": {"psi2": "1:3:3", "lam": {"start": 0.01, "stop": 1,
                                                               "num": 3, "log": True}}}).grid
    assert g["psi2"] == [1.0, 2.0, 3.0]
    assert np.allclose(g["lam"], [0.01, 0.1, 1.0], rtol=1e-15)


# ------------------------------------------------------------------ serial runs and resume
def test_solve_sweep_equals_direct_solves_and_resumes(tmp_path):
    from theory.models import solve

    res = run_sweep(SOLVE, store=tmp_path / "s.store", progress=False)
    assert (res.total, res.skipped, res.computed, res.failed) == (6, 0, 6, [])
    df = res.frame()
    assert len(df) == 6 and df["converged"].all()
    for _, row in df.iterrows():
        direct = solve("rf_ridge", psi1=2.0, psi2=row["psi2"], lam=row["lam"], progress=False)
        assert row["test_error"] == direct.observables["test_error"]  # bitwise
        assert row["err_test_error"] == direct.observable_errors["test_error"]
    assert set(df["kind"]) == {"solve"} and df["code_version"].nunique() == 1
    assert (tmp_path / "s.store" / "results.parquet").exists()
    again = run_sweep(SOLVE, store=tmp_path / "s.store", progress=False)
    assert (again.skipped, again.computed) == (6, 0)
    # one more point: only it is computed
    more = {**SOLVE, "grid": {"lam": [0.01, 0.1], "psi2": [0.5, 1.0, 2.0, 3.0]}}
    third = run_sweep(more, store=tmp_path / "s.store", progress=False)
    assert (third.total, third.skipped, third.computed) == (8, 6, 2)


def test_curve_sweep_is_one_task_per_line(tmp_path):
    from theory.models import curve

    spec = {"kind": "curve", "model": "rf_ridge", "vary": "psi2", "fixed": {"psi1": 2.0},
            "grid": {"lam": [0.01, 0.1], "psi2": "0.2:3:15"}}
    res = run_sweep(spec, store=tmp_path / "c.store", progress=False)
    assert (res.total, res.computed) == (2, 2)
    df = res.frame()
    assert len(df) == 30
    for lam, part in df.groupby("lam", sort=False):
        c = curve("rf_ridge", "psi2", np.linspace(0.2, 3, 15), psi1=2.0, lam=lam,
                  strict=False)
        assert part["psi2"].tolist() == np.linspace(0.2, 3, 15).tolist()
        assert part["test_error"].tolist() == c.column("test_error").tolist()  # bitwise


def test_simulation_seeds_reproduce_the_multi_seed_simulator(tmp_path):
    from theory.simulate.dispatch import simulation_call

    spec = {"kind": "simulate", "model": "rf_ridge", "fixed": {"psi1": 2.0, "lam": 0.1},
            "grid": {"psi2": [0.5, 1.5]}, "simulate": {"d": 30, "seeds": 3, "first_seed": 4,
                                                       "n_test": 300}}
    res = run_sweep(spec, store=tmp_path / "m.store", progress=False)
    assert (res.total, res.computed) == (6, 6)
    summ = res.summary()
    assert len(summ) == 2 and summ["n"].tolist() == [3, 3]
    for _, row in summ.iterrows():
        call = simulation_call("rf_ridge", {"psi1": 2.0, "lam": 0.1, "psi2": row["psi2"]}, 30)
        sim = call.fn(**call.kwargs, n_test=300, seeds=3, first_seed=4)
        mean, se = sim.observables["test_error"]
        assert row["test_error"] == pytest.approx(mean, rel=1e-14, abs=0)
        assert row["se_test_error"] == pytest.approx(se, rel=1e-12, abs=0)


# ------------------------------------------------------------------ (e) retries, flags
def test_a_task_failing_once_is_retried_and_reported(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(FAULT_ENV, json.dumps({"match": {"psi2": 1.0}, "times": 1,
                                              "dir": str(tmp_path / "faults")}))
    spec = _write(tmp_path, "r.toml", 'kind = "solve"\nmodel = "rf_ridge"\n[fixed]\n'
                  'psi1 = 2.0\nlam = 0.1\n[grid]\npsi2 = [0.5, 1.0, 2.0]\n')
    assert main(["sweep", str(spec)]) == 0
    out, err = capsys.readouterr()
    assert "3 tasks: 0 skipped (in store), 3 computed" in out
    assert "retried: solve rf_ridge lam=0.1 psi1=2.0 psi2=1.0: 2 attempts" in out
    assert "injected fault" in out
    assert err.count("retrying (1 of 2)") == 1


def test_a_task_always_failing_is_reported_and_exit_1(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(FAULT_ENV, json.dumps({"match": {"psi2": 1.0}, "times": -1,
                                              "dir": str(tmp_path / "faults")}))
    spec = _write(tmp_path, "r.toml", 'kind = "solve"\nmodel = "rf_ridge"\n[fixed]\n'
                  'psi1 = 2.0\nlam = 0.1\n[grid]\npsi2 = [0.5, 1.0, 2.0]\n')
    assert main(["sweep", str(spec), "--json", "--retries", "1"]) == 1
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert (summary["total"], summary["computed"], summary["failed"]) == (3, 2, 1)
    assert summary["failures"][0]["task"]["params"]["psi2"] == 1.0
    lines = err.strip().splitlines()
    assert sum("failed after 2 attempts" in ln for ln in lines) == 1
    assert "1 task failed" in lines[-1]
    monkeypatch.delenv(FAULT_ENV)  # the cause is gone: a rerun computes only that task
    assert main(["sweep", str(spec), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["skipped"], summary["computed"], summary["failed"]) == (2, 1, 0)


def test_not_converged_points_are_rows_flagged_not_failures(tmp_path, capsys):
    spec = _write(tmp_path, "p.toml", 'kind = "solve"\nmodel = "perceptron"\n[grid]\n'
                  'alpha = [0.5, 1.0]\n[options]\nmax_evaluations = 2\n')
    assert main(["sweep", str(spec), "--json"]) == 1
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert (summary["computed"], summary["failed"], summary["not_converged"]) == (2, 0, 2)
    assert "2 points did not converge" in err and len(err.strip().splitlines()) == 1
    res = run_sweep(spec, progress=False)
    df = res.frame()
    assert (res.skipped, res.not_converged) == (2, 2)
    assert not df["converged"].any() and set(df["failure"]) == {"budget"}
    assert df["q"].isna().all() and df["bayes_error"].isna().all()  # never a number


# ------------------------------------------------------------------ CLI output
def test_cli_prints_what_was_done_and_json(tmp_path, capsys):
    spec = _write(tmp_path, "x.toml", 'kind = "solve"\nmodel = "rf_ridge"\n[fixed]\n'
                  'psi1 = 2.0\n[grid]\npsi2 = [0.5, 1.0]\n')
    assert main(["sweep", str(spec)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 tasks: 0 skipped (in store), 2 computed in ")
    assert out.rstrip().endswith(f"store {tmp_path / 'x.store'} (results.parquet)")
    assert main(["sweep", str(spec), "--json", "--store", str(tmp_path / "x.store")]) == 0
    out, err = capsys.readouterr()
    s = json.loads(out)
    assert (s["total"], s["skipped"], s["computed"], s["failed"]) == (2, 2, 0, 0)
    assert s["store"] == str(tmp_path / "x.store") and err == ""


def test_example_dry_run_plans_without_computing(tmp_path, capsys):
    store = tmp_path / "ex.store"
    spec = EXAMPLES / "rf_ridge_simulate.toml"
    assert main(["sweep", str(spec), "--store", str(store), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("25 tasks (simulate rf_ridge): 0 done (in store), 25 to do")
    assert not store.exists()
    assert main(["sweep", str(spec), "--store", str(store), "--dry-run", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert (plan["total"], plan["to_do"]) == (25, 25)
    assert {t["task"]["seed"] for t in plan["tasks"]} == set(range(5))


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.iterdir()))
def test_examples_are_valid_specs(name):
    spec = load_spec(EXAMPLES / name)
    assert expand(spec)


def test_corrupt_entry_is_one_line_exit_2(tmp_path, capsys):
    spec = _write(tmp_path, "x.toml", 'kind = "solve"\nmodel = "rf_ridge"\n[fixed]\n'
                  'psi1 = 2.0\n[grid]\npsi2 = [0.5, 1.0]\n')
    assert main(["sweep", str(spec), "--quiet"]) == 0
    capsys.readouterr()
    entry = sorted((tmp_path / "x.store" / "entries").glob("*.parquet"))[0]
    entry.write_bytes(entry.read_bytes()[:100])  # truncated
    assert main(["sweep", str(spec)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and entry.name in err[0]
    assert main(["sweep", str(spec), "--repair", "--json"]) == 0
    out, err = capsys.readouterr()
    s = json.loads(out)
    assert (s["skipped"], s["computed"]) == (1, 1)
    err = err.strip().splitlines()
    assert len(err) == 1 and "quarantine" in err[0] and entry.name in err[0]
    assert (tmp_path / "x.store" / "quarantine" / entry.name).exists()


def test_bad_executor_arguments():
    with pytest.raises(InputError, match="workers"):
        run_sweep(SOLVE, workers=0, dry_run=True)
    with pytest.raises(InputError, match="scheduler"):
        run_sweep(SOLVE, scheduler="localhost", dry_run=True)
    with pytest.raises(InputError, match="retries"):
        run_sweep(SOLVE, retries=-1, dry_run=True)


def test_simulation_that_does_not_fit_is_refused_before_anything(tmp_path, capsys):
    spec = _write(tmp_path, "big.toml", 'kind = "simulate"\nmodel = "rf_ridge"\n[fixed]\n'
                  'psi1 = 2.0\nlam = 0.1\n[grid]\npsi2 = [0.5, 1.0]\n[simulate]\nd = 100000\n')
    assert main(["sweep", str(spec)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "d=100000: needs ~" in err[0] and "GiB available" in err[0]
    assert not (tmp_path / "big.store").exists()
    assert main(["sweep", str(spec), "--dry-run"]) == 0  # the plan shows it
    assert "does NOT fit" in capsys.readouterr().out
