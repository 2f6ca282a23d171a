"""GraphQL multipart requests (the graphql-multipart-request-spec: `operations`, `map`, files),
read strictly and within bounds.

Strawberry's own reader trusts the `map`: a path into a null, a string or past a list's end, a
map that is a list, a path that is a number, or `operations` sent as a file all ended as
TypeErrors (500 and a stack trace). Here each is a 400 that says what does not fit, and a
request carries at most MAX_FILES files, placed at most MAX_FILES times.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import starlette.exceptions
from cross_web import FormData, HTTPException, StarletteRequestAdapter
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request

# Each upload mutation takes one file; ten (aliased) uploads in one request is plenty, and every
# file part costs a temporary file while the request is read.
MAX_FILES = 10
# `operations` and `map`, and room for file parts sent without a file name (which the form
# parser reads as text), so that the map's check can say so rather than "too many fields".
MAX_TEXT_FIELDS = 2 + MAX_FILES
# A list index longer than this is out of range of any list a request can carry.
MAX_INDEX_DIGITS = 9


class BoundedFormRequest(StarletteRequestAdapter):
    """Strawberry's Starlette adapter, reading a multipart body with our bounds; what the form
    parser refuses is a 400 in GraphQL's shape, not Starlette's."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.request = request

    async def get_form_data(self) -> FormData:
        try:
            form = await self.request.form(max_files=MAX_FILES, max_fields=MAX_TEXT_FIELDS)
        except (MultiPartException, starlette.exceptions.HTTPException) as error:
            detail = getattr(error, "detail", None) or getattr(error, "message", "")
            raise HTTPException(400, f"Unable to parse the multipart body: {detail}") from None
        return FormData(files=form, form=form)


def operations_with_files(form: Mapping[str, Any], parse_json: Callable[[str], Any]) -> Any:
    """The `operations` of a multipart request with each file put where the `map` says."""
    operations = parse_json(_text_field(form, "operations"))
    files_map = parse_json(_text_field(form, "map", default="{}"))
    if not isinstance(files_map, dict):
        raise _bad("The multipart `map` must be a JSON object of file names to lists of paths")
    if len(files_map) > MAX_FILES:
        raise _bad(f"A multipart request may carry at most {MAX_FILES} files")
    placements: list[tuple[str, str]] = []
    for name, paths in files_map.items():
        if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
            raise _bad(f"The `map` entry {_short(name)} must be a list of strings")
        placements.extend((name, path) for path in paths)
        if len(placements) > MAX_FILES:
            raise _bad(f"The `map` may place files at most {MAX_FILES} times")
    for name, path in placements:
        _put(operations, path, _file(form, name))
    return operations


def _text_field(form: Mapping[str, Any], name: str, default: str | None = None) -> str:
    value = form.get(name, default)
    if value is None:
        raise _bad(f"The multipart request has no `{name}` field")
    if not isinstance(value, str):
        raise _bad(f"The multipart `{name}` must be a text field, not a file")
    return value


def _file(form: Mapping[str, Any], name: str) -> UploadFile:
    value = form.get(name)
    if value is None:
        raise _bad(f"File(s) missing in form data: the `map` names {_short(name)}")
    if not isinstance(value, UploadFile):
        raise _bad(f"The multipart part {_short(name)} is not a file (it has no file name)")
    return value


def _put(operations: Any, path: str, file: UploadFile) -> None:
    """Puts `file` at `path` ("variables.files.0"), which must name a null placeholder."""
    *parents, last = path.split(".")
    container = operations
    for key in parents:
        container = container[_slot(container, key, path)]
    slot = _slot(container, last, path)
    if container[slot] is not None:
        raise _bad(f"The `map` path {_short(path)} does not point at a null placeholder")
    container[slot] = file


def _slot(container: Any, key: str, path: str) -> str | int:
    if isinstance(container, dict) and key in container:
        return key
    if (
        isinstance(container, list)
        and key.isascii()
        and key.isdigit()
        and len(key) <= MAX_INDEX_DIGITS
        and int(key) < len(container)
    ):
        return int(key)
    raise _bad(f"The `map` path {_short(path)} does not point into the operations")


def _short(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _bad(reason: str) -> HTTPException:
    return HTTPException(400, reason)
