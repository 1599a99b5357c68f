"""Incident intake channels that are not the API: e-mail (an SMTP server), with a quarantine."""
