"""Receiving a file: streamed to the blob store under the size limit, its type sniffed from its
content. Too large: PAYLOAD_TOO_LARGE; empty: VALIDATION_FAILED; unreadable: UNSUPPORTED_MEDIA_TYPE.
The file is only received here; it is published with the rows naming it (infra/blobs/blob_lifetime).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from infra.blobs.storage import BlobStore, Incoming, StoredBlob, read_chunks
from infra.errors import UnsupportedMediaType, ValidationFailed
from models import TaskDocument
from retrieval.extraction import SUPPORTED, sniff_content_type
from retrieval.extraction.sniff import TEXT_TYPES, decode_text

FILENAME_MAX = 255
_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"/\\|?*]+")


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    filename: str
    content_type: str
    incoming: Incoming  # to read (`incoming.path`) and to publish

    @property
    def sha256(self) -> str:
        return self.incoming.blob.sha256

    @property
    def size(self) -> int:
        return self.incoming.blob.size


def safe_filename(raw: str | None, default: str = "upload") -> str:
    """The last path component, without control or path characters, NFC, at most 255 bytes."""
    name = unicodedata.normalize("NFC", raw or "")
    name = PureWindowsPath(PurePosixPath(name).name).name  # drop any directories, either style
    # Bidi overrides and zero-width characters (format characters) make a name read otherwise.
    name = "".join(char for char in name if unicodedata.category(char) != "Cf")
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


@asynccontextmanager
async def receive_file(
    blobs: BlobStore, upload: Any, *, max_bytes: int, field: str = "file"
) -> AsyncIterator[ReceivedFile]:
    """The checked file for the duration of the block; publish it with `naming_blob`."""
    if upload is None or not hasattr(upload, "read"):
        raise ValidationFailed({field: "must be a file (multipart/form-data)"})
    filename = safe_filename(getattr(upload, "filename", None))
    declared = getattr(upload, "content_type", None)
    async with blobs.receive(read_chunks(upload), max_bytes=max_bytes, field=field) as incoming:
        content_type = _readable_type(incoming.blob, filename, declared, field)
        yield ReceivedFile(filename, content_type, incoming)


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
