"""``theory compare`` / :func:`theory.sweep.compare.compare`: theory against simulation.

* :func:`compare_table` on hand-made frames: the z-scores against a recomputation with
  :mod:`statistics` (sample standard deviation, ddof = 1), failed seeds and non-converged theory
  points, rows of other comparisons in the same store ignored.
* bad input: one :class:`InputError` (CLI: one line, exit 2) before anything runs.
* end to end (rf_ridge at d = 200, 4 seeds, 3 values of psi2): the z-scores against an
  independent recomputation from the stores' per-seed rows (read with pandas from the Parquet
  files), the theory column against Mei & Montanari's Theorem 1 solved independently at 30
  digits (tests/reference/mei_montanari.py), the figure's metadata, and a rerun that computes
  nothing.
"""

from __future__ import annotations

import json
import math
import statistics

import numpy as np
import pandas as pd
import pytest

from theory.errors import InputError
from theory.sweep.compare import Z_FLAG, compare_table, format_table

X = [0.5, 1.0, 2.0]


def _frames():
    theory = pd.DataFrame({"alpha": X + [1.0], "psi1": [2.0, 2.0, 2.0, 3.0],
                           "test_error": [1.0, 0.5, 0.25, 77.0],
                           "converged": [True, True, False, True]})
    sim = []
    vals = {0.5: [1.1, 0.9, 1.3, 1.05], 1.0: [0.52, 0.47, 0.55, 9e9], 2.0: [0.3, 0.2, 0.25, 0.27]}
    for a, vs in vals.items():
        for seed, v in enumerate(vs):
            sim.append({"alpha": a, "psi1": 2.0, "seed": seed, "test_error": v,
                        "converged": not (a == 1.0 and seed == 3)})
    sim.append({"alpha": 0.5, "psi1": 3.0, "seed": 0, "test_error": 50.0, "converged": True})
    sim.append({"alpha": 0.5, "psi1": 2.0, "seed": 9, "test_error": 40.0, "converged": True})
    return theory, pd.DataFrame(sim), vals


def test_table_z_scores_against_statistics():
    theory, sim, vals = _frames()
    t = compare_table(theory, sim, vary="alpha", values=X, observable="test_error",
                      fixed={"psi1": 2.0}, seeds=4)
    assert t["alpha"].tolist() == X
    # alpha = 0.5: all four seeds (seed 9 and the psi1 = 3 row are other runs)
    v = vals[0.5]
    se = statistics.stdev(v) / math.sqrt(4)
    assert t.loc[0, "sim_mean"] == pytest.approx(statistics.fmean(v), rel=1e-14)
    assert t.loc[0, "sim_se"] == pytest.approx(se, rel=1e-13)
    assert t.loc[0, "z"] == pytest.approx((statistics.fmean(v) - 1.0) / se, rel=1e-12)
    assert t.loc[0, "seeds"] == 4 and bool(t.loc[0, "converged"])
    # alpha = 1.0: seed 3 failed (its 9e9 never enters), three seeds left
    v = vals[1.0][:3]
    se = statistics.stdev(v) / math.sqrt(3)
    assert t.loc[1, "z"] == pytest.approx((statistics.fmean(v) - 0.5) / se, rel=1e-12)
    assert t.loc[1, "seeds"] == 3 and not bool(t.loc[1, "converged"])
    # alpha = 2.0: the theory did not converge: no value, no z-score
    assert math.isnan(t.loc[2, "theory"]) and math.isnan(t.loc[2, "z"])
    assert t.loc[2, "sim_mean"] == pytest.approx(statistics.fmean(vals[2.0]), rel=1e-14)
    assert not bool(t.loc[2, "converged"])
    text = format_table(t, "alpha", "test_error")
    assert len(text.splitlines()) == 4 and "nan" in text.splitlines()[3]


def test_flag_threshold_is_three():
    assert Z_FLAG == 3.0


def test_table_with_no_rows_yet():
    t = compare_table(pd.DataFrame(), pd.DataFrame(), vary="alpha", values=X, seeds=4)
    assert t["seeds"].tolist() == [0, 0, 0] and not t["converged"].any()
    assert np.isnan(t["z"]).all()


