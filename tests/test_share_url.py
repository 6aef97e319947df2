"""app.teach.share_url against the page's own static/js/state.js: the same share URLs,
decoded by Node.js running state.js and by Python, give the same state and run request."""

from __future__ import annotations

import json

from app.engine import catalog as catalogues
from app.engine import run_request
from app.teach import share_url
from tests.nodejs import run_node

QUERIES = [
    "",
    "s=himmelblau",
    "s=nosuch&steps=50",
    "s=rosenbrock&start=-1.2,1&steps=150&o=sgd(lr=0.001;momentum=0.9)"
    "&o=adam(lr=0.05;betas=0.9,0.999)",
    "f=x**2+%2B+3*sin(y)&d=-3,3,-2,2&o=adam(lr=0.1)",
    "f=x**2&d=3,-3,1,2&o=sgd",
    "s=bowl&o=lookahead(k=3;alpha=0.6;optimizer=sgd(lr=0.003;momentum=0.9))"
    "&o=adafactor(eps=null,0.1)",
    "s=booth&o=sgd(lr=0.01)&sched1=StepLR(step_size=50;gamma=0.5)&o=rmsprop(lr=0.1)"
    "&sched2=ReduceLROnPlateau(patience=5)&noise2=0.5",
    "o=adam(lr=0.3)&sched1=SequentialLR(schedulers=LinearLR(total_iters=10),"
    "ExponentialLR(gamma=0.98);milestones=10)",
    "o=sgd(lr=0.1)&sched1=OneCycleLR(max_lr=0.5)&steps=120",
    "o=sgd(lr=0.1)&sched1=CosineAnnealingLR(T_max=100)&o=nosuch(lr=1)&o=adam(lr=bad;amsgrad=1)"
    "&c=112233,zzzzzz,AABBCC&hide=2",
    "o=&s=matyas",
    "o=lbfgs(line_search_fn=strong_wolfe;history_size=7.5)&o=rprop(etas=0.4,1.3;step_sizes=1e-6,50)"
    "&speed=2&lang=zh&autoplay=1&controls=lr,momentum",
    "o=sgd(lr=0x10;nesterov=true;momentum=.5)&noise1=-1&start=1,2,3&steps=0",
    "o=sgd(lr=1e-3)&o=sgd(lr=1e-3)&o=sgd(lr=1e-3)&controls=none&speed=3",
    "s=himmelblau&o=sgd(lr=0.01)&o=adam(lr=0.1)&map=basin&mrun=2&mres=32",
    "o=sgd(lr=0.01)&map=sweep&mx=lr,1e-05,10,log&my=momentum,0,0.99&mcol=steps&mres=128",
    "o=adam&map=sweep&mx=betas:1,0.9,0.9999&my=lr:,1,2&mres=100&mrun=3",
    "o=adam&map=nosuch&mx=lr,2,1&my=b%C3%A9tas,0,1&mrun=1.5&mcol=x",
    "map=basin&mrun=0x2&mres=0x40&mx=lr:2,1,2,log&my=lr,,5",
    # Schedulers written without the lengths PyTorch has no default for: sized by steps=.
    "steps=500&o=sgd(lr=0.01)&sched1=OneCycleLR(max_lr=0.5)&o=adam(lr=0.1)"
    "&sched2=SequentialLR(schedulers=StepLR,CosineAnnealingLR;milestones=100)",
    "sched1=CosineAnnealingLR&o=sgd(lr=0.01)&steps=40",
    # Gradient noise with its seed and a fan of seeds; bad values fall back.
    "o=sgd(lr=0.001)&noise1=0.5&seed1=7&fan1=8&o=adam(lr=0.1)&noise2=0.1&seed2=-3&fan2=5"
    "&o=sgd&seed3=2.5&fan3=16&noise3=0",
    "s=rosenbrock&view=3d&o=adam(lr=0.1)",
    "view=2d",
    "o=adam(lr=0.1)&insp=1&arrows=1",
    "o=adam(lr=0.1)&insp=yes&arrows=0",
    # Surfaces from data: a built-in set, pasted points, a model, mini-batches.
    "data=line&o=sgd(lr=0.05)&batch=8&bseed=3&shuffle=0",
    "data=pass-fail&model=linear&batch=4",
    "data=nosuch&s=booth&batch=8",
    "pts=0.5:1.1,1:2,2:3.9,-1e-7:1e%2B21&model=logistic&batch=2&shuffle=1",
    "pts=1:2,3&data=line&model=quadratic",
    "pts=1:2,0x10:Infinity&s=bowl",
    "pts=1:2,:3",
    "s=bowl&batch=8&bseed=-1&shuffle=0",
    "f=x**2&d=-1,1,-1,1&pts=1:2&batch=0",
    "data=local&model=logistic",
    # The torch.optim API lab: param groups, zero_grad, events (values equal to PyTorch's
    # defaults are kept: in a group or an event they override the row's).
    "s=bowl&o=sgd(lr=0.01;momentum=0.9)&groups1=x(lr=0.05),y(momentum=0)&zero_grad1=never"
    "&o=adam(lr=0.05)&events2=20:keep(lr=0.005),40:reset(betas=0.9,0.99)",
    "o=sgd(lr=0.1)&groups1=x,y&o=adam&groups2=y(lr=0.2;amsgrad=1),x(lr=bad),z(lr=1),y(lr=3)",
    "o=lbfgs(lr=1)&groups1=x(lr=0.5)&events1=3:reset(lr=0.5;max_iter=4)&zero_grad1=never",
    "o=lookahead(k=3;optimizer=adam(lr=0.1))&groups1=x(lr=0.3;betas=0.8,0.9),y(momentum=0.5)"
    "&events1=5(lr=0.01),5:reset,4:keep,0x10:reset(lr=1e-3),12:swap(lr=1),-3:keep,2.5:keep,:keep",
    "o=sgd&zero_grad1=sometimes&events1=&groups1=&o=rprop&events2=1:keep(etas=0.4,1.3;nosuch=1)",
    # A lesson's name (lessons.json): read when it is a name, whichever lesson it names.
    "lesson=zero-grad&s=bowl&o=sgd(lr=0.1)",
    "lesson=Zero_Grad!&o=adam",
    "o=sgd&lesson=nosuch-lesson-1",
]


