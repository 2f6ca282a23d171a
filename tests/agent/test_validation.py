import pytest

from agent.tools import ArgumentsInvalid, default_tools, validate_arguments

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
