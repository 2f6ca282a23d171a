"""The bytes of stored files, behind signed links (`downloadUrl`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from gateway.responses import error_response
from models import TaskDocument
from resolvers.context import Services
from resolvers.downloads import read_download_token
from resolvers.errors import NotFound


async def serve_download(services: Services, token: str) -> Response:
    try:
        kind, pk = read_download_token(services.settings.jwt_secret, token)
        document = await TaskDocument.get_or_none(id=pk) if kind == "TaskDocument" else None
        if document is None:
            raise NotFound("This file no longer exists")
        path = services.blobs.path(document.sha256)
        if not path.is_file():  # removed from the data folder behind the service's back
            raise NotFound("This file's bytes are missing from the data folder")
    except NotFound as error:
        return error_response(error.code, error.message)
    return FileResponse(
        path,
        media_type=document.content_type,
        filename=document.filename,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=300"},
    )


def download_endpoint(services: Services) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await serve_download(services, request.path_params["token"])

    return endpoint
