"""Tables of the findings domain."""

from __future__ import annotations
