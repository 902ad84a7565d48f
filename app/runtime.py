"""Runtime tuning: every process-wide change dexgate makes to Python and its libraries, here.

``create_app`` builds one :class:`Runtime` (``dexgate serve`` asks for the serving one), calls
:meth:`Runtime.install`, hands :meth:`Runtime.schema_build` to the schema registry and awaits
:meth:`Runtime.started` in its lifespan. Each step says what was measured (500 entities x 20
fields, ``python -m bench`` scenario E or ``bench/schema_build.py``, on the 2-core development
machine, under other load):

1. **Memoised GraphQL name checks** (:func:`memoise_name_checks`). graphql-core checks every
   type, field and argument name character by character each time a type's fields are
   resolved: about 40 % of building a 500-entity schema (CPU time of the build 290-450 ms
   unmemoised, 200-300 ms memoised), spent re-checking the same few thousand names. The check
   is a pure function of the name, so the memoised copy gives the same answers (an invalid
   name still raises; exceptions are not cached).

2. **graphql-core's type collection replaced** (:func:`faster_type_collection`). Creating the
   ``GraphQLSchema`` walks every field and argument of every type to collect the types: 110-120
   ms of a 500-entity build, in calls that each unwrap a type through six functions. The
   replacement (:mod:`app.type_collection`) walks the same way in the same order and unwraps
   inline: 35-45 ms, the same type map.

3. **Full collections deferred while a schema builds** (:func:`full_collections_deferred`,
   handed to the schema registry). A build allocates tens of thousands of objects that all
   outlive it. Once the start-up heap is frozen (step 4), CPython's rule "a full collection
   when the objects that survived since the last one exceed 25 % of the long-lived ones"
   fires during the build, and that one full collection cost more than the build itself.
   CPU time of one build, start-up heap of 300,000 objects frozen, median of 7:

   ============================================  ========  ====================
   collector during the build                    build     collections in it
   ============================================  ========  ====================
   as configured (700, 10, 10)                   386 ms    89 young, 8 middle, 1 full (465 ms)
   disabled, process-wide (before)               197 ms    none
   third threshold raised (700, 10, 1000)        186 ms    91 young, 8 middle, no full
   all thresholds raised (100000, 1000, 1000)    187 ms    none
   ============================================  ========  ====================

   Raising only the third threshold is as fast as disabling the collector, and the young and
   middle collections keep running for the requests served meanwhile: their cyclic garbage is
   still freed. Only full collections wait, for the length of the build (a few hundred
   milliseconds), and those were what step 4 keeps away from requests anyway.

   The full collection is postponed, not saved, by every variant: it runs soon after the build
   (``bench/schema_build.py`` counts it in the next catalog's time: 90 ms with the collector
   disabled, 210-330 ms deferred). Over whole rounds (catalog, build, 200,000 allocations)
   all variants, the default included, cost the same CPU time: 690-790 ms.

4. **Start-up heap frozen** (serving process only, ``Runtime(freeze_startup_heap=True)``). A
   started gateway holds some hundred thousand long-lived objects (SQLAlchemy, the catalog, the
   GraphQL schema). Under load, objects of the requests in flight survive the young collections
   and pile up in the oldest generation, so a full collection runs every second or two; it
   walks the whole heap, 50-80 ms during which no request is served: that was the 99th
   percentile of latency. Once the lifespan has started (and built the GraphQL schema of the
   catalog, which the first request would otherwise build), start-up's garbage is collected and
   the rest frozen: ``gc.freeze()`` leaves it out of every collection. Not for tests and tools
   that create many applications in one process: frozen objects are never collected.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import graphql.type.definition as graphql_definition
import graphql.type.schema as graphql_schema

from app.gateway import Gateway
from app.type_collection import collect_referenced_types

# What the third threshold is raised to while a schema builds: far more middle collections
# than a build runs (8 for 500 entities), so none of them is followed by a full one.
DEFERRED_FULL_THRESHOLD = 1_000_000


@dataclass(frozen=True)
class Runtime:
    """The runtime tuning of one application; ``freeze_startup_heap`` for a serving process."""

    freeze_startup_heap: bool = False

    def install(self) -> None:
        """The process-wide steps taken when the application is created."""
        memoise_name_checks()
        faster_type_collection()

    def schema_build(self) -> contextlib.AbstractContextManager[None]:
        """Surrounds each GraphQL schema build (the schema registry's ``building``)."""
        return full_collections_deferred()

    async def started(self, gateway: Gateway) -> None:
        """Called by the lifespan once ``gateway`` is built and before requests are served."""
        if not self.freeze_startup_heap:
            return
        catalog = await gateway.registry.current()
        # A schema that cannot be built is logged by the registry; requests report it.
        with contextlib.suppress(Exception):
            await gateway.schemas.serving(catalog)
        gc.collect()
        gc.freeze()


def memoise_name_checks() -> None:
    """Replace graphql-core's name checks by memoised copies (idempotent)."""
    module: Any = graphql_definition
    for name in ("assert_name", "assert_enum_value_name"):
        check = getattr(module, name)
        if not hasattr(check, "cache_info"):
            setattr(module, name, functools.lru_cache(maxsize=65536)(check))


def faster_type_collection() -> None:
    """Replace graphql-core's collection of a schema's types by
    :func:`app.type_collection.collect_referenced_types` (idempotent)."""
    type_set: Any = graphql_schema.TypeSet
    type_set.collect_referenced_types = collect_referenced_types


class _FullCollections:
    """The collector's third threshold, raised while at least one schema build runs.

    The thresholds belong to the process, and applications created in one process (tests) may
    build schemas at the same time: the first build to start raises the threshold and the last
    to end restores the value it found."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._builds = 0
        self._restore = 0

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        with self._lock:
            if self._builds == 0:
                young, middle, self._restore = gc.get_threshold()
                gc.set_threshold(young, middle, DEFERRED_FULL_THRESHOLD)
            self._builds += 1
        try:
            yield
        finally:
            with self._lock:
                self._builds -= 1
                if self._builds == 0:
                    young, middle, _ = gc.get_threshold()
                    gc.set_threshold(young, middle, self._restore)


# One per process, as the collector's thresholds are.
_full_collections = _FullCollections()


def full_collections_deferred() -> contextlib.AbstractContextManager[None]:
    """While a GraphQL schema builds: no full collection, young and middle ones as usual."""
    return _full_collections.deferred()
