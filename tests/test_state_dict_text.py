"""The inspector's optimizer.state_dict() (static/js/statedict.js, run by Node.js over the
API's answer) is what print(optimizer.state_dict()) shows in real PyTorch 2.13 after the
same k steps: the Copy-as-PyTorch script of the run, stopped after k steps, prints it.
And static/js/torchprint.json, the defaults and orders it prints with, is still what
PyTorch and pytorch-optimizer hold."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from app.engine import catalog as catalogues
from app.engine import run_request
from app.engine.optim import REGISTRY
from app.teach.pytorch_code import pytorch_snippet
from tests.nodejs import run_node

pytest.importorskip("torch")

# (scene, steps k at which to print): one run each, every kind of state and group.
CASES = {
    "adam": ({"surface": "bowl", "start": [1.0, -0.5], "steps": 8,
              "runs": [{"optimizer": "adam", "params": {"lr": 0.1}}]}, [0, 1, 7]),
    "sgd-groups": ({"surface": "ravine", "start": [-4.5, 2.0], "steps": 6,
                    "runs": [{"optimizer": "sgd", "params": {"lr": 0.01, "momentum": 0.9},
                              "groups": {"x": {"lr": 0.05}, "y": {"momentum": 0.0}}}]}, [0, 5]),
    "adam-groups-events": ({"surface": "himmelblau", "steps": 10,
                            "runs": [{"optimizer": "adam", "params": {"lr": 0.1, "amsgrad": True},
                                      "groups": {"x": {"lr": 0.2, "betas": [0.8, 0.9]}, "y": {}},
                                      "events": [{"at": 3, "params": {"lr": 0.05}, "state": "keep"},
                                                 {"at": 6, "params": {"eps": 1e-6},
                                                  "state": "reset"}]}]}, [3, 4, 6, 7, 9]),
    "lbfgs": ({"surface": "himmelblau", "steps": 5,
               "runs": [{"optimizer": "lbfgs",
                         "params": {"lr": 0.5, "history_size": 4, "max_iter": 4}}]},
              [0, 1, 2, 4]),
    "lbfgs-wolfe-reset": ({"surface": "himmelblau", "steps": 5,
                           "runs": [{"optimizer": "lbfgs",
                                     "params": {"lr": 1.0, "line_search_fn": "strong_wolfe",
                                                "max_iter": 3},
                                     "events": [{"at": 2, "params": {"max_iter": 2},
                                                 "state": "reset"}]}]}, [1, 3]),
    "lion-reset": ({"surface": "booth", "start": [-8.0, -8.0], "steps": 7,
                    "runs": [{"optimizer": "lion", "params": {"lr": 0.1},
                              "events": [{"at": 3, "params": {"betas": [0.8, 0.95]},
                                          "state": "reset"}]}]}, [0, 2, 3, 5]),
    "lookahead-groups": ({"surface": "bowl", "start": [1.0, 1.0], "steps": 8,
                          "runs": [{"optimizer": "lookahead",
                                    "params": {"k": 3, "pullback_momentum": "pullback",
                                               "optimizer": {"optimizer": "sgd", "params": {
                                                   "lr": 0.05, "momentum": 0.9}}},
                                    "groups": {"x": {"lr": 0.1}}}]}, [0, 2, 3, 7]),
    "rprop": ({"surface": "booth", "start": [-8.0, -8.0], "steps": 4,
               "runs": [{"optimizer": "rprop", "params": {"etas": [0.4, 1.3]}}]}, [4]),
    "asgd-adafactor": ({"surface": "bowl", "start": [1.0, -2.0], "steps": 4,
                        "runs": [{"optimizer": "asgd", "params": {"lr": 0.05}}]}, [3]),
    "adafactor": ({"surface": "bowl", "start": [1.0, -2.0], "steps": 4,
                   "runs": [{"optimizer": "adafactor", "params": {"lr": 0.3}}]}, [2]),
    "rmsprop-never": ({"surface": "himmelblau", "steps": 5,
                       "runs": [{"optimizer": "rmsprop",
                                 "params": {"lr": 0.01, "momentum": 0.5, "centered": True},
                                 "zero_grad": "never"}]}, [5]),
    "sparseadam": ({"surface": "bowl", "start": [1.0, -2.0], "steps": 3,
                    "runs": [{"optimizer": "sparseadam", "params": {"lr": 0.1}}]}, [3]),
    "adabelief-keep": ({"surface": "beale", "steps": 5,
                        "runs": [{"optimizer": "adabelief", "params": {"lr": 0.1},
                                  "events": [{"at": 2, "params": {"betas": [0.5, 0.9]}}]}]},
                       [2, 5]),
    "yogi-groups": ({"surface": "booth", "steps": 4,
                     "runs": [{"optimizer": "yogi", "params": {"lr": 0.3},
                               "groups": {"x": {}, "y": {"lr": 0.1}}}]}, [0, 4]),
    "nadam-adamax": ({"surface": "beale", "steps": 4,
                      "runs": [{"optimizer": "nadam", "params": {"lr": 0.01}}]}, [4]),
}

# The script stopped after k steps, its optimizer printed (the one race() holds last:
# a change of course may have built a new one).
DRIVER = """
import json, sys
cases = json.loads(sys.stdin.read())
out = {}
for name, (script, ks) in cases.items():
    anchor = '    out = {"status": status,'
    assert anchor in script, "the script's race() changed: update tests/test_state_dict_text.py"
    script = script.replace(anchor, '    LAST.append(optimizer)\\n' + anchor)
    out[name] = {}
    for k in ks:
        namespace = {"__name__": "scene", "LAST": []}
        exec(compile(script.replace("STEPS = ", f"STEPS = {k}  # ", 1), name, "exec"), namespace)
        out[name][str(k)] = str(namespace["LAST"][-1].state_dict())
