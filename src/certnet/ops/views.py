"""Console page of operations: the audit chain as those who may read it see it."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from certnet.ops import service
from certnet.web.console import ConsoleDep, ConsoleRoute

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

PAGE_SIZE = 50


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    console: ConsoleDep, object_type: str = "", actor: str = "", cursor: str = ""
) -> HTMLResponse:
    """Audit entries the viewer may read, in chain order, filtered by object type and actor.
    For a role that does not read the chain the service finds nothing, and the page says so."""
    page = service.list_audit(
        session=console.session,
        principal=console.principal,
        object_type=object_type.strip() or None,
        actor=actor.strip() or None,
        cursor=cursor or None,
        limit=PAGE_SIZE,
        newest_first=True,  # a duty officer looks for what just happened
    )
    filters = {"object_type": object_type, "actor": actor}
    kept = {k: v for k, v in filters.items() if v}
    return console.render(
        "ops/audit.html",
        entries=page.items,
        filters=filters,
        next_url="/audit?" + urlencode({**kept, "cursor": page.next_cursor})
        if page.next_cursor
        else None,
        first_url=("/audit?" + urlencode(kept)).rstrip("?") if cursor else None,
    )
