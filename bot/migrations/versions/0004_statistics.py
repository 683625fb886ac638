"""statistics columns: each comment's language and verdict, each run's number of files reviewed

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 13:25:22.077540
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.core.languages import language_of

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None
VERDICTS = ("accepted", "addressed", "rejected", "ignored", "pending")
COUNTS = (
    "n_accepted",
    "n_addressed",
    "n_rejected",
    "n_ignored",
    "n_pending",
    "n_shared_accepted",
    "n_shared_decided",
)


def upgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=24), nullable=False, server_default="Other"))
        batch_op.add_column(sa.Column("verdict", sa.String(length=10), nullable=False, server_default="pending"))
        batch_op.add_column(sa.Column("pull_request_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_comments_pull_request_id", "pull_requests", ["pull_request_id"], ["id"])
        batch_op.create_index("ix_comments_run_stats", ["run_pk", "placement", "verdict", "agreement_id"])
        batch_op.create_index(
            "ix_comments_agreement", ["agreement_id", "contender", "verdict", "pull_request_id", "placement"]
        )
        batch_op.create_index("ix_comments_pull_path", ["pull_request_id", "path", "contender", "placement"])

    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("files_reviewed", sa.Integer(), nullable=False, server_default="0"))
        for name in COUNTS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    _backfill_languages()
    op.execute(
        "UPDATE comments SET pull_request_id = (SELECT r.pull_request_id FROM runs r WHERE r.id = comments.run_pk)"
    )
    op.execute(
        "UPDATE comments SET verdict = (SELECT v.verdict FROM verdicts v WHERE v.comment_id = comments.id)"
        " WHERE EXISTS (SELECT 1 FROM verdicts v WHERE v.comment_id = comments.id)"
    )
    op.execute(RECOUNT)


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("files_reviewed")
        for name in COUNTS:
            batch_op.drop_column(name)

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_pull_path")
        batch_op.drop_index("ix_comments_agreement")
        batch_op.drop_index("ix_comments_run_stats")
        batch_op.drop_constraint("fk_comments_pull_request_id", type_="foreignkey")
        batch_op.drop_column("pull_request_id")
        batch_op.drop_column("verdict")
        batch_op.drop_column("language")


def _backfill_languages() -> None:
    """Comments stored before this revision get the language of their path."""
    comments = sa.table("comments", sa.column("id", sa.Integer()), sa.column("path", sa.Text()), sa.column("language"))
    bind = op.get_bind()
    for row in bind.execute(sa.select(comments.c.id, comments.c.path)).all():
        bind.execute(comments.update().where(comments.c.id == row.id).values(language=language_of(row.path)))


# what bot.acceptance_store.recount_runs keeps up to date, for the runs stored before this revision
_LINE = "FROM comments c WHERE c.run_pk = runs.id AND c.placement != 'body'"
_DECIDED = "('accepted', 'addressed', 'rejected', 'ignored')"
_SETS = [
    *(f"n_{v} = (SELECT COUNT(*) {_LINE} AND c.verdict = '{v}')" for v in VERDICTS),
    f"n_shared_accepted = (SELECT COUNT(*) {_LINE} AND c.agreement_id IS NOT NULL AND c.verdict = 'accepted')",
    f"n_shared_decided = (SELECT COUNT(*) {_LINE} AND c.agreement_id IS NOT NULL AND c.verdict IN {_DECIDED})",
]
RECOUNT = "UPDATE runs SET " + ", ".join(_SETS)  # noqa: S608 (constants only)
