"""Theory values of the separability threshold for the LP simulations (gmmsim compares them).

NOT an independent reference: these numbers come from the code
(theory.models.gmm_separability.separability_threshold); the independent checks are
gmm_multi_separability_mp.py (K = 2) and the LP simulations. Run:
``PYTHONPATH=. python tests/reference/gmm_multi_separability_theory_make.py``.
"""

import json
from pathlib import Path

from theory.models.gmm_separability import separability_threshold

if __name__ == "__main__":
    rows = []
    for means in ("simplex", "orthonormal"):
        for Delta in (0.5, 1.0):
            for K in (2, 3, 4, 5):
                a = separability_threshold(K, Delta=Delta, means=means)
                rows.append({"K": K, "Delta": Delta, "means": means, "rho": None,
                             "alpha_star": float(a), "error": a.error})
                print(rows[-1], flush=True)
    Path(__file__).with_name("gmm_multi_separability_theory.json").write_text(json.dumps(
        {"source": "theory.models.gmm_separability.separability_threshold (the code; not an "
                   "independent reference)", "convention": "alpha = n/d, x = (mu_k + sqrt(Delta)"
                   " z)/sqrt(d), ||mu_k|| = 1, uniform weights, intercept included",
         "values": rows}, indent=1))
