"""The static files under URLs that name their content, so a browser keeps them for a year
and a second visit asks the server for nothing but the page and its data.

- A file: `/static/css/app.<hash>.css`, its own content's hash (vendor/, css/, img/).
- The ES modules (static/js): one digest of the whole directory in the path,
  `/static/js-<digest>/main.js`. A module imports another by relative URL ("./api.js"),
  which stays inside that path, so the whole module graph is hashed without rewriting a
  line of it and without an import map (an import map must be an inline script, which
  the pages' CSP `script-src 'self'` forbids; Chromium loads no external one). Changing
  any module changes the digest of all: they are a hundred kilobytes; the large files
  (plotly.js) have hashes of their own.
- A URL whose hash is current answers `Cache-Control: public, max-age=1 year,
  immutable`; the plain URL (`/static/js/main.js`) and an outdated hash answer the
  current file with `no-cache` and an ETag (a 304 when it has not changed).

The page's own modules are served without their comments, each line where it is
(jscomments.py). Bodies are compressed once and kept: Brotli when the browser takes it (the vendored
bundles ship their .br, made at the highest quality by tools/vendor_plotly.py), else gzip.
Files are looked at again when their size or mtime changes, so an edited module is served
under its new digest without a restart.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .encoding import brotli, compress, pick_encoding
from .jscomments import without_comments

MODULES = "js"
RESCAN_S = 1.0          # how often the files are looked at again (an edit shows within this)
YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".svg": "image/svg+xml", ".json": "application/json", ".txt": "text/plain; charset=utf-8"}
COMPRESSIBLE = {".js", ".css", ".svg", ".json", ".txt", ".html"}
HASHED_NAME = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})(?P<ext>\.[A-Za-z0-9]+)$")
MODULE_DIR = re.compile(rf"^{MODULES}-(?P<hash>[0-9a-f]{{12}})/(?P<rest>.+)$")
# A static import or re-export of a relative module: `import {a} from "./x.js"`,
# `import "./x.js"`, `export * from "./x.js"` (not `import("./x.js")`, loaded on use).
STATIC_IMPORT = re.compile(
    r"""(?:^|[;\n])\s*(?:import|export)\s+(?:[\w$*{}\s,]+?\s+from\s+)?["'](\.\.?/[^"']+)["']""")


@dataclass
class Body:
    """One file's bytes, its hash, and its compressed forms as they are asked for."""
    path: Path
    stamp: tuple[int, int]
    data: bytes
    digest: str
    forms: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Answer:
    body: bytes
    headers: dict[str, str]
    status: int = 200


