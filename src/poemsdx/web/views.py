"""The pages: paste or upload → result; save; the case list; a case with its timeline,
response, assessment history and follow-up form; report downloads; login; language.

Every form post is checked for CSRF (``Pages.form``) and answered with a redirect (303) to
a page, so reloading never posts twice. The pages work without JavaScript; htmx (vendored)
makes the case search live and app.js highlights evidence in place.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ..errors import InputError
from ..model import Case
from ..report._view import build_view
from ..response import assess_response
from .errors import ApiError
from .i18n import LANGUAGE_NAMES
from .middleware import SESSION_COOKIE
from .pages import LANG_COOKIE, Pages, Upload
from .present import EvidenceLinks, inline_svg, pdf_bytes, report_html, sources
from .security import verify_token
from .service import Service, case_dict, observation_from_form

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
SPECIMENS = ("serum", "plasma", "blood", "urine", "csf", "bone_marrow", "tissue", "lymph_node")
PAGE_SIZE = 50


def _svc(request: Request) -> Service:
    svc: Service = request.app.state.service
    return svc


def _pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


def _actor(request: Request) -> str:
    return str(getattr(request.state, "actor", "local"))


def _local(path: str | None) -> str:
    """``path`` if it is a path on this site, else ``/`` (no open redirects)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def _text(form: dict[str, str | Upload], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _result_context(svc: Service, case: Case, lang: str, notes: list[str]) -> dict[str, Any]:
    ev = svc.evaluate(case)
    return {
        "view": build_view(ev, svc.kb, lang),
        "links": EvidenceLinks(ev),
        "sources": sources(case),
        "notes": notes,
    }


@router.get("/")
def index(request: Request) -> Response:
    return _pages(request).render(request, "index.html")


@router.post("/evaluate")
async def evaluate_page(request: Request) -> Response:
    pages, svc = _pages(request), _svc(request)
    form = await pages.form(request)
    upload = form.get("file")
    text = _text(form, "text")
    language = _text(form, "language") or None
    if language not in (None, "en", "ja", "zh"):
        raise InputError(f"unknown text language '{language}'")
    notes: list[str] = []
    if isinstance(upload, Upload):
        case, notes = await run_in_threadpool(svc.case_from_upload, upload.filename, upload.data)
    else:
        case = await run_in_threadpool(svc.case_from_text, text, language)
    context = await run_in_threadpool(_result_context, svc, case, pages.lang(request), notes)
    context["case_json"] = json.dumps(case_dict(case), ensure_ascii=False)
    return await run_in_threadpool(pages.render, request, "result.html", **context)


def _posted_case(svc: Service, form: dict[str, str | Upload]) -> Case:
    raw = _text(form, "case_json")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        raise InputError("the posted case is not JSON; evaluate the input again") from None
    if not isinstance(data, dict):
        raise InputError("the posted case is not a case object")
    case, _ = svc.case_from_object(data, where="form.case_json")
    title = _text(form, "title").strip()[:200]
    return case.model_copy(update={"title": title}) if title else case


@router.post("/cases")
async def save_case(request: Request) -> Response:
    pages, svc = _pages(request), _svc(request)
    form = await pages.form(request)
    case = await run_in_threadpool(_posted_case, svc, form)
    saved = await run_in_threadpool(svc.save_new, case, _actor(request))
    return RedirectResponse(f"/cases/{saved.case_id}", status_code=303)


def _download(html: str, fmt: str, name: str) -> Response:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80] or "report"
    if fmt == "pdf":
        return Response(
            pdf_bytes(html),
            media_type="application/pdf",
            headers={"content-disposition": f'attachment; filename="{safe}.pdf"'},
        )
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{safe}.html"',
            # the report is self-contained: inline CSS, no scripts, nothing loaded
            "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:; frame-ancestors 'none'",
        },
    )


def _fmt(value: str) -> str:
    if value not in ("html", "pdf"):
        raise InputError(f"unknown report format '{value}'; allowed: html, pdf")
    return value


@router.post("/report")
async def download_unsaved(request: Request) -> Response:
    pages, svc = _pages(request), _svc(request)
    form = await pages.form(request)
    fmt = _fmt(_text(form, "format"))
    case = await run_in_threadpool(_posted_case, svc, form)
    lang = pages.lang(request)
    ev = await run_in_threadpool(svc.evaluate, case)
    html = await run_in_threadpool(report_html, ev, svc.kb, lang)
    return await run_in_threadpool(_download, html, fmt, f"{case.id}-{lang}")


