"""Progress of long work on stderr: points done / total, rate and time left (tqdm).

Shown only when stderr is a terminal (and not in ``--json`` mode: the commands pass
``enabled=False``); a pipe or a log file gets nothing, so machine output stays clean.
"""

from __future__ import annotations

import sys

__all__ = ["ProgressBar", "progress_bar"]


class ProgressBar:
    """A ``progress(done, total)`` callable drawing a tqdm bar on stderr.

    Parameters
    ----------
    label : str
        Text before the bar.
    total : int or None, optional
        Number of units (points, seeds, tasks); the first call may give it instead.
    enabled : bool or None, optional
        None (default): only when stderr is a terminal. False: silent.
    unit : str, optional
        Name of a unit ("point", "seed", "task").

    Notes
    -----
    Use as ``bar(done, total)`` (absolute counts, as :func:`theory.curve` and the simulators
    call it) or ``bar.advance(k)``; ``bar.close()`` (or the ``with`` block) ends the line.
    """

    def __init__(self, label: str, total: int | None = None, *, enabled: bool | None = None,
                 unit: str = "point"):
        self.label, self.total, self.unit = label, total, unit
        self.enabled = sys.stderr.isatty() if enabled is None else bool(enabled)
        self._bar = None

    def _ensure(self, total):
        if self._bar is None and self.enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total if total is not None else self.total,
                             desc=self.label, unit=self.unit, file=sys.stderr,
                             dynamic_ncols=True, leave=True)
        return self._bar

    def __call__(self, done: int, total: int | None = None) -> None:
        bar = self._ensure(total)
        if bar is None:
            return
        if total is not None and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)
        if bar.total is not None and done >= bar.total:
            self.close()

    def advance(self, k: int = 1) -> None:
        """Count ``k`` more units done.

        Parameters
        ----------
        k : int, optional
            Units finished since the last call.
        """
        bar = self._ensure(None)
        if bar is not None:
            bar.update(k)

    def write(self, text: str) -> None:
        """A line on stderr that does not break the bar.

        Parameters
        ----------
        text : str
            The line.
        """
        if self._bar is not None:
            self._bar.write(text, file=sys.stderr)
        else:
            sys.stderr.write(text.rstrip("\n") + "\n")

    def close(self) -> None:
        """End the bar's line (idempotent)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def progress_bar(label: str, total: int | None = None, *, enabled: bool | None = None,
                 unit: str = "point") -> ProgressBar:
    """A :class:`ProgressBar` (see there).

    Parameters
    ----------
    label : str
    total : int or None, optional
    enabled : bool or None, optional
    unit : str, optional

    Returns
    -------
    ProgressBar
    """
    return ProgressBar(label, total, enabled=enabled, unit=unit)
