"""A faster path through graphql-core for plain fields and plain subtrees.

Most of a large answer is fields read straight off objects that resolvers already built (a page
of steps, each with its action and files). graphql-core builds a ResolveInfo, calls Strawberry's
resolver wrapper and walks its completion machinery for every one of them: 30,000 times for a
nested read of 6,000 objects, which dominated its cost.

A field is *plain* when it has no resolver of its own, no arguments and no extensions, so its
value is an attribute of the parent. Two shortcuts follow:

- a plain leaf field (`id`, `title`) is read and serialised directly;
- a value whose whole selection is plain (a step page's edges, nodes, actions and files) is
  completed by a plan compiled once per request from graphql-core's own field collection
  (fragments and `@skip`/`@include` already applied).

Either shortcut only ever handles success: at anything unusual (a null where null is not
allowed, a value that will not serialise, an object of the wrong type, a deferred or streamed
field) it steps aside and graphql-core completes that value itself, producing its usual errors.
Plain fields run no code of ours, so doing that work again changes nothing but time.
"""

from __future__ import annotations

import weakref
from typing import Any

from graphql import (
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfoHelpers,
    GraphQLSchema,
    is_leaf_type,
)
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.plan_code import Complete, PlanField, StepAside, object_completion

PlainField = tuple[str, GraphQLLeafType, bool]  # attribute, type, nullable
TYPENAME = "__typename"
COLLECTED_DIRECTIVES = frozenset({"skip", "include"})  # applied while fields are collected


def _plain_attribute(type_: GraphQLObjectType, name: str) -> str | None:
    """The Python attribute behind a plain field of `type_`, or None if the field is not plain."""
    field = type_.fields.get(name)
    if field is None or field.args:
        return None
    definition = (field.extensions or {}).get("strawberry-definition")
    if definition is None or definition.base_resolver is not None:
        return None
    if getattr(definition, "extensions", None):
        return None
    return str(definition.python_name)


def _plain_fields(schema: GraphQLSchema) -> dict[tuple[str, str], PlainField]:
    plain: dict[tuple[str, str], PlainField] = {}
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            attribute = _plain_attribute(type_, name)
            nullable = not isinstance(field.type, GraphQLNonNull)
            leaf = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            if attribute is not None and is_leaf_type(leaf):
                plain[(type_.name, name)] = (attribute, leaf, nullable)
    return plain


def _alive(context: weakref.ref[FastExecutionContext]) -> FastExecutionContext:
    alive = context()
    assert alive is not None  # a resolver runs only while its execution does
    return alive


def _named_object(type_: GraphQLOutputType) -> GraphQLObjectType | None:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_ if isinstance(type_, GraphQLObjectType) else None


