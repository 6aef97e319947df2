"""Type checks that run before torch's own value checks.

torch's constructors assume numbers where numbers are due (`0.0 <= lr` on a string raises
a TypeError deep inside); a request must instead get a message naming the field.  These
helpers refuse the wrong *type*; each optimizer's `validate` then gives torch's (or
pytorch-optimizer's) exact message for a wrong *value*.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .base import HyperparameterError

_NUMBER_TYPES = (numbers.Real, np.ndarray)


def _is_number(v: Any) -> bool:
    return isinstance(v, _NUMBER_TYPES) and not isinstance(v, (bool, np.bool_))


def number(group: dict, name: str, *, nullable: bool = False) -> None:
    """A real number (or a (B, 1) array of them, for a sweep map)."""
    v = group[name]
    if v is None and nullable:
        return
    if not _is_number(v):
        raise HyperparameterError(name, f"{name} must be a number, not {_type_name(v)}")


def integer(group: dict, name: str, *, nullable: bool = False) -> None:
    """An integer; an integral float such as 5.0 (JSON has one number type) becomes 5."""
    v = group[name]
    if v is None and nullable:
        return
    if isinstance(v, float) and v.is_integer():
        group[name] = int(v)
        return
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        raise HyperparameterError(name, f"{name} must be an integer, not {_type_name(v)}")
    group[name] = int(v)


def flag(group: dict, name: str) -> None:
    v = group[name]
    if not isinstance(v, (bool, np.bool_)):
        raise HyperparameterError(name, f"{name} must be true or false, not {_type_name(v)}")
    group[name] = bool(v)


def pair(group: dict, name: str, *, first_nullable: bool = False) -> None:
    """Two numbers, e.g. betas; `first_nullable` lets the first one be None (Adafactor's eps)."""
    v = group[name]
    if isinstance(v, list):
        v = tuple(v)
    if not isinstance(v, tuple) or len(v) != 2:
        raise HyperparameterError(name, f"{name} must be a pair of numbers, not {_type_name(v)}")
    for i, x in enumerate(v):
        if x is None and i == 0 and first_nullable:
            continue
        if not _is_number(x):
            raise HyperparameterError(
                name, f"{name}[{i}] must be a number, not {_type_name(x)}")
    group[name] = tuple(float(x) if isinstance(x, numbers.Real) else x for x in v)


def reject_flags(torch_name: str, params: dict, accepted: tuple[str, ...]) -> None:
    """torch's TypeError for an implementation flag this class does not take (the base
    class accepts and ignores foreach / fused / capturable / differentiable)."""
    for name in ("foreach", "fused", "capturable", "differentiable"):
        if name in params and name not in accepted:
            raise HyperparameterError(
                name, f"{torch_name}.__init__() got an unexpected keyword argument '{name}'")


def choice(group: dict, name: str, choices: tuple, message: str) -> None:
    v = group[name]
    if not any(v is c or (isinstance(v, str) and v == c) for c in choices):
        raise HyperparameterError(name, message)


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, (bool, np.bool_)):
        return "a boolean"
    if isinstance(v, str):
        return f"the string {v!r}"
    if isinstance(v, (list, tuple)):
        return f"a list of {len(v)}"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def kinds(hypers, group: dict) -> None:
    """Refuse a value of the wrong type in any field, by its Hyper kind, before torch's
    value checks run."""
    for h in hypers:
        if h.kind == "float":
            number(group, h.name, nullable=h.nullable)
        elif h.kind == "int":
            integer(group, h.name, nullable=h.nullable)
        elif h.kind == "bool":
            flag(group, h.name)
        elif h.kind == "pair":
            pair(group, h.name)
