"""notifications: the outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certnet.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ = (sa, op, certnet.db.base)


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
