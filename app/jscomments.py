"""The page's own modules as served: their comments taken out, every line kept.

The comments are written for the engineers who read static/js (about a quarter of the
modules' compressed bytes); a visitor's browser has no use for them. Each line stays on
its line number, so an error's stack trace points at the line in the repository, and the
code reads as written (indented, named) in the browser's developer tools.

The comments are found by a real JavaScript parser (tree-sitter's grammar), which knows
strings, template literals and regular expressions from comments. A module it cannot
parse without error is served as it is."""

from __future__ import annotations

try:
    import tree_sitter_javascript
    from tree_sitter import Language, Parser
    _PARSER: Parser | None = Parser(Language(tree_sitter_javascript.language()))
except ImportError:  # served with their comments
    _PARSER = None

BLANKS = b" \t"


def comment_spans(source: bytes) -> list[tuple[int, int]] | None:
    """Byte ranges of the comments of an ES module, in order; None if it does not parse."""
    if _PARSER is None:
        return None
    tree = _PARSER.parse(source)
    if tree.root_node.has_error:
        return None
    spans = []
    cursor = tree.walk()
    while True:
        node = cursor.node
        if node.type in ("comment", "html_comment"):
            spans.append((node.start_byte, node.end_byte))
        elif cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return sorted(spans)


def without_comments(source: bytes) -> bytes:
    """`source` with each comment (and the blanks before it on its line) taken out: a
    comment that spans lines leaves its line breaks, one between two tokens a space."""
    spans = comment_spans(source)
    if not spans:
        return source
    out = bytearray()
    pos = 0
    for start, end in spans:
        cut = start
        while cut > pos and source[cut - 1] in BLANKS:
            cut -= 1
        out += source[pos:cut]
        breaks = source.count(b"\n", start, end)
        after = source[end:end + 1]
        if breaks:
            out += b"\n" * breaks
        elif out and out[-1:] not in (b"\n", b" ", b"\t") and after not in (b"", b"\n", b"\r", b" ", b"\t"):
            out += b" "
        pos = end
    out += source[pos:]
    return bytes(out)
