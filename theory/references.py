"""Bibliography: key -> paper (authors, title, arXiv id with the version the code follows).

Code that implements an equation cites ``REFERENCES[key]`` and the equation number, e.g.
``# Cui et al. 2024 (arXiv:2402.04980v2), eq. (12)``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Reference", "REFERENCES"]


@dataclass(frozen=True)
class Reference:
    """A paper the code implements.

    Parameters
    ----------
    key : str
        Short key, e.g. ``"meimontanari2019"``.
    authors : str
        Authors' surnames.
    title : str
        Title.
    year : int
        Year.
    arxiv : str
        arXiv id with the version the code follows, e.g. ``"1908.05355v5"``.
    """

    key: str
    authors: str
    title: str
    year: int
    arxiv: str  # with version, e.g. "2402.04980v2"

    def cite(self, where: str = "") -> str:
        """The citation as one line.

        Parameters
        ----------
        where : str, optional
            Equation, section or theorem cited, appended after a comma.

        Returns
        -------
        str
            ``"Authors (year), Title, arXiv:id[, where]"``.

        Examples
        --------
        >>> REFERENCES["meimontanari2019"].cite("Definition 1")[:27]
        'Mei, Montanari (2019), The '
        """
        out = f"{self.authors} ({self.year}), {self.title}, arXiv:{self.arxiv}"
        return f"{out}, {where}" if where else out


REFERENCES: dict[str, Reference] = {
    r.key: r
    for r in [
        Reference(
            "dandi2023",
            "Dandi, Krzakala, Loureiro, Pesce, Stephan",
            "How two-layer neural networks learn, one (giant) step at a time",
            2023,
            "2305.18270v3",
        ),
        Reference(
            "abbe2023",
            "Abbe, Boix-Adsera, Misiakiewicz",
            "SGD learning on neural networks: leap complexity and saddle-to-saddle dynamics",
            2023,
            "2302.11055v2",
        ),
        Reference(
            "cui2024",
            "Cui, Pesce, Dandi, Krzakala, Lu, Zdeborova, Loureiro",
            "Asymptotics of feature learning in two-layer networks after one gradient-step",
            2024,
            "2402.04980v2",
        ),
        Reference(
            "meimontanari2019",
            "Mei, Montanari",
            "The generalization error of random features regression: precise asymptotics "
            "and double descent curve",
            2019,
            "1908.05355v5",
        ),
        Reference(
            "gerace2020",
            "Gerace, Loureiro, Krzakala, Mezard, Zdeborova",
            "Generalisation error in learning with random features and the hidden manifold model",
            2020,
            "2002.09339v2",
        ),
        Reference(
            "goldt2020",
            "Goldt, Loureiro, Reeves, Krzakala, Mezard, Zdeborova",
            "The Gaussian equivalence of generative models for learning with shallow neural networks",
            2020,
            "2006.14709v3",
        ),
    ]
}
