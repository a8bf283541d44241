"""Branding: UI customization (CSS and logo), managed-login branding, terms documents.

Revision ID: 0009
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cognate.store.dialects import Timestamp

revision = "0009"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ui_customizations",
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("css", sa.Text(), nullable=True),
        sa.Column("css_version", sa.String(length=32), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=True),
        sa.Column("image_type", sa.String(length=32), nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["user_pools.id"],
            name=op.f("fk_ui_customizations_pool_id_user_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "client_id", name=op.f("pk_ui_customizations")),
    )
    op.create_table(
        "managed_login_brandings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=True),
        sa.Column("assets", sa.JSON(), nullable=False),
        sa.Column("use_cognito_provided_values", sa.Boolean(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["user_pools.id"],
            name=op.f("fk_managed_login_brandings_pool_id_user_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_managed_login_brandings")),
        sa.UniqueConstraint(
            "pool_id", "client_id", name=op.f("uq_managed_login_brandings_pool_id_client_id")
        ),
    )
    op.create_index(
        op.f("ix_managed_login_brandings_pool_id"),
        "managed_login_brandings",
        ["pool_id"],
        unique=False,
    )
    op.create_table(
        "terms",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("enforcement", sa.String(length=16), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["user_pools.id"],
            name=op.f("fk_terms_pool_id_user_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terms")),
        sa.UniqueConstraint(
            "pool_id", "client_id", "name", name=op.f("uq_terms_pool_id_client_id_name")
        ),
    )
    op.create_index(op.f("ix_terms_pool_id"), "terms", ["pool_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_terms_pool_id"), table_name="terms")
    op.drop_table("terms")
    op.drop_index(op.f("ix_managed_login_brandings_pool_id"), table_name="managed_login_brandings")
    op.drop_table("managed_login_brandings")
    op.drop_table("ui_customizations")
