"""From a readable mail to an :class:`~certnet.incidents.schemas.IncidentReport`: the hints
in the body, with sensible defaults for what the sender left out."""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime

from pydantic import ValidationError

from certnet.core.errors import FieldError, Invalid
from certnet.core.tlp import Tlp
from certnet.feeds import taxonomy
from certnet.incidents.intake.mail import ReportMail
from certnet.incidents.models import Pap, Severity
from certnet.incidents.schemas import AttachmentIn, ImpactIn, IncidentReport, ObservableIn

DEFAULT_CLASS, DEFAULT_TYPE = "other", "undetermined"
TITLE_MAX = 200
YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0"})
#: How a hint is named back to the sender (and in the quarantine): as they wrote it.
HINT_LABELS = {
    "type": "Type",
    "class": "Class",
    "became_aware": "Became aware",
    "started": "Started",
    "tlp": "TLP",
    "pap": "PAP",
    "severity": "Severity",
    "services": "Services affected",
    "users": "Users affected",
    "cross_border": "Cross-border",
}
_TIME_FORMATS = (
    "%Y-%m-%d %H:%M %z",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
)


def parse_time(text: str) -> datetime:
    """A time as people write it in a mail: ISO-like with an optional offset (UTC when none),
    or an RFC 5322 date. ValueError when it is neither."""
    cleaned = re.sub(r"\s+", " ", text.strip()).removesuffix(" UTC").removesuffix("Z")
    cleaned = re.sub(r"^(\d{4}-\d\d-\d\d)T", r"\1 ", cleaned)
    # "+05:00", "+0500" and " +05:00" all read as one offset, after a space.
    cleaned = re.sub(r"(\d\d:\d\d(?::\d\d)?)\s*([+-]\d\d):?(\d\d)$", r"\1 \2\3", cleaned)
    for pattern in _TIME_FORMATS:
        try:
            moment = datetime.strptime(cleaned, pattern)
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        raise ValueError(f"{text!r} is not a time such as 2026-11-28 10:00 +05:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _classification(hints: dict[str, str]) -> tuple[str, str]:
    rsit = taxonomy.rsit()
    given_type = hints.get("type", "").strip().lower().replace(" ", "-")
    given_class = hints.get("class", "").strip().lower().replace(" ", "-")
    if given_class and not rsit.is_class(given_class):
        raise Invalid.on("Class", f"{hints['class']!r} is not an RSIT class")
    if not given_type:
        if given_class:
            examples = ", ".join(list(rsit.classes[given_class].types)[:3])
            raise Invalid.on("Type", f"name the {given_class} type too, e.g. {examples}")
        return DEFAULT_CLASS, DEFAULT_TYPE
    found = rsit.class_of(given_type)
    if found is None:
        raise Invalid.on("Type", f"{hints['type']!r} is not an RSIT incident type")
    if given_class and given_class != found:
        raise Invalid.on("Type", f"{given_type} belongs to {found}, not {given_class}")
    return found, given_type


def _flag(hints: dict[str, str], key: str) -> bool:
    value = hints.get(key, "").strip().lower()
    if not value or value in NO:
        return False
    if value in YES:
        return True
    raise Invalid.on(HINT_LABELS[key], f"{hints[key]!r} is not yes or no")


def _title(mail: ReportMail) -> str:
    title = mail.subject.strip()
    for prefix in ("re:", "fw:", "fwd:"):
        if title.lower().startswith(prefix):
            title = title[len(prefix) :].strip()
    if len(title) < 3:
        first = next((line.strip() for line in mail.body.splitlines() if line.strip()), "")
        title = first if len(first) >= 3 else "Incident reported by e-mail"
    return title[: TITLE_MAX - 1] + "…" if len(title) > TITLE_MAX else title


def report_of(
    mail: ReportMail,
    *,
    organisation_id: int,
    reporter_name: str,
    reporter_email: str,
    received_at: datetime,
) -> IncidentReport:
    """The report a mail makes. Hints override defaults: became aware (else the mail's Date,
    else when it arrived), RSIT type (else other/undetermined), TLP and PAP (AMBER), severity
    (medium). A hint that cannot be read raises :class:`Invalid` naming it."""
    hints = mail.hints
    errors: list[FieldError] = []

    became_aware = received_at
    if "became_aware" in hints:
        try:
            became_aware = parse_time(hints["became_aware"])
        except ValueError as exc:
            errors.append(FieldError("Became aware", str(exc)))
    elif mail.date:
        try:
            sent = parse_time(mail.date)
        except ValueError:
            sent = received_at
        became_aware = min(sent, received_at)
    started: datetime | None = None
    if "started" in hints:
        try:
            started = parse_time(hints["started"])
        except ValueError as exc:
            errors.append(FieldError("Started", str(exc)))
    rsit_class, rsit_type = DEFAULT_CLASS, DEFAULT_TYPE
    try:
        rsit_class, rsit_type = _classification(hints)
    except Invalid as exc:
        errors.extend(exc.errors)
    tlp = Tlp.AMBER
    if "tlp" in hints:
        try:
            tlp = Tlp.parse(hints["tlp"])
        except ValueError as exc:
            errors.append(FieldError("TLP", str(exc)))
    pap = Pap.AMBER
    if "pap" in hints:
        try:
            pap = Pap(hints["pap"].strip().upper().removeprefix("PAP:"))
        except ValueError:
            errors.append(FieldError("PAP", f"{hints['pap']!r} is not CLEAR, GREEN, AMBER or RED"))
    severity = Severity.MEDIUM
    if "severity" in hints:
        try:
            severity = Severity(hints["severity"].strip().lower())
        except ValueError:
            allowed = ", ".join(s.value for s in Severity)
            errors.append(FieldError("Severity", f"{hints['severity']!r} is not one of {allowed}"))
    users: int | None = None
    if "users" in hints:
        digits = hints["users"].replace(",", "").strip()
        if digits.isdigit():
            users = int(digits)
        else:
            errors.append(FieldError("Users affected", f"{hints['users']!r} is not a number"))
    cross_border = False
    try:
        cross_border = _flag(hints, "cross_border")
    except Invalid as exc:
        errors.extend(exc.errors)
    if errors:
        raise Invalid(
            detail="the mail's hints cannot be read: "
            + "; ".join(f"{e.field}: {e.reason}" for e in errors),
            errors=errors,
        )
    services = [s.strip() for s in hints.get("services", "").split(",") if s.strip()]
    try:
        return IncidentReport(
            organisation_id=organisation_id,
            reporter_name=reporter_name[:200] or None,
            reporter_email=reporter_email[:254] or None,
            title=_title(mail),
            description=mail.body[:50_000],
            became_aware_at=became_aware,
            started_at=started,
            rsit_class=rsit_class,
            rsit_type=rsit_type,
            severity=severity,
            impact=ImpactIn(
                services_affected=services, users_affected=users, cross_border=cross_border
            ),
            tlp=tlp.value,
            pap=pap,
            observables=[ObservableIn(value=v[:2048]) for v in mail.observables],
            attachments=[
                AttachmentIn.of(
                    a.filename, a.content_type, a.content, "received with the report mail"
                )
                for a in mail.attachments
            ],
        )
    except ValidationError as exc:
        found = [
            FieldError(".".join(str(p) for p in err["loc"]) or "mail", str(err["msg"]))
            for err in exc.errors()
        ]
        raise Invalid(
            detail="the mail does not make a valid report: "
            + "; ".join(f"{e.field}: {e.reason}" for e in found),
            errors=found,
        ) from None
