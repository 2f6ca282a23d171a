"""A faster path through graphql-core for plain fields.

Most of a large answer is scalar fields read straight off an object (`id`, `title`, `index`).
graphql-core builds a ResolveInfo and calls Strawberry's resolver wrapper for each of them,
which dominated a 6,000-object read. For a field with no resolver of its own, no arguments and a
leaf type, this reads the attribute and serialises it directly; anything else (a resolver, a
null where null is not allowed, a value that will not serialise) takes the ordinary path, which
also produces the ordinary errors.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    is_leaf_type,
)
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

PlainField = tuple[str, GraphQLLeafType, bool]  # attribute, type, nullable


def _plain_fields(schema: GraphQLSchema) -> dict[tuple[str, str], PlainField]:
    plain: dict[tuple[str, str], PlainField] = {}
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            definition = (field.extensions or {}).get("strawberry-definition")
            if definition is None or definition.base_resolver is not None or field.args:
                continue
            if getattr(definition, "extensions", None):
                continue
            nullable = not isinstance(field.type, GraphQLNonNull)
            leaf = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            if is_leaf_type(leaf):
                plain[(type_.name, name)] = (definition.python_name, leaf, nullable)
    return plain


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    _plain_by_schema: dict[int, dict[tuple[str, str], PlainField]] = {}

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

    def _plain(self) -> dict[tuple[str, str], PlainField]:
        key = id(self.schema)
        if key not in self._plain_by_schema:
            self._plain_by_schema[key] = _plain_fields(self.schema)
        return self._plain_by_schema[key]
