"""The embedded chunk store: one SQLite file with FTS5 (keyword, BM25) and float32 vectors.

Vectors live as BLOBs in the file and, once an owner searches, in that owner's in-memory matrix
(exact cosine with numpy), so a search only ever touches the owner's own chunks. All SQLite and
numpy work runs on one dedicated thread: the event loop never blocks, and the connection is never
shared between threads. Writes begin IMMEDIATE: with several processes on the file, a write waits
for SQLite's lock rather than failing part-way (see models/sqlite_engine.py).

Keyword search runs on the owner's own contentless FTS5 table (keyword_index), so BM25's
statistics are the owner's alone, as with Weaviate's tenants: no one's ranking depends on, or
reveals, other users' chunks.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import numpy as np

from retrieval.fusion import FusedHit, FusionMethod, fuse, min_max
from retrieval.stores.base import (
    IndexedChunk,
    ScoredChunk,
    SearchMode,
    SearchRequest,
    StoreUnavailable,
)
from retrieval.stores.keyword_index import IndexedRow, KeywordIndex
from retrieval.stores.vector_index import VectorIndex

T = TypeVar("T")

SCHEMA_VERSION = "2"  # 2: a keyword table per owner, not one shared
DEFAULT_TOKENIZER = "porter unicode61 remove_diacritics 2"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL,
    owner_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,  -- what keyword search indexed: the chunk's context, else its text
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_owner ON chunks (owner_id, document_id);
"""


