"""A least-recently-used map bounded by entries and by bytes, thread-safe: the answer
cache's (app/cache.py) and the engine's memory of finished runs (memo.py)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, Hashable, TypeVar

V = TypeVar("V")


class LRU(Generic[V]):
    """At most `max_entries` values and `max_bytes` (as `size_of` counts them); the least
    recently used go first.  A value over a quarter of the bytes is not kept at all: one
    would push out everything else."""

    def __init__(self, max_entries: int, max_bytes: int):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        self.nbytes = 0
        self.hits = self.misses = 0
        self._lock = threading.Lock()

    def size_of(self, key: Hashable, value: V) -> int:
        return len(key) + len(value)      # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Hashable, value: V) -> None:
        size = self.size_of(key, value)
        with self._lock:
            if key in self._items:
                self.nbytes -= self._sizes.pop(key)
                del self._items[key]
            if self.max_entries <= 0 or size > self.max_bytes // 4:
                return
            self._items[key] = value
            self._sizes[key] = size
            self.nbytes += size
            self._evict()

    def resize(self, key: Hashable) -> None:
        """Account for a value that has grown since it was put."""
        with self._lock:
            value = self._items.get(key)
            if value is None:
                return
            size = self.size_of(key, value)
            self.nbytes += size - self._sizes[key]
            self._sizes[key] = size
            self._evict()

    def _evict(self) -> None:
        while self._items and (len(self._items) > self.max_entries
                               or self.nbytes > self.max_bytes):
            old, _ = self._items.popitem(last=False)
            self.nbytes -= self._sizes.pop(old)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._sizes.clear()
            self.nbytes = 0
