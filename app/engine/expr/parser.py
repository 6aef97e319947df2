"""The parser: operator precedence with explicit stacks (no recursion, so no input can
exhaust Python's stack), Python's precedence and associativity:

    expr   := expr ('+' | '-') term | term
    term   := term ('*' | '/') unary | unary
    unary  := ('-' | '+') unary | power
    power  := atom ['**' unary]                      (right-associative: a**b**c = a**(b**c))
    atom   := number | x | y | pi | e | func '(' expr ')' | '(' expr ')'

so -x**2 == -(x**2), 2**-x is allowed and -a*b == (-a)*b, as in Python.

Limits: `max_length` characters, and `max_depth` levels of nesting, counting open
parentheses (groups and function calls), pending signs and pending '**' exponents (long
chains of + - * / do not nest: a sum of many terms is fine).
"""

from __future__ import annotations

from .errors import FormulaError
from .nodes import CONSTANTS, FUNCTIONS, VARIABLES, Binary, Call, Name, Node, Num, Unary
from .tokenizer import COMMA, END, LPAR, NAME, NUM, OP, RPAR, iter_tokens

DEFAULT_MAX_LENGTH = 2000
DEFAULT_MAX_DEPTH = 100

# operator -> (precedence, right-associative)
_BINARY = {"+": (10, False), "-": (10, False), "*": (20, False), "/": (20, False),
           "**": (40, True)}
_UNARY_PREC = 30          # between * and **: -x**2 == -(x**2), -x*y == (-x)*y

_NAME_HINTS = {
    "ln": "use log for the natural logarithm", "X": "variables are x and y",
    "Y": "variables are x and y", "Pi": "write pi", "PI": "write pi", "E": "write e",
    "pow": "write a**b", "power": "write a**b", "arcsin": "not available",
    "sqr": "write x**2", "exp2": "write 2**x", "fabs": "write abs(x)",
}


def _clip(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _show(tok) -> str:
    return "end of formula" if tok.kind == END else f"'{_clip(tok.text)}'"


def _unknown_name(tok) -> FormulaError:
    hint = _NAME_HINTS.get(tok.text)
    if hint is None and tok.text.lower() in VARIABLES + CONSTANTS + FUNCTIONS:
        hint = f"names are lower case: {tok.text.lower()}"
    suffix = f" ({hint})" if hint else ""
    return FormulaError(f"unknown name '{_clip(tok.text)}' at column {tok.col}{suffix}",
                        tok.col)


class _Frame:
    """An open parenthesis: its column, the function it calls (or None for a group),
    and the operators and operands pending inside it."""
    __slots__ = ("col", "func", "func_col", "ops", "args")

    def __init__(self, col: int, func: str | None = None, func_col: int = 0):
        self.col, self.func, self.func_col = col, func, func_col
        self.ops: list = []      # (op, precedence, right_assoc, col, is_unary)
        self.args: list = []     # operands


def _reduce_one(frame: _Frame) -> None:
    op, _, _, col, unary = frame.ops.pop()
    if unary:
        frame.args.append(Unary(op, frame.args.pop(), col))
    else:
        right = frame.args.pop()
        frame.args.append(Binary(op, frame.args.pop(), right, col))


def _close(frame: _Frame) -> Node:
    while frame.ops:
        _reduce_one(frame)
    return frame.args.pop()


def parse(text: str, max_length: int | None = DEFAULT_MAX_LENGTH,
          max_depth: int | None = DEFAULT_MAX_DEPTH) -> Node:
    """The syntax tree of `text`, or FormulaError(message, column)."""
    if not isinstance(text, str):
        raise FormulaError("the formula must be text", 1)
    if max_length is not None and len(text) > max_length:
        raise FormulaError(f"formula too long: {len(text)} characters "
                           f"(limit {max_length})", max_length + 1)
    if not text.strip(" \t"):
        raise FormulaError("empty formula", 1)
    limit = max_depth if max_depth is not None else float("inf")

    frames = [_Frame(0)]
    depth = 0                    # open frames + pending signs and '**' over all frames
    want_operand = True
    tokens = iter_tokens(text)
    prev = None
    for tok in tokens:
        frame = frames[-1]
        kind = tok.kind
        if want_operand:
            if kind == NUM:
                frame.args.append(Num(tok.value, tok.text, tok.col))
                want_operand = False
            elif kind == NAME:
                name = tok.text
                if name in FUNCTIONS:
                    nxt = next(tokens)
                    if nxt.kind != LPAR:
                        raise FormulaError(f"{name} needs parentheses, like {name}(x), at "
                                           f"column {tok.col}", tok.col)
                    depth += 1
                    if depth > limit:
                        raise _too_deep(nxt.col, limit)
                    frames.append(_Frame(nxt.col, name, tok.col))
                    tok = nxt
                elif name in VARIABLES or name in CONSTANTS:
                    frame.args.append(Name(name, tok.col))
                    want_operand = False
                else:
                    raise _unknown_name(tok)
            elif kind == LPAR:
                depth += 1
                if depth > limit:
                    raise _too_deep(tok.col, limit)
                frames.append(_Frame(tok.col))
            elif kind == OP and tok.text in ("-", "+"):
                depth += 1
                if depth > limit:
                    raise _too_deep(tok.col, limit)
                frame.ops.append((tok.text, _UNARY_PREC, True, tok.col, True))
            elif kind == RPAR and frame.func is not None and prev is not None \
                    and prev.kind == LPAR:
                raise FormulaError(f"{frame.func} takes one argument at column {tok.col}",
                                   tok.col)
            elif kind == END:
                raise FormulaError(f"unexpected end of formula at column {tok.col}", tok.col)
            else:
                raise FormulaError(f"unexpected {_show(tok)} at column {tok.col}", tok.col)
        else:
            if kind == OP:
                prec, right = _BINARY[tok.text]
                ops = frame.ops
                while ops and (ops[-1][1] > prec or (ops[-1][1] == prec and not right)):
                    if ops[-1][4] or ops[-1][0] == "**":
                        depth -= 1
                    _reduce_one(frame)
                if right:
                    depth += 1
                    if depth > limit:
                        raise _too_deep(tok.col, limit)
                ops.append((tok.text, prec, right, tok.col, False))
                want_operand = True
            elif kind == RPAR:
                if len(frames) == 1:
                    raise FormulaError(f"unexpected ')' at column {tok.col}", tok.col)
                depth -= 1 + sum(1 for o in frame.ops if o[4] or o[0] == "**")
                node = _close(frames.pop())
                if frame.func is not None:
                    node = Call(frame.func, node, frame.func_col)
                frames[-1].args.append(node)
            elif kind == END:
                if len(frames) > 1:
                    col = frames[-1].col
                    raise FormulaError(f"expected ')' to close '(' at column {col}", col)
                return _close(frame)
            elif kind == COMMA:
                if frame.func is not None:
                    raise FormulaError(f"{frame.func} takes one argument at column "
                                       f"{tok.col}", tok.col)
                raise FormulaError(f"unexpected ',' at column {tok.col}", tok.col)
            else:
                raise FormulaError(f"unexpected {_show(tok)} at column {tok.col} (write * "
                                   f"for a product, e.g. 2*x)", tok.col)
        prev = tok
    raise FormulaError("unexpected end of formula", len(text) + 1)  # pragma: no cover


def _too_deep(col: int, limit) -> FormulaError:
    return FormulaError(f"formula nested too deeply at column {col} (limit {limit} "
                        f"levels)", col, too_deep=True)
