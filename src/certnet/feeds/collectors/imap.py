"""``ImapCollector``: report attachments of unseen mails in an IMAP mailbox.

Mails are chosen by an optional subject and sender rule (IMAP ``SEARCH UNSEEN SUBJECT …
FROM …``); each attachment is a report. A mail is marked ``\\Seen`` only after all its
attachments were stored: a crash, or a refused attachment, leaves it unseen so it is looked
at again. The mailbox is read with ``BODY.PEEK`` so reading never marks it seen by itself.
TLS (IMAPS, or STARTTLS) is verified like HTTPS; the password comes from the environment."""

from __future__ import annotations

import email
import email.policy
import imaplib
import io
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Literal

from certnet.feeds.collectors import CollectedReport, CollectorError

Security = Literal["ssl", "starttls", "plain"]


@dataclass
class _Mail:
    """One mail being collected: how many of its attachments are still to be stored."""

    uid: str
    waiting: int
    failed: bool = False
    names: list[str] = field(default_factory=list)


class ImapCollector:
    """Unseen mails of ``mailbox`` on ``host`` whose subject / sender match."""

    def __init__(
        self,
        host: str,
        *,
        port: int | None = None,
        username: str,
        password: str,
        mailbox: str = "INBOX",
        subject: str | None = None,
        sender: str | None = None,
        security: Security = "ssl",
        ca_bundle: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.host = host
        self.security = security
        self.port = port or (993 if security == "ssl" else 143)
        self.username = username
        self.password = password
        self.mailbox = mailbox
        self.subject = subject
        self.sender = sender
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=ca_bundle)
        self._client: imaplib.IMAP4 | None = None
        self._mails: dict[str, _Mail] = {}

    @property
    def state(self) -> dict[str, Any]:
        return {}

    def _connect(self) -> imaplib.IMAP4:
        try:
            client: imaplib.IMAP4
            if self.security == "ssl":
                client = imaplib.IMAP4_SSL(
                    self.host, self.port, ssl_context=self.context, timeout=self.timeout
                )
            else:
                client = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
                if self.security == "starttls":
                    client.starttls(self.context)
            client.login(self.username, self.password)
            status, _ = client.select(_quoted(self.mailbox))
            if status != "OK":
                raise CollectorError(f"{self.host}: no mailbox {self.mailbox!r}")
        except (imaplib.IMAP4.error, OSError) as exc:
            raise CollectorError(f"IMAP {self.host}:{self.port}: {exc}") from None
        return client

    def _criteria(self) -> list[str]:
        criteria = ["UNSEEN"]
        if self.subject:
            criteria += ["SUBJECT", _quoted(self.subject)]
        if self.sender:
            criteria += ["FROM", _quoted(self.sender)]
        return criteria

    def collect(self) -> Iterator[CollectedReport]:
        client = self._client = self._connect()
        try:
            status, found = client.uid("SEARCH", *self._criteria())
            if status != "OK":
                raise CollectorError(f"IMAP search failed: {found!r}")
            uids = found[0].decode().split() if found and found[0] else []
            for uid in uids:
                status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
                content = next((p[1] for p in parts if isinstance(p, tuple) and len(p) > 1), None)
                if status != "OK" or not isinstance(content, bytes):
                    continue
                message = email.message_from_bytes(content, policy=email.policy.default)
                assert isinstance(message, EmailMessage)
                attachments = [part for part in message.iter_attachments() if part.get_filename()]
                if not attachments:
                    continue
                mail = self._mails[uid] = _Mail(uid, len(attachments))
                for part in attachments:
                    payload = part.get_payload(decode=True)
                    if not isinstance(payload, bytes):
                        continue
                    name = part.get_filename() or "attachment"
                    mail.names.append(name)
                    yield CollectedReport(
                        name=name,
                        stream=io.BytesIO(payload),
                        metadata={
                            "subject": str(message.get("Subject", "")),
                            "from": str(message.get("From", "")),
                            "message_id": str(message.get("Message-ID", "")),
                        },
                        handle=uid,
                    )
        finally:
            self._close()

    def acknowledge(self, report: CollectedReport, *, stored: bool, reason: str = "") -> None:
        mail = self._mails.get(report.handle)
        if mail is None or self._client is None:
            return
        mail.waiting -= 1
        mail.failed = mail.failed or not stored
        if mail.waiting == 0 and not mail.failed:
            try:
                self._client.uid("STORE", mail.uid, "+FLAGS", "(\\Seen)")
            except (imaplib.IMAP4.error, OSError) as exc:
                raise CollectorError(f"IMAP {self.host}: cannot mark mail seen: {exc}") from None

    def _close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.close()
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass  # the session is over either way; nothing was left half-done


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
