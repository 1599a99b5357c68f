"""The SMTP server of the e-mail intake (aiosmtpd). Each mail is handled in its own unit of
work, off the event loop; the reply code tells the sending server what became of it:

* ``250`` accepted: an incident was reported (the reply names it);
* ``550``/``552``/``554`` not accepted: the mail is in the intake quarantine for the CERT,
  and the sender's server bounces the reason back to the sender;
* ``451`` a temporary failure (the database is down, say): nothing was kept, and the sending
  server tries again later, as SMTP servers do. Nothing is dropped either way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from certnet.incidents.intake import service
from certnet.incidents.intake.service import IntakeLimits, Outcome

log = logging.getLogger(__name__)

TEMPORARY_FAILURE = "451 4.3.0 Temporary failure in the intake; please try again later"


@dataclass
class IntakeHandler:
    """aiosmtpd handler: one mail, one unit of work, one reply."""

    session_factory: Callable[[], Session]
    receiving_cert_id: int
    limits: IntakeLimits

    def receive(self, raw: bytes, envelope_from: str, recipients: list[str]) -> Outcome:
        """Handle one mail in its own transaction (committed before the reply is sent)."""
        with self.session_factory() as session:
            try:
                outcome = service.receive(
                    session=session,
                    raw=raw,
                    envelope_from=envelope_from,
                    recipients=recipients,
                    receiving_cert_id=self.receiving_cert_id,
                    limits=self.limits,
                )
                session.commit()
            except BaseException:
                session.rollback()
                raise
        log.info(
            "intake mail %s",
            "accepted" if outcome.accepted else "quarantined",
            extra={
                "incident_id": outcome.incident_id,
                "quarantine_id": outcome.quarantine_id,
                "reason": outcome.reason.value if outcome.reason else None,
                "bytes": len(raw),
            },
        )
        return outcome

    async def handle_DATA(  # noqa: N802 — the name aiosmtpd calls
        self, server: SMTP, session: SmtpSession, envelope: Envelope
    ) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode("utf-8", "replace")
        try:
            outcome = await asyncio.to_thread(
                self.receive, raw, envelope.mail_from or "", list(envelope.rcpt_tos)
            )
        except SQLAlchemyError:
            log.exception("intake: the mail could not be stored; the sender will retry")
            return TEMPORARY_FAILURE
        return outcome.reply


def controller(handler: IntakeHandler, *, host: str, port: int, **smtp_options: Any) -> Controller:
    """An aiosmtpd controller (a thread running the server) for ``handler``."""
    return Controller(
        handler,
        hostname=host,
        port=port,
        data_size_limit=handler.limits.smtp_size_limit,
        ident="certnet intake",
        **smtp_options,
    )


def parse_listen(value: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:2525`` for IPv6) → (host, port); ValueError naming the problem."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not host:port, e.g. 127.0.0.1:2525")
    return host.strip("[]") or "127.0.0.1", int(port)
