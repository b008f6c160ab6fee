"""linked-account change feed (link_change) for the hub's index

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import network_common.models_base


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Starts empty: the hub reads the full list once and follows the feed from there.
    op.create_table(
        "link_change",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("local_primary_id", sa.String(length=128), nullable=False),
        sa.Column("home_institution", sa.String(length=64), nullable=False),
        sa.Column("home_user_id", sa.String(length=128), nullable=False),
        sa.Column("network_link_id", sa.String(length=64), nullable=False),
        sa.Column(
            "changed_at", network_common.models_base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_link_change")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("link_change")
