"""Jurisdiction profiles: a national scheme's tiers, reporting line, sectors and clocks, as data."""
