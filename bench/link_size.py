"""How long pasted data is in a share link, written as the page writes it (pts=x:y,x:y,...,
static/js/state.js pointsText), and what deflate + base64url would have saved.

    python bench/link_size.py

A link carries pasted data while its text fits table.json's points_max_chars (6,000, so
the whole link stays under the 8,000 octets RFC 9110 asks every client and server to
take); this prints, per data set, the characters, the points that fit, and the length
the same text would have compressed (zlib level 9, raw deflate, base64url), so the choice
of plain text can be checked against the figures.
"""

from __future__ import annotations

import base64
import json
import sys
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine.data import DATASETS  # noqa: E402

TABLE = json.loads((ROOT / "static" / "js" / "table.json").read_text(encoding="utf-8"))
LIMIT = next(f for f in TABLE["url"]["scene"] if f["field"] == "surface")["points_max_chars"]


def js_text(v: float) -> str:
    """JavaScript's String(number) for the values here (shortest round trip)."""
    r = repr(float(v))
    return r[:-2] if r.endswith(".0") else r


def points_text(x, y) -> str:
    return ",".join(f"{js_text(a)}:{js_text(b)}" for a, b in zip(x, y))


def deflated(text: str) -> int:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = c.compress(text.encode()) + c.flush()
    return len(base64.urlsafe_b64encode(raw).rstrip(b"="))


def main() -> None:
    rng = np.random.default_rng(0)
    sets = {k: (d.x, d.y) for k, d in DATASETS.items()}
    x = np.round(rng.uniform(0, 10, 1000), 2)
    sets["1000 points, 2 decimals"] = (x, np.round(3 * x + rng.normal(0, 1, 1000), 2))
    x = rng.uniform(0, 10, 1000)
    sets["1000 points, full float64"] = (x, 3 * x + rng.normal(0, 1, 1000))
    print(f"link budget for pasted data: {LIMIT} characters")
    print(f"{'data':<28} {'n':>5} {'chars':>7} {'per pt':>7} {'fit':>5} {'deflate':>8} {'ratio':>6}")
    for name, (xs, ys) in sets.items():
        text = points_text(xs, ys)
        per = len(text) / len(xs)
        d = deflated(text)
        print(f"{name:<28} {len(xs):>5} {len(text):>7} {per:>7.1f} {int(LIMIT // per):>5} "
              f"{d:>8} {len(text) / d:>6.2f}")


if __name__ == "__main__":
    main()
