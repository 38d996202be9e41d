"""The one error handler of the web app and the one JSON error shape (datasette's
``handle_exception``)::

    {"error": {"code": "not_found", "message": "no case with id 'abc'", "where": null}}

``where`` names the place of the problem when there is one: a JSON path in the request
(``body.case.observations[2].unit``), a query parameter (``query.limit``), a line and
column of a malformed body (``body:3:14``). Every exception of a request ends here:
poemsdx errors keep their message (``NotFoundError`` → 404, ``InputError`` → 422), HTTP
errors keep their status, and anything unexpected becomes a 500 whose log line carries the
exception type and route only — messages can quote patient text, so they are never logged.
Pages get the same content as an HTML page; the API and machines get JSON.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import InputError, KnowledgeError, NotFoundError, PoemsdxError, RegistryError

__all__ = [
    "ApiError",
    "Problem",
    "error_body",
    "error_response",
    "handle_exception",
    "install_error_handler",
    "problem_of",
]

log = logging.getLogger("poemsdx.web")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(StarletteHTTPException):
    """An error with our code and location; an HTTPException so that FastAPI's body
    parsing re-raises it unchanged (a 413 from the size limit stays a 413)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        where: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, message, dict(headers) if headers else None)
        self.code = code
        self.message = message
        self.where = where


@dataclass(frozen=True, slots=True)
class Problem:
    status: int
    code: str
    message: str
    where: str | None = None
    headers: Mapping[str, str] | None = None


def error_body(code: str, message: str, where: str | None = None) -> dict[str, Any]:
    """The JSON error shape; pinned by tests/web/test_errors.py."""
    return {"error": {"code": code, "message": message, "where": where}}


def error_response(
    status: int,
    code: str,
    message: str,
    where: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, where), status, dict(headers or {}))


def json_path(loc: tuple[Any, ...] | list[Any]) -> str | None:
    """``("body", "case", "observations", 2)`` → ``body.case.observations[2]``."""
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or None


def _validation(exc: RequestValidationError) -> Problem:
    errors = exc.errors()
    err: dict[str, Any] = dict(errors[0]) if errors else {"loc": (), "msg": "invalid request"}
    loc = tuple(err.get("loc", ()))
    if err.get("type") == "json_invalid":
        pos = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
        doc = exc.body if isinstance(exc.body, str) else ""
        line = doc.count("\n", 0, pos) + 1
        col = pos - (doc.rfind("\n", 0, pos) + 1) + 1
        ctx = err.get("ctx")
        why = str(ctx.get("error", "not valid JSON")) if isinstance(ctx, dict) else "not valid JSON"
        return Problem(
            400, "malformed_json", f"the body is not valid JSON: {why}", f"body:{line}:{col}"
        )
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return Problem(422, "invalid_input", msg + more, json_path(loc))


def _poemsdx(exc: PoemsdxError) -> Problem:
    where = None
    if exc.location is not None:  # a request part is a path; an uploaded file file:line:col
        where = (str(exc.location) if exc.location.file else exc.location.path) or None
    if isinstance(exc, NotFoundError):
        return Problem(404, "not_found", exc.message, where)
    if isinstance(exc, InputError):
        return Problem(422, "invalid_input", exc.message, where)
    if isinstance(exc, RegistryError):
        return Problem(503, "registry_unavailable", "the case registry is not available")
    if isinstance(exc, KnowledgeError):
        return Problem(500, "internal_error", "the knowledge base failed to load")
    return Problem(500, "internal_error", "the evaluation failed; the error was logged")


def problem_of(exc: BaseException) -> Problem:
    """What the client is told about ``exc``."""
    if isinstance(exc, ApiError):
        return Problem(exc.status_code, exc.code, exc.message, exc.where, exc.headers)
    if isinstance(exc, RequestValidationError):
        return _validation(exc)
    if isinstance(exc, StarletteHTTPException):
        code = CODES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        return Problem(exc.status_code, code, detail, None, exc.headers)
    if isinstance(exc, PoemsdxError):
        return _poemsdx(exc)
    return Problem(500, "internal_error", "the server failed; the error was logged")


def _route(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", None) or "-")


PageRenderer = Callable[[Request, Problem], Awaitable[Response]]


async def handle_exception(request: Request, exc: Exception) -> Response:
    """Turn any exception of a request into the response the client gets."""
    problem = problem_of(exc)
    if problem.status >= 500:
        log.error(
            "error route=%s type=%s status=%d", _route(request), type(exc).__name__, problem.status
        )
    render: PageRenderer | None = getattr(request.app.state, "render_error", None)
    if render is not None and wants_page(request):
        response = await render(request, problem)
        response.status_code = problem.status
        return response
    return error_response(
        problem.status, problem.code, problem.message, problem.where, problem.headers
    )


def wants_page(request: Request) -> bool:
    """Pages get HTML errors; the API, the CDS service and non-browser clients get JSON."""
    path = request.url.path
    if path.startswith(("/api/", "/cds", "/static/")):
        return False
    return "text/html" in request.headers.get("accept", "")


def install_error_handler(app: FastAPI) -> None:
    """Route every handled exception type to ``handle_exception``; unexpected exceptions
    reach it through ``middleware.SecurityMiddleware`` (Starlette's server-error layer
    would otherwise re-raise them to the server, which logs the message)."""
    for cls in (StarletteHTTPException, RequestValidationError, PoemsdxError):
        app.add_exception_handler(cls, handle_exception)
