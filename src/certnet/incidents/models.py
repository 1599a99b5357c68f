"""Tables of the incidents domain."""

from __future__ import annotations
