"""Every word the page asks i18n.js for by name (t("key") in static/js) exists in English
and in 简体中文, and the two dictionaries hold the same keys (with the words of the parts
that load on first use, i18nlabpanel.js, added as they are then)."""

from __future__ import annotations

import re

from tests.conftest import REPO
from tests.nodejs import run_node


def test_every_key_the_page_uses_is_in_both_languages(tmp_path):
    used = set()
    for path in (REPO / "static" / "js").glob("*.js"):
        used |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", path.read_text(encoding="utf-8")))
    keys = run_node(tmp_path, """
const { DICTIONARIES, addWords } = await import("{js}/i18n.js");
const { LAB_PANEL_EN, LAB_PANEL_ZH } = await import("{js}/i18nlabpanel.js");
addWords(LAB_PANEL_EN, LAB_PANEL_ZH);
console.log(JSON.stringify({ en: Object.keys(DICTIONARIES.en), zh: Object.keys(DICTIONARIES.zh) }));
""", {})
    en, zh = set(keys["en"]), set(keys["zh"])
    assert en == zh, {"only in English": sorted(en - zh), "only in 中文": sorted(zh - en)}
    assert used and not used - en, sorted(used - en)
