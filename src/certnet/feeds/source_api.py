"""REST routes of the feed sources: list, add and remove where reports are collected from.
(Collection itself is a job — ``feeds.collect_due`` / ``feeds.collect_source`` — run by
``certnet worker`` or the embedded runner, or now with ``certnet feeds collect``.)"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from certnet.deps import PrincipalDep, SessionDep
from certnet.feeds import sources
from certnet.feeds.source_schemas import FeedSourceCreate, FeedSourceRead

router = APIRouter(prefix="/feeds/sources", tags=["feeds"])


@router.get("", response_model=list[FeedSourceRead])
def list_sources(session: SessionDep, principal: PrincipalDep) -> list[FeedSourceRead]:
    """Feed sources you may see, by name."""
    return [
        FeedSourceRead.model_validate(s)
        for s in sources.list_sources(session=session, principal=principal)
    ]


@router.post("", response_model=FeedSourceRead, status_code=status.HTTP_201_CREATED)
def add_source(
    session: SessionDep, principal: PrincipalDep, data: FeedSourceCreate
) -> FeedSourceRead:
    """Add a feed source. ``secret_env`` names the environment variable of the worker that
    holds the password or token; the secret itself is never sent to certnet."""
    source = sources.add_source(session=session, principal=principal, data=data)
    return FeedSourceRead.model_validate(source)


@router.get("/{name}", response_model=FeedSourceRead)
def get_source(session: SessionDep, principal: PrincipalDep, name: str) -> FeedSourceRead:
    """One feed source."""
    return FeedSourceRead.model_validate(
        sources.get_source(session=session, principal=principal, name=name)
    )


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
def remove_source(session: SessionDep, principal: PrincipalDep, name: str) -> Response:
    """Remove a feed source; what it collected stays."""
    sources.remove_source(session=session, principal=principal, name=name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
