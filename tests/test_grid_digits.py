"""POST /api/v1/grid with `digits`: fewer bytes, the same page. The page asks for 5
significant digits (static/js/api.js); its hover labels show f with 3 or 4
(static/js/format.js), and must read as they do for the exact grid."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.grid import significant
from tests.conftest import REPO


def rounded(x: float, k: int) -> Decimal:
    """x to k significant digits, half away from zero, from its exact binary value (what
    JavaScript's toFixed and toExponential do)."""
    d = Decimal(x)
    if d == 0:
        return d
    return d.quantize(Decimal(1).scaleb(d.adjusted() - k + 1), rounding=ROUND_HALF_UP)


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300)


@settings(max_examples=300, deadline=None)
@given(st.lists(finite, min_size=1, max_size=40), st.integers(3, 9))
def test_shorter_roundings_read_as_the_exact_values_do(xs, digits):
    a = np.array(xs)
    out = significant(a, digits)
    for x, y in zip(a.tolist(), out.tolist()):
        if x == 0:
            assert y == 0
            continue
        assert abs(y - x) <= 1.01 * 10.0 ** (math.floor(math.log10(abs(x))) - digits + 1)
        for k in range(1, digits):
            assert rounded(y, k) == rounded(x, k), (x, y, k)


def test_ties_are_stepped_off_towards_the_value():
    # 1.234497 to 6 digits is 1.23450, which 4 digits would show as 1.235 (the exact value
    # shows 1.234): one unit down. A value that is its own decimal stays.
    out = significant(np.array([1.234497, 1.234503, -1.234497, 2.5, 0.125, 1234.5]), 6)
    assert out.tolist() == [1.23449, 1.23451, -1.23449, 2.5, 0.125, 1234.5]


def test_short_json_and_non_finite_values_pass():
    out = significant(np.array([[2343.7574323847184, np.nan], [np.inf, 7.111515063828314e-05]]), 6)
    assert repr(float(out[0, 0])) == "2343.76" and repr(float(out[1, 1])) == "7.11152e-05"
    assert math.isnan(out[0, 1]) and out[1, 0] == math.inf


def test_the_api_rounds_only_when_asked(client):
    exact = client.post("/api/v1/grid", json={"surface": "rosenbrock", "n": 60}).json()
    short = client.post("/api/v1/grid", json={"surface": "rosenbrock", "n": 60, "digits": 6})
    assert short.status_code == 200
    short = short.json()
    assert short["zmin"] == exact["zmin"] and short["zmax"] == exact["zmax"]
    assert short["log_scale"] == exact["log_scale"] and short["surface"] == exact["surface"]
    assert len(json.dumps(short)) < 0.6 * len(json.dumps(exact))
    assert short["z"][7][:3] == significant(np.array(exact["z"][7][:3]), 6).tolist()
    for bad in (2, 18, 6.5, "6"):
        r = client.post("/api/v1/grid", json={"surface": "rosenbrock", "digits": bad})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "digits", bad


@pytest.mark.parametrize("surface", ["rosenbrock", "himmelblau", "styblinski_tang", "rastrigin"])
def test_the_pages_hover_labels_are_the_exact_grids(client, tmp_path, surface):
    """format.js's fmt (the contour's and the 3D view's hover text) on every value of the
    grid in the page's digits gives what it gives on the exact grid."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    exact = client.post("/api/v1/grid", json={"surface": surface, "n": 120})
    if exact.status_code == 422:
        pytest.skip(f"no surface {surface}")
    exact = exact.json()
    digits = int(re.search(r"const GRID_DIGITS = (\d+);", (REPO / "static/js/api.js").read_text())[1])
    assert digits <= 5
    short = client.post("/api/v1/grid", json={"surface": surface, "n": 120, "digits": digits}).json()
    (tmp_path / "z.json").write_text(json.dumps([exact["z"], short["z"]]))
    script = tmp_path / "fmt.mjs"
    script.write_text(f"""
import {{ readFileSync }} from "node:fs";
const {{ fmt }} = await import({json.dumps((REPO / "static/js/format.js").as_uri())});
const [a, b] = JSON.parse(readFileSync(process.argv[2], "utf8"));
const diff = [];
a.forEach((row, j) => row.forEach((v, i) => {{
  for (const d of [3, 4]) if (fmt(v, d) !== fmt(b[j][i], d)) diff.push([v, b[j][i], d]);
}}));
console.log(JSON.stringify(diff.slice(0, 5)));
""")
    done = subprocess.run([node, str(script), str(tmp_path / "z.json")], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
