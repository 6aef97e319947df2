"""A keyword argument of an optimizer or scheduler (`Hyper`), and the one check of the
values given to them (`check_params`), shared by every optimizer and scheduler.

A Hyper is data read four ways: the catalogue (the page's controls), the request schema
(engine/request.py generates the pydantic models from it), the map's sweepable axes, and
the check.  Where PyTorch (or pytorch-optimizer) refuses a value, the Hyper holds its
words: `Hyper("lr", "float", 1e-3, ..., low=0.0, message="Invalid learning rate:
{value}")`.  `check_params` then runs, in this order:

1. torch's TypeError for a keyword the signature lacks, or for a required one left out;
2. the origin's checks, in the origin's order (the owner's `checks`): for a keyword, its
   type by kind and then its range (`low`/`high`/`choices`) with its `message`; for a
   function, what data cannot say (SGD's nesterov needs momentum and no dampening), read
   from keywords named before it;
3. every other keyword's type;
4. our own limits, for values the origin accepts but that make no sense here: numbers
   must be finite, a range without an origin's message (`low`/`high`) is ours, integers
   stay within 2**53 (beyond it they lose their meaning as floats).

So the first bad value of a request names itself as PyTorch would, and what PyTorch
would let through still gets a message that names the field.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

MAX_INT = 2 ** 53      # integers beyond this lose their meaning once turned into floats
MAX_LIST = 1000        # entries of an integer list such as milestones

Check = Callable[[dict], None]
KINDS = ("float", "int", "bool", "pair", "choice", "int_list", "optimizer", "schedulers")


class HyperparameterError(ValueError):
    """A value PyTorch (or we) would refuse.  `name` is the keyword, `message` the text."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


@dataclass(frozen=True)
class Hyper:
    """One keyword argument, as the catalogue, the schema and the check see it.

    kind: "float", "int", "bool", "pair" (two floats, e.g. betas), "choice" (one of
    `choices`), "int_list" (e.g. milestones), "optimizer" (lookahead's inner run),
    "schedulers" (SequentialLR's children).  `low`/`high` bound the valid values
    (`low_open`/`high_open` exclude the bound); `ui` is the range a slider offers, which
    may be narrower; `log` says the slider is best on a log scale.  `nullable`: None
    (JSON null) is valid (for a pair: its first element may be None).

    The origin's check: `message` is its text for a value outside the range or the
    choices (`{value}`; for a pair also `{index}` and `{nth}` = index + 1);
    `type_message` its text for a value of the wrong type, when it checks types itself
    (then an integer must be an int, not 5.0); `nan_passes` says its comparison lets NaN
    through (`lr < 0.0`, not torch's `not 0.0 <= lr`), so that our finiteness check
    answers instead.  `required`: the signature has no default.  `per_group`: a number,
    or a list with one per param group (torch's `_format_param`); `group_message` the
    origin's text for a list of another length (`{n}` values, `{groups}` param groups).
    """

    name: str
    kind: str
    default: Any
    doc: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    ui: tuple[float, float] | None = None
    log: bool = False
    choices: tuple | None = None
    nullable: bool = False
    doc_zh: str = ""
    message: str = ""
    type_message: str = ""
    nan_passes: bool = False
    required: bool = False
    per_group: bool = False
    group_message: str = ("{name} must have the same length as optimizer.param_groups. "
                          "{name} has {n} values, param_groups has {groups}.")

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Hyper {self.name}: unknown kind {self.kind!r}")

    def catalogue(self) -> dict:
        out = {"name": self.name, "type": self.kind, "default": _jsonable(self.default),
               "doc": self.doc, "doc_zh": self.doc_zh or self.doc, "log": self.log,
               "nullable": self.nullable}
        if self.low is not None:
            out["min"] = self.low
            out["min_open"] = self.low_open
        if self.high is not None:
            out["max"] = self.high
            out["max_open"] = self.high_open
        if self.ui is not None:
            out["ui"] = list(self.ui)
        if self.choices is not None:
            out["choices"] = list(self.choices)
        if self.required:
            out["required"] = True
        return out


