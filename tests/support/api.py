"""Small helpers for talking to the service the way a client would."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

_counter = itertools.count()
PASSWORD = "correct horse battery"


def new_account(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    account = {
        "username": f"user{n}",
        "name": f"User {n}",
        "email": f"user{n}@example.org",
        "password": PASSWORD,
    }
    return {**account, **overrides}


async def register(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """Registers an account; returns the answer with `headers` ready for authenticated calls."""
    account = new_account(**overrides)
    response = await client.post("/auth/register", json=account)
    assert response.status_code == 201, response.text
    body = response.json()
    return {**body, "account": account, "headers": bearer(body["token"])}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def error_codes(result: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in result.get("errors", [])]
