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


DEFAULT_PORTS = {"http": "80", "https": "443"}


def websocket_origin_allowed(scope: Scope) -> bool:
    """A browser opening a WebSocket says which page asks (Origin), and CORS does not
    apply to sockets: a page of this server may, as may the origins of
    OPTPLAY_CORS_ORIGINS; a page of any other site may not (a 403), as for HTTP with
    CORS off.  A client that is no browser sends no Origin and is let in.

    "This server" is the scheme and Host the socket itself was opened with: https pages
    for a wss socket, http pages for ws (behind a proxy that ends TLS, uvicorn's
    --proxy-headers takes the scheme from the trusted proxy's X-Forwarded-Proto).  No
    header a client may set for itself, such as X-Forwarded-Host, counts."""
    headers = dict(scope.get("headers", ()))
    origin = headers.get(b"origin")
    if origin is None:
        return True
    origin_text = origin.decode("latin-1").strip()
    allowed = origin_list(settings().cors_origins)
    if "*" in allowed or origin_text in allowed:
        return True
    page = urlsplit(origin_text)
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    host = headers.get(b"host", b"").decode("latin-1").strip()
    return page.scheme == scheme and bool(page.netloc) and \
        _authority(page.netloc, scheme) == _authority(host, scheme)


def _authority(netloc: str, scheme: str) -> str:
    """host[:port] lower-cased, the scheme's default port left out."""
    netloc = netloc.lower()
    port = DEFAULT_PORTS[scheme]
    return netloc[:-len(port) - 1] if netloc.endswith(":" + port) else netloc


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


class HeadAsGet:
    """HEAD answers as GET does, without the body (load balancers and uptime checks use
    it): FastAPI's routes declare GET only, so HEAD would be a 405.  The server sees the
    request as the HEAD it is (its own scope is not changed), so it sends the headers,
    Content-Length included, and no body."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            return await self.app(scope, receive, send)

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


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
    if "GET" in methods:
        methods.add("HEAD")                 # HeadAsGet
    return methods
