"""Failed sign-ins, counted per username and per client address in fixed windows, in the
database so that every replica shares the counts."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F

from models import LoginThrottle
from resolvers.config import Settings
from resolvers.errors import RateLimited

# Many people may sign in from behind one address (an office NAT): it gets more attempts.
ADDRESS_ALLOWANCE_FACTOR = 5


def _keys(settings: Settings, username_key: str, address: str) -> dict[str, int]:
    limit = settings.login_max_failures
    return {f"user:{username_key}": limit, f"ip:{address}": limit * ADDRESS_ALLOWANCE_FACTOR}


async def ensure_allowed(settings: Settings, username_key: str, address: str) -> None:
    keys = _keys(settings, username_key, address)
    window = timedelta(seconds=settings.login_window_seconds)
    now = datetime.now(UTC)
    for row in await LoginThrottle.filter(key__in=list(keys)):
        if row.window_started + window > now and row.failures >= keys[row.key]:
            retry_after = math.ceil((row.window_started + window - now).total_seconds())
            raise RateLimited(retry_after=max(retry_after, 1))


async def record_failure(settings: Settings, username_key: str, address: str) -> None:
    now = datetime.now(UTC)
    window_start = now - timedelta(seconds=settings.login_window_seconds)
    for key in _keys(settings, username_key, address):
        counted = await LoginThrottle.filter(key=key, window_started__gt=window_start).update(
            failures=F("failures") + 1
        )
        if not counted:
            # A new window; two failures racing here may count as one, which is harmless.
            await LoginThrottle.update_or_create(
                key=key, defaults={"failures": 1, "window_started": now}
            )


async def record_success(username_key: str) -> None:
    await LoginThrottle.filter(key=f"user:{username_key}").delete()
