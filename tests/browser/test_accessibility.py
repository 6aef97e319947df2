"""axe-core (the npm package, installed by .ci/run at an exact version, injected into the
page by this test: never served by the app, never from a CDN) over every page a user can
open: no serious or critical violation. A page to check is one line in PAGES."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import IN_CI, REPO, wait_ready

AXE = REPO / ".ci" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
EXPORT = "export:"   # a PAGES entry that starts with this is an HTML export of that body
TUNED = "tuned:"     # ... with this, the page after pressing Tune lr (curves drawn)

SCENE = "s=rosenbrock&steps=120&o=sgd(lr=0.01)&o=adam(lr=0.1)&o=sgd(lr=0.001;momentum=0.9)"
PAGES = [
    "/",
    "/?lang=zh",
    f"/?{SCENE}&insp=1&map=basin&mres=32",
    f"/?{SCENE}&lang=zh&insp=1",
    # the torch.optim API lab open on every part (it opens on a row that uses it)
    f"/?{SCENE}&groups1=x,y(lr=0.003)&zero_grad1=never&events2=40:keep(lr=0.01),80:reset"
    "&o=lbfgs(lr=0.5)&insp=1",
    f"/?{SCENE}&groups1=x,y(lr=0.003)&events3=40:reset&lang=zh",
    f"{TUNED}/?{SCENE}",
    f"{TUNED}/?{SCENE}&lang=zh",
    # a lesson: its card over the plot, the menu beside the language switch
    "/?lesson=lr-too-large",
    "/?lesson=lbfgs-closure&lang=zh",
    "/embed?lesson=restart-spike&lang=zh",
    f"/embed?{SCENE}&controls=lr,steps,surface",
    f"/embed?{SCENE}&lang=zh&autoplay=1",
    # presentation mode (the plot's own legend, the bar with its way out), page and embed
    f"/?{SCENE}&present=1",
    f"/?{SCENE}&present=1&lang=zh",
    f"/embed?{SCENE}&present=1&lang=zh",
    EXPORT + json.dumps({"surface": "rosenbrock", "steps": 80, "lang": "en", "runs": [
        {"optimizer": "sgd", "params": {"lr": 0.01}}, {"optimizer": "adam", "params": {"lr": 0.1}}]}),
    EXPORT + json.dumps({"surface": "himmelblau", "steps": 60, "lang": "zh", "lr_variants": [0.01, 0.03],
                         "runs": [{"optimizer": "sgd", "params": {"lr": 0.01}}]}),
]
SERIOUS = ("serious", "critical")


@pytest.fixture
def axe_page(browser, server):
    if not AXE.exists():
        if IN_CI:
            pytest.fail(f"{AXE} missing: .ci/run installs axe-core")
        pytest.skip(f"{AXE} missing (npm install --prefix .ci/npm axe-core@4.14.1)")
    # The page's CSP admits only its own scripts: the test's context lets axe in.
    ctx = browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-US", bypass_csp=True)
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    yield page
    ctx.close()


def open_target(page, server, target: str, tmp_path: Path) -> None:
    if target.startswith(EXPORT):
        body = json.loads(target[len(EXPORT):])
        res = page.request.post(server.url + "/api/v1/export/html", data=body)
        assert res.ok, res.text()
        path = tmp_path / "scene.html"
        path.write_bytes(res.body())
        page.goto(path.as_uri())
        page.wait_for_function("() => window.__optplayExport && window.__optplayExport.ready()")
        return
    tuned = target.startswith(TUNED)
    page.goto(server.url + target.removeprefix(TUNED))
    wait_ready(page)
    if tuned:
        page.locator("#tune-panel .tune-btn").click()
        page.wait_for_function("() => document.querySelector('#tune-panel').dataset.state === 'done'")


@pytest.mark.parametrize("target", PAGES, ids=lambda t: t[:60])
def test_no_serious_accessibility_violations(axe_page, server, target, tmp_path):
    open_target(axe_page, server, target, tmp_path)
    axe_page.wait_for_timeout(800)   # the race has drawn, the readout and legend filled
    axe_page.add_script_tag(path=str(AXE))
    result = axe_page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
    bad = [v for v in result["violations"] if v["impact"] in SERIOUS]
    report = [f"{v['id']} ({v['impact']}): {v['help']} -> " +
              "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                        for n in v["nodes"][:5]) for v in bad]
    assert not bad, "\n".join(report)
