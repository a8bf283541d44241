"""Sign-in attempts in flight: a lockout counter tells claimed attempts from failures.

Revision ID: 0011
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sign_in_failures") as batch:
        batch.add_column(sa.Column("in_flight", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("sign_in_failures") as batch:
        batch.drop_column("in_flight")
