"""Console pages of the incidents domain: the CERT queue with bulk actions, the incident page,
the dashboard with its plots, the intake quarantine, and the constituent portal (report, follow
my organisation's incidents, submit the next stage report, answer the CERT).

Every read and change goes through the incidents service (or the intake's), which applies the
access policy; these views parse forms, call one service function each, and render.
"""

from __future__ import annotations

from fastapi import APIRouter

from certnet.incidents.views import case, dashboard, intake, queue, report
from certnet.web.console import ConsoleRoute

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
# The fixed paths (/incidents/report, /dashboard, /intake) before /incidents/{incident_id}.
for part in (queue, report, dashboard, intake, case):
    router.include_router(part.router)
