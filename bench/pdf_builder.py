"""A minimal PDF written by hand (no dependency): one Helvetica text stream per page.

Enough of the format for any reader: a catalog, one page tree, one standard font, a page and a
content stream per page, a cross-reference table with exact byte offsets, and a trailer. Text is
kept to printable ASCII so that what a reader extracts can be compared with what was written.
"""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Iterable, Iterator

PAGE_WIDTH, PAGE_HEIGHT = 612, 792  # US Letter, in points
MARGIN = 50
FONT_SIZE, LEADING = 10, 16
LINE_CHARS = 95  # about what fits in Helvetica 10 pt across the page


def ascii_text(text: str) -> str:
    """Accents dropped, other non-ASCII characters left out: the standard fonts' safe subset."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if " " <= c <= "~")


def page_lines(paragraphs: Iterable[str], lines_per_page: int) -> Iterator[list[str]]:
    """The paragraphs wrapped and laid out in pages of `lines_per_page` lines, a blank line
    between paragraphs; endless if `paragraphs` is."""
    page: list[str] = []
    for paragraph in paragraphs:
        for line in [*textwrap.wrap(ascii_text(paragraph), LINE_CHARS), ""]:
            if not line and not page:
                continue  # no blank line at the top of a page
            page.append(line)
            if len(page) == lines_per_page:
                yield page
                page = []
    if any(page):
        yield page


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def content_stream(lines: list[str]) -> bytes:
    top = PAGE_HEIGHT - MARGIN - FONT_SIZE
    operators = [f"BT /F1 {FONT_SIZE} Tf {LEADING} TL {MARGIN} {top} Td"]
    operators += [f"({_escape(line)}) Tj T*" if line else "T*" for line in lines]
    operators.append("ET")
    return "\n".join(operators).encode("ascii")


def build_pdf(pages: list[list[str]]) -> bytes:
    """A PDF with one page per list of lines."""
    # Objects: 1 catalog, 2 page tree, 3 font, then a page and its content stream per page.
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % page for page in page_ids)
        + b"] /Count %d >>" % len(pages),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for page_id, lines in zip(page_ids, pages, strict=True):
        stream = content_stream(lines)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
            % (PAGE_WIDTH, PAGE_HEIGHT, page_id + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")  # the binary comment marks a binary file
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_offset = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)


def check_with_pypdf(pdf: bytes, pages: list[list[str]]) -> None:
    """Raises AssertionError unless pypdf reads every page and extracts its words in order."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf), strict=True)
    if len(reader.pages) != len(pages):
        raise AssertionError(f"pypdf sees {len(reader.pages)} pages, not {len(pages)}")
    for number, (page, lines) in enumerate(zip(reader.pages, pages, strict=True), start=1):
        if page.extract_text().split() != " ".join(lines).split():
            raise AssertionError(f"page {number}: pypdf extracts other text than was written")
