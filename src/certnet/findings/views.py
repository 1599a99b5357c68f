"""Console pages of the findings domain."""

from __future__ import annotations

from fastapi import APIRouter

from certnet.web.console import ConsoleRoute

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
