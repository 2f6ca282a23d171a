import re

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from agent.tools import ArgumentsInvalid, default_tools, validate_arguments, validation
from agent.tools.validation import MAX_MESSAGE_CHARS

SCHEMA = {
    "type": "object",
    "properties": {
        "query": {"type": "string", "minLength": 1, "maxLength": 10},
        "limit": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5},
        "mode": {"type": "string", "enum": ["fast", "slow"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "exact": {"type": "boolean"},
    },
    "required": ["query"],
    "additionalProperties": False,
}


def test_valid_arguments_get_their_defaults():
    assert validate_arguments(SCHEMA, {"query": "tea"}) == {"query": "tea", "limit": 5}


def test_null_optional_counts_as_absent_and_integral_float_as_integer():
    cleaned = validate_arguments(SCHEMA, {"query": "tea", "limit": 3.0, "mode": None})
    assert cleaned == {"query": "tea", "limit": 3}
    assert isinstance(cleaned["limit"], int)


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        ({}, "missing 'query'"),
        ({"query": None}, "arguments.query must be a string, not null"),
        ({"query": ""}, "at least 1 characters"),
        ({"query": "x" * 11}, "at most 10 characters"),
        ({"query": "tea", "limit": "5"}, "arguments.limit must be a number, not a string"),
        ({"query": "tea", "limit": 2.5}, "whole number"),
        ({"query": "tea", "limit": 0}, "at least 1"),
        ({"query": "tea", "limit": 21}, "at most 20"),
        ({"query": "tea", "mode": "medium"}, "one of 'fast', 'slow'"),
        ({"query": "tea", "tags": ["a", 1]}, "arguments.tags[1] must be a string"),
        ({"query": "tea", "exact": "yes"}, "true or false"),
        ({"query": "tea", "limit": True}, "must be a number, not a boolean"),
        ({"query": "tea", "colour": "red"}, "unknown 'colour'"),
    ],
)
def test_invalid_arguments_say_what_is_wrong(arguments, complaint):
    with pytest.raises(ArgumentsInvalid, match=complaint.replace("[", r"\[").replace("]", r"\]")):
        validate_arguments(SCHEMA, arguments)


def test_arguments_must_be_an_object():
    with pytest.raises(ArgumentsInvalid, match="JSON object, not an array"):
        validate_arguments(SCHEMA, ["tea"])


def test_every_builtin_schema_is_a_closed_object_the_validator_accepts():
    for tool in default_tools():
        parameters = tool.spec.parameters
        assert parameters["type"] == "object"
        assert parameters["additionalProperties"] is False
        assert set(parameters["required"]) <= set(parameters["properties"])


KEYWORD_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "target": {"oneOf": [{"type": "integer"}, {"type": "string", "minLength": 1}]},
        "either": {"oneOf": [{"type": "number"}, {"type": "integer"}]},
        "due": {"type": "string", "format": "date"},
        "where": {"$ref": "#/$defs/place"},
        "places": {"type": "array", "items": {"$ref": "#/$defs/place"}},
    },
    "additionalProperties": False,
    "$defs": {
        "place": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "minLength": 1},
                "floor": {"type": "integer", "default": 0},
            },
            "required": ["city"],
            "additionalProperties": False,
        }
    },
}


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        ({"code": "usd"}, "arguments.code must match the pattern '^[A-Z]{3}$'"),
        ({"target": ""}, "arguments.target matches none of the allowed forms"),
        ({"target": [1]}, "arguments.target must be a number or a string, not an array"),
        ({"either": 3}, "arguments.either matches more than one of the allowed forms"),
        ({"due": "2024-02-30"}, "arguments.due must be a valid date"),
        ({"where": {}}, "arguments.where is missing 'city'"),
        ({"where": {"city": 5}}, "arguments.where.city must be a string, not a number"),
        ({"places": [{"city": "Oslo"}, {"town": "x"}]}, "arguments.places[1] has unknown 'town'"),
    ],
)
def test_keywords_the_old_checker_ignored_are_enforced(arguments, complaint):
    with pytest.raises(ArgumentsInvalid, match=re.escape(complaint)):
        validate_arguments(KEYWORD_SCHEMA, arguments)


def test_ref_targets_get_their_defaults_and_leniencies():
    arguments = {"code": "USD", "due": "2024-02-29", "where": {"city": "Oslo", "floor": 2.0}}
    arguments["places"] = [{"city": "Bergen", "floor": None}]
    cleaned = validate_arguments(KEYWORD_SCHEMA, arguments)
    assert cleaned["where"] == {"city": "Oslo", "floor": 2}
    assert isinstance(cleaned["where"]["floor"], int)
    assert cleaned["places"] == [{"city": "Bergen", "floor": 0}]


def test_the_arguments_given_are_not_modified():
    arguments = {"query": "tea", "mode": None}
    validate_arguments(SCHEMA, arguments)
    assert arguments == {"query": "tea", "mode": None}


@pytest.mark.parametrize(
    "arguments",
    [
        {"query": "x" * 1_000_000},
        {"query": "tea", "mode": "m" * 1_000_000},
        {"query": "tea", "tags": [1] * 100_000},
        {"query": "tea", "k" * 1_000_000: 1},
        {"query": "tea", **{f"extra{n}": n for n in range(10_000)}},
        {"code": "u" * 1_000_000, "target": ["t" * 1_000_000]},
    ],
)
def test_the_message_stays_short_however_big_the_arguments(arguments):
    schema = KEYWORD_SCHEMA if "code" in arguments else SCHEMA
    with pytest.raises(ArgumentsInvalid) as raised:
        validate_arguments(schema, arguments)
    assert len(str(raised.value)) <= MAX_MESSAGE_CHARS


def test_several_problems_are_reported_together():
    with pytest.raises(ArgumentsInvalid) as raised:
        validate_arguments(SCHEMA, {"limit": 0, "colour": "red"})
    message = str(raised.value)
    assert "missing 'query'" in message
    assert "unknown 'colour'" in message
    assert "arguments.limit must be at least 1" in message


def test_a_schema_is_compiled_once(monkeypatch):
    builds = []
    original = validation._build_validator
    monkeypatch.setattr(validation, "_build_validator", lambda s: builds.append(s) or original(s))
    schema = {"type": "object", "properties": {"q": {"type": "string"}}}
    for _ in range(3):
        validate_arguments(schema, {"q": "tea"})
    assert builds == [schema]


def test_a_broken_schema_is_the_tool_authors_error_not_the_models():
    with pytest.raises(SchemaError):
        validate_arguments({"type": "object", "properties": {"q": {"type": "text"}}}, {})


def test_every_builtin_schema_is_a_valid_draft_2020_12_schema():
    for tool in default_tools():
        Draft202012Validator.check_schema(tool.spec.parameters)