def _jsonable(v):
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def check_params(owner: str, hypers: Iterable[Hyper], params: dict,
                 checks: tuple[str | Check, ...] = (), ignored: tuple[str, ...] = ()) -> dict:
    """Every keyword's value (the defaults filled in, JSON numbers made Python's), or
    HyperparameterError naming the first bad one.  `owner` is the class name torch's
    messages use; `checks` the origin's checks in its order (default: the keywords that
    have an origin's message, in signature order); `ignored` keywords torch takes that
    change nothing here (foreach, fused, ...)."""
    hypers = tuple(hypers)
    known = {h.name: h for h in hypers}
    for name in params:
        if name not in known and name not in ignored:
            raise HyperparameterError(
                name, f"{owner}.__init__() got an unexpected keyword argument '{name}'")
    missing = [h.name for h in hypers if h.required and h.name not in params]
    if missing:
        raise HyperparameterError(missing[0], missing_args_message(owner, missing))
    values = {h.name: params.get(h.name, h.default) for h in hypers}
    order = checks or tuple(h.name for h in hypers if h.message or h.type_message)
    seen = set()
    for entry in order:
        if callable(entry):
            entry(values)
        else:
            _origin(known[entry], values)
            seen.add(entry)
    for h in hypers:
        if h.name not in seen:
            _origin(h, values)
    for h in hypers:
        _ours(h, values[h.name])
    return values


def missing_args_message(owner: str, names: list[str]) -> str:
    """Python's own TypeError text for missing required arguments."""
    quoted = [f"'{n}'" for n in names]
    if len(quoted) == 1:
        listed = quoted[0]
    elif len(quoted) == 2:
        listed = f"{quoted[0]} and {quoted[1]}"
    else:
        listed = ", ".join(quoted[:-1]) + f", and {quoted[-1]}"
    s = "" if len(names) == 1 else "s"
    return f"{owner}.__init__() missing {len(names)} required positional argument{s}: {listed}"


# -- 2 and 3: the type by kind, then the origin's range --------------------------------------
def _origin(h: Hyper, values: dict) -> None:
    v = values[h.name]
    if h.per_group:
        v = _one_per_group(h, v)
    v = values[h.name] = _typed(h, v)
    if not h.message or v is None:
        return
    if h.kind == "choice":
        return                                  # _typed checked the choices, with message
    for index, x in _elements(h, v):
        if not _inside(h, x):
            raise HyperparameterError(h.name, h.message.format(value=x, index=index,
                                                               nth=index + 1))


def _one_per_group(h: Hyper, v: Any) -> Any:
    """torch's `_format_param` with one param group: [x] is x."""
    return per_group_values(h, v, 1)[0]


def per_group_values(h: Hyper, v: Any, groups: int) -> list:
    """A per-group keyword's value for each of `groups` param groups: a number for every
    group, or a list with one per group (else the origin's refusal)."""
    if not isinstance(v, (list, tuple)):
        return [v] * groups
    if len(v) != groups:
        raise HyperparameterError(h.name, h.group_message.format(name=h.name, n=len(v),
                                                                 groups=groups))
    return list(v)


def _typed(h: Hyper, v: Any) -> Any:
    """v as the kind wants it (ints for floats become floats), or the type's refusal."""
    kind = h.kind
    if kind in ("optimizer", "schedulers"):
        return v                                # the owner's code checks these
    if v is None and kind != "choice":
        if h.nullable and kind != "pair":
            return None
        raise _wrong(h, v, f"Invalid {h.name}: None (a value is required)")
    if kind == "float":
        if not _is_number(v):
            raise _wrong(h, v, f"Invalid {h.name}: expected a number, got {_describe(v)}")
        return float(v)
    if kind == "int":
        if is_int(v) or (not h.type_message and _is_integral_float(v)):
            return int(v)
        raise _wrong(h, v, f"Invalid {h.name}: expected an integer, got {_describe(v)}")
    if kind == "bool":
        if not isinstance(v, (bool, np.bool_)):
            raise _wrong(h, v, f"Invalid {h.name}: expected true or false, got {_describe(v)}")
        return bool(v)
    if kind == "pair":
        return _pair(h, v)
    if kind == "choice":
        if not any(v is c or (isinstance(v, str) and v == c) for c in h.choices or ()):
            if v is None and h.nullable:
                return None
            listed = ", ".join(repr(c) for c in h.choices or ())
            raise HyperparameterError(h.name, h.message.format(value=v) if h.message else
                                      f"Invalid {h.name}: {v!r} (must be one of {listed})")
        return v
    return _int_list(h, v)                      # the last of KINDS


