"""The origin grammar of TASKLOOM_CORS_ORIGINS: the settings refuse what does not parse, and
the gateway turns the list into one pattern (gateway/cors.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence

# scheme://host[:port], where `*` may stand for host labels or the port.
ORIGIN = re.compile(
    r"(?P<scheme>https?)://(?P<host>[a-z0-9.*-]+|\[[0-9a-f:.]+\])(?::(?P<port>\d+|\*))?"
)
HOST_WILDCARD = r"[a-z0-9-]+(?:\.[a-z0-9-]+)*"


def invalid_origin(origin: str) -> str | None:
    """Why `origin` is not an origin or origin pattern, or None when it is one."""
    if origin == "*":
        return None
    if ORIGIN.fullmatch(origin) is None:
        return "must be scheme://host[:port] (http or https, lower case, no path), `*` allowed"
    return None


def origin_pattern(origins: Sequence[str]) -> re.Pattern[str] | None:
    """One pattern that matches exactly the allowed origins; None when there are none."""
    if not origins:
        return None
    if "*" in origins:
        return re.compile(r".*")
    return re.compile("|".join(_pattern(origin) for origin in origins))


def _pattern(origin: str) -> str:
    match = ORIGIN.fullmatch(origin)
    assert match is not None  # the settings refuse anything else
    host = match["host"]
    pattern = f"{match['scheme']}://" + HOST_WILDCARD.join(re.escape(p) for p in host.split("*"))
    port = match["port"]
    if port == "*":
        pattern += r":\d+"
    elif port is not None:
        pattern += re.escape(f":{port}")
    return pattern
