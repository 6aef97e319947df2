"""The answer cache: identical bytes, one computation per distinct request, bounded memory,
GET-able answers with ETag / Cache-Control / 304."""

from __future__ import annotations

import asyncio
import gzip
import json

import pytest

from app import cache
from app.api import grid as grid_api
from app.api import maps as maps_api
from app.api import run as run_api
from app.api.cached import encode_query
from .conftest import run_async

SCENE = {"surface": "rosenbrock", "steps": 200,
         "runs": [{"optimizer": "sgd", "params": {"lr": 0.002}},
                  {"optimizer": "adam", "params": {"lr": 0.1}}]}
MAP = {"kind": "basin", "surface": "himmelblau", "steps": 50,
       "run": {"optimizer": "sgd", "params": {"lr": 0.01}}, "x": {"n": 12}, "y": {"n": 10}}


@pytest.fixture
def counted(monkeypatch):
    """Counts the computations behind POST/GET /api/v1/run and /api/v1/map."""
    calls = {"run": 0, "map": 0}
    run_fn, map_fn = run_api.explained, maps_api.compute_map

    def run(*a, **k):
        calls["run"] += 1
        return run_fn(*a, **k)

    def map_(*a, **k):
        calls["map"] += 1
        return map_fn(*a, **k)

    monkeypatch.setattr(run_api, "explained", run)
    monkeypatch.setattr(maps_api, "compute_map", map_)
    cache.cache().clear()
    return calls


def test_the_same_request_twice_is_computed_once_and_answers_the_same_bytes(client, counted):
    first = client.post("/api/v1/run", json=SCENE)
    second = client.post("/api/v1/run", json=SCENE)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]
    assert counted["run"] == 1
    # key order, whitespace and an explicit default-free spelling do not matter
    shuffled = json.dumps(dict(reversed(list(SCENE.items()))), indent=3)
    third = client.post("/api/v1/run", content=shuffled,
                        headers={"content-type": "application/json"})
    assert third.content == first.content and counted["run"] == 1
    # a different request is a different computation
    client.post("/api/v1/run", json={**SCENE, "start": [0.5, 0.5]})
    assert counted["run"] == 2


def test_maps_are_cached_too(client, counted):
    a = client.post("/api/v1/map", json=MAP)
    b = client.post("/api/v1/map", json=MAP)
    assert a.status_code == 200 and a.content == b.content and counted["map"] == 1


