"""Two small caches: per analysed graph, and per DOT source.

A :class:`~splitviz.GraphAnalysis` is an unhashable dataclass that may be
replaced at any time (toggling decomposition re-analyses), so per-graph
values are keyed by identity and dropped with the object. Layout results are
keyed by a digest of the DOT text, so a re-analysis that draws the same
picture reuses it and anything that draws differently never does.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

__all__ = ["IdentityCache", "ContentCache", "digest"]

T = TypeVar("T")


class IdentityCache(Generic[T]):
    """``get(obj, key, compute)``: computed once per live ``obj`` and ``key``."""

    def __init__(self) -> None:
        self._store: dict[int, tuple[weakref.ref[Any], dict[Hashable, T]]] = {}
        self._lock = threading.Lock()

    def _entry(self, obj: Any) -> dict[Hashable, T]:
        key = id(obj)
        entry = self._store.get(key)
        if entry is None or entry[0]() is not obj:

            def forget(_ref: weakref.ref[Any], k: int = key) -> None:
                self._store.pop(k, None)

            entry = (weakref.ref(obj, forget), {})
            self._store[key] = entry
        return entry[1]

    def get(self, obj: Any, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            values = self._entry(obj)
            if key in values:
                return values[key]
        value = compute()
        with self._lock:
            return self._entry(obj).setdefault(key, value)

    def clear(self) -> None:
        with self._lock:
            self._store.clear()


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ContentCache:
    """A bounded LRU of layout outputs (bytes), by entry count and total size."""

    def __init__(self, max_entries: int = 64, max_bytes: int = 128 << 20) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def _size(value: Any) -> int:
        return len(value) if isinstance(value, (bytes, str)) else 64

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key not in self._data:
                return None
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            if key in self._data:
                self._bytes -= self._size(self._data.pop(key))
            self._data[key] = value
            self._bytes += self._size(value)
            while self._data and (len(self._data) > self.max_entries or self._bytes > self.max_bytes):
                _, old = self._data.popitem(last=False)
                self._bytes -= self._size(old)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._data)
