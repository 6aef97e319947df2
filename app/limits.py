"""A request body over the limit is refused with 413 before it is read into memory: from
its Content-Length when it has one, else (a chunked body) as soon as the chunks read so
far pass the limit.  A chunked body within it is read here, then handed to the app whole
(the app would read it all anyway), so that the 413 comes from here and not as a 400
"error parsing the body" from inside the app."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .api.responses import dumps
from .config import env_name


def too_large(limit: int) -> bytes:
    return dumps({"detail": [{"loc": ["body"], "msg": f"request body over the limit of "
                              f"{limit} bytes ({env_name('max_body_bytes')})",
                              "type": "limit", "limit": limit}]})


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.limit:
                    return await self.reject(send)
        if declared is None:
            body = await self.read_within_limit(receive)
            if body is None:
                return await self.reject(send)
            receive = replaying(body, receive)
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracking_send)
        except BodyTooLarge:
            if not started:
                await self.reject(send)

    async def read_within_limit(self, receive: Receive) -> Message | None:
        """The whole body as one message, or None once it passes the limit (the rest is
        left unread: the connection is closed after the 413)."""
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return message                  # the client left: the app sees that
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

    async def reject(self, send: Send) -> None:
        body = too_large(self.limit)
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass


def replaying(first: Message, receive: Receive) -> Receive:
    """`receive` that answers `first` once, then asks the real one (for the disconnect)."""
    pending = [first]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()
    return replay
