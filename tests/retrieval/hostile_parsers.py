"""Parsers that misbehave, run by the sandbox tests in place of the real one (`module:function`)."""

from __future__ import annotations

import os
from pathlib import Path


def allocate(path: Path, content_type: str, max_unzipped: int | None) -> str:
    hoard = [bytearray(64 * 1024 * 1024) for _ in range(64)]  # 4 GiB, far above the test's cap
    return str(len(hoard))


def spin(path: Path, content_type: str, max_unzipped: int | None) -> str:
    while True:
        pass


def crash(path: Path, content_type: str, max_unzipped: int | None) -> str:
    os.abort()


def echo(path: Path, content_type: str, max_unzipped: int | None) -> str:
    return f"{path.name} as {content_type}"
