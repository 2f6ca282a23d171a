"""Inflates a zip archive under a byte budget counted on the bytes it really yields.

The sizes an archive declares are the attacker's to write: `zipfile` reads a deflated member in
one call that inflates the whole stream before cutting it to the declared size (a member that
claims 1,000 bytes can allocate 900 MB). Here each member is inflated in bounded steps, its
output counted and checked against its declared size, its CRC and the archive's budget, and the
verified bytes are handed on as a new, uncompressed archive: the parser never inflates anything.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO

from retrieval.extraction.budget import ExtractionBudget
from retrieval.extraction.errors import ExtractionFailed

_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, ..., name length, extra length
_LOCAL_SIGNATURE = b"PK\x03\x04"
READ_BYTES = 64 * 1024  # compressed bytes read per step
STEP_BYTES = 1024 * 1024  # inflated bytes produced per step, at most


class _Counter:
    def __init__(self, budget: int) -> None:
        self.left = budget
        self.budget = budget

    def take(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise ExtractionFailed(f"the archive expands past {self.budget} bytes (zip bomb?)")


def _compressed_start(raw: BinaryIO, member: zipfile.ZipInfo) -> int:
    raw.seek(member.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size:
        raise ExtractionFailed("the archive is truncated")
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != _LOCAL_SIGNATURE:
        raise ExtractionFailed("the archive's directory points outside its members")
    return member.header_offset + _LOCAL_HEADER.size + int(name_length) + int(extra_length)


def _steps(raw: BinaryIO, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's inflated bytes, STEP_BYTES at most at a time."""
    raw.seek(_compressed_start(raw, member))
    left = member.compress_size
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if member.compress_type else None
    while left > 0 and not (inflater and inflater.eof):
        data = raw.read(min(READ_BYTES, left))
        if not data:
            raise ExtractionFailed("the archive is truncated")
        left -= len(data)
        if inflater is None:
            yield data
            continue
        while True:  # a full step may leave output inside zlib even when the input is used up
            out = inflater.decompress(data, STEP_BYTES)
            data = inflater.unconsumed_tail
            yield out
            if inflater.eof or (not data and len(out) < STEP_BYTES):
                break
    if inflater is not None and not inflater.eof:
        raise ExtractionFailed("a member of the archive is truncated")


def _check_member(member: zipfile.ZipInfo) -> None:
    if member.flag_bits & 0x1:
        raise ExtractionFailed("the archive is encrypted")
    # bzip2 and LZMA inflate without a cap per call in zipfile; DOCX uses neither.
    if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ExtractionFailed("the archive uses a compression method other than deflate")


def _copy_member(
    raw: BinaryIO, member: zipfile.ZipInfo, target: IO[bytes], counter: _Counter
) -> None:
    written, crc = 0, 0
    for out in _steps(raw, member):
        written += len(out)
        if written > member.file_size:
            raise ExtractionFailed(
                "a member of the archive inflates past the size its header declares (zip bomb?)"
            )
        counter.take(len(out))
        crc = zlib.crc32(out, crc)
        target.write(out)
    if written != member.file_size or crc != member.CRC:
        raise ExtractionFailed("a member of the archive is corrupt (its size or CRC is wrong)")


def _write_copy(
    raw: BinaryIO, members: list[zipfile.ZipInfo], counter: _Counter, large: bool
) -> io.BytesIO:
    copy = io.BytesIO()
    try:
        with zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as verified:
            for member in members:
                _check_member(member)
                if not member.is_dir():
                    with verified.open(member.filename, "w", force_zip64=large) as target:
                        _copy_member(raw, member, target, counter)
    except ValueError as error:
        # A BytesIO that fails to grow closes itself; zipfile's clean-up then fails on it, and
        # hides the MemoryError that the sandbox reports as such.
        cause: BaseException | None = error
        while cause is not None and not isinstance(cause, MemoryError):
            cause = cause.__context__
        raise cause or error from None
    copy.seek(0)
    return copy


def inflate_verified(path: Path, budget: ExtractionBudget) -> io.BytesIO:
    """An uncompressed copy of the archive at `path`, built under `budget`; ExtractionFailed if
    the archive is not a zip, breaks the budget or lies about its members."""
    try:
        with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
            members = archive.infolist()
            if len(members) > budget.max_zip_members:
                raise ExtractionFailed(f"the archive has {len(members)} members")
            declared = sum(member.file_size for member in members)
            if declared > budget.max_unzipped_bytes:
                raise ExtractionFailed(f"the archive expands to {declared} bytes (zip bomb?)")
            counter = _Counter(budget.max_unzipped_bytes)
            return _write_copy(raw, members, counter, large=declared >= zipfile.ZIP64_LIMIT)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
        raise ExtractionFailed(f"not a valid zip archive: {error}") from None
