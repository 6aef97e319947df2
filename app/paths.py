"""Where the page's files are: the checkout (static/ and templates/ beside app/), or where
`pip install .` put them (share/optplay under the environment's prefix)."""

from __future__ import annotations

import sys
from pathlib import Path


def _assets_root() -> Path:
    here = Path(__file__).resolve().parent.parent
    if (here / "static").is_dir():
        return here
    return Path(sys.prefix) / "share" / "optplay"


ROOT = _assets_root()
STATIC_DIR = ROOT / "static"
TEMPLATES_DIR = ROOT / "templates"
