"""Rows of the authors' own theory curves (published output, not code), for the K = 2 tests.

Source: IdePHICS/GaussMixtureProject @ 8a1e1e7df9b60e0f5467af3391c72be8a24f418b,
``K2mix/data/theory/*.csv`` (written by their damped-Picard solver, ``K2mix/saddle_point``).
Their file names read ``<loss>_<penalty>_rho=<p1>_delta1=<D1>_delta2=<D2>_lamb=<lam>_prob=<P(y=1)>``:
``rho`` is the fraction of the first block of the covariance (``BlockModel``: blocks
``p1:D1, (1 - p1):D2``, dense means), ``prob`` the class probability (identified by solving all
four readings and matching V, m, q to 1e-9; SPEC.md's "hinge rho = 0.8" is this block
fraction). Columns kept: loss, penalty, lambda, probability, sample_complexity, V, m, q, b,
test_error, train_loss. Their hinge ``get_train_loss`` omits a factor sqrt(q) (E[(1 - V - u)_+]
= sqrt(q) E[(A - Z)_+], A = (1 - V - m - b)/sqrt(q); the code returns E[(A - Z)_+]): the test
multiplies it back.

Run: python tests/reference/gmm_binary_authors_csv.py /path/to/GaussMixtureProject
  -> gmm_binary_authors_csv.json (every 12th row of each file).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

COMMIT = "8a1e1e7df9b60e0f5467af3391c72be8a24f418b"
FILES = {
    "logistic_l2_rho=1_delta1=0.5_delta2=0.1_lamb=0.01_prob=0.5": [(1.0, 0.5)],
    "hinge_l2_rho=0.8_delta1=0.5_delta2=0.1_lamb=0.1_prob=0.5": [(0.8, 0.5), (0.2, 0.1)],
    "ridge_rho=0.5_delta1=0.1_delta2=0.5_lamb=0.01_prob=0.5": [(0.5, 0.1), (0.5, 0.5)],
    "lasso_rho=0.5_delta1=0.1_delta2=0.5_lamb=0.01_prob=0.5": [(0.5, 0.1), (0.5, 0.5)],
}


def main(repo: str) -> int:
    out = []
    for name, blocks in FILES.items():
        txt = subprocess.run(["git", "-C", repo, "show", f"{COMMIT}:K2mix/data/theory/{name}.csv"],
                             capture_output=True, text=True, check=True).stdout
        rows = list(csv.DictReader(io.StringIO(txt)))
        for row in rows[1::12]:
            out.append({"file": name, "blocks": blocks,
                        **{k: (v if k in ("loss", "penalty") else float(v))
                           for k, v in row.items()}})
    Path(__file__).with_suffix(".json").write_text(json.dumps(
        {"source": f"IdePHICS/GaussMixtureProject@{COMMIT} K2mix/data/theory",
         "script": "tests/reference/gmm_binary_authors_csv.py", "rows": out}, indent=1))
    print(len(out), "rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
