"""Swagger UI's files, pinned like GraphiQL's (see gateway/graphiql/assets.py, which installs
them too). Swagger UI 5's bundle is self-contained: React and its own dependencies inlined, no
fonts or images fetched (its stylesheet inlines its icons as data: URLs)."""

from __future__ import annotations

from gateway.graphiql.assets import VendorFile

# In the order the page loads them.
SWAGGER_UI_FILES: tuple[VendorFile, ...] = (
    VendorFile(
        "swagger-ui-dist",
        "5.36.0",
        "swagger-ui.css",
        "swagger-ui-5.36.0.css",
        "7eb9f5a125e4bc9b3f0b71869b66d1a3d7c501f972f53d44ef91c2ae6c5bda5e",
    ),
    VendorFile(
        "swagger-ui-dist",
        "5.36.0",
        "swagger-ui-bundle.js",
        "swagger-ui-bundle-5.36.0.js",
        "b164c5a22535e40dae08c00271674a67e437ec195098c55fcedf8ffac7ac3c88",
    ),
)
