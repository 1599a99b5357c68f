"""Tables of the advisories domain."""

from __future__ import annotations
