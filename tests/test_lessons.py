"""Lessons (static/js/lessons.json) without a browser: every lesson is complete in both
languages, its link decodes through app/teach/share_url.py into a request the API takes,
and what its caption claims holds against the engine's answer. The browser side is
tests/browser/test_lessons.py."""

from __future__ import annotations

import copy
import re
from urllib.parse import parse_qsl

import pytest

from app.engine.request import RunRequest
from app.engine.scene import run_request
from app.teach import lessons, share_url
from app.teach.table import url_field
from tests.nodejs import run_node

LANGS = ("en", "zh")
WORDS = ("title", "question", "caption", "try")
SCENES = [s for item in lessons.LESSONS for s in lessons.scenes(item)]
# The issue's eleven chapters, by the id a teacher links to.
CHAPTERS = ["gradient-step", "lr-too-large", "momentum-ravine", "saddle-point", "adaptive-steps",
            "lbfgs-closure", "schedulers", "param-groups", "zero-grad", "restart-spike",
            "minibatch-noise"]


def test_the_issues_chapters_are_lessons_in_order():
    assert [x["id"] for x in lessons.LESSONS][:len(CHAPTERS)] == CHAPTERS
    assert len({x["id"] for x in lessons.LESSONS}) == len(lessons.LESSONS)
    pattern = url_field("lesson")["pattern"]
    assert all(re.fullmatch(pattern, x["id"]) for x in lessons.LESSONS)


@pytest.mark.parametrize("item", lessons.LESSONS, ids=lambda x: x["id"])
def test_a_lesson_says_it_all_in_both_languages_and_briefly(item):
    for part in WORDS:
        assert set(item[part]) == set(LANGS), (part, item[part].keys())
        for lang in LANGS:
            text = item[part][lang]
            assert text.strip() and text.count("`") % 2 == 0, (part, lang, text)
    # Short: two or three sentences (decimals are no sentence ends).
    assert 2 <= len(re.findall(r"[.!?](?:\s|$)", item["caption"]["en"])) <= 3, item["caption"]["en"]
    assert 1 <= item["caption"]["zh"].count("。") <= 3, item["caption"]["zh"]
    # Chinese text is Chinese: what stays in Latin letters is code and PyTorch's names.
    assert all(re.search(r"[\u4e00-\u9fff]", item[p]["zh"]) for p in WORDS)
    assert item["claims"], "a lesson says something checkable"
    for v in item.get("variants", []):
        assert set(v["label"]) == set(LANGS)


def _answer_of(name: str, query: str, claims: list, link: str) -> dict:
    missing = lessons.unknown_keys(query)
    if missing:
        pytest.skip(f"{name}: the page's URL keys {', '.join(missing)} are not in "
                    "static/js/table.json on this branch (the data page's keys)")
    body, state = share_url.request_from_url(link)
    assert state["lesson"] == name.split("/")[0]
    RunRequest.model_validate(body)           # what POST /api/v1/run takes
    if lessons.needs_state(claims):
        body["state"] = True
    return body, run_request(copy.deepcopy(body))


@pytest.mark.parametrize("scene", SCENES, ids=lambda s: s[0])
def test_a_lessons_link_decodes_and_its_claims_hold_against_the_engine(scene):
    name, query, claims = scene
    lesson_id = name.split("/")[0]
    # The lesson's own scene is opened by its short link; a variant's link carries its rows.
    link = f"/?lesson={lesson_id}" if "/" not in name else f"/?{query}&lesson={lesson_id}"
    body, answer = _answer_of(name, query, claims, link)
    assert body["runs"] and len(answer["runs"]) == len(body["runs"])
    # The short link stands for exactly the lesson's scene.
    assert body == share_url.request_from_url(f"/?{query}")[0] | ({"state": True} if "state" in body else {})
    assert lessons.check(claims, answer) == []


def test_a_false_claim_is_reported():
    item = lessons.lesson("lr-too-large")
    body, answer = _answer_of(item["id"], item["scene"], [], "/?lesson=lr-too-large")
    wrong = [{"run": 1, "status": "diverged"}, {"run": 3, "reason_has": "lr < 0.7"},
             {"run": 1, "reaches_min_before": 5}, {"run": 2, "stays_on_plot": True},
             {"run": 9, "status": "ok"}, {"run": 1, "nosuch": 1}]
    failed = lessons.check(wrong, answer)
    assert len(failed) == len(wrong), failed


def test_a_lesson_link_keeps_its_own_keys_and_an_edited_one_is_its_own_scene():
    st = share_url.request_from_url("/?lesson=zero-grad&steps=50&lang=zh")[1]
    assert (st["surface"], st["steps"], st["lang"], len(st["rows"])) == ("bowl", 50, "zh", 2)
    assert st["rows"][1]["zero_grad"] == "never"
    # With rows, the link is the scene (the lesson after an edit): only the caption stays.
    st = share_url.request_from_url("/?lesson=zero-grad&s=booth&o=adam(lr=0.1)")[1]
    assert (st["surface"], st["lesson"], [r["optimizer"] for r in st["rows"]]) == ("booth", "zero-grad", ["adam"])
    # No such lesson, or a malformed name: the plain link, no lesson.
    for bad in ("nosuch", "Zero-Grad", "a b", "x" * 41):
        st = share_url.decode_state(lessons.lesson_search(f"lesson={bad}&s=bowl"))
        assert st["surface"] == "bowl" and (st["lesson"] is None or bad == "nosuch")


LINKS = ["lesson=zero-grad", "lesson=zero-grad&steps=50&lang=zh", "lang=zh&lesson=schedulers&speed=2",
         "lesson=saddle-point&start=-1.5,0", "lesson=zero-grad&o=adam(lr=0.1)&s=booth",
         "lesson=nosuch&s=bowl", "s=bowl&o=sgd(lr=0.1)", "lesson=minibatch-noise&autoplay=1"]


def test_lessons_js_reads_a_link_as_python_does(tmp_path):
    js = run_node(tmp_path, """
const { lessonSearch } = await import("{js}/lessons.js");
const { default: table } = await import("{js}/lessons.json", { with: { type: "json" } });
console.log(JSON.stringify(data.map((q) => lessonSearch(q, table.lessons))));
""", LINKS)
    for link, theirs in zip(LINKS, js):
        assert parse_qsl(theirs, keep_blank_values=True) == parse_qsl(lessons.lesson_search(link), keep_blank_values=True), link
