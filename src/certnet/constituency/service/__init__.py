"""The constituency: CERTs on the reporting line, organisations, contacts, resource claims,
and ``responsible_for`` — who answers for an address, an ASN or a domain.

Every function reads through the access policy and appends to the audit chain when it changes
state. None commits: the caller's unit of work does.
"""

from certnet.constituency.service.certs import (
    all_certs,
    cert_tree,
    create_cert,
    escalation_chain,
    get_cert,
    list_certs,
    top_cert_id,
    update_cert,
)
from certnet.constituency.service.claims import (
    add_resource,
    add_resources,
    count_resources,
    list_resources,
    remove_resource,
    responsible_for,
)
from certnet.constituency.service.contacts import (
    create_contact,
    delete_contact,
    get_contact,
    is_expired,
    list_contacts,
    recipients,
    update_contact,
)
from certnet.constituency.service.organisations import (
    RoutingFacts,
    count_organisations,
    create_organisation,
    get_organisation,
    list_organisations,
    routing_facts,
    update_organisation,
)

__all__ = [
    "RoutingFacts",
    "add_resource",
    "add_resources",
    "all_certs",
    "cert_tree",
    "count_organisations",
    "count_resources",
    "create_cert",
    "create_contact",
    "create_organisation",
    "delete_contact",
    "escalation_chain",
    "get_cert",
    "get_contact",
    "get_organisation",
    "is_expired",
    "list_certs",
    "list_contacts",
    "list_organisations",
    "list_resources",
    "recipients",
    "remove_resource",
    "responsible_for",
    "routing_facts",
    "top_cert_id",
    "update_cert",
    "update_contact",
    "update_organisation",
]