print(json.dumps(out))
"""


def torch_prints() -> dict:
    cases = {name: (pytorch_snippet(body), ks) for name, (body, ks) in CASES.items()}
    done = subprocess.run([sys.executable, "-c", DRIVER], input=json.dumps(cases),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def page_prints(tmp_path) -> dict:
    scenes = {}
    for name, (body, ks) in CASES.items():
        answer = run_request({**body, "state": True})["runs"][0]
        run = body["runs"][0]
        row = {"optimizer": run["optimizer"], "params": run.get("params", {}),
               "groups": run.get("groups"), "zero_grad": run.get("zero_grad", "every_step"),
               "events": run.get("events", [])}
        for e in row["events"]:
            e.setdefault("state", "keep")
        scenes[name] = {"run": {"row": row, "path": answer["path"], "state": answer["state"],
                                "grad": answer["grad"], "evals": answer.get("evals")},
                        "ks": ks}
    cat = {"optimizers": catalogues.optimizers()["optimizers"],
           "schedulers": catalogues.schedulers()["schedulers"],
           "surfaces": catalogues.surfaces()["surfaces"]}
    return run_node(tmp_path, """
const { Catalog } = await import("{js}/catalog.js");
const { stateDictText } = await import("{js}/statedict.js");
const catalog = new Catalog(data.catalog);
const out = {};
for (const [name, scene] of Object.entries(data.scenes)) {
  out[name] = {};
  for (const k of scene.ks) out[name][k] = stateDictText(scene.run, k, catalog);
}
console.log(JSON.stringify(out));
""", {"catalog": cat, "scenes": scenes})


NUMBER = re.compile(r"-?\d+\.?\d*(?:e[+-]\d+)?")


def assert_same_print(mine: str, theirs: str, where: str) -> None:
    """The same text, numbers aside; each number equal, or off by at most one unit in
    its last printed digit (or 1e-8 relative, for a Python float printed in full): the
    engine and autograd agree to the last bits, not bit for bit, and LBFGS's line search
    amplifies that (tests/test_pytorch_snippet.py allows 1e-6 relative for paths). How a
    value is rounded and laid out is checked exactly in test_python_s_number_formats."""
    a, b = NUMBER.split(mine), NUMBER.split(theirs)
    assert a == b, f"{where}:\n page: {mine}\ntorch: {theirs}"
    for x, y in zip(NUMBER.findall(mine), NUMBER.findall(theirs)):
        if x == y:
            continue
        mantissa, _, exp = y.partition("e")
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        unit = 10.0 ** (int(exp or 0) - decimals)
        assert abs(float(x) - float(y)) <= max(unit * 1.0001, 1e-8 * abs(float(y))), \
            f"{where}: {x} != {y}\n page: {mine}\ntorch: {theirs}"


def test_the_page_prints_state_dict_as_pytorch_does(tmp_path):
    theirs = torch_prints()
    mine = page_prints(tmp_path)
    for name, (_, ks) in CASES.items():
        for k in ks:
            got = mine[name][str(k)]
            assert got is not None, (name, k)
            assert got["partial"] is False, (name, k)
            assert_same_print(got["text"], theirs[name][str(k)], f"{name} after {k} steps")


def test_a_group_s_own_number_that_the_answer_lacks_is_marked(tmp_path):
    """ASGD keeps eta per parameter; with groups the answer has group x's only."""
    body = {"surface": "bowl", "start": [1.0, 1.0], "steps": 3, "state": True,
            "runs": [{"optimizer": "asgd", "params": {"lr": 0.05}, "groups": {"y": {"lr": 0.1}}}]}
    answer = run_request(body)["runs"][0]
    row = {"optimizer": "asgd", "params": {"lr": 0.05}, "groups": {"x": {}, "y": {"lr": 0.1}},
           "zero_grad": "every_step", "events": []}
    cat = {"optimizers": catalogues.optimizers()["optimizers"],
           "schedulers": catalogues.schedulers()["schedulers"],
           "surfaces": catalogues.surfaces()["surfaces"]}
    got = run_node(tmp_path, """
const { Catalog } = await import("{js}/catalog.js");
const { stateDictText } = await import("{js}/statedict.js");
console.log(JSON.stringify(stateDictText(data.run, 2, new Catalog(data.catalog))));
""", {"catalog": cat, "run": {"row": row, **{k: answer[k] for k in ("path", "state", "grad")}}})
    assert got["partial"] is True
    assert "1: {'step': tensor(2.), 'eta': …, 'mu': …, 'ax': tensor([" in got["text"]


