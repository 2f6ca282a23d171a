"""One map from error codes to HTTP statuses: each code carries its own (infra/errors.py), and
REST, the GraphQL view and the app answer with it."""

from __future__ import annotations

import orjson
import pytest

from gateway.responses import error_response
from infra import errors
from infra.errors import DomainError, ErrorCode


def domain_errors() -> list[type[DomainError]]:
    return [error for error in vars(errors).values() if _is_domain_error(error)]


def _is_domain_error(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, DomainError) and value is not DomainError


@pytest.mark.parametrize("error", domain_errors(), ids=lambda error: error.__name__)
def test_every_domain_error_answers_with_its_codes_status(error: type[DomainError]) -> None:
    assert isinstance(error.code, ErrorCode)
    assert 400 <= error.code.status < 600
    response = error_response(error.code, "message")
    assert response.status_code == error.code.status
    assert orjson.loads(response.body)["error"] == error.code.value


def test_an_unknown_code_is_internal() -> None:
    assert ErrorCode.of("NOT_A_CODE") is ErrorCode.INTERNAL
    assert ErrorCode.of(None) is ErrorCode.INTERNAL
    assert ErrorCode.of(404) is ErrorCode.INTERNAL
    assert ErrorCode.of("NOT_FOUND") is ErrorCode.NOT_FOUND


def test_a_framework_status_has_its_code() -> None:
    assert ErrorCode.for_status(404) is ErrorCode.NOT_FOUND
    assert ErrorCode.for_status(405) is ErrorCode.METHOD_NOT_ALLOWED
    assert ErrorCode.for_status(406) is ErrorCode.NOT_ACCEPTABLE
    assert ErrorCode.for_status(418) is ErrorCode.BAD_REQUEST


def test_statuses_name_one_code_each() -> None:
    answered = [code.status for code in ErrorCode if code.status >= 400]
    assert len(answered) == len(set(answered))


def test_a_code_travels_as_its_plain_string() -> None:
    assert orjson.loads(orjson.dumps({"code": ErrorCode.RATE_LIMITED})) == {"code": "RATE_LIMITED"}
    assert f"{ErrorCode.CONFLICT}" == "CONFLICT"
