"""GraphQL types as JSON Schema, for the OpenAPI document: input types as request bodies, and a
stored operation's selection set, read with the schema's types, as the shape of its answer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    parse,
)

from gateway.rest.documents import StoredOperation

Schema = dict[str, Any]

INT32 = {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
# What a GraphQL scalar is on the wire. Unknown scalars (JSON) may be any JSON value.
OUTPUT_SCALARS: dict[str, Schema] = {
    "String": {"type": "string"},
    "ID": {"type": "string"},
    "Int": INT32,
    "Float": {"type": "number"},
    "Boolean": {"type": "boolean"},
    "DateTime": {"type": "string", "format": "date-time"},
}
# The body check (gateway/rest/inputs.py) also takes an integer ID and a whole-number Float.
INPUT_SCALARS: dict[str, Schema] = {
    **OUTPUT_SCALARS,
    "ID": {"type": ["string", "integer"]},
    "Upload": {
        "type": "string",
        "format": "binary",
        "contentMediaType": "application/octet-stream",
    },
}


class OperationShapes:
    """A stored operation's AST, read with the schema's types."""

    def __init__(self, schema: GraphQLSchema, stored: StoredOperation) -> None:
        document = parse(stored.text)
        self.name = stored.name
        self.variable_types = stored.variable_types
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        (self.definition,) = (
            d for d in document.definitions if isinstance(d, OperationDefinitionNode)
        )
        root = schema.get_root_type(self.definition.operation)
        assert root is not None  # validated at load
        self.root = root

    def description(self) -> str:
        (field,) = self.definition.selection_set.selections
        assert isinstance(field, FieldNode)
        about = self.root.fields[field.name.value].description
        executes = f"Executes the stored GraphQL operation `{self.name}`"
        return f"{executes} (`{field.name.value}`: {about})" if about else f"{executes}."

    def answer(self, path: list[str]) -> Schema:
        return self._at(self.root, [self.definition.selection_set], path)

    def _at(
        self, type_: GraphQLOutputType, selections: list[SelectionSetNode], path: list[str]
    ) -> Schema:
        if not path:
            return self.output(type_, selections)
        named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        head, rest = path[0], path[1:]
        if head == "*":
            assert isinstance(named, GraphQLList), f"{self.name}: `*` over a non-list"
            return {"type": "array", "items": self._at(named.of_type, selections, rest)}
        assert isinstance(named, GraphQLObjectType), f"{self.name}: {head} of a non-object"
        nodes = self.fields(named, selections)[head]
        field = named.fields[nodes[0].name.value]
        return self._at(field.type, subselections(nodes), rest)

    def output(self, type_: GraphQLOutputType, selections: list[SelectionSetNode]) -> Schema:
        if isinstance(type_, GraphQLNonNull):
            return self._non_null_output(type_.of_type, selections)
        return nullable(self._non_null_output(type_, selections))

    def _non_null_output(self, type_: Any, selections: list[SelectionSetNode]) -> Schema:
        if isinstance(type_, GraphQLList):
            return {"type": "array", "items": self.output(type_.of_type, selections)}
        if isinstance(type_, GraphQLObjectType):
            return self._object(type_, selections)
        if isinstance(type_, GraphQLEnumType):
            return {"type": "string", "enum": list(type_.values)}
        assert isinstance(type_, GraphQLScalarType), f"{self.name}: {type_} is not supported"
        return dict(OUTPUT_SCALARS.get(type_.name, {}))

    def _object(self, type_: GraphQLObjectType, selections: list[SelectionSetNode]) -> Schema:
        properties: dict[str, Schema] = {}
        for key, nodes in self.fields(type_, selections).items():
            name = nodes[0].name.value
            if name == "__typename":
                properties[key] = {"type": "string", "const": type_.name}
                continue
            field = type_.fields[name]
            properties[key] = described(self.output(field.type, subselections(nodes)), field)
        return {
            "type": "object",
            "title": type_.name,
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }

    def fields(
        self, type_: GraphQLObjectType, selections: list[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        """The fields selected on `type_`, by response key, fragments expanded, merged."""
        found: dict[str, list[FieldNode]] = {}
        for selection_set in selections:
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    found.setdefault(key, []).append(selection)
                    continue
                if isinstance(selection, FragmentSpreadNode):
                    fragment: InlineFragmentNode | FragmentDefinitionNode = self.fragments[
                        selection.name.value
                    ]
                else:
                    assert isinstance(selection, InlineFragmentNode)
                    fragment = selection
                condition = fragment.type_condition
                assert condition is None or condition.name.value == type_.name, (
                    f"{self.name}: fragments on other types than {type_.name} are not supported"
                )
                for key, nodes in self.fields(type_, [fragment.selection_set]).items():
                    found.setdefault(key, []).extend(nodes)
        return found


def subselections(nodes: list[FieldNode]) -> list[SelectionSetNode]:
    return [node.selection_set for node in nodes if node.selection_set is not None]


def input_schema(type_: GraphQLInputType) -> Schema:
    if isinstance(type_, GraphQLNonNull):
        return _non_null_input(type_.of_type)
    return nullable(_non_null_input(type_))


def _non_null_input(type_: Any) -> Schema:
    if isinstance(type_, GraphQLList):
        return {"type": "array", "items": input_schema(type_.of_type)}
    if isinstance(type_, GraphQLInputObjectType):
        fields = type_.fields.items()
        defaulted = {name for name, field in fields if field.default_value is not Undefined}
        schema = input_object(
            {name: field.type for name, field in fields}, title=type_.name, optional=defaulted
        )
        for name, field in fields:
            described(schema["properties"][name], field)
            if name in defaulted:
                schema["properties"][name]["default"] = field.default_value
        return described(schema, type_)
    if isinstance(type_, GraphQLEnumType):
        return {"type": "string", "enum": list(type_.values)}
    assert isinstance(type_, GraphQLScalarType)
    return dict(INPUT_SCALARS.get(type_.name, {}))


def input_object(
    fields: Mapping[str, GraphQLInputType], *, title: str, optional: Iterable[str] = ()
) -> Schema:
    """An object with exactly these fields: unknown ones are refused (422)."""
    skipped = set(optional)
    return {
        "type": "object",
        "title": title,
        "properties": {name: input_schema(type_) for name, type_ in fields.items()},
        "required": [
            name
            for name, type_ in fields.items()
            if isinstance(type_, GraphQLNonNull) and name not in skipped
        ],
        "additionalProperties": False,
    }


def nullable(schema: Schema) -> Schema:
    if "type" not in schema:
        return schema  # any JSON value, null included
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    nullable = {**schema, "type": [*types, "null"]}
    if "enum" in schema:
        nullable["enum"] = [*schema["enum"], None]
    return nullable


def described(schema: Schema, field: Any) -> Schema:
    if field.description:
        schema["description"] = field.description
    return schema
