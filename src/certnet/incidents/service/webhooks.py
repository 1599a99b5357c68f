"""Webhooks: incident events POSTed to a CERT's endpoints, HMAC-signed, with retries.

Events are queued in ``incident_webhook_delivery`` in the same transaction as the change
(an outbox for HTTP), and a job POSTs them: ``X-Certnet-Signature: sha256=<hex HMAC-SHA256 of
the body with the webhook's secret>``, ``X-Certnet-Event`` and ``X-Certnet-Delivery`` (the
idempotency key a receiver may use to drop a repeat)."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from certnet.config import Settings
from certnet.constituency import service as constituency
from certnet.core import access, audit, clock
from certnet.core.access import Principal
from certnet.core.errors import Forbidden, Invalid, NotFound
from certnet.incidents.models import Webhook, WebhookDelivery
from certnet.incidents.schemas import WebhookDeliveryReport, WebhookIn
from certnet.incidents.service import common

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=60)


class WebhookSender(Protocol):
    """Sends one signed POST; raises OSError (or a subclass) when it did not go through."""

    def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int: ...


class UrllibSender:
    """The real sender (standard library HTTP client)."""

    def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked on creation
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _target_cert(session: Session, principal: Principal, cert_id: int | None) -> int:
    if not common.is_cert_staff(principal) or "write" not in principal.scopes:
        raise Forbidden("only CERT staff register webhooks")
    if not access.allowed(principal.role, "edit", "incident_webhook"):
        raise Forbidden("you may not register webhooks")
    target = cert_id if cert_id is not None else principal.cert_id
    if target is None:
        top = constituency.top_cert_id(session=session)
        if top is None:
            raise Invalid.on("cert_id", "name the CERT the webhook is for")
        target = top
    if not principal.all_tenancy and target not in principal.cert_scope:
        raise Invalid.on("cert_id", f"CERT {target} is not yours")
    return target


def create_webhook(
    *, session: Session, principal: Principal, data: WebhookIn, cert_id: int | None = None
) -> Webhook:
    """Register an endpoint for the principal's CERT (or ``cert_id`` below it). The URL must
    be http(s); the secret (16+ characters) signs every delivery and is never shown again."""
    parts = urlsplit(data.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid.on("url", "an http or https URL with a host")
    owner = _target_cert(session, principal, cert_id)
    hook = Webhook(
        owner_cert_id=owner,
        url=data.url,
        secret=data.secret,
        events=list(data.events),
        active=True,
        created_at=common.now_or(None),
    )
    session.add(hook)
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="incident_webhook.create",
        object_type="incident_webhook",
        object_id=hook.id,
        after={"url": hook.url, "events": hook.events, "owner_cert_id": owner},
        owner_cert_id=owner,
    )
    return hook


def list_webhooks(*, session: Session, principal: Principal) -> list[Webhook]:
    """Webhooks the principal may see."""
    return list(session.scalars(access.scoped(select(Webhook), principal).order_by(Webhook.id)))


def delete_webhook(*, session: Session, principal: Principal, webhook_id: int) -> None:
    """Remove a webhook (pending deliveries go with it)."""
    hook = session.scalar(access.scoped(select(Webhook).where(Webhook.id == webhook_id), principal))
    if hook is None:
        raise NotFound(f"webhook {webhook_id} not found")
    access.require(session, principal, "edit", hook)
    before = {"url": hook.url, "events": hook.events}
    owner = hook.owner_cert_id
    session.delete(hook)
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="incident_webhook.delete",
        object_type="incident_webhook",
        object_id=webhook_id,
        before=before,
        owner_cert_id=owner,
    )


def deliver_webhooks(
    session_factory: sessionmaker[Session],
    settings: Settings,
    *,
    now: datetime | None = None,
    limit: int = 100,
    sender: WebhookSender | None = None,
) -> WebhookDeliveryReport:
    """POST due deliveries, one unit of work each, retrying with doubling delays; a 2xx
    answer delivers, anything else (or no answer) is retried up to :data:`MAX_ATTEMPTS`."""
    at = now or clock.now()
    transport = sender or UrllibSender()
    with session_factory() as session, session.begin():
        due = list(
            session.scalars(
                select(WebhookDelivery.id)
                .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= at)
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(limit)
            )
        )
    sent = failed = retrying = 0
    for delivery_id in due:
        with session_factory() as session, session.begin():
            delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
            if delivery is None or delivery.state != "pending":
                continue
            hook = session.get_one(Webhook, delivery.webhook_id)
            body = json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "certnet-webhooks",
                "X-Certnet-Event": delivery.event,
                "X-Certnet-Delivery": delivery.key,
                "X-Certnet-Signature": sign(hook.secret, body),
            }
            delivery.attempts += 1
            try:
                status = transport.post(hook.url, body, headers, settings.smtp_timeout_seconds)
                error = None if 200 <= status < 300 else f"HTTP {status}"
            except OSError as exc:
                error = f"{type(exc).__name__}: {exc}"[:2000]
            if error is None:
                delivery.state = "delivered"
                delivery.delivered_at = clock.now()
                delivery.last_error = None
                sent += 1
            elif delivery.attempts >= MAX_ATTEMPTS:
                delivery.state = "failed"
                delivery.last_error = error
                failed += 1
            else:
                delivery.last_error = error
                delivery.next_attempt_at = at + FIRST_RETRY * 2 ** (delivery.attempts - 1)
                retrying += 1
    return WebhookDeliveryReport(sent=sent, failed=failed, retrying=retrying)
