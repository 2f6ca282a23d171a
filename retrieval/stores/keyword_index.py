"""The embedded store's keyword index: one contentless FTS5 table per owner, in the store's file.

A table of its own gives each owner BM25 statistics of its own (how many of the owner's chunks
hold a term, their average length), as Weaviate's tenants do: a user's ranking never moves when
someone else uploads, and reveals nothing about other users' text. An owner's table is made on
the owner's first write; an owner without one has no keyword hits.

The tables are contentless (the text lives once, in `chunks`), so removing a row needs its old
values.

SQLite slows down with many tables (five per owner, with FTS5's own): measured, the first query on
a new connection took ~40 ms at 1,000 owners and ~0.9 s at 4,000. Past a few thousand users,
Weaviate (a tenant per user) is the store to use.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence

from retrieval.stores.keyword_query import match_expression

TABLE_PREFIX = "fts_owner_"
SHARED_TABLE = "chunk_fts"  # schema 1: every owner in one table, kept apart by an owner column
_OWNER_TABLE = re.compile(rf"{TABLE_PREFIX}-?[0-9]+")

IndexedRow = tuple[int, str, str, int]  # chunk_id, title, body, owner_id


def owner_table(owner_id: int) -> str:
    return f"{TABLE_PREFIX}{int(owner_id)}"


def _quoted(name: str) -> str:
    """Names are made only by owner_table (from an int) or matched _OWNER_TABLE."""
    return f'"{name}"'


def _by_owner(rows: Iterable[IndexedRow]) -> dict[int, list[tuple[int, str, str]]]:
    grouped: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for chunk_id, title, body, owner_id in rows:
        grouped[owner_id].append((chunk_id, title, body))
    return grouped


class KeywordIndex:
    """`title_weight` is the BM25 weight of the title column against 1.0 for the body."""

    def __init__(self, tokenizer: str, title_weight: float) -> None:
        self.tokenizer = tokenizer
        self.title_weight = title_weight
        # The owners' tables as of a schema version: a search then needs no scan of sqlite_master,
        # whose rows grow by five (a table and its shadow tables) with every owner.
        self._tables: frozenset[str] = frozenset()
        self._schema_version: int | None = None

    def add(self, db: sqlite3.Connection, rows: Iterable[IndexedRow]) -> None:
        for owner_id, values in _by_owner(rows).items():
            table = self._create_table(db, owner_id)
            db.executemany(f"INSERT INTO {table} (rowid, title, body) VALUES (?, ?, ?)", values)  # noqa: S608

    def remove(self, db: sqlite3.Connection, rows: Iterable[IndexedRow]) -> None:
        """Rows must be indexed ones: a contentless 'delete' of values never added corrupts the
        table's statistics."""
        for owner_id, values in _by_owner(rows).items():
            table = _quoted(owner_table(owner_id))
            db.executemany(
                f"INSERT INTO {table} ({table}, rowid, title, body) VALUES ('delete', ?, ?, ?)",  # noqa: S608
                values,
            )

    def rebuild(self, db: sqlite3.Connection) -> None:
        """Drops every keyword table, the shared one of schema 1 too, and indexes `chunks` anew."""
        for name in [SHARED_TABLE, *self._owner_tables(db)]:
            db.execute(f"DROP TABLE IF EXISTS {_quoted(name)}")
        owners = [owner for (owner,) in db.execute("SELECT DISTINCT owner_id FROM chunks")]
        for owner_id in owners:
            table = self._create_table(db, owner_id)
            db.execute(
                f"INSERT INTO {table} (rowid, title, body)"  # noqa: S608
                " SELECT chunk_id, title, body FROM chunks WHERE owner_id = ?",
                (owner_id,),
            )

    def scores(
        self,
        db: sqlite3.Connection,
        owner_id: int,
        text: str,
        document_ids: Sequence[int] | None,
        depth: int,
    ) -> dict[int, float]:
        """The owner's best `depth` chunks for `text`, scored by BM25. FTS5's bm25() is
        lower-is-better; negated, higher is better like a cosine."""
        expression = match_expression(text)
        if expression is None or not self._has_table(db, owner_id):
            return {}
        table = _quoted(owner_table(owner_id))
        sql = f"SELECT rowid, bm25({table}, ?, 1.0) FROM {table} WHERE {table} MATCH ?"  # noqa: S608
        params: list[object] = [self.title_weight, expression]
        if document_ids is not None:
            sql += (
                " AND rowid IN (SELECT chunk_id FROM chunks"
                " WHERE owner_id = ? AND document_id IN (SELECT value FROM json_each(?)))"
            )
            params += [owner_id, json.dumps([int(i) for i in document_ids])]
        sql += " ORDER BY 2 LIMIT ?"
        params.append(depth)
        return {rowid: -score for rowid, score in db.execute(sql, params)}

    def _create_table(self, db: sqlite3.Connection, owner_id: int) -> str:
        table = _quoted(owner_table(owner_id))
        tokenizer = self.tokenizer.replace("'", "''")
        db.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5"
            f"(title, body, content='', tokenize='{tokenizer}')"
        )
        return table

    def _has_table(self, db: sqlite3.Connection, owner_id: int) -> bool:
        # Any connection's CREATE or DROP changes the file's schema version.
        (version,) = db.execute("PRAGMA schema_version").fetchone()
        if version != self._schema_version:
            self._tables = frozenset(self._owner_tables(db))
            self._schema_version = version
        return owner_table(owner_id) in self._tables

    @staticmethod
    def _owner_tables(db: sqlite3.Connection) -> list[str]:
        """The FTS5 tables themselves, not their shadow tables (fts_owner_1_data, ...)."""
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB ?"
        names = [name for (name,) in db.execute(query, (f"{TABLE_PREFIX}*",))]
        return [name for name in names if _OWNER_TABLE.fullmatch(name)]
