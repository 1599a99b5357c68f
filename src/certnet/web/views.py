"""Console routes (placeholder until the console lands)."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Add the console's routes to ``app``."""
