"""A WebSocket client in a few lines of raw socket, for clients no library would be: one
that sends a request and then never reads (its receive buffer 4 KiB, so the server's
writes stop at once).  Used by tests/test_faults.py and bench/hostile.py."""

from __future__ import annotations

import base64
import json
import os
import socket


def ws_frame(text: str) -> bytes:
    """One masked text frame, as a client sends it (RFC 6455, 5.2)."""
    payload, mask = text.encode(), os.urandom(4)
    n = len(payload)
    if n < 126:
        head = bytes([0x81, 0x80 | n])
    elif n < 65536:
        head = bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x81, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def never_reading_socket(port: int, path: str, message: dict) -> socket.socket:
    """Open a WebSocket on 127.0.0.1:port, send `message` (as JSON) and return the
    socket, which the caller never reads (close it to leave)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
              f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
              f"Sec-WebSocket-Version: 13\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)                  # byte by byte: nothing of the frames after it
    if not head.startswith(b"HTTP/1.1 101"):
        s.close()
        raise ConnectionError(f"no WebSocket: {head[:200]!r}")
    s.sendall(ws_frame(json.dumps(message)))
    return s
