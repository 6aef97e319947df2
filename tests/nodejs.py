"""Run the page's own ES modules under Node.js: a script that imports them by file URL
(`{js}` below becomes static/js/ as a file: URL), reads the JSON `data`, and prints JSON.
Without Node.js the test skips (CI has it: .ci/run installs it)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import IN_CI, REPO

JS = (REPO / "static" / "js").as_uri()


def run_node(tmp_path, script: str, data) -> object:
    node = shutil.which("node")
    if node is None:
        if IN_CI:
            pytest.fail("node is not installed")
        pytest.skip("node is not installed")
    (tmp_path / "in.json").write_text(json.dumps(data))
    path = tmp_path / "script.mjs"
    path.write_text('import { readFileSync } from "node:fs";\n'
                    'const data = JSON.parse(readFileSync(process.argv[2], "utf8"));\n'
                    + script.replace("{js}", JS))
    done = subprocess.run([node, str(path), str(tmp_path / "in.json")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
