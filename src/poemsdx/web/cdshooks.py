"""A CDS Hooks 2.0 service: POEMS syndrome criteria in the EHR, on ``patient-view``.

Endpoints (relative to where the router is mounted)::

    GET  /cds-services                        discovery
    POST /cds-services/poemsdx-poems          the service: cards for one patient
    POST /cds-services/poemsdx-poems/feedback which cards were accepted or overridden

``cds_router(settings)`` gives an ``APIRouter`` to include in a larger app;
``create_cds_app(settings)`` a complete FastAPI app (CORS for browser clients, one JSON
error shape). Every error is ``{"error": <code>, "message": <text>}`` with the HTTP
status the specification asks for: 401 (authentication), 412 (data cannot be had), 400
(malformed request), 404 (unknown service). Logs carry service ids, hook instances,
statuses and timings — never tokens or patient data.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from starlette.concurrency import run_in_threadpool

from ..errors import InputError
from ..evaluation import Evaluation, evaluate
from ..io.fhir import case_from_resources
from ..io.fhir._common import Names
from ..io.interop import ImportReport, code_map
from ..knowledge.registry import Knowledge, load_knowledge
from .cds_auth import AuthError, JwtVerifier, TrustedIssuer
from .cds_cards import PRIMARY, build_cards
from .cds_feedback import FeedbackRow, FeedbackStore
from .cds_fhir import (
    BadPrefetch,
    DataUnavailable,
    Fetcher,
    fill_template,
    prefetch_templates,
    resources_of,
)

__all__ = [
    "SERVICE_ID",
    "CdsService",
    "CdsSettings",
    "TrustedIssuer",
    "cds_router",
    "create_cds_app",
]

log = logging.getLogger(__name__)

SERVICE_ID = "poemsdx-poems"
HOOK = "patient-view"


@dataclass
class CdsSettings:
    """Configuration of the CDS Hooks service.

    ``issuers`` maps each trusted ``iss`` to its keys (a JWK Set and/or allow-listed
    ``jku`` URLs). ``service_base_url`` is the public URL of the app's root (as the EHR
    sees it, behind any proxy); a token's ``aud`` must equal it followed by the path
    called, e.g. ``<service_base_url>/cds-services/poemsdx-poems`` (default: the URL of
    the request as received). ``report_url`` is the absolute link
    to the full report shown on each card. ``http_transport`` replaces the network for
    FHIR and JWKS requests (tests use ``httpx.MockTransport`` or an ASGI app).
    """

    report_url: str = "http://127.0.0.1:8000/"
    service_base_url: str | None = None
    issuers: Mapping[str, TrustedIssuer] = field(default_factory=dict)
    require_auth: bool = True
    auth_discovery: bool = False
    algorithms: tuple[str, ...] = ("ES384", "RS384")
    leeway_s: float = 30.0
    max_token_lifetime_s: float = 300.0
    fhir_timeout_s: float = 5.0
    fhir_max_pages: int = 5
    fhir_max_bytes: int = 10_000_000
    allowed_fhir_servers: tuple[str, ...] | None = None
    http_transport: httpx.AsyncBaseTransport | None = None
    feedback_db: str = ":memory:"
    cors_origins: tuple[str, ...] = ("*",)
    source_label: str = "poemsdx"
    source_url: str | None = None
    lang: str = "en"
    knowledge_root: str | None = None


# -- request bodies --------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow")


class FhirAuthorization(_Body):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str


class HookRequest(_Body):
    hook: str
    hookInstance: str
    fhirServer: str | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _server_with_authorization(self) -> HookRequest:
        if self.fhirAuthorization is not None and not self.fhirServer:
            raise ValueError("fhirAuthorization needs fhirServer")
        return self


class _Coding(_Body):
    code: str
    system: str | None = None
    display: str | None = None


class _OverrideReason(_Body):
    reason: _Coding | None = None
    userComment: str | None = None


class _Accepted(_Body):
    id: str


class FeedbackItem(_Body):
    card: str
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[_Accepted] | None = None
    overrideReason: _OverrideReason | None = None
    outcomeTimestamp: str


class FeedbackRequest(_Body):
    feedback: list[FeedbackItem]


# -- errors ----------------------------------------------------------------------------------


class CdsError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """The one JSON error shape of the service."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def _validation_message(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else err["msg"]


