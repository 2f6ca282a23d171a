"""The garbage collector's settings for a serving process.

A nested read builds some 100,000 short-lived objects. Frozen, the objects that exist once the
app is built (modules, the schema, the ORM's metadata) are left out of every collection: without
it a full collection walked them all every few requests, and a third of the requests took twice
as long (measured in-process over 200 nested reads in a row: slowest 184 ms, 113 ms frozen).

The thresholds count objects made and not yet freed. A read's objects go by reference counting
once it ends (schema/build.py drops its loaders), so mostly requests in flight keep the count
up; at CPython's 700 a young collection ran every few hundred rows, walking each request's
partly built answer again and again. Measured (bench/graph.py, 1 round, 4 connections,
Taskloom / PostGraphile p50; bench/auth.py, 3 rounds, small requests' share of a bare
Starlette endpoint and their p99 at 2 connections):

    first threshold    nested read   GET /users/me   { me { id } }   p99 /users/me
    700 (CPython)      1.37x         13.6%           11.1%           2 ms
    10,000 (this)      1.07x         10.5%            9.8%           6 ms
    100,000            1.03x          8.1%            8.4%           130 ms
    collector off      0.88x

Larger thresholds leave more cyclic garbage (small requests make some) for each collection
to free at once, hence the pauses; 10,000 is the compromise.
"""

from __future__ import annotations

import gc

YOUNG_OBJECTS = 10_000  # the first generation's threshold (CPython: 700)
YOUNG_COLLECTIONS_PER_MIDDLE = 20  # CPython: 10
MIDDLE_COLLECTIONS_PER_FULL = 100  # CPython: 10; its 25% rule counts no frozen object


def tune_for_serving() -> None:
    """Call once the app is built, before it serves."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, YOUNG_COLLECTIONS_PER_MIDDLE, MIDDLE_COLLECTIONS_PER_FULL)
