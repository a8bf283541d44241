"""Threat protection: risk configurations and auth events.

Revision ID: 0017
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cognate.store.dialects import Timestamp

revision = "0017"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_configurations",
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["user_pools.id"],
            name=op.f("fk_risk_configurations_pool_id_user_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "client_id", name=op.f("pk_risk_configurations")),
    )
    op.create_table(
        "auth_events",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("user_sub", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=50), nullable=False),
        sa.Column("event_type", sa.String(length=16), nullable=False),
        sa.Column("response", sa.String(length=16), nullable=False),
        sa.Column("risk", sa.JSON(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("challenge_responses", sa.JSON(), nullable=False),
        sa.Column("feedback", sa.JSON(), nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["user_pools.id"],
            name=op.f("fk_auth_events_pool_id_user_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_auth_events")),
    )
    op.create_index(
        "ix_auth_events_pool_id_user_sub_seq",
        "auth_events",
        ["pool_id", "user_sub", "seq"],
        unique=False,
    )
    op.create_index(
        "ix_auth_events_pool_id_event_id", "auth_events", ["pool_id", "event_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_auth_events_pool_id_event_id", table_name="auth_events")
    op.drop_index("ix_auth_events_pool_id_user_sub_seq", table_name="auth_events")
    op.drop_table("auth_events")
    op.drop_table("risk_configurations")
