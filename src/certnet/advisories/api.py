"""REST routes of the advisories domain, and the public CSAF provider directory.

``router`` goes under ``/api/v1``; ``wellknown_router`` is mounted at the site root (its
paths are fixed by CSAF 2.0: ``/.well-known/csaf/…``) and serves TLP:CLEAR documents only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from certnet.advisories import answers, dissemination, provider, publisher, service
from certnet.advisories.models import AdvisoryStatus
from certnet.advisories.schemas import (
    AdvisoryCreate,
    AdvisoryRead,
    AdvisoryUpdate,
    AnswerBoard,
    AnswerIn,
    AnswerRead,
    DisseminationRead,
    PublishRequest,
    PublishResult,
    RevisionRead,
)
from certnet.core.schemas import PageOut
from certnet.deps import PrincipalDep, SessionDep

router = APIRouter(prefix="/advisories", tags=["advisories"])
wellknown_router = APIRouter(prefix=provider.WELL_KNOWN, tags=["csaf provider"])

Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=1000)]
CSAF_JSON = "application/json"


@router.get("", response_model=PageOut[AdvisoryRead])
def list_advisories(
    session: SessionDep,
    principal: PrincipalDep,
    status: AdvisoryStatus | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> PageOut[AdvisoryRead]:
    """Advisories you may see, newest first (drafts only within the publisher's hierarchy)."""
    page = service.list_advisories(
        session=session, principal=principal, status=status, cursor=cursor, limit=limit
    )
    return PageOut(
        items=[AdvisoryRead.model_validate(a) for a in page.items], next_cursor=page.next_cursor
    )


@router.post("", response_model=AdvisoryRead, status_code=201)
def create(session: SessionDep, principal: PrincipalDep, data: AdvisoryCreate) -> AdvisoryRead:
    """Author a new advisory (a draft) with a tracking id in your CERT's namespace."""
    return AdvisoryRead.model_validate(
        service.create(session=session, principal=principal, data=data)
    )


@router.get("/received", response_model=PageOut[DisseminationRead])
def received(
    session: SessionDep, principal: PrincipalDep, cursor: Cursor = None, limit: Limit = 50
) -> PageOut[DisseminationRead]:
    """The dissemination log you may see: for an organisation, the advisories it received."""
    page = dissemination.disseminations(
        session=session, principal=principal, cursor=cursor, limit=limit
    )
    return PageOut(
        items=[DisseminationRead.model_validate(d) for d in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/{advisory_id}", response_model=AdvisoryRead)
def get(session: SessionDep, principal: PrincipalDep, advisory_id: int) -> AdvisoryRead:
    """One advisory."""
    return AdvisoryRead.model_validate(
        service.get(session=session, principal=principal, advisory_id=advisory_id)
    )


@router.patch("/{advisory_id}", response_model=AdvisoryRead)
def update(
    session: SessionDep, principal: PrincipalDep, advisory_id: int, data: AdvisoryUpdate
) -> AdvisoryRead:
    """Change an advisory; a published one goes out again with its next revision."""
    return AdvisoryRead.model_validate(
        service.update(session=session, principal=principal, advisory_id=advisory_id, data=data)
    )


@router.get("/{advisory_id}/preview", response_model=dict[str, Any])
def preview(session: SessionDep, principal: PrincipalDep, advisory_id: int) -> JSONResponse:
    """The CSAF 2.0 document the current content makes (a draft, or the next revision)."""
    doc = service.preview(session=session, principal=principal, advisory_id=advisory_id)
    return JSONResponse(doc, media_type=CSAF_JSON)


@router.get("/{advisory_id}/csaf", response_model=dict[str, Any])
def csaf_document(
    session: SessionDep,
    principal: PrincipalDep,
    advisory_id: int,
    version: Annotated[
        int | None, Query(ge=1, description="a revision; the latest if omitted")
    ] = None,
) -> JSONResponse:
    """A published revision's CSAF 2.0 document, exactly as it went out."""
    revision = service.document(
        session=session, principal=principal, advisory_id=advisory_id, version=version
    )
    return JSONResponse(revision.document, media_type=CSAF_JSON)


@router.post("/{advisory_id}/publish", response_model=PublishResult)
def publish(
    session: SessionDep, principal: PrincipalDep, advisory_id: int, data: PublishRequest
) -> PublishResult:
    """Publish the next revision (after the CSAF mandatory tests) and disseminate it to the
    organisations whose assets match."""
    done = service.publish(session=session, principal=principal, advisory_id=advisory_id, data=data)
    return PublishResult(
        advisory=AdvisoryRead.model_validate(done.advisory),
        revision=RevisionRead.model_validate(done.revision),
        disseminations=[DisseminationRead.model_validate(d) for d in done.disseminations],
    )


@router.get("/{advisory_id}/revisions", response_model=list[RevisionRead])
def revisions(session: SessionDep, principal: PrincipalDep, advisory_id: int) -> list[RevisionRead]:
    """The published revisions, oldest first."""
    return [
        RevisionRead.model_validate(r)
        for r in service.revisions(session=session, principal=principal, advisory_id=advisory_id)
    ]


@router.get("/{advisory_id}/disseminations", response_model=PageOut[DisseminationRead])
def disseminations(
    session: SessionDep,
    principal: PrincipalDep,
    advisory_id: int,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> PageOut[DisseminationRead]:
    """Who got which revision, when, and at which addresses."""
    service.get(session=session, principal=principal, advisory_id=advisory_id)
    page = dissemination.disseminations(
        session=session, principal=principal, advisory_id=advisory_id, cursor=cursor, limit=limit
    )
    return PageOut(
        items=[DisseminationRead.model_validate(d) for d in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/{advisory_id}/answers", response_model=AnswerBoard)
def answer_board(session: SessionDep, principal: PrincipalDep, advisory_id: int) -> AnswerBoard:
    """Each targeted organisation's answer, and who has not answered by the deadline."""
    return answers.answer_board(session=session, principal=principal, advisory_id=advisory_id)


@router.post("/{advisory_id}/answers", response_model=AnswerRead)
def answer(
    session: SessionDep, principal: PrincipalDep, advisory_id: int, data: AnswerIn
) -> AnswerRead:
    """Answer an advisory your organisation received: patched, not affected, mitigated or
    needs help, with a note."""
    return AnswerRead.model_validate(
        answers.answer(session=session, principal=principal, advisory_id=advisory_id, data=data)
    )


# --- the CSAF provider directory (public, TLP:CLEAR only) --------------------------------------


def _base_url(request: Request) -> str:
    configured = publisher.public_url()
    if configured != publisher.DEFAULT_PUBLIC_URL:
        return configured
    return str(request.base_url).rstrip("/")


@wellknown_router.get("/provider-metadata.json", response_model=dict[str, Any])
def provider_metadata(request: Request, session: SessionDep) -> JSONResponse:
    """The CSAF provider metadata of this installation."""
    return JSONResponse(
        provider.provider_metadata(session=session, base_url=_base_url(request)),
        media_type=CSAF_JSON,
    )


@wellknown_router.get(f"/{provider.CLEAR_FOLDER}/", response_class=HTMLResponse)
def clear_folder(session: SessionDep) -> HTMLResponse:
    """A listing of the TLP:CLEAR folder: its year folders, ``index.txt`` and ``changes.csv``."""
    return HTMLResponse(provider.listing(session=session))


@wellknown_router.get(f"/{provider.CLEAR_FOLDER}/{{year}}/", response_class=HTMLResponse)
def year_folder(session: SessionDep, year: str) -> HTMLResponse:
    """A listing of one year's TLP:CLEAR documents and their hash files."""
    return HTMLResponse(provider.listing(session=session, year=year))


@wellknown_router.get(f"/{provider.CLEAR_FOLDER}/index.txt", response_class=PlainTextResponse)
def index_txt(session: SessionDep) -> PlainTextResponse:
    """Every TLP:CLEAR document's path."""
    return PlainTextResponse(provider.index_txt(session=session))


@wellknown_router.get(f"/{provider.CLEAR_FOLDER}/changes.csv", response_class=PlainTextResponse)
def changes_csv(session: SessionDep) -> PlainTextResponse:
    """Path and current release date of every TLP:CLEAR document, newest first."""
    return PlainTextResponse(provider.changes_csv(session=session), media_type="text/csv")


@wellknown_router.get(f"/{provider.CLEAR_FOLDER}/{{year}}/{{name}}")
def document_file(session: SessionDep, year: str, name: str) -> Response:
    """A TLP:CLEAR CSAF document, or its ``.sha256`` / ``.sha512`` file."""
    content, media_type = provider.file(session=session, year=year, name=name)
    return Response(content, media_type=media_type)
