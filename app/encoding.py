"""Content-Encoding for bodies made once and served many times (the static files, the
catalogues): Brotli when the client takes it, else gzip, else none."""

from __future__ import annotations

import gzip

try:
    import brotli
except ImportError:  # gzip only
    brotli = None


def pick_encoding(accept_encoding: str) -> str | None:
    """br when the client takes it (and we can make it), else gzip, else none."""
    offered = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 1.0
        offered[name.strip()] = q
    if brotli is not None and offered.get("br", 0) > 0:
        return "br"
    if offered.get("gzip", 0) > 0:
        return "gzip"
    return None


def compress(data: bytes, encoding: str) -> bytes:
    """`data` in `encoding` at the highest quality (for bodies made once: Brotli's 11 is
    a second per megabyte), or `data` itself where that would not be smaller."""
    if encoding == "br":
        out = brotli.compress(data, quality=11 if len(data) < 256_000 else 5)
    else:
        out = gzip.compress(data, compresslevel=9, mtime=0)
    return out if len(out) < len(data) else data
