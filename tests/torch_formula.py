"""A formula of the app as PyTorch computes it: the reference's own way (Python operators
on tensors and Python numbers, torch functions on tensors), for differential tests."""

from __future__ import annotations

import math
import operator

from app.engine.expr import parse
from app.engine.expr.nodes import Binary, Call, Name, Num, Unary, fold

OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
             "**": operator.pow}


def torch_function(torch, text: str):
    """f(x, y) -> a 0-dim tensor, for tensors (or elements of one) x and y."""
    tree = parse(text)

    def f(x, y):
        names = {"x": x, "y": y, "pi": math.pi, "e": math.e}

        def combine(node, kids):
            t = type(node)
            if t is Num:
                return node.value
            if t is Name:
                return names[node.name]
            if t is Unary:
                return -kids[0] if node.op == "-" else +kids[0]
            if t is Binary:
                return OPERATORS[node.op](kids[0], kids[1])
            assert t is Call
            return getattr(torch, node.func)(kids[0])

        return fold(tree, combine)

    return f