@router.get("/cases/{case_id}/report.{fmt}")
async def download_saved(case_id: str, fmt: str, request: Request) -> Response:
    pages, svc = _pages(request), _svc(request)
    _fmt(fmt)
    case = await run_in_threadpool(svc.registry.get_case, case_id)
    lang = pages.lang(request)
    ev = await run_in_threadpool(svc.evaluate, case)
    html = await run_in_threadpool(report_html, ev, svc.kb, lang)
    await run_in_threadpool(svc.registry.record_export, case_id, _actor(request), fmt=fmt)
    return await run_in_threadpool(_download, html, fmt, f"{case_id}-{lang}")


@router.get("/cases")
def case_list(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    reg = _svc(request).registry
    items = reg.list_cases(q or None, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    total = reg.count_cases(q or None)
    name = "_case_rows.html" if request.headers.get("hx-request") else "cases.html"
    return _pages(request).render(
        request, name, items=items, q=q, page=page, total=total, more=page * PAGE_SIZE < total
    )


def _plot(svc: Service, case_id: str, version: int, case: Case, lang: str) -> tuple[Any, bool]:
    from ..report.plots import plot_timeline

    key = svc.key("plot", case_id, version, lang)
    svg = svc.plots.get(key)
    missing = False
    if svg is None:
        plot = plot_timeline(case, svc.kb, lang=lang, fmt="svg", warn=False)
        missing = plot.cjk_font_missing
        svg = svc.plots.put(key, plot.text())
    return inline_svg(svg), missing


def _case_context(svc: Service, case_id: str, lang: str) -> dict[str, Any]:
    reg = svc.registry
    case = reg.get_case(case_id)
    versions = reg.list_versions(case_id)
    plot, font_missing = _plot(svc, case_id, versions[-1].version, case, lang)
    return {
        "case_id": case_id,
        "case": case,
        "versions": versions,
        "history": list(reversed(reg.list_assessments(case_id))),
        "response": assess_response(case, svc.kb),
        "plot": plot,
        "font_missing": font_missing,
        "specimens": SPECIMENS,
        "concepts": sorted(svc.kb.concepts),
        **_result_context(svc, case, lang, []),
    }


@router.get("/cases/{case_id}")
async def case_page(case_id: str, request: Request) -> Response:
    pages, svc = _pages(request), _svc(request)
    context = await run_in_threadpool(_case_context, svc, case_id, pages.lang(request))
    return await run_in_threadpool(pages.render, request, "case.html", **context)


@router.post("/cases/{case_id}/observations")
async def add_observation(case_id: str, request: Request) -> Response:
    pages, svc = _pages(request), _svc(request)
    form = await pages.form(request)
    obs = observation_from_form(
        *(_text(form, k) for k in ("concept", "value", "unit", "specimen", "date"))
    )
    await run_in_threadpool(svc.add_observations, case_id, [obs], _actor(request))
    return RedirectResponse(f"/cases/{case_id}#response", status_code=303)


@router.post("/cases/{case_id}/assessments")
async def reassess(case_id: str, request: Request) -> Response:
    pages, svc = _pages(request), _svc(request)
    await pages.form(request)
    await run_in_threadpool(svc.assess, case_id, _actor(request))
    return RedirectResponse(f"/cases/{case_id}#history", status_code=303)


@router.post("/cases/{case_id}/delete")
async def delete(case_id: str, request: Request) -> Response:
    pages, svc = _pages(request), _svc(request)
    await pages.form(request)
    await run_in_threadpool(svc.registry.delete_case, case_id, _actor(request))
    return RedirectResponse("/cases", status_code=303)


@router.get("/lang")
def set_language(request: Request, set: str = "en", next: str = "/") -> Response:
    if set not in LANGUAGE_NAMES:
        raise ApiError(422, "invalid_input", f"unknown language '{set}'", "query.set")
    response = RedirectResponse(_local(next), status_code=303)
    _pages(request).cookie(response, LANG_COOKIE, set, max_age=365 * 24 * 3600)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    if not _pages(request).settings.login_required:
        return RedirectResponse(_local(next), status_code=303)
    pages = _pages(request)
    return pages.render(request, "login.html", next=_local(next), failed=False, **_scheme(request))


def _scheme(request: Request) -> dict[str, bool]:
    """A Secure cookie is not kept over plain HTTP: say so rather than loop at login."""
    return {"insecure": request.url.scheme == "http" and _pages(request).settings.cookies_secure}


@router.post("/login")
async def login(request: Request) -> Response:
    pages = _pages(request)
    form = await pages.form(request)
    target = _local(_text(form, "next"))
    name = verify_token(pages.settings.tokens, _text(form, "token").strip())
    if name is None:
        return pages.render(
            request, "login.html", 401, next=target, failed=True, **_scheme(request)
        )
    response = RedirectResponse(target, status_code=303)
    hours = pages.settings.session_hours
    value = pages.signer.session(name, hours)
    pages.cookie(response, SESSION_COOKIE, value, max_age=int(hours * 3600))
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await _pages(request).form(request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
