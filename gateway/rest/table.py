"""The REST contract as data: each route names its stored operation, where its variables come
from, and which part of the result is the answer."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Body(enum.Enum):
    NONE = "none"  # no body is read
    INPUT = "input"  # the JSON object is the operation's `$input`
    VARIABLES = "variables"  # the JSON object's keys are the operation's variables (may be empty)


@dataclass(frozen=True)
class RestRoute:
    method: str
    path: str  # Starlette pattern; `{name}` segments become variables of the same name
    operation: str  # gateway/rest/operations/<operation>.graphql
    answer: str  # dotted path into `data`; `*` maps over a list
    status: int = 200
    body: Body = Body.NONE
    query: tuple[str, ...] = ()  # query parameters passed as variables
    file: str | None = None  # the variable that receives the multipart `file`


ROUTES: tuple[RestRoute, ...] = (
    RestRoute("POST", "/auth/register", "register", "register", status=201, body=Body.INPUT),
    RestRoute("POST", "/auth/login", "login", "login", body=Body.INPUT),
    RestRoute("GET", "/users/me", "me", "me"),
    RestRoute("PATCH", "/users/me", "updateMe", "updateMe", body=Body.INPUT),
    RestRoute("PUT", "/users/me/password", "changePassword", "changePassword", body=Body.INPUT),
)