def test_table_refuses_a_missing_observable():
    theory, sim, _ = _frames()
    with pytest.raises(InputError, match="observable"):
        compare_table(theory, sim, vary="alpha", values=X, observable="train_loss")


# ------------------------------------------------------------------ bad input, before running
@pytest.mark.parametrize("kwargs, param", [
    ({"model": "no_such_model"}, "model"),
    ({"model": "gardner"}, "model"),           # no finite-size simulator
    ({"vary": "nope"}, "vary"),
    ({"values": "1:2:0"}, "vary"),             # parse_grid: count >= 1
    ({"values": [1.0, 1.0]}, "values"),
    ({"values": [1.0, float("inf")]}, "values"),
    ({"seeds": 1}, "seeds"),
    ({"d": 0}, "d"),
    ({"observable": "no_such"}, "observable"),
    ({"values": [-1.0, 1.0]}, "psi2"),          # the model's own check
])
def test_bad_input_refused_before_running(kwargs, param, tmp_path):
    from theory.sweep.compare import compare

    args = {"model": "rf_ridge", "vary": "psi2", "values": [0.5, 1.0], "d": 50, "seeds": 2}
    args.update(kwargs)
    with pytest.raises(InputError) as exc:
        compare(args.pop("model"), args.pop("vary"), args.pop("values"), out=tmp_path / "o",
                psi1=2.0, **args)
    assert exc.value.param == param, str(exc.value)
    assert not (tmp_path / "o").exists()  # refused before anything was created


# ------------------------------------------------------------------ end to end (rf_ridge)
PSI2 = [0.5, 1.75, 3.0]
FIXED = {"psi1": 2.0, "lam": 1e-3}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from theory.sweep.compare import compare

    out = tmp_path_factory.mktemp("cmp")
    table = compare("rf_ridge", "psi2", PSI2, d=200, seeds=4, out=out, theory_points=9,
                    progress=False, **FIXED)
    return out, table


def _entries(store):
    return sorted(p.name for p in (store / "entries").glob("*.parquet"))


def test_z_scores_against_the_stores_and_mei_montanari(run):
    from reference import mei_montanari as mm

    out, table = run
    # the per-seed rows, read from the store's Parquet files with pandas alone
    rows = pd.concat([pd.read_parquet(f) for f in (out / "simulation.store" / "entries")
                      .glob("*.parquet")], ignore_index=True)
    assert len(rows) == 12 and sorted(set(rows["seed"])) == [0, 1, 2, 3]
    u1, us = mm.activation_constants("relu", dps=30)
    for i, x in enumerate(PSI2):
        vals = rows.loc[np.isclose(rows["psi2"], x), "test_error"].tolist()
        assert len(vals) == 4
        mean, se = statistics.fmean(vals), statistics.stdev(vals) / 2.0
        theory = float(mm.test_error(2.0, x, 1e-3, u1, us, dps=30))  # Theorem 1, 30 digits
        assert table.loc[i, "theory"] == pytest.approx(theory, rel=1e-9)
        assert table.loc[i, "sim_mean"] == pytest.approx(mean, rel=1e-13)
        assert table.loc[i, "sim_se"] == pytest.approx(se, rel=1e-12)
        assert table.loc[i, "z"] == pytest.approx((mean - theory) / se, rel=1e-8)
        assert abs(table.loc[i, "z"]) < 5  # d = 200 agrees with d -> infinity within noise
    assert table["converged"].all() and table["seeds"].tolist() == [4, 4, 4]
    # the csv is the table
    csv = pd.read_csv(out / "compare.csv")
    assert np.allclose(csv["z"], table["z"], rtol=1e-15, atol=0)


def test_figure_metadata_has_the_fixed_parameters(run):
    from PIL import Image

    out, table = run
    img = Image.open(out / "compare.png")
    meta = json.loads(img.text["theory_spec"])
    assert meta["compare"]["fixed"] == FIXED and meta["compare"]["d"] == 200
    assert meta["compare"]["values"] == PSI2
    assert meta["theory_spec"]["kind"] == "curve" and meta["simulation_spec"]["kind"] == \
        "simulate"
    assert "psi1=2" in img.text["Title"] and "lam=0.001" in img.text["Title"]
    code = set(pd.read_parquet(next((out / "simulation.store" / "entries").glob("*.parquet")))
               ["code_version"])
    assert img.text["theory_code"] in code


