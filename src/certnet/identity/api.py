"""REST routes of identity: users, passwords, TOTP, API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from certnet.core.access import Role
from certnet.core.schemas import PageOut
from certnet.deps import PrincipalDep, SessionDep
from certnet.identity import service
from certnet.identity.schemas import (
    PasswordChange,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)

router = APIRouter(tags=["identity"])


@router.get("/me", response_model=UserRead)
def me(session: SessionDep, principal: PrincipalDep) -> UserRead:
    """The signed-in user."""
    assert principal.user_id is not None
    return UserRead.model_validate(
        service.get_user(session=session, principal=principal, user_id=principal.user_id)
    )


@router.get("/users", response_model=PageOut[UserRead])
def list_users(
    session: SessionDep,
    principal: PrincipalDep,
    cert_id: int | None = None,
    organisation_id: int | None = None,
    role: Role | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> PageOut[UserRead]:
    page = service.list_users(
        session=session,
        principal=principal,
        cert_id=cert_id,
        organisation_id=organisation_id,
        role=role,
        cursor=cursor,
        limit=limit,
    )
    return PageOut(
        items=[UserRead.model_validate(u) for u in page.items], next_cursor=page.next_cursor
    )


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(session: SessionDep, principal: PrincipalDep, body: UserCreate) -> UserRead:
    return UserRead.model_validate(
        service.create_user(session=session, principal=principal, data=body)
    )


@router.get("/users/{user_id}", response_model=UserRead)
def get_user(session: SessionDep, principal: PrincipalDep, user_id: int) -> UserRead:
    return UserRead.model_validate(
        service.get_user(session=session, principal=principal, user_id=user_id)
    )


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(
    session: SessionDep, principal: PrincipalDep, user_id: int, body: UserUpdate
) -> UserRead:
    return UserRead.model_validate(
        service.update_user(session=session, principal=principal, user_id=user_id, data=body)
    )


@router.post("/users/{user_id}/password", status_code=204)
def change_password(
    session: SessionDep, principal: PrincipalDep, user_id: int, body: PasswordChange
) -> Response:
    service.change_password(session=session, principal=principal, user_id=user_id, data=body)
    return Response(status_code=204)


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens(
    session: SessionDep, principal: PrincipalDep, user_id: int | None = None
) -> list[TokenRead]:
    """API tokens you may see: your own, and as an admin those of your users."""
    tokens = service.list_tokens(session=session, principal=principal, user_id=user_id)
    return [TokenRead.model_validate(t) for t in tokens]


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(session: SessionDep, principal: PrincipalDep, body: TokenCreate) -> TokenCreated:
    """A new token. The secret is in this response only; certnet keeps its hash."""
    token, secret = service.create_token(session=session, principal=principal, data=body)
    return TokenCreated(**TokenRead.model_validate(token).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(session: SessionDep, principal: PrincipalDep, token_id: int) -> Response:
    service.revoke_token(session=session, principal=principal, token_id=token_id)
    return Response(status_code=204)
