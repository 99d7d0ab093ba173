"""Mei & Montanari (arXiv:1908.05355v5), Definition 1 + Theorem 1, written directly in mpmath.

Independent of ``theory`` (imports nothing from it): nu_1, nu_2 solved as complex numbers at
xi = i sqrt(psi1 psi2 lambda/mu_star^2) by ``mpmath.findroot``, then the polynomials
E0, E1, E2 of Definition 1. Used by the tests as the reference for the model ``rf_ridge``.
"""

import mpmath


def test_error(psi_1, psi_2, lam_, mu_1, mu_star, F_1=1, F_star=0, tau_=0, dps=50):
    """Theorem 1 of Mei & Montanari at ``dps`` digits, written directly with mpmath.

    Independent of the SymPy system above (the tests compare the two): nu_1, nu_2 at
    xi = i s by ``mpmath.findroot`` on the complex equations of Definition 1.
    """
    with mpmath.workdps(dps + 15):
        m = [mpmath.mpf(str(v)) for v in (psi_1, psi_2, lam_, mu_1, mu_star, F_1, F_star, tau_)]
        p1, p2, la, u1, us, f1, fs, ta = m
        z2 = (u1 / us) ** 2
        xi = 1j * mpmath.sqrt(p1 * p2 * la / us**2)

        def eqs(n1, n2):
            d = 1 - z2 * n1 * n2
            return [n1 - p1 / (-xi - n2 - z2 * n2 / d), n2 - p2 / (-xi - n1 - z2 * n1 / d)]

        s0 = mpmath.sqrt(p1 * p2 * la / us**2)
        # the branch of Definition 1 is Im nu > 0: reach it by (damped) iteration of the
        # equations from the upper half-plane, then polish with findroot
        n1, n2 = 1j * p1 / (s0 + 1), 1j * p2 / (s0 + 1)
        for _ in range(20000):
            d = 1 - z2 * n1 * n2
            m1 = p1 / (-xi - n2 - z2 * n2 / d)
            m2 = p2 / (-xi - n1 - z2 * n1 / d)
            step = max(abs(m1 - n1), abs(m2 - n2))
            n1, n2 = (n1 + m1) / 2, (n2 + m2) / 2
            if step < 1e-12:
                break
        n1, n2 = mpmath.findroot(eqs, [n1, n2])
        assert mpmath.im(n1) > 0 and mpmath.im(n2) > 0
        c = n1 * n2
        e0 = (-c**5 * z2**3 + 3 * c**4 * z2**2 + (p1 * p2 - p2 - p1 + 1) * c**3 * z2**3
              - 2 * c**3 * z2**2 - 3 * c**3 * z2 + (p1 + p2 - 3 * p1 * p2 + 1) * c**2 * z2**2
              + 2 * c**2 * z2 + c**2 + 3 * p1 * p2 * c * z2 - p1 * p2)
        e1 = p2 * c**3 * z2**2 - p2 * c**2 * z2 + p1 * p2 * c * z2 - p1 * p2
        e2 = (c**5 * z2**3 - 3 * c**4 * z2**2 + (p1 - 1) * c**3 * z2**3 + 2 * c**3 * z2**2
              + 3 * c**3 * z2 + (-p1 - 1) * c**2 * z2**2 - 2 * c**2 * z2 - c**2)
        r = f1**2 * e1 / e0 + (ta**2 + fs**2) * e2 / e0 + fs**2
    with mpmath.workdps(dps):
        return +mpmath.re(r)
