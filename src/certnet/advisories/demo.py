"""Demo advisories on top of the demo network and its assets: published ones (AMBER and
TLP:CLEAR, the latter in the provider directory) that reach the organisations running the
products, some answers, and a draft still being written."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from certnet.advisories import answers, service
from certnet.advisories.models import AnswerStatus
from certnet.advisories.schemas import AdvisoryCreate, AnswerIn, PublishRequest
from certnet.constituency import service as constituency
from certnet.core.access import Principal

PANOS = "cpe:2.3:o:paloaltonetworks:pan-os:*:*:*:*:*:*:*:*"
FORTIMANAGER = "cpe:2.3:o:fortinet:fortimanager:*:*:*:*:*:*:*:*"
ACTIVEMQ = "pkg:maven/org.apache.activemq/activemq-client"

#: Answers given by the first organisations reached, in turn (None: no answer yet).
ANSWERS = (
    (AnswerStatus.PATCHED, "Upgraded during the weekend window."),
    (AnswerStatus.MITIGATED, "Threat prevention signature enabled; upgrade planned."),
    None,
    (AnswerStatus.NEEDS_HELP, "No vendor support contract: please advise."),
    (AnswerStatus.PATCHED, ""),
    None,
    (AnswerStatus.NOT_AFFECTED, "GlobalProtect is not enabled on our firewalls."),
)


def _advisories(now: datetime) -> list[tuple[dict[str, Any], str | None]]:
    """Each advisory's content, and the status to publish it with (None: stays a draft)."""
    return [
        (
            {
                "title": "Command injection in PAN-OS GlobalProtect exploited in the wild",
                "summary": (
                    "An unauthenticated attacker can run code as root on firewalls with a "
                    "GlobalProtect gateway or portal. Exploitation has been seen against "
                    "organisations in Pakistan. Upgrade now; until then apply the vendor's "
                    "threat prevention signature."
                ),
                "tlp": "AMBER",
                "cves": ["CVE-2024-3400"],
                "cvss_v3_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
                "products": [
                    {
                        "vendor": "Palo Alto Networks",
                        "name": "PAN-OS",
                        "versions": "vers:generic/>=10.2.0|<10.2.10",
                        "fixed_version": "10.2.10",
                        "cpe": PANOS,
                    },
                    {
                        "vendor": "Palo Alto Networks",
                        "name": "PAN-OS",
                        "versions": "vers:generic/>=11.1.0|<11.1.3",
                        "fixed_version": "11.1.3",
                        "cpe": PANOS,
                    },
                ],
                "remediations": [
                    {"category": "vendor_fix", "details": "Upgrade to 10.2.10, 11.1.3 or later."},
                    {
                        "category": "mitigation",
                        "details": "Enable threat prevention signature 95187 on the gateway.",
                    },
                ],
                "references": [
                    {
                        "url": "https://security.paloaltonetworks.com/CVE-2024-3400",
                        "summary": "Vendor advisory",
                    }
                ],
                "answer_deadline": (now + timedelta(days=3)).isoformat(),
            },
            "final",
        ),
        (
            {
                "title": "FortiManager missing authentication (FortiJump)",
                "summary": (
                    "A remote attacker can register a rogue device and run commands on "
                    "FortiManager. Upgrade, and check for unknown managed devices."
                ),
                "tlp": "CLEAR",
                "cves": ["CVE-2024-47575"],
                "cvss_v3_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "products": [
                    {
                        "vendor": "Fortinet",
                        "name": "FortiManager",
                        "versions": "vers:generic/>=7.4.0|<7.4.5",
                        "fixed_version": "7.4.5",
                        "cpe": FORTIMANAGER,
                    },
                    {
                        "vendor": "Fortinet",
                        "name": "FortiManager",
                        "versions": "vers:generic/>=7.2.0|<7.2.8",
                        "fixed_version": "7.2.8",
                        "cpe": FORTIMANAGER,
                    },
                ],
                "remediations": [
                    {"category": "vendor_fix", "details": "Upgrade to 7.4.5, 7.2.8 or later."}
                ],
                "references": [
                    {
                        "url": "https://fortiguard.fortinet.com/psirt/FG-IR-24-423",
                        "summary": "Vendor advisory",
                    }
                ],
                "answer_deadline": (now + timedelta(days=7)).isoformat(),
            },
            "final",
        ),
        (
            {
                "title": "Apache ActiveMQ client deserialisation: check Java services",
                "summary": "Being written: inventory of Java services using the ActiveMQ client.",
                "tlp": "GREEN",
                "cves": ["CVE-2023-46604"],
                "products": [
                    {
                        "vendor": "Apache",
                        "name": "ActiveMQ client",
                        "versions": "vers:semver/<5.18.3",
                        "fixed_version": "5.18.3",
                        "purl": ACTIVEMQ,
                    }
                ],
                "remediations": [{"category": "vendor_fix", "details": "Upgrade to 5.18.3."}],
            },
            None,
        ),
    ]


def seed(*, session: Session, principal: Principal, now: datetime) -> str:
    """Add the demo advisories, publish them, and record some answers; returns a summary."""
    top = constituency.top_cert_id(session=session)
    if top is None:
        return "no CERT in the network, nothing added"
    published = sent = answered = 0
    for content, status in _advisories(now):
        advisory = service.create(
            session=session,
            principal=principal,
            data=AdvisoryCreate.model_validate({**content, "publisher_cert_id": top}),
        )
        if status is None:
            continue
        done = service.publish(
            session=session,
            principal=principal,
            advisory_id=advisory.id,
            data=PublishRequest.model_validate({"status": status}),
        )
        published += 1
        sent += len(done.disseminations)
        for given, dissemination in zip(ANSWERS, done.disseminations, strict=False):
            if given is None:
                continue
            answers.answer(
                session=session,
                principal=principal,
                advisory_id=advisory.id,
                data=AnswerIn(
                    status=given[0], note=given[1], organisation_id=dissemination.organisation_id
                ),
            )
            answered += 1
    return f"{published} published and 1 draft; sent to {sent} organisations; {answered} answers"
