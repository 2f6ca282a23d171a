"""JWT access tokens: HS256 only, with the user's token version so that a password change
revokes every token issued before it."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from functools import lru_cache

import jwt

ALGORITHM = "HS256"
ISSUER = "taskloom"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    token_version: int


class InvalidToken(Exception):
    """Forged, tampered, expired or malformed; the message is safe to show."""


def issue_token(secret: str, user_id: int, token_version: int, ttl_seconds: int) -> str:
    now = int(time.time())
    payload = {
        "sub": str(user_id),
        "ver": token_version,
        "iat": now,
        "exp": now + ttl_seconds,
        "iss": ISSUER,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


# Tokens verified lately, by their text: a client sends the same one with every request, and
# checking its signature was a tenth of `GET /users/me`. Bounded, so that a flood of distinct
# valid tokens costs what it did before, and nothing more than about a megabyte.
VERIFIED_TOKENS_CACHED = 4096


def read_token(secret: str, token: str) -> TokenClaims:
    """The claims of a valid token; InvalidToken otherwise. Its expiry is checked on every call,
    cached or not."""
    claims, expires = _verified(secret, token)
    if expires <= time.time():
        raise InvalidToken("token expired")
    return claims


@lru_cache(maxsize=VERIFIED_TOKENS_CACHED)
def _verified(secret: str, token: str) -> tuple[TokenClaims, int]:
    """Raises for a token that is not valid now, so that only valid ones are remembered."""
    try:
        # The algorithm list is fixed: a token saying `alg: none` or RS256 is refused.
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iat", "ver"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("token expired") from None
    except jwt.PyJWTError:
        raise InvalidToken("invalid token") from None
    try:
        claims = TokenClaims(user_id=int(payload["sub"]), token_version=int(payload["ver"]))
        return claims, int(payload["exp"])
    except (TypeError, ValueError):
        raise InvalidToken("invalid token") from None


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None when there is none."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
