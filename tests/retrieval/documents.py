"""Builders of real documents of every supported format, and of hostile ones, made in code."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path


def pdf_bytes(pages: list[str], *, kids_loop: bool = False) -> bytes:
    """A minimal but valid PDF, one Helvetica text line per page. `kids_loop` makes the page tree
    contain itself, a classic way to send a naive parser round forever."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    page_ids = [3 + 2 * i for i in range(len(pages))]
    font_id = 3 + 2 * len(pages)
    kids = " ".join(f"{pid} 0 R" for pid in page_ids) + (" 2 0 R" if kids_loop else "")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    for pid, text in zip(page_ids, pages, strict=True):
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {pid + 1} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def write_docx(path: Path, paragraphs: list[str], table: list[list[str]] | None = None) -> Path:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.save(str(path))
    return path


def write_zip_bomb_docx(path: Path, expanded_bytes: int) -> Path:
    """A well-formed DOCX whose document.xml inflates to about `expanded_bytes` of text in one
    paragraph (deflate shrinks the repeated letter ~300x): valid, so only limits stop it."""
    import docx

    template = io.BytesIO()
    docx.Document().save(template)
    namespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    with (
        zipfile.ZipFile(template) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
    ):
        for item in source.infolist():
            if item.filename != "word/document.xml":
                archive.writestr(item, source.read(item))
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(f'<w:document xmlns:w="{namespace}"><w:body><w:p><w:r><w:t>'.encode())
            block = b"A" * (1024 * 1024)
            for _ in range(expanded_bytes // len(block)):
                member.write(block)
            member.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return path


def _docx_template_members() -> list[tuple[zipfile.ZipInfo, bytes]]:
    import docx

    template = io.BytesIO()
    docx.Document().save(template)
    with zipfile.ZipFile(template) as source:
        return [(item, source.read(item)) for item in source.infolist()]


def write_lying_zip_bomb_docx(
    path: Path, expanded_bytes: int, declared_bytes: int = 1000, *, crc_of_declared: bool = False
) -> Path:
    """A DOCX whose document.xml inflates to `expanded_bytes` while its local and central headers
    claim `declared_bytes` (written honestly, then patched). `crc_of_declared`: the CRC is patched
    too, to that of the first declared bytes, so that a reader stopping at the declared size
    finds nothing wrong."""
    namespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    opening = f'<w:document xmlns:w="{namespace}"><w:body><w:p><w:r><w:t>'.encode()
    block = b"A" * (1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for item, data in _docx_template_members():
            if item.filename != "word/document.xml":
                archive.writestr(item, data)
        with archive.open("word/document.xml", "w") as member:
            member.write(opening)
            for _ in range(expanded_bytes // len(block)):
                member.write(block)
    with zipfile.ZipFile(path) as archive:
        bomb = archive.getinfo("word/document.xml")
        central_start = archive.start_dir
    first = (opening + block)[:declared_bytes]
    crc = zlib.crc32(first) if crc_of_declared else bomb.CRC
    raw = bytearray(path.read_bytes())
    struct.pack_into("<I", raw, bomb.header_offset + 14, crc)
    struct.pack_into("<I", raw, bomb.header_offset + 22, declared_bytes)
    entry = central_start
    while raw[entry + 46 : entry + 46 + len(bomb.filename)] != bomb.filename.encode():
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", raw, entry + 28)
        entry += 46 + name_length + extra_length + comment_length
    struct.pack_into("<I", raw, entry + 16, crc)
    struct.pack_into("<I", raw, entry + 24, declared_bytes)
    path.write_bytes(bytes(raw))
    return path


def write_zip_with_member(path: Path, name: str, data: bytes, compression: int) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for item, content in _docx_template_members():
            if item.filename != name:
                archive.writestr(item.filename, content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(name, data, compress_type=compression)
    return path
