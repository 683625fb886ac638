"""when a posting task last listed a head's reviews on GitHub

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 18:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pull_snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviews_listed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pull_snapshots", schema=None) as batch_op:
        batch_op.drop_column("reviews_listed_at")
