"""The OpenAPI 3.1 document of the REST routes, generated from the route table and the stored
operations so that it cannot drift from what the endpoint does: request bodies come from the
GraphQL input types, answers from the selection set at each route's `answer` path."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from importlib import metadata
from typing import Any

import orjson
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
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.responses import STATUS_BY_CODE
from gateway.rest.documents import StoredOperation, load_operations
from gateway.rest.table import ROUTES, Body, RestRoute
from resolvers.ids import MAX_ID_LENGTH
from schema.build import TaskloomSchema

Schema = dict[str, Any]

PATH_PARAMETER = re.compile(r"{(\w+)}")
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
# Global ids are URL-safe base64 without padding (resolvers/ids.py).
ID_IN_PATH: Schema = {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "maxLength": MAX_ID_LENGTH}

# Codes the resolvers of an operation raise beyond those every route of its kind can answer
# (see `_error_codes`): read off resolvers/accounts.py, resolvers/steps.py and throttle.py.
RESOLVER_ERRORS: dict[str, frozenset[str]] = {
    "register": frozenset({"FORBIDDEN", "CONFLICT", "RATE_LIMITED"}),
    "login": frozenset({"UNAUTHENTICATED", "RATE_LIMITED"}),
    "updateMe": frozenset({"CONFLICT"}),
    "changePassword": frozenset({"FORBIDDEN", "RATE_LIMITED"}),
    "stepTask": frozenset({"CONFLICT"}),
}
ERROR_DESCRIPTIONS = {
    "BAD_REQUEST": "Malformed JSON or multipart body",
    "UNAUTHENTICATED": "No token, a bad, expired or revoked one, or a wrong sign-in",
    "FORBIDDEN": "Not allowed: registration closed or by invite, or a wrong current password",
    "NOT_FOUND": "No such object, or it belongs to someone else",
    "CONFLICT": "The username or email is taken, or a step of the task is already running",
    "PAYLOAD_TOO_LARGE": "The body is over the configured limit",
    "UNSUPPORTED_MEDIA_TYPE": "A kind of file that cannot be read",
    "VALIDATION_FAILED": "A field breaks its rule; `fields` names each one and why",
    "RATE_LIMITED": "Too many attempts; `Retry-After` says when to try again",
    "UNAVAILABLE": "A backend (database, index, file store) is down; nothing was lost",
}


def openapi_document(
    schema: GraphQLSchema,
    operations: Mapping[str, StoredOperation] | None = None,
    routes: Iterable[RestRoute] = ROUTES,
) -> Schema:
    """The document for `routes`, each described from its stored operation."""
    operations = operations if operations is not None else load_operations(schema)
    paths: dict[str, dict[str, Schema]] = {}
    for route in routes:
        operation = _Operation(schema, operations[route.operation])
        paths.setdefault(route.path, {})[route.method.lower()] = _path_item(route, operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Taskloom REST API",
            "version": _version(),
            "description": "Compatibility routes, each executing one stored GraphQL operation. "
            "Errors answer `{error, message, fields?}`; sign in with `POST /auth/register` "
            "or `POST /auth/login` and send the token as `Authorization: Bearer <token>`.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
            "schemas": {"Error": _error_schema()},
            "responses": {code: _error_response(code) for code in ERROR_DESCRIPTIONS},
        },
    }


def openapi_route(schema: TaskloomSchema) -> Route:
    """`GET /openapi.json`: the document, generated once per app."""
    body = orjson.dumps(openapi_document(schema._schema))

    async def endpoint(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return Route("/openapi.json", endpoint, methods=["GET"])


class _Operation:
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
        return self._at(field.type, _subselections(nodes), rest)

    def output(self, type_: GraphQLOutputType, selections: list[SelectionSetNode]) -> Schema:
        if isinstance(type_, GraphQLNonNull):
            return self._non_null_output(type_.of_type, selections)
        return _nullable(self._non_null_output(type_, selections))

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
            properties[key] = _described(self.output(field.type, _subselections(nodes)), field)
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


def _subselections(nodes: list[FieldNode]) -> list[SelectionSetNode]:
    return [node.selection_set for node in nodes if node.selection_set is not None]


def _path_item(route: RestRoute, operation: _Operation) -> Schema:
    item: Schema = {
        "operationId": operation.name,
        "tags": [_tag(route.path)],
        "summary": _words(operation.name),
        "description": operation.description(),
        "security": [] if route.public else [{"bearerAuth": []}],
    }
    parameters = _parameters(route, operation)
    if parameters:
        item["parameters"] = parameters
    body = _request_body(route, operation)
    if body is not None:
        item["requestBody"] = body
    item["responses"] = {
        str(route.status): _success(route, operation),
        **{
            str(STATUS_BY_CODE[code]): {"$ref": f"#/components/responses/{code}"}
            for code in sorted(_error_codes(route), key=STATUS_BY_CODE.__getitem__)
        },
    }
    return item


def _words(name: str) -> str:
    """`uploadTaskDocument` → `Upload task document`."""
    words = re.sub(r"(?<!^)([A-Z])", r" \1", name).lower()
    return words[:1].upper() + words[1:]


def _tag(path: str) -> str:
    segments = [s for s in path.split("/") if s and s != "api"]
    return segments[0]


def _path_names(route: RestRoute) -> list[str]:
    return PATH_PARAMETER.findall(route.path)


def _parameters(route: RestRoute, operation: _Operation) -> list[Schema]:
    parameters = []
    for name in _path_names(route):
        type_ = _named(operation.variable_types[name])
        is_id = isinstance(type_, GraphQLScalarType) and type_.name == "ID"
        schema = ID_IN_PATH if is_id else {"type": "string", "minLength": 1}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    for name in route.query:
        type_ = operation.variable_types[name]
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": isinstance(type_, GraphQLNonNull),
                "schema": _input(type_),
            }
        )
    return parameters


def _request_body(route: RestRoute, operation: _Operation) -> Schema | None:
    if route.file is not None:
        form = _input_object(
            {"file": operation.variable_types[route.file]}, title=f"{operation.name} form"
        )
        del form["additionalProperties"]  # other form fields are ignored, not refused
        return {"required": True, "content": {"multipart/form-data": {"schema": form}}}
    if route.body is Body.INPUT:
        schema = _input(operation.variable_types["input"])
    elif route.body is Body.VARIABLES:
        given_elsewhere = {*_path_names(route), *route.query, "after"}
        variables = {
            name: type_
            for name, type_ in operation.variable_types.items()
            if name not in given_elsewhere
        }
        schema = _input_object(variables, title=f"{operation.name} variables")
    else:
        return None
    # An empty body is read as `{}`: it may be left out unless `{}` lacks a required field.
    required = bool(schema.get("required"))
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _input(type_: GraphQLInputType) -> Schema:
    if isinstance(type_, GraphQLNonNull):
        return _non_null_input(type_.of_type)
    return _nullable(_non_null_input(type_))


def _non_null_input(type_: Any) -> Schema:
    if isinstance(type_, GraphQLList):
        return {"type": "array", "items": _input(type_.of_type)}
    if isinstance(type_, GraphQLInputObjectType):
        fields = type_.fields.items()
        defaulted = {name for name, field in fields if field.default_value is not Undefined}
        schema = _input_object(
            {name: field.type for name, field in fields}, title=type_.name, optional=defaulted
        )
        for name, field in fields:
            _described(schema["properties"][name], field)
            if name in defaulted:
                schema["properties"][name]["default"] = field.default_value
        return _described(schema, type_)
    if isinstance(type_, GraphQLEnumType):
        return {"type": "string", "enum": list(type_.values)}
    assert isinstance(type_, GraphQLScalarType)
    return dict(INPUT_SCALARS.get(type_.name, {}))


def _input_object(
    fields: Mapping[str, GraphQLInputType], *, title: str, optional: Iterable[str] = ()
) -> Schema:
    """An object with exactly these fields: unknown ones are refused (422)."""
    skipped = set(optional)
    return {
        "type": "object",
        "title": title,
        "properties": {name: _input(type_) for name, type_ in fields.items()},
        "required": [
            name
            for name, type_ in fields.items()
            if isinstance(type_, GraphQLNonNull) and name not in skipped
        ],
        "additionalProperties": False,
    }


def _success(route: RestRoute, operation: _Operation) -> Schema:
    if route.status == 204:
        return {"description": "Done; no body"}
    if route.download is not None:
        return {"description": "The file's bytes, with its content type", "content": {"*/*": {}}}
    answer = operation.answer(route.answer.split("."))
    return {"description": "The answer", "content": {"application/json": {"schema": answer}}}


def _error_codes(route: RestRoute) -> set[str]:
    """What every route of this kind can answer, read off gateway/rest/endpoint.py, the body
    limit and the resolvers: a token first, then the body's shape, then the objects named."""
    codes = {"UNAVAILABLE", *RESOLVER_ERRORS.get(route.operation, ())}
    if not route.public:
        codes.add("UNAUTHENTICATED")
    if route.body is not Body.NONE or route.file is not None:
        codes |= {"BAD_REQUEST", "PAYLOAD_TOO_LARGE", "VALIDATION_FAILED"}
    if route.file is not None:
        codes.add("UNSUPPORTED_MEDIA_TYPE")
    if route.query:
        codes.add("VALIDATION_FAILED")
    if _path_names(route):
        codes.add("NOT_FOUND")
    return codes


