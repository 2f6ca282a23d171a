"""The garbage collector's settings for a serving process.

A nested read builds some 100,000 short-lived objects. Frozen, the objects that exist once the
app is built (modules, the schema, the ORM's metadata) are left out of every collection: without
it a full collection walked them all every few requests, and a third of the requests took twice
as long (measured in-process over 200 nested reads in a row: slowest 184 ms, 113 ms frozen).

The thresholds count objects made and not yet freed. A read's objects go by reference counting
once it ends (schema/build.py drops its loaders), so only requests in flight keep the count
up; at CPython's 700 a young collection ran every few hundred rows, walking each request's
partly built answer again and again. At 100,000 it runs about once per 20 nested reads.
Measured with bench/graph.py (1 round, 4 connections, Taskloom / PostGraphile p50): 1.37x at
the defaults, 1.03x with these thresholds, 0.88x with the collector off; in-process, 4 reads at
a time: 14.5 ms of collection per read down to 2.1, peak RSS 131 MB up to 166 MB.
"""

from __future__ import annotations

import gc

YOUNG_OBJECTS = 100_000  # the first generation's threshold (CPython: 700)
YOUNG_COLLECTIONS_PER_MIDDLE = 20  # CPython: 10
MIDDLE_COLLECTIONS_PER_FULL = 100  # CPython: 10; its 25% rule counts no frozen object


def tune_for_serving() -> None:
    """Call once the app is built, before it serves."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, YOUNG_COLLECTIONS_PER_MIDDLE, MIDDLE_COLLECTIONS_PER_FULL)
