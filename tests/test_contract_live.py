"""The HTTP contract at its edges, against plain `python -m uvicorn app.main:app` (the
README's command, no options): a chunked body over the limit, the longest `?q=`, HEAD
for load balancers, and a WebSocket frame far over the message limit."""

from __future__ import annotations

import base64
import json
import socket
import time

import pytest

from app.api.cached import MAX_QUERY_CHARS
from app.config import settings

from .conftest import run_async

LIMIT = settings().max_body_bytes


def raw_request(server, head: bytes, body_parts: list[bytes] = (), timeout: float = 30) -> bytes:
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    try:
        s.sendall(head)
        for part in body_parts:
            try:
                s.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break                        # refused before the end: the answer is there
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        return data
    finally:
        s.close()


def status_and_body(data: bytes) -> tuple[int, bytes, str]:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    return int(lines[0].split()[1]), body, "\n".join(lines[1:]).lower()


def chunked(payload: bytes, size: int = 16 * 1024) -> list[bytes]:
    parts = [b"%x\r\n" % len(payload[i:i + size]) + payload[i:i + size] + b"\r\n"
             for i in range(0, len(payload), size)]
    return parts + [b"0\r\n\r\n"]


def test_a_chunked_body_over_the_limit_is_a_413_naming_it(live_server):
    head = (b"POST /api/v1/run HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    payload = b'{"surface": "bowl", "runs": [' + b" " * (LIMIT + 10_000) + b"]}"
    status, body, _ = status_and_body(raw_request(live_server, head, chunked(payload)))
    assert status == 413, body[:300]
    detail = json.loads(body)["detail"][0]
    assert detail["type"] == "limit" and "OPTPLAY_MAX_BODY_BYTES" in detail["msg"]
    # a chunked body within the limit is answered as any other
    good = json.dumps({"surface": "bowl", "steps": 3, "runs": [{"optimizer": "sgd"}]}).encode()
    status, body, _ = status_and_body(raw_request(live_server, head, chunked(good, 7)))
    assert status == 200 and len(json.loads(body)["runs"][0]["path"]) == 4


def get_q(server, q: str) -> tuple[int, bytes, str]:
    head = (f"GET /api/v1/run?q={q} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Connection: close\r\n\r\n").encode()
    return status_and_body(raw_request(server, head))


def test_the_longest_q_is_answered_by_the_app_in_json(live_server):
    """A GET URL reaches the app only up to what uvicorn's parser takes (64 KiB): the app
    holds `q` below that and says so with a 414, in JSON, up to the parser's limit."""
    body = {"surface": "bowl", "steps": 3, "runs": [{"optimizer": "sgd"}],
            "pad": "x" * (MAX_QUERY_CHARS * 3 // 4 - 200)}
    q = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    assert len(q) <= MAX_QUERY_CHARS
    status, answer, _ = get_q(live_server, q)       # the app's own 422 (the pad is no field)
    assert status == 422 and json.loads(answer)["detail"][0]["loc"][:2] == ["query", "q"]
    for n in (MAX_QUERY_CHARS + 1, 64 * 1024 - 100):
        status, answer, headers = get_q(live_server, "A" * n)
        assert status == 414 and "application/json" in headers, (n, answer[:200])
        detail = json.loads(answer)["detail"][0]
        assert detail["loc"] == ["query", "q"] and "POST" in detail["msg"]


@pytest.mark.parametrize("path", ["/", "/healthz", "/api/v1/optimizers", "/api/v1/schedulers"])
def test_head_is_get_without_the_body(live_server, path):
    def ask(method: str) -> tuple[int, bytes, str]:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        return status_and_body(raw_request(live_server, head.encode()))

    g_status, g_body, g_headers = ask("GET")
    h_status, h_body, h_headers = ask("HEAD")
    assert h_status == g_status == 200 and h_body == b""
    length = [ln for ln in h_headers.splitlines() if ln.startswith("content-length:")]
    assert length and int(length[0].split(":")[1]) == len(g_body)


def test_a_giant_frame_is_refused_by_the_protocol_under_plain_uvicorn(live_server):
    """uvicorn's own default takes frames up to 16 MiB; the app lowers it on each socket
    to twice the message limit, so a 2 MB frame is dropped unread (close 1009) instead of
    being buffered, and one just over the message limit still gets the app's error."""
    websockets = pytest.importorskip("websockets")
    from websockets.asyncio.client import connect

    async def scenario():
        url = f"ws://127.0.0.1:{live_server.port}/api/v1/stream"
        async with connect(url, proxy=None, max_size=None) as ws:
            await ws.send("x" * (LIMIT + 1000))
            msg = json.loads(await ws.recv())
            assert "OPTPLAY_MAX_BODY_BYTES" in msg["error"]["detail"][0]["msg"]
        async with connect(url, proxy=None, max_size=None) as ws:
            t0 = time.monotonic()
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.send("x" * (2 * 1024 * 1024))
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
            assert time.monotonic() - t0 < 10

    run_async(scenario())
