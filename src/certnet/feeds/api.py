"""REST routes of the feeds: upload a report, read runs, events and quarantined rows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from certnet.core.schemas import PageOut
from certnet.deps import PrincipalDep, SessionDep
from certnet.feeds import service
from certnet.feeds.schemas import EventRead, FeedRunRead, FeedRunSummary, QuarantinedRowRead

router = APIRouter(prefix="/feeds", tags=["feeds"])

Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.post("/ingest", response_model=FeedRunSummary)
def ingest(
    session: SessionDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile, File(description="A report, e.g. a Shadowserver CSV")],
    report_type: Annotated[
        str | None, Query(description="The report type; told from the file when omitted")
    ] = None,
    source: Annotated[str, Query(description="Who publishes the report")] = "shadowserver",
) -> FeedRunSummary:
    """Ingest an uploaded report: every row is stored, a duplicate, or quarantined with its
    reason; the summary proves ``rows = stored + duplicates + quarantined``."""
    return service.ingest(
        session=session,
        principal=principal,
        parser=service.parser_for(source),
        # The upload is spooled to disk by the server, so it streams and seeks like a file.
        stream=file.file,
        filename=file.filename,
        report_type=report_type,
    )


@router.get("/runs", response_model=PageOut[FeedRunRead])
def list_runs(
    session: SessionDep,
    principal: PrincipalDep,
    report_type: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> PageOut[FeedRunRead]:
    """Feed runs you may see, newest first."""
    page = service.list_runs(
        session=session, principal=principal, report_type=report_type, cursor=cursor, limit=limit
    )
    return PageOut(
        items=[FeedRunRead.model_validate(r) for r in page.items], next_cursor=page.next_cursor
    )


@router.get("/runs/{run_id}", response_model=FeedRunRead)
def get_run(session: SessionDep, principal: PrincipalDep, run_id: int) -> FeedRunRead:
    """One feed run and where its rows went."""
    return FeedRunRead.model_validate(
        service.get_run(session=session, principal=principal, run_id=run_id)
    )


@router.get("/runs/{run_id}/quarantine", response_model=PageOut[QuarantinedRowRead])
def list_quarantine(
    session: SessionDep,
    principal: PrincipalDep,
    run_id: int,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> PageOut[QuarantinedRowRead]:
    """The rows a run refused: line, original text and reason, in input order."""
    page = service.list_quarantine(
        session=session, principal=principal, run_id=run_id, cursor=cursor, limit=limit
    )
    return PageOut(
        items=[QuarantinedRowRead.model_validate(r) for r in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/events", response_model=PageOut[EventRead])
def list_events(
    session: SessionDep,
    principal: PrincipalDep,
    run_id: int | None = None,
    organisation_id: int | None = None,
    report_type: str | None = None,
    taxonomy: Annotated[str | None, Query(description="classification.taxonomy")] = None,
    classification_type: Annotated[str | None, Query(description="classification.type")] = None,
    seen_since: Annotated[datetime | None, Query(description="last seen at or after")] = None,
    seen_until: Annotated[datetime | None, Query(description="last seen before")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> PageOut[EventRead]:
    """Events you may see, newest first."""
    page = service.list_events(
        session=session,
        principal=principal,
        run_id=run_id,
        organisation_id=organisation_id,
        report_type=report_type,
        taxonomy=taxonomy,
        classification_type=classification_type,
        seen_since=seen_since,
        seen_until=seen_until,
        cursor=cursor,
        limit=limit,
    )
    return PageOut(
        items=[EventRead.model_validate(e) for e in page.items], next_cursor=page.next_cursor
    )
