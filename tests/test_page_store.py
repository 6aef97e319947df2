"""static/js/store.js, the one owner of the page's state, under Node.js: a change goes in
through update() only, subscribers are told what changed, the URL is saved, and the
changes of one moment make one computation."""

from __future__ import annotations

from app.engine import catalog as catalogues
from tests.nodejs import run_node


def catalog_data() -> dict:
    return {"optimizers": catalogues.optimizers()["optimizers"],
            "schedulers": catalogues.schedulers()["schedulers"],
            "surfaces": catalogues.surfaces()["surfaces"]}


SETUP = """
globalThis.location = { pathname: "/" };
const saved = [];
globalThis.history = { replaceState: (a, b, url) => saved.push(url) };
const { Catalog } = await import("{js}/catalog.js");
const { decodeState } = await import("{js}/state.js");
const { Store } = await import("{js}/store.js");
const catalog = new Catalog(data.catalog);
const store = new Store(decodeState(data.query, catalog), catalog);
const computed = [];
store.onCompute((p) => computed.push(p));
const told = [];
store.subscribe(({ what, from }) => told.push({ what: [...what].sort(), from }));
const tick = () => new Promise((r) => setTimeout(r, 0));
const out = {};
const refused = (fn) => { try { fn(); return false; } catch (e) { return e instanceof TypeError; } };
"""


def test_writes_go_through_update_only(tmp_path):
    out = run_node(tmp_path, SETUP + """
const st = store.state;
out.refused = [
  refused(() => { st.steps = 5; }),
  refused(() => { st.rows[0].params.lr = 1; }),
  refused(() => { st.rows.push({}); }),
  refused(() => { delete st.start; }),
  refused(() => { st.map.on = true; }),
];
out.steps = st.steps;
out.lr = st.rows[0].params.lr;
store.update({ row: 0, params: { lr: 0.5 } });
out.lrAfter = st.rows[0].params.lr;
// A row kept in a new list is the same row (views keep their cards and paths).
const first = st.rows[0];
store.update({ rows: [st.rows[1], first] });
out.same = st.rows[1] === first;
out.rowCount = st.rows.length;
console.log(JSON.stringify(out));
""", {"catalog": catalog_data(), "query": "steps=120&o=sgd(lr=0.01)&o=adam(lr=0.1)"})
    assert out["refused"] == [True] * 5
    assert out["steps"] == 120 and out["lr"] == 0.01
    assert out["lrAfter"] == 0.5
    assert out["same"] is True and out["rowCount"] == 2


def test_one_computation_per_moment_and_what_changed(tmp_path):
    out = run_node(tmp_path, SETUP + """
store.update({ steps: 50 });
store.update({ row: 0, params: { lr: 0.2 } });
store.update({ row: 1, set: { color: "#123456" } });
out.beforeTick = computed.length;
await tick();
out.afterTick = computed.slice();
store.update({ row: 1, set: { visible: false } });      // a redraw, no computation
store.update({ speed: 2 }, { from: "bar" });
await tick();
out.afterLook = computed.length;
store.update({ start: [1, 2] }, { restart: true });
await tick();
out.restart = computed[computed.length - 1];
out.told = told;
await new Promise((r) => setTimeout(r, 200));
out.url = saved[saved.length - 1];
console.log(JSON.stringify(out));
""", {"catalog": catalog_data(), "query": "o=sgd(lr=0.01)&o=adam(lr=0.1)"})
    assert out["beforeTick"] == 0
    assert out["afterTick"] == [{"restart": False}]
    assert out["afterLook"] == 1
    assert out["restart"] == {"restart": True}
    assert [t["what"] for t in out["told"]] == [
        ["steps"], ["row"], ["look"], ["look"], ["speed"], ["start"]]
    assert out["told"][4]["from"] == "bar"
    url = out["url"]
    for part in ("steps=50", "o=sgd(lr=0.2)", "c=e8453c,123456", "hide=2", "speed=2", "start=1,2"):
        assert part in url, (part, url)
