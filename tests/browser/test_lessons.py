"""Lessons in Chromium: every lesson's link, in English and in 中文, draws its scene with
its card in that language (no English left in 中文), and what its caption claims holds
against the answer the page drew (app/teach/lessons.py checks it, as it checks the
engine's in tests/test_lessons.py). The menu opens a lesson; closing the card leaves it."""

from __future__ import annotations

import re

import pytest

from app.teach import lessons

from .conftest import hook, wait_ready
from .test_chinese_everywhere import CODE_WORDS, VISIBLE_TEXT, pytorch_names

SCENES = [(item, name, query, claims) for item in lessons.LESSONS
          for name, query, claims in lessons.scenes(item)]
# What the page drew, in the API's shape (lessons.check reads this).
ANSWER = """() => {
  const h = window.__optplay;
  const paths = h.paths(), losses = h.losses(), lrs = h.lrs(), evals = h.evals();
  return {surface: h.surface(), runs: h.statuses().map((s, i) => ({
    status: s.status, diverged_reason: s.reason, path: paths[i], loss: losses[i], lr: lrs[i],
    evals: evals[i]}))};
}"""


def plain(text: str) -> str:
    return text.replace("`", "")


def skip_without_keys(name: str, query: str) -> None:
    missing = lessons.unknown_keys(query)
    if missing:
        pytest.skip(f"{name}: the page's URL keys {', '.join(missing)} are not in "
                    "static/js/table.json on this branch (the data page's keys)")


# The lesson's own words: its card, the menu, and the run readout (the reason it diverged).
# (Every panel's 中文 is test_chinese_everywhere.py's.)
ROOTS = "#lesson-card, #lessons-menu, #readout"
LESSON_TEXT = VISIBLE_TEXT.replace(
    "walk(document.body);", f"for (const r of document.querySelectorAll('{ROOTS}')) walk(r);").replace(
    "document.querySelectorAll('[title],[aria-label],[placeholder],[data-title]')",
    f"[...document.querySelectorAll('{ROOTS}')].flatMap((r) => [r, ...r.querySelectorAll('*')])")
assert LESSON_TEXT.count(ROOTS) == 2


def english_left(page, server) -> dict:
    allowed = pytorch_names(page, server.url) | CODE_WORDS
    left = {}
    for text in page.evaluate(LESSON_TEXT):
        for word in re.findall(r"[A-Za-z][A-Za-z_]{2,}", text):
            if word.lower() not in allowed:
                left.setdefault(word, text.strip()[:80])
    return left


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("scene", SCENES, ids=lambda s: s[1])
def test_a_lesson_draws_says_it_in_the_language_and_its_claims_hold(page, server, scene, lang):
    item, name, query, claims = scene
    skip_without_keys(name, query)
    link = f"/?lesson={item['id']}&lang={lang}" + (f"&{query}" if "/" in name else "")
    page.goto(server.url + link)
    wait_ready(page)
    card = page.locator("#lesson-card")
    assert card.is_visible()
    assert plain(item["title"][lang]) in card.locator("#lesson-title").inner_text()
    assert card.locator(".lesson-caption").inner_text() == plain(item["caption"][lang])
    assert card.locator(".lesson-question").inner_text() == plain(item["question"][lang])
    assert plain(item["try"][lang]) in card.locator(".lesson-try").inner_text()
    # The scene is the lesson's, drawn: a path per run on the contour.
    assert hook(page, "h.state.lesson") == item["id"]
    paths = hook(page, "h.paths()")
    assert paths and all(len(p) > 1 for p in paths)
    assert page.locator("#contour .main-svg").count() > 0
    failed = lessons.check(claims, page.evaluate(ANSWER))
    assert failed == [], failed
    if lang == "zh":
        page.locator("#lessons-menu > summary").click()
        page.locator("#lessons-menu li a").first.wait_for()
        left = english_left(page, server)
        assert not left, f"English left in 中文: {left}"
    page.watch.assert_clean()


def test_the_menu_opens_a_lesson_and_the_card_follows_the_language(page, server):
    page.goto(server.url + "/")
    wait_ready(page)
    assert page.locator("#lesson-card").is_hidden()
    page.locator("#lessons-menu > summary").click()
    links = page.locator("#lessons-menu li a")
    links.first.wait_for()
    assert links.count() == len(lessons.LESSONS)
    page.locator("#lessons-menu a[data-lesson=lr-too-large]").click()
    page.wait_for_url(re.compile(r"lesson=lr-too-large"))
    wait_ready(page)
    card = page.locator("#lesson-card")
    item = lessons.lesson("lr-too-large")
    assert card.locator(".lesson-caption").inner_text() == plain(item["caption"]["en"])
    # The run the caption says diverges shows why, under its row.
    page.wait_for_function("() => window.__optplay.statuses()[2].reason !== null")
    page.get_by_role("button", name="中文").click()
    page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
    assert card.locator(".lesson-caption").inner_text() == plain(item["caption"]["zh"])
    page.locator("#lessons-menu > summary").click()
    assert "什么" in page.locator("#lessons-menu li a").first.inner_text()
    page.keyboard.press("Escape")
    # A scene edited inside the lesson keeps its caption through a reload.
    page.locator("#lesson-card .lesson-close").click()
    assert card.is_hidden()
    page.wait_for_function("() => !location.search.includes('lesson=')")
    page.watch.assert_clean()


def test_an_edited_lesson_keeps_its_scene_and_caption_on_reload(page, server):
    page.goto(server.url + "/?lesson=zero-grad")
    wait_ready(page)
    page.wait_for_function("() => location.search.includes('o=')")
    edited = page.url.replace("steps=100", "steps=60")
    page.goto(edited)
    wait_ready(page)
    assert hook(page, "h.state.steps") == 60 and hook(page, "h.state.lesson") == "zero-grad"
    assert page.locator("#lesson-card").is_visible()
    page.watch.assert_clean()


def test_an_embedded_lesson_shows_its_card(page, server):
    page.goto(server.url + "/embed?lesson=restart-spike&lang=zh")
    wait_ready(page)
    item = lessons.lesson("restart-spike")
    assert page.locator("#lesson-card .lesson-caption").inner_text() == plain(item["caption"]["zh"])
    assert lessons.check(item["claims"], page.evaluate(ANSWER)) == []
    assert "lesson=restart-spike" in page.locator("#open-full").get_attribute("href")
    page.watch.assert_clean()
