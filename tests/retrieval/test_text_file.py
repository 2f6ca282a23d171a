"""The extracted text's file, read a window at a time: windows cut at whole characters, and
cursors that find the same place by characters and by bytes."""

from __future__ import annotations

from retrieval.text_file import Cursor, read_window, write_text

TEXT = "Ünïcödé ✓ text — 漢字かな 🙂 and plain words.\n\n" * 400


def test_windows_cut_at_whole_characters_and_walk_the_whole_text(tmp_path):
    path = tmp_path / "text.txt"
    assert write_text(path, TEXT) == len(TEXT.encode())
    cursor, seen = Cursor(), []
    while True:
        window = read_window(path, cursor, before_chars=50, body_bytes=1001)
        body = window.text[window.body_start :]
        assert TEXT[cursor.char : cursor.char + len(body)] == body
        assert window.text[: window.body_start] == TEXT[max(0, cursor.char - 50) : cursor.char]
        seen.append(body)
        if window.at_end:
            break
        cursor = window.cursor_at(len(window.text))
        assert TEXT.encode()[: cursor.byte].decode() == TEXT[: cursor.char]
    assert "".join(seen) == TEXT
    assert len(seen) > 10


def test_a_cursor_inside_the_body_names_the_same_place_in_characters_and_bytes(tmp_path):
    path = tmp_path / "text.txt"
    write_text(path, TEXT)
    window = read_window(path, Cursor(), before_chars=0, body_bytes=5000)
    for index in (0, 1, 7, 9, 23, 400, len(window.text) - 1):
        cursor = window.cursor_at(index)
        assert cursor.char == index
        assert TEXT.encode()[cursor.byte :].decode().startswith(TEXT[index : index + 20])


def test_writing_replaces_the_file_whole(tmp_path):
    path = tmp_path / "sub" / "text.txt"
    write_text(path, "first version, longer than the second")
    write_text(path, "second")
    assert path.read_text() == "second"
    assert [p.name for p in path.parent.iterdir()] == ["text.txt"]
