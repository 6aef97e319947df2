"""static/js/table.json is the one table of URL keys and display constants: the page's
log colours (logcolors.js) and the Python figures' (app/teach/look.py) follow the same
rule from it, and the HTML export's player is handed its constants."""

from __future__ import annotations

import json
import math

import numpy as np
from app.engine.surfaces import get_surface
from app.paths import STATIC_DIR
from app.teach import look
from app.teach.static_export import export_html
from tests.nodejs import run_node
from tests.test_static_export import data_of

TABLE = json.loads((STATIC_DIR / "js" / "table.json").read_text())
RANGES = [(0.0, 2500.0), (3.0, 1.0e6), (-1.0, 0.5), (0.0, 1e-3), (-837.0, 250.0),
          (1e-9, 1e9), (0.397887, 308.1)]


def test_log_ticks_follow_one_rule(tmp_path):
    js = run_node(tmp_path, """
const { logTicks, logDelta } = await import("{js}/logcolors.js");
console.log(JSON.stringify(data.map(([lo, hi]) => logTicks(lo, hi, logDelta(lo, hi)))));
""", RANGES)
    for (lo, hi), theirs in zip(RANGES, js):
        delta = max((hi - lo) * look.LOG_RULE["delta_share"], look.LOG_RULE["delta_min"])
        mine = look.log_ticks(lo, hi, delta)
        assert len(mine) == len(theirs), (lo, hi, mine, theirs)
        assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300) for a, b in zip(mine, theirs))


def grid_of(surface, n: int = 60) -> dict:
    """A surface's values on an n x n grid, without the server's hint (the rule decides)."""
    (x0, x1), (y0, y1) = surface.domain
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    z = surface.formula.value(X.ravel(), Y.ravel()).reshape(n, n)
    return {"z": z.tolist(), "zmin": float(z.min()), "zmax": float(z.max()), "log_scale": False}


def test_log_scale_choice_follows_one_rule(tmp_path):
    ids = ["rosenbrock", "bowl", "himmelblau", "goldstein_price", "rastrigin", "beale", "saddle"]
    grids = [grid_of(get_surface(i)) for i in ids]
    js = run_node(tmp_path, """
const { wantsLogScale } = await import("{js}/logcolors.js");
console.log(JSON.stringify(data.map((g) => wantsLogScale(g))));
""", grids)
    assert js == [look.wants_log_scale(g) for g in grids]
    assert True in js and False in js


def test_figures_and_export_take_the_tables_constants():
    assert look.PALETTE == TABLE["look"]["palette"]
    assert look.COLORSCALE == TABLE["look"]["colorscale"]
    body = {"surface": "bowl", "steps": 10, "runs": [{"optimizer": "sgd", "params": {"lr": 0.1}}]}
    style = data_of(export_html(body))["style"]
    speeds = next(f for f in TABLE["url"]["scene"] if f["field"] == "speed")["choices"]
    assert style["speeds"] == speeds
    assert style["colorscale"] == TABLE["look"]["colorscale"]
