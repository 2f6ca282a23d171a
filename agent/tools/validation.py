"""Tool arguments checked against their JSON Schema, with the `jsonschema` library.

Every keyword of the schema's draft is enforced (Draft 2020-12 unless the schema declares
another `$schema`), `format` included. Models are sloppy in predictable ways, so two leniencies
apply before the check: a null given for an optional property counts as absent, and an integral
float (5.0) given for an integer becomes an int. Defaults are filled in after it. Both follow
`properties`, `items` and local `$ref`s, not the branches of `oneOf`/`anyOf`/`allOf`.

A schema's validator is built once, on first use, and kept while the schema object lives in
the cache: schemas are treated as immutable once used.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable, Iterable
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.validators import validator_for

from agent.types import JSONDict

# The error goes back to the model, which may have sent megabytes: nothing it sent is echoed
# unclipped, and only the first few problems are described.
MAX_MESSAGE_CHARS = 600
MAX_PROBLEMS = 3
MAX_NAME_CHARS = 40
MAX_NAMES_LISTED = 5
_MAX_ERRORS_READ = 50
_MAX_REF_HOPS = 8
_MAX_CACHED_SCHEMAS = 256

_validators: dict[int, tuple[JSONDict, Any]] = {}


class ArgumentsInvalid(ValueError):
    """The arguments break the tool's schema; the message says where and how."""


def validate_arguments(schema: JSONDict, arguments: object) -> JSONDict:
    """Return the arguments checked against `schema` (an object schema), defaults filled in."""
    if not isinstance(arguments, dict):
        raise ArgumentsInvalid(f"arguments must be a JSON object, not {_kind(arguments)}")
    validator = _validator_for(schema)
    lenient = _forgive(schema, arguments, schema)
    errors = list(itertools.islice(validator.iter_errors(lenient), _MAX_ERRORS_READ))
    if errors:
        raise ArgumentsInvalid(_message(errors))
    cleaned = _with_defaults(schema, lenient, schema)
    assert isinstance(cleaned, dict)
    return cleaned


def _validator_for(schema: JSONDict) -> Any:
    # Keyed by identity: the cache holds the schema, so its id cannot be reused meanwhile.
    cached = _validators.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    validator = _build_validator(schema)
    if len(_validators) >= _MAX_CACHED_SCHEMAS:
        del _validators[next(iter(_validators))]
    _validators[id(schema)] = (schema, validator)
    return validator


