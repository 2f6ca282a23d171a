"""Global ids: opaque, URL-safe strings naming a type and a row, e.g. `VXNlcjox` for User 1.

Every object's id is global (Relay), so `node(id:)` can resolve any of them and an id of one
type can never be mistaken for another's.
"""

from __future__ import annotations

import base64
import binascii

from infra.errors import NotFound

MAX_ID_LENGTH = 64


def encode_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def decode_id(global_id: str) -> tuple[str, int] | None:
    """The (type, pk) an id names, or None when it names nothing."""
    if not isinstance(global_id, str) or not global_id or len(global_id) > MAX_ID_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, _, pk = raw.partition(":")
    if not type_name or not pk.isascii() or not pk.isdigit() or len(pk) > 18:
        return None
    return type_name, int(pk)


def pk_of(global_id: str, type_name: str) -> int:
    """The primary key an id names if it is of `type_name`; otherwise NOT_FOUND, exactly as for
    an id that names nothing (existence is never leaked)."""
    decoded = decode_id(global_id)
    if decoded is None or decoded[0] != type_name:
        raise NotFound(f"No {type_name.lower()} with this id")
    return decoded[1]