class Assets:
    def __init__(self, root: Path):
        self.root = root
        self.lock = threading.Lock()
        self.bodies: dict[str, Body] = {}
        self.stamps: tuple = ()
        self.module_digest = ""
        self.imports: dict[str, list[str]] = {}
        self.scanned = -RESCAN_S

    # ----------------------------------------------------------------- the index

    def _scan(self) -> dict[str, tuple[int, int]]:
        out = {}
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if name.startswith(".") or name.endswith(".br"):
                    continue
                path = Path(dirpath) / name
                st = path.stat()
                out[path.relative_to(self.root).as_posix()] = (st.st_mtime_ns, st.st_size)
        return out

    def refresh(self) -> None:
        """Hash what changed since the last look (at most every RESCAN_S: a stat of each
        file). The first look is done before anyone is answered."""
        if time.monotonic() - self.scanned < RESCAN_S:
            return
        with self.lock:
            if time.monotonic() - self.scanned < RESCAN_S:
                return
            stamps = self._scan()
            key = tuple(sorted(stamps.items()))
            if key != self.stamps:
                self._index(stamps, key)
            self.scanned = time.monotonic()

    def _index(self, stamps: dict[str, tuple[int, int]], key: tuple) -> None:
        bodies = {}
        for rel, stamp in stamps.items():
            old = self.bodies.get(rel)
            if old is not None and old.stamp == stamp:
                bodies[rel] = old
                continue
            data = (self.root / rel).read_bytes()
            if rel.startswith(MODULES + "/") and rel.endswith(".js"):
                data = without_comments(data)
            bodies[rel] = Body(self.root / rel, stamp, data, hashlib.sha256(data).hexdigest()[:12])
        # Everything under js/ is in the digest (a module imports table.json too).
        modules = sorted(rel for rel in bodies if rel.startswith(MODULES + "/"))
        whole = hashlib.sha256()
        for rel in modules:
            whole.update(f"{rel}\0{bodies[rel].digest}\0".encode())
        self.imports = {rel[len(MODULES) + 1:]: static_imports(bodies[rel].data.decode("utf-8"))
                        for rel in modules if rel.endswith(".js")}
        self.bodies = bodies
        self.module_digest = whole.hexdigest()[:12]
        self.stamps = key

    # ------------------------------------------------------------------ the URLs

    def url(self, rel: str) -> str:
        """The content-hashed URL of static/<rel>."""
        self.refresh()
        if rel.startswith(MODULES + "/"):
            return f"/static/{MODULES}-{self.module_digest}/{rel[len(MODULES) + 1:]}"
        body = self.bodies[rel]
        stem, ext = os.path.splitext(rel)
        return f"/static/{stem}.{body.digest}{ext}"

    def preloads(self, entry: str) -> list[str]:
        """URLs of the modules `entry` (a file of static/js) imports, directly or not,
        without the dynamic imports: what the page runs before its first view."""
        self.refresh()
        seen: list[str] = []
        todo = [entry]
        while todo:
            name = todo.pop()
            for dep in self.imports.get(name, []):
                # (modulepreload is for scripts: a JSON module is fetched by its importer.)
                if dep not in seen and dep != entry and dep.endswith(".js"):
                    seen.append(dep)
                    todo.append(dep)
        return [self.url(f"{MODULES}/{name}") for name in sorted(seen)]

    # ---------------------------------------------------------------- the answers

    def lookup(self, path: str) -> tuple[Body, bool] | None:
        """(the file, whether `path` names its current content) for a path under /static/."""
        self.refresh()
        m = MODULE_DIR.match(path)
        if m:
            body = self.bodies.get(f"{MODULES}/{m['rest']}")
            return (body, m["hash"] == self.module_digest) if body else None
        body = self.bodies.get(path)
        if body is not None:
            return body, False
        m = HASHED_NAME.match(path)
        if m:
            body = self.bodies.get(m["stem"] + m["ext"])
            if body is not None:
                return body, m["hash"] == body.digest
        return None

    def answer(self, path: str, accept_encoding: str = "", if_none_match: str | None = None) -> Answer | None:
        found = self.lookup(path)
        if found is None:
            return None
        body, current = found
        ext = body.path.suffix.lower()
        etag = f'"{body.digest}"'
        headers = {"Content-Type": TYPES.get(ext) or mimetypes.guess_type(body.path.name)[0]
                   or "application/octet-stream",
                   "Cache-Control": IMMUTABLE if current else "no-cache", "ETag": etag}
        if ext in COMPRESSIBLE:
            headers["Vary"] = "Accept-Encoding"
        if not current and if_none_match and etag in [t.strip().removeprefix("W/")
                                                      for t in if_none_match.split(",")]:
            return Answer(b"", headers, 304)
        encoding = pick_encoding(accept_encoding) if ext in COMPRESSIBLE else None
        data = self.encoded(body, encoding) if encoding else body.data
        if encoding and data is not body.data:
            headers["Content-Encoding"] = encoding
        return Answer(data, headers)

    def warm(self) -> None:
        """Make every Brotli form now (a fraction of a second: the large bundles ship
        theirs), so the first visitor does not wait for them."""
        if brotli is None:
            return
        self.refresh()
        for body in list(self.bodies.values()):
            if body.path.suffix.lower() in COMPRESSIBLE:
                self.encoded(body, "br")

    def encoded(self, body: Body, encoding: str) -> bytes:
        """The body in `encoding`, made once (or read from the shipped .br beside it)."""
        form = body.forms.get(encoding)
        if form is not None:
            return form
        shipped = body.path.with_name(body.path.name + ".br")
        form = shipped.read_bytes() if encoding == "br" and shipped.exists() else None
        if form is not None and not same_content(form, body.data):   # another version's
            form = None
        if form is None:
            form = compress(body.data, encoding)
        body.forms[encoding] = form
        return form


def same_content(br: bytes, data: bytes) -> bool:
    try:
        return brotli.decompress(br) == data
    except brotli.error:
        return False


def static_imports(source: str) -> list[str]:
    """The relative modules `source` imports statically, as names in its directory."""
    out = []
    for spec in STATIC_IMPORT.findall(source):
        name = spec[2:] if spec.startswith("./") else spec
        if name not in out:
            out.append(name)
    return out
