"""LaTeX for a formula: "(1 - x)**2 + 100*(y - x**2)**2" becomes
"(1 - x)^{2} + 100 (y - x^{2})^{2}".

Conventions: products by juxtaposition (a \\cdot before a factor that starts with a digit),
\\frac{a}{b} for division, base^{exponent}, e^{u} for exp(u), \\sqrt{u}, \\left| u \\right|,
\\ln for the natural logarithm, \\sin^{2}(u) for sin(u)**2, \\pi, and the parentheses the
structure needs (those typed around a whole fraction or operand are dropped when not needed).
"""

from __future__ import annotations

import re

from .nodes import Call, Name, Node, Num, Unary, fold

# precedence classes of a rendered piece
SUM, NEG, PROD, FRAC, POW, ATOM = 1, 2, 3, 4, 5, 6

_FUNC = {"sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "tanh": r"\tanh", "log": r"\ln"}
_NUMBER = re.compile(r"^([0-9]*)\.?([0-9]*)(?:[eE]([+-]?[0-9]+))?$")


def number(text: str) -> tuple[str, int]:
    """A literal as LaTeX: ".5" -> "0.5", "1e-3" -> "10^{-3}", "2.5E4" -> "2.5 \\cdot 10^{4}"."""
    m = _NUMBER.match(text)
    if m is None:
        return text, ATOM
    whole, frac, exp = m.groups()
    mant = (whole or "0") + ("." + frac if frac else "")
    if exp is None:
        return mant, ATOM
    power = f"10^{{{int(exp)}}}"
    if mant in ("1", "1.0"):
        return power, POW
    return f"{mant} \\cdot {power}", PROD


def _paren(piece: tuple[str, int], below: int) -> str:
    s, p = piece
    if p < below:
        return r"\left(" + s + r"\right)" if p == FRAC else "(" + s + ")"
    return s


def _combine(node: Node, kids: list) -> tuple[str, int]:
    t = type(node)
    if t is Num:
        return number(node.text or repr(node.value))
    if t is Name:
        return (r"\pi", ATOM) if node.name == "pi" else (node.name, ATOM)
    if t is Unary:
        inner = _paren(kids[0], PROD)
        return node.op + inner, NEG
    if t is Call:
        (arg, _), f = kids[0], node.func
        if f == "exp":
            return f"e^{{{arg}}}", POW
        if f == "sqrt":
            return f"\\sqrt{{{arg}}}", ATOM
        if f == "abs":
            return f"\\left|{arg}\\right|", ATOM
        return f"{_FUNC[f]}({arg})", ATOM
    left, right = kids
    op = node.op
    if op == "+":
        return f"{left[0]} + {_paren(right, PROD)}", SUM
    if op == "-":
        return f"{left[0]} - {_paren(right, PROD)}", SUM
    if op == "*":
        a = left[0] if left[1] == FRAC else _paren(left, NEG)
        b = right[0] if right[1] == FRAC else _paren(right, PROD)
        # a product that starts with a sign reads as a signed term: keep it in parentheses
        # where a signed term would be (a + (-x y))
        return a + (r" \cdot " if b[:1].isdigit() else " ") + b, \
            NEG if a.startswith("-") else PROD
    if op == "/":
        return f"\\frac{{{left[0]}}}{{{right[0]}}}", FRAC
    # a power: base^{exponent}
    exponent, base = right[0], node.left
    if type(base) is Call and base.func in _FUNC:
        name = _FUNC[base.func]
        if type(node.right) is Num and right[1] == ATOM and "." not in exponent:
            return f"{name}^{{{exponent}}}" + left[0][len(name):], POW     # \sin^{2}(u)
        return f"\\left({left[0]}\\right)^{{{exponent}}}", POW
    if left[1] == ATOM:
        return f"{left[0]}^{{{exponent}}}", POW
    if left[1] == FRAC or type(base) is Call:
        return f"\\left({left[0]}\\right)^{{{exponent}}}", POW
    return f"({left[0]})^{{{exponent}}}", POW


def to_latex(node: Node) -> str:
    return fold(node, _combine)[0]
