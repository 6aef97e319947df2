"""The same request twice is computed once: an in-process LRU of encoded answers.

An answer depends on its request alone (no session, no clock, no randomness that the
request does not seed), so the request body, dumped to canonical JSON (sorted keys, no
whitespace), is a complete key: known before the request is validated (which is work,
done in a worker), so that a repeat is answered, or waits for the computation in
flight, without any.  The LRU holds the answer's
bytes, its ETag and, once a client has asked for it, its gzip form (for a built-in
surface's grid, a Brotli form too: brotli_later), and is bounded by
entries and by total bytes (settings().cache_entries, cache_bytes; an answer larger
than a quarter of the byte budget is served but not kept).

Requests for the same key that arrive while it is being computed wait for that one
computation instead of starting their own (single flight), so a class of 200 students
opening the same embedded scene costs one computation per worker process.  Each worker
has its own cache: with N workers, up to N computations.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import orjson
from starlette.concurrency import run_in_threadpool

from .config import settings
from .encoding import brotli
from .engine import lru
from .engine.errors import Cancelled

# gzip level of cached answers: level 1 is ~7x faster than 9 on this JSON (lists of
# floats), for a file 2-3 % larger.
GZIP_LEVEL = 1
# Answers smaller than this go out uncompressed (as GZipMiddleware's minimum_size).
GZIP_MIN = 1024
# Bodies larger than this are hashed and compressed in the thread pool.
THREAD_MIN = 256 * 1024


@dataclass
class Entry:
    body: bytes
    etag: str
    gz: bytes | None = field(default=None, repr=False)
    br: bytes | None = field(default=None, repr=False)
    br_started: bool = field(default=False, repr=False)

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(f) for f in (self.gz, self.br) if f is not None)

    def gzipped(self) -> bytes:
        if self.gz is None:
            self.gz = gzip_bytes(self.body)
        return self.gz


def gzip_bytes(body: bytes) -> bytes:
    c = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)   # 31: the gzip container
    return c.compress(body) + c.flush()


# Brotli's quality for answers kept in their Brotli form: 10 is a fifth smaller than gzip
# on a grid, in ~50 ms per 100 KB (11: 2 % smaller still, in 3-7 times as long).
BROTLI_QUALITY = 10
BROTLI_MAX = 256 * 1024
# One such compression at a time, and none within this long of the last one's end: a
# flood of distinct requests costs about a tenth of a core here.
BROTLI_GAP_S = 0.5
_brotli_one = threading.Lock()
_brotli_last = [float("-inf")]


def brotli_later(key: bytes | None, entry: Entry) -> Callable[[], None] | None:
    """For an answer every visitor asks for alike (a built-in surface's grid): a job that
    adds its Brotli form, or None when it is made, on its way, or cannot be made.  It
    runs after the first answer went out (as gzip), in a worker thread, and every later
    visitor gets it; when another is running or has just run, it leaves the entry for a
    later request to try again."""
    if brotli is None or key is None or entry.br is not None or entry.br_started \
            or not GZIP_MIN <= len(entry.body) <= BROTLI_MAX:
        return None
    entry.br_started = True

    def job() -> None:
        if time.monotonic() - _brotli_last[0] < BROTLI_GAP_S or not _brotli_one.acquire(blocking=False):
            entry.br_started = False
            return
        try:
            out = brotli.compress(entry.body, quality=BROTLI_QUALITY)
            if len(out) < len(entry.gz if entry.gz is not None else entry.body):
                entry.br = out
                cache().resize(key)
        finally:
            _brotli_last[0] = time.monotonic()
            _brotli_one.release()
    return job


def make_entry(body: bytes, gzip: bool = False) -> Entry:
    # Weak: the gzip and the plain form of an answer share it (RFC 9110, 8.8.1).
    e = Entry(body, 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"')
    if gzip and len(body) >= GZIP_MIN:
        e.gzipped()
    return e


class LRU(lru.LRU[Entry]):
    """Bounded by entries and by bytes (body, gzip and Brotli forms); thread-safe."""

    def size_of(self, key: bytes, entry: Entry) -> int:
        return entry.size + len(key)


_cache: LRU | None = None
_inflight: dict[tuple[int, bytes], asyncio.Future] = {}


def cache() -> LRU:
    global _cache
    if _cache is None:
        s = settings()
        _cache = LRU(s.cache_entries, s.cache_bytes)
    return _cache


def key_of(kind: str, body: Any) -> bytes | None:
    """Canonical bytes of a request body (parsed JSON): its kind and the body as JSON
    with sorted keys (so key order and whitespace do not matter), hashed.  Two bodies
    with one key are the same request; bad ones are never cached.  None for a body
    nested deeper than orjson writes (254 levels; it reads 1024): no request is, so its
    validation refuses it, uncached."""
    try:
        canonical = orjson.dumps([kind, body], option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return None
    return hashlib.blake2b(canonical, digest_size=20).digest()


async def lookup(key: bytes | None, produce: Callable[[], Awaitable[bytes]], *, gzip: bool,
                 owners_only: tuple[type[BaseException], ...] = (Cancelled,)) -> Entry:
    """The cached entry for `key`, or `await produce()` (the encoded answer) once however
    many ask for the key at the same time.  Exceptions of `produce` (bad input found
    while computing) reach every waiter and are not cached, except `owners_only` ones,
    which concern the client that started the computation (it went away, it has too
    many computations in flight): a waiter then computes the answer itself."""
    if key is None:                       # no canonical form (key_of): not cached
        return await _entry(produce, gzip)
    c = cache()
    loop = asyncio.get_running_loop()
    slot = (id(loop), key)
    while True:
        entry = c.get(key)
        if entry is not None:
            break
        pending = _inflight.get(slot)
        owner = pending is None
        if owner:
            pending = _inflight[slot] = asyncio.ensure_future(_entry(produce, gzip))

            def finished(f: asyncio.Future, slot=slot) -> None:
                _inflight.pop(slot, None)
                if not f.cancelled() and f.exception() is None:
                    c.put(key, f.result())

            pending.add_done_callback(finished)
        try:
            # shield: one client going away does not cancel the others' computation
            entry = await asyncio.shield(pending)
            break
        except owners_only:
            if owner:
                raise
    if gzip and entry.gz is None and len(entry.body) >= GZIP_MIN:
        await _in_thread_if_large(entry.gzipped, len(entry.body))
        c.resize(key)
    return entry


async def _entry(produce: Callable[[], Awaitable[bytes]], gzip: bool) -> Entry:
    body = await produce()
    return await _in_thread_if_large(lambda: make_entry(body, gzip), len(body))


async def _in_thread_if_large(fn: Callable[[], Any], size: int) -> Any:
    """Hashing and gzip take about 10 ms a megabyte: large bodies off the event loop."""
    if size > THREAD_MIN:
        return await run_in_threadpool(fn)
    return fn()
