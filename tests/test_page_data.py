"""The page's reading of your own data (static/js/csvdata.js) and its links on a surface
from data (state.js), under Node.js: a bad line is named with its number and column,
a header and the usual separators are read, and a link written from a state reads back
to the same state (pasted data that is too long for a link writes data=local)."""

from __future__ import annotations

from app.engine import catalog as catalogues
from tests.nodejs import run_node

CASES = {
    "plain": "1,2\n3,4\n",
    "header, spaces, tabs, semicolons": "hours\tscore\n1\t2\n\n# a comment\n3 ;4\n  5   6  \n",
    "quoted and a trailing comma": '"x","y"\r\n"1.5", "-2e-3",\r\n.5,+7\r\n',
    "bad number": "x,y\n1,2\n3, abc\n",
    "three columns": "1,2\n3,4,5\n",
    "one column": "x,y\n7\n",
    "empty value": "1,2\n,3\n",
    "header later": "1,2\nx,y\n",
    "not finite": "1,2\n1e999,3\n",
    "hex is not a number": "0x10,2\n",
    "logistic label": "0,0\n1,1\n2,0.5\n",
    "too many": "1,1\n2,2\n3,3\n",
    "nothing": "\n# only a comment\n",
}


def test_csv_reading_names_the_bad_line(tmp_path):
    out = run_node(tmp_path, """
const { parseCsv, csvText } = await import("{js}/csvdata.js");
const res = {};
for (const [name, text] of Object.entries(data.cases)) {
  const model = name === "logistic label" ? "logistic" : "linear";
  res[name] = parseCsv(text, { model, maxPoints: name === "too many" ? 2 : 10000 });
}
res.roundTrip = parseCsv(csvText({ x: [0.1, -2, 3e-7], y: [1, 2.5, 1e21] }));
console.log(JSON.stringify(res));
""", {"cases": CASES})
    assert out["plain"] == {"ok": True, "x": [1, 3], "y": [2, 4], "lines": [1, 2], "header": None}
    assert out["header, spaces, tabs, semicolons"]["x"] == [1, 3, 5]
    assert out["header, spaces, tabs, semicolons"]["lines"] == [2, 5, 6]
    assert out["header, spaces, tabs, semicolons"]["header"] == ["hours", "score"]
    assert out["quoted and a trailing comma"]["x"] == [1.5, 0.5]
    assert out["quoted and a trailing comma"]["y"] == [-0.002, 7]
    bad = out["bad number"]
    assert (bad["ok"], bad["line"], bad["col"], bad["key"], bad["vars"]) == (
        False, 3, 3, "csv.notNumber", {"value": "abc"})
    assert bad["text"] == "3, abc"
    assert (out["three columns"]["line"], out["three columns"]["key"], out["three columns"]["col"]) == (2, "csv.columns", 4)
    assert (out["one column"]["line"], out["one column"]["key"]) == (2, "csv.columns")
    assert (out["empty value"]["line"], out["empty value"]["key"], out["empty value"]["col"]) == (2, "csv.empty", 0)
    assert (out["header later"]["line"], out["header later"]["key"]) == (2, "csv.notNumber")
    assert (out["not finite"]["line"], out["not finite"]["key"]) == (2, "csv.tooBig")
    assert (out["hex is not a number"]["line"], out["hex is not a number"]["key"]) == (1, "csv.notNumber")
    assert (out["logistic label"]["line"], out["logistic label"]["key"], out["logistic label"]["col"]) == (3, "csv.notLabel", 2)
    assert (out["too many"]["line"], out["too many"]["key"]) == (3, "csv.tooMany")
    assert (out["nothing"]["ok"], out["nothing"]["key"]) == (False, "csv.none")
    assert out["roundTrip"]["x"] == [0.1, -2, 3e-7] and out["roundTrip"]["y"] == [1, 2.5, 1e21]


def test_links_on_a_surface_from_data_read_back_to_the_same_state(tmp_path):
    cat = {"optimizers": catalogues.optimizers()["optimizers"],
           "schedulers": catalogues.schedulers()["schedulers"],
           "surfaces": catalogues.surfaces()["surfaces"],
           "datasets": catalogues.datasets()["datasets"]}
    out = run_node(tmp_path, """
const { Catalog } = await import("{js}/catalog.js");
const { decodeState, encodeState, runRequest } = await import("{js}/state.js");
const catalog = new Catalog(data.catalog);
const res = [];
for (const q of data.queries) {
  const st = decodeState(q, catalog);
  const query = encodeState(st, catalog);
  const again = decodeState(query, catalog);
  res.push({ query, same: JSON.stringify(again) === JSON.stringify(st), request: runRequest(st, catalog) });
}
// Pasted data too long for a link: data=local instead of pts=.
const st = decodeState("o=sgd(lr=0.1)", catalog);
st.data = { x: Array.from({ length: 900 }, (_, i) => i / 7), y: Array.from({ length: 900 }, (_, i) => i / 3) };
res.push({ query: encodeState(st, catalog) });
console.log(JSON.stringify(res));
""", {"catalog": cat, "queries": [
        "data=line&batch=8&bseed=3&shuffle=0&o=sgd(lr=0.05)",
        "pts=0.5:1.1,1:2,-3e-7:1e%2B21&model=logistic&o=adam(lr=0.1)",
        "data=pass-fail&model=linear&o=sgd(lr=0.1)&batch=4",
        "s=bowl&batch=8&bseed=3&o=sgd(lr=0.1)",
    ]})
    line, pts, passfail, bowl, local = out
    assert line["same"] and pts["same"] and passfail["same"] and bowl["same"]
    assert line["query"] == "data=line&steps=200&batch=8&bseed=3&shuffle=0&o=sgd(lr=0.05)"
    assert line["request"]["surface"] == {"data": "line"}
    assert line["request"]["batch"] == {"size": 8, "seed": 3, "shuffle": False}
    assert pts["query"].startswith("pts=0.5:1.1,1:2,-3e-7:1e%2B21&model=logistic&steps=200")
    assert pts["request"]["surface"] == {"data": {"x": [0.5, 1, -3e-7], "y": [1.1, 2, 1e21]},
                                         "model": "logistic"}
    assert "batch" not in pts["request"]
    assert passfail["request"]["surface"] == {"data": "pass-fail", "model": "linear"}
    # Batch keys are written, and sent, only on a surface from data.
    assert bowl["query"] == "s=bowl&steps=200&o=sgd(lr=0.1)" and "batch" not in bowl["request"]
    assert local["query"].startswith("data=local&steps=200") and "pts=" not in local["query"]
