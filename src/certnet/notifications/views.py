"""Console page of the outbox: what certnet sent to whom, its delivery state, and a retry for
a message that failed. Reads and the retry go through the notifications service."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from certnet.core.errors import Invalid
from certnet.notifications import service
from certnet.notifications.models import MessageState
from certnet.web.console import ConsoleDep, ConsoleRoute, FormConsoleDep, url

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

PAGE_SIZE = 50


@router.get("/notifications", response_class=HTMLResponse)
def outbox_page(
    console: ConsoleDep, state: str = "", ticket: str = "", cursor: str = "", done: str = ""
) -> HTMLResponse:
    """Outgoing messages the viewer may see, newest first, with counts per delivery state."""
    try:
        chosen = MessageState(state) if state else None
    except ValueError:
        raise Invalid.on("state", f"unknown state {state!r}") from None
    page = service.list_messages(
        session=console.session,
        principal=console.principal,
        state=chosen,
        ticket=ticket.strip() or None,
        cursor=cursor or None,
        limit=PAGE_SIZE,
    )
    return console.render(
        "notifications/outbox.html",
        messages=page.items,
        counts=service.counts(session=console.session, principal=console.principal),
        state=state,
        ticket=ticket,
        states=list(MessageState),
        done=done,
        next_url=url("/notifications", state=state, ticket=ticket, cursor=page.next_cursor)
        if page.next_cursor
        else None,
        first_url=url("/notifications", state=state, ticket=ticket) if cursor else None,
    )


@router.post("/notifications/{message_id}/retry", response_model=None)
def retry(console: FormConsoleDep, message_id: int) -> Response:
    """Queue a failed message again."""
    service.retry(session=console.session, principal=console.principal, message_id=message_id)
    return RedirectResponse("/notifications?done=retry&state=queued", status_code=303)
