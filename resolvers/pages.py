"""Pages of a list: a size and an opaque cursor naming a row's position key (an id or an
index), so a cursor stays valid as rows are added. The rows of a page are read here; the
schema shapes them into Relay connections."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from infra.errors import ValidationFailed

ModelT = TypeVar("ModelT", bound=Model)
RowT = TypeVar("RowT")

DEFAULT_FIRST = 20

_CURSOR_KEY = re.compile(r"-?[0-9]{1,18}")


def encode_cursor(key: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{key}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    prefix, _, key = raw.partition(":")
    # ASCII digits only (str.isdigit takes "²"), and no more than a database integer holds.
    if prefix != "cursor" or len(cursor) > 64 or not _CURSOR_KEY.fullmatch(key):
        raise ValidationFailed({"after": "is not a valid cursor"})
    return int(key)


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int
    after: int | None  # the position key to continue after


def page_request(first: int | None, after: str | None, max_first: int) -> PageRequest:
    size = DEFAULT_FIRST if first is None else first
    if not 0 <= size <= max_first:
        raise ValidationFailed({"first": f"must be between 0 and {max_first}"})
    return PageRequest(first=min(size, max_first), after=decode_cursor(after))


@dataclass(frozen=True, slots=True)
class Page(Generic[RowT]):
    """The rows of a page, with one more when a next page follows; `total` is 0 when the
    count was not asked for."""

    rows: list[RowT]
    request: PageRequest
    total: int
    key: Callable[[RowT], int]  # a row's position key, which its cursor names


def _row_id(row: Model) -> int:
    return int(row.pk)


async def newest_first(
    query: QuerySet[ModelT], request: PageRequest, *, count: bool
) -> Page[ModelT]:
    """A page of `query`'s rows, newest (highest id) first, continuing after a cursor."""
    # Counting is a query of its own: only when asked for (an unasked total is never sent).
    total = await query.count() if count else 0
    query = query.order_by("-id")
    if request.after is not None:
        query = query.filter(id__lt=request.after)
    rows = await query.limit(request.first + 1)
    return Page(rows=rows, request=request, total=total, key=_row_id)