def js_decode(tmp_path, queries: list[str]) -> list[dict]:
    cat = {"optimizers": catalogues.optimizers()["optimizers"],
           "schedulers": catalogues.schedulers()["schedulers"],
           "surfaces": catalogues.surfaces()["surfaces"],
           "datasets": catalogues.datasets()["datasets"]}
    return run_node(tmp_path, """
const { Catalog } = await import("{js}/catalog.js");
const { decodeState, runRequest } = await import("{js}/state.js");
const catalog = new Catalog(data.catalog);
console.log(JSON.stringify(data.queries.map((q) => {
  const st = decodeState(q, catalog);
  return { state: st, request: runRequest(st, catalog) };
})));
""", {"catalog": cat, "queries": queries})


def test_python_decodes_as_state_js_does(tmp_path):
    theirs = js_decode(tmp_path, QUERIES)
    cat = share_url.Catalog()
    for q, js in zip(QUERIES, theirs):
        st = share_url.decode_state(q, cat)
        mine = json.loads(json.dumps({"state": st, "request": share_url.run_request(st, cat)}))
        assert mine == js, q


def test_schedulers_are_sized_by_the_urls_steps(tmp_path):
    """A link that leaves T_max or total_steps out gets them from its own
    steps=, not from the default 200 (OneCycleLR(total_steps=200) cannot run 500 steps)."""
    query = ("s=bowl&steps=500&o=sgd(lr=0.01)&sched1=OneCycleLR(max_lr=0.5)&o=adam(lr=0.1)"
             "&sched2=SequentialLR(schedulers=StepLR,CosineAnnealingLR;milestones=100)"
             "&o=sgd(lr=0.01)&sched3=CosineAnnealingLR")
    for st in (share_url.decode_state(query), js_decode(tmp_path, [query])[0]["state"]):
        assert st["steps"] == 500
        assert st["rows"][0]["scheduler"]["params"]["total_steps"] == 500
        children = st["rows"][1]["scheduler"]["params"]["schedulers"]
        assert children[0]["name"] == "StepLR"
        assert children[1]["params"]["T_max"] == 500
        assert st["rows"][2]["scheduler"]["params"]["T_max"] == 500
    body, _ = share_url.request_from_url("/?" + query)
    answer = run_request(body)
    assert [r["steps_done"] for r in answer["runs"]] == [500, 500, 500]


def test_request_from_url_runs_and_keeps_colours():
    url = ("https://teach.example/?s=himmelblau&steps=80&o=sgd(lr=0.01;momentum=0.9)"
           "&o=adam(lr=0.1)&o=rmsprop(lr=0.01)&c=112233,445566,778899&hide=3#x")
    body, st = share_url.request_from_url(url)
    assert [r["optimizer"] for r in body["runs"]] == ["sgd", "adam"]
    assert [r["color"] for r in body["runs"]] == ["#112233", "#445566"]
    assert st["rows"][2]["visible"] is False
    answer = run_request(body)
    assert [r["steps_done"] for r in answer["runs"]] == [80, 80]
    assert share_url.query_of("/embed?s=bowl&autoplay=1") == "s=bowl&autoplay=1"
    assert share_url.query_of("?s=bowl") == "s=bowl"
    assert share_url.query_of("http://host/") == ""


def test_links_carry_data_and_batches(tmp_path):
    """A built-in data set, pasted points and the batch keys reach the run request; the
    server runs it (batch_loss per step)."""
    body, st = share_url.request_from_url("/?data=line&steps=30&o=sgd(lr=0.05)&batch=8&bseed=3")
    assert body["surface"] == {"data": "line"}
    assert body["batch"] == {"size": 8, "seed": 3, "shuffle": True}
    answer = run_request(body)
    assert len(answer["runs"][0]["batch_loss"]) == 30
    body, _ = share_url.request_from_url("/?pts=0:0,1:1,2:1,3:0&model=logistic&o=adam(lr=0.1)")
    assert body["surface"] == {"data": {"x": [0, 1, 2, 3], "y": [0, 1, 1, 0]}, "model": "logistic"}
    assert "batch" not in body


def test_a_link_whose_data_stayed_in_the_browser_says_so():
    import pytest

    from app.engine.errors import RequestError
    with pytest.raises(RequestError, match="too long to travel in a link"):
        share_url.request_from_url("/?data=local&o=sgd(lr=0.1)")
