"""Static files under content-hashed URLs (app/assets.py), compressed once, and the
vendored plotly.js bundles (tools/vendor_plotly.py)."""

from __future__ import annotations

import gzip
import importlib.util
import json
import re

from app.assets import Assets, static_imports
from tests.conftest import REPO

STATIC = REPO / "static"


def page_urls(client, path: str = "/") -> dict[str, list[str]]:
    html = client.get(path).text
    return {
        "scripts": re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
        + re.findall(r'<link rel="preload" href="([^"]+)" as="script"', html),
        "preloads": re.findall(r'<link rel="modulepreload" href="([^"]+)"', html),
        "styles": re.findall(r'<link rel="stylesheet" href="([^"]+)"', html),
        "gl3d": re.findall(r'<meta name="optplay:plotly-gl3d" content="([^"]+)"', html),
    }


def test_the_page_names_its_files_by_content_and_they_are_kept_a_year(client):
    for page in ("/", "/embed"):
        urls = page_urls(client, page)
        every = urls["scripts"] + urls["preloads"] + urls["styles"] + urls["gl3d"]
        assert len(urls["preloads"]) > 10 and urls["gl3d"], page
        for url in every:
            assert re.search(r"/static/(js-[0-9a-f]{12}/|.*\.[0-9a-f]{12}\.)", url), url
            r = client.get(url)
            assert r.status_code == 200, url
            assert r.headers["cache-control"] == "public, max-age=31536000, immutable", url


