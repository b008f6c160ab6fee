"""The collector's settings for a long-running server process (issue 17).

A hub query allocates thousands of short-lived objects (member answers decoded, merged rows,
the GraphQL result), so with CPython's default first-generation threshold (700 allocations)
the collector ran several times per query: ~7% of the hub's busy thread in a profile at
N = 10. Everything built before serving (schema, modules, settings) lives as long as the
process and is frozen out of the collector's passes; the first generation is collected every
``YOUNG_THRESHOLD`` allocations instead of 700 (the memory held meanwhile is that of a few
queries' garbage cycles: reference counting frees the rest at once).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000


def settle() -> None:
    """Call once the app is built, before serving requests."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
