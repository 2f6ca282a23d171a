"""Runs a parser in a child process with a wall-clock timeout and an address-space cap, so that a
zip bomb, a looping PDF or a parser crash fails one document and never harms the service."""

from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from retrieval.extraction import errors

PARSE_TARGET = "retrieval.extraction.formats:extract_in_process"
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True, slots=True)
class ExtractionLimits:
    timeout_seconds: float = 60.0
    memory_bytes: int = 1024 * 1024 * 1024  # RLIMIT_AS: address space, not resident memory
    max_chars: int = 20_000_000
    max_unzipped_bytes: int | None = 256 * 1024 * 1024  # what a DOCX may expand to


DEFAULT_LIMITS = ExtractionLimits()

# Parsed in the calling process (in a thread); PDF and DOCX always go to a limited child.
IN_PROCESS_TYPES = frozenset(
    {"text/plain", "text/markdown", "text/csv", "application/json", "text/html"}
)
IN_PROCESS_MAX_BYTES = 8 * 1024 * 1024


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The child must import this package even when the service was started from elsewhere.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
    env["OMP_NUM_THREADS"] = "1"
    return env


def _died(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"the parser was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"the parser was killed by signal {-returncode}"
    return f"the parser exited with status {returncode}"


def run_isolated(
    target: str, path: Path, content_type: str, limits: ExtractionLimits = DEFAULT_LIMITS
) -> str:
    """Calls `target` (`module:function`) on the file in a limited child; its exceptions come
    back as the extraction error of the same name."""
    cpu_seconds = max(1, math.ceil(limits.timeout_seconds) + 1)  # a backstop to the timeout
    child_limits = {
        "memory_bytes": limits.memory_bytes,
        "cpu_seconds": cpu_seconds,
        "max_chars": limits.max_chars,
        "max_unzipped": limits.max_unzipped_bytes,
    }
    command = [sys.executable, "-B", "-m", "retrieval.extraction.child", target, str(path)]
    command += [content_type, json.dumps(child_limits)]
    try:
        finished = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=limits.timeout_seconds,
            env=_child_env(),
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise errors.ExtractionFailed(
            f"parsing took longer than {limits.timeout_seconds:g} s"
        ) from error
    try:
        answer = json.loads(finished.stdout)
    except ValueError:
        raise errors.ExtractionFailed(_died(finished.returncode)) from None
    if "text" in answer:
        return str(answer["text"])
    kind = getattr(errors, str(answer.get("error")), errors.ExtractionFailed)
    if not (isinstance(kind, type) and issubclass(kind, errors.ExtractionError)):
        kind = errors.ExtractionFailed
    raise kind(str(answer.get("message", "extraction failed")))


def _parse_here(path: Path, content_type: str, limits: ExtractionLimits) -> str:
    """Text formats decompress nothing and their parsers cannot loop: a child process (a new
    interpreter, ~0.2 s each) buys them no safety, only time."""
    from retrieval.extraction.formats import extract_in_process

    try:
        text = extract_in_process(path, content_type, None)
    except errors.ExtractionError:
        raise
    except RecursionError:
        raise errors.ExtractionFailed("nested too deeply") from None
    except Exception as error:  # a malformed file fails this document only
        raise errors.ExtractionFailed(f"{type(error).__name__}: {error}") from None
    if len(text) > limits.max_chars:
        raise errors.ExtractionFailed(f"more than {limits.max_chars} characters")
    return text


def extract_text(path: Path, content_type: str, limits: ExtractionLimits = DEFAULT_LIMITS) -> str:
    """The text of a file whose type `sniff_content_type` decided. Blocking: from async code use
    `extract_text_async`. Raises UnsupportedContent, EmptyDocument or ExtractionFailed."""
    from retrieval.extraction.sniff import SUPPORTED

    if content_type not in SUPPORTED:
        raise errors.UnsupportedContent(f"cannot read {content_type!r}")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise errors.ExtractionFailed(f"cannot read the file: {error}") from error
    if size == 0:
        raise errors.EmptyDocument("the file is empty")
    if content_type in IN_PROCESS_TYPES and size <= IN_PROCESS_MAX_BYTES:
        text = _parse_here(path, content_type, limits)
    else:
        text = run_isolated(PARSE_TARGET, path, content_type, limits)
    if not text.strip():
        raise errors.EmptyDocument("the file holds no text")
    return text


async def extract_text_async(
    path: Path, content_type: str, limits: ExtractionLimits = DEFAULT_LIMITS
) -> str:
    return await asyncio.to_thread(extract_text, path, content_type, limits)
