"""Traffic Light Protocol 2.0 markings (FIRST), and PAP."""

from __future__ import annotations

from enum import StrEnum


class Tlp(StrEnum):
    """TLP 2.0 labels. Order of ``rank`` is from most open to most restricted."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Tlp) -> Tlp:
        """The stricter of the two: re-sharing may raise a marking, never lower it."""
        return self if self.rank >= other.rank else other

    @classmethod
    def parse(cls, text: str) -> Tlp:
        """Accept ``TLP:AMBER+STRICT``, ``amber+strict`` and TLP 1.0's ``WHITE`` (= CLEAR)."""
        label = text.strip().upper().removeprefix("TLP:")
        if label == "WHITE":
            return cls.CLEAR
        try:
            return cls(label)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown TLP label {text!r}; expected one of {allowed}") from None


_RANK = {Tlp.CLEAR: 0, Tlp.GREEN: 1, Tlp.AMBER: 2, Tlp.AMBER_STRICT: 3, Tlp.RED: 4}