def _build_validator(schema: JSONDict) -> Any:
    """The costly part: raises jsonschema's SchemaError for a broken tool schema."""
    cls = validator_for(schema, default=Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


# Leniencies and defaults


def _forgive(schema: object, value: Any, root: JSONDict) -> Any:
    """`value` with null optional properties dropped and integral floats made ints."""
    resolved = _resolved(schema, root)
    if isinstance(value, dict):
        properties: JSONDict = resolved.get("properties", {})
        required = set(resolved.get("required", ()))
        return {
            key: _forgive(properties.get(key, {}), item, root)
            for key, item in value.items()
            if item is not None or key in required
        }
    if isinstance(value, list):
        return [_forgive(resolved.get("items"), item, root) for item in value]
    if resolved.get("type") == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _with_defaults(schema: object, value: Any, root: JSONDict) -> Any:
    resolved = _resolved(schema, root)
    if isinstance(value, dict):
        properties: JSONDict = resolved.get("properties", {})
        cleaned = {
            key: _with_defaults(properties.get(key, {}), item, root) for key, item in value.items()
        }
        for key, sub_schema in properties.items():
            resolved_property = _resolved(sub_schema, root)
            if key not in cleaned and "default" in resolved_property:
                cleaned[key] = copy.deepcopy(resolved_property["default"])
        return cleaned
    if isinstance(value, list):
        return [_with_defaults(resolved.get("items"), item, root) for item in value]
    return value


def _resolved(schema: object, root: JSONDict) -> JSONDict:
    """`schema` with local `$ref`s ("#/$defs/name") followed; {} when there is nothing to use
    (a missing, boolean or remote schema, or a chain of refs too long to be a real one)."""
    for _ in range(_MAX_REF_HOPS):
        if not isinstance(schema, dict):
            return {}
        ref = schema.get("$ref")
        if not (isinstance(ref, str) and ref.startswith("#")):
            return schema
        schema = _pointed_at(root, ref[1:])
    return {}


def _pointed_at(root: JSONDict, pointer: str) -> Any:
    target: Any = root
    for part in filter(None, pointer.split("/")):
        if not isinstance(target, dict):
            return None
        target = target.get(part.replace("~1", "/").replace("~0", "~"))
    return target


# Messages


def _message(errors: list[ValidationError]) -> str:
    problems = _problems(errors)
    shown = problems[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"and {len(problems) - MAX_PROBLEMS} more problem(s)")
    return _clip("; ".join(shown), MAX_MESSAGE_CHARS)


def _problems(errors: list[ValidationError]) -> list[str]:
    """One line per problem, the object-level ones first; a value of the wrong type gets only
    that complaint, since its other rules (enum, length...) are noise until it is fixed."""
    mistyped = {tuple(error.absolute_path) for error in errors if error.validator == "type"}
    kept = [
        error
        for error in errors
        if error.validator == "type" or tuple(error.absolute_path) not in mistyped
    ]
    kept.sort(key=lambda error: len(error.absolute_path))
    return list(dict.fromkeys(_describe(error) for error in kept))


def _describe(error: ValidationError) -> str:
    where = _where(error.absolute_path)
    describe = _DESCRIBERS.get(str(error.validator))
    if describe is None:
        return f"{where} breaks the schema's {_clip(str(error.validator), MAX_NAME_CHARS)!r} rule"
    return describe(error, where)


def _where(path: Iterable[object]) -> str:
    parts = ["arguments"]
    for part in path:
        parts.append(
            f"[{part}]" if isinstance(part, int) else f".{_clip(str(part), MAX_NAME_CHARS)}"
        )
    return "".join(parts)


_TYPE_NAMES = {
    "string": "a string",
    "integer": "a number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def _type_problem(error: ValidationError, where: str) -> str:
    if error.validator_value == "integer" and isinstance(error.instance, float):
        return f"{where} must be a whole number"
    return _wrong_type(where, _listed(error.validator_value), error.instance)


def _wrong_type(where: str, expected: list[object], value: object) -> str:
    type_names = _TYPE_NAMES | ({"integer": "a whole number"} if isinstance(value, float) else {})
    names = " or ".join(dict.fromkeys(type_names.get(str(kind), str(kind)) for kind in expected))
    return f"{where} must be {names}, not {_kind(value)}"


def _listed(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else [value]


def _untyped(value: object) -> Any:
    """A part of the error that the keyword in question guarantees the shape of (the stubs type
    it as possibly unset, which a raised error never leaves it)."""
    return value


def _missing_problem(error: ValidationError, where: str) -> str:
    required, instance = _untyped(error.validator_value), _untyped(error.instance)
    missing = [name for name in required if name not in instance]
    return f"{where} is missing {_names(missing)}"


def _unknown_problem(error: ValidationError, where: str) -> str:
    if error.validator_value is not False:
        return f"{where} has properties the schema does not allow"
    schema, instance = _untyped(error.schema), _untyped(error.instance)
    properties: JSONDict = schema.get("properties", {})
    patterns = [re.compile(pattern) for pattern in schema.get("patternProperties", {})]
    unknown = sorted(
        str(key)
        for key in instance
        if key not in properties and not any(pattern.search(key) for pattern in patterns)
    )
    expected = ", ".join(repr(name) for name in properties) or "none"
    return f"{where} has unknown {_names(unknown)} (expected: {expected})"


def _choice_problem(error: ValidationError, where: str) -> str:
    if not error.context:  # oneOf: valid under several branches
        return f"{where} matches more than one of the allowed forms; it must match exactly one"
    wrong_types = [e for e in error.context if e.validator == "type" and not e.relative_path]
    others = [e for e in error.context if not (e.validator == "type" and not e.relative_path)]
    if not others:  # no branch takes this type: name the types they do take
        expected = [kind for e in wrong_types for kind in _listed(e.validator_value)]
        return _wrong_type(where, expected, error.instance)
    # A branch of the right type that failed on a detail is the form the model meant.
    return f"{where} matches none of the allowed forms (closest: {_describe(best_match(others))})"


def _enum_problem(error: ValidationError, where: str) -> str:
    allowed = ", ".join(_preview(option) for option in _untyped(error.validator_value))
    return f"{where} must be one of {allowed}"


def _bound(text: str) -> Callable[[ValidationError, str], str]:
    """A describer for a keyword whose message only needs the keyword's value."""
    return lambda error, where: f"{where} must {text.format(_preview(error.validator_value))}"


_DESCRIBERS: dict[str, Callable[[ValidationError, str], str]] = {
    "type": _type_problem,
    "required": _missing_problem,
    "additionalProperties": _unknown_problem,
    "unevaluatedProperties": _unknown_problem,
    "oneOf": _choice_problem,
    "anyOf": _choice_problem,
    "enum": _enum_problem,
    "const": _bound("be {}"),
    "pattern": _bound("match the pattern {}"),
    "format": lambda error, where: (
        f"{where} must be a valid {_clip(str(error.validator_value), MAX_NAME_CHARS)}"
    ),
    "minLength": _bound("have at least {} characters"),
    "maxLength": _bound("have at most {} characters"),
    "minimum": _bound("be at least {}"),
    "maximum": _bound("be at most {}"),
    "exclusiveMinimum": _bound("be more than {}"),
    "exclusiveMaximum": _bound("be less than {}"),
    "multipleOf": _bound("be a multiple of {}"),
    "minItems": _bound("have at least {} items"),
    "maxItems": _bound("have at most {} items"),
    "uniqueItems": lambda error, where: f"{where} must not repeat items",
    "not": lambda error, where: f"{where} has a form that is not allowed",
}


def _names(names: list[str]) -> str:
    listed = ", ".join(repr(_clip(name, MAX_NAME_CHARS)) for name in names[:MAX_NAMES_LISTED])
    extra = len(names) - MAX_NAMES_LISTED
    return f"{listed} and {extra} more" if extra > 0 else listed


def _preview(value: object) -> str:
    return _clip(repr(value), MAX_NAME_CHARS * 2)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
