"""Imports every domain's models so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from certnet.advisories import models as advisories_models
from certnet.constituency import models as constituency_models
from certnet.core import models as core_models
from certnet.feeds import models as feeds_models
from certnet.feeds import source_models as feeds_source_models
from certnet.findings import models as findings_models
from certnet.identity import models as identity_models
from certnet.incidents import models as incidents_models
from certnet.incidents.intake import models as intake_models
from certnet.notifications import models as notifications_models
from certnet.risk import models as risk_models

__all__ = [
    "advisories_models",
    "constituency_models",
    "core_models",
    "feeds_models",
    "feeds_source_models",
    "findings_models",
    "identity_models",
    "incidents_models",
    "intake_models",
    "notifications_models",
    "risk_models",
]
