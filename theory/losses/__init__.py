r"""Losses, penalties and teacher channels: one file and one class each.

A new loss is one file in this package holding one subclass of :class:`Loss` with a ``name``
(it is found by :func:`get_loss` and so by ``rf_convex(loss="name")`` and the CLI's
``loss=name``), or an instance of a subclass defined anywhere, passed directly
(``solve("rf_convex", loss=MyLoss())``). Parameters of a registered loss are given as
``"huber(delta=0.5)"``. The same holds for penalties (:class:`Penalty`, :func:`get_penalty`)
and teacher channels (:class:`Channel`, :func:`get_channel`).

Built in: losses ``square``, ``logistic``, ``hinge``, ``huber``, ``squared_hinge``,
``exponential``; penalties ``l2``, ``l1``; channels ``linear``, ``sign``, ``tanh``.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from ..errors import InputError
from .base import V, Channel, Loss, Penalty, newton_prox, newton_prox_mp, omega, y, z

__all__ = ["Loss", "Penalty", "Channel", "LOSSES", "PENALTIES", "CHANNELS", "get_loss",
           "get_penalty", "get_channel", "register", "newton_prox", "newton_prox_mp", "y", "z",
           "omega", "V"]

LOSSES: dict = {}
PENALTIES: dict = {}
CHANNELS: dict = {}

_KINDS = ((Loss, LOSSES), (Penalty, PENALTIES), (Channel, CHANNELS))


def register(cls):
    """Class decorator: add a Loss, Penalty or Channel subclass to its registry by ``name``."""
    for base, reg in _KINDS:
        if isinstance(cls, type) and issubclass(cls, base) and cls is not base:
            if not cls.name:
                raise InputError("name", cls.name, f"a non-empty name for {cls.__qualname__}")
            reg[cls.name] = cls
            return cls
    raise InputError("cls", cls, "a subclass of Loss, Penalty or Channel")


def _load():
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base":
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        for obj in vars(mod).values():
            if (isinstance(obj, type) and obj.__module__ == mod.__name__
                    and issubclass(obj, (Loss, Penalty, Channel)) and obj.name):
                register(obj)


_load()

_SPEC = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$")


def _get(spec, base, reg, what):
    if isinstance(spec, base):
        return spec
    if isinstance(spec, type) and issubclass(spec, base):
        return spec()
    m = _SPEC.match(spec) if isinstance(spec, str) else None
    if m is None or m.group(1) not in reg:
        raise InputError(what, spec, f"one of {sorted(reg)} (parameters as name(k=v)), or a "
                         f"{base.__name__} instance")
    kw = {}
    for part in filter(None, (s.strip() for s in (m.group(2) or "").split(","))):
        k, _, v = part.partition("=")
        try:
            kw[k.strip()] = float(v)
        except ValueError:
            raise InputError(what, spec, "name(k=v, ...) with numeric v") from None
    cls = reg[m.group(1)]
    bad = set(kw) - set(cls.params)
    if bad:
        raise InputError(what, spec, f"parameters of {cls.name}: {list(cls.params)}")
    return cls(**kw)


def get_loss(spec) -> Loss:
    """A :class:`Loss` from a registry name (``"huber"``, ``"huber(delta=0.5)"``), a subclass
    or an instance.

    Raises
    ------
    InputError
        Unknown name or parameter (names the ``loss`` parameter and the registered names).
    """
    return _get(spec, Loss, LOSSES, "loss")


def get_penalty(spec) -> Penalty:
    """A :class:`Penalty` from a registry name, subclass or instance (see :func:`get_loss`)."""
    return _get(spec, Penalty, PENALTIES, "penalty")


def get_channel(spec) -> Channel:
    """A :class:`Channel` (teacher) from a registry name, subclass or instance."""
    return _get(spec, Channel, CHANNELS, "teacher")
