"""Security headers on every answer; framing allowed on /embed only; which origins' pages
may call the API (CORS for HTTP, the Origin of a WebSocket handshake).

script-src 'self': no inline script and no eval anywhere in the front end (plotly.js's
contour and scatter traces need neither).  style-src allows inline styles because
plotly.js writes its own <style> elements and style attributes.  Scripts and stylesheets
themselves carry the strictest policy (`default-src 'none'`): they are never documents.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .config import settings


def origin_list(setting: str) -> list[str]:
    """OPTPLAY_CORS_ORIGINS: origins separated by commas or spaces ("*": any)."""
    return setting.replace(",", " ").split()


def websocket_origin_allowed(scope: Scope) -> bool:
    """A browser opening a WebSocket says which page asks (Origin), and CORS does not
    apply to sockets: a page of this server may, as may the origins of
    OPTPLAY_CORS_ORIGINS; a page of any other site may not (a 403), as for HTTP with
    CORS off.  A client that is no browser sends no Origin and is let in.  Behind a
    proxy, its Host (or X-Forwarded-Host) must be the one the browser asked for."""
    headers = dict(scope.get("headers", ()))
    origin = headers.get(b"origin")
    if origin is None:
        return True
    origin_text = origin.decode("latin-1").strip()
    allowed = origin_list(settings().cors_origins)
    if "*" in allowed or origin_text in allowed:
        return True
    asked = urlsplit(origin_text).netloc.lower()
    hosts = [headers.get(b"host", b""), headers.get(b"x-forwarded-host", b"").split(b",")[0]]
    return bool(asked) and any(asked == h.decode("latin-1").strip().lower() for h in hosts)


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


# A script or a stylesheet is never a document (nosniff: never rendered as one either), so
# a page's policy means nothing on it: the strictest policy, in a tenth of the bytes (a
# first visit fetches forty of them).
SUBRESOURCE_CSP = b"default-src 'none'; frame-ancestors 'none'"
SUBRESOURCE_TYPES = (b"text/javascript", b"text/css")


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app
        s = settings()
        # "https://a.edu, https://b.edu" or space-separated: CSP wants spaces.
        ancestors = " ".join(origin_list(s.frame_ancestors)) or "*"
        self.embed_csp = content_security_policy(ancestors).encode()
        self.page_csp = content_security_policy("'none'").encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        embeddable = scope.get("path", "").rstrip("/") == "/embed"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                csp = self.embed_csp if embeddable else self.page_csp
                if kind.startswith(SUBRESOURCE_TYPES):
                    csp = SUBRESOURCE_CSP
                headers += [(b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"strict-origin-when-cross-origin"),
                            (b"content-security-policy", csp)]
                if not embeddable:
                    headers.append((b"x-frame-options", b"DENY"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class AllowedMethods:
    """A 405 lists every method the path answers to: Starlette's own lists only those of
    the first route matching the path (POST /api/v1/run, not also GET)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 405:
                methods = allowed_methods(scope)
                if methods:
                    headers = [(k, v) for k, v in message.get("headers", []) if k != b"allow"]
                    headers.append((b"allow", ", ".join(sorted(methods)).encode()))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_allow)


def allowed_methods(scope: Scope) -> set[str]:
    """The methods some route answers at the scope's path (routes asked one method at a
    time, through Starlette's own matching)."""
    from starlette.routing import Match

    app = scope.get("app")
    routes = getattr(getattr(app, "router", None), "routes", ())
    methods: set[str] = set()
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        probe = {**scope, "method": method}
        for route in routes:
            try:
                match, _ = route.matches(probe)
            except Exception:
                continue
            if match == Match.FULL:
                methods.add(method)
                break
    return methods
