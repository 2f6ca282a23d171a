"""Loads the stored operations, each with the fragments it spreads, and validates them against
the schema at start-up: a REST route can never point at an operation the schema rejects."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInputType,
    GraphQLSchema,
    OperationDefinitionNode,
    Visitor,
    parse,
    print_ast,
    type_from_ast,
    validate,
    visit,
)

OPERATIONS_DIR = Path(__file__).parent / "operations"
FRAGMENTS_FILE = "fragments.graphql"


class InvalidOperation(Exception):
    pass


@dataclass(frozen=True)
class StoredOperation:
    name: str
    text: str
    variable_types: dict[str, GraphQLInputType]


class _SpreadCollector(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.names.add(node.name.value)


def _spreads(node: DocumentNode | FragmentDefinitionNode) -> set[str]:
    collector = _SpreadCollector()
    visit(node, collector)
    return collector.names


def _with_fragments(document: DocumentNode, fragments: dict[str, FragmentDefinitionNode]) -> str:
    needed: set[str] = set()
    pending = _spreads(document)
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        if name not in fragments:
            raise InvalidOperation(f"unknown fragment {name}")
        needed.add(name)
        pending |= _spreads(fragments[name])
    parts = [print_ast(document)] + [print_ast(fragments[name]) for name in sorted(needed)]
    return "\n\n".join(parts)


def load_operations(
    schema: GraphQLSchema, directory: Path = OPERATIONS_DIR
) -> dict[str, StoredOperation]:
    fragment_document = parse((directory / FRAGMENTS_FILE).read_text())
    fragments = {
        node.name.value: node
        for node in fragment_document.definitions
        if isinstance(node, FragmentDefinitionNode)
    }
    operations: dict[str, StoredOperation] = {}
    for path in sorted(directory.glob("*.graphql")):
        if path.name == FRAGMENTS_FILE:
            continue
        text = _with_fragments(parse(path.read_text()), fragments)
        document = parse(text)
        errors = validate(schema, document)
        if errors:
            raise InvalidOperation(f"{path.name}: {'; '.join(e.message for e in errors)}")
        (operation,) = (d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        if operation.name is None or operation.name.value != path.stem:
            raise InvalidOperation(f"{path.name}: the operation must be named {path.stem}")
        variable_types: dict[str, GraphQLInputType] = {}
        for definition in operation.variable_definitions or ():
            type_ = type_from_ast(schema, definition.type)
            assert type_ is not None  # validation guarantees it
            variable_types[definition.variable.name.value] = type_  # type: ignore[assignment]
        operations[path.stem] = StoredOperation(path.stem, text, variable_types)
    return operations
