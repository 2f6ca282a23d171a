"""The knowledge base: uploaded documents, their chunks, and the jobs that ingest them."""

from __future__ import annotations

import enum

from tortoise import fields
from tortoise.models import Model

from models.accounts import User


class IngestionStatus(enum.StrEnum):
    QUEUED = "queued"
    EXTRACTING = "extracting"
    EMBEDDING = "embedding"
    INDEXING = "indexing"
    READY = "ready"
    FAILED = "failed"


class KnowledgeDocument(Model):
    id = fields.IntField(primary_key=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="documents", on_delete=fields.CASCADE
    )
    owner_id: int
    filename = fields.CharField(max_length=255)
    title = fields.CharField(max_length=500)
    description = fields.TextField()
    content_type = fields.CharField(max_length=100)
    size = fields.BigIntField()
    # The stored file, content-addressed in the data folder.
    sha256 = fields.CharField(max_length=64)
    status = fields.CharEnumField(IngestionStatus, max_length=16, default=IngestionStatus.QUEUED)
    progress = fields.FloatField(default=0.0)
    error = fields.TextField(null=True)
    chunk_count = fields.IntField(default=0)
    created = fields.DatetimeField(auto_now_add=True)
    updated = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "documents"
        indexes = (("owner_id", "created"),)


class Chunk(Model):
    id = fields.IntField(primary_key=True)
    document: fields.ForeignKeyRelation[KnowledgeDocument] = fields.ForeignKeyField(
        "models.KnowledgeDocument", related_name="chunks", on_delete=fields.CASCADE
    )
    document_id: int
    index = fields.IntField()
    content = fields.TextField()
    start = fields.IntField()
    end = fields.IntField()

    class Meta:
        table = "chunks"
        unique_together = (("document_id", "index"),)


class IngestionJob(Model):
    """Drives one document through extract -> chunk -> embed -> index, one batch of chunks per
    claim. A worker claims a job by taking its lease; a job whose lease ran out (its worker died)
    is claimed again and resumes from its cursor.

    Jobs are served in `turn` order, a virtual time that fair-queues owners: each batch of an
    owner's work is placed one turn after that owner's last queued batch, so one user's large
    upload (many batches) and another's small one take turns instead of queueing behind."""

    id = fields.IntField(primary_key=True)
    document: fields.OneToOneRelation[KnowledgeDocument] = fields.OneToOneField(
        "models.KnowledgeDocument", related_name="job", on_delete=fields.CASCADE
    )
    document_id: int
    owner_id = fields.IntField(default=0)  # the document's, copied so claims need no join
    turn = fields.FloatField(default=0.0)
    attempts = fields.IntField(default=0)
    run_after = fields.DatetimeField()
    lease_owner = fields.CharField(max_length=64, null=True)
    lease_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    # The extracted text's size once known, and two cursors into it (characters, UTF-8 bytes,
    # chunk index): where the next chunk to cut begins, and where the first chunk not yet in
    # the store begins. Between them lies a batch stored but not indexed (a crash came first).
    text_bytes = fields.BigIntField(null=True)
    next_char = fields.BigIntField(default=0)
    next_byte = fields.BigIntField(default=0)
    next_index = fields.IntField(default=0)
    indexed_char = fields.BigIntField(default=0)
    indexed_byte = fields.BigIntField(default=0)
    indexed_chunks = fields.IntField(default=0)
    created = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ingestion_jobs"
        indexes = (("turn", "run_after"), ("owner_id", "turn"))
