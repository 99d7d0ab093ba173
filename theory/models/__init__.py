"""Models of the literature, one file each (see :mod:`theory.models.base`).

Every module of this package is imported by :func:`load_all`, so adding a model is adding one
file with one ``@register``-ed class.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import MODELS, Curve, SolveResult, curve, get_model, register, solve

__all__ = ["MODELS", "Curve", "SolveResult", "curve", "get_model", "load_all", "register",
           "solve"]

_LOADED = False
_LOADING = False


def load_all() -> dict:
    """Import every model module of this package; return the registry.

    Returns
    -------
    dict {str: type}
        :data:`MODELS`: model name -> :class:`~theory.models.base.Model` subclass (the built-in
        models and every model registered since).
    """
    global _LOADED, _LOADING
    if not _LOADED and not _LOADING:  # a model module's register() calls this while loading
        _LOADING = True
        try:
            for info in pkgutil.iter_modules(__path__):
                if info.name not in ("base",) and not info.name.startswith("_"):
                    importlib.import_module(f"{__name__}.{info.name}")
            _LOADED = True
        finally:
            _LOADING = False
    return MODELS
