"""The page's modules are served without their comments and otherwise unchanged: an
independent JavaScript parser (acorn, installed by .ci/run at an exact version) reads the
same tokens, on the same lines, from the served module as from the file."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from app.assets import Assets
from app.jscomments import without_comments
from tests.conftest import IN_CI, REPO

ACORN = REPO / ".ci" / "npm" / "node_modules" / "acorn" / "dist" / "acorn.mjs"
STATIC = REPO / "static"

# Reads {name: [file, served]}; prints {name: {same, comments, lines}}.
TOKENS = """
import { readFileSync } from "node:fs";
import { tokenizer } from "%s";
const pairs = JSON.parse(readFileSync(process.argv[2], "utf8"));
const read = (text) => {
  const comments = [];
  const tokens = [...tokenizer(text, { ecmaVersion: "latest", sourceType: "module", locations: true,
    onComment: comments })].map((t) => [t.type.label, t.value === undefined ? null : String(t.value), t.loc.start.line]);
  return { tokens, comments: comments.length, lines: text.split("\\n").length };
};
const out = {};
for (const [name, [file, served]] of Object.entries(pairs)) {
  const a = read(file), b = read(served);
  out[name] = { same: JSON.stringify(a.tokens) === JSON.stringify(b.tokens), had: a.comments,
                comments: b.comments, lines: [a.lines, b.lines] };
}
console.log(JSON.stringify(out));
"""


def acorn_reads(tmp_path, pairs: dict[str, tuple[str, str]]) -> dict:
    node = shutil.which("node")
    if node is None or not ACORN.exists():
        if IN_CI:
            pytest.fail("node and acorn are installed by .ci/run")
        pytest.skip("needs node and acorn (npm install --prefix .ci/npm acorn@8.15.0)")
    (tmp_path / "pairs.json").write_text(json.dumps(pairs))
    (tmp_path / "tokens.mjs").write_text(TOKENS % ACORN.as_uri())
    done = subprocess.run([node, str(tmp_path / "tokens.mjs"), str(tmp_path / "pairs.json")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_served_module_is_its_file_without_comments(tmp_path):
    assets = Assets(STATIC)
    pairs = {}
    for path in sorted((STATIC / "js").glob("*.js")):
        served = assets.answer(f"js/{path.name}").body.decode()
        pairs[path.name] = (path.read_text(), served)
    read = acorn_reads(tmp_path, pairs)
    assert len(read) > 50
    for name, r in read.items():
        assert r["same"], f"{name}: the served tokens differ from the file's"
        assert r["comments"] == 0, f"{name}: {r['comments']} comments left"
        assert r["lines"][0] == r["lines"][1], name
    # (the files do have comments: the modules are not served as they are)
    assert sum(r["had"] for r in read.values()) > 500


def test_comments_inside_strings_templates_and_regexes_stay(tmp_path):
    source = "\n".join([
        'const a = "// not a comment"; // a comment',
        "const b = `line /* kept */ ${a /* cut */ + 1} // kept`;",
        "const c = /\\/\\/ kept/g.test(a);/* one */const d = 1;",
        "/**",
        " * a block over three lines",
        " */",
        "export const e = a/**/+b, f = c /* x */ - d;",
        "const g = `",
        "  // kept: inside a template",
        "`;",
    ])
    served = without_comments(source.encode()).decode()
    assert served.split("\n") == [
        'const a = "// not a comment";',
        "const b = `line /* kept */ ${a + 1} // kept`;",
        "const c = /\\/\\/ kept/g.test(a); const d = 1;",
        "",
        "",
        "",
        "export const e = a +b, f = c - d;",
        "const g = `",
        "  // kept: inside a template",
        "`;",
    ]
    read = acorn_reads(tmp_path, {"case.js": (source, served)})["case.js"]
    assert read["same"] and read["comments"] == 0 and read["had"] == 6


def test_a_module_that_does_not_parse_is_served_as_it_is():
    broken = b"const a = ; // this line does not parse\n"
    assert without_comments(broken) == broken
