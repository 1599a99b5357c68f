"""Tables of the risk domain."""

from __future__ import annotations
