"""acceptance signals, verdicts and harvest cursors

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 13:03:58.342446
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "harvest_cursors",
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("done_through", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending_json", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
        ),
        sa.PrimaryKeyConstraint("repository_id"),
    )
    op.create_table(
        "signals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("actor_association", sa.String(length=24), nullable=False),
        sa.Column("actor_is_bot", sa.Boolean(), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("comment_id", "kind", "source_id", name="uq_signals_comment_kind_source"),
    )
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signals_comment_id"), ["comment_id"], unique=False)

    op.create_table(
        "verdicts",
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=10), nullable=False),
        sa.Column("rule", sa.String(length=24), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("definition", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
        ),
        sa.PrimaryKeyConstraint("comment_id"),
    )
    with op.batch_alter_table("verdicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verdicts_verdict"), ["verdict"], unique=False)

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("marker", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("suggestion", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("agreement_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_comments_agreement_id", "agreements", ["agreement_id"], ["id"])

    with op.batch_alter_table("pull_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author", sa.String(length=100), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("state", sa.String(length=10), nullable=False, server_default="open"))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_pushed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("polled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("next_poll_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_pull_requests_next_poll_at"), ["next_poll_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pull_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pull_requests_next_poll_at"))
        batch_op.drop_column("next_poll_at")
        batch_op.drop_column("polled_at")
        batch_op.drop_column("last_pushed_at")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("state")
        batch_op.drop_column("author")

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_constraint("fk_comments_agreement_id", type_="foreignkey")
        batch_op.drop_column("agreement_id")
        batch_op.drop_column("suggestion")
        batch_op.drop_column("marker")

    with op.batch_alter_table("verdicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verdicts_verdict"))

    op.drop_table("verdicts")
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signals_comment_id"))

    op.drop_table("signals")
    op.drop_table("harvest_cursors")
