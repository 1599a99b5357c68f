"""Users, their API tokens, console sessions and login attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from certnet.core.access import Role
from certnet.core.ownership import Ownership
from certnet.db.base import Base, enum_column, intpk, name_str


class User(Base):
    """A person who signs in. Belongs to exactly one CERT or one constituent organisation."""

    __tablename__ = "app_user"
    __access__ = Ownership("user", organisation="organisation_id", visible_down_line=False)

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[name_str]
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    cert_id: Mapped[int | None] = mapped_column(ForeignKey("cert.id", ondelete="RESTRICT"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    #: The user's CERT, or their organisation's owning CERT: where they sit on the line.
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("(cert_id IS NULL) <> (organisation_id IS NULL)", name="one_home"),
    )

    @property
    def totp_enabled(self) -> bool:
        return self.totp_secret is not None


class ApiToken(Base):
    """A bearer token. Only its SHA-256 is stored; the secret is shown once at creation."""

    __tablename__ = "api_token"
    __access__ = Ownership(
        "api_token", organisation="organisation_id", personal="user_id", visible_down_line=False
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    owner_cert_id: Mapped[int] = mapped_column(ForeignKey("cert.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE")
    )
    name: Mapped[name_str]
    #: Public, non-secret part of the token, shown in listings to tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginSession(Base):
    """A console session; the cookie carries a secret whose SHA-256 is stored here."""

    __tablename__ = "login_session"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    #: Set once the password is checked; a TOTP user's session is ``pending`` until the code.
    totp_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    client: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class LoginAttempt(Base):
    """A sign-in attempt, kept to throttle guessing by username and by address."""

    __tablename__ = "login_attempt"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    succeeded: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_address_at", "address", "at"),
    )
