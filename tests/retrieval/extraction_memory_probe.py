"""Extracts one file in a fresh process and prints, as JSON, the outcome and the memory it took:
the growth of this process's peak resident set (the server's part) and the peak of its largest
extraction child. Run by the bomb tests as

    python -m tests.retrieval.extraction_memory_probe PATH CONTENT_TYPE TIMEOUT_SECONDS
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

from retrieval.extraction import ExtractionError, ExtractionLimits, extract_text


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def main(path: str, content_type: str, timeout_seconds: str) -> None:
    limits = ExtractionLimits(timeout_seconds=float(timeout_seconds))
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from now
    before = _status_kib("VmRSS")
    outcome: dict[str, object]
    try:
        text = extract_text(Path(path), content_type, limits)
        outcome = {"outcome": "text", "chars": len(text)}
        del text
    except ExtractionError as error:
        outcome = {"outcome": type(error).__name__, "message": str(error)}
    outcome["parent_growth_bytes"] = (_status_kib("VmHWM") - before) * 1024
    outcome["child_peak_bytes"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(json.dumps(outcome))


if __name__ == "__main__":
    main(*sys.argv[1:])
