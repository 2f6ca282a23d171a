from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from tortoise import connections

from gateway.responses import JSONResponse, error_response
from infra.errors import ErrorCode


async def healthz(request: Request) -> Response:
    """The process is up and serving."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """The database answers; a load balancer sends traffic only when this is 200."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:  # any failure means "not ready"; the reason is in the server log
        return error_response(ErrorCode.UNAVAILABLE, "The database is not reachable")
    return JSONResponse({"status": "ready"})
