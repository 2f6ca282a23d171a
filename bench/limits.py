"""The document limits (schema/limits.py: depth, aliases and cost in one pass, fragments memoised
per parent type) against Strawberry's QueryDepthLimiter and MaxAliasesLimiter, whose validation
rules are what those extensions add (`create_validator`), on parsed documents, timed three ways
alternated in rounds:

- alone: each one's measuring without graphql-core's walk of the document (A's per operation,
  B's rules constructed, which is where they measure);
- rule: `validate` with those rules only (the walk both ride on included);
- full: the whole rule set the service validates with (graphql-core's specified rules and
  Strawberry's two), with the one or the other.

Strawberry's rules do no cost, so A (depth, aliases and cost) is compared with B (depth and
aliases only). Then the hostile document's fragments are deepened, to show how each grows with
the spreads. Prints microseconds per validation (medians over rounds) and the ratio B/A.

    .venv/bin/python bench/limits.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    TypeInfo,
    ValidationContext,
    parse,
    specified_rules,
    validate,
)
from strawberry.extensions.max_aliases import count_fields_with_alias
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator

from bench.harness import median
from infra.settings.values import GraphQLLimits
from schema.build import build_schema
from schema.document_budget import measure_document
from schema.document_cache import STRAWBERRY_RULES
from schema.graphql_core import graphql_core_schema
from schema.limits import _Measurer, limits_rule

ROUND_SECONDS = 0.02  # each timing in a round runs about this long

NESTED = """{ tasks(first: 20) { edges { node { id title steps(first: 50) { edges { node {
  id index action { name } result { status } documents { filename } } } } } } } }"""
ALIASES = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(30)) + " }"
SMALL = "{ me { id } }"


def hostile(fragments: int) -> str:
    """Fragments each spreading the one before twice, under a prefix eleven fields deep: depth
    12, and 3 * 2**fragments selections once expanded."""
    fields = ["tasks(first: 1)", "edges", "node", "steps(first: 1)", "edges", "node", "task"]
    fields += ["steps(first: 1)", "edges", "node", "task"]
    prefix = "query Hostile { " + " { ".join(fields) + f" {{ ...F{fragments} "
    prefix += "} " * len(fields) + "}"
    definitions = ["fragment F0 on Task { id }"] + [
        f"fragment F{i} on Task {{ title ...F{i - 1} ...F{i - 1} }}"
        for i in range(1, fragments + 1)
    ]
    return "\n".join([prefix, *definitions])


def strawberry_rules(limits: GraphQLLimits) -> list[type[ASTValidationRule]]:
    """What QueryDepthLimiter(max_depth=15) and MaxAliasesLimiter(max_alias_count=30) add."""
    return [
        depth_validator(limits.max_depth, None),
        aliases_validator(limits.max_aliases),
    ]


def per_call(work: Callable[[], object], repeats: int) -> float:
    """Microseconds per call, over `repeats` calls."""
    started = time.perf_counter()
    for _ in range(repeats):
        work()
    return (time.perf_counter() - started) / repeats * 1e6


def repeats_for(work: Callable[[], object]) -> int:
    once = max(per_call(work, 1), per_call(work, 1))
    return max(1, int(ROUND_SECONDS * 1e6 / once))


def compare(works: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Median microseconds per call of each, the works alternated within every round."""
    repeats = {name: repeats_for(work) for name, work in works.items()}
    timings: dict[str, list[float]] = {name: [] for name in works}
    for round_number in range(rounds):
        names = list(works)
        if round_number % 2:
            names.reverse()
        for name in names:
            timings[name].append(per_call(works[name], repeats[name]))
    return {name: median(values) for name, values in timings.items()}


def validator(
    schema: GraphQLSchema, document: DocumentNode, rules: Sequence[type[ASTValidationRule]]
) -> Callable[[], object]:
    rules = tuple(rules)
    return lambda: validate(schema, document, rules)


def alone_hand(
    schema: GraphQLSchema, document: DocumentNode, limits: GraphQLLimits
) -> Callable[[], object]:
    """What DocumentLimits does for each operation, without the walk that calls it."""
    context = ValidationContext(schema, document, TypeInfo(schema), on_error=lambda _: None)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]

    def work() -> None:
        for operation in operations:
            root = schema.get_root_type(operation.operation)
            _Measurer(context, limits).selection_set(operation.selection_set, root)

    return work


