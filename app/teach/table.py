"""The page's table of URL keys and display constants (static/js/table.json), as the
page reads it: the share-URL decoder, the figures' style and the HTML export's player
take their keys, limits, palette and colour rules from here, never from a copy."""

from __future__ import annotations

import json

from ..paths import STATIC_DIR

TABLE = json.loads((STATIC_DIR / "js" / "table.json").read_text(encoding="utf-8"))
URL_KEYS = TABLE["url"]
LOOK = TABLE["look"]


def url_field(name: str, group: str = "scene") -> dict:
    """The spec of a URL field by its state name (table.js urlField)."""
    return next(f for f in URL_KEYS[group] if f["field"] == name)


def defaults(group: str) -> dict:
    """Each field's default, fresh (table.js defaults)."""
    return {f["field"]: json.loads(json.dumps(f["default"])) for f in URL_KEYS[group]
            if "default" in f}
