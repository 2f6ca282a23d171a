"""The REST contract as data: each route names its stored operation, where its variables come
from, and which part of the result is the answer."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Body(enum.Enum):
    NONE = "none"  # no body is read
    INPUT = "input"  # the JSON object is the operation's `$input`
    VARIABLES = "variables"  # the JSON object's keys are the operation's variables (may be empty)


@dataclass(frozen=True)
class RestRoute:
    method: str
    path: str  # Starlette pattern; `{name}` segments become variables of the same name
    operation: str  # gateway/rest/operations/<operation>.graphql
    answer: str  # dotted path into `data`; `*` maps over a list
    status: int = 200
    body: Body = Body.NONE
    query: tuple[str, ...] = ()  # query parameters passed as variables
    file: str | None = None  # the variable that receives the multipart `file`
    # A connection (dotted path in `data`) to read to its end, page after page, through the
    # operation's `$after`; `answer` then names the list of its nodes.
    all_pages: str | None = None
    # A signed link (dotted path in `data`) whose file is the answer, bytes and type.
    download: str | None = None
    # Every route but sign-up and sign-in needs a valid token.
    public: bool = False

    @property
    def reads_request(self) -> bool:
        """Whether variables come from the body, a file or the query string."""
        return self.body is not Body.NONE or self.file is not None or bool(self.query)


ROUTES: tuple[RestRoute, ...] = (
    RestRoute(
        "POST", "/auth/register", "register", "register", status=201, body=Body.INPUT, public=True
    ),
    RestRoute("POST", "/auth/login", "login", "login", body=Body.INPUT, public=True),
    RestRoute("GET", "/users/me", "me", "me"),
    RestRoute("PATCH", "/users/me", "updateMe", "updateMe", body=Body.INPUT),
    RestRoute("PUT", "/users/me/password", "changePassword", "changePassword", body=Body.INPUT),
    RestRoute(
        "GET", "/api/documents", "documents", "documents.edges.*.node", all_pages="documents"
    ),
    RestRoute(
        "POST",
        "/api/documents",
        "uploadDocument",
        "uploadDocument",
        status=201,
        query=("title", "description"),
        file="file",
    ),
    RestRoute("GET", "/api/documents/{documentId}", "document", "document"),
    RestRoute(
        "DELETE", "/api/documents/{documentId}", "deleteDocument", "deleteDocument", status=204
    ),
    RestRoute(
        "GET",
        "/api/documents/{documentId}/chunks",
        "documentChunks",
        "document.chunks.edges.*.node",
        all_pages="document.chunks",
    ),
    RestRoute("GET", "/api/chunks/{chunkId}", "chunk", "chunk"),
    RestRoute("GET", "/api/tasks", "tasks", "tasks.edges.*.node", all_pages="tasks"),
    RestRoute("POST", "/api/tasks", "createTask", "createTask", status=201, body=Body.INPUT),
    RestRoute("GET", "/api/tasks/{taskId}", "task", "task"),
    RestRoute("POST", "/api/tasks/{taskId}", "stepTask", "stepTask", body=Body.VARIABLES),
    RestRoute(
        "GET",
        "/api/tasks/{taskId}/steps",
        "taskSteps",
        "task.steps.edges.*.node",
        all_pages="task.steps",
    ),
    RestRoute(
        "POST",
        "/api/tasks/{taskId}/documents",
        "uploadTaskDocument",
        "uploadTaskDocument",
        status=201,
        file="file",
    ),
    RestRoute(
        "GET",
        "/api/tasks/{taskId}/documents/{documentId}",
        "taskDocument",
        "taskDocument",
        download="taskDocument.downloadUrl",
    ),
)
