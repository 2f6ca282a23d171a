"""Password hashing with bcrypt, off the event loop.

bcrypt reads at most 72 bytes. Rather than truncate (two long passphrases sharing a prefix would
match), the password is first reduced with SHA-256 and base64-encoded (44 bytes, no NUL), so every
byte counts whatever the length.
"""

from __future__ import annotations

import base64
import hashlib
import os

import anyio
import bcrypt

# bcrypt saturates a core; leave one for the event loop so other requests keep flowing.
_BCRYPT_LIMITER = anyio.CapacityLimiter(max(1, (os.cpu_count() or 2) - 1))


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def _hash_sync(password: str, rounds: int) -> str:
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds)).decode("ascii")


def _verify_sync(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(_prehash(password), hashed.encode("ascii"))
    except ValueError:
        return False


async def hash_password(password: str, rounds: int) -> str:
    return await anyio.to_thread.run_sync(_hash_sync, password, rounds, limiter=_BCRYPT_LIMITER)


async def verify_password(password: str, hashed: str) -> bool:
    return await anyio.to_thread.run_sync(_verify_sync, password, hashed, limiter=_BCRYPT_LIMITER)


class DummyHash:
    """A hash to verify against when the user does not exist, so that a failed sign-in costs
    the same time whether or not the username is known."""

    def __init__(self, rounds: int) -> None:
        self._rounds = rounds
        self._hash: str | None = None

    async def get(self) -> str:
        if self._hash is None:
            self._hash = await hash_password(os.urandom(16).hex(), self._rounds)
        return self._hash
