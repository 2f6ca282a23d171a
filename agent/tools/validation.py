"""A small JSON-schema validator for the subset tool schemas use.

Supported: `type` (object, string, integer, number, boolean, array), `properties`, `required`,
`additionalProperties: false`, `enum`, `minLength`, `maxLength`, `minimum`, `maximum`, `items`,
`default`. Models are sloppy in predictable ways, so two leniencies apply: a null given for an
optional property counts as absent, and an integral float (5.0) is accepted as an integer.
"""

from __future__ import annotations

from typing import Any

from agent.types import JSONDict


class ArgumentsInvalid(ValueError):
    """The arguments break the tool's schema; the message says where and how."""


def validate_arguments(schema: JSONDict, arguments: object) -> JSONDict:
    """Return the arguments checked against `schema` (an object schema), defaults filled in."""
    if not isinstance(arguments, dict):
        raise ArgumentsInvalid(f"arguments must be a JSON object, not {_kind(arguments)}")
    cleaned = _check(schema, arguments, "arguments")
    assert isinstance(cleaned, dict)
    return cleaned


def _check(schema: JSONDict, value: Any, where: str) -> Any:
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(repr(option) for option in schema["enum"])
        raise ArgumentsInvalid(f"{where} must be one of {allowed}")
    kind = schema.get("type")
    if kind == "object":
        return _check_object(schema, value, where)
    if kind == "array":
        if not isinstance(value, list):
            raise ArgumentsInvalid(f"{where} must be an array, not {_kind(value)}")
        items = schema.get("items", {})
        return [_check(items, item, f"{where}[{index}]") for index, item in enumerate(value)]
    if kind == "string":
        return _check_string(schema, value, where)
    if kind in ("integer", "number"):
        return _check_number(schema, value, where, integer=kind == "integer")
    if kind == "boolean" and not isinstance(value, bool):
        raise ArgumentsInvalid(f"{where} must be true or false, not {_kind(value)}")
    return value


def _check_object(schema: JSONDict, value: Any, where: str) -> JSONDict:
    if not isinstance(value, dict):
        raise ArgumentsInvalid(f"{where} must be an object, not {_kind(value)}")
    properties: JSONDict = schema.get("properties", {})
    required = set(schema.get("required", ()))
    present = {k: item for k, item in value.items() if not (item is None and k not in required)}
    problems = []
    missing = sorted(required - present.keys())
    if missing:
        problems.append(f"{where} is missing {', '.join(repr(name) for name in missing)}")
    unknown = sorted(present.keys() - properties.keys())
    if unknown and schema.get("additionalProperties") is False:
        names = ", ".join(repr(name) for name in unknown)
        expected = ", ".join(repr(name) for name in properties) or "none"
        problems.append(f"{where} has unknown {names} (expected: {expected})")
    if problems:
        raise ArgumentsInvalid("; ".join(problems))
    cleaned: JSONDict = {}
    for key, item in present.items():
        sub_schema = properties.get(key)
        cleaned[key] = item if sub_schema is None else _check(sub_schema, item, f"{where}.{key}")
    for key, sub_schema in properties.items():
        if key not in cleaned and "default" in sub_schema:
            cleaned[key] = sub_schema["default"]
    return cleaned


def _check_string(schema: JSONDict, value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ArgumentsInvalid(f"{where} must be a string, not {_kind(value)}")
    if len(value) < schema.get("minLength", 0):
        raise ArgumentsInvalid(f"{where} must have at least {schema['minLength']} characters")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise ArgumentsInvalid(f"{where} must have at most {schema['maxLength']} characters")
    return value


def _check_number(schema: JSONDict, value: Any, where: str, *, integer: bool) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArgumentsInvalid(f"{where} must be a number, not {_kind(value)}")
    if integer:
        if isinstance(value, float) and not value.is_integer():
            raise ArgumentsInvalid(f"{where} must be a whole number")
        return _check_range(schema, int(value), where)
    return _check_range(schema, value, where)


def _check_range(schema: JSONDict, value: int | float, where: str) -> int | float:
    if "minimum" in schema and value < schema["minimum"]:
        raise ArgumentsInvalid(f"{where} must be at least {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        raise ArgumentsInvalid(f"{where} must be at most {schema['maximum']}")
    return value


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
