"""GraphiQL over plain HTTP, without a browser: who gets the page, the page's references and
headers, the files' types and caching, the answer when the files are missing, and the installer
(against a stand-in `npm`, so that nothing is fetched)."""

from __future__ import annotations

import base64
import hashlib
import re
import stat
import sys
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from gateway.graphiql import GraphiQL, wants_graphiql
from gateway.graphiql.assets import AssetsMissing, VendorFile, install, is_installed
from gateway.graphiql.page import CONTENT_SECURITY_POLICY
from tests.support.api import graphql
from tests.support.live_server import LiveServer

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SCRIPT = b"window.Fake = 1;\n"
STYLE = b"body { color: black; }\n"


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


FILES = (
    VendorFile("fake", "1.0.0", "dist/fake.css", "fake-1.0.0.min.css", sha256(STYLE)),
    VendorFile("fake", "1.0.0", "dist/fake.js", "fake-1.0.0.min.js", sha256(SCRIPT)),
)
CONTENTS = {"dist/fake.css": STYLE, "dist/fake.js": SCRIPT, "LICENSE": b"MIT"}


def request(method: str = "GET", accept: str | None = BROWSER, query: str = "") -> Request:
    headers = [(b"accept", accept.encode())] if accept is not None else []
    scope = {"type": "http", "method": method, "headers": headers, "query_string": query.encode()}
    return Request(scope)


@pytest.mark.parametrize(
    ("method", "accept", "query", "page"),
    [
        ("GET", BROWSER, "", True),
        ("GET", "text/html", "", True),
        ("GET", "application/json, text/html", "", True),
        ("GET", "application/json, text/html;q=0.5", "", False),
        ("GET", "text/html;q=0", "", False),
        ("GET", "*/*", "", False),  # curl, httpx, fetch
        ("GET", None, "", False),
        ("GET", "application/graphql-response+json", "", False),
        ("GET", BROWSER, "query=%7B__typename%7D", False),
        ("GET", BROWSER, "extensions=%7B%22persistedQuery%22%3A%7B%7D%7D", False),
        ("POST", BROWSER, "", False),
    ],
)
def test_only_a_browsers_get_is_given_the_page(
    method: str, accept: str | None, query: str, page: bool
) -> None:
    assert wants_graphiql(request(method, accept, query)) is page


def site(graphiql: GraphiQL) -> httpx.AsyncClient:
    async def endpoint(request: Request) -> Response:
        if wants_graphiql(request):
            return await graphiql.page(request)
        return PlainTextResponse("the API")

    app = Starlette(routes=[*graphiql.routes(), Route("/graphql", endpoint, methods=["GET"])])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def put_files(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for file in FILES:
        (directory / file.name).write_bytes(CONTENTS[file.source])


def references(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]*)"', page)


async def test_the_page_uses_only_its_own_files_with_their_hashes(tmp_path: Path) -> None:
    put_files(tmp_path)
    async with site(GraphiQL(tmp_path, files=FILES)) as http:
        answer = await http.get("/graphql", headers={"accept": BROWSER})
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-cache"
        assert 'data-endpoint="/graphql"' in answer.text
        found = references(answer.text)
        assert found[0] == "data:,"  # the icon: no request at all
        assert found[1:3] == [
            "/graphiql/static/fake-1.0.0.min.css",
            "/graphiql/static/fake-1.0.0.min.js",
        ]
        assert re.fullmatch(r"/graphiql/static/taskloom-graphiql-[0-9a-f]{12}\.js", found[3])
        assert len(found) == 4
        for reference in found[1:]:
            served = await http.get(reference)
            assert served.status_code == 200
            digest = base64.b64encode(hashlib.sha256(served.content).digest()).decode()
            tag = f'="{reference}" integrity="sha256-{digest}"'
            assert tag in answer.text, f"{reference} has no matching integrity"

        assert (await http.get("/graphql", headers={"accept": "*/*"})).text == "the API"


async def test_files_are_typed_cached_forever_and_compressed(tmp_path: Path) -> None:
    put_files(tmp_path)
    async with site(GraphiQL(tmp_path, files=FILES)) as http:
        script = await http.get("/graphiql/static/fake-1.0.0.min.js")
        assert script.status_code == 200
        assert script.headers["content-type"] == "text/javascript; charset=utf-8"
        assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert script.headers["content-encoding"] == "gzip"  # httpx asks for it, and decodes
        assert script.headers["vary"] == "Accept-Encoding"
        assert script.content == SCRIPT

        plain = await http.get(
            "/graphiql/static/fake-1.0.0.min.css", headers={"accept-encoding": "identity"}
        )
        assert plain.headers["content-type"] == "text/css; charset=utf-8"
        assert "content-encoding" not in plain.headers
        assert plain.content == STYLE

        again = await http.get(
            "/graphiql/static/fake-1.0.0.min.css", headers={"if-none-match": plain.headers["etag"]}
        )
        assert again.status_code == 304
        assert again.content == b""

        unknown = await http.get("/graphiql/static/../assets.py")
        assert unknown.status_code == 404
        other = await http.get("/graphiql/static/react.js")
        assert other.status_code == 404
        assert other.json()["error"] == "NOT_FOUND"


