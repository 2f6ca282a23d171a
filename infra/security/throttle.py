"""Attempts at a secret (a sign-in, a registration, an invite code, a password change), counted
per key in fixed windows, in the database so that every replica shares the counts.

Each attempt is counted *before* its password is hashed or checked, in one statement (an upsert
that returns the new count), and judged only if the count is within the limit. A throttle that
reads the count, judges, and then records a failure lets every concurrent request read a count
below the limit (60 simultaneous guesses were all judged); this one lets through at most
`limit` attempts per key and window, however many arrive at once, and refuses the rest with
RATE_LIMITED before any hashing.

Sign-in keys, and why:

- `ip:<address>`: every attempt from one address, with 5 times the per-user limit (many people
  may sign in from behind one office NAT). A success gives its attempt back, so correct
  sign-ins never use the allowance up.
- `user:<name>`: attempts at one username from addresses not known for it. Anyone can spend
  them, and so lock the name out of *unknown* addresses until the window ends.
- `known:<name>@<address>`: written by a success (a sign-in or the registration itself); for
  `KNOWN_ADDRESS_DAYS` that address is known for that user, and its attempts count against
  `user-at:<name>@<address>`, a limit of its own, instead of the shared `user:` one. A lockout
  caused by others therefore never keeps the owner out of an address they used before (the
  "known device" design of the large identity providers), while an attacker who shares that
  address still gets no more than the per-user limit, and stays bound by the address's own.

A success resets the user key it was judged under. The table's `failures` column holds the
attempts counted in the window (for a `known:` row, nothing: its `window_started` is the last
success). Every `PRUNE_EVERY` attempts a process deletes the rows whose window has ended and the
addresses known for longer than `KNOWN_ADDRESS_DAYS`, so made-up usernames do not pile up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from infra.batch_sql import BatchQuery
from infra.errors import RateLimited
from infra.settings.values import Settings
from models import LoginThrottle

# Many people may sign in from behind one address (an office NAT): it gets more attempts.
ADDRESS_ALLOWANCE_FACTOR = 5
KNOWN_ADDRESS_DAYS = 30
PRUNE_EVERY = 500
_TABLE = LoginThrottle._meta.db_table
_KNOWN_PREFIX = "known:"
_attempts_since_prune = 0


async def count_attempt(key: str, limit: int, window_seconds: int) -> None:
    """Counts one attempt under `key`, atomically; RATE_LIMITED (and nothing to judge) when the
    current window already held `limit` attempts."""
    await _prune_now_and_then(window_seconds)
    now = datetime.now(UTC)
    expired = now - timedelta(seconds=window_seconds)
    query = BatchQuery()
    key_param, now_param = query.param(key), query.param(now)
    # Both CASEs read the row as it was; a window that has run out starts again at 1.
    # execute_query_dict: Tortoise's asyncpg execute_query drops the rows of an INSERT.
    rows = await query.connection.execute_query_dict(
        f'INSERT INTO "{_TABLE}" ("key", "failures", "window_started") '  # noqa: S608
        f"VALUES ({key_param}, 1, {now_param}) "
        'ON CONFLICT ("key") DO UPDATE SET '
        f'"failures" = CASE WHEN "{_TABLE}"."window_started" <= {query.param(expired)} '
        f'THEN 1 ELSE "{_TABLE}"."failures" + 1 END, '
        f'"window_started" = CASE WHEN "{_TABLE}"."window_started" <= {query.param(expired)} '
        f'THEN excluded."window_started" ELSE "{_TABLE}"."window_started" END '
        'RETURNING "failures", "window_started"',
        query.values,
    )
    attempts, started = int(rows[0]["failures"]), _as_datetime(rows[0]["window_started"])
    if attempts > limit:
        # A concurrent attempt may have opened the window a moment after our `now`.
        left = (started + timedelta(seconds=window_seconds) - now).total_seconds()
        raise RateLimited(retry_after=min(max(math.ceil(left), 1), window_seconds))


async def _prune_now_and_then(window_seconds: int) -> None:
    global _attempts_since_prune
    _attempts_since_prune += 1
    if _attempts_since_prune >= PRUNE_EVERY:
        _attempts_since_prune = 0
        await prune(window_seconds)


async def prune(window_seconds: int) -> int:
    """Deletes the counters whose window ended and the addresses no longer known; how many."""
    now = datetime.now(UTC)
    query, known = BatchQuery(), f"{_KNOWN_PREFIX}%"
    rows = await query.connection.execute_query_dict(
        f'DELETE FROM "{_TABLE}" WHERE '  # noqa: S608
        f'("key" NOT LIKE {query.param(known)} '
        f'AND "window_started" <= {query.param(now - timedelta(seconds=window_seconds))}) '
        f'OR ("key" LIKE {query.param(known)} '
        f'AND "window_started" <= {query.param(now - timedelta(days=KNOWN_ADDRESS_DAYS))}) '
        'RETURNING "key"',
        query.values,
    )
    return len(rows)


async def take_back(key: str) -> None:
    """Un-counts one attempt that turned out to be legitimate."""
    query = BatchQuery()
    await query.rows(
        f'UPDATE "{_TABLE}" SET "failures" = "failures" - 1 '  # noqa: S608
        f'WHERE "key" = {query.param(key)} AND "failures" > 0'
    )


async def reset(key: str) -> None:
    await LoginThrottle.filter(key=key).delete()


async def remember(key: str) -> None:
    """Marks `key` as seen now (a known address)."""
    query = BatchQuery()
    await query.rows(
        f'INSERT INTO "{_TABLE}" ("key", "failures", "window_started") '  # noqa: S608
        f"VALUES ({query.param(key)}, 0, {query.param(datetime.now(UTC))}) "
        'ON CONFLICT ("key") DO UPDATE SET "window_started" = excluded."window_started"'
    )


async def seen_since(key: str, since: datetime) -> bool:
    query = BatchQuery()
    rows = await query.rows(
        f'SELECT 1 FROM "{_TABLE}" '  # noqa: S608
        f'WHERE "key" = {query.param(key)} AND "window_started" > {query.param(since)}'
    )
    return bool(rows)


def _as_datetime(value: object) -> datetime:
    """PostgreSQL returns a datetime; SQLite the ISO text that Tortoise's adapter stored."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class SignInAttempt:
    """The keys one sign-in was counted under, to settle them once it is judged."""

    address_key: str
    user_key: str
    known_key: str


def known_address_key(username_key: str, address: str) -> str:
    return f"{_KNOWN_PREFIX}{username_key}@{address}"


async def count_sign_in(settings: Settings, username_key: str, address: str) -> SignInAttempt:
    """Counts a sign-in attempt before its password is checked; RATE_LIMITED over a limit."""
    limit, window = settings.login_max_failures, settings.login_window_seconds
    address_key = f"ip:{address}"
    await count_attempt(address_key, limit * ADDRESS_ALLOWANCE_FACTOR, window)
    known_key = known_address_key(username_key, address)
    known = await seen_since(known_key, datetime.now(UTC) - timedelta(days=KNOWN_ADDRESS_DAYS))
    user_key = f"user-at:{username_key}@{address}" if known else f"user:{username_key}"
    await count_attempt(user_key, limit, window)
    return SignInAttempt(address_key=address_key, user_key=user_key, known_key=known_key)


async def sign_in_succeeded(attempt: SignInAttempt) -> None:
    await take_back(attempt.address_key)
    await reset(attempt.user_key)
    await remember(attempt.known_key)
