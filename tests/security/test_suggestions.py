"""Part of attack 8 of issue 10: with introspection off (production), error messages do not
suggest names ("Did you mean 'me'?"), which would reveal the schema piece by piece."""

from __future__ import annotations

import pytest

from infra.settings.values import Environment
from tests.support.api import error_codes, graphql, register

MISSPELT = {
    "field": ("{ mee { id } }", None),
    "argument": ("{ me { tasks(frist: 1) { totalCount } } }", None),
    "type": ("query($f: TaskFiltr) { me { id } }", None),
    "enum value": ('{ search(query: "fuel", mode: HYBRD) { score } }', None),
    "enum value in a variable": (
        'query($mode: SearchMode!) { search(query: "fuel", mode: $mode) { score } }',
        {"mode": "HYBRD"},
    ),
}


@pytest.fixture
async def production(app_with):
    async with await app_with(environment=Environment.PRODUCTION, introspection=False) as http:
        yield http


@pytest.mark.parametrize("name", list(MISSPELT))
async def test_production_errors_suggest_nothing(production, name):
    user = await register(production)
    query, variables = MISSPELT[name]
    result = await graphql(production, query, variables, headers=user["headers"])
    assert error_codes(result) and set(error_codes(result)) <= {"BAD_REQUEST", "VALIDATION_FAILED"}
    messages = " ".join(error["message"] for error in result["errors"])
    assert "Did you mean" not in messages, messages


async def test_development_still_suggests(client):
    result = await graphql(client, "{ mee { id } }")
    assert "Did you mean 'me'?" in result["errors"][0]["message"]
