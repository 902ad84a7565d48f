"""What an operation knows of each plan on the current catalog: a bounded cache keyed by the
catalog and the plan, emptied when a newer catalog is served (plans of older ones are served no
more). A plan that cannot be a key (a list among its filter's values) is made every time."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import LRUCache

from schema_builder.catalog import Catalog

Entry = TypeVar("Entry")


class PlanCache(Generic[Entry]):
    def __init__(self, size: int) -> None:
        self._entries: LRUCache[Hashable, Entry] = LRUCache(maxsize=size)
        self._version: int | None = None

    def get(self, catalog: Catalog, plan: Hashable, make: Callable[[], Entry]) -> Entry:
        """The entry of ``plan`` on ``catalog``, made by ``make`` the first time."""
        if self._version is None or catalog.version > self._version:
            self._entries.clear()
            self._version = catalog.version
        key = (catalog, plan)
        try:
            entry = self._entries.get(key)
        except TypeError:  # a value that cannot key a plan (a list in a filter)
            return make()
        if entry is None:
            entry = self._entries[key] = make()
        return entry