def _error_schema() -> Schema:
    return {
        "type": "object",
        "title": "Error",
        "properties": {
            "error": {"type": "string", "enum": list(STATUS_BY_CODE)},
            "message": {"type": "string"},
            "fields": {
                "type": "object",
                "description": "For VALIDATION_FAILED (and CONFLICT): each field and why",
                "additionalProperties": {"type": "string"},
            },
        },
        "required": ["error", "message"],
        "additionalProperties": False,
    }


def _error_response(code: str) -> Schema:
    response: Schema = {
        "description": ERROR_DESCRIPTIONS[code],
        "content": {
            "application/json": {
                "schema": {
                    "allOf": [{"$ref": "#/components/schemas/Error"}],
                    "properties": {"error": {"const": code}},
                }
            }
        },
    }
    if code == "RATE_LIMITED":
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    return response


def _nullable(schema: Schema) -> Schema:
    if "type" not in schema:
        return schema  # any JSON value, null included
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    nullable = {**schema, "type": [*types, "null"]}
    if "enum" in schema:
        nullable["enum"] = [*schema["enum"], None]
    return nullable


def _described(schema: Schema, field: Any) -> Schema:
    if field.description:
        schema["description"] = field.description
    return schema


def _named(type_: GraphQLInputType) -> GraphQLInputType:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _version() -> str:
    try:
        return metadata.version("taskloom")
    except metadata.PackageNotFoundError:
        return "0.0.0"
