"""CERTs on the reporting line, the organisations they serve, contacts and resource claims."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from certnet.core.ownership import Ownership
from certnet.core.tlp import Tlp
from certnet.db.base import Base, enum_column, intpk, name_str, short_str


class ContactRole(StrEnum):
    """What a contact is for."""

    DUTY_24_7 = "duty_24_7"
    HEAD = "head"
    POINT_OF_CONTACT = "point_of_contact"
    SECURITY = "security"
    ABUSE = "abuse"
    TECHNICAL = "technical"


class ResourceKind(StrEnum):
    """What an organisation can claim."""

    PREFIX = "prefix"
    ASN = "asn"
    DOMAIN = "domain"


class Cert(Base):
    """A Computer Emergency Response Team on the reporting line of the profile."""

    __tablename__ = "cert"
    __access__ = Ownership("cert", cert="id", is_cert_row=True)

    id: Mapped[intpk]
    name: Mapped[name_str] = mapped_column(unique=True)
    short_name: Mapped[short_str] = mapped_column(unique=True)
    tier: Mapped[short_str]
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    sector: Mapped[str | None] = mapped_column(String(64))
    province: Mapped[str | None] = mapped_column(String(64))
    regulator: Mapped[str | None] = mapped_column(String(200))
    notified_by: Mapped[str | None] = mapped_column(String(200))
    notified_on: Mapped[date | None] = mapped_column(Date)
    council_recommendation_ref: Mapped[str | None] = mapped_column(String(200))
    operating_hours: Mapped[str] = mapped_column(String(200), default="24/7")
    pgp_fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Organisation(Base):
    """A constituent: an organisation served by one owning CERT."""

    __tablename__ = "organisation"
    __access__ = Ownership("organisation", cert="cert_id", organisation="id")

    id: Mapped[intpk]
    name: Mapped[name_str] = mapped_column(unique=True)
    cert_id: Mapped[int] = mapped_column(ForeignKey("cert.id", ondelete="RESTRICT"), index=True)
    sector: Mapped[short_str] = mapped_column(index=True)
    province: Mapped[str | None] = mapped_column(String(64))
    cii: Mapped[bool] = mapped_column(Boolean, default=False)
    cii_ministry: Mapped[str | None] = mapped_column(String(200))
    cii_grade: Mapped[str | None] = mapped_column(String(32))
    cii_designated_on: Mapped[date | None] = mapped_column(Date)
    cii_next_review: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(
            "NOT cii OR (cii_ministry IS NOT NULL AND cii_grade IS NOT NULL"
            " AND cii_designated_on IS NOT NULL AND cii_next_review IS NOT NULL)",
            name="cii_designation_complete",
        ),
    )


class Contact(Base):
    """A person or mailbox at a CERT or an organisation, with a role and an expiry."""

    __tablename__ = "contact"
    __access__ = Ownership("contact", organisation="organisation_id", tlp="tlp")

    id: Mapped[intpk]
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="CASCADE"), index=True
    )
    #: None for a CERT's own contact; otherwise the organisation it belongs to.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[name_str]
    role: Mapped[ContactRole] = mapped_column(enum_column(ContactRole))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(64))
    valid_until: Mapped[date | None] = mapped_column(Date)
    tlp: Mapped[Tlp] = mapped_column(enum_column(Tlp, 16), default=Tlp.AMBER)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Resource(Base):
    """An organisation's claim on an IP prefix, an ASN or a domain.

    Prefixes keep their first and last address as fixed-width hex text (8 digits for IPv4, 32
    for IPv6), so that range queries sort correctly on every engine.
    """

    __tablename__ = "resource"
    __access__ = Ownership("resource", organisation="organisation_id")

    id: Mapped[intpk]
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ResourceKind] = mapped_column(enum_column(ResourceKind, 16))
    #: Canonical text: ``203.0.113.0/24``, ``2001:db8::/32``, ``AS64500``, ``example.pk``.
    value: Mapped[str] = mapped_column(String(255))
    ip_version: Mapped[int | None] = mapped_column(Integer)
    prefix_length: Mapped[int | None] = mapped_column(Integer)
    first_address: Mapped[str | None] = mapped_column(String(32))
    last_address: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("kind", "value"),
        Index("ix_resource_range", "ip_version", "first_address", "last_address"),
    )
