"""Tables of the notifications domain."""

from __future__ import annotations
