"""Switch to 中文 with every panel open: no English word is left on the page but PyTorch's
own names (optimizers, hyperparameters, state, schedulers, surfaces) and code."""

from __future__ import annotations

import re

from .conftest import wait_ready

# Code that a Chinese tutorial writes in Latin letters too: file names, attributes, the
# request fields the text refers to, and the two English terms students meet as they are.
CODE_WORDS = {"pytorch", "torch", "optim", "optimizer", "state", "param", "param_groups",
              "grad", "buffer", "seed", "scene", "csv", "json", "html", "png", "mini",
              "batch", "epoch", "plotly", "sin", "cos", "tan", "exp", "log", "sqrt",
              "abs", "tanh", "zero_grad", "backward", "step",
              # the optimizer object's own API (the torch.optim API lab, state_dict() print)
              "state_dict", "load_state_dict", "closure", "print",
              "null", "hessian", "wolfe",   # JSON's null; Hessian and Wolfe are names
              # file formats and the key a Chinese keyboard also labels "Esc"
              "gif", "mp4", "webm", "esc"}

VISIBLE_TEXT = """(extra) => {
  const out = [];
  const skip = 'math,code,pre,textarea,.formula,.xtick,.ytick,.colorbar,select option' + (extra ? ',' + extra : '');
  const walk = (n) => {
    for (const c of n.childNodes) {
      if (c.nodeType === 3) {
        const e = c.parentElement;
        if (e && e.offsetParent !== null && !e.closest(skip)) out.push(c.textContent);
      } else if (c.nodeType === 1 && !['SCRIPT', 'STYLE'].includes(c.tagName)) walk(c);
    }
  };
  walk(document.body);
  for (const e of document.querySelectorAll('[title],[aria-label],[placeholder],[data-title]'))
    for (const a of ['title', 'aria-label', 'placeholder', 'data-title'])
      if (e.getAttribute(a)) out.push(e.getAttribute(a));
  return out;
}"""


def pytorch_names(page, base: str) -> set[str]:
    names: set[str] = set()

    def add(text) -> None:
        names.update(w.lower() for w in re.findall(r"[A-Za-z_]+", str(text)))

    for kind in ("optimizers", "schedulers", "surfaces"):
        items = page.request.get(f"{base}/api/v1/{kind}").json()[kind]
        for it in items:
            add(it["id"])
            add(it.get("name", ""))
            add(it.get("expr", ""))
            for p in it.get("params", []):
                add(p["name"])
                for c in p.get("choices") or []:      # PyTorch's own values ("strong_wolfe")
                    if isinstance(c, str):
                        add(c)
            for s in it.get("state", []):
                add(s)
    return names


def english_left(page, base: str, skip: str = "") -> dict[str, str]:
    """The English words on the page (and where) that are not PyTorch's or code; `skip`:
    more CSS selectors of parts to leave out."""
    allowed = pytorch_names(page, base) | CODE_WORDS
    left: dict[str, str] = {}
    for text in page.evaluate(VISIBLE_TEXT, skip or None):
        for word in re.findall(r"[A-Za-z][A-Za-z_]{2,}", text):
            if word.lower() not in allowed:
                left.setdefault(word, text.strip()[:80])
    return left


def test_chinese_leaves_no_english_in_the_controls(page, server):
    # The torch.optim API lab open on every part: param groups, zero_grad() off, changes
    # of course (kept and re-created), LBFGS's step(closure), state_dict() open.
    page.goto(server.url + "/?s=himmelblau&o=adam(lr=0.1)&o=sgd(lr=0.01)"
              "&sched1=StepLR(step_size=50)&map=basin&mres=32&insp=1&arrows=1"
              "&o=sgd(lr=0.01)&groups3=x,y(lr=0.003)&zero_grad3=never"
              "&o=adam(lr=0.05)&events4=20:keep(lr=0.01),40:reset&o=lbfgs(lr=0.5)")
    wait_ready(page)
    page.get_by_role("button", name="中文").click()
    page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
    page.locator(".rule-toggle").first.click()
    for lab in page.locator("[data-torch-api]").all():
        if lab.get_attribute("open") is None:
            lab.locator("> summary").click()
    wait_ready(page)
    page.locator("#player [data-action=reset]").click()
    page.locator("#player .scrubber").fill("45")
    for box in page.locator(".insp-sd").all():
        if box.get_attribute("open") is None:
            box.locator("> summary").click()
    assert page.locator(".scrub-mark").count() == 2 and page.locator(".lab-event").count() == 2
    left = english_left(page, server.url)
    assert not left, f"English left after switching to 中文: {left}"
    # Plotly's own mode-bar tooltips follow the switch too.
    titles = page.eval_on_selector_all("#contour .modebar-btn", "bs => bs.map(b => b.getAttribute('data-title'))")
    assert titles and all(not re.search(r"[A-Za-z]{3}", t or "") for t in titles), titles
    page.watch.assert_clean()


def test_chinese_leaves_no_english_on_a_scene_from_data(page, server):
    """Your own data (the CSV box, the model, the mini-batch controls), the data panel
    beside the contour, the batch loss and the epochs on the loss chart."""
    page.goto(server.url + "/?pts=0.5:0,1:0,1.5:1,2:0,2.5:1,3:1,3.5:1&model=logistic"
              "&o=adam(lr=0.1)&o=sgd(lr=0.5)&batch=3&steps=60&insp=1")
    wait_ready(page)
    page.get_by_role("button", name="中文").click()
    page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
    wait_ready(page)
    assert page.locator("#data-view").is_visible() and page.locator("#csv-box").is_visible()
    assert page.locator("#data-view .data-title").inner_text().startswith("数据，以及各优化器在第")
    allowed = pytorch_names(page, server.url) | CODE_WORDS
    left = {}
    for text in page.evaluate(VISIBLE_TEXT):
        for word in re.findall(r"[A-Za-z][A-Za-z_]{2,}", text):
            if word.lower() not in allowed:
                left.setdefault(word, text.strip()[:80])
    assert not left, f"English left after switching to 中文: {left}"
    # Plotly draws the axis titles: the contour's are w and b, in Chinese.
    titles = page.eval_on_selector_all("#contour .g-xtitle, #contour .g-ytitle", "ts => ts.map(t => t.textContent)")
    assert titles == ["w（权重）", "b（偏置）"]
    notes = page.locator("#loss .loss-graph").evaluate("gd => gd.layout.annotations.map(a => a.text)")
    assert notes[0] == "第 1 个 epoch"
    page.watch.assert_clean()
