"""The knowledge base over REST, written from spec/rest-api.md § Knowledge base."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import pytest

from gateway.services import build_services
from models import User
from resolvers import knowledge
from resolvers.context import RequestContext
from resolvers.ids import pk_of
from retrieval.stores.base import ScoredChunk
from tests.retrieval.documents import pdf_bytes, write_docx, write_zip_bomb_docx
from tests.support.api import graphql, register
from tests.support.subscriptions import until_ingested


def docx_bytes(paragraphs: list[str]) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return write_docx(Path(folder) / "a.docx", paragraphs).read_bytes()


def zip_bomb_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return write_zip_bomb_docx(Path(folder) / "bomb.docx", 2_000_000_000).read_bytes()


FACT = "The Zorblax reactor on Kepler station runs on liquid helium at four kelvin."


async def upload(
    client,
    headers,
    content: bytes,
    filename="notes.txt",
    title="Notes",
    description="Station notes",
    content_type="text/plain",
):
    return await client.post(
        "/api/documents",
        params={"title": title, "description": description},
        files={"file": (filename, content, content_type)},
        headers=headers,
    )


async def ingested(client, server, user, content: bytes, **kwargs):
    response = await upload(client, user["headers"], content, **kwargs)
    assert response.status_code == 201, response.text
    document = response.json()
    final = await until_ingested(server.ws_url, user["token"], document["id"])
    return document, final


async def test_upload_answers_a_document_then_it_becomes_searchable(client, server):
    user = await register(client)
    response = await upload(client, user["headers"], FACT.encode())
    assert response.status_code == 201
    document = response.json()
    assert set(document) >= {"id", "filename", "title", "description", "contentType", "progress"}
    assert document["filename"] == "notes.txt"
    assert document["title"] == "Notes" and document["description"] == "Station notes"
    assert document["contentType"] == "text/plain"
    assert 0.0 <= document["progress"] <= 1.0
    assert document["status"] in {"QUEUED", "EXTRACTING", "EMBEDDING", "INDEXING", "READY"}
    final = await until_ingested(server.ws_url, user["token"], document["id"])
    assert final["status"] == "READY" and final["progress"] == 1.0 and final["chunkCount"] == 1
    fetched = await client.get(f"/api/documents/{document['id']}", headers=user["headers"])
    assert fetched.json()["progress"] == 1.0
    listed = await client.get("/api/documents", headers=user["headers"])
    assert [d["id"] for d in listed.json()] == [document["id"]]
    chunks = await client.get(f"/api/documents/{document['id']}/chunks", headers=user["headers"])
    assert chunks.status_code == 200
    (chunk,) = chunks.json()
    assert chunk == {
        "id": chunk["id"],
        "documentId": document["id"],
        "documentTitle": "Notes",
        "documentDescription": "Station notes",
        "content": FACT,
    }
    one = await client.get(f"/api/chunks/{chunk['id']}", headers=user["headers"])
    assert one.json() == chunk
    result = await graphql(
        client,
        '{ search(query: "Zorblax reactor helium") { score keywordScore vectorScore '
        "chunk { id content document { title } } } }",
        headers=user["headers"],
    )
    hits = result["data"]["search"]
    assert hits[0]["chunk"]["id"] == chunk["id"]
    assert hits[0]["keywordScore"] is not None and hits[0]["vectorScore"] is not None


PARAGRAPH = "Paragraph {n} talks about the quiet harbour and its {n} lighthouses. "


@pytest.mark.parametrize(
    ("filename", "content_type", "content", "expected"),
    [
        ("a.md", "text/markdown", b"# Title\n\nThe *Zorblax* reactor hums.", "Zorblax"),
        (
            "a.html",
            "text/html",
            b"<html><head><script>var secret=1;</script></head>"
            b"<body><p>Zorblax hums</p></body></html>",
            "Zorblax hums",
        ),
        ("a.csv", "text/csv", b"name,fuel\nZorblax,helium\nQuark,neon\n", "helium"),
        (
            "a.json",
            "application/json",
            b'{"reactor": {"name": "Zorblax", "fuel": "helium"}}',
            "helium",
        ),
        ("a.pdf", "application/pdf", pdf_bytes(["The Zorblax reactor runs cold."]), "Zorblax"),
        (
            "a.docx",
            "application/octet-stream",
            docx_bytes(["The Zorblax reactor runs cold."]),
            "Zorblax",
        ),
        ("latin1.txt", "text/plain", "Caf\xe9 Zorblax na\xefve".encode("latin-1"), "Café"),
    ],
)
async def test_every_format_is_extracted(client, server, filename, content_type, content, expected):
    user = await register(client)
    document, final = await ingested(
        client, server, user, content, filename=filename, content_type=content_type
    )
    assert final["status"] == "READY", final
    chunks = await client.get(f"/api/documents/{document['id']}/chunks", headers=user["headers"])
    text = " ".join(c["content"] for c in chunks.json())
    assert expected in text
    assert "secret" not in text


async def test_a_long_document_is_cut_into_ordered_chunks_covering_the_text(client, server):
    user = await register(client)
    text = "\n\n".join(PARAGRAPH.format(n=n) * 6 for n in range(40))
    document, final = await ingested(client, server, user, text.encode())
    assert final["status"] == "READY" and final["chunkCount"] > 5
    chunks = (
        await client.get(f"/api/documents/{document['id']}/chunks", headers=user["headers"])
    ).json()
    assert len(chunks) == final["chunkCount"]
    for n in range(40):
        assert any(f"its {n} lighthouses" in c["content"] for c in chunks)
    first_positions = [text.find(c["content"][:60]) for c in chunks]
    assert first_positions == sorted(first_positions)


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"description": "d"}, {"title"}),
        ({"title": "t"}, {"description"}),
        ({}, {"title", "description"}),
        ({"title": "   ", "description": "d"}, {"title"}),
        ({"title": "t" * 501, "description": "d"}, {"title"}),
        ({"title": "t", "description": "d" * 2001}, {"description"}),
    ],
)
async def test_title_and_description_are_required_query_parameters(client, params, fields):
    user = await register(client)
    response = await client.post(
        "/api/documents",
        params=params,
        files={"file": ("a.txt", b"hello there", "text/plain")},
        headers=user["headers"],
    )
    assert response.status_code == 422
    assert set(response.json()["fields"]) == fields


async def test_the_file_field_is_required_and_must_be_a_file(client):
    user = await register(client)
    params = {"title": "t", "description": "d"}
    missing = await client.post(
        "/api/documents",
        params=params,
        files={"other": ("a.txt", b"x", "text/plain")},
        headers=user["headers"],
    )
    assert missing.status_code == 422 and missing.json()["fields"] == {"file": "is required"}
    as_text = await client.post(
        "/api/documents",
        params=params,
        data={"file": "not a file"},
        files={"dummy": ("a.txt", b"x", "text/plain")},
        headers=user["headers"],
    )
    assert as_text.status_code == 422 and as_text.json()["fields"] == {"file": "must be a file"}
    json_body = await client.post(
        "/api/documents", params=params, json={"file": "x"}, headers=user["headers"]
    )
    assert json_body.status_code == 400
    broken = await client.post(
        "/api/documents",
        params=params,
        content=b"--xyz\r\nnonsense",
        headers={**user["headers"], "content-type": "multipart/form-data; boundary=xyz"},
    )
    assert broken.status_code in (400, 422)
    assert broken.json()["error"] in ("BAD_REQUEST", "VALIDATION_FAILED")


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"", 422, "VALIDATION_FAILED"),
        (b"   \n\n\t  ", 422, "VALIDATION_FAILED"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, 415, "UNSUPPORTED_MEDIA_TYPE"),
        (bytes(range(256)) * 8, 415, "UNSUPPORTED_MEDIA_TYPE"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ],
)
async def test_unreadable_uploads_are_refused_and_nothing_is_kept(
    client, settings, content, status, code
):
    user = await register(client)
    response = await upload(client, user["headers"], content, filename="x.txt")
    assert response.status_code == status
    assert response.json()["error"] == code
    listed = await client.get("/api/documents", headers=user["headers"])
    assert listed.json() == []


async def test_an_upload_over_the_limit_is_413(client, app_with):
    async with await app_with(max_upload_bytes=1000) as small:
        user = await register(small)
        response = await upload(small, user["headers"], b"a" * 1001)
        assert response.status_code == 413
        assert response.json()["error"] == "PAYLOAD_TOO_LARGE"
        fits = await upload(small, user["headers"], b"a " * 500)
        assert fits.status_code == 201


async def test_a_zip_bomb_posing_as_docx_fails_that_document_only(client, server):
    user = await register(client)
    _, final = await ingested(
        client,
        server,
        user,
        zip_bomb_bytes(),
        filename="bomb.docx",
        content_type="application/octet-stream",
    )
    assert final["status"] == "FAILED"
    assert final["error"]
    _, after = await ingested(client, server, user, FACT.encode())
    assert after["status"] == "READY"


async def test_a_looping_pdf_fails_that_document_only(client, server):
    user = await register(client)
    _, final = await ingested(
        client,
        server,
        user,
        pdf_bytes(["loop"], kids_loop=True),
        filename="loop.pdf",
        content_type="application/pdf",
    )
    assert final["status"] in {"FAILED", "READY"}  # pypdf may detect the loop and read page one
    _, after = await ingested(client, server, user, FACT.encode())
    assert after["status"] == "READY"


async def test_another_users_documents_and_chunks_are_not_found(client, server):
    owner = await register(client)
    stranger = await register(client)
    document, _ = await ingested(client, server, owner, FACT.encode())
    chunk = (
        await client.get(f"/api/documents/{document['id']}/chunks", headers=owner["headers"])
    ).json()[0]
    for path in (
        f"/api/documents/{document['id']}",
        f"/api/documents/{document['id']}/chunks",
        f"/api/chunks/{chunk['id']}",
    ):
        response = await client.get(path, headers=stranger["headers"])
        assert response.status_code == 404, path
        assert response.json()["error"] == "NOT_FOUND"
    deleted = await client.delete(f"/api/documents/{document['id']}", headers=stranger["headers"])
    assert deleted.status_code == 404
    assert (await client.get("/api/documents", headers=stranger["headers"])).json() == []
    result = await graphql(
        client, '{ search(query: "Zorblax") { chunk { id } } }', headers=stranger["headers"]
    )
    assert result["data"]["search"] == []
    still = await client.get(f"/api/documents/{document['id']}", headers=owner["headers"])
    assert still.status_code == 200


class _IndexThatAnswers:
    """An index whose owner filter is broken: whoever asks, it answers these chunks."""

    def __init__(self, hits: list[ScoredChunk]) -> None:
        self.hits = hits

    async def search(self, owner_id: int, query: str, **options: object) -> list[ScoredChunk]:
        return self.hits


async def test_a_chunk_of_another_user_is_left_out_even_when_the_index_answers_it(
    client, server, settings
):
    owner, stranger = await register(client), await register(client)
    document, _ = await ingested(client, server, owner, FACT.encode())
    chunk = (
        await client.get(f"/api/documents/{document['id']}/chunks", headers=owner["headers"])
    ).json()[0]
    leak = ScoredChunk(
        pk_of(chunk["id"], "Chunk"), pk_of(document["id"], "Document"), 1.0, 1.0, 1.0
    )
    services = dataclasses.replace(build_services(settings), retriever=_IndexThatAnswers([leak]))
    for user, expected in ((stranger, []), (owner, [chunk["content"]])):
        viewer = await User.get(username=user["user"]["username"])
        context = RequestContext.for_user(services, viewer)
        hits = await knowledge.search_for(context, viewer, "Zorblax", limit=10)
        assert [hit.chunk.content for hit in hits] == expected


@pytest.mark.parametrize(
    "bad_id", ["nope", "VXNlcjox", "RG9jdW1lbnQ6OTk5OTk5", "%00", "a" * 100, "Q2h1bms6LTE"]
)
async def test_malformed_or_unknown_ids_are_404(client, bad_id):
    user = await register(client)
    for path in (
        f"/api/documents/{bad_id}",
        f"/api/documents/{bad_id}/chunks",
        f"/api/chunks/{bad_id}",
    ):
        response = await client.get(path, headers=user["headers"])
        assert response.status_code == 404, path
        assert response.json()["error"] == "NOT_FOUND"
    deleted = await client.delete(f"/api/documents/{bad_id}", headers=user["headers"])
    assert deleted.status_code == 404


async def test_delete_removes_the_document_its_chunks_and_its_file(client, server, settings):
    user = await register(client)
    document, _ = await ingested(client, server, user, FACT.encode())
    chunk_id = (
        await client.get(f"/api/documents/{document['id']}/chunks", headers=user["headers"])
    ).json()[0]["id"]
    from models import KnowledgeDocument
    from resolvers.ids import pk_of

    sha = (await KnowledgeDocument.get(id=pk_of(document["id"], "Document"))).sha256
    blob = settings.data_dir / "blobs" / sha[:2] / sha[2:4] / sha
    assert blob.exists()
    response = await client.delete(f"/api/documents/{document['id']}", headers=user["headers"])
    assert response.status_code == 204 and response.content == b""
    assert (
        await client.get(f"/api/documents/{document['id']}", headers=user["headers"])
    ).status_code == 404
    assert (await client.get(f"/api/chunks/{chunk_id}", headers=user["headers"])).status_code == 404
    result = await graphql(
        client, '{ search(query: "Zorblax reactor") { chunk { id } } }', headers=user["headers"]
    )
    assert result["data"]["search"] == []
    assert not blob.exists()


async def test_documents_need_a_token(client):
    for method, path in (
        ("GET", "/api/documents"),
        ("POST", "/api/documents"),
        ("GET", "/api/chunks/x"),
        ("DELETE", "/api/documents/x"),
    ):
        response = await client.request(method, path)
        assert response.status_code == 401, (method, path)
