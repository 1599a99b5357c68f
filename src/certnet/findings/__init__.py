"""Findings: the constituency notification loop from feed events to verified fixes."""
