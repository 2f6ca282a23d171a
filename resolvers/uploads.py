"""Receiving a file: streamed to the blob store under the size limit, its type sniffed from its
content. Too large: PAYLOAD_TOO_LARGE; empty: VALIDATION_FAILED; unreadable: UNSUPPORTED_MEDIA_TYPE.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from models import KnowledgeDocument, TaskDocument
from resolvers.errors import Unavailable, UnsupportedMediaType, ValidationFailed
from resolvers.storage import BlobStore, StoredBlob, read_chunks
from retrieval.extraction import SUPPORTED, sniff_content_type
from retrieval.extraction.sniff import TEXT_TYPES, decode_text

logger = logging.getLogger("taskloom.files")

FILENAME_MAX = 255
_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"/\\|?*]+")


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    filename: str
    content_type: str
    sha256: str
    size: int


def safe_filename(raw: str | None, default: str = "upload") -> str:
    """The last path component, without control or path characters, NFC, at most 255 bytes."""
    name = unicodedata.normalize("NFC", raw or "")
    name = PureWindowsPath(PurePosixPath(name).name).name  # drop any directories, either style
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        name = default
    while len(name.encode()) > FILENAME_MAX:
        stem, dot, suffix = name.rpartition(".")
        name = f"{stem[:-1]}{dot}{suffix}" if dot and len(suffix) < 16 else name[:-1]
    return name


def numbered_filename(filename: str, n: int) -> str:
    """`report (2).pdf` for 2, the stem shortened as needed to stay within FILENAME_MAX bytes."""
    stem, dot, suffix = filename.rpartition(".")
    if not dot or not stem or len(suffix) >= 16:
        stem, dot, suffix = filename, "", ""
    mark = f" ({n})"
    while stem and len(f"{stem}{mark}{dot}{suffix}".encode()) > FILENAME_MAX:
        stem = stem[:-1]
    return f"{stem}{mark}{dot}{suffix}"


async def free_filename(task_id: int, filename: str) -> str:
    """`report.pdf`, then `report (2).pdf`, `report (3).pdf`, … within one task."""
    rows = await TaskDocument.filter(task_id=task_id).values("filename")
    taken = {row["filename"] for row in rows}
    candidate, n = filename, 1
    while candidate in taken:
        n += 1
        candidate = numbered_filename(filename, n)
    return candidate


async def receive_file(
    blobs: BlobStore, upload: Any, *, max_bytes: int, field: str = "file"
) -> ReceivedFile:
    if upload is None or not hasattr(upload, "read"):
        raise ValidationFailed({field: "must be a file (multipart/form-data)"})
    filename = safe_filename(getattr(upload, "filename", None))
    declared = getattr(upload, "content_type", None)
    stored = await blobs.save(read_chunks(upload), max_bytes=max_bytes, field=field)
    try:
        content_type = _readable_type(stored, filename, declared, field)
    except (UnsupportedMediaType, ValidationFailed):
        await release_blob(blobs, stored.sha256)
        raise
    return ReceivedFile(filename, content_type, stored.sha256, stored.size)


def _readable_type(stored: StoredBlob, filename: str, declared: str | None, field: str) -> str:
    content_type = sniff_content_type(stored.head, filename, declared)
    if content_type not in SUPPORTED:
        raise UnsupportedMediaType(
            "Cannot read this kind of file; send text, Markdown, HTML, CSV, JSON, PDF or DOCX"
        )
    if content_type in TEXT_TYPES and stored.size <= len(stored.head):
        text = decode_text(stored.head)
        if text is not None and not text.strip():
            raise ValidationFailed({field: "holds no text"})
    return content_type


async def release_blob(blobs: BlobStore, sha256: str) -> None:
    """Remove a stored file once no document refers to it (files are shared by content). The
    document is already gone: a store that is down keeps the bytes (logged), and the request
    that deleted the document still succeeds."""
    in_use = await KnowledgeDocument.exists(sha256=sha256) or await TaskDocument.exists(
        sha256=sha256
    )
    if not in_use:
        try:
            await blobs.delete(sha256)
        except Unavailable:
            logger.warning("file %s is no longer used but stays in the store (unreachable)", sha256)
