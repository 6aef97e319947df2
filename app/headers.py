"""Security headers on every answer; framing allowed on /embed only.

script-src 'self': no inline script and no eval anywhere in the front end (plotly.js's
contour and scatter traces need neither).  style-src allows inline styles because
plotly.js writes its own <style> elements and style attributes.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .config import settings


def content_security_policy(frame_ancestors: str) -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app
        s = settings()
        self.embed_csp = content_security_policy(s.frame_ancestors or "*").encode()
        self.page_csp = content_security_policy("'none'").encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        embeddable = scope.get("path", "").rstrip("/") == "/embed"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"strict-origin-when-cross-origin"),
                            (b"content-security-policy",
                             self.embed_csp if embeddable else self.page_csp)]
                if not embeddable:
                    headers.append((b"x-frame-options", b"DENY"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
