"""Identity: users, sign-in with password and TOTP, console sessions, API tokens, and the
:class:`~certnet.core.access.Principal` each request acts as.

Secrets are stored only as hashes: passwords with argon2id, session and API token secrets
(random, 256 bits) with SHA-256, which is enough for high-entropy values and fast to look up.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.config import get_settings
from certnet.constituency import service as constituency
from certnet.constituency.models import Cert, Organisation
from certnet.core import access, audit, clock
from certnet.core.access import Principal, Role
from certnet.core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound, Unauthenticated
from certnet.core.pagination import Page, paginate
from certnet.identity.models import ApiToken, LoginAttempt, LoginSession, User
from certnet.identity.passwords import check_strength, hash_password, verify_password
from certnet.identity.schemas import PasswordChange, TokenCreate, UserCreate, UserUpdate

SESSION_COOKIE = "certnet_session"
TOKEN_PREFIX = "cnt"  # noqa: S105 — a public marker that tells certnet tokens apart
TOTP_ISSUER = "certnet"


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- principals -------------------------------------------------------------------------------


def principal_for(
    *, session: Session, user: User, scopes: tuple[str, ...] | list[str] = ("read", "write")
) -> Principal:
    """The principal ``user`` acts as, placed on the current reporting line."""
    return access.build_principal(
        user_id=user.id,
        name=user.username,
        role=user.role,
        cert_id=user.cert_id,
        organisation_id=user.organisation_id,
        home_cert_id=user.owner_cert_id,
        tree=constituency.cert_tree(session=session),
        scopes=scopes,
    )


def authenticate_token(*, session: Session, token: str) -> Principal:
    """The principal behind a bearer token; Unauthenticated if unknown, expired or revoked."""
    found = session.scalar(select(ApiToken).where(ApiToken.token_hash == _sha256(token)))
    now = clock.now()
    if found is None or found.revoked_at is not None or found.expires_at <= now:
        raise Unauthenticated("the bearer token is unknown, expired or revoked")
    user = session.get(User, found.user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("the token's user is disabled")
    if found.last_used_at is None or now - found.last_used_at > timedelta(minutes=1):
        found.last_used_at = now  # coarse, so that reads rarely write
    return principal_for(session=session, user=user, scopes=found.scopes)


def principal_for_session(
    *, session: Session, secret: str
) -> tuple[Principal, LoginSession] | None:
    """The principal of a console session cookie, or None if it is unknown, expired, or still
    waiting for its TOTP code."""
    login = session.scalar(select(LoginSession).where(LoginSession.token_hash == _sha256(secret)))
    if login is None or login.expires_at <= clock.now() or login.totp_pending:
        return None
    user = session.get(User, login.user_id)
    if user is None or not user.is_active:
        return None
    return principal_for(session=session, user=user), login


# --- signing in -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginOutcome:
    """What a sign-in attempt came to. Failures are returned, not raised, so that the caller
    commits the recorded attempt (throttling must survive the failed request)."""

    ok: bool
    reason: str | None = None
    secret: str | None = None
    login_session: LoginSession | None = None
    totp_required: bool = False
    throttled: bool = False


def _throttled(session: Session, username: str, address: str) -> bool:
    settings = get_settings()
    since = clock.now() - timedelta(minutes=settings.login_window_minutes)
    failures = session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.at >= since,
            LoginAttempt.succeeded.is_(False),
            (LoginAttempt.username == username) | (LoginAttempt.address == address),
        )
    )
    return (failures or 0) >= settings.login_max_failures


def login(
    *, session: Session, username: str, password: str, address: str, user_agent: str = ""
) -> LoginOutcome:
    """Check a password and open a console session (pending TOTP where the user has it)."""
    username = username.strip().lower()
    now = clock.now()
    if _throttled(session, username, address):
        return LoginOutcome(
            False, "too many failed sign-ins; wait a few minutes and try again", throttled=True
        )
    user = session.scalar(select(User).where(User.username == username))
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        session.add(LoginAttempt(username=username, address=address, at=now, succeeded=False))
        session.flush()
        return LoginOutcome(False, "unknown user or wrong password")
    session.add(LoginAttempt(username=username, address=address, at=now, succeeded=True))
    secret = secrets.token_urlsafe(32)
    login_session = LoginSession(
        user_id=user.id,
        token_hash=_sha256(secret),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(hours=get_settings().session_hours),
        totp_pending=user.totp_secret is not None,
        client={"address": address, "user_agent": user_agent[:200]},
    )
    session.add(login_session)
    if not login_session.totp_pending:
        _signed_in(session, user)
    session.flush()
    return LoginOutcome(True, None, secret, login_session, login_session.totp_pending)


def _signed_in(session: Session, user: User) -> None:
    user.last_login_at = clock.now()
    principal = principal_for(session=session, user=user)
    audit.record(
        session=session,
        principal=principal,
        action="user.sign_in",
        object_type="user",
        object_id=user.id,
        owner_cert_id=user.owner_cert_id,
    )


def pending_login(*, session: Session, secret: str) -> LoginSession | None:
    """The session behind ``secret`` if it still waits for a TOTP code."""
    login = session.scalar(select(LoginSession).where(LoginSession.token_hash == _sha256(secret)))
    if login is None or not login.totp_pending or login.expires_at <= clock.now():
        return None
    return login


def complete_totp(*, session: Session, secret: str, code: str, address: str) -> LoginOutcome:
    """Finish a sign-in with the TOTP code; wrong codes count towards throttling."""
    login = pending_login(session=session, secret=secret)
    if login is None:
        return LoginOutcome(False, "the sign-in has expired; start again")
    user = session.get(User, login.user_id)
    assert user is not None
    assert user.totp_secret is not None
    if _throttled(session, user.username, address):
        return LoginOutcome(
            False, "too many failed sign-ins; wait a few minutes and try again", throttled=True
        )
    if not pyotp.TOTP(user.totp_secret).verify(code.strip(), valid_window=1):
        session.add(
            LoginAttempt(username=user.username, address=address, at=clock.now(), succeeded=False)
        )
        session.flush()
        return LoginOutcome(False, "wrong code")
    login.totp_pending = False
    _signed_in(session, user)
    session.flush()
    return LoginOutcome(True, None, secret, login, False)


def logout(*, session: Session, secret: str) -> None:
    """End the console session behind ``secret`` (nothing happens if there is none)."""
    login = session.scalar(select(LoginSession).where(LoginSession.token_hash == _sha256(secret)))
    if login is not None:
        session.delete(login)
        session.flush()


# --- users ------------------------------------------------------------------------------------


def list_users(
    *,
    session: Session,
    principal: Principal,
    cert_id: int | None = None,
    organisation_id: int | None = None,
    role: Role | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[User]:
    """Users the principal may see: of their CERT and below, or of their own organisation."""
    stmt = access.scoped(select(User), principal)
    if cert_id is not None:
        stmt = stmt.where(User.cert_id == cert_id)
    if organisation_id is not None:
        stmt = stmt.where(User.organisation_id == organisation_id)
    if role is not None:
        stmt = stmt.where(User.role == role)
    return paginate(session, stmt, keys=[User.username], cursor=cursor, limit=limit)


def get_user(*, session: Session, principal: Principal, user_id: int) -> User:
    user = session.scalar(access.scoped(select(User).where(User.id == user_id), principal))
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def get_user_by_name(*, session: Session, principal: Principal, username: str) -> User:
    user = session.scalar(
        access.scoped(select(User).where(User.username == username.strip().lower()), principal)
    )
    if user is None:
        raise NotFound(f"user {username!r} not found")
    return user


def active_user_named(*, session: Session, username: str) -> User | None:
    """The active user called ``username``, for the installation's own CLI acting ``--as``
    them (the operator already holds the database; what the user then does goes through
    the policy as that user)."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    return user if user is not None and user.is_active else None


