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


def register(subclass):
    r"""Class decorator: add a Loss, Penalty or Channel subclass to its registry by ``name``.

    Parameters
    ----------
    subclass : type
        A subclass of :class:`Loss`, :class:`Penalty` or :class:`Channel` with a non-empty
        ``name``.

    Returns
    -------
    type
        ``subclass`` itself, now found by :func:`get_loss` / :func:`get_penalty` /
        :func:`get_channel` under its name.

    Raises
    ------
    InputError
        Not such a subclass, or an empty ``name``.
    """
    for base, reg in _KINDS:
        if isinstance(subclass, type) and issubclass(subclass, base) and subclass is not base:
            if not subclass.name:
                raise InputError("name", subclass.name,
                                 f"a non-empty name for {subclass.__qualname__}")
            reg[subclass.name] = subclass
            return subclass
    raise InputError("subclass", subclass, "a subclass of Loss, Penalty or Channel")


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
    r"""A :class:`Loss` from a registry name (``"huber"``, ``"huber(delta=0.5)"``), a subclass
    or an instance.

    Parameters
    ----------
    spec : str, type or Loss
        A registered name with optional numeric parameters ``name(k=v, ...)``, a Loss
        subclass (instantiated with its defaults) or a Loss instance (returned as is).

    Returns
    -------
    Loss
        The loss.

    Raises
    ------
    InputError
        Unknown name or parameter (names the ``loss`` parameter and the registered names).

    Examples
    --------
    >>> from theory.losses import get_loss
    >>> get_loss("huber(delta=0.5)")
    huber(delta=0.5)
    """
    return _get(spec, Loss, LOSSES, "loss")


def get_penalty(spec) -> Penalty:
    r"""A :class:`Penalty` from a registry name, subclass or instance (see :func:`get_loss`).

    Parameters
    ----------
    spec : str, type or Penalty
        A registered name (``"l2"``, ``"l1"``) with optional ``(k=v, ...)``, a Penalty
        subclass or instance.

    Returns
    -------
    Penalty
        The penalty.

    Raises
    ------
    InputError
        Unknown name or parameter (names the ``penalty`` parameter).
    """
    return _get(spec, Penalty, PENALTIES, "penalty")


def get_channel(spec) -> Channel:
    r"""A :class:`Channel` (teacher) from a registry name, subclass or instance.

    Parameters
    ----------
    spec : str, type or Channel
        A registered name (``"linear"``, ``"sign"``, ``"tanh"``) with optional ``(k=v, ...)``,
        a Channel subclass or instance.

    Returns
    -------
    Channel
        The teacher channel.

    Raises
    ------
    InputError
        Unknown name or parameter (names the ``teacher`` parameter).
    """
    return _get(spec, Channel, CHANNELS, "teacher")
