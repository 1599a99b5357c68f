"""The incidents dashboard: incidents over time by RSIT class and sector, clocks met,
time to resolve, correlations."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from certnet.core import clock
from certnet.incidents import service
from certnet.incidents.intake import service as intake
from certnet.incidents.views.common import (
    DASHBOARD_DAYS,
    is_constituent,
    names_for,
)
from certnet.incidents.views.plots import clock_bar, resolve_bars, stacked_bars
from certnet.web.console import (
    ConsoleDep,
    ConsoleRoute,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/incidents/dashboard", response_class=HTMLResponse)
def dashboard(console: ConsoleDep, days: int = DASHBOARD_DAYS) -> HTMLResponse:
    """Incidents over time by RSIT class and by sector, clocks met, and time to resolve."""
    days = min(max(days, 7), 366)
    session, principal = console.session, console.principal
    now = clock.now()
    since = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    by_class = service.daily_counts(
        session=session, principal=principal, by="rsit_class", since=since
    )
    by_sector = service.daily_counts(session=session, principal=principal, by="sector", since=since)
    metrics = service.metrics(session=session, principal=principal, group_by="sector", now=now)
    day_list = [(since + timedelta(days=n)).date().isoformat() for n in range(days)]
    return console.render(
        "incidents/dashboard.html",
        days=days,
        held=0
        if is_constituent(console)
        else intake.count_held(session=session, principal=principal),
        metrics=metrics,
        by_class=stacked_bars(by_class, day_list),
        by_sector=stacked_bars(by_sector, day_list),
        clocks=clock_bar(metrics.stages_on_time, metrics.stages_late, metrics.stages_overdue),
        resolve=resolve_bars(metrics),
        correlations=service.correlations(session=session, principal=principal, limit=20),
        names=names_for(console, ()),
    )
