"""The one JSON error shape, pinned: clients parse it, so changing it is a breaking change."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from webtools import Web

from poemsdx.errors import InputError, Location, NotFoundError, RegistryError
from poemsdx.web.errors import ApiError, error_body, problem_of


def test_the_error_shape_is_pinned() -> None:
    assert error_body("not_found", "no case with id 'x'", None) == {
        "error": {"code": "not_found", "message": "no case with id 'x'", "where": None}
    }
    assert error_body("invalid_input", "bad", "body.case.id") == {
        "error": {"code": "invalid_input", "message": "bad", "where": "body.case.id"}
    }


@pytest.mark.parametrize(
    ("exc", "status", "code", "where"),
    [
        (NotFoundError("no case with id 'x'"), 404, "not_found", None),
        (InputError("bad unit", Location(path="body.case.x")), 422, "invalid_input", "body.case.x"),
        (InputError("bad", Location("f.yaml", 3, 4)), 422, "invalid_input", "f.yaml:3:4"),
        (
            RegistryError("database is locked: SELECT name FROM ..."),
            503,
            "registry_unavailable",
            None,
        ),
        (ApiError(413, "payload_too_large", "too big"), 413, "payload_too_large", None),
        (RuntimeError("Tanaka Taro's note"), 500, "internal_error", None),
    ],
)
def test_exceptions_map_to_status_and_code(
    exc: Exception, status: int, code: str, where: str | None
) -> None:
    problem = problem_of(exc)
    assert (problem.status, problem.code, problem.where) == (status, code, where)
    if status >= 500:
        assert "Tanaka" not in problem.message and "SELECT" not in problem.message


def test_an_unexpected_error_is_a_500_in_the_shape_and_logs_no_message(
    web: Web, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*_: Any, **__: Any) -> None:
        raise RuntimeError("SECRET-PATIENT-TEXT")

    monkeypatch.setattr(web.app.state.service.registry, "list_cases", boom)
    with caplog.at_level(logging.DEBUG):
        r = web.get("/api/v1/cases")
    assert r.status_code == 500
    assert r.json() == error_body("internal_error", "the server failed; the error was logged", None)
    assert "RuntimeError" in caplog.text
    assert "SECRET-PATIENT-TEXT" not in caplog.text
    assert all(rec.exc_info is None for rec in caplog.records)


def test_a_page_error_is_an_html_page_with_the_same_content(web: Web) -> None:
    r = web.get("/cases/0123456789abcdef0123456789abcdef", headers={"accept": "text/html"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert 'data-code="not_found"' in r.text
    same = web.get("/cases/0123456789abcdef0123456789abcdef", headers={"accept": "*/*"})
    assert same.json()["error"]["code"] == "not_found"
