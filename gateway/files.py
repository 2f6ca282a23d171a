"""The bytes of stored files, behind signed links (`downloadUrl`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse

from gateway.responses import error_response
from infra.errors import NotFound, Unavailable
from resolvers.context import Services
from resolvers.downloads import downloaded_document


async def serve_download(services: Services, token: str) -> Response:
    try:
        document = await downloaded_document(services.settings.jwt_secret, token)
        content = await services.blobs.content(document.sha256)
    except (NotFound, Unavailable) as error:
        return error_response(error.code, error.message)
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=300"}
    if content.path is not None:
        return FileResponse(
            content.path,
            media_type=document.content_type,
            filename=document.filename,
            headers=headers,
        )
    assert content.chunks is not None  # a blob is either a local file or a stream
    return StreamingResponse(
        content.chunks,
        media_type=document.content_type,
        headers={
            **headers,
            "Content-Length": str(content.size),
            "Content-Disposition": _attachment(document.filename),
        },
    )


def _attachment(filename: str) -> str:
    """As FileResponse writes it: RFC 5987's form for a name that is not plain ASCII."""
    quoted = quote(filename)
    if quoted != filename:
        return f"attachment; filename*=utf-8''{quoted}"
    return f'attachment; filename="{filename}"'


def download_endpoint(services: Services) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await serve_download(services, request.path_params["token"])

    return endpoint
