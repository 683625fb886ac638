"""pull snapshots shared by the contenders of a head

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 11:31:23.263362
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pull_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pull_request_id", sa.Integer(), nullable=False),
        sa.Column("head_sha", sa.String(length=64), nullable=False),
        sa.Column("data_json", sa.Text(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pull_request_id"],
            ["pull_requests.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pull_request_id", "head_sha", name="uq_pull_snapshots_pull_head"),
    )
    with op.batch_alter_table("pull_snapshots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pull_snapshots_pull_request_id"), ["pull_request_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pull_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pull_snapshots_pull_request_id"))

    op.drop_table("pull_snapshots")
