"""Advisories: authoring, CSAF 2.0 publication and targeted dissemination."""
