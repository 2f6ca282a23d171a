"""The child process of the extraction sandbox: limits itself, parses one file, writes its text.

    python -m retrieval.extraction.child TARGET PATH CONTENT_TYPE LIMITS_JSON OUT_DIR

TARGET is `module:function`, called as function(Path(PATH), CONTENT_TYPE, ExtractionBudget) -> str.
LIMITS_JSON holds memory_bytes, cpu_seconds and the ExtractionBudget's fields. The text goes to
OUT_DIR/text (UTF-8) and the outcome to OUT_DIR/answer.json: {"chars": n} or {"error", "message"}.
A file, not stdout, so that the parent never holds the text as JSON too.
"""

from __future__ import annotations

import importlib
import json
import resource
import sys
from pathlib import Path

TEXT_FILE = "text"
ANSWER_FILE = "answer.json"


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _answer(out_dir: Path, payload: dict[str, object]) -> None:
    (out_dir / ANSWER_FILE).write_text(json.dumps(payload), encoding="utf-8")


def _failed(message: str) -> dict[str, object]:
    return {"error": "ExtractionFailed", "message": message}


def _parse(
    target: str, path: Path, content_type: str, limits: dict[str, int], out_dir: Path
) -> dict[str, object]:
    from retrieval.extraction.budget import ExtractionBudget
    from retrieval.extraction.errors import ExtractionError

    budget = ExtractionBudget(
        max_chars=limits["max_chars"],
        max_unzipped_bytes=limits["max_unzipped_bytes"],
        max_zip_members=limits["max_zip_members"],
    )
    module_name, _, function_name = target.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), function_name)
        text = function(path, content_type, budget)
        if len(text) > budget.max_chars:
            return _failed(f"more than {budget.max_chars} characters")
        (out_dir / TEXT_FILE).write_text(text, encoding="utf-8", errors="surrogatepass")
        return {"chars": len(text)}
    except ExtractionError as error:
        return {"error": type(error).__name__, "message": str(error)}
    except MemoryError:
        return _failed(f"ran out of memory ({limits['memory_bytes'] // (1024 * 1024)} MiB)")
    except RecursionError:
        return _failed("nested too deeply")
    except OSError as error:  # its text may quote a path; the parent hides any that is left
        return _failed(f"cannot read the file: {error.strerror or type(error).__name__}")
    except Exception as error:  # a parser's bug on a hostile file fails this document only
        return _failed(f"{type(error).__name__}: {error}")


def main(argv: list[str]) -> int:
    target, path, content_type, limits_json, out_dir = argv
    limits = {name: int(value) for name, value in json.loads(limits_json).items()}
    _limit(limits["memory_bytes"], limits["cpu_seconds"])
    answer = _parse(target, Path(path), content_type, limits, Path(out_dir))
    _answer(Path(out_dir), answer)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
