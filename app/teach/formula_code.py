"""A parsed formula as Python source, generated from the syntax tree (the typed text is
never pasted into code).

    torch_source(tree)  ->  "(1 - x)**2 + 100 * (y - x**2)**2"   with torch.sin, math.pi...
    plain_source(tree)  ->  the same in the formula grammar (sin, pi): for comments and labels

`torch_source` reproduces what the reference recorder computed: it evaluated the formula
as Python code on tensors, so parts made of numbers only are plain Python numbers (`2*pi*x`
multiplies x once by the float 2*pi, `x*2*pi` twice), every operator on a tensor is one
autograd node, and the tree's shape is kept exactly (parentheses are added wherever
Python's precedence would otherwise regroup).  A numbers-only part is written out as
Python arithmetic (math.sin, math.pi) when Python computes exactly the value our engine
folds (app.engine.expr.arith); otherwise (1/0, log(0), numpy's exp/log/tan rounding
differently from the C library's) as the folded number itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..engine.expr import arith
from ..engine.expr.nodes import Call, Name, Node, Num, Unary, fold

SUM, PROD, UNARY, POW, ATOM = 10, 20, 30, 40, 50
PREC = {"+": SUM, "-": SUM, "*": PROD, "/": PROD, "**": POW}
_MATH = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp,
         "log": math.log, "sqrt": math.sqrt, "tanh": math.tanh, "abs": abs}
# int ** int whose result would need more bits than this is not left to Python to compute
_MAX_POWER_BITS = 4096


@dataclass(frozen=True)
class Piece:
    text: str
    prec: int
    tensor: bool               # depends on x or y
    value: Any = None          # numbers only: what our engine folds it to (arith)
    python: Any = None         # numbers only: what Python computes from `text`


def _paren(p: Piece, need: bool) -> str:
    return f"({p.text})" if need else p.text


def _binary_text(op: str, a: Piece, b: Piece) -> str:
    p = PREC[op]
    if op == "**":
        return f"{_paren(a, a.prec <= POW)}**{_paren(b, b.prec < UNARY)}"
    # a unary right operand gets parentheses for the reader: "a - (-x)"
    return f"{_paren(a, a.prec < p)} {op} {_paren(b, b.prec <= p or b.prec == UNARY)}"


def _literal(v) -> Piece:
    """A number as Python source that evaluates to exactly `v`."""
    if isinstance(v, float) and math.isnan(v):
        text = "math.nan"
    elif isinstance(v, float) and math.isinf(v):
        text = "math.inf" if v > 0 else "-math.inf"
    else:
        text = repr(v)
    prec = UNARY if text.startswith("-") else ATOM
    return Piece(text, prec, False, v, v)


def _same(python, value) -> bool:
    if type(python) is not type(value):
        return False
    if isinstance(value, float):
        if math.isnan(value):
            return math.isnan(python)
        return python == value and math.copysign(1.0, python) == math.copysign(1.0, value)
    return python == value


def _python_binary(op: str, a, b):
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b
    if type(a) is int and type(b) is int and b > 0 and \
            b * max(1, abs(a).bit_length()) > _MAX_POWER_BITS:
        raise OverflowError("integer power too large")
    return a ** b


def _number(text: str, prec: int, value, compute) -> Piece:
    """A numbers-only piece: `text` if Python computes `value` from it, else a literal."""
    try:
        python = compute()
    except (ArithmeticError, ValueError, TypeError):
        return _literal(value)
    if _same(python, value):
        return Piece(text, prec, False, value, python)
    return _literal(value)


def _torch_combine(node: Node, kids: list) -> Piece:
    t = type(node)
    if t is Num:
        return _literal(node.value)
    if t is Name:
        if node.name in ("x", "y"):
            return Piece(node.name, ATOM, True)
        value = math.pi if node.name == "pi" else math.e
        return Piece(f"math.{node.name}", ATOM, False, value, value)
    if t is Unary:
        (a,) = kids
        if node.op == "+":
            return a                       # +tensor is the tensor, +number the number
        text = "-" + _paren(a, a.prec <= UNARY)
        if a.tensor:
            return Piece(text, UNARY, True)
        return _number(text, UNARY, arith.neg(a.value), lambda: -a.python)
    if t is Call:
        (a,) = kids
        if a.tensor:
            return Piece(f"torch.{node.func}({a.text})", ATOM, True)
        name = "abs" if node.func == "abs" else f"math.{node.func}"
        return _number(f"{name}({a.text})", ATOM, arith.FUNCS[node.func](a.value),
                       lambda: _MATH[node.func](a.python))
    a, b = kids
    text = _binary_text(node.op, a, b)
    prec = PREC[node.op]
    if a.tensor or b.tensor:
        return Piece(text, prec, True)
    return _number(text, prec, arith.BINARY[node.op](a.value, b.value),
                   lambda: _python_binary(node.op, a.python, b.python))


def _plain_combine(node: Node, kids: list) -> Piece:
    t = type(node)
    if t is Num:
        text = repr(node.value)
        return Piece(text, ATOM, False)
    if t is Name:
        return Piece(node.name, ATOM, node.name in ("x", "y"))
    if t is Unary:
        (a,) = kids
        return Piece(node.op + _paren(a, a.prec <= UNARY), UNARY, a.tensor)
    if t is Call:
        (a,) = kids
        return Piece(f"{node.func}({a.text})", ATOM, a.tensor)
    a, b = kids
    return Piece(_binary_text(node.op, a, b), PREC[node.op], a.tensor or b.tensor)


def torch_source(tree: Node) -> str:
    """Python source of the formula over tensors x and y (torch.*, math.*).  A formula
    without x and y comes out as a plain number expression."""
    return fold(tree, _torch_combine).text


def uses_variables(tree: Node) -> bool:
    return fold(tree, _torch_combine).tensor


def plain_source(tree: Node) -> str:
    """The formula in its own grammar, regenerated from the tree (parses back to it)."""
    return fold(tree, _plain_combine).text