def alone_strawberry(
    schema: GraphQLSchema, document: DocumentNode, rules: Sequence[type[ASTValidationRule]]
) -> Callable[[], object]:
    """Strawberry's rules measure in their constructors: constructing them is their work."""
    context = ValidationContext(schema, document, TypeInfo(schema), on_error=lambda _: None)

    def work() -> None:
        for rule in rules:
            rule(context)

    return work


def measured(
    schema: GraphQLSchema, document: DocumentNode, limits: GraphQLLimits
) -> tuple[str, str]:
    """What each limiter finds: depth and aliases (and cost for the hand-written one)."""
    found: dict[str, int] = {}
    context = ValidationContext(schema, document, TypeInfo(schema), on_error=lambda _: None)
    depth_validator(limits.max_depth, None, callback=found.update)(context)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    aliases = sum(count_fields_with_alias(operation, fragments) for operation in operations)
    root = schema.get_root_type(operations[0].operation)
    mine = _Measurer(context, limits).selection_set(operations[0].selection_set, root)
    return (
        f"depth {mine.depth} aliases {mine.aliases} cost {mine.cost}",
        f"depth {max(found.values())} aliases {aliases}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    arguments = parser.parse_args()

    limits = GraphQLLimits()
    schema = graphql_core_schema(build_schema(limits))
    hand = [limits_rule(limits)]
    theirs = strawberry_rules(limits)
    base = [*specified_rules, *STRAWBERRY_RULES]
    documents = {
        "(a) nested read": NESTED,
        "(b) 30 aliases": ALIASES,
        "(c) hostile, 7 fragments": hostile(7),
        "(d) { me { id } }": SMALL,
    }

    print(f"{arguments.rounds} rounds; microseconds per validation, medians over rounds")
    print("A: schema/limits.py (depth, aliases, cost); B: Strawberry's two (depth, aliases)\n")
    header = (
        f"{'document':26} {'A alone':>8} {'B alone':>8} {'B/A':>6}"
        f"   {'A rule':>8} {'B rule':>8} {'B/A':>6}   {'A full':>8} {'B full':>8} {'B/A':>6}"
    )
    print(header)
    notes = []
    for label, text in documents.items():
        document = parse(text)
        errors = validate(schema, document, [*base, *hand])
        if errors:
            print(f"{label}: not valid: {errors[0].message}")
            continue
        budget = measure_document(document, limits.max_fields)
        mine, strawberry = measured(schema, document, limits)
        notes.append(
            f"{label}: {budget.selections} selections expanded; A finds {mine}; B finds "
            f"{strawberry}"
        )
        figures = compare(
            {
                "A alone": alone_hand(schema, document, limits),
                "B alone": alone_strawberry(schema, document, theirs),
                "A rule": validator(schema, document, hand),
                "B rule": validator(schema, document, theirs),
                "A full": validator(schema, document, [*base, *hand]),
                "B full": validator(schema, document, [*base, *theirs]),
            },
            arguments.rounds,
        )
        row = [label.ljust(26)]
        for kind in ("alone", "rule", "full"):
            a, b = figures[f"A {kind}"], figures[f"B {kind}"]
            row.append(f"{a:8.1f} {b:8.1f} {b / a:6.2f}")
        print("   ".join(row))
    print()
    for note in notes:
        print(note)

    print("\nThe hostile document deepened (rule only, walk not taken off)")
    print(f"{'fragments':>9} {'selections':>10} {'A rule':>10} {'B rule':>10} {'B/A':>7}")
    for fragments in (4, 7, 10, 13):
        document = parse(hostile(fragments))
        budget = measure_document(document, 10**9)
        figures = compare(
            {
                "A rule": validator(schema, document, hand),
                "B rule": validator(schema, document, theirs),
            },
            arguments.rounds,
        )
        refused = "" if budget.selections <= limits.max_fields else "  (over max_fields)"
        print(
            f"{fragments:9} {budget.selections:10} {figures['A rule']:10.1f}"
            f" {figures['B rule']:10.1f} {figures['B rule'] / figures['A rule']:7.1f}{refused}"
        )


if __name__ == "__main__":
    main()
