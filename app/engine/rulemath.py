r"""Update rules as typeset math: the LaTeX lines of an optimizer or scheduler
(`rule_tex`) -> MathML, which browsers render natively (MathML Core), with no script and
no font download.  Converted once per process (the catalogue is built once).

A rule line: 4 spaces of indent per level, then an optional keyword and a colon, then
TeX.  Keywords are words the page translates (KEYWORDS); the TeX holds only symbols and
PyTorch names, so one rule serves every language.  Lines whose keyword introduces a
list (input, initialize, state) are split at top-level commas into several formulas, so
the page can wrap a long list between them.

A note (`rule_note`, `rule_note_zh`) is prose with $inline TeX$, turned into segments:
[{"text": "..."}, {"mathml": "<math>...</math>"}, ...].
"""

from __future__ import annotations

import inspect
import re
import xml.etree.ElementTree as ET
from functools import lru_cache

from latex2mathml.converter import convert

KEYWORDS = ("input", "initialize", "state", "for", "foreach", "if", "elif", "else", "every",
            "return", "where")
LISTS = ("input", "initialize", "state")
INDENT = 4
MATHML_NS = "http://www.w3.org/1998/Math/MathML"

_KEYWORD = re.compile(r"([a-z]+):\s*(.*)")
_TEXTTT = re.compile(r"\\texttt\{([^{}]*)\}")
_CHAR_REF = re.compile(r"&#x([0-9A-Fa-f]+);")
_KEEP_ESCAPED = {"&", "<", ">", '"', "'"}


def _plain_chars(xml: str) -> str:
    """&#x003B8; -> θ: a third of the size, the same XML (markup characters stay escaped)."""
    def one(m: re.Match) -> str:
        ch = chr(int(m.group(1), 16))
        return m.group(0) if ch in _KEEP_ESCAPED or ch == "\xa0" else ch
    return _CHAR_REF.sub(one, xml)


class RuleError(ValueError):
    """A rule line that does not convert (a typo in a module's rule_tex)."""


@lru_cache(maxsize=4096)
def to_mathml(tex: str, displaystyle: bool = False) -> str:
    """One formula as a <math> element; checked to be well-formed XML.  `displaystyle`:
    full-size fractions and sums, on a line of its own (the formula stays inline)."""
    try:
        out = _plain_chars(convert(tex))
        if displaystyle:
            out = out.replace(' display="inline"', ' display="inline" displaystyle="true"', 1)
        ET.fromstring(out)
    except Exception as e:  # latex2mathml raises its own types; name the formula
        raise RuleError(f"cannot typeset {tex!r}: {e}") from e
    return out


def split_top(tex: str) -> list[str]:
    """Split at commas outside (), {}, []."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(tex):
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(tex[start:i])
            start = i + 1
    out.append(tex[start:])
    return [p.strip() for p in out if p.strip()]


def parse_line(src: str) -> dict:
    """'    if: \\lambda \\neq 0' -> {"indent": 1, "keyword": "if", "tex": "\\lambda \\neq 0"}."""
    body = src.lstrip(" ")
    indent = (len(src) - len(body)) // INDENT
    m = _KEYWORD.fullmatch(body.strip())
    if m and m.group(1) in KEYWORDS:
        return {"indent": indent, "keyword": m.group(1), "tex": m.group(2).strip()}
    return {"indent": indent, "keyword": None, "tex": body.strip()}


def rule_lines(lines: tuple[str, ...]) -> list[dict]:
    """The catalogue's `rule_mathml`: one entry per line, `mathml` a list of formulas."""
    out = []
    for src in lines:
        line = parse_line(src)
        parts = split_top(line["tex"]) if line["keyword"] in LISTS else (
            [line["tex"]] if line["tex"] else [])
        shown = line["keyword"] not in LISTS
        out.append({**line, "mathml": [to_mathml(p, displaystyle=shown) for p in parts]})
    return out


def note_segments(text: str) -> list[dict]:
    """Prose with $TeX$ -> [{"text"} | {"mathml"}] segments."""
    out = []
    for i, piece in enumerate(re.split(r"\$([^$]+)\$", text or "")):
        if i % 2:
            out.append({"mathml": to_mathml(piece)})
        elif piece:
            out.append({"text": piece})
    return out


