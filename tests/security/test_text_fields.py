"""Text a user writes: NUL and other control characters are refused in every text field, and
file names lose the bidi overrides and zero-width characters that make them read otherwise."""

from __future__ import annotations

from resolvers.uploads import safe_filename
from tests.knowledge.test_documents import upload
from tests.support.api import register


async def test_a_document_title_or_description_with_nul_is_refused(client):
    user = await register(client)
    for params in (
        {"title": "Notes\x00", "description": ""},
        {"title": "N", "description": "a\x07b"},
    ):
        response = await client.post(
            "/api/documents",
            params=params,
            files={"file": ("n.txt", b"some text", "text/plain")},
            headers=user["headers"],
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"] == "VALIDATION_FAILED"
    listed = await client.get("/api/documents", headers=user["headers"])
    assert listed.json() == []  # nothing was kept


async def test_a_task_message_with_a_control_character_is_refused(client):
    user = await register(client)
    response = await client.post(
        "/api/tasks", json={"message": "hello\x1bworld"}, headers=user["headers"]
    )
    assert response.status_code == 422, response.text


async def test_an_uploaded_file_name_loses_bidi_and_zero_width_characters(client):
    user = await register(client)
    response = await upload(
        client, user["headers"], b"plain notes", filename="invoice\u202efdp.txt\u200b"
    )
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == "invoicefdp.txt"


def test_safe_filename_keeps_ordinary_letters():
    assert safe_filename("Résumé 2026.pdf") == "Résumé 2026.pdf"
    assert safe_filename("\u2066a\u2069b\u200d.txt") == "ab.txt"
