"""The attempt counters do not grow for ever: a window that has run out, and an address unknown
for longer than `KNOWN_ADDRESS_DAYS`, leave the table (a stream of made-up usernames would
otherwise add a row per guess, for good)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from infra.security import throttle
from models import LoginThrottle

WINDOW = 15 * 60


async def _age(key: str, seconds: float) -> None:
    then = datetime.now(UTC) - timedelta(seconds=seconds)
    await LoginThrottle.filter(key=key).update(window_started=then)


async def _keys() -> set[str]:
    return set(await LoginThrottle.all().values_list("key", flat=True))


async def _some_counters() -> None:
    for key in ("user:expired", "user:current", "ip:203.0.113.9"):
        await throttle.count_attempt(key, limit=100, window_seconds=WINDOW)
    for key in ("known:recent@198.51.100.7", "known:forgotten@198.51.100.7"):
        await throttle.remember(key)
    await _age("user:expired", WINDOW + 1)
    await _age("ip:203.0.113.9", WINDOW * 2)
    await _age("user:current", WINDOW - 60)
    await _age("known:recent@198.51.100.7", timedelta(days=10).total_seconds())
    await _age("known:forgotten@198.51.100.7", timedelta(days=31).total_seconds())


async def test_pruning_removes_ended_windows_and_forgotten_addresses_only(client):
    await _some_counters()
    removed = await throttle.prune(WINDOW)
    assert removed == 3
    assert await _keys() == {"user:current", "known:recent@198.51.100.7"}


async def test_counting_attempts_prunes_now_and_then(client):
    await _some_counters()
    for _ in range(throttle.PRUNE_EVERY):
        await throttle.count_attempt("user:busy", limit=10**9, window_seconds=WINDOW)
    assert await _keys() == {"user:busy", "user:current", "known:recent@198.51.100.7"}