def names_in(lines: tuple[str, ...]) -> set[str]:
    """The PyTorch names a rule mentions (\\texttt{...})."""
    return {name for src in lines for name in _TEXTTT.findall(src)}


_SYMBOLS = {
    "leftarrow": "←", "gets": "←", "theta": "θ", "gamma": "γ", "beta": "β", "lambda": "λ",
    "epsilon": "ε", "eta": "η", "rho": "ρ", "mu": "μ", "alpha": "α", "tau": "τ", "phi": "φ",
    "delta": "δ", "Delta": "Δ", "Gamma": "Γ", "pi": "π", "psi": "ψ", "nabla": "∇",
    "infty": "∞", "neq": "≠", "le": "≤", "ge": "≥", "cdot": "·", "odot": "⊙", "in": "∈",
    "ldots": "…", "cdots": "…", "prod": "∏", "sum": "∑", "cup": "∪", "top": "ᵀ",
    "max": "max", "min": "min", "cos": "cos", "bmod": "mod", "lVert": "‖", "rVert": "‖",
    "lfloor": "⌊", "rfloor": "⌋", "quad": "  ", "qquad": "    ", "left": "", "right": "",
    "textstyle": "", "tfrac": "frac", "frac": "frac",
}
_WRAPPERS = re.compile(r"\\(?:texttt|mathrm|operatorname|text|mathcal|bar|tilde|hat)\{([^{}]*)\}")
_FRAC = re.compile(r"\\frac\{([^{}]*)\}\{([^{}]*)\}")
_SQRT = re.compile(r"\\sqrt\{([^{}]*)\}")
_SCRIPT = re.compile(r"([_^])\{([^{}]*)\}")
_COMMAND = re.compile(r"\\([A-Za-z]+)")


def plain_text(lines: tuple[str, ...]) -> str:
    """A rule's TeX lines as plain Unicode text (the catalogue's `rule`, and the class's
    help): the same lines as the typeset rule, one source."""
    out = []
    for src in lines:
        line = parse_line(src)
        tex = line["tex"]
        tex = re.sub(r"\\t?frac(\d)(\d)", r"(\1/\2)", tex)
        tex = re.sub(r"\\tfrac\{(\d)\}\{(\d)\}", r"(\1/\2)", tex)
        tex = re.sub(r"\\begin\{cases\}(.*)\\end\{cases\}",
                     lambda m: "{ " + m.group(1).replace("\\\\", ";").replace("&", "") + " }", tex)
        tex = tex.replace("\\{", "{").replace("\\}", "}").replace("\\#", "#")
        for _ in range(6):                  # innermost braces first, a few levels deep
            tex = _WRAPPERS.sub(r"\1", tex)
            tex = _SCRIPT.sub(lambda m: m.group(1) + (m.group(2) if len(m.group(2)) == 1
                                                       else f"({m.group(2)})"), tex)
            tex = _FRAC.sub(r"(\1)/(\2)", tex)
            tex = _SQRT.sub(r"√(\1)", tex)
            tex = re.sub(r"(?<![\\_^A-Za-z}])\{([^{}]*)\}", r"\1", tex)
        tex = _COMMAND.sub(lambda m: _SYMBOLS.get(m.group(1), m.group(1)), tex)
        tex = re.sub(r"\\[,;:! ]", " ", tex).replace("{", "").replace("}", "")
        tex = re.sub(r"\s+", " ", tex).strip()
        keyword = f"{line['keyword']}: " if line["keyword"] else ""
        out.append(" " * line["indent"] * INDENT + keyword + tex)
    return "\n".join(out)


def catalogue_fields(cls) -> dict:
    """The rule fields of a catalogue entry, from the class's rule_tex and notes."""
    lines = tuple(getattr(cls, "rule_tex", ()) or ())
    return {"rule": plain_text(lines) if lines else inspect.cleandoc(cls.__doc__ or ""),
            "rule_mathml": rule_lines(lines),
            "rule_note": note_segments(getattr(cls, "rule_note", "")),
            "rule_note_zh": note_segments(getattr(cls, "rule_note_zh", "")
                                          or getattr(cls, "rule_note", ""))}
