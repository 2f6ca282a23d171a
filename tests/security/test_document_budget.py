"""Attack 1 of issue 10: small anonymous documents that cost seconds of validation (a field
repeated at one place: the overlapping-fields rule is quadratic in it; fragments that double
at every level) are refused, with BAD_REQUEST, before any validation rule runs; ordinary
documents still pass. (On main the attack was refused too, as "Validation aborted.", but only
after 1-2 s inside the overlap rule.)"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from graphql import ValidationRule, get_introspection_query
from websockets.exceptions import ConnectionClosedError

from infra.settings.values import Environment
from schema.build import build_schema
from tests.support.api import error_codes, graphql, register
from tests.support.subscriptions import SubscriptionError, subscription

README_QUERY = """{
  me {
    tasks(first: 10) { edges { node { title completed
      steps(first: 20) { edges { node { index action { name final } result { status message
        citations { score chunk { content document { title } } } } } } } } } }
  }
}"""
GRAPHIQL_INTROSPECTION = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
)


def repeated_field(unique: int, repeats: int = 1200) -> str:
    """The attack: 8.4 KB at 1200 repeats, under the depth, alias, token and cost limits."""
    return f"{{ a{unique}:__typename" + " me{id}" * repeats + "}"


def doubling_fragments(levels: int = 20) -> str:
    """2**levels copies of `me { id }` once expanded, in a few hundred bytes."""
    fragments = ["fragment A0 on Query { me { id } }"]
    fragments += [f"fragment A{i} on Query {{ ...A{i - 1} ...A{i - 1} }}" for i in range(1, 21)]
    return f"{{ ...A{levels} }}\n" + "\n".join(fragments[: levels + 1])


def repeated_spreads(unique: int) -> str:
    """One small fragment spread 300 times at one place: 300 `me` to compare in pairs, in 901
    selections (under the limit)."""
    return f"{{ b{unique}: __typename" + " ...M" * 300 + " }\nfragment M on Query { me { id } }"


CYCLE = "{ ...A }\nfragment A on Query { me { id } ...B }\nfragment B on Query { ...A }"
HOSTILE = {
    "repeated field": repeated_field(0),
    "repeated field under the selection limit": repeated_field(1, repeats=450),
    "doubling fragments": doubling_fragments(),
    "one fragment spread many times": repeated_spreads(0),
    "fragment cycle": CYCLE,
}


class CountingValidations(ValidationRule):
    """A rule beside graphql-core's own, counting the documents validation starts on: every
    rule enters the document before any rule looks at a selection set."""

    documents: ClassVar[int] = 0

    def enter_document(self, *_: Any) -> None:
        type(self).documents += 1


@pytest.fixture
def counting_schema():
    CountingValidations.documents = 0
    return build_schema(extra_rules=[CountingValidations])


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_hostile_documents_are_refused_before_any_validation_rule(counting_schema, name):
    result = await counting_schema.execute(HOSTILE[name])
    assert result.errors is not None and len(result.errors) == 1
    assert result.errors[0].extensions == {"code": "BAD_REQUEST"}
    assert CountingValidations.documents == 0  # validation never started on it


async def test_ordinary_documents_are_validated_and_pass(counting_schema):
    introspection = await counting_schema.execute(GRAPHIQL_INTROSPECTION)
    assert introspection.errors is None
    assert CountingValidations.documents == 1
    spread = await counting_schema.execute("{ ...Q ...Q }\nfragment Q on Query { __typename }")
    assert spread.errors is None and spread.data == {"__typename": "Query"}
    assert CountingValidations.documents == 2


async def test_the_attack_and_unique_copies_are_refused_over_http(client):
    for unique in range(5):
        for document in (repeated_field(unique), repeated_spreads(unique)):
            result = await graphql(client, document)
            assert error_codes(result) == ["BAD_REQUEST"], result
            assert "data" not in result or result["data"] is None
    message = (await graphql(client, repeated_field(9, repeats=450)))["errors"][0]["message"]
    assert "'me' 450 times at one place" in message
    message = (await graphql(client, CYCLE))["errors"][0]["message"]
    assert message == "Cannot spread fragment 'A' within itself."


async def test_production_refuses_them_too(app_with):
    async with await app_with(environment=Environment.PRODUCTION, introspection=False) as http:
        for document in HOSTILE.values():
            assert error_codes(await graphql(http, document)) == ["BAD_REQUEST"]


async def test_the_readme_query_and_graphiql_introspection_pass_over_http(client):
    user = await register(client)
    readme = await graphql(client, README_QUERY, headers=user["headers"])
    assert "errors" not in readme and readme["data"]["me"]["tasks"]["edges"] == []
    introspection = await graphql(client, GRAPHIQL_INTROSPECTION)
    assert "errors" not in introspection
    assert introspection["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_over_a_websocket_they_are_coded_errors(server, caplog):
    with pytest.raises(SubscriptionError) as refused:
        async with subscription(server.ws_url, None, repeated_field(0)) as updates:
            async for _ in updates:
                pass
    assert [error["extensions"]["code"] for error in refused.value.args[0]] == ["BAD_REQUEST"]
    # A document that does not parse closes the socket with 4400, as graphql-transport-ws says.
    with pytest.raises(ConnectionClosedError) as closed:
        async with subscription(server.ws_url, None, "subscription { x(") as updates:
            async for _ in updates:
                pass
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
    assert not [record for record in caplog.records if record.levelname == "ERROR"]
