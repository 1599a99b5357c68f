"""The console shell: the dashboard, and :func:`install`, which adds every domain's console
routes and the error pages to the app."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse

from certnet.advisories import views as advisories_views
from certnet.constituency import service as constituency
from certnet.constituency import views as constituency_views
from certnet.constituency.models import ResourceKind
from certnet.feeds import views as feeds_views
from certnet.findings import views as findings_views
from certnet.identity import views as identity_views
from certnet.incidents import service as incidents
from certnet.incidents import views as incidents_views
from certnet.incidents.schemas import IncidentFilter
from certnet.notifications import views as notifications_views
from certnet.ops import views as ops_views
from certnet.profiles import service as profiles
from certnet.risk import views as risk_views
from certnet.web import auth
from certnet.web.console import ConsoleDep, ConsoleRoute, install_error_pages
from certnet.web.tree import CertNode, layout

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@dataclass(frozen=True)
class Counts:
    """What the dashboard's tiles show, all within the viewer's sight."""

    certs: int
    organisations: int
    cii: int
    prefixes: int


@router.get("/", response_class=HTMLResponse)
def dashboard(console: ConsoleDep) -> HTMLResponse:
    """Counts of what the viewer can see, and the CERT network as a tree."""
    session, principal = console.session, console.principal
    certs = constituency.all_certs(session=session, principal=principal)
    counts = Counts(
        certs=len(certs),
        organisations=constituency.count_organisations(session=session, principal=principal),
        cii=constituency.count_organisations(session=session, principal=principal, cii=True),
        prefixes=constituency.count_resources(
            session=session, principal=principal, kind=ResourceKind.PREFIX
        ),
    )
    drawing = layout(
        CertNode(id=c.id, short_name=c.short_name, name=c.name, tier=c.tier, parent_id=c.parent_id)
        for c in certs
    )
    tier_names = {t.id: t.name for t in profiles.active().tiers}
    work = incidents.counts(
        session=session, principal=principal, filters=IncidentFilter(open_only=True)
    )
    return console.render(
        "web/dashboard.html",
        counts=counts,
        work=work,
        drawing=drawing,
        tier_names=tier_names,
    )


def install(app: FastAPI) -> None:
    """Add the console's routes and error pages to ``app``."""
    install_error_pages(app)
    app.include_router(auth.router)
    app.include_router(router)
    app.include_router(constituency_views.router)
    app.include_router(identity_views.router)
    app.include_router(ops_views.router)
    app.include_router(feeds_views.router)
    app.include_router(findings_views.router)
    app.include_router(incidents_views.router)
    app.include_router(risk_views.router)
    app.include_router(advisories_views.router)
    app.include_router(notifications_views.router)
