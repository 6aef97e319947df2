"""Tokens of the formula grammar.

Only ASCII is accepted: digits are [0-9] (never other scripts' digits, which Python's
float() would take), names are [A-Za-z_][A-Za-z0-9_]*, spaces and tabs separate tokens.
Anything else (line breaks, look-alike letters, brackets, commas outside calls, dots
that do not start a number...) is an error naming its column.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Iterator, NamedTuple

from .errors import FormulaError

NUM, NAME, OP, LPAR, RPAR, COMMA, END = "num", "name", "op", "(", ")", ",", "end"
_KINDS = {"name": NAME, "op": OP, "lpar": LPAR, "rpar": RPAR, "comma": COMMA}

_TOKEN = re.compile(
    r"""(?P<ws>[ \t]+)
      | (?P<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>\*\*|[-+*/])
      | (?P<lpar>\()
      | (?P<rpar>\))
      | (?P<comma>,)
    """, re.VERBOSE | re.ASCII)

_HINTS = {
    "^": " (write ** for a power)",
    "[": " (use ( ) for grouping)", "]": " (use ( ) for grouping)",
    "{": " (use ( ) for grouping)", "}": " (use ( ) for grouping)",
    ".": " (only numbers may contain a dot)",
    ";": " (one formula only)", "=": " (write the expression only, not an equation)",
}

# Numbers longer than this are refused before conversion (they could only be inf or
# a needless big integer).
MAX_NUMBER_CHARS = 400


class Token(NamedTuple):
    kind: str
    text: str
    col: int           # 1-based column of the first character
    value: object = None


def _describe(ch: str) -> tuple[str, str]:
    """How to show an unexpected character, and a hint about it."""
    if ch in "\n\r":
        return "line break", " (one line only)"
    if ord(ch) < 32 or ord(ch) == 127:
        return f"control character U+{ord(ch):04X}", ""
    if ord(ch) < 128:
        return repr(ch), _HINTS.get(ch, "")
    name = unicodedata.name(ch, "")
    return repr(ch), (f" (U+{ord(ch):04X}" + (f" {name}" if name else "")
                      + ": only ASCII letters, digits, spaces and + - * / ( ) are allowed)")


def _number(text: str, col: int) -> int | float:
    if len(text) > MAX_NUMBER_CHARS:
        raise FormulaError(f"number too long at column {col}", col)
    if "." in text or "e" in text or "E" in text:
        value = float(text)
    else:
        value = int(text)
        try:
            float(value)
        except OverflowError:
            value = math.inf
    if value == math.inf:
        raise FormulaError(f"number too large at column {col}", col)
    return value


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`, ending with an END token at column len(text) + 1."""
    return list(iter_tokens(text))


def iter_tokens(text: str) -> Iterator[Token]:
    """The tokens of `text` one at a time (a parser that stops at the first error never
    scans the rest), ending with an END token at column len(text) + 1."""
    pos, n = 0, len(text)
    match = _TOKEN.match
    while pos < n:
        m = match(text, pos)
        if m is None:
            shown, hint = _describe(text[pos])
            raise FormulaError(f"unexpected {shown} at column {pos + 1}{hint}", pos + 1)
        kind = m.lastgroup
        tok = m.group()
        col = pos + 1
        end = m.end()
        if kind == "num":
            if end < n and text[end] in "eE.":
                # "1e", "1e+", "2ex", "1.2.3": Python refuses these too.
                stop = end + 1
                if stop < n and text[stop] in "+-":
                    stop += 1
                raise FormulaError(f"malformed number '{text[pos:stop][:40]}' at column {col}",
                                   col)
            yield Token(NUM, tok, col, _number(tok, col))
        elif kind != "ws":
            yield Token(_KINDS[kind], tok, col)
        pos = end
    yield Token(END, "", n + 1)
