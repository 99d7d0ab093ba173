"""Reference for spectrum='empirical' when round(beta d)/d != beta: the finite-d system with the
realised ratio p/d in every beta factor.

Independent of ``theory``: the empirical-form solver of the review reference
(``spiked_rf_review_float.solve_empirical``, NumPy/SciPy only) at beta = p/d; at (d, beta) =
(5, 0.5) the sampled W has p = round(2.5) = 2 rows, the same W as (5, 0.4) (same seed, same p),
so the realised-ratio system is exactly ``solve_empirical(5, 0.4, seed)``.

Run: nice -n 10 python tests/reference/spiked_rf_empirical_realised.py
(-> spiked_rf_empirical_realised.json)
"""
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import spiked_rf_review_float as R  # noqa: E402

ROWS = [(5, 0.5, 0), (7, 0.5, 1)]


def main():
    out = []
    for d, beta, seed in ROWS:
        p = round(beta * d)
        b_eff = p / d
        e2, _ = R.solve_empirical(d, b_eff, seed, 200)
        e3, res = R.solve_empirical(d, b_eff, seed, 300)
        out.append({"d": d, "beta": beta, "p": p, "beta_realised": b_eff, "seed": seed,
                    **R.EMP_PARAMS, "test_error": e3, "spread_n200_n300": abs(e3 - e2),
                    "residual": res})
        print(d, beta, p, e3, abs(e3 - e2), res, flush=True)
    pathlib.Path(__file__).with_suffix(".json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
