"""The garbage collector's settings for a serving process.

A nested read builds some 100,000 short-lived objects. Frozen, the objects that exist once the
app is built (modules, the schema, the ORM's metadata) are left out of every collection: without
it a full collection walked them all every few requests, and a third of the requests took twice
as long (measured in-process over 200 nested reads in a row: slowest 184 ms, 113 ms frozen).

The thresholds count objects made and not yet freed. Requests leave next to nothing in
reference cycles (schema/execution.py breaks graphql-core's), so mostly requests in flight keep
the count up; at CPython's 700 a young collection ran every few hundred rows, walking each
request's partly built answer again and again. Measured (bench/graph.py, 4 connections,
Taskloom / PostGraphile p50; bench/auth.py, 3 rounds, small requests' share of a bare Starlette
endpoint and their p99 at 2 connections), one setting after another in one session:

    first threshold          nested read        GET /users/me   { me { id } }   p99 /users/me
    700 (CPython)            1.37x (1 round)    13.6%           11.1%           2.0 ms
    100,000, cycles kept     1.03x (1 round)     8.1%            8.4%           130 ms
    100,000, cycles broken   0.91x (3 rounds)   12.0%           11.2%           1.7 ms

While each request still left a few hundred objects in cycles, a large threshold let them pile
up and be freed in one long pause (the 130 ms); without them it costs nothing but memory: an
in-process nested read at 4 at a time spent 2.1 ms in collections instead of 14.5, with peak RSS
166 MB instead of 131.
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
