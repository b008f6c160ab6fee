"""desk and library codes of loans made (and returned) at another member

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Loans made elsewhere before this revision keep only the library's name (location
    # label): the codes were never sent, so they stay empty.
    op.add_column("loan", sa.Column("loan_desk_code", sa.String(length=64), nullable=True))
    op.add_column("loan", sa.Column("loan_library_code", sa.String(length=64), nullable=True))
    op.add_column("loan", sa.Column("return_desk_code", sa.String(length=64), nullable=True))
    op.add_column("loan", sa.Column("return_library_code", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("loan") as batch:
        batch.drop_column("return_library_code")
        batch.drop_column("return_desk_code")
        batch.drop_column("loan_library_code")
        batch.drop_column("loan_desk_code")
