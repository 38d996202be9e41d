"""Rendering pages: the Jinja2 environment, the interface language, the CSRF cookie and
the form reader that checks it, and the HTML face of the one error handler.

Autoescaping is always on — titles, notes and source text come from documents pasted by
users. The interface language is chosen by ``?lang=``, else the ``poemsdx_lang`` cookie
(set by the selector), else the configured default; reports render in the same language.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, partial
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from .. import __version__
from ..knowledge.registry import Knowledge
from ..report._locale import Locale
from .errors import ApiError, Problem
from .i18n import LANGUAGE_NAMES, ui
from .security import Signer, csrf_token, new_token, verify_csrf
from .settings import WebSettings

__all__ = ["CSRF_COOKIE", "LANG_COOKIE", "Pages", "Upload"]

LANG_COOKIE = "poemsdx_lang"
CSRF_COOKIE = "poemsdx_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    data: bytes


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("poemsdx.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def _label(lang: str, value: Any, default: str = "") -> str:
    """A ``{"en": ..., "ja": ...}`` label in ``lang``, else English."""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or default)
    return str(value) if value is not None else default


def _here(request: Request) -> str:
    """Where the language selector returns to: this page without its ``lang`` parameter;
    the start page after a POST (a result page cannot be fetched again)."""
    if request.method != "GET":
        return "/"
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "lang"])
    return request.url.path + (f"?{query}" if query else "")


class Pages:
    def __init__(self, settings: WebSettings, signer: Signer, kb: Knowledge) -> None:
        self.settings, self.signer, self.kb = settings, signer, kb

    def lang(self, request: Request) -> str:
        for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
            if value in LANGUAGE_NAMES:
                return str(value)
        return self.settings.lang

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        lang = self.lang(request)
        nonce = request.cookies.get(CSRF_COOKIE)
        fresh = not nonce or len(nonce) > 100
        if fresh:
            nonce = new_token()
        assert nonce is not None
        template = _environment().get_template(name)
        page = template.render(
            lang=lang,
            ui=partial(ui, lang),
            t=Locale(lang),
            label=partial(_label, lang),
            csrf=csrf_token(self.signer, nonce),
            languages=LANGUAGE_NAMES,
            login=self.settings.login_required,
            actor=getattr(request.state, "actor", "local"),
            here=_here(request),
            version=__version__,
            knowledge=self.kb.version,
            **context,
        )
        response = HTMLResponse(page, status)
        if fresh:
            self.cookie(response, CSRF_COOKIE, nonce)
        return response

    def cookie(self, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            httponly=True,
            samesite="strict",
            secure=self.settings.cookies_secure,
        )

    async def form(self, request: Request) -> dict[str, str | Upload]:
        """The posted form, once its CSRF token matches the cookie (else 403). Uploaded
        files are read into memory (the body limit bounds them) and their spooled temporary
        files closed at once."""
        limit = self.settings.max_body_bytes
        fields: dict[str, str | Upload] = {}
        async with request.form(max_files=1, max_fields=50, max_part_size=limit) as form:
            for key, value in form.multi_items():
                if isinstance(value, str):
                    fields.setdefault(key, value)
                elif value.filename:
                    fields.setdefault(key, Upload(value.filename, await value.read()))
        submitted = fields.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
        token = submitted if isinstance(submitted, str) else None
        if not verify_csrf(self.signer, request.cookies.get(CSRF_COOKIE), token):
            raise ApiError(
                403,
                "csrf_failed",
                "this form is out of date or did not come from this site; reload the page "
                "and submit it again",
            )
        return fields

    async def render_error(self, request: Request, problem: Problem) -> Response:
        return self.render(request, "error.html", problem.status, problem=problem)