def _grantable(principal: Principal, role: Role) -> None:
    # Nobody hands out more power than they hold: only platform admins make platform admins.
    if role is Role.PLATFORM_ADMIN and principal.role is not Role.PLATFORM_ADMIN:
        raise Forbidden("only a platform admin may grant the platform admin role")
    if principal.role is not None and principal.role.is_constituent and not role.is_constituent:
        raise Forbidden("an organisation's admin may only grant constituent roles")


def create_user(*, session: Session, principal: Principal, data: UserCreate) -> User:
    """Add a user to a CERT or an organisation the principal may administer."""
    weak = check_strength(data.password)
    if weak:
        raise Invalid.on("password", weak)
    _grantable(principal, data.role)
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise Conflict(
            detail=f"username {data.username!r} is already taken",
            errors=[FieldError("username", "already taken")],
        )
    if data.cert_id is not None:
        cert = session.get(Cert, data.cert_id)
        if cert is None:
            raise Invalid.on("cert_id", f"no CERT with id {data.cert_id}")
        owner_cert = cert.id
    else:
        org = session.get(Organisation, data.organisation_id)
        if org is None:
            raise Invalid.on("organisation_id", f"no organisation with id {data.organisation_id}")
        owner_cert = org.cert_id
    user = User(
        username=data.username,
        display_name=data.display_name,
        email=str(data.email),
        role=data.role,
        cert_id=data.cert_id,
        organisation_id=data.organisation_id,
        owner_cert_id=owner_cert,
        password_hash=hash_password(data.password),
        is_active=True,
        created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    access.require_create(session, principal, user)
    audit.record(
        session=session,
        principal=principal,
        action="user.create",
        object_type="user",
        object_id=user.id,
        after=audit.snapshot(user),
        owner_cert_id=owner_cert,
    )
    return user


def update_user(*, session: Session, principal: Principal, user_id: int, data: UserUpdate) -> User:
    """Change a user's name, e-mail, role or whether they may sign in."""
    user = get_user(session=session, principal=principal, user_id=user_id)
    access.require(session, principal, "edit", user)
    if data.role is not None:
        _grantable(principal, data.role)
        if data.role.is_constituent != (user.organisation_id is not None):
            raise Invalid.on("role", f"{data.role.value} does not fit where this user belongs")
    if data.is_active is False and user.id == principal.user_id:
        raise Invalid.on("is_active", "you cannot disable yourself")
    before = audit.snapshot(user)
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(user, field, str(value) if field == "email" else value)
    if data.is_active is False:
        for login in session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)):
            session.delete(login)
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="user.update",
        object_type="user",
        object_id=user.id,
        before=before,
        after=audit.snapshot(user),
        owner_cert_id=user.owner_cert_id,
    )
    return user


