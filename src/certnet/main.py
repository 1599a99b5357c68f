"""The application factory: API under /api/v1, the console at /, health and metrics."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from certnet import __version__
from certnet.advisories import api as advisories_api
from certnet.config import Settings, get_settings
from certnet.constituency import api as constituency_api
from certnet.core import logging as certnet_logging
from certnet.core.errors import install_problem_handlers
from certnet.db.session import make_engine, session_factory
from certnet.feeds import api as feeds_api
from certnet.feeds import source_api as feeds_source_api
from certnet.findings import api as findings_api
from certnet.identity import api as identity_api
from certnet.incidents import api as incidents_api
from certnet.jobs import embedded as jobs_embedded
from certnet.notifications import api as notifications_api
from certnet.ops import api as ops_api
from certnet.ops import middleware
from certnet.profiles import service as profiles
from certnet.risk import api as risk_api
from certnet.web import views as web_views

API_PREFIX = "/api/v1"
STATIC = Path(__file__).parent / "web" / "static"


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build certnet's ASGI app for ``engine`` (default: ``CERTNET_DATABASE_URL``)."""
    settings = settings or get_settings()
    certnet_logging.configure(settings.log_level, settings.log_json)
    # An unknown CERTNET_PROFILE stops the start with its name, not the first request using it.
    profiles.load(settings.profile)
    app = FastAPI(
        title="certnet",
        version=__version__,
        summary="The platform a national network of CERTs runs on",
        openapi_url=f"{API_PREFIX}/openapi.json",
        # The bundled documentation pages load their scripts from a CDN; CERT consoles run in
        # closed networks, so they are off. The OpenAPI document itself is served.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    app.state.session_factory = session_factory(app.state.engine)
    app.state.metrics_registry = CollectorRegistry()
    middleware.install(app, middleware.HttpMetrics(app.state.metrics_registry))
    install_problem_handlers(app)
    app.include_router(constituency_api.router, prefix=API_PREFIX)
    app.include_router(identity_api.router, prefix=API_PREFIX)
    app.include_router(feeds_api.router, prefix=API_PREFIX)
    app.include_router(feeds_source_api.router, prefix=API_PREFIX)
    app.include_router(findings_api.router, prefix=API_PREFIX)
    app.include_router(incidents_api.router, prefix=API_PREFIX)
    app.include_router(risk_api.router, prefix=API_PREFIX)
    app.include_router(advisories_api.router, prefix=API_PREFIX)
    app.include_router(notifications_api.router, prefix=API_PREFIX)
    app.include_router(ops_api.api_router, prefix=API_PREFIX)
    app.include_router(ops_api.root_router)
    # The CSAF provider directory lives at the standard's well-known path, not under /api/v1.
    app.include_router(advisories_api.wellknown_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    web_views.install(app)
    if settings.embedded_worker:
        # Jobs run in this process while it serves (embedded SQLite, one process).
        app.router.lifespan_context = jobs_embedded.lifespan(app.state.session_factory, settings)
    return app
