"""REST routes of the advisories domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/advisories", tags=["advisories"])