async def test_missing_files_get_instructions_then_are_picked_up_without_a_restart(
    tmp_path: Path,
) -> None:
    async with site(GraphiQL(tmp_path, files=FILES)) as http:
        page = await http.get("/graphql", headers={"accept": BROWSER})
        assert page.status_code == 503
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert "GraphiQL is not installed" in page.text
        assert f"-m gateway.graphiql install {tmp_path}" in page.text
        assert references(page.text) == ["data:,"]
        assert "//" not in page.text
        static = await http.get("/graphiql/static/fake-1.0.0.min.js")
        assert static.status_code == 503
        assert static.json()["error"] == "UNAVAILABLE"
        assert "gateway.graphiql install" in static.json()["message"]

        put_files(tmp_path)
        assert (await http.get("/graphql", headers={"accept": BROWSER})).status_code == 200


async def test_a_file_that_is_not_the_pinned_one_is_refused(tmp_path: Path) -> None:
    put_files(tmp_path)
    (tmp_path / "fake-1.0.0.min.js").write_bytes(b"alert('not what was reviewed')")
    async with site(GraphiQL(tmp_path, files=FILES)) as http:
        page = await http.get("/graphql", headers={"accept": BROWSER})
        assert page.status_code == 503
        assert "is not fake@1.0.0&#x27;s dist/fake.js" in page.text
        assert "Reinstall" in page.text


def fake_npm(tmp_path: Path, contents: dict[str, bytes]) -> Path:
    """Answers `npm pack --json --pack-destination DIR SPEC...` with tarballs of `contents`."""
    script = tmp_path / "npm"
    payload = {name: body.decode() for name, body in contents.items()}
    script.write_text(
        f"#!{sys.executable}\n"
        "import io, json, sys, tarfile\n"
        f"contents = {payload!r}\n"
        "args = sys.argv[1:]\n"
        "assert args[0] == 'pack' and '--ignore-scripts' in args, args\n"
        "dest = args[args.index('--pack-destination') + 1]\n"
        "specs = [a for a in args[1:] if not a.startswith('-') and a != dest]\n"
        "out = []\n"
        "for spec in specs:\n"
        "    name, version = spec.rsplit('@', 1)\n"
        "    filename = f'{name}-{version}.tgz'\n"
        "    with tarfile.open(f'{dest}/{filename}', 'w:gz') as tar:\n"
        "        for path, text in contents.items():\n"
        "            data = text.encode()\n"
        "            info = tarfile.TarInfo('package/' + path)\n"
        "            info.size = len(data)\n"
        "            tar.addfile(info, io.BytesIO(data))\n"
        "    out.append({'name': name, 'version': version, 'filename': filename})\n"
        "print(json.dumps(out))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_the_installer_keeps_only_the_pinned_files(tmp_path: Path) -> None:
    npm = fake_npm(tmp_path, CONTENTS)
    dest = tmp_path / "share" / "taskloom-graphiql"
    assert install(dest, FILES, npm=str(npm)) is True
    assert is_installed(dest, FILES)
    assert sorted(path.name for path in dest.iterdir()) == [
        "fake-1.0.0.min.css",
        "fake-1.0.0.min.js",
        "licenses",
    ]
    assert (dest / "licenses" / "fake@1.0.0.LICENSE").read_bytes() == b"MIT"
    assert install(dest, FILES, npm=str(npm)) is False  # already there: nothing fetched


def test_the_installer_refuses_a_tarball_that_does_not_match_the_pins(tmp_path: Path) -> None:
    npm = fake_npm(tmp_path, {**CONTENTS, "dist/fake.js": b"window.Evil = 1;\n"})
    dest = tmp_path / "dest"
    with pytest.raises(AssetsMissing, match="does not match its pinned sha256"):
        install(dest, FILES, npm=str(npm))
    assert not (dest / "fake-1.0.0.min.js").exists()


def test_the_installer_says_when_npm_is_missing(tmp_path: Path) -> None:
    with pytest.raises(AssetsMissing, match="npm"):
        install(tmp_path, FILES, npm=str(tmp_path / "no-npm-here"))


@pytest.mark.usefixtures("graphiql_assets")
async def test_the_app_serves_the_page_to_browsers_and_the_api_to_everyone_else(
    client: httpx.AsyncClient, graphiql_server: LiveServer
) -> None:
    async with httpx.AsyncClient(base_url=graphiql_server.url, timeout=30) as http:
        page = await http.get("/graphql", headers={"accept": BROWSER})
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        for reference in references(page.text)[1:]:
            assert (await http.get(reference)).status_code == 200

        via_get = await http.get(
            "/graphql", params={"query": "{ __typename }"}, headers={"accept": BROWSER}
        )
        assert via_get.json() == {"data": {"__typename": "Query"}}
        assert await graphql(http, "{ __typename }") == {"data": {"__typename": "Query"}}
        curl = await http.get("/graphql", headers={"accept": "*/*"})
        assert "text/html" not in curl.headers.get("content-type", "")
