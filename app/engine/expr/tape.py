"""Lowering a syntax tree to a straight-line program ("tape") with PyTorch's operations.

The reference evaluated the formula as Python code on tensors: numbers-only parts are
plain Python numbers (so `2*pi*x` multiplies x by the float 2*pi once, while `x*2*pi`
multiplies twice), and every operator on a tensor is one autograd node, recorded in
Python's evaluation order (left operand, right operand, operator).  The tape keeps
exactly those nodes, in that order, so a reverse sweep over it accumulates gradients in
the order PyTorch's engine does (it runs nodes in reverse creation order).

Slots 0 and 1 hold x and y; instruction k writes slot k + 2.  An instruction is
(opcode, a, b): `a` is always a slot; `b` is a slot, a number or None by opcode:

  add sub mul div pow      a, b slots           a+b  a-b  a*b  a/b  a**b
  addc subc mulc divc      a slot, b number     a+b  a-b  a*b  a/b
  rsubc                    a slot, b number     b - a            (torch.rsub)
  recip                    a slot               1/a              (c/a is recip then mulc,
                                                                  as Tensor.__rtruediv__)
  powc                     a slot, b number     a**b             (torch.pow(Tensor, Scalar))
  rpowc                    a slot, b number     b**a             (torch.pow(Scalar, Tensor))
  neg sin cos tan exp log sqrt abs tanh    a slot
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import arith as num
from .errors import FormulaError
from .nodes import Binary, Call, Name, Node, Num, Unary, postorder

X, Y = 0, 1
UNARY_OPS = ("neg", "recip", "sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh")

BINARY_OPS = ("add", "sub", "mul", "div", "pow")      # the opcodes with two slot inputs
_SLOT_SLOT = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}
_SLOT_NUM = {"+": "addc", "-": "subc", "*": "mulc", "/": "divc", "**": "powc"}


@dataclass(frozen=True)
class Tape:
    code: tuple            # ((opcode, a, b), ...)
    out: int | None        # slot of the result; None when the formula is a number
    constant: float        # the value when out is None
    uses_x: bool
    uses_y: bool

    @property
    def n_slots(self) -> int:
        return len(self.code) + 2


class _Slot(int):
    """A slot index (distinguished from a folded number, which is a plain int/float)."""


def lower(root: Node) -> Tape:
    """The tape of the tree; FormulaError where PyTorch would not compute what Python
    computes: an integer too large to fold exactly (arith.MAX_INT_BITS), or one that a
    tensor cannot take (beyond 64 bits: torch raises OverflowError)."""
    code: list = []
    stack: list = []

    def emit(op, a, b=None) -> _Slot:
        code.append((op, int(a), b if not isinstance(b, _Slot) else int(b)))
        return _Slot(len(code) + 1)

    for node in postorder(root):
        t = type(node)
        if t is Num:
            stack.append(node.value)
        elif t is Name:
            if node.name == "x":
                stack.append(_Slot(X))
            elif node.name == "y":
                stack.append(_Slot(Y))
            else:
                stack.append(math.pi if node.name == "pi" else math.e)
        elif t is Unary:
            a = stack.pop()
            if node.op == "-":
                stack.append(emit("neg", a) if isinstance(a, _Slot) else num.neg(a))
            else:
                stack.append(a)        # +tensor is the tensor itself; +number the number
        elif t is Call:
            a = stack.pop()
            stack.append(emit(node.func, a) if isinstance(a, _Slot)
                         else num.NUMBER_FUNCS[node.func](a))
        elif t is Binary:
            b = stack.pop()
            a = stack.pop()
            op = node.op
            sa, sb = isinstance(a, _Slot), isinstance(b, _Slot)
            if sa and sb:
                stack.append(emit(_SLOT_SLOT[op], a, b))
            elif sa:
                stack.append(emit(_SLOT_NUM[op], a, _tensor_scalar(b, node)))
            elif sb:
                stack.append(_number_then_slot(emit, op, _tensor_scalar(a, node), b))
            else:
                stack.append(_folded(op, a, b, node))
        else:  # pragma: no cover
            raise TypeError(f"not a formula node: {node!r}")
    (result,) = stack
    used = {a for _, a, _ in code} | {b for op, _, b in code if op in BINARY_OPS}
    if isinstance(result, _Slot):
        used.add(int(result))
        return Tape(tuple(code), int(result), math.nan, X in used, Y in used)
    # a surface that is a number is still a tensor of x (0 * x + c) in PyTorch
    return Tape((), None, float(_tensor_scalar(result, root)), False, False)


def _folded(op: str, a, b, node: Binary):
    try:
        return num.BINARY[op](a, b)
    except num.IntegerTooLarge:
        raise FormulaError(
            f"integer too large at column {node.col}: {_operands(op, a, b)} is an integer of "
            f"more than {num.MAX_INT_BITS} bits, which Python would compute exactly "
            f"(and PyTorch could not use): write one of its numbers as a float, such as "
            f"2.0 for 2, to compute in floating point", node.col) from None


def _operands(op: str, a, b) -> str:
    return f"{_short(a)} {op} {_short(b)}"


def _short(v) -> str:
    if type(v) is int and v.bit_length() > 64:
        return f"(an integer of {v.bit_length()} bits)"
    return repr(v)


def _tensor_scalar(v, node: Node):
    """`v` where it meets a tensor: PyTorch takes an int only within 64 bits."""
    if type(v) is int and not num.TENSOR_INT_MIN <= v <= num.TENSOR_INT_MAX:
        col = getattr(node, "col", 0) or 1
        raise FormulaError(
            f"integer too large for a tensor at column {col}: PyTorch combines a tensor "
            f"with integers from -2**63 to 2**64 - 1 only (torch raises OverflowError for "
            f"{_short(v)}): write the number as a float, such as 1e20 for 10**20", col)
    return v


def _number_then_slot(emit, op: str, c, s: _Slot) -> _Slot:
    """c <op> tensor, as Python's reflected operators on a tensor compute it."""
    if op == "+":
        return emit("addc", s, c)            # Tensor.__radd__: s + c
    if op == "*":
        return emit("mulc", s, c)            # Tensor.__rmul__: s * c
    if op == "-":
        return emit("rsubc", s, c)           # Tensor.__rsub__: torch.rsub(s, c) = c - s
    if op == "/":
        return emit("mulc", emit("recip", s), c)   # Tensor.__rtruediv__: s.reciprocal() * c
    return emit("rpowc", s, c)               # Tensor.__rpow__: torch.pow(c, s)


def gradient_plan(tape: Tape):
    """Where each instruction's input gradients go, processing the tape backwards as
    PyTorch's engine does (latest node first; a node's first input before its second).

    Returns (targets, x_terms, y_terms, size): targets[k] = (ga, gb) for instruction k,
    x_terms / y_terms the slots of the uses of x / y in the order their gradients reach
    x / y (PyTorch adds them up in that order), size the number of gradient slots."""
    size = tape.n_slots
    targets: list = [None] * len(tape.code)
    terms: tuple[list, list] = ([], [])
    for k in range(len(tape.code) - 1, -1, -1):
        op, a, b = tape.code[k]
        pair = []
        for slot in ((a, b) if op in BINARY_OPS else (a,)):
            if slot < 2:
                terms[slot].append(size)
                pair.append(size)
                size += 1
            else:
                pair.append(slot)
        targets[k] = (pair[0], pair[1] if len(pair) > 1 else -1)
    if tape.out is not None and tape.out < 2:
        terms[tape.out].append(tape.out)       # the formula is x (or y) itself
    return targets, terms[0], terms[1], size
