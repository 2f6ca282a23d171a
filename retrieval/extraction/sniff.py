"""Decides a file's content type from its first bytes; the name and the declared type only choose
between text flavours that the content allows (a `.pdf` name on text is text, not a PDF)."""

from __future__ import annotations

import json
import mimetypes
import re
from pathlib import Path

PLAIN = "text/plain"
MARKDOWN = "text/markdown"
HTML = "text/html"
CSV = "text/csv"
JSON = "application/json"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

SUPPORTED = frozenset({PLAIN, MARKDOWN, HTML, CSV, JSON, PDF, DOCX})
TEXT_TYPES = frozenset({PLAIN, MARKDOWN, HTML, CSV, JSON})
HEAD_BYTES = 8192  # what callers should pass as `head`

_SUFFIXES = {
    ".txt": PLAIN, ".text": PLAIN, ".log": PLAIN, ".md": MARKDOWN, ".markdown": MARKDOWN,
    ".htm": HTML, ".html": HTML, ".csv": CSV, ".json": JSON, ".pdf": PDF, ".docx": DOCX,
}  # fmt: skip
_ALIASES = {"application/x-ndjson": JSON, "text/x-markdown": MARKDOWN, "application/csv": CSV}
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
)  # fmt: skip
_HTML_START = re.compile(r"<(!doctype\s+html|html|head|body|meta|title)\b", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?(p|div|span|a|h[1-6]|ul|ol|li|table|br|section|article)\b", re.I)
_MARKDOWN = re.compile(r"^(#{1,6} \S|```)|\[[^\]\n]+\]\([^)\s]+\)", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _hint(filename: str | None, declared: str | None) -> str | None:
    if declared:
        kind = declared.split(";")[0].strip().lower()
        kind = _ALIASES.get(kind, kind)
        if kind in SUPPORTED:
            return kind
    if filename:
        suffix = Path(filename).suffix.lower()
        return _SUFFIXES.get(suffix) or mimetypes.guess_type(filename)[0]
    return None


def decode_text(data: bytes, *, partial: bool = False) -> str | None:
    """Text of `data` (BOM, then UTF-8, then Windows-1252, then Latin-1), or None if it is binary.

    `partial`: `data` is only the head of a file, possibly cut inside a UTF-8 sequence."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding, errors="strict" if not partial else "ignore")
            except UnicodeDecodeError:
                return None
    if b"\x00" in data:
        return None
    text = None
    for cut in range(4 if partial else 1):
        try:
            text = data[: len(data) - cut].decode("utf-8")
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    controls = len(_CONTROL.findall(text))
    return None if controls > max(2, len(text) // 100) else text


def _looks_like_json(text: str, truncated: bool) -> bool:
    stripped = text.strip()
    try:
        json.loads(stripped)
        return True
    except ValueError:
        if not truncated:  # the whole file is here, and it is not JSON
            return False
    # A head cut short of the end: judge by how it opens.
    return bool(re.match(r'\{\s*("|\}$)|\[\s*([\[{"\d\-\]]|true|false|null)', stripped))


def _looks_like_csv(text: str) -> bool:
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if len(lines) < 2:
        return len(lines) == 1 and ("," in lines[0] or ";" in lines[0] or "\t" in lines[0])
    return any(
        lines[0].count(sep) > 0 and all(line.count(sep) >= 1 for line in lines[1:-1] or lines)
        for sep in (",", ";", "\t")
    )


def sniff_content_type(head: bytes, filename: str | None, declared: str | None) -> str | None:
    """One of SUPPORTED, or None when the content is of no supported type (the service's 415).

    An empty head sniffs as text (its flavour from the name): extraction then raises
    EmptyDocument, which the service answers with 422."""
    hint = _hint(filename, declared)
    text = decode_text(head, partial=True)
    # A PDF may have bytes before its header (within 1024); clean text that merely mentions
    # "%PDF-" is text. Binary formats (images, archives, executables) are never clean text.
    if head.startswith(b"%PDF-") or (text is None and b"%PDF-" in head[:1024]):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        # An OOXML package names its parts early; a .docx name on a zip lets the parser decide.
        return DOCX if b"word/" in head or hint == DOCX else None
    if text is None:
        return None
    stripped = text.lstrip()
    if not stripped:
        return hint if hint in TEXT_TYPES else PLAIN
    tags = len(_HTML_TAG.findall(stripped[:4096]))
    tagged = tags > 1 and stripped[0] == "<"
    if _HTML_START.match(stripped) or (tags and hint == HTML) or tagged:
        return HTML
    truncated = len(head) >= HEAD_BYTES
    if stripped[0] in "{[" and (hint == JSON or _looks_like_json(stripped, truncated)):
        return JSON
    if hint == CSV and _looks_like_csv(text):
        return CSV
    if hint == MARKDOWN or _MARKDOWN.search(text):
        return MARKDOWN
    return PLAIN


def sniff_file(path: Path, filename: str | None = None, declared: str | None = None) -> str | None:
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    return sniff_content_type(head, filename or path.name, declared)
