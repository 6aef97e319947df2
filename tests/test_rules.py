"""Update rules as typeset math (app/engine/rulemath.py): every optimizer and scheduler has
one, every formula is MathML that parses, and the rule names only real PyTorch names."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from app.engine import catalog, rulemath
from app.engine.optim import REGISTRY as OPTIMIZERS
from app.engine.sched import REGISTRY as SCHEDULERS
from app.main import app

MATH = "{http://www.w3.org/1998/Math/MathML}math"
ENTRIES = ([("optimizer", o) for o in catalog.optimizers()["optimizers"]]
           + [("scheduler", s) for s in catalog.schedulers()["schedulers"]])
CLASSES = {**{c.id: c for c in OPTIMIZERS.values()}, **{c.name: c for c in SCHEDULERS.values()}}


def _formulas(entry):
    for line in entry["rule_mathml"]:
        yield from line["mathml"]
    for seg in entry["rule_note"] + entry["rule_note_zh"]:
        if "mathml" in seg:
            yield seg["mathml"]


@pytest.mark.parametrize("kind,entry", ENTRIES, ids=[e["id"] for _, e in ENTRIES])
def test_every_rule_is_mathml_that_parses(kind, entry):
    formulas = list(_formulas(entry))
    assert entry["rule_mathml"], f"{kind} {entry['id']} has no typeset rule"
    assert any(line["keyword"] is None and line["mathml"] for line in entry["rule_mathml"]), \
        "a rule needs at least one formula line of its own"
    for xml in formulas:
        root = ET.fromstring(xml)
        assert root.tag == MATH
        assert len(list(root.iter())) > 2          # more than <math><mrow/></math>
    # The update itself is there in symbols: an arrow or an equals sign.
    assert any(("←" in f or "=" in f) for f in formulas), entry["id"]


@pytest.mark.parametrize("kind,entry", ENTRIES, ids=[e["id"] for _, e in ENTRIES])
def test_rule_names_are_pytorchs_and_every_hyperparameter_is_explained(kind, entry):
    cls = CLASSES[entry["id"]]
    hypers = {p["name"] for p in entry["params"]}
    choices = {str(c) for p in entry["params"] for c in (p.get("choices") or [])}
    states = set(entry.get("state", ()))
    allowed = hypers | states | {f"'{c}'" for c in choices} | {"lr", "params"}
    named = rulemath.names_in(cls.rule_tex)
    assert named <= allowed, f"not a name of {entry['id']}: {named - allowed}"
    # A slider the page shows is either a symbol of the rule or named in its note.
    notes = cls.rule_note + " " + cls.rule_note_zh
    missing = [h for h in hypers if h not in named and h not in notes]
    assert not missing, f"{entry['id']}: {missing} appear neither in the rule nor in its note"


@pytest.mark.parametrize("kind,entry", ENTRIES, ids=[e["id"] for _, e in ENTRIES])
def test_rule_lines_are_well_formed(kind, entry):
    lines = entry["rule_mathml"]
    assert lines[0]["indent"] == 0
    for prev, line in zip(lines, lines[1:]):
        opens = prev["keyword"] in ("for", "foreach", "if", "elif", "else", "every")
        # A block opens one level deeper; nothing else may jump in.
        assert line["indent"] <= prev["indent"] + (1 if opens else 0), (entry["id"], line["tex"])
        if opens:
            assert line["indent"] == prev["indent"] + 1, (entry["id"], prev["tex"])
    for line in lines:
        assert line["keyword"] in rulemath.KEYWORDS + (None,)
        assert bool(line["mathml"]) == (line["keyword"] != "else"), (entry["id"], line)
        # Words belong to the page (translated): TeX holds symbols and PyTorch names only.
        assert "\\text{" not in line["tex"] and "\\mbox" not in line["tex"], line["tex"]
    for seg in entry["rule_note_zh"]:
        assert "mathml" in seg or seg["text"].strip(), seg


def test_lists_split_at_top_level_commas():
    line = rulemath.rule_lines((r"input: \gamma\ (\texttt{lr}), (\beta_1, \beta_2)\ (\texttt{betas})",))[0]
    assert line["keyword"] == "input" and len(line["mathml"]) == 2
    assert "β" in line["mathml"][1] and "betas" in line["mathml"][1]
    assert rulemath.parse_line("        else:") == {"indent": 2, "keyword": "else", "tex": ""}
    # A colon that is no keyword stays TeX.
    assert rulemath.parse_line(r"x: y")["keyword"] is None


def test_notes_mix_words_and_math():
    segs = rulemath.note_segments(r"The step $\theta_t$ moves; $\epsilon$ is small.")
    assert [list(s) for s in segs] == [["text"], ["mathml"], ["text"], ["mathml"], ["text"]]
    assert segs[0]["text"] == "The step "


def test_a_typo_is_refused_by_name():
    with pytest.raises(rulemath.RuleError, match="frac"):
        rulemath.to_mathml(r"\frac{1}{")


def test_catalogue_endpoints_carry_the_rules():
    client = TestClient(app)
    opts = client.get("/api/v1/optimizers").json()["optimizers"]
    adam = next(o for o in opts if o["id"] == "adam")
    # the text form is the typeset rule in plain Unicode: one source, rule_tex
    assert adam["rule"] == rulemath.plain_text(OPTIMIZERS["adam"].rule_tex)
    assert "θ_t ← θ_(t-1) - γ (m_t)/(√(v_t) + ε)" in adam["rule"]
    assert "\\" not in adam["rule"] and "{" not in adam["rule"]
    flat = "".join(m for line in adam["rule_mathml"] for m in line["mathml"])
    for symbol in ("β", "γ", "ϵ", "θ", "<msqrt>", "<mfrac>", "exp_avg_sq"):
        assert symbol in flat, symbol
    scheds = client.get("/api/v1/schedulers").json()["schedulers"]
    step = next(s for s in scheds if s["id"] == "StepLR")
    assert "⌊" in "".join(step["rule_mathml"][1]["mathml"])
