"""The initial schema: accounts, API keys, sandboxes, the action log, snapshots, jobs.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "sandboxes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("genesis", sa.Text, nullable=False),
        sa.Column("genesis_hash", sa.String(64), nullable=False),
        sa.Column("parent_name", sa.String(64), nullable=True),
        sa.Column("fork_seq", sa.BigInteger, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "action_log",
        sa.Column(
            "sandbox_id",
            sa.Integer,
            sa.ForeignKey("sandboxes.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("target", sa.String(256), nullable=False),
        sa.Column("args", sa.Text, nullable=False),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("wall_time", sa.DateTime, nullable=False),
        sa.Column("chain_time", sa.BigInteger, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("events", sa.Text, nullable=False),
        sa.Column("event_kinds", sa.Text, nullable=False),
        sa.Column("state_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_action_log_name", "action_log", ["name"])
    op.create_index("ix_action_log_sender", "action_log", ["sender"])
    op.create_table(
        "snapshots",
        sa.Column(
            "sandbox_id",
            sa.Integer,
            sa.ForeignKey("sandboxes.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("blob", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("scenario", sa.String(128), nullable=False),
        sa.Column("paths", sa.Integer, nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("done_paths", sa.Integer, nullable=False),
        sa.Column("out_dir", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
    )


def downgrade() -> None:
    for table in ("jobs", "snapshots", "action_log", "sandboxes", "api_keys", "accounts"):
        op.drop_table(table)
