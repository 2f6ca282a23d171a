"""Relay connections: `edges { cursor node }`, `pageInfo`, `totalCount`, with opaque cursors
that name a row's position key (an id or an index), so they stay valid as rows are added."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import strawberry

from infra.settings.values import GraphQLLimits
from resolvers.pages import DEFAULT_FIRST, Page, PageRequest, encode_cursor
from schema.info import Info
from schema.lookahead import selects

NodeT = TypeVar("NodeT")
RowT = TypeVar("RowT")

# The descriptions of every connection's `first` and `after` arguments.
FIRST_DESCRIPTION = (
    f"Page size, 0 to {GraphQLLimits.max_first} unless the server sets another maximum; "
    f"null means {DEFAULT_FIRST}."
)
AFTER_DESCRIPTION = (
    "Opaque cursor from a previous page's `pageInfo.endCursor`: the page starts after that "
    "item; null starts at the beginning."
)


@strawberry.type(description="Where a page sits in its list, and the cursors to go on from it.")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="True when more items follow; pass `endCursor` as `after` to get them."
    )
    has_previous_page: bool = strawberry.field(
        description="True when this page was asked for with an `after` cursor, so items precede it."
    )
    start_cursor: str | None = strawberry.field(
        description="The cursor of the page's first item; null when the page is empty."
    )
    end_cursor: str | None = strawberry.field(
        description="The cursor of the page's last item, to pass as `after` for the next page; "
        "null when the page is empty."
    )


@strawberry.type(description="One item of a list, with the cursor to continue after it.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(
        description="Opaque cursor of this item; pass it as `after` to get the items after it."
    )
    node: NodeT = strawberry.field(description="The item itself.")


@strawberry.type(description="A page of a list, fetched with `first` and `after`.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(
        description="The items of this page, in the list's order, each with its cursor."
    )
    page_info: PageInfo = strawberry.field(
        description="Whether more items follow, and the cursors to continue from."
    )
    total_count: int = strawberry.field(
        description="How many items the whole list holds, across all its pages."
    )


def connection(
    info: Info,
    rows: Sequence[RowT],
    request: PageRequest,
    *,
    key: Callable[[RowT], int],
    node: Callable[[RowT], NodeT],
    total: int,
) -> Connection[NodeT]:
    """A page from `rows`: the rows after the cursor, in order, fetched with one extra row to
    learn whether there is a next page. The edges' cursors are written only when asked for (a
    nested read's thousands of edges seldom show theirs)."""
    page = rows[: request.first]
    if selects(info, "edges", "cursor"):
        edges = [Edge(cursor=encode_cursor(key(row)), node=node(row)) for row in page]
    else:
        edges = [Edge(cursor="", node=node(row)) for row in page]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > request.first,
            has_previous_page=request.after is not None,
            start_cursor=encode_cursor(key(page[0])) if page else None,
            end_cursor=encode_cursor(key(page[-1])) if page else None,
        ),
        total_count=total,
    )


def page_connection(
    info: Info, page: Page[RowT], node: Callable[[RowT], NodeT]
) -> Connection[NodeT]:
    """A use case's page as a connection."""
    return connection(info, page.rows, page.request, key=page.key, node=node, total=page.total)
