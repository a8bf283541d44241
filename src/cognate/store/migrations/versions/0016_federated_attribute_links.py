"""Federation: links of not-yet-seen external identities named by an attribute.

Revision ID: 0016
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cognate.store.dialects import Timestamp

revision = "0016"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "federated_attribute_links",
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("provider_name", sa.String(length=32), nullable=False),
        sa.Column("attribute_name", sa.String(length=255), nullable=False),
        sa.Column("attribute_value", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider_type", sa.String(length=32), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["user_pools.id"],
            name=op.f("fk_federated_attribute_links_pool_id_user_pools"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_federated_attribute_links_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "pool_id",
            "provider_name",
            "attribute_name",
            "attribute_value",
            name=op.f("pk_federated_attribute_links"),
        ),
    )
    op.create_index(
        op.f("ix_federated_attribute_links_user_id"),
        "federated_attribute_links",
        ["user_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_federated_attribute_links_user_id"), table_name="federated_attribute_links"
    )
    op.drop_table("federated_attribute_links")
