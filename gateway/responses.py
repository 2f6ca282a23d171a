"""JSON error answers, in the one shape every route uses: {"error", "message", "fields"?}."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from infra.errors import ErrorCode


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_response(
    code: ErrorCode,
    message: str,
    *,
    fields: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"error": code, "message": message}
    if fields:
        body["fields"] = dict(fields)
    return JSONResponse(body, status_code=code.status, headers=headers)
