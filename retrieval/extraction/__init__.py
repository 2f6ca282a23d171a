"""Text extraction: sniff a file's type by its content, then parse it in a limited child process."""

from retrieval.extraction.errors import (
    EmptyDocument,
    ExtractionError,
    ExtractionFailed,
    UnsupportedContent,
)
from retrieval.extraction.sandbox import (
    DEFAULT_LIMITS,
    ExtractionLimits,
    extract_text,
    extract_text_async,
    run_isolated,
)
from retrieval.extraction.slots import set_extraction_children
from retrieval.extraction.sniff import SUPPORTED, sniff_content_type, sniff_file

__all__ = [
    "DEFAULT_LIMITS",
    "SUPPORTED",
    "EmptyDocument",
    "ExtractionError",
    "ExtractionFailed",
    "ExtractionLimits",
    "UnsupportedContent",
    "extract_text",
    "extract_text_async",
    "run_isolated",
    "set_extraction_children",
    "sniff_content_type",
    "sniff_file",
]
