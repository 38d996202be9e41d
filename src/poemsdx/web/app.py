"""The web application: pages, the REST API and the CDS Hooks service in one ASGI app.

::

    /                     paste or upload → result page (checklists, evidence in the source)
    /cases, /cases/{id}   the registry: search; a case with timeline, response, history
    /api/v1/...           REST API; OpenAPI document at /api/v1/openapi.json
    /cds/cds-services     CDS Hooks 2.0 (mounted when its module imports)
    /static/...           app.css, app.js and htmx 2.0.11 (vendored: no CDN)

``create_app(settings)`` builds it; ``serve(settings)`` runs it under uvicorn with the
access log off — uvicorn's lines carry the query string, which can carry names; our own
middleware logs the route template instead.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..knowledge.registry import Knowledge, load_knowledge
from ..registry import Registry
from . import api, views
from .errors import install_error_handler
from .middleware import SecurityMiddleware
from .pages import Pages
from .security import Signer
from .service import Service
from .settings import WebSettings

__all__ = ["create_app", "serve", "settle"]

log = logging.getLogger("poemsdx.web")


def create_app(
    settings: WebSettings | None = None,
    *,
    kb: Knowledge | None = None,
    registry: Registry | None = None,
) -> FastAPI:
    """The app for ``settings`` (default: ``WebSettings.from_env()``); refuses unsafe
    settings (``InputError``) before anything is opened. A ``registry`` passed in stays
    open after the app stops; one opened here is closed with it."""
    settings = (settings or WebSettings.from_env()).check()
    kb = kb or load_knowledge(settings.knowledge_root)
    owned = registry is None
    reg = registry or Registry.open(settings.database_url, kb=kb)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned:
                reg.close()

    app = FastAPI(
        title="poemsdx",
        version=__version__,
        summary="Diagnostic criteria for POEMS syndrome and its mimics, with the evidence shown.",
        openapi_url=f"{api.API_PREFIX}/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc load from a CDN; the pages load nothing external
        redoc_url=None,
        lifespan=lifespan,
    )
    signer = Signer(settings.secret_key)
    pages = Pages(settings, signer, kb)
    app.state.settings = settings
    app.state.kb = kb
    app.state.service = Service(kb, reg, settings.cache_bytes)
    app.state.pages = pages
    app.state.render_error = pages.render_error
    install_error_handler(app)
    app.include_router(api.router)
    app.include_router(views.router)
    app.mount("/static", StaticFiles(packages=[("poemsdx.web", "static")]), name="static")
    _mount_cds(app, settings, kb)
    app.add_middleware(SecurityMiddleware, settings=settings, signer=signer)
    return app


def _mount_cds(app: FastAPI, settings: WebSettings, kb: Knowledge) -> None:
    """Mount the CDS Hooks service under /cds with its own errors, CORS and JWT auth."""
    if not settings.mount_cds:
        return
    try:
        from .cdshooks import CdsSettings, create_cds_app
    except ImportError as exc:  # the CDS module is optional here
        log.warning("CDS Hooks service not mounted: %s", type(exc).__name__)
        return
    cds = settings.cds or CdsSettings(report_url=f"http://{settings.host}:{settings.port}/")
    app.mount("/cds", create_cds_app(cds, kb))


def serve(settings: WebSettings) -> None:
    """Run the app under uvicorn until interrupted."""
    import uvicorn

    app = create_app(settings)
    settle(app.state.kb)
    logging.getLogger("poemsdx.web").setLevel(logging.INFO)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        access_log=False,
        server_header=False,
        log_level="info",
    )


def settle(kb: Knowledge) -> None:
    """Build before the first request what it would otherwise build (text lexicons and
    automata, the FHIR models, computed features), then move that long-lived object graph
    out of the cyclic GC's reach. A full collection walks every tracked object: with the
    knowledge base and the FHIR models unfrozen it takes tens of milliseconds, which shows
    as the p99 of every endpoint."""
    from ..engine.evaluate import feature
    from ..extract.resources import resources

    resources(kb)
    feature("")  # imports the modules that register computed features
    try:
        from ..io.fhir import warm_up
    except ImportError:  # the interop extra is not installed
        pass
    else:
        warm_up()
    gc.collect()
    gc.freeze()
