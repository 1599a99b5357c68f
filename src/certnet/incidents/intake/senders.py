"""Who sent a report mail: the organisation behind the sender's address.

An address is known when it belongs to an active user of a constituent organisation, or to a
valid (unexpired) contact of one. A user wins over a contact (a user acts as themselves); an
address that several organisations list is ambiguous and goes to the quarantine, as does an
unknown one: the intake never guesses an organisation from a mail domain.

The look-ups read users and contacts through the access policy as certnet itself (the
intake has no signed-in user yet); they ask one question each — who has this address — which
neither the identity nor the constituency service offers yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from certnet.constituency.models import Contact
from certnet.core import access, clock
from certnet.core.access import Principal
from certnet.identity import service as identity
from certnet.identity.models import User

INTAKE = Principal.system("intake:mail")


@dataclass(frozen=True)
class Sender:
    """The organisation a mail speaks for, and who in it: a user, or a listed contact."""

    organisation_id: int
    address: str
    name: str
    principal: Principal
    user_id: int | None = None


@dataclass(frozen=True)
class Unresolved:
    """Why the sender could not be tied to one organisation."""

    ambiguous: bool
    detail: str


def resolve(*, session: Session, address: str) -> Sender | Unresolved:
    """The organisation behind ``address``, or why there is none."""
    address = address.strip().lower()
    if not address or "@" not in address:
        return Unresolved(False, "the mail names no sender address")
    users = list(
        session.scalars(
            access.scoped(select(User), INTAKE).where(
                func.lower(User.email) == address, User.is_active.is_(True)
            )
        )
    )
    constituents = [u for u in users if u.organisation_id is not None]
    if len({u.organisation_id for u in constituents}) == 1:
        user = constituents[0]
        assert user.organisation_id is not None
        return Sender(
            organisation_id=user.organisation_id,
            address=address,
            name=user.display_name,
            principal=identity.principal_for(session=session, user=user),
            user_id=user.id,
        )
    today = clock.now().date()
    contacts = list(
        session.scalars(
            access.scoped(select(Contact), INTAKE).where(
                func.lower(Contact.email) == address,
                Contact.organisation_id.is_not(None),
                or_(Contact.valid_until.is_(None), Contact.valid_until >= today),
            )
        )
    )
    organisations = {c.organisation_id for c in contacts} | {
        u.organisation_id for u in constituents
    }
    organisations.discard(None)
    if len(organisations) > 1:
        return Unresolved(
            True, f"{address} is listed by {len(organisations)} organisations; assign one"
        )
    if len(organisations) == 1:
        contact = contacts[0]
        assert contact.organisation_id is not None
        return Sender(
            organisation_id=contact.organisation_id,
            address=address,
            name=contact.name,
            principal=Principal.system(f"intake:mail {address}"),
        )
    if users:
        return Unresolved(
            False, f"{address} is CERT staff, not an organisation; assign the organisation"
        )
    return Unresolved(False, f"{address} is neither a user nor a contact of any organisation")
