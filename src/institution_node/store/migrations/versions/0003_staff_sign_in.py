"""staff sign-in: staff_login (password, OIDC subject, lockout, disabling); API key dates

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:00:00
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
        "staff_login",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("oidc_subject", sa.String(length=255), nullable=True),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "locked_until", network_common.models_base.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "password_changed_at",
            network_common.models_base.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "last_sign_in_at", network_common.models_base.UtcDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_staff_login_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_staff_login")),
        sa.UniqueConstraint("oidc_subject", name=op.f("uq_staff_login_oidc_subject")),
    )
    op.add_column(
        "api_key",
        sa.Column(
            "revoked_at", network_common.models_base.UtcDateTime(timezone=True), nullable=True
        ),
    )
    op.add_column(
        "api_key",
        sa.Column(
            "last_used_at", network_common.models_base.UtcDateTime(timezone=True), nullable=True
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("api_key") as batch:
        batch.drop_column("last_used_at")
        batch.drop_column("revoked_at")
    op.drop_table("staff_login")