class EmbeddedStore:
    """`fusion` picks relative-score (default) or reciprocal-rank fusion; `alpha` is the default
    weight of the vector list in HYBRID; `candidates` is how deep each list is read before fusion;
    `title_weight` is the BM25 weight of the title column against 1.0 for the text."""

    def __init__(
        self,
        path: Path,
        *,
        fusion: FusionMethod = FusionMethod.RELATIVE_SCORE,
        alpha: float = 0.5,
        candidates: int = 100,
        title_weight: float = 2.0,
        tokenizer: str = DEFAULT_TOKENIZER,
    ) -> None:
        if not 0.0 <= alpha <= 1.0:
            raise ValueError("alpha must be within [0, 1]")
        self.path = Path(path)
        self.fusion = fusion
        self.alpha = alpha
        self.candidates = candidates
        self.title_weight = title_weight
        self.tokenizer = tokenizer
        self._keywords = KeywordIndex(tokenizer, title_weight)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedded-store")
        self._db: sqlite3.Connection | None = None
        self._dimension: int | None = None
        self._owners: dict[int, VectorIndex] = {}
        # SQLite's data_version changes when another connection (another process: a CLI ingest,
        # a worker) commits; the owners' in-memory matrices are then reloaded.
        self._data_version: int | None = None
        self._closed = False

    async def _run(self, work: Callable[..., T], *args: object) -> T:
        if self._closed:
            raise StoreUnavailable(f"embedded store {self.path} is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, work, *args)
        except sqlite3.Error as error:
            raise StoreUnavailable(f"embedded store {self.path}: {error}") from error

    # --- the ChunkStore interface -------------------------------------------------------------

    async def open(self, model_id: str, dimension: int) -> bool:
        return await self._run(self._open, model_id, dimension)

    async def upsert(self, chunks: Sequence[IndexedChunk]) -> None:
        if chunks:
            await self._run(self._upsert, list(chunks))

    async def delete_document(self, owner_id: int, document_id: int) -> None:
        await self._run(self._delete_document, owner_id, document_id)

    async def search(self, request: SearchRequest) -> list[ScoredChunk]:
        if request.mode is not SearchMode.KEYWORD and request.vector is None:
            raise ValueError(f"a {request.mode.name} search needs a query vector")
        if request.alpha is not None and not 0.0 <= request.alpha <= 1.0:
            raise ValueError("alpha must be within [0, 1]")
        if request.limit <= 0:
            return []
        return await self._run(self._search, request)

    async def ping(self) -> None:
        await self._run(self._ping)

    async def close(self) -> None:
        """Closes for good: a closed store answers StoreUnavailable."""
        if self._closed:
            return
        if self._db is not None:
            await self._run(self._close)
        self._closed = True
        self._executor.shutdown(wait=True)

    async def count(self, owner_id: int | None = None) -> int:
        """Chunks held, for one owner or in all."""
        return await self._run(self._count, owner_id)

    # --- on the store's thread ----------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreUnavailable("the embedded store is not open: call open() first")
        return self._db

    def _open(self, model_id: str, dimension: int) -> bool:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            self._db = db
        db = self._db
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        wanted = {"model_id": model_id, "dimension": str(dimension)}
        changed = any(meta.get(key, value) != value for key, value in wanted.items())
        fts_config = f"{SCHEMA_VERSION}|{self.tokenizer}"
        with db:
            db.execute("BEGIN IMMEDIATE")
            if changed:
                db.execute("DELETE FROM chunks")
            if changed or meta.get("fts") != fts_config:
                self._create_fts(db)
            pairs = {**wanted, "fts": fts_config}
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(pairs.items()))
        self._dimension = dimension
        self._owners.clear()
        return changed

    def _create_fts(self, db: sqlite3.Connection) -> None:
        """(Re)builds the owners' keyword tables from the chunks table."""
        self._keywords.rebuild(db)

    def _unindex(self, db: sqlite3.Connection, old: list[IndexedRow]) -> None:
        """Removes chunks (rows of chunk_id, title, body, owner_id) from the owners' keyword
        tables, from the chunks table and from the owners' matrices."""
        self._keywords.remove(db, old)
        db.executemany("DELETE FROM chunks WHERE chunk_id = ?", [(row[0],) for row in old])
        for cid, _title, _body, owner in old:
            if owner in self._owners:
                self._owners[owner].remove([cid])

    def _upsert(self, chunks: list[IndexedChunk]) -> None:
        db = self._connection()
        vectors = np.stack([np.asarray(c.vector, dtype=np.float32) for c in chunks])
        if vectors.shape != (len(chunks), self._dimension):
            raise ValueError(f"vectors must have dimension {self._dimension}, got {vectors.shape}")
        ids = [c.chunk_id for c in chunks]
        with db:
            db.execute("BEGIN IMMEDIATE")
            old = db.execute(
                "SELECT chunk_id, title, body, owner_id FROM chunks"
                " WHERE chunk_id IN (SELECT value FROM json_each(?))",
                (json.dumps(ids),),
            ).fetchall()
            self._unindex(db, old)
            db.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        c.chunk_id,
                        c.document_id,
                        c.owner_id,
                        c.title,
                        c.context or c.text,
                        v.tobytes(),
                    )
                    for c, v in zip(chunks, vectors, strict=True)
                ],
            )
            self._keywords.add(
                db, [(c.chunk_id, c.title, c.context or c.text, c.owner_id) for c in chunks]
            )
        for owner in {c.owner_id for c in chunks} & self._owners.keys():
            mine = [i for i, c in enumerate(chunks) if c.owner_id == owner]
            self._owners[owner].upsert(
                [ids[i] for i in mine], [chunks[i].document_id for i in mine], vectors[mine]
            )

    def _delete_document(self, owner_id: int, document_id: int) -> None:
        db = self._connection()
        with db:
            db.execute("BEGIN IMMEDIATE")
            old = db.execute(
                "SELECT chunk_id, title, body, owner_id FROM chunks"
                " WHERE owner_id = ? AND document_id = ?",
                (owner_id, document_id),
            ).fetchall()
            self._unindex(db, old)

    def _owner_index(self, owner_id: int) -> VectorIndex:
        index = self._owners.get(owner_id)
        if index is None:
            assert self._dimension is not None
            rows = self._connection().execute(
                "SELECT chunk_id, document_id, vector FROM chunks WHERE owner_id = ?", (owner_id,)
            )
            ids, documents, blobs = [], [], []
            for chunk_id, document_id, blob in rows:
                ids.append(chunk_id)
                documents.append(document_id)
                blobs.append(blob)
            index = VectorIndex(self._dimension, capacity=max(64, len(ids)))
            if ids:
                matrix = np.frombuffer(b"".join(blobs), dtype=np.float32)
                index.upsert(ids, documents, matrix.reshape(len(ids), self._dimension))
            self._owners[owner_id] = index
        return index

    def _keyword_scores(self, request: SearchRequest, depth: int) -> dict[int, float]:
        return self._keywords.scores(
            self._connection(), request.owner_id, request.text, request.document_ids, depth
        )

    def _search(self, request: SearchRequest) -> list[ScoredChunk]:
        (version,) = self._connection().execute("PRAGMA data_version").fetchone()
        if version != self._data_version:
            self._owners.clear()
            self._data_version = version
        index = self._owner_index(request.owner_id)
        depth = max(self.candidates, request.limit)
        keyword: dict[int, float] = {}
        vector: dict[int, float] = {}
        if request.mode is not SearchMode.VECTOR:
            keyword = self._keyword_scores(request, depth)
        if request.mode is not SearchMode.KEYWORD:
            assert request.vector is not None
            query = np.asarray(request.vector, dtype=np.float32)
            vector = dict(index.search(query, depth, request.document_ids))
        if request.mode is SearchMode.HYBRID:
            alpha = self.alpha if request.alpha is None else request.alpha
            hits = fuse(self.fusion, keyword, vector, alpha)
        else:
            raw = keyword if request.mode is SearchMode.KEYWORD else vector
            normalised = min_max(raw)
            is_keyword = request.mode is SearchMode.KEYWORD
            hits = sorted(
                (
                    FusedHit(
                        key,
                        score,
                        normalised[key] if is_keyword else None,
                        None if is_keyword else normalised[key],
                    )
                    for key, score in raw.items()
                ),
                key=lambda hit: (-hit.score, hit.key),
            )
        return [
            ScoredChunk(
                hit.key, index.document_of(hit.key), hit.score, hit.keyword_score, hit.vector_score
            )
            for hit in hits[: request.limit]
        ]

    def _ping(self) -> None:
        self._connection().execute("SELECT 1").fetchone()

    def _count(self, owner_id: int | None) -> int:
        db = self._connection()
        if owner_id is None:
            return int(db.execute("SELECT count(*) FROM chunks").fetchone()[0])
        query = "SELECT count(*) FROM chunks WHERE owner_id = ?"
        return int(db.execute(query, (owner_id,)).fetchone()[0])

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self._owners.clear()