def test_rerun_computes_nothing(run):
    from theory.sweep.compare import compare

    out, table = run
    before = {s: _entries(out / s) for s in ("theory.store", "simulation.store")}
    again = compare("rf_ridge", "psi2", PSI2, d=200, seeds=4, out=out, theory_points=9,
                    progress=False, **FIXED)
    assert again.attrs["theory"]["computed"] == 0 and again.attrs["simulation"]["computed"] == 0
    assert again.attrs["simulation"]["skipped"] == 12 and again.attrs["theory"]["skipped"] == 1
    assert {s: _entries(out / s) for s in before} == before
    pd.testing.assert_frame_equal(again, table)


def test_cli_table_json_and_bad_input(run, capsys):
    from theory.cli import main

    out, table = run
    argv = ["compare", "rf_ridge", "psi1=2", "lam=1e-3", "--vary", "psi2=0.5,1.75,3",
            "--d", "200", "--seeds", "4", "--theory-points", "9", "--out", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "|z| <= 3 at every point" in text
    assert "simulation 0 computed, 12 from the store" in text
    lines = [l.split() for l in text.splitlines() if l.strip() and l.split()[0] in
             ("0.5", "1.75", "3")]
    assert [float(l[4]) for l in lines] == pytest.approx(table["z"].round(2).tolist(), abs=0.006)
    assert main([*argv, "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert [r["z"] for r in js["rows"]] == pytest.approx(table["z"].tolist(), rel=1e-12)
    assert js["flagged"] == [] and js["fixed"] == FIXED
    for bad, word in ((["compare", "gardner", "--vary", "kappa=0:1:3", "--d", "10"], "model"),
                      (["compare", "nope", "--vary", "a=0:1:3", "--d", "10"], "model"),
                      (["compare", "rf_ridge", "--vary", "psi2=1:2:0", "--d", "10"], "vary"),
                      (["compare", "rf_ridge", "--vary", "psi2", "--d", "10"], "vary")):
        assert main(bad) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and word in err, err


def test_d_too_large_is_one_line_before_any_allocation(capsys, tmp_path):
    pytest.importorskip("theory.simulate.resources")
    from theory.cli import main

    rc = main(["compare", "rf_ridge", "psi1=2", "--vary", "psi2=1,2", "--d", "100000",
               "--seeds", "2", "--out", str(tmp_path / "big")])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "GiB" in err, err
    assert not (tmp_path / "big").exists()


def test_interrupted_sweep_is_one_line_exit_130(monkeypatch, capsys, tmp_path):
    import types

    import theory.sweep as sweep
    from theory.cli import main

    def interrupted(spec, **kw):  # what run_sweep returns after Ctrl-C: the kept tasks
        return types.SimpleNamespace(interrupted=True, skipped=2, computed=3, total=9,
                                     failed=[])

    monkeypatch.setattr(sweep, "run_sweep", interrupted)
    rc = main(["compare", "rf_ridge", "--vary", "psi2=1,2", "--d", "20", "--seeds", "2",
               "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc == 130 and len(err.splitlines()) == 1, err
    assert "5 of 9 theory tasks kept" in err and "rerun the same command to resume" in err


def test_cli_on_a_dask_scheduler_gives_the_serial_table(run, tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    from theory.cli import main

    out, table = run
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        argv = ["compare", "rf_ridge", "psi1=2", "lam=1e-3", "--vary", "psi2=0.5,1.75,3",
                "--d", "200", "--seeds", "4", "--theory-points", "9", "--out",
                str(tmp_path / "dask"), "--scheduler", cluster.scheduler_address, "--json"]
        assert main(argv) == 0
    js = json.loads(capsys.readouterr().out)
    assert js["simulation"]["computed"] == 12 and js["theory"]["computed"] == 1
    assert [r["z"] for r in js["rows"]] == pytest.approx(table["z"].tolist(), rel=1e-12)
    assert [r["theory"] for r in js["rows"]] == pytest.approx(table["theory"].tolist(),
                                                              rel=1e-15)
