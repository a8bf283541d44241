"""Remembered devices: each device's key, group key, encrypted SRP verifier and status.

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cognate.store.dialects import Timestamp

revision = "0008"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("device_key", sa.String(length=55), nullable=False),
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("device_group_key", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.LargeBinary(), nullable=True),
        sa.Column("verifier", sa.LargeBinary(), nullable=True),
        sa.Column("name", sa.String(length=1024), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("remembered_status", sa.String(length=16), nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("last_authenticated_at", Timestamp(), nullable=True),
        sa.Column("last_modified_at", Timestamp(), nullable=False),
        sa.Column("last_ip", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["user_pools.id"],
            name=op.f("fk_devices_pool_id_user_pools"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_devices_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_key", name=op.f("pk_devices")),
    )
    op.create_index(op.f("ix_devices_pool_id"), "devices", ["pool_id"], unique=False)
    op.create_index(op.f("ix_devices_user_id"), "devices", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_devices_user_id"), table_name="devices")
    op.drop_index(op.f("ix_devices_pool_id"), table_name="devices")
    op.drop_table("devices")
