"""REST routes of the outbox: what was sent to whom, its delivery state, and a retry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from certnet.core.schemas import PageOut
from certnet.deps import PrincipalDep, SessionDep
from certnet.notifications import service
from certnet.notifications.models import MessageState
from certnet.notifications.schemas import MessageRead

router = APIRouter(prefix="/notifications", tags=["notifications"])

Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/messages", response_model=PageOut[MessageRead])
def list_messages(
    session: SessionDep,
    principal: PrincipalDep,
    state: MessageState | None = None,
    object_type: str | None = None,
    ticket: str | None = None,
    organisation_id: int | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> PageOut[MessageRead]:
    """Outgoing messages you may see, newest first."""
    page = service.list_messages(
        session=session,
        principal=principal,
        state=state,
        object_type=object_type,
        ticket=ticket,
        organisation_id=organisation_id,
        cursor=cursor,
        limit=limit,
    )
    return PageOut(
        items=[MessageRead.model_validate(m) for m in page.items], next_cursor=page.next_cursor
    )


@router.get("/messages/{message_id}", response_model=MessageRead)
def get_message(session: SessionDep, principal: PrincipalDep, message_id: int) -> MessageRead:
    """One message, its content and delivery state."""
    return MessageRead.model_validate(
        service.get_message(session=session, principal=principal, message_id=message_id)
    )


@router.post("/messages/{message_id}/retry", response_model=MessageRead)
def retry(session: SessionDep, principal: PrincipalDep, message_id: int) -> MessageRead:
    """Queue a failed message again."""
    return MessageRead.model_validate(
        service.retry(session=session, principal=principal, message_id=message_id)
    )
