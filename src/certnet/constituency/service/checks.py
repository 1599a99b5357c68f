"""Rules shared by the constituency's services: names unique, sectors and provinces known."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.core.errors import Conflict, FieldError, Invalid
from certnet.profiles.schemas import Profile


def check_sector_region(
    profile: Profile, sector: str | None, province: str | None, required: tuple[bool, bool]
) -> None:
    """Invalid unless the sector and province are the profile's, and present where
    ``required`` (sector needed, province needed) says so."""
    needs_sector, needs_province = required
    if sector is not None and profile.sector(sector) is None:
        known = ", ".join(s.id for s in profile.sectors)
        raise Invalid.on("sector", f"unknown sector {sector!r}; {profile.id} has: {known}")
    if needs_sector and sector is None:
        raise Invalid.on("sector", "this tier serves one sector: name it")
    if province is not None and profile.region(province) is None:
        known = ", ".join(r.id for r in profile.regions)
        raise Invalid.on("province", f"unknown province {province!r}; {profile.id} has: {known}")
    if needs_province and province is None:
        raise Invalid.on("province", "this tier serves one province: name it")


def ensure_unique(
    session: Session, model: Any, field: str, value: str, exclude: int | None
) -> None:
    column = getattr(model, field)
    stmt = select(model.id).where(func.lower(column) == value.lower())
    if exclude is not None:
        stmt = stmt.where(model.id != exclude)
    if session.scalar(stmt) is not None:
        raise Conflict(
            detail=f"{field} {value!r} is already taken",
            errors=[FieldError(field, f"{value!r} is already taken")],
        )


def icontains(column: Any, text: str) -> Any:
    """A case-insensitive ``contains`` that treats ``%`` and ``_`` in ``text`` literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped.lower()}%", escape="\\")
