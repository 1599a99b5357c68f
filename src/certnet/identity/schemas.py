"""API and service shapes of identity: users and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from certnet.core.access import Role

Username = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")
]
Scope = Annotated[str, StringConstraints(pattern=r"^(read|write)$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class UserCreate(_In):
    username: Username
    display_name: str = Field(min_length=2, max_length=200)
    email: EmailStr
    role: Role
    cert_id: int | None = None
    organisation_id: int | None = None
    password: str = Field(min_length=1, max_length=1024, repr=False)

    @model_validator(mode="after")
    def _one_home(self) -> UserCreate:
        if (self.cert_id is None) == (self.organisation_id is None):
            raise ValueError("a user belongs to exactly one CERT or one organisation")
        if self.role.is_constituent != (self.organisation_id is not None):
            raise ValueError(
                f"role {self.role.value} belongs to "
                + ("an organisation" if self.role.is_constituent else "a CERT")
            )
        return self


class UserUpdate(_In):
    display_name: str | None = Field(default=None, min_length=2, max_length=200)
    email: EmailStr | None = None
    role: Role | None = None
    is_active: bool | None = None


class PasswordChange(_In):
    current_password: str | None = Field(default=None, repr=False)
    new_password: str = Field(min_length=1, max_length=1024, repr=False)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    email: str
    role: Role
    cert_id: int | None
    organisation_id: int | None
    is_active: bool
    totp_enabled: bool
    created_at: datetime
    last_login_at: datetime | None


class TokenCreate(_In):
    name: str = Field(min_length=2, max_length=200)
    scopes: list[Scope] = Field(default_factory=lambda: ["read"], min_length=1)
    expires_in_days: int = Field(default=90, ge=1, le=365)
    user_id: int | None = Field(default=None, description="Defaults to the caller")


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="The secret. Shown once; certnet keeps only its hash.")
