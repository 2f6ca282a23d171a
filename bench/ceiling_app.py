"""The ceiling: a bare Starlette JSON endpoint, served the same way as Taskloom."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def ping(request: Request) -> JSONResponse:
    return JSONResponse({"id": "VXNlcjox", "username": "ceiling"})


app = Starlette(routes=[Route("/ping", ping)])
