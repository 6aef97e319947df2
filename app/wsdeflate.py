"""The stream's per-message deflate at zlib's level 1.

uvicorn compresses WebSocket messages (permessage-deflate, which browsers ask for) at
zlib's default level, 6, and has no setting for it. On an answer of 4 × 1,000 steps
(260 KB of JSON floats) level 6 takes 12-20 ms of the event loop, per slider move, for
5 % fewer bytes than level 1, which takes 2 ms: floats written out in full compress
little whatever the effort. So the server's deflate factory (websockets') takes level 1
as its default, set here when the app is imported, before any connection is made."""

from __future__ import annotations

import functools

LEVEL = 1


def use_level(level: int = LEVEL) -> bool:
    """Make `level` the default of every server-side deflate from now on (other settings,
    such as uvicorn's memLevel, kept). False when websockets is not installed."""
    try:
        from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
    except ImportError:
        return False
    cls = ServerPerMessageDeflateFactory
    init = getattr(cls.__init__, "__wrapped__", cls.__init__)

    @functools.wraps(init)
    def __init__(self, *args, compress_settings=None, **kwargs):
        init(self, *args, compress_settings={"level": level, **(compress_settings or {})}, **kwargs)

    cls.__init__ = __init__
    return True
