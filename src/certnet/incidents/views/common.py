"""What the incidents console pages share: constants, names, forms' times and errors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi import UploadFile
from pydantic import ValidationError

from certnet.config import Settings
from certnet.constituency import service as constituency
from certnet.constituency.lookup import describe_owners
from certnet.core.access import Role
from certnet.core.errors import DomainError, Invalid
from certnet.identity import service as identity
from certnet.incidents.schemas import (
    AttachmentIn,
)
from certnet.profiles import service as profiles
from certnet.web.console import (
    Console,
    field_errors,
)

QUEUE_PAGE_SIZE = 50
QUARANTINE_PAGE_SIZE = 50
DEADLINES = ("overdue", "due_soon", "on_track", "none")
DEADLINE_LABELS = {
    "overdue": "Overdue",
    "due_soon": "Due soon",
    "on_track": "On track",
    "none": "Nothing owed",
}
Order = Literal["newest", "oldest", "due", "severity"]
ORDERS: dict[str, tuple[Order, str]] = {
    "newest": ("newest", "Newest first"),
    "oldest": ("oldest", "Oldest first"),
    "due": ("due", "Next deadline first"),
    "severity": ("severity", "Most severe first"),
}
DATA_KINDS = ("none", "personal", "confidential", "credentials", "financial", "health", "other")
DASHBOARD_DAYS = 30
#: The report form's optional fields, behind "More details".
MORE_FIELDS = (
    "started_at",
    "services_affected",
    "users_affected",
    "data_affected",
    "financial_loss",
    "cross_border",
    "harm_to_others",
    "cii_involved",
)

#: Messages after a change (post, redirect, get): only these fixed texts are shown.
DONE = {
    "reported": "Report received: your CERT has it now and the clocks are running.",
    "transition": "Status changed.",
    "assign": "Assignment changed.",
    "escalate": "Escalated.",
    "delegate": "Delegated.",
    "merge": "Merged as a duplicate.",
    "unmerge": "Merge undone.",
    "link": "Incidents linked.",
    "observables": "Observables added.",
    "task": "Task saved.",
    "comment": "Comment added.",
    "evidence": "Evidence stored.",
    "stage": "Stage report submitted.",
    "released": "Mail released as an incident.",
    "dismissed": "Mail dismissed; it stays in the quarantine's history.",
}


def is_constituent(console: Console) -> bool:
    return console.viewer.role in (Role.CONSTITUENT_ADMIN, Role.CONSTITUENT_REPORTER)


def settings_of(console: Console) -> Settings:
    settings: Settings = console.request.app.state.settings
    return settings


def display_zone() -> ZoneInfo:
    return ZoneInfo(profiles.active().defaults.timezone)


def whole_number(name: str, value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise Invalid.on(name, "a number, such as 42")
    return int(value)


@dataclass(frozen=True)
class Names:
    """Display names for the ids a page shows, all read through the access policy."""

    organisations: dict[int, str]
    certs: dict[int, str]
    users: dict[int, str]

    def org(self, ident: int | None) -> str:
        return "—" if ident is None else self.organisations.get(ident, f"Organisation #{ident}")

    def cert(self, ident: int | None) -> str:
        return "—" if ident is None else self.certs.get(ident, f"CERT #{ident}")

    def user(self, ident: int | None) -> str:
        return "—" if ident is None else self.users.get(ident, f"user #{ident}")


def names_for(
    console: Console, organisation_ids: Iterable[int], users: Sequence[Any] = ()
) -> Names:
    session, principal = console.session, console.principal
    owners = describe_owners(
        session=session, principal=principal, organisation_ids=organisation_ids
    )
    certs = constituency.all_certs(session=session, principal=principal)
    return Names(
        organisations={k: o.organisation for k, o in owners.items()},
        certs={c.id: c.short_name for c in certs},
        users={u.id: u.display_name for u in users},
    )


def staff_of(console: Console) -> list[Any]:
    """Analysts and admins of the viewer's CERT and those below: who work can go to."""
    if is_constituent(console):
        return []
    found = identity.list_users(session=console.session, principal=console.principal, limit=500)
    return [
        u
        for u in found.items
        if u.is_active and u.role in (Role.ANALYST, Role.CERT_ADMIN, Role.PLATFORM_ADMIN)
    ]


# --- the queue --------------------------------------------------------------------------------


def local_input(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def local_time(name: str, value: str, zone: ZoneInfo, *, required: bool) -> datetime | None:
    value = value.strip()
    if not value:
        if required:
            raise Invalid.on(name, "say when (date and time)")
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid.on(name, "a date and time, such as 2026-11-28 10:00") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


def text_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def form_errors(exc: DomainError | ValidationError) -> dict[str, str]:
    """Errors keyed by the form's field names: ``impact.users_affected`` is the
    ``users_affected`` input, ``observables.2.value`` is line 3 of the observables box."""
    found: dict[str, str] = {}
    for name, reason in field_errors(exc).items():
        # The service names list items as ``observables[2].value``, pydantic as ``…2.value``.
        parts = re.sub(r"\[(\d+)\]", r".\1", name).split(".")
        if parts[0] == "items":
            parts[0] = "observables"
        if parts[0] == "impact" and len(parts) > 1:
            found.setdefault(parts[1], reason)
        elif parts[0] in ("observables", "attachments") and len(parts) > 1 and parts[1].isdigit():
            label = "line" if parts[0] == "observables" else "file"
            found.setdefault(parts[0], f"{label} {int(parts[1]) + 1}: {reason}")
        else:
            found.setdefault(parts[0], reason)
    return found


def form_attachments(files: Sequence[UploadFile]) -> list[AttachmentIn]:
    found = []
    for upload in files:
        if upload.filename:
            # The server spooled the upload to a file; reading it here is a local read.
            content = upload.file.read()
            found.append(
                AttachmentIn.of(
                    upload.filename, upload.content_type or "application/octet-stream", content
                )
            )
    return found
