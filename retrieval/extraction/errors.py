"""Why a document yielded no text. The service maps these to answers (415, 422) or a failed job."""

from __future__ import annotations


class ExtractionError(Exception):
    """Base of the extraction failures."""


class UnsupportedContent(ExtractionError):
    """The content is of no type we read (answered 415)."""


class EmptyDocument(ExtractionError):
    """The file is empty or holds no text (answered 422)."""


class ExtractionFailed(ExtractionError):
    """The file claims a type we read but is broken, hostile or too big: parsing failed, ran out
    of time or of memory. Only this document fails."""
