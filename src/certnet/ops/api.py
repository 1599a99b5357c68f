"""Operator endpoints (/healthz, /metrics) and the audit chain under /api/v1/audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from certnet.core.schemas import PageOut
from certnet.deps import PrincipalDep, SessionDep
from certnet.ops import service
from certnet.ops.schemas import AuditEntryRead, AuditVerificationRead, HealthRead

root_router = APIRouter(tags=["operations"])
api_router = APIRouter(tags=["audit"])


@root_router.get("/healthz", response_model=HealthRead)
def healthz(request: Request) -> JSONResponse:
    """200 when the database answers and its schema is at the shipped head; 503 otherwise."""
    health = service.health(request.app.state.engine)
    body = HealthRead(
        status="ok" if health.ok else "unavailable",
        database=health.database,
        revision=health.revision,
        head=health.head,
    )
    return JSONResponse(body.model_dump(), status_code=200 if health.ok else 503)


@root_router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus text exposition of certnet's request counters and latencies."""
    return Response(
        generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST
    )


@api_router.get("/audit", response_model=PageOut[AuditEntryRead])
def list_audit(
    session: SessionDep,
    principal: PrincipalDep,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    newest_first: bool = False,
) -> PageOut[AuditEntryRead]:
    """Audit entries about the part of the network you may see, in chain order (or newest
    first)."""
    page = service.list_audit(
        newest_first=newest_first,
        session=session,
        principal=principal,
        object_type=object_type,
        object_id=object_id,
        actor=actor,
        cursor=cursor,
        limit=limit,
    )
    return PageOut(
        items=[AuditEntryRead.model_validate(e) for e in page.items], next_cursor=page.next_cursor
    )


@api_router.get("/audit/verify", response_model=AuditVerificationRead)
def verify_audit(session: SessionDep, principal: PrincipalDep) -> AuditVerificationRead:
    """Walk the whole chain; only those who may read every entry may run it."""
    result = service.verify_audit(session=session, principal=principal)
    return AuditVerificationRead(
        ok=result.ok, entries=result.entries, broken_seq=result.broken_seq, reason=result.reason
    )
