"""The fast path through graphql-core (schema/execution.py) answers exactly as graphql-core does:
the same data and the same errors, on good objects and on objects that break their types.
Each query runs on a small schema twice, once with the fast execution context and once with
Strawberry's own, and the answers are compared."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema import plan_code
from schema.execution import FastExecutionContext


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Tag(Named):  # an interface gives Strawberry's types an isinstance check
    weight: float | None


@strawberry.type
class Label:  # no interface: graphql-core takes any object with the right attributes
    text: str


@strawberry.type
class Item:
    title: str
    count: int
    note: str | None
    tags: list[Tag]
    maybe_tags: list[Tag | None] | None
    best: Tag | None
    label: Label | None = None

    @strawberry.field
    def shout(self) -> str:
        return self.title.upper()


@strawberry.type
class Page:
    items: list[Item]
    total: int


def _good_page() -> Page:
    tags = [Tag(name="a", weight=1.5), Tag(name="b", weight=None)]
    items = [
        Item(
            title=f"item {n}",
            count=n,
            note=None,
            tags=tags,
            maybe_tags=None,
            best=tags[0],
            label=Label(text="l"),
        )
        for n in range(3)
    ]
    return Page(items=items, total=3)


@dataclass
class Broken:
    """Reached through a plain field where graphql-core expects something else."""

    title: Any = "broken"
    name: Any = None
    text: Any = None


class _Text(str):
    pass


def _page_with(**changes: Any) -> Page:
    page = _good_page()
    for attribute, value in changes.items():
        setattr(page.items[1], attribute, value() if callable(value) else value)
    return page


# What `page` returns: made afresh for each execution, as a generator can be read only once.
SOURCE: dict[str, Callable[[], Page]] = {}


@strawberry.type
class Query:
    @strawberry.field
    def page(self) -> Page:
        return SOURCE["page"]()


class CountingContext(FastExecutionContext):
    """Counts the values graphql-core completes itself: a plain subtree should need none."""

    completed_by_graphql_core = 0

    def complete_object_value(self, *args: Any, **kwargs: Any) -> Any:
        CountingContext.completed_by_graphql_core += 1
        return super().complete_object_value(*args, **kwargs)


FAST = strawberry.Schema(query=Query, execution_context_class=CountingContext)
ORDINARY = strawberry.Schema(
    query=Query, execution_context_class=StrawberryGraphQLCoreExecutionContext
)

PLAIN = """{ page { total items { title count note best { name weight } label { text }
  tags { __typename name weight } maybeTags { name } } } }"""


def _errors(result: Any) -> list[tuple[str, list[Any] | None]]:
    return [(error.message, error.path) for error in result.errors or []]


async def _both(query: str, variables: dict[str, Any] | None = None) -> tuple[Any, Any]:
    CountingContext.completed_by_graphql_core = 0
    fast = await FAST.execute(query, variable_values=variables)
    ordinary = await ORDINARY.execute(query, variable_values=variables)
    assert fast.data == ordinary.data
    assert _errors(fast) == _errors(ordinary)
    return fast, ordinary


async def test_a_plain_subtree_is_completed_without_graphql_core():
    SOURCE["page"] = _good_page
    fast, _ = await _both(PLAIN)
    assert fast.errors is None
    assert fast.data["page"]["items"][0]["tags"][0] == {
        "__typename": "Tag",
        "name": "a",
        "weight": 1.5,
    }
    assert CountingContext.completed_by_graphql_core == 0


async def test_a_field_with_a_resolver_leaves_the_rest_of_the_subtree_to_the_plan():
    SOURCE["page"] = _good_page
    fast, _ = await _both("{ page { items { shout tags { name } } } }")
    assert fast.data["page"]["items"][2]["shout"] == "ITEM 2"
    # Page and its three items go through graphql-core; the tags below them do not.
    assert CountingContext.completed_by_graphql_core == 4


@pytest.mark.parametrize(
    "query",
    [
        "{ page { items { ...ItemFields } } } fragment ItemFields on Item { title tags { name } }",
        "{ page { items { ... on Item { first: title, second: title } count } } }",
        "{ page { items { title title count } items { note } } }",
        "{ page { items { tags { name } tags { weight } } } }",
        # Aliases named like the generated code's own names (schema/plan_code.py).
        "{ page { items { value: title key0: count v0: note StepAside: title complete: count "
        "is_type_of: note __class__: title tags { Undefined: name getattr: weight } } } }",
    ],
)
async def test_fragments_aliases_and_merged_fields(query):
    SOURCE["page"] = _good_page
    fast, _ = await _both(query)
    assert fast.errors is None
    assert CountingContext.completed_by_graphql_core == 0


@pytest.mark.parametrize("flag", [True, False])
async def test_skip_and_include_follow_the_request_variables(flag):
    SOURCE["page"] = _good_page
    query = """query($flag: Boolean!) { page { items {
      title @include(if: $flag) count @skip(if: $flag) tags { name @include(if: $flag) weight }
    } } }"""
    fast, _ = await _both(query, {"flag": flag})
    assert ("title" in fast.data["page"]["items"][0]) is flag


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": None}, "Cannot return null for non-nullable field Item.title."),
        ({"count": "many"}, "Int cannot represent non-integer value: 'many'"),
        ({"count": 2**40}, "Int cannot represent non 32-bit signed integer value: 1099511627776"),
        ({"tags": [Tag(name="a", weight=1.0), None]}, "Cannot return null for non-nullable field"),
        ({"tags": [Broken()]}, "Expected value of type 'Tag' but got: <Broken instance>"),
        ({"tags": lambda: (Tag(name=n, weight=None) for n in "xy")}, None),  # any iterable
        ({"best": Broken(name="x")}, "Expected value of type 'Tag' but got: <Broken instance>"),
        ({"label": Broken(text="duck-typed")}, None),
        ({"label": Broken(text=None)}, "Cannot return null for non-nullable field Label.text."),
        ({"maybe_tags": [None, Tag(name="c", weight=2.0)]}, None),
        ({"note": 12}, None),  # String serialises an int
        ({"title": True}, None),  # and a bool
        ({"title": _Text("a str of a subclass")}, None),
        ({"tags": "ab"}, "Expected Iterable, but did not find one for field 'Item.tags'."),
    ],
)
async def test_objects_that_break_their_types_get_graphql_cores_own_answer(changes, message):
    SOURCE["page"] = lambda: _page_with(**changes)
    fast, _ = await _both(PLAIN)
    if message is None:
        assert fast.errors is None
    else:
        assert fast.errors and fast.errors[0].message.startswith(message), fast.errors
        # At the broken item, as graphql-core places it (whatever it then nulls above).
        assert fast.errors[0].path[:3] == ["page", "items", 1]


async def test_a_missing_attribute_is_graphql_cores_error_too():
    SOURCE["page"] = lambda: _page_with(best=Tag.__new__(Tag))  # a Tag with no attributes set
    fast, _ = await _both(PLAIN)
    assert fast.errors and "name" in fast.errors[0].message


async def test_a_plan_seen_before_is_not_compiled_again():
    """Plans are made per request; compiling their code again each time cost more than a small
    request's whole answer."""
    SOURCE["page"] = _good_page
    await _both(PLAIN)
    compiled = plan_code._compiled.cache_info()
    await _both(PLAIN)
    again = plan_code._compiled.cache_info()
    assert again.misses == compiled.misses and again.hits > compiled.hits
