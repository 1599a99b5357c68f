"""The incidents service: intake, routing and escalation, reporting clocks, case handling,
correlation, evidence, metrics and webhooks.

Every function takes ``session=`` and ``principal=`` keywords, reads through the access policy
(``core.access.scoped``; an incident the principal may not see is ``NotFound``), records each
state change on the incident's timeline and in the audit chain, and never commits: the caller's
unit of work does. Bad input raises ``core.errors.Invalid`` naming the field, nothing written.
"""

from certnet.incidents.service.cases import (
    add_comment,
    add_task,
    allowed_transitions,
    assign,
    comments,
    link,
    links,
    merge,
    tasks,
    timeline,
    transition,
    unlink,
    unmerge,
    update_task,
)
from certnet.incidents.service.clocks import (
    DUE_SOON,
    send_reminders,
    stages,
    submit_stage,
)
from certnet.incidents.service.correlation import (
    add_observables,
    correlations,
    lookup,
    observables,
)
from certnet.incidents.service.figures import daily_counts, metrics
from certnet.incidents.service.files import (
    add_evidence,
    custody,
    evidence,
    read_evidence,
)
from certnet.incidents.service.intake import report
from certnet.incidents.service.queue import counts, get, list_incidents
from certnet.incidents.service.routing import (
    delegate,
    escalate,
    playbook,
    playbooks,
    routing_rules,
    set_playbook,
    set_routing_rules,
)
from certnet.incidents.service.taxonomy import (
    certin_types,
    nis2_mapping,
    rsit_classes,
)
from certnet.incidents.service.webhooks import (
    create_webhook,
    delete_webhook,
    deliver_webhooks,
    list_webhooks,
)

__all__ = [
    "DUE_SOON",
    "add_comment",
    "add_evidence",
    "add_observables",
    "add_task",
    "allowed_transitions",
    "assign",
    "certin_types",
    "comments",
    "correlations",
    "counts",
    "create_webhook",
    "custody",
    "daily_counts",
    "delegate",
    "delete_webhook",
    "deliver_webhooks",
    "escalate",
    "evidence",
    "get",
    "link",
    "links",
    "list_incidents",
    "list_webhooks",
    "lookup",
    "merge",
    "metrics",
    "nis2_mapping",
    "observables",
    "playbook",
    "playbooks",
    "read_evidence",
    "report",
    "routing_rules",
    "rsit_classes",
    "send_reminders",
    "set_playbook",
    "set_routing_rules",
    "stages",
    "submit_stage",
    "tasks",
    "timeline",
    "transition",
    "unlink",
    "unmerge",
    "update_task",
]
