"""The child process of the extraction sandbox: limits itself, parses one file, prints JSON.

    python -m retrieval.extraction.child TARGET PATH CONTENT_TYPE LIMITS_JSON

TARGET is `module:function`, called as function(Path(PATH), CONTENT_TYPE, max_unzipped) -> str;
LIMITS_JSON holds memory_bytes, cpu_seconds, max_chars and max_unzipped (null: unchecked).
"""

from __future__ import annotations

import importlib
import json
import resource
import sys
from pathlib import Path


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _answer(payload: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(payload))
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    target, path, content_type, limits_json = argv
    limits = json.loads(limits_json)
    memory, max_chars = int(limits["memory_bytes"]), int(limits["max_chars"])
    _limit(memory, int(limits["cpu_seconds"]))
    from retrieval.extraction.errors import ExtractionError

    module_name, _, function_name = target.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), function_name)
        text = function(Path(path), content_type, limits["max_unzipped"])
        if len(text) > max_chars:
            _answer({"error": "ExtractionFailed", "message": f"more than {max_chars} characters"})
        else:
            _answer({"text": text})
    except ExtractionError as error:
        _answer({"error": type(error).__name__, "message": str(error)})
    except MemoryError:
        limit = memory // (1024 * 1024)
        _answer({"error": "ExtractionFailed", "message": f"ran out of memory ({limit} MiB)"})
    except RecursionError:
        _answer({"error": "ExtractionFailed", "message": "nested too deeply"})
    except Exception as error:  # a parser's bug on a hostile file fails this document only
        _answer({"error": "ExtractionFailed", "message": f"{type(error).__name__}: {error}"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
