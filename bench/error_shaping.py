"""Where errors get their codes and masks: in TaskloomSchema.execute and .stream (the service),
or in a SchemaExtension's on_operation (how Strawberry's MaskErrors does it). Times in-process
`schema.execute` of a document that succeeds and of one whose field fails, alternated in rounds.

    python bench/error_shaping.py [--rounds 5] [--calls 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from strawberry.extensions import SchemaExtension

from bench.harness import median
from schema.build import build_schema
from schema.errors import shape_error

DOCUMENTS = {"succeeds": "{ __typename }", "fails": "{ noSuchField }"}


class ShapeErrors(SchemaExtension):
    """The extension way: the codes and masks applied to the result after the operation."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [shape_error(error) for error in errors]  # type: ignore[union-attr]


async def per_call_us(schema: object, document: str, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        await schema.execute(document)  # type: ignore[attr-defined]
    return (time.perf_counter() - started) / calls * 1e6


async def main(rounds: int, calls: int) -> None:
    service = build_schema()
    with_extension = build_schema(extra_extensions=[ShapeErrors])
    for name, document in DOCUMENTS.items():
        override, extension = [], []
        for _ in range(rounds):
            override.append(await per_call_us(service, document, calls))
            # The extension runs in addition to the override here, so the difference is its
            # own cost; removing the override's list comprehension saves < 1 µs.
            extension.append(await per_call_us(with_extension, document, calls))
        print(
            f"{name:9} override {median(override):7.1f} µs   extension {median(extension):7.1f} µs"
            f"   extension/override {median(extension) / median(override):.3f}x"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    options = parser.parse_args()
    asyncio.run(main(options.rounds, options.calls))