_PLAIN_BY_SCHEMA: weakref.WeakKeyDictionary[GraphQLSchema, dict[tuple[str, str], PlainField]] = (
    weakref.WeakKeyDictionary()
)


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core's helpers hold this context's own bound methods: a reference cycle, so
        # every context, and all it reaches (the request, its loaders, their rows), waited for
        # the cycle collector. Reached weakly, they go by reference counting when it ends.
        this = weakref.ref(self)
        self.async_helpers = GraphQLResolveInfoHelpers(
            gather=lambda values: _alive(this).gather_async_work(values),
            track=lambda values: _alive(this).track_async_work(values),
        )

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        if not node.arguments and not node.directives:
            plain = self._plain().get((parent_type.name, node.name.value))
            if plain is not None:
                attribute, leaf, nullable = plain
                value = getattr(source, attribute, Undefined)
                if value is None and nullable:
                    return None
                if value is not None and value is not Undefined:
                    try:
                        serialized = leaf.serialize(value)
                    except Exception:  # the ordinary path reports it properly
                        serialized = Undefined
                    if serialized is not Undefined and serialized is not None:
                        return serialized
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if _named_object(return_type) is not None:
            complete = self._plan(return_type, field_details_list)
            if complete is not None:
                try:
                    return complete(result)
                except Exception:  # noqa: S110 - graphql-core completes it and reports why
                    pass
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _plain(self) -> dict[tuple[str, str], PlainField]:
        plain: dict[tuple[str, str], PlainField] | None = self.__dict__.get("_plain_fields")
        if plain is None:  # once per request: a weak lookup per field would cost
            plain = _PLAIN_BY_SCHEMA.get(self.schema)
            if plain is None:
                plain = _PLAIN_BY_SCHEMA[self.schema] = _plain_fields(self.schema)
            self.__dict__["_plain_fields"] = plain
        return plain

    # --- plans ----------------------------------------------------------------------------------

    def _plan(self, type_: GraphQLOutputType, field_details_list: Any) -> Complete | None:
        """The compiled completion of `type_` for this selection, or None if it is not all plain.
        Memoised per request on the selection's identity, as graphql-core memoises collection
        (the list is kept alive with its plan so its id cannot be reused)."""
        plans: dict[tuple[int, int], tuple[Any, Complete | None]] = self.__dict__.setdefault(
            "_plans", {}
        )
        key = (id(type_), id(field_details_list))
        if key not in plans:
            plans[key] = (field_details_list, self._compile(type_, field_details_list))
        return plans[key][1]

    def _compile(self, type_: GraphQLOutputType, field_details_list: Any) -> Complete | None:
        if isinstance(type_, GraphQLNonNull):
            inner = self._compile(type_.of_type, field_details_list)
            return None if inner is None else _non_null(inner)
        if isinstance(type_, GraphQLList):
            item = self._compile(type_.of_type, field_details_list)
            return None if item is None else _list_of(item)
        if is_leaf_type(type_):
            return _leaf(type_)  # type: ignore[arg-type]
        if isinstance(type_, GraphQLObjectType):
            return self._compile_object(type_, field_details_list)
        return None  # interfaces and unions need their runtime type resolved

    def _compile_object(self, type_: GraphQLObjectType, field_details_list: Any) -> Complete | None:
        grouped, new_defer_usages, _ = self.collect_subfields(type_, field_details_list)
        if new_defer_usages:
            return None
        fields: list[PlanField] = []
        for response_key, details in grouped.items():
            if any(d.defer_usage or d.fragment_variable_values for d in details):
                return None
            node = details[0].node
            if any(d.name.value not in COLLECTED_DIRECTIVES for d in node.directives or ()):
                return None  # @stream, say
            name = node.name.value
            if name == TYPENAME:
                fields.append(PlanField(response_key, constant=type_.name))
                continue
            attribute = _plain_attribute(type_, name)
            if attribute is None:
                return None
            field_type = type_.fields[name].type
            nullable = not isinstance(field_type, GraphQLNonNull)
            named = field_type if nullable else field_type.of_type  # type: ignore[union-attr]
            if is_leaf_type(named):
                fields.append(PlanField(response_key, attribute, leaf=named, nullable=nullable))
                continue
            complete = self._plan(field_type, details)
            if complete is None:
                return None
            fields.append(PlanField(response_key, attribute, complete=complete))
        return object_completion(type_, fields)


def _non_null(inner: Complete) -> Complete:
    def complete(value: Any) -> Any:
        completed = inner(value)
        if completed is None:
            raise StepAside
        return completed

    return complete


def _list_of(item: Complete) -> Complete:
    def complete(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, list | tuple):
            raise StepAside  # other iterables, and errors, take the ordinary path
        return [item(element) for element in value]

    return complete


def _leaf(type_: GraphQLLeafType) -> Complete:
    serialize = type_.serialize

    def complete(value: Any) -> Any:
        if value is None:
            return None
        serialized = serialize(value)
        if serialized is None or serialized is Undefined:
            raise StepAside
        return serialized

    return complete
