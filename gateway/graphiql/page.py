"""GraphiQL served by Taskloom itself: the page for browsers at the GraphQL endpoint, and its
files under /graphiql/static/, all from this server (see assets.py for where they come from).
`VendoredPage` is the part any such page shares (the API reference at /docs is another)."""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.graphiql.assets import (
    VENDOR_FILES,
    Asset,
    AssetsMissing,
    VendorFile,
    default_assets_dir,
    load,
)
from gateway.graphiql.negotiation import accepts_gzip
from gateway.responses import error_response
from infra.errors import ErrorCode

logger = logging.getLogger("taskloom")

STATIC_PREFIX = "/graphiql/static"
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        # GraphiQL's stylesheet inlines its fonts; the page's icon is an empty data: URL.
        "font-src 'self' data:",
        "img-src 'self' data:",
        # 'self' also covers ws:// and wss:// to this host, for subscriptions.
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
# Every static name carries its version or content hash, so a cached copy is never stale.
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class _Site:
    html: str
    assets: dict[str, Asset]


class VendoredPage:
    """A page made of pinned vendor files and a script of its own, all served by this server:
    `routes()` serves the files under `static_prefix`, `page(request)` answers with the page.
    `package` holds `page.html`, `missing.html` and the script; `values` fill their `$names`.
    Files installed while the server runs are picked up on the next request, without a
    restart."""

    def __init__(
        self,
        *,
        name: str,
        package: str,
        script: str,
        static_prefix: str,
        files: Sequence[VendorFile],
        assets_dir: Path | None = None,
        values: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.package = package
        self.script = script
        self.static_prefix = static_prefix
        self.assets_dir = assets_dir if assets_dir is not None else default_assets_dir()
        self._files = tuple(files)
        self._values = {key: html.escape(value) for key, value in (values or {}).items()}
        self._site: _Site | None = None
        self._lock = asyncio.Lock()
        self._warned = False

    def routes(self) -> list[BaseRoute]:
        return [Route(self.static_prefix + "/{name}", self.static, methods=["GET"])]

    async def page(self, request: Request) -> Response:
        try:
            site = await self._loaded()
        except AssetsMissing as missing:
            return HTMLResponse(self._missing_page(missing), 503, headers=PAGE_HEADERS)
        return HTMLResponse(site.html, headers=PAGE_HEADERS)

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        try:
            site = await self._loaded()
        except AssetsMissing as missing:
            return error_response(ErrorCode.UNAVAILABLE, str(missing))
        asset = site.assets.get(name)
        if asset is None:
            return error_response(ErrorCode.NOT_FOUND, f"{self.name} has no file {name!r}")
        return _asset_response(asset, request)

    async def _loaded(self) -> _Site:
        if self._site is None:
            async with self._lock:
                if self._site is None:
                    try:
                        # Reading, hashing and compressing megabytes: off the event loop.
                        self._site = await asyncio.to_thread(self._build)
                    except AssetsMissing as missing:
                        if not self._warned:
                            logger.warning("%s", missing)
                            self._warned = True
                        raise
        return self._site

    def _build(self) -> _Site:
        vendor = load(self.assets_dir, self._files)
        script = _own_script(self.package, self.script)
        styles = [asset for asset in vendor if asset.name.endswith(".css")]
        scripts = [asset for asset in vendor if asset.name.endswith(".js")] + [script]
        page = _template(self.package, "page.html").substitute(
            self._values,
            styles="\n".join(self._tag('<link rel="stylesheet" href', a) for a in styles),
            scripts="\n".join(self._tag("<script src", a) + "</script>" for a in scripts),
        )
        return _Site(page, {asset.name: asset for asset in [*vendor, script]})

    def _missing_page(self, missing: AssetsMissing) -> str:
        return _template(self.package, "missing.html").substitute(
            self._values, message=html.escape(str(missing))
        )

    def _tag(self, opening: str, asset: Asset) -> str:
        href = html.escape(f"{self.static_prefix}/{asset.name}")
        return f'    {opening}="{href}" integrity="{asset.integrity}">'


class GraphiQL(VendoredPage):
    """`routes()` serves the files; `page(request)` answers a browser's GET of the endpoint
    (see `wants_graphiql`)."""

    def __init__(
        self,
        assets_dir: Path | None = None,
        *,
        endpoint: str = "/graphql",
        files: Sequence[VendorFile] = VENDOR_FILES,
    ) -> None:
        super().__init__(
            name="GraphiQL",
            package="gateway.graphiql",
            script="taskloom-graphiql.js",
            static_prefix=STATIC_PREFIX,
            files=files,
            assets_dir=assets_dir,
            values={"endpoint": endpoint},
        )
        self.endpoint = endpoint


def _asset_response(asset: Asset, request: Request) -> Response:
    """304 to a matching If-None-Match; else the body gzipped once at load, or as it is.

    StaticFiles + GZipMiddleware is not used: it gzips the 3.5 MB graphiql bundle again on every
    request. `python bench/browser_pages.py` (2026-12-07, 2 shared cores, wrk 4 connections,
    medians of 3 rounds): gzip responses 2133 req/s here against 3.0 there (p50 1.2 ms against
    1040 ms), for the same size (734 KB against 729 KB); 304s 10962 req/s against 2275."""
    headers = {
        "Cache-Control": IMMUTABLE,
        "ETag": asset.etag,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    given = request.headers.get("if-none-match", "")
    if asset.etag in (tag.strip().removeprefix("W/") for tag in given.split(",")):
        return Response(status_code=304, headers=headers)
    if accepts_gzip(request):
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


def _own_script(package: str, script: str) -> Asset:
    try:
        body = resources.files(package).joinpath(script).read_bytes()
    except FileNotFoundError:
        # A build that left it out of the package (package-data): the page off, the API on.
        raise AssetsMissing(
            f"{package.replace('.', '/')}/{script} is not in the installed package"
        ) from None
    stem = Path(script).stem
    return Asset.of(f"{stem}-{hashlib.sha256(body).hexdigest()[:12]}.js", body)


def _template(package: str, name: str) -> Template:
    return Template(resources.files(package).joinpath(name).read_text("utf-8"))
