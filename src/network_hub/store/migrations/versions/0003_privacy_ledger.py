"""privacy ledger

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import network_common.models_base


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", network_common.models_base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("patron_institution", sa.String(length=64), nullable=False),
        sa.Column("patron_id", sa.String(length=128), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_institution", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.String(length=256), nullable=False),
        sa.Column("from_member", sa.String(length=64), nullable=False),
        sa.Column("to_member", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.String(length=512), nullable=False),
        sa.Column("purpose", sa.String(length=256), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("request_key", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_ledger")),
        sa.UniqueConstraint("request_key", name=op.f("uq_privacy_ledger_request_key")),
    )
    op.create_index(
        "ix_ledger_patron",
        "privacy_ledger",
        ["patron_institution", "patron_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_ledger_actor",
        "privacy_ledger",
        ["actor_institution", "actor_id", "kind", "at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_actor", table_name="privacy_ledger")
    op.drop_index("ix_ledger_patron", table_name="privacy_ledger")
    op.drop_table("privacy_ledger")
