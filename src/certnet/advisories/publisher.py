"""Who publishes: the publishing CERT as CSAF names it, and the links certnet puts in
documents and mails."""

from __future__ import annotations

from sqlalchemy.orm import Session

from certnet.advisories import csaf
from certnet.advisories.models import Advisory
from certnet.config import get_settings
from certnet.constituency import service as constituency
from certnet.core.access import Principal

#: Where the CSAF documents' publisher namespaces and self links point when no public URL is
#: configured (``CERTNET_PUBLIC_URL``, read if the settings offer it).
DEFAULT_PUBLIC_URL = "https://certnet.invalid"


def public_url() -> str:
    """The base URL certnet is reached at, for links inside documents and mails."""
    configured = str(getattr(get_settings(), "public_url", "") or "")
    return (configured or DEFAULT_PUBLIC_URL).rstrip("/")


def publisher_of(session: Session, cert_id: int) -> csaf.Publisher:
    cert = constituency.get_cert(
        session=session, principal=Principal.system("advisory publisher"), cert_id=cert_id
    )
    return csaf.Publisher(
        name=cert.name,
        namespace=f"{public_url()}/certs/{cert.short_name}",
        contact_details=f"{cert.name} ({cert.operating_hours})",
    )


def self_url(advisory: Advisory) -> str:
    return f"{public_url()}/advisories/{advisory.id}"
