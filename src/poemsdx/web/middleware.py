"""One ASGI middleware for what every request needs, outermost so nothing escapes it:

* the Host header must be one we serve (stops DNS rebinding from reading a local registry);
* with API tokens configured, who is calling: a bearer token on ``/api/``, a signed session
  cookie on pages (else a redirect to the login form); the name found becomes the actor of
  the registry's audit trail (``request.state.actor``; ``local`` without tokens). Only the
  login form, static files and the CDS Hooks service (its own JWT auth) are open;
* a state-changing request from another site (``Origin`` or ``Sec-Fetch-Site``) is refused;
* the body is limited (``Content-Length`` checked first, then bytes counted as they
  arrive, so a chunked upload cannot slip past) — 413 in the one error shape;
* security headers on every response (CSP ``default-src 'self'``: htmx is served from
  here), ``Cache-Control: no-store`` on everything but static files;
* exceptions nothing else handled go to the one error handler (never to the server's
  traceback log, whose message could quote patient text);
* one access-log line per request with the route *template*, status and time — the path
  and query string can carry names (``/cases?q=...``), so only a case id that is a
  registry id (32 hex digits) is logged with it.
"""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import quote, urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ApiError, error_response, handle_exception
from .security import Signer, verify_token
from .settings import WebSettings

__all__ = ["CSP", "SESSION_COOKIE", "SecurityMiddleware", "security_headers"]

access_log = logging.getLogger("poemsdx.web.access")
log = logging.getLogger("poemsdx.web")

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src-attr 'unsafe-inline'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_OPEN = ("/login", "/static/", "/cds/", "/favicon.ico")
SESSION_COOKIE = "poemsdx_session"
_REGISTRY_ID = re.compile(r"^[0-9a-f]{32}$")


def security_headers(path: str) -> dict[str, str]:
    headers = {
        "content-security-policy": CSP,
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",  # no-referrer would make Chrome send Origin: null
        "x-frame-options": "DENY",
        "cross-origin-opener-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=()",
    }
    if not path.startswith("/static/"):
        headers["cache-control"] = "no-store"
    return headers


def _host_name(value: str) -> str:
    """``[::1]:8000`` → ``::1``; ``Example.org:80`` → ``example.org``."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class SecurityMiddleware:
    """Host, cross-site, authentication and size checks; headers; errors; access log."""

    def __init__(self, app: ASGIApp, settings: WebSettings, signer: Signer) -> None:
        self.app = app
        self.limit = settings.max_body_bytes
        self.hosts = settings.host_names()
        self.tokens = settings.tokens
        self.signer = signer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path: str = scope.get("path", "")
        status = 0
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                headers = MutableHeaders(scope=message)
                for name, value in security_headers(path).items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise ApiError(413, "payload_too_large", self._too_large())
            return message

        try:
            rejection = self._reject(scope, Headers(scope=scope))
            if rejection is not None:
                await rejection(scope, receive, send_with_headers)
                return
            await self.app(scope, limited_receive, send_with_headers)
        except Exception as exc:
            if response_started:  # too late for an error page; the client sees a cut
                log.error("error after response start type=%s", type(exc).__name__)
                return
            response = await handle_exception(Request(scope, receive), exc)
            await response(scope, receive, send_with_headers)
        finally:
            self._log(scope, status, started)

    def _too_large(self) -> str:
        return f"the request body is larger than the limit of {self.limit:,} bytes"

    def _reject(self, scope: Scope, headers: Headers) -> Response | None:
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            return error_response(400, "bad_request", "the URL contains a NUL character")
        if self.hosts is not None and _host_name(headers.get("host", "")) not in self.hosts:
            return error_response(
                400, "invalid_host", "this server answers only to its own address (Host header)"
            )
        method = scope.get("method", "GET")
        path = scope.get("path", "")
        if method not in _SAFE_METHODS and not path.startswith("/cds/"):  # CORS by design
            origin = headers.get("origin")
            cross = headers.get("sec-fetch-site") == "cross-site"
            if cross or (
                origin and urlsplit(origin).netloc.lower() != headers.get("host", "").lower()
            ):
                return error_response(403, "cross_site", "requests from other sites are refused")
        denied = self._authenticate(scope, headers)
        if denied is not None:
            return denied
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            if not length.isdigit():
                return error_response(400, "bad_request", "Content-Length is not a number")
            return error_response(413, "payload_too_large", self._too_large())
        return None

    def _authenticate(self, scope: Scope, headers: Headers) -> Response | None:
        state = scope.setdefault("state", {})
        if not self.tokens:
            state["actor"] = "local"
            return None
        path: str = scope.get("path", "")
        if path.startswith(_OPEN):
            return None
        if path.startswith("/api/"):
            scheme, _, token = headers.get("authorization", "").partition(" ")
            name = verify_token(self.tokens, token.strip()) if scheme.lower() == "bearer" else None
            if name is None:
                return error_response(
                    401,
                    "unauthorized",
                    "a valid API token is required: Authorization: Bearer <token>",
                    headers={"WWW-Authenticate": "Bearer"},
                )
        else:
            name = self.signer.read_session(Request(scope).cookies.get(SESSION_COOKIE))
            if name is None:
                if scope.get("method") in _SAFE_METHODS:
                    query = scope.get("query_string", b"").decode("latin-1")
                    target = quote(path + (f"?{query}" if query else ""))
                    return RedirectResponse(f"/login?next={target}", status_code=303)
                return error_response(401, "unauthorized", "log in first")
        state["actor"] = name
        return None

    def _log(self, scope: Scope, status: int, started: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "-"
        case_id = scope.get("path_params", {}).get("case_id")
        shown = "-" if case_id is None else (case_id if _REGISTRY_ID.match(case_id) else "other")
        access_log.info(
            "%s %s %d %.1fms case=%s",
            scope.get("method", "-"),
            route,
            status,
            (time.perf_counter() - started) * 1000,
            shown,
        )
