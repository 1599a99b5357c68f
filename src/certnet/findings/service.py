"""Findings services: the one module routes, commands, jobs and other domains call.

* :func:`update_from_run` — after a feed run is stored: open, follow, reopen and verify;
* :func:`notify_due` — build and enqueue the notifications that are due;
* reading findings and answering them (acknowledge, fixed, and the CERT's verify/reopen);
* suppression rules, contact preferences and notification intervals;
* the remediation figures.

None commits: the caller's unit of work does.
"""

from __future__ import annotations

from certnet.findings.answers import (
    TRANSITIONS,
    answer,
    get_finding,
    get_notification,
    history,
    list_findings,
    list_notifications,
)
from certnet.findings.notify import notify_due, period_of
from certnet.findings.preferences import (
    get_interval,
    get_preference,
    set_interval,
    set_preference,
)
from certnet.findings.remediation import report as remediation
from certnet.findings.suppressions import create_rule, get_rule, lift_rule, list_rules
from certnet.findings.tracking import RunFindings, finding_key, update_from_run

__all__ = [
    "TRANSITIONS",
    "RunFindings",
    "answer",
    "create_rule",
    "finding_key",
    "get_finding",
    "get_interval",
    "get_notification",
    "get_preference",
    "get_rule",
    "history",
    "lift_rule",
    "list_findings",
    "list_notifications",
    "list_rules",
    "notify_due",
    "period_of",
    "remediation",
    "set_interval",
    "set_preference",
    "update_from_run",
]
