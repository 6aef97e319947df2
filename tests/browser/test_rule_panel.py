"""The "Update rule" panel of a row: the optimizer's (and scheduler's) rule as MathML that
Chromium typesets natively, with the words around it in English and Chinese."""

from __future__ import annotations

from .conftest import hook, wait_ready, wait_recomputed

MATHML = "http://www.w3.org/1998/Math/MathML"


def panel_facts(page, index: int) -> dict:
    # (A panel is built once the typeset rules are in: GET /api/v1/rules, on first use.)
    page.wait_for_function("i => document.querySelectorAll('.rule-panel').length > i", arg=index)
    return page.evaluate("""([i, ns]) => {
        const p = document.querySelectorAll('.rule-panel')[i];
        const maths = [...p.querySelectorAll('math')];
        const frac = p.querySelector('mfrac');
        const line = p.querySelector('.rule-line');
        return {n: maths.length, ns: maths.every((m) => m.namespaceURI === ns),
                text: p.textContent, hidden: p.hidden,
                fracHeight: frac ? frac.getBoundingClientRect().height : 0,
                lineHeight: line.getBoundingClientRect().height,
                keywords: [...p.querySelectorAll('.rule-kw')].map((k) => k.textContent)};
    }""", [index, MATHML])


def test_rule_panel_typesets_the_rows_optimizer(page, server):
    page.goto(server.url + "/?o=adam(lr=0.1)&o=sgd(lr=0.001;momentum=0.9)")
    wait_ready(page)
    first = page.locator("#rows .row-card").first
    button = first.get_by_role("button", name="ⓘ Update rule")
    assert button.get_attribute("aria-expanded") == "false"
    assert first.locator(".rule-panel").count() == 0          # built when first opened
    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    facts = panel_facts(page, 0)
    assert facts["n"] > 15 and facts["ns"]
    # PyTorch's names and symbols: lr is γ, betas are β₁ and β₂, the state is exp_avg(_sq).
    for piece in ("γ", "β", "ϵ", "lr", "betas", "exp_avg_sq", "amsgrad"):
        assert piece in facts["text"], piece
    assert "input:" in facts["keywords"] and "else:" in facts["keywords"]
    assert "PyTorch defaults:" in facts["keywords"] and "lr=0.001" in facts["text"]
    # Typeset, not raw text: a fraction stacks its numerator over its denominator.
    assert facts["fracHeight"] > 1.5 * 15, facts
    # The second row's SGD rule names its momentum buffer.
    page.locator("#rows .row-card").nth(1).get_by_role("button", name="ⓘ Update rule").click()
    assert "momentum_buffer" in panel_facts(page, 1)["text"]
    # Closing hides it; nothing was recomputed for any of this.
    requests = hook(page, "h.requests()")
    button.click()
    assert panel_facts(page, 0)["hidden"] is True
    assert hook(page, "h.requests()") == requests
    page.watch.assert_clean()


def test_rule_panel_in_chinese_and_for_a_scheduler(page, server):
    page.goto(server.url + "/?o=sgd(lr=0.01)&sched1=StepLR(step_size=50;gamma=0.5)")
    wait_ready(page)
    card = page.locator("#rows .row-card").first
    card.locator(".rule-toggle[data-rule=optimizer]").click()
    page.get_by_role("button", name="中文").click()
    # Rebuilt in Chinese and still open: the words are translated, the formulas stay.
    card = page.locator("#rows .row-card").first
    assert card.locator(".rule-toggle[data-rule=optimizer]").inner_text() == "ⓘ 更新公式"
    facts = panel_facts(page, 0)
    assert not facts["hidden"]
    assert "输入：" in facts["keywords"] and "如果" in facts["keywords"]
    assert "PyTorch 默认值：" in facts["keywords"]
    assert "momentum_buffer" in facts["text"] and "←" in facts["text"]
    # The scheduler's formula: StepLR's floor of t / step_size.
    card.locator(".rule-toggle[data-rule=scheduler]").click()
    sched = panel_facts(page, 1)
    assert "⌊" in sched["text"] and "step_size" in sched["text"] and sched["ns"]
    assert "step_size=必填" in sched["text"]                 # PyTorch has no default for it
    # Another scheduler: a fresh panel, closed.
    done = hook(page, "h.done()")
    card.locator(".sched-select").select_option("CosineAnnealingLR")
    wait_recomputed(page, done)
    toggle = page.locator("#rows .row-card").first.locator(".rule-toggle[data-rule=scheduler]")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert "cos" in panel_facts(page, 1)["text"]
    page.watch.assert_clean()


def test_the_rules_are_fetched_once_when_first_wanted(page, server):
    """The first view asks for the catalogues without their typeset rules; the rules come
    in one request when a rule is first wanted, and every later panel uses them."""
    asked = []
    page.on("request", lambda r: asked.append(r.url.split("/api/v1")[-1]) if "/api/v1/" in r.url else None)
    page.goto(server.url + "/?o=adam(lr=0.1)&o=sgd(lr=0.001)&sched1=StepLR(step_size=50;gamma=0.5)")
    wait_ready(page)
    assert "/optimizers?math=false" in asked and "/schedulers?math=false" in asked
    assert not [a for a in asked if a.startswith("/rules") or a in ("/optimizers", "/schedulers")]
    page.locator("#rows .row-card").first.get_by_role("button", name="ⓘ Update rule").click()
    assert "exp_avg_sq" in panel_facts(page, 0)["text"]
    card = page.locator("#rows .row-card").first
    card.locator(".rule-toggle[data-rule=scheduler]").click()
    page.locator("#rows .row-card").nth(1).get_by_role("button", name="ⓘ Update rule").click()
    assert "momentum_buffer" in panel_facts(page, 2)["text"]
    assert "step_size" in panel_facts(page, 1)["text"]
    assert asked.count("/rules") == 1
    page.watch.assert_clean()