def change_password(
    *, session: Session, principal: Principal, user_id: int, data: PasswordChange
) -> None:
    """Set a new password: one's own with the current one, or another's as their admin."""
    user = get_user(session=session, principal=principal, user_id=user_id)
    if user.id == principal.user_id:
        if not verify_password(user.password_hash, data.current_password or ""):
            raise Invalid.on("current_password", "is wrong")
    else:
        access.require(session, principal, "edit", user)
    weak = check_strength(data.new_password)
    if weak:
        raise Invalid.on("new_password", weak)
    user.password_hash = hash_password(data.new_password)
    for login in session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)):
        session.delete(login)
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="user.password",
        object_type="user",
        object_id=user.id,
        owner_cert_id=user.owner_cert_id,
    )


def begin_totp(*, session: Session, principal: Principal) -> tuple[str, str]:
    """A fresh TOTP secret and its otpauth:// URI for the principal's own authenticator app.
    Nothing is stored until :func:`confirm_totp` sees a valid code."""
    user = get_user(session=session, principal=principal, user_id=_own_id(principal))
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)
    return secret, uri


def confirm_totp(*, session: Session, principal: Principal, secret: str, code: str) -> None:
    """Turn TOTP on for the principal, once a code from their app proves the secret works."""
    user = get_user(session=session, principal=principal, user_id=_own_id(principal))
    if not pyotp.TOTP(secret).verify(code.strip(), valid_window=1):
        raise Invalid.on("code", "does not match; check the time on your device")
    user.totp_secret = secret
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="user.totp_enable",
        object_type="user",
        object_id=user.id,
        owner_cert_id=user.owner_cert_id,
    )


def disable_totp(*, session: Session, principal: Principal, user_id: int) -> None:
    """Turn TOTP off (one's own, or as the user's admin after a lost device)."""
    user = get_user(session=session, principal=principal, user_id=user_id)
    if user.id != principal.user_id:
        access.require(session, principal, "edit", user)
    user.totp_secret = None
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="user.totp_disable",
        object_type="user",
        object_id=user.id,
        owner_cert_id=user.owner_cert_id,
    )


def _own_id(principal: Principal) -> int:
    if principal.user_id is None:
        raise Unauthenticated("sign in first")
    return principal.user_id


# --- API tokens -------------------------------------------------------------------------------


def create_token(
    *, session: Session, principal: Principal, data: TokenCreate
) -> tuple[ApiToken, str]:
    """A new token for the principal (or, as their admin, for another user). Returns the
    stored token and its secret, which is never shown again."""
    user_id = data.user_id or _own_id(principal)
    user = get_user(session=session, principal=principal, user_id=user_id)
    if user.id != principal.user_id:
        access.require(session, principal, "edit", user)
    if "write" in data.scopes and "write" not in principal.scopes:
        raise Forbidden("a read-only credential cannot mint a token that writes")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    now = clock.now()
    token = ApiToken(
        user_id=user.id,
        owner_cert_id=user.owner_cert_id,
        organisation_id=user.organisation_id,
        name=data.name,
        prefix=prefix,
        token_hash=_sha256(secret),
        scopes=sorted(set(data.scopes)),
        created_at=now,
        expires_at=now + timedelta(days=data.expires_in_days),
    )
    session.add(token)
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="api_token.create",
        object_type="api_token",
        object_id=token.id,
        after=audit.snapshot(token),
        owner_cert_id=token.owner_cert_id,
    )
    return token, secret


def list_tokens(
    *, session: Session, principal: Principal, user_id: int | None = None
) -> list[ApiToken]:
    """Tokens the principal may see (their own; as admin, those of their users)."""
    stmt = access.scoped(select(ApiToken), principal)
    if user_id is not None:
        stmt = stmt.where(ApiToken.user_id == user_id)
    return list(session.scalars(stmt.order_by(ApiToken.created_at.desc(), ApiToken.id)))


def revoke_token(*, session: Session, principal: Principal, token_id: int) -> ApiToken:
    """Revoke a token at once; its holder's next request is refused."""
    token = session.scalar(
        access.scoped(select(ApiToken).where(ApiToken.id == token_id), principal)
    )
    if token is None:
        raise NotFound(f"api_token {token_id} not found")
    if token.user_id != principal.user_id:
        access.require(session, principal, "edit", token)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        session.flush()
        audit.record(
            session=session,
            principal=principal,
            action="api_token.revoke",
            object_type="api_token",
            object_id=token.id,
            owner_cert_id=token.owner_cert_id,
        )
    return token
