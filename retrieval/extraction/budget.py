"""What one parse may produce: a cap on the text's characters and on the bytes an archive may
inflate to. The parsers check it as they go, so that a file whose text is far larger than the
file itself (a JSON path repeated per value, a CSV header per cell, a zip bomb) stops early."""

from __future__ import annotations

from dataclasses import dataclass

from retrieval.extraction.errors import ExtractionFailed

MAX_UNZIPPED_BYTES = 256 * 1024 * 1024  # a DOCX expands to a few times its size
MAX_ZIP_MEMBERS = 10_000


@dataclass(frozen=True, slots=True)
class ExtractionBudget:
    max_chars: int = 20_000_000
    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES
    max_zip_members: int = MAX_ZIP_MEMBERS


class TextSink:
    """Collects the parts of a text; fails as soon as they pass `max_chars`."""

    def __init__(self, max_chars: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self._max_chars = max_chars

    def add(self, part: str) -> None:
        self.count(len(part))
        self.parts.append(part)

    def count(self, size: int) -> None:
        self.size += size
        if self.size > self._max_chars:
            raise ExtractionFailed(f"more than {self._max_chars} characters")

    def text(self, separator: str = "") -> str:
        return separator.join(self.parts)