def test_torchprint_json_is_what_pytorch_holds():
    from tests.torchprint import OUT, build_table, dumps
    assert OUT.read_text(encoding="utf-8") == dumps(build_table()), \
        "static/js/torchprint.json is stale: python -m tests.torchprint"
    table = json.loads(OUT.read_text(encoding="utf-8"))["optimizers"]
    # every state entry the engine answers has its place and kind in torch's order
    for oid, cls in REGISTRY.items():
        known = {n for n, _ in table[oid]["state"]} | {n for n, _ in table["lookahead"]["state"]}
        missing = [n for n in cls.state_names if n not in known and "adanorm" not in n]
        assert not missing, (oid, missing)


def test_python_s_number_formats(tmp_path):
    """repr(float), f"{v:.4f}", f"{v:.4e}" and torch's tensor print, in statedict.js, on
    exact ties (Python rounds half to even, JavaScript away from zero) and layouts."""
    import torch
    values = [0.125, 0.375, 2.5, 3.5, -2.5, 0.03125, 1e-5, 123456.0, 0.4841, -0.0001234,
              1e16, 1.5e-7, 0.1, 1.0, 100.0, 1e-4, 123.456, -0.0, 5e-324, 2.00005, 0.99995]
    tensors = [[1e-5, 3.0], [123456.0, 1.0], [float("nan"), 1.0], [-0.0001234, 2.5],
               [0.0, 0.0], [-0.2016, 0.4032], [2.7], [1e9, 1.0], [3.0, -7.0], [0.5, 1e-5]]
    got = run_node(tmp_path, """
const m = await import("{js}/statedict.js");
console.log(JSON.stringify({
  numbers: data.values.map((v) => [m.pyFloat(v), m.pyFixed(v, 4), m.pyExp(v, 4), m.pyFixed(v, 0)]),
  tensors: data.tensors.map((t) => m.tensorText(t.map((v) => v === null ? NaN : v))),
  scalars: data.values.map((v) => m.tensorText(v, true)),
}));
""", {"values": values, "tensors": [[None if v != v else v for v in t] for t in tensors]})
    assert got["numbers"] == [[repr(v), f"{v:.4f}", f"{v:.4e}", f"{v:.0f}"] for v in values]
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        assert got["tensors"] == [str(torch.tensor(t)) for t in tensors]
        assert got["scalars"] == [str(torch.tensor(v)) for v in values]
    finally:
        torch.set_default_dtype(old)