def test_plain_and_outdated_urls_are_revalidated(client):
    plain = client.get("/static/js/main.js")
    assert plain.status_code == 200 and plain.headers["cache-control"] == "no-cache"
    again = client.get("/static/js/main.js", headers={"if-none-match": plain.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    outdated = client.get("/static/css/app.000000000000.css")
    assert outdated.status_code == 200 and outdated.headers["cache-control"] == "no-cache"
    assert outdated.content == (STATIC / "css" / "app.css").read_bytes()
    module = client.get("/static/js-000000000000/main.js")
    assert module.status_code == 200 and module.headers["cache-control"] == "no-cache"
    for missing in ("/static/js/nosuch.js", "/static/../app/config.py", "/static/vendor/plotly.js.json.br"):
        assert client.get(missing).status_code == 404, missing


def test_bodies_are_brotli_or_gzip_as_the_browser_takes(client):
    url = page_urls(client)["scripts"][-1]
    assert "plotly-cartesian" in url
    data = (STATIC / "vendor" / "plotly-cartesian.min.js").read_bytes()
    br = client.get(url, headers={"accept-encoding": "gzip, deflate, br, zstd"})
    assert br.headers["content-encoding"] == "br" and br.headers["vary"] == "Accept-Encoding"
    assert br.content == data   # httpx decodes Brotli (the brotli package is installed)
    gz = client.get(url, headers={"accept-encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip" and gz.content == data
    plain = client.get(url, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == data
    assert int(br.headers["content-length"]) < 0.3 * len(data)


def test_head_answers_the_headers_alone(client):
    r = client.head("/static/js/main.js")
    assert r.status_code == 200 and r.content == b"" and int(r.headers["content-length"]) > 0


def test_an_edited_module_gets_a_new_digest(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "main.js").write_text('import { a } from "./a.js";\n')
    (tmp_path / "js" / "a.js").write_text("export const a = 1;\n")
    assets = Assets(tmp_path)
    before = assets.url("js/main.js")
    assert assets.preloads("main.js") == [before.replace("main.js", "a.js")]
    (tmp_path / "js" / "a.js").write_text("export const a = 2;\n")
    assets.scanned = -1e9   # as if RESCAN_S had passed
    after = assets.url("js/main.js")
    assert after != before and after.endswith("/main.js")
    assert assets.answer(before[len("/static/"):]).headers["Cache-Control"] == "no-cache"
    assert assets.answer(after[len("/static/"):]).body == b'import { a } from "./a.js";\n'


def test_static_imports_are_read_as_the_browser_reads_them():
    src = '''import { a, b } from "./one.js";
import "./two.js";
import {
  c,
} from './three.js';
export { d } from "./four.js";
const lazy = () => import("./five.js");
// import nothing from here
const s = "import x from './six.js'";
'''
    assert static_imports(src) == ["one.js", "two.js", "three.js", "four.js"]


def test_the_first_view_preloads_every_module_it_imports(client):
    """Every module main.js reaches by static imports is preloaded (one round trip for the
    whole graph), and nothing else: the 3D bundle is not among them."""
    assets = Assets(STATIC)
    graph, todo = set(), ["main.js"]
    while todo:
        for dep in static_imports((STATIC / "js" / todo.pop()).read_text(encoding="utf-8")):
            if dep not in graph:
                graph.add(dep)
                todo.append(dep)
    preloads = page_urls(client)["preloads"]
    # (table.json is a JSON module: its importer fetches it; modulepreload is for scripts.)
    assert sorted(u.rsplit("/", 1)[1] for u in preloads) == sorted(
        d for d in graph - {"main.js"} if d.endswith(".js"))
    assert preloads == assets.preloads("main.js")


def test_the_vendored_plotly_js_is_the_manifests():
    """The files are the npm packages' (sha256 in the manifest, re-fetched and checked by
    tools/vendor_plotly.py), of one version, with their license."""
    spec = importlib.util.spec_from_file_location("vendor_plotly", REPO / "tools" / "vendor_plotly.py")
    vendor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vendor)
    manifest = json.loads((STATIC / "vendor" / "plotly.js.json").read_text(encoding="utf-8"))
    assert vendor.check(manifest) == []
    assert set(manifest["bundles"]) == {"plotly-cartesian.min.js", "plotly-gl3d.min.js"}
    assert "MIT License" in (STATIC / "vendor" / manifest["license_file"]).read_text()
    for name in manifest["bundles"]:
        head = (STATIC / "vendor" / name).read_bytes()[:200].decode()
        assert f"v{manifest['version']}\n" in head and "Licensed under the MIT license" in head


def test_gzip_form_is_made_once():
    assets = Assets(STATIC)
    a = assets.answer("css/app.css", "gzip")
    b = assets.answer("css/app.css", "gzip")
    assert a.body is b.body and gzip.decompress(a.body) == (STATIC / "css" / "app.css").read_bytes()


def test_catalogues_are_compressed_once_brotli_when_taken(client):
    plain = client.get("/api/v1/optimizers", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    br = client.get("/api/v1/optimizers", headers={"accept-encoding": "gzip, deflate, br"})
    assert br.headers["content-encoding"] == "br" and br.headers["vary"] == "Accept-Encoding"
    assert br.json() == plain.json() and int(br.headers["content-length"]) < 0.1 * len(plain.content)
    gz = client.get("/api/v1/optimizers", headers={"accept-encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip" and gz.json() == plain.json()
    again = client.get("/api/v1/optimizers", headers={"if-none-match": br.headers["etag"]})
    assert again.status_code == 304


def test_a_shipped_brotli_form_is_used_only_if_it_is_the_files(tmp_path):
    import brotli

    (tmp_path / "vendor").mkdir()
    data = b"window.x = 1;\n" * 400
    (tmp_path / "vendor" / "lib.js").write_bytes(data)
    (tmp_path / "vendor" / "lib.js.br").write_bytes(brotli.compress(b"an older version\n" * 300))
    answer = Assets(tmp_path).answer("vendor/lib.js", "br")
    assert answer.headers["Content-Encoding"] == "br" and brotli.decompress(answer.body) == data
    (tmp_path / "vendor" / "lib.js.br").write_bytes(b"shipped" + brotli.compress(data))
    assert brotli.decompress(Assets(tmp_path).answer("vendor/lib.js", "br").body) == data


def test_every_stylesheet_closes_each_rule_it_opens():
    """A brace lost in a merge does not fail loudly: the browser nests every later rule
    inside the open one (CSS nesting) and they silently stop applying. Nothing here
    nests style rules, so one opened inside another is a lost '}'."""
    for css in sorted((REPO / "static").rglob("*.css")) + sorted((REPO / "app").rglob("*.css")):
        text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m[0].count("\n"),
                      css.read_text(encoding="utf-8"), flags=re.S)
        text = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'', '""', text)
        open_blocks: list[bool] = []        # True: an @-rule's block (it may hold rules)
        prelude, line = "", 1
        for ch in text:
            line += ch == "\n"
            if ch == "{":
                at_rule = prelude.strip().startswith("@")
                assert not open_blocks or open_blocks[-1], \
                    f"{css.name}:{line}: a rule opened inside another ({prelude.strip()[:40]})"
                open_blocks.append(at_rule)
                prelude = ""
            elif ch == "}":
                assert open_blocks, f"{css.name}:{line}: a '}}' closes nothing"
                open_blocks.pop()
                prelude = ""
            elif ch == ";":
                prelude = ""
            else:
                prelude += ch
        assert not open_blocks, f"{css.name}: {len(open_blocks)} rule(s) left open"
