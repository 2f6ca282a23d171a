"""The API reference page at /docs and its files under /docs/static/, all from this server."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from starlette.routing import BaseRoute, Route

from gateway.api_docs.assets import SWAGGER_UI_FILES
from gateway.graphiql.assets import VendorFile
from gateway.graphiql.page import VendoredPage

PAGE_PATH = "/docs"
STATIC_PREFIX = "/docs/static"


class ApiDocs(VendoredPage):
    """Swagger UI over the document at `spec_url`; `routes()` serves the page and its files."""

    def __init__(
        self,
        assets_dir: Path | None = None,
        *,
        spec_url: str = "/openapi.json",
        files: Sequence[VendorFile] = SWAGGER_UI_FILES,
    ) -> None:
        super().__init__(
            name="The API reference",
            package="gateway.api_docs",
            script="taskloom-api-docs.js",
            static_prefix=STATIC_PREFIX,
            files=files,
            assets_dir=assets_dir,
            values={"spec_url": spec_url},
        )

    def routes(self) -> list[BaseRoute]:
        return [Route(PAGE_PATH, self.page, methods=["GET"]), *super().routes()]
