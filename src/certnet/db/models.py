"""Imports every domain's models so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from certnet.constituency import models as constituency_models
from certnet.core import models as core_models
from certnet.feeds import models as feeds_models
from certnet.identity import models as identity_models

__all__ = ["constituency_models", "core_models", "feeds_models", "identity_models"]
