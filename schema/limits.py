"""Abuse limits checked before anything runs: depth, aliases and cost, with fragments expanded
(a fragment spread five times counts five times), so a small document cannot hide a huge query.

Cost estimates how many objects a request may produce: each object-typed field costs one, times
the size of the lists above it (`first`/`limit` when given, the maximum when it comes from a
variable, the argument's default otherwise; for lists without a size, the bound the service
itself enforces, or a guess where it enforces none). Fragments are
measured once per parent type (memoised), so measuring stays linear in the document even when
expanding it would be exponential.

A batch (several operations in one POST) is one request: its operations' cost and aliases add
up against the same limits (`one_budget_for_the_batch`, `batch_budget`).

Strawberry's QueryDepthLimiter and MaxAliasesLimiter are not used for the depth and alias
halves: they do no cost, so this pass stays and depth and aliases ride on it; they re-walk a
fragment at every spread, and count aliases per document, not per batch. Measured with
`python bench/limits.py` (medians of 15 rounds, a shared 2-core machine), their two rules alone
take 0.45-0.66x this rule's time on the nested read and 30 aliases (this one also measures cost),
but 12-13x on seven fragments each spreading the one before twice (521 selections expanded:
~700 against ~55 microseconds), doubling with each further fragment (50x at thirteen). Within
graphql-core's whole rule set the difference is noise (0.90-1.07x), except there (1.2x).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeInfo,
    TypeMetaFieldDef,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_composite_type,
)
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from agent import MAX_CITATIONS_PER_STEP, MAX_FILES_PER_STEP
from infra.errors import ErrorCode
from infra.settings.values import GraphQLLimits
from schema.graphql_core import graphql_core_schema

SIZE_ARGUMENTS = ("first", "limit")
INTROSPECTION_ROOT_FIELDS: dict[str, GraphQLField] = {
    "__schema": SchemaMetaFieldDef,
    "__type": TypeMetaFieldDef,
}
UNSIZED_LIST_GUESS = 5
# Lists without page arguments whose length the agent engine bounds when it records a step.
LIST_BOUNDS = {
    ("StepResult", "citations"): MAX_CITATIONS_PER_STEP,
    ("Step", "documents"): MAX_FILES_PER_STEP,
}


@dataclass(frozen=True, slots=True)
class Measure:
    depth: int = 0
    aliases: int = 0
    cost: int = 0


class _Measurer:
    def __init__(self, context: ValidationContext, limits: GraphQLLimits) -> None:
        self._context = context
        self._limits = limits
        self._fragments: dict[tuple[str, str], Measure] = {}
        self._visiting: set[str] = set()

    def selection_set(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None
    ) -> Measure:
        depth = aliases = cost = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                inner, field_cost = self._field(selection, parent)
                if selection.name.value != "__typename":  # a leaf beside the others
                    depth = max(depth, 1 + inner.depth)
                aliases += inner.aliases + (1 if selection.alias else 0)
                cost += field_cost
                continue
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self._type(condition.name.value) if condition else parent
                inner = self.selection_set(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode):
                inner = self.fragment(selection.name.value)
            else:
                continue
            depth, aliases, cost = (
                max(depth, inner.depth),
                aliases + inner.aliases,
                cost + inner.cost,
            )
        return Measure(depth, aliases, cost)

    def _field(self, node: FieldNode, parent: GraphQLNamedType | None) -> tuple[Measure, int]:
        definition = self._definition(node.name.value, parent)
        child = get_named_type(definition.type) if definition is not None else None
        inner = self.selection_set(node.selection_set, child)
        if definition is None or not is_composite_type(child):
            return inner, 0
        return inner, self._size(node, definition, parent) * (1 + inner.cost)

    def _definition(self, name: str, parent: GraphQLNamedType | None) -> GraphQLField | None:
        """The field's definition; introspection's root fields are not in the root type's
        `fields`, and what they return is measured like anything else."""
        if name in INTROSPECTION_ROOT_FIELDS:
            return INTROSPECTION_ROOT_FIELDS[name]
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            field: GraphQLField | None = parent.fields.get(name)
            return field
        return None

    def _size(
        self, node: FieldNode, definition: GraphQLField, parent: GraphQLNamedType | None
    ) -> int:
        for argument in node.arguments or ():
            if argument.name.value in SIZE_ARGUMENTS:
                if isinstance(argument.value, IntValueNode):
                    return max(int(argument.value.value), 1)
                if isinstance(argument.value, VariableNode):
                    return self._limits.max_first
        for name in SIZE_ARGUMENTS:
            if name in definition.args:
                default = definition.args[name].default_value
                return default if isinstance(default, int) else 20
        if node.name.value == "edges":
            return 1  # the connection above was already sized by its `first`
        if isinstance(get_nullable_type(definition.type), GraphQLList):
            bound = LIST_BOUNDS.get((parent.name if parent else "", node.name.value))
            return UNSIZED_LIST_GUESS if bound is None else bound
        return 1

    def _type(self, name: str) -> GraphQLNamedType | None:
        return self._context.schema.get_type(name)

    def fragment(self, name: str) -> Measure:
        definition = self._context.get_fragment(name)
        # A cycle is reported by graphql-core's own NoFragmentCycles rule.
        if definition is None or name in self._visiting:
            return Measure()
        key = (name, definition.type_condition.name.value)
        if key in self._fragments:
            return self._fragments[key]
        self._visiting.add(name)
        measure = self.selection_set(definition.selection_set, self._type(key[1]))
        self._visiting.discard(name)
        self._fragments[key] = measure
        return measure


def limits_rule(limits: GraphQLLimits) -> type[ValidationRule]:
    class DocumentLimits(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            measure = _Measurer(self.context, limits).selection_set(node.selection_set, root)
            if measure.depth > limits.max_depth:
                self._reject(node, f"Query depth {measure.depth} exceeds {limits.max_depth}")
            if measure.aliases > limits.max_aliases:
                self._reject(node, f"{measure.aliases} aliases exceed {limits.max_aliases}")
            if measure.cost > limits.max_cost:
                self._reject(
                    node,
                    f"The query may produce {measure.cost} objects, more than {limits.max_cost}; "
                    "ask for smaller pages",
                )

        def _reject(self, node: OperationDefinitionNode, message: str) -> None:
            self.report_error(
                GraphQLError(message, node, extensions={"code": ErrorCode.BAD_REQUEST})
            )

    return DocumentLimits


@dataclass(slots=True)
class _Spent:
    cost: int = 0
    aliases: int = 0


_batch_spent: ContextVar[_Spent | None] = ContextVar("taskloom_batch_spent", default=None)


@contextmanager
def one_budget_for_the_batch() -> Iterator[None]:
    """Within it, the operations executed (one after another, a batch's) share one request's
    cost and aliases: N operations in one POST may produce what one request may, not N times it.
    Depth, tokens and selections stay per operation, as they measure one document."""
    token = _batch_spent.set(_Spent())
    try:
        yield
    finally:
        _batch_spent.reset(token)


def batch_budget(limits: GraphQLLimits) -> type[SchemaExtension]:
    """The extension that charges each operation of a batch to the batch's budget, once its
    document has validated and before it runs. It must come after the documents extension,
    whose `on_validate` sets the validation errors this one looks at."""

    class BatchBudget(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            spent = _batch_spent.get()
            context = self.execution_context
            document = context.graphql_document
            if spent is not None and document is not None and not context.pre_execution_errors:
                refusal = _charge(
                    spent, limits, graphql_core_schema(context.schema), document, context
                )
                if refusal is not None:
                    context.pre_execution_errors = [refusal]
            yield

    return BatchBudget


def _charge(
    spent: _Spent,
    limits: GraphQLLimits,
    schema: GraphQLSchema,
    document: DocumentNode,
    context: ExecutionContext,
) -> GraphQLError | None:
    operation = get_operation_ast(document, context.operation_name)
    if operation is None:
        return None  # Strawberry has already refused it: no operation to run
    validation = ValidationContext(schema, document, TypeInfo(schema), on_error=lambda _: None)
    root = schema.get_root_type(operation.operation)
    measure = _Measurer(validation, limits).selection_set(operation.selection_set, root)
    cost, aliases = spent.cost + measure.cost, spent.aliases + measure.aliases
    if cost > limits.max_cost:
        message = (
            f"The operations of this batch may produce {cost} objects together, more than "
            f"{limits.max_cost}; send fewer or smaller ones"
        )
    elif aliases > limits.max_aliases:
        message = (
            f"The operations of this batch hold {aliases} aliases together, more than "
            f"{limits.max_aliases}"
        )
    else:
        spent.cost, spent.aliases = cost, aliases
        return None
    return GraphQLError(message, operation, extensions={"code": ErrorCode.BAD_REQUEST})
