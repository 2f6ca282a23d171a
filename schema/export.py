"""Writes the schema in SDL to schema/schema.graphql (`python -m schema.export`), or with
`--check` fails when the file is out of date: CI keeps the contract file honest."""

from __future__ import annotations

import sys
from pathlib import Path

from schema.build import build_schema

SCHEMA_FILE = Path(__file__).parent / "schema.graphql"


def sdl() -> str:
    return build_schema().as_str() + "\n"


def main() -> int:
    current = sdl()
    if "--check" in sys.argv[1:]:
        if not SCHEMA_FILE.exists() or SCHEMA_FILE.read_text() != current:
            print("schema/schema.graphql is out of date: run python -m schema.export")
            return 1
        return 0
    SCHEMA_FILE.write_text(current)
    print(f"wrote {SCHEMA_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
