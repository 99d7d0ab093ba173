"""Reference records of rf_convex at gamma = 2 (through the separability threshold
alpha_sep = 2.54), computed with the independent solver of ``rf_convex_reference.py``
(helper h5: scipy quad + brentq, no ``theory`` import), generic start.

Run: ``python tests/reference/rf_convex_gamma2.py`` -> ``rf_convex_reference_gamma2.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import rf_convex_reference as R  # noqa: E402

OUT = HERE / "rf_convex_reference_gamma2.json"
POINTS = [dict(loss=loss, alpha=alpha, lam=lam, Delta=0.0) for lam in (1e-5, 1e-6)
          for loss in ("logistic", "hinge") for alpha in (2.3, 2.8)]


def main():
    records = json.loads(OUT.read_text()) if OUT.exists() else []
    done = {(r["loss"], r["alpha"], r["lam"]) for r in records}
    for p in POINTS:
        if (p["loss"], p["alpha"], p["lam"]) in done:
            continue
        rec = R.run_point(p, [], gamma=2.0, log=lambda *a: print(*a, file=sys.stderr))
        records.append(rec)
        OUT.write_text(json.dumps(records, indent=1) + "\n")


if __name__ == "__main__":
    main()
