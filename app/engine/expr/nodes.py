"""The syntax tree of a formula, and iterative walks over it (trees can be deep: a sum
of a thousand terms is a left-leaning chain a thousand nodes tall, so nothing here
recurses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, TypeVar, Union

FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh")
VARIABLES = ("x", "y")
CONSTANTS = ("pi", "e")
OPERATORS = ("+", "-", "*", "/", "**")


@dataclass(frozen=True, slots=True)
class Num:
    """A number as written: `value` is a Python int for integer literals ("2"), a float
    otherwise ("2.0", ".5", "1e-3"), as Python itself would read it."""
    value: Union[int, float]
    text: str = field(default="", compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Name:
    """x, y, pi or e."""
    name: str
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Unary:
    op: str            # "-" or "+"
    operand: "Node"
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Binary:
    op: str            # one of OPERATORS
    left: "Node"
    right: "Node"
    col: int = field(default=0, compare=False)   # column of the operator


@dataclass(frozen=True, slots=True)
class Call:
    func: str          # one of FUNCTIONS
    arg: "Node"
    col: int = field(default=0, compare=False)   # column of the function's name


Node = Union[Num, Name, Unary, Binary, Call]


def children(node: Node) -> tuple:
    if type(node) is Binary:
        return (node.left, node.right)
    if type(node) is Unary:
        return (node.operand,)
    if type(node) is Call:
        return (node.arg,)
    return ()


def postorder(root: Node) -> Iterator[Node]:
    """Every node once per occurrence, children before parents, left before right: the
    order in which Python evaluates the expression."""
    stack: list = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        kids = children(node)
        if expanded or not kids:
            yield node
        else:
            stack.append((node, True))
            for kid in reversed(kids):
                stack.append((kid, False))


T = TypeVar("T")


def fold(root: Node, combine: Callable[[Node, list], T]) -> T:
    """Bottom-up evaluation without recursion: combine(node, [results of children])."""
    results: list = []
    for node in postorder(root):
        k = len(children(node))
        if k:
            args = results[-k:]
            del results[-k:]
        else:
            args = []
        results.append(combine(node, args))
    return results[0]


def size(root: Node) -> int:
    return sum(1 for _ in postorder(root))


def height(root: Node) -> int:
    return fold(root, lambda node, kids: 1 + max(kids, default=0))


def uses(root: Node) -> frozenset:
    """The variables the formula mentions."""
    return frozenset(n.name for n in postorder(root)
                     if type(n) is Name and n.name in VARIABLES)


def to_text(root: Node) -> str:
    """A canonical, fully parenthesised text that parses back to the same tree."""
    def combine(node, kids):
        t = type(node)
        if t is Num:
            return node.text or repr(node.value)
        if t is Name:
            return node.name
        if t is Unary:
            return f"({node.op}{kids[0]})"
        if t is Binary:
            return f"({kids[0]} {node.op} {kids[1]})"
        return f"{node.func}({kids[0]})"
    return fold(root, combine)
