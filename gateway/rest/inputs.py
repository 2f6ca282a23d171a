"""Checks a REST body against the GraphQL input types of its operation, so that a wrong shape
is answered with every offending field named (422), before anything runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
)
from starlette.datastructures import UploadFile

INT_RANGE = range(-(2**31), 2**31)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


SCALAR_CHECKS: dict[str, tuple[Any, str]] = {
    "String": (lambda v: isinstance(v, str), "must be a string"),
    "ID": (lambda v: isinstance(v, str | int) and not isinstance(v, bool), "must be a string"),
    "Int": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v in INT_RANGE,
        "must be a 32-bit integer",
    ),
    "Float": (_is_number, "must be a number"),
    "Boolean": (lambda v: isinstance(v, bool), "must be true or false"),
    "Upload": (lambda v: isinstance(v, UploadFile), "must be a file"),
}

MISSING = object()


def input_problems(value: Any, type_: GraphQLInputType, path: str = "") -> dict[str, str]:
    """{field path: reason} for every place where `value` does not fit `type_`."""
    if isinstance(type_, GraphQLNonNull):
        if value is MISSING:
            return {path: "is required"}
        if value is None:
            return {path: "must not be null"}
        return input_problems(value, type_.of_type, path)
    if value is MISSING or value is None:
        return {}
    if isinstance(type_, GraphQLInputObjectType):
        return _object_problems(value, type_, path)
    if isinstance(type_, GraphQLList):
        if not isinstance(value, list):
            return {path: "must be a list"}
        problems: dict[str, str] = {}
        for index, item in enumerate(value):
            problems.update(input_problems(item, type_.of_type, f"{path}[{index}]"))
        return problems
    if isinstance(type_, GraphQLEnumType):
        if value not in type_.values:
            return {path: "must be one of " + ", ".join(type_.values)}
        return {}
    if isinstance(type_, GraphQLScalarType) and type_.name in SCALAR_CHECKS:
        check, reason = SCALAR_CHECKS[type_.name]
        return {} if check(value) else {path: reason}
    return {}


def _object_problems(value: Any, type_: GraphQLInputObjectType, path: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {path or "body": "must be a JSON object"}
    prefix = f"{path}." if path else ""
    problems = {
        f"{prefix}{key}": "is not a known field" for key in value if key not in type_.fields
    }
    for name, field in type_.fields.items():
        given = value.get(name, MISSING)
        if given is MISSING and field.default_value is not Undefined:
            continue
        problems.update(input_problems(given, field.type, f"{prefix}{name}"))
    return problems


def variables_problems(
    variables: Mapping[str, Any], types: Mapping[str, GraphQLInputType]
) -> dict[str, str]:
    """Problems of a whole set of variables against their declared types."""
    problems = {name: "is not a known field" for name in variables if name not in types}
    for name, type_ in types.items():
        problems.update(input_problems(variables.get(name, MISSING), type_, name))
    return problems
