"""Runs a parser in a child process with a wall-clock timeout and an address-space cap, so that a
zip bomb, a quadratic or looping parser or a parser crash fails one document and never harms the
service. At most a few children run at once (slots.py); the text comes back through a file."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from retrieval.extraction import errors
from retrieval.extraction.budget import MAX_UNZIPPED_BYTES, MAX_ZIP_MEMBERS
from retrieval.extraction.child import ANSWER_FILE, TEXT_FILE
from retrieval.extraction.slots import CHILD_SLOTS

PARSE_TARGET = "retrieval.extraction.formats:extract_in_process"
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_ANSWER_MAX_BYTES = 64 * 1024
logger = logging.getLogger("taskloom")


@dataclass(frozen=True, slots=True)
class ExtractionLimits:
    timeout_seconds: float = 60.0
    memory_bytes: int = 1024 * 1024 * 1024  # RLIMIT_AS: address space, not resident memory
    max_chars: int = 20_000_000
    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES  # what a DOCX may really inflate to
    max_zip_members: int = MAX_ZIP_MEMBERS


DEFAULT_LIMITS = ExtractionLimits()

# Read in the calling process (in a thread): decoding is linear and nothing is inflated. Every
# format with a parser (HTML, CSV, JSON, PDF, DOCX), and large text, goes to a limited child.
IN_PROCESS_TYPES = frozenset({"text/plain", "text/markdown"})
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


def _command(
    target: str, path: Path, content_type: str, limits: ExtractionLimits, out: Path
) -> list[str]:
    child_limits = {
        "memory_bytes": limits.memory_bytes,
        "cpu_seconds": max(1, math.ceil(limits.timeout_seconds) + 1),  # a backstop to the timeout
        "max_chars": limits.max_chars,
        "max_unzipped_bytes": limits.max_unzipped_bytes,
        "max_zip_members": limits.max_zip_members,
    }
    command = [sys.executable, "-B", "-m", "retrieval.extraction.child", target, str(path)]
    return [*command, content_type, json.dumps(child_limits), str(out)]


def _run_child(command: list[str], out: Path, timeout: float) -> int:
    with (out / "stderr").open("wb") as stderr, CHILD_SLOTS.held():
        try:
            return subprocess.run(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                timeout=timeout, env=_child_env(), check=False,
            ).returncode  # fmt: skip
        except subprocess.TimeoutExpired:
            raise errors.ExtractionFailed(f"parsing took longer than {timeout:g} s") from None


def _answer(out: Path, returncode: int) -> dict[str, object]:
    try:
        with (out / ANSWER_FILE).open("rb") as handle:
            answer = json.loads(handle.read(_ANSWER_MAX_BYTES))
    except (OSError, ValueError):
        with (out / "stderr").open("rb") as handle:
            handle.seek(max(0, (out / "stderr").stat().st_size - 2048))
            logger.warning("an extraction child died: %s", handle.read().decode(errors="replace"))
        raise errors.ExtractionFailed(_died(returncode)) from None
    return answer if isinstance(answer, dict) else {}


def _text(out: Path, limits: ExtractionLimits) -> str:
    path = out / TEXT_FILE
    try:
        if path.stat().st_size > 4 * limits.max_chars:  # UTF-8: four bytes a character at most
            raise errors.ExtractionFailed(f"more than {limits.max_chars} characters")
        return path.read_text(encoding="utf-8", errors="surrogatepass")
    except (OSError, UnicodeDecodeError):
        raise errors.ExtractionFailed("the parser's text could not be read back") from None


def run_isolated(
    target: str, path: Path, content_type: str, limits: ExtractionLimits = DEFAULT_LIMITS
) -> str:
    """Calls `target` (`module:function`) on the file in a limited child; its exceptions come
    back as the extraction error of the same name."""
    with tempfile.TemporaryDirectory(prefix="taskloom-extract-") as scratch:
        out = Path(scratch)
        returncode = _run_child(
            _command(target, path, content_type, limits, out), out, limits.timeout_seconds
        )
        answer = _answer(out, returncode)
        if "chars" in answer:
            return _text(out, limits)
    kind = getattr(errors, str(answer.get("error")), errors.ExtractionFailed)
    if not (isinstance(kind, type) and issubclass(kind, errors.ExtractionError)):
        kind = errors.ExtractionFailed
    raise kind(str(answer.get("message", "extraction failed")))


def _read_here(path: Path, limits: ExtractionLimits) -> str:
    from retrieval.extraction.formats import read_text_file

    try:
        text = read_text_file(path)
    except OSError as error:
        raise errors.ExtractionFailed(f"cannot read the file: {error.strerror}") from None
    if len(text) > limits.max_chars:
        raise errors.ExtractionFailed(f"more than {limits.max_chars} characters")
    return text


def extract_text(path: Path, content_type: str, limits: ExtractionLimits = DEFAULT_LIMITS) -> str:
    """The text of a file whose type `sniff_content_type` decided. Blocking: from async code use
    `extract_text_async`. Raises UnsupportedContent, EmptyDocument or ExtractionFailed, whose
    messages name no path of this machine."""
    from retrieval.extraction.sniff import SUPPORTED

    if content_type not in SUPPORTED:
        raise errors.UnsupportedContent(f"cannot read {content_type!r}")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise errors.ExtractionFailed(f"cannot read the file: {error.strerror}") from None
    if size == 0:
        raise errors.EmptyDocument("the file is empty")
    if content_type in IN_PROCESS_TYPES and size <= IN_PROCESS_MAX_BYTES:
        text = _read_here(path, limits)
    else:
        text = run_isolated(PARSE_TARGET, path, content_type, limits)
    if not text or text.isspace():
        raise errors.EmptyDocument("the file holds no text")
    return text


async def extract_text_async(
    path: Path, content_type: str, limits: ExtractionLimits = DEFAULT_LIMITS
) -> str:
    return await asyncio.to_thread(extract_text, path, content_type, limits)