# -- the service -----------------------------------------------------------------------------


class CdsService:
    """State of one service instance: knowledge, keys, replay cache, feedback store."""

    def __init__(self, settings: CdsSettings, kb: Knowledge | None = None) -> None:
        self.settings = settings
        self.kb = kb or load_knowledge(settings.knowledge_root)
        self.cm = code_map(self.kb)
        self.names = Names(self.cm)
        self.templates = prefetch_templates(self.cm)
        self.verifier = JwtVerifier(
            settings.issuers,
            algorithms=settings.algorithms,
            leeway_s=settings.leeway_s,
            max_lifetime_s=settings.max_token_lifetime_s,
            transport=settings.http_transport,
        )
        self.fetcher = Fetcher(
            timeout_s=settings.fhir_timeout_s,
            max_pages=settings.fhir_max_pages,
            max_bytes=settings.fhir_max_bytes,
            allowed_servers=settings.allowed_fhir_servers,
            transport=settings.http_transport,
        )
        self.feedback = FeedbackStore(settings.feedback_db)

    def discovery(self) -> dict[str, Any]:
        return {
            "services": [
                {
                    "hook": HOOK,
                    "title": "POEMS syndrome criteria (poemsdx)",
                    "description": (
                        "Checks the published POEMS syndrome criteria (IMWG/Mayo, Japanese MHLW"
                        " and others) against the chart, shows the evidence for each criterion"
                        " and proposes the tests that would settle an undetermined verdict."
                    ),
                    "id": SERVICE_ID,
                    "prefetch": self.templates,
                }
            ]
        }

    def _audience(self, request: Request) -> str:
        base = self.settings.service_base_url
        if base:
            suffix = request.url.path[len(request.scope.get("root_path", "")) :]
            return base.rstrip("/") + suffix
        return str(request.url.replace(query=""))

    async def authenticate(self, request: Request) -> None:
        if not self.settings.require_auth:
            return
        try:
            await self.verifier.verify(
                request.headers.get("authorization"), self._audience(request)
            )
        except AuthError as exc:
            log.info("cds auth rejected path=%s reason=%s", request.url.path, exc.message)
            raise CdsError(401, "unauthorized", exc.message) from None

    async def call(self, request: Request, service_id: str) -> Response:
        started = time.perf_counter()
        if service_id != SERVICE_ID:
            raise CdsError(404, "not_found", f"no CDS service '{service_id}'")
        await self.authenticate(request)
        req = HookRequest.model_validate(await _json(request))
        if req.hook != HOOK:
            raise CdsError(
                400, "bad_request", f"service {SERVICE_ID} answers '{HOOK}', not '{req.hook}'"
            )
        patient_id = req.context.get("patientId")
        if not isinstance(patient_id, str) or not patient_id:
            raise CdsError(400, "bad_request", "context.patientId is required")
        resources, fetched = await self._resources(req)
        try:
            # CPU-bound (FHIR validation, the engine): off the event loop.
            ev, report = await run_in_threadpool(self._evaluate, resources)
        except InputError as exc:
            raise CdsError(400, "bad_request", f"FHIR data could not be read: {exc}") from None
        source: dict[str, Any] = {"label": self.settings.source_label}
        if self.settings.source_url:
            source["url"] = self.settings.source_url
        cards = build_cards(
            ev,
            self.kb,
            patient_id=patient_id,
            report_url=self.settings.report_url,
            source=source,
            test_system=self.names.test,
            lang=self.settings.lang,
            notes=[str(s) for s in report.skipped],
        )
        log.info(
            "cds call service=%s hookInstance=%s fetched=%d cards=%d ms=%.1f",
            SERVICE_ID,
            req.hookInstance,
            fetched,
            len(cards),
            (time.perf_counter() - started) * 1000,
        )
        return JSONResponse({"cards": cards})

    def _evaluate(
        self, resources: list[tuple[str, dict[str, Any]]]
    ) -> tuple[Evaluation, ImportReport]:
        case, report = case_from_resources(resources, self.kb, source="cds-hooks")
        # A card shows robustness for its headline set only: skip the other alternatives.
        return evaluate(case, None, None, self.kb, robustness=(PRIMARY,)), report

    async def _resources(self, req: HookRequest) -> tuple[list[tuple[str, dict[str, Any]]], int]:
        prefetch = req.prefetch or {}
        resources: list[tuple[str, dict[str, Any]]] = []
        missing = [k for k in self.templates if k not in prefetch]
        try:
            for key in self.templates:
                if key in prefetch:
                    resources += resources_of(key, prefetch[key], "prefetch")
        except BadPrefetch as exc:
            raise CdsError(400, "bad_request", exc.message) from None
        if not missing:
            return resources, 0
        if not req.fhirServer:
            raise CdsError(
                412,
                "precondition_failed",
                f"prefetch {', '.join(missing)} not provided and no fhirServer to fetch from",
            )
        queries = {k: fill_template(self.templates[k], req.context) for k in missing}
        auth = req.fhirAuthorization.model_dump() if req.fhirAuthorization else None
        try:
            found = await self.fetcher.fetch(req.fhirServer, auth, queries)
        except DataUnavailable as exc:
            raise CdsError(412, "precondition_failed", exc.message) from None
        for key, items in found.items():
            resources += [(f"fetched.{key}[{i}]", res) for i, res in enumerate(items)]
        return resources, len(missing)

    async def feedback_call(self, request: Request, service_id: str) -> Response:
        if service_id != SERVICE_ID:
            raise CdsError(404, "not_found", f"no CDS service '{service_id}'")
        await self.authenticate(request)
        body = FeedbackRequest.model_validate(await _json(request))
        for item in body.feedback:
            accepted = tuple(s.id for s in item.acceptedSuggestions or ())
            reason = (
                item.overrideReason.reason.code
                if item.overrideReason and item.overrideReason.reason
                else None
            )
            self.feedback.add(
                FeedbackRow(
                    SERVICE_ID, item.card, item.outcome, accepted, reason, item.outcomeTimestamp
                )
            )
            log.info(
                "cds feedback service=%s card=%s outcome=%s", SERVICE_ID, item.card, item.outcome
            )
        return Response(status_code=200)

    def router(self) -> APIRouter:
        """The endpoints of this service instance."""
        router = APIRouter()

        async def guarded(work: Coroutine[Any, Any, Response]) -> Response:
            try:
                return await work
            except CdsError as exc:
                return error_response(exc.status, exc.code, exc.message)
            except ValidationError as exc:
                return error_response(400, "bad_request", _validation_message(exc))

        async def discover(request: Request) -> Response:
            if self.settings.auth_discovery:
                await self.authenticate(request)
            return JSONResponse(self.discovery())

        @router.get("/cds-services")
        async def discovery(request: Request) -> Response:
            return await guarded(discover(request))

        @router.post("/cds-services/{service_id}")
        async def call(service_id: str, request: Request) -> Response:
            return await guarded(self.call(request, service_id))

        @router.post("/cds-services/{service_id}/feedback")
        async def feedback(service_id: str, request: Request) -> Response:
            return await guarded(self.feedback_call(request, service_id))

        return router


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise CdsError(400, "bad_request", "the body is not JSON") from None


def cds_router(settings: CdsSettings, kb: Knowledge | None = None) -> APIRouter:
    """An ``APIRouter`` with the discovery, service and feedback endpoints."""
    return CdsService(settings, kb).router()


def create_cds_app(settings: CdsSettings, kb: Knowledge | None = None) -> FastAPI:
    """A FastAPI app serving the CDS Hooks endpoints, with CORS and JSON errors."""
    app = FastAPI(title="poemsdx CDS Hooks", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
    )
    service = CdsService(settings, kb)
    app.include_router(service.router())
    app.state.cds_service = service

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        return error_response(404, "not_found", f"no such endpoint: {request.url.path}")

    @app.exception_handler(405)
    async def not_allowed(request: Request, exc: Exception) -> Response:
        return error_response(405, "method_not_allowed", f"{request.method} is not allowed here")

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> Response:
        log.error("cds internal error path=%s type=%s", request.url.path, type(exc).__name__)
        return error_response(500, "internal_error", "the service failed; the error was logged")

    return app