def test_gzip_and_identity_forms_are_the_same_answer(client, counted):
    plain = client.post("/api/v1/run", json=SCENE, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    zipped = client.post("/api/v1/run", json=SCENE, headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content          # httpx has decompressed it
    assert counted["run"] == 1


def test_a_built_in_surfaces_grid_is_kept_and_then_sent_in_brotli(client, monkeypatch):
    """Every visitor's first view asks for the same grid: computed once, and from the
    second visitor on sent in the smaller Brotli form made after the first answer."""
    calls = []
    grid_of = grid_api.grid_of
    monkeypatch.setattr(grid_api, "grid_of", lambda *a, **k: calls.append(1) or grid_of(*a, **k))
    monkeypatch.setattr(cache, "_brotli_last", [float("-inf")])
    cache.cache().clear()
    body = {"surface": "rosenbrock", "n": 120, "digits": 5}
    both = {"accept-encoding": "gzip, br"}
    first = client.post("/api/v1/grid", json=body, headers=both)
    assert first.headers["content-encoding"] == "gzip"
    second = client.post("/api/v1/grid", json=body, headers=both)
    assert second.headers["content-encoding"] == "br"
    zipped_size = len(cache.cache().get(cache.key_of("grid", body)).gz)
    assert int(second.headers["content-length"]) < 0.9 * zipped_size
    plain = client.post("/api/v1/grid", json=body, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert first.content == second.content == plain.content   # httpx has decoded them
    assert len(calls) == 1
    # A typed formula is a new grid at every keystroke: computed each time, never kept.
    formula = {"surface": {"expr": "x**2 + y", "domain": [[-1, 1], [-1, 1]]}, "n": 40}
    client.post("/api/v1/grid", json=formula, headers=both)
    again = client.post("/api/v1/grid", json=formula, headers=both)
    assert again.headers.get("content-encoding") != "br" and len(calls) == 3


def test_brotli_forms_are_made_one_at_a_time_and_not_back_to_back(client, monkeypatch):
    """A flood of distinct grids cannot keep a core busy with Brotli: a form asked for
    right after another was made is left for a later request to make."""
    monkeypatch.setattr(cache, "_brotli_last", [float("-inf")])
    monkeypatch.setattr(cache, "BROTLI_GAP_S", 60.0)
    cache.cache().clear()
    both = {"accept-encoding": "gzip, br"}
    one, two = {"surface": "himmelblau", "n": 60}, {"surface": "booth", "n": 60}
    encoding = lambda body: client.post("/api/v1/grid", json=body, headers=both).headers["content-encoding"]  # noqa: E731
    assert encoding(one) == "gzip"     # its Brotli form is made after it went out
    assert encoding(two) == "gzip"     # too soon after that one: left for later
    assert encoding(one) == "br"
    assert encoding(two) == "gzip"     # (tried again after it: still too soon, left again)
    monkeypatch.setattr(cache, "BROTLI_GAP_S", 0.0)
    encoding(two)                      # made after this one
    assert encoding(two) == "br"


def test_get_answers_what_post_answers_with_etag_and_cache_control(client, counted):
    posted = client.post("/api/v1/run", json=SCENE)
    got = client.get("/api/v1/run", params={"q": encode_query(SCENE)})
    assert got.status_code == 200 and got.content == posted.content
    assert counted["run"] == 1
    assert got.headers["cache-control"].startswith("public, max-age=")
    etag = got.headers["etag"]
    again = client.get("/api/v1/run", params={"q": encode_query(SCENE)},
                       headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    other = client.get("/api/v1/run", params={"q": encode_query(SCENE)},
                       headers={"if-none-match": 'W/"something-else"'})
    assert other.status_code == 200
    m = client.get("/api/v1/map", params={"q": encode_query(MAP)})
    assert m.status_code == 200 and m.json()["shape"] == [10, 12]
    assert client.get("/api/v1/map", params={"q": encode_query(MAP)},
                      headers={"if-none-match": m.headers["etag"]}).status_code == 304


@pytest.mark.parametrize("q,loc", [
    ("%%%", ["query", "q"]),
    (encode_query([1, 2]), ["query", "q"]),
    (encode_query({**SCENE, "steps": -1}), ["query", "q", "steps"]),
    (encode_query({**SCENE, "runs": [{"optimizer": "adam", "params": {"lr": "x"}}]}),
     ["query", "q", "runs", 0, "params", "lr"]),
])
def test_a_bad_q_is_a_422_that_names_it(client, q, loc):
    r = client.get("/api/v1/run", params={"q": q})
    assert r.status_code == 422
    assert any(d["loc"] == loc for d in r.json()["detail"]), r.json()


def test_errors_are_not_cached(client, counted):
    bad = {**SCENE, "surface": {"expr": "log(x)", "domain": [[-2, 2], [-2, 2]]},
           "start": [-1, 0]}
    for _ in range(2):
        r = client.post("/api/v1/run", json=bad)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "start"]
    assert counted["run"] == 2 and len(cache.cache()) == 0


def test_the_lru_is_bounded_by_entries_and_by_bytes():
    lru = cache.LRU(max_entries=3, max_bytes=4000)
    for i in range(5):
        lru.put(bytes([i]), cache.make_entry(b"x" * 100))
    assert len(lru) == 3 and lru.get(bytes([0])) is None and lru.get(bytes([4])) is not None
    lru.get(bytes([2]))                            # 2 is now the most recently used
    lru.put(b"new", cache.make_entry(b"y" * 100))
    assert lru.get(bytes([3])) is None and lru.get(bytes([2])) is not None
    # bytes: 4 entries of 900 do not fit in 4000 with room to spare; the oldest go
    lru = cache.LRU(max_entries=100, max_bytes=4000)
    for i in range(10):
        lru.put(bytes([i]), cache.make_entry(b"z" * 900))
        assert lru.nbytes <= 4000
    assert len(lru) == 4
    # an entry over a quarter of the budget is not kept at all
    lru.put(b"big", cache.make_entry(b"b" * 1500))
    assert lru.get(b"big") is None and lru.nbytes <= 4000
    # the gzip form counts once it exists
    lru = cache.LRU(max_entries=10, max_bytes=100_000)
    e = cache.make_entry(json.dumps(list(range(3000))).encode())
    lru.put(b"k", e)
    before = lru.nbytes
    e.gzipped()
    lru.resize(b"k")
    assert lru.nbytes == before + len(e.gz)
    assert gzip.decompress(e.gz) == e.body


def test_the_cache_stays_within_its_byte_budget_under_many_distinct_answers(client,
                                                                            monkeypatch):
    c = cache.LRU(max_entries=1000, max_bytes=1_000_000)
    monkeypatch.setattr(cache, "_cache", c)
    sizes = []
    for i in range(30):
        r = client.post("/api/v1/map", json={**MAP, "steps": 10 + i, "x": {"n": 40},
                                             "y": {"n": 40}})
        assert r.status_code == 200
        sizes.append(len(r.content))
        assert c.nbytes <= c.max_bytes
    assert sum(sizes) > 2 * c.max_bytes          # far more was answered than is kept
    assert 0 < len(c) < 30


def test_identical_requests_in_flight_share_one_computation():
    async def scenario():
        calls = 0
        gate = asyncio.Event()

        async def produce() -> bytes:
            nonlocal calls
            calls += 1
            await gate.wait()
            return b'{"answer": 42}'

        key = b"single-flight-test"
        cache.cache().clear()
        waiters = [asyncio.ensure_future(cache.lookup(key, produce, gzip=False))
                   for _ in range(50)]
        await asyncio.sleep(0.01)
        gate.set()
        entries = await asyncio.gather(*waiters)
        return calls, entries

    calls, entries = run_async(scenario())
    assert calls == 1
    assert all(e is entries[0] for e in entries)


def test_a_cancelled_owner_hands_the_computation_to_a_waiter():
    from app.engine.errors import Cancelled

    async def scenario():
        attempts = []

        async def owner() -> bytes:
            attempts.append("owner")
            await asyncio.sleep(0.01)
            raise Cancelled()

        async def waiter() -> bytes:
            attempts.append("waiter")
            return b"{}"

        key = b"handover-test"
        cache.cache().clear()
        first = asyncio.ensure_future(cache.lookup(key, owner, gzip=False))
        await asyncio.sleep(0)
        second = asyncio.ensure_future(cache.lookup(key, waiter, gzip=False))
        with pytest.raises(Cancelled):
            await first
        entry = await second
        return attempts, entry

    attempts, entry = run_async(scenario())
    assert attempts == ["owner", "waiter"] and entry.body == b"{}"