def _pair(h: Hyper, v: Any) -> tuple:
    if not isinstance(v, (list, tuple)) or len(v) != 2:
        raise _wrong(h, v, f"Invalid {h.name}: expected a pair of numbers, got {_describe(v)}")
    out = []
    for i, x in enumerate(v):
        if x is None and i == 0 and h.nullable:
            out.append(None)
        elif _is_number(x):
            out.append(float(x))
        else:
            raise _wrong(h, v, f"Invalid {h.name}[{i}]: expected a number, got {_describe(x)}")
    return tuple(out)


def _int_list(h: Hyper, v: Any) -> list:
    if not isinstance(v, (list, tuple)):
        raise _wrong(h, v, f"Invalid {h.name}: expected a list of integers, got {_describe(v)}")
    if len(v) > MAX_LIST:
        raise HyperparameterError(h.name, f"Invalid {h.name}: {len(v)} entries (at most {MAX_LIST})")
    out = []
    for i, x in enumerate(v):
        if not (is_int(x) or _is_integral_float(x)):
            raise _wrong(h, v, f"Invalid {h.name}[{i}]: expected an integer, got {_describe(x)}")
        out.append(int(x))
    return out


def _wrong(h: Hyper, v: Any, ours: str) -> HyperparameterError:
    if h.type_message:
        return HyperparameterError(h.name, h.type_message.format(value=v, type=type(v)))
    return HyperparameterError(h.name, ours)


def _inside(h: Hyper, x: float) -> bool:
    if x is None:
        return True
    if h.nan_passes and x != x:
        return True
    if h.low is not None and not (h.low < x or (not h.low_open and h.low == x)):
        return False
    if h.high is not None and not (x < h.high or (not h.high_open and x == h.high)):
        return False
    return True


# -- 4: our limits -------------------------------------------------------------------------
def _ours(h: Hyper, v: Any) -> None:
    if v is None or h.kind not in ("float", "int", "pair", "int_list"):
        return
    if h.kind == "int_list":
        for i, x in enumerate(v):
            if abs(x) > MAX_INT:
                raise HyperparameterError(
                    h.name, f"Invalid {h.name}[{i}]: {x} (magnitude must be <= 2**53)")
        return
    for index, x in _elements(h, v):
        where = f"{h.name}[{index}]" if h.kind == "pair" else h.name
        if x is None:
            continue
        if h.kind == "int" and abs(x) > MAX_INT:
            raise HyperparameterError(h.name, f"Invalid {where}: {x} (magnitude must be <= 2**53)")
        if h.kind != "int" and not math.isfinite(x):
            raise HyperparameterError(h.name, f"Invalid {where}: {x} (must be finite)")
        if h.message:
            continue                            # the origin's range, checked in step 2
        if h.low is not None and (x < h.low or (h.low_open and x == h.low)):
            op = ">" if h.low_open else ">="
            raise HyperparameterError(h.name, f"Invalid {where}: {x} (must be {op} {_fmt(h.low)})")
        if h.high is not None and (x > h.high or (h.high_open and x == h.high)):
            op = "<" if h.high_open else "<="
            raise HyperparameterError(h.name, f"Invalid {where}: {x} (must be {op} {_fmt(h.high)})")


def _elements(h: Hyper, v: Any):
    return enumerate(v) if h.kind == "pair" else ((0, v),)


# -- helpers ---------------------------------------------------------------------------------
def is_int(v: Any) -> bool:
    """An int (not a bool), as torch's isinstance(v, int) checks mean it."""
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_integral_float(v: Any) -> bool:
    """5.0 for an integer: JSON has one number type."""
    return isinstance(v, (float, np.floating)) and math.isfinite(v) and float(v).is_integer()


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _describe(v: Any) -> str:
    if isinstance(v, str):
        return repr(v if len(v) <= 40 else v[:40] + "...")
    if isinstance(v, (list, tuple)):
        return f"a list of {len(v)}"
    if isinstance(v, dict):
        return "an object"
    if v is None or isinstance(v, (bool, np.bool_, numbers.Real)):
        return repr(v)
    return type(v).__name__


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else str(x)
