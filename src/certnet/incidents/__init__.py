"""Incidents: reporting, routing, escalation, clocks and case handling across the CERT tiers."""
