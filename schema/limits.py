"""Abuse limits checked before anything runs: depth and aliases, with fragments expanded (a
fragment spread five times counts five times), so a small document cannot hide a huge query.

Fragments are measured once each (memoised), so measuring stays linear in the document even when
expansion would be exponential.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

from gateway.settings import GraphQLLimits


@dataclass(frozen=True, slots=True)
class Measure:
    depth: int = 0
    aliases: int = 0


class _Measurer:
    def __init__(self, context: ValidationContext) -> None:
        self._context = context
        self._fragments: dict[str, Measure] = {}
        self._visiting: set[str] = set()

    def selection_set(self, selection_set: SelectionSetNode | None) -> Measure:
        depth = aliases = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                inner = self.selection_set(selection.selection_set)
                # Introspection (GraphiQL's schema query is deep) can be switched off instead.
                if not selection.name.value.startswith("__"):
                    depth = max(depth, 1 + inner.depth)
                aliases += inner.aliases + (1 if selection.alias else 0)
            elif isinstance(selection, InlineFragmentNode):
                inner = self.selection_set(selection.selection_set)
                depth, aliases = max(depth, inner.depth), aliases + inner.aliases
            elif isinstance(selection, FragmentSpreadNode):
                inner = self.fragment(selection.name.value)
                depth, aliases = max(depth, inner.depth), aliases + inner.aliases
        return Measure(depth, aliases)

    def fragment(self, name: str) -> Measure:
        if name in self._fragments:
            return self._fragments[name]
        definition = self._context.get_fragment(name)
        # A cycle is reported by graphql-core's own NoFragmentCycles rule.
        if definition is None or name in self._visiting:
            return Measure()
        self._visiting.add(name)
        measure = self.selection_set(definition.selection_set)
        self._visiting.discard(name)
        self._fragments[name] = measure
        return measure


def limits_rule(limits: GraphQLLimits) -> type[ValidationRule]:
    class DocumentLimits(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            measure = _Measurer(self.context).selection_set(node.selection_set)
            if measure.depth > limits.max_depth:
                self._reject(node, f"Query depth {measure.depth} exceeds {limits.max_depth}")
            if measure.aliases > limits.max_aliases:
                self._reject(node, f"{measure.aliases} aliases exceed {limits.max_aliases}")

        def _reject(self, node: OperationDefinitionNode, message: str) -> None:
            self.report_error(GraphQLError(message, node, extensions={"code": "BAD_REQUEST"}))

    return DocumentLimits
