"""Download links: short-lived signed URLs, so a browser can fetch a file with a plain link
(no Authorization header) and a leaked link stops working soon."""

from __future__ import annotations

import time

import jwt

from resolvers.errors import NotFound

AUDIENCE = "taskloom-download"
LINK_TTL_SECONDS = 3600
PREFIX = "/files/"


def download_url(secret: str, kind: str, pk: int, ttl: int = LINK_TTL_SECONDS) -> str:
    claims = {"aud": AUDIENCE, "kind": kind, "pk": pk, "exp": int(time.time()) + ttl}
    return PREFIX + jwt.encode(claims, secret, algorithm="HS256")


def read_download_token(secret: str, token: str) -> tuple[str, int]:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE)
        return str(claims["kind"]), int(claims["pk"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        raise NotFound("This link is invalid or has expired") from None
