"""REST routes of the risk domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/risk", tags=["risk"])
