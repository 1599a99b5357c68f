"""How a model declares who owns it, read by the access policy (``certnet.core.access``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ownership:
    """How a model is owned, declared on the model as ``__access__``.

    ``cert`` and ``organisation`` name the model's attributes holding the owning CERT's and
    organisation's ids; ``is_cert_row`` is set on the CERT model itself, whose rows are also
    visible up and down a principal's reporting line; ``tlp`` names the marking's attribute.
    """

    object_type: str
    cert: str = "owner_cert_id"
    organisation: str | None = None
    tlp: str | None = None
    is_cert_row: bool = False
    #: Rows personal to one user (an API token): others see them only if they may edit them.
    personal: str | None = None
    #: Whether CERT-level rows (no organisation) are also visible down the reporting line —
    #: true for what constituents need to reach their CERTs (contacts, the CERTs themselves),
    #: false for staff records and the audit trail, which stay with the CERT and those above.
    visible_down_line: bool = True
    #: The attribute naming a CERT that handles the row besides its owner (an incident
    #: escalated up or delegated down the line): that CERT and those above it see the row as
    #: they would their own (TLP still applies; AMBER+STRICT: that CERT's own staff), and its
    #: staff may change it.
    handler: str | None = None
