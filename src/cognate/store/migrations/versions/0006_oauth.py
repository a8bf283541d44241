"""OAuth 2.0: resource servers (custom scopes) and single-use authorization codes.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cognate.store.dialects import Timestamp

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resource_servers",
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("identifier", sa.String(length=256), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["user_pools.id"],
            name=op.f("fk_resource_servers_pool_id_user_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "identifier", name=op.f("pk_resource_servers")),
    )
    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("nonce", sa.Text(), nullable=True),
        sa.Column("code_challenge", sa.String(length=128), nullable=True),
        sa.Column("auth_time", Timestamp(), nullable=False),
        sa.Column("expires_at", Timestamp(), nullable=False),
        sa.Column("used_at", Timestamp(), nullable=True),
        sa.Column("refresh_token_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_authorization_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_authorization_codes")),
    )
    op.create_index(
        op.f("ix_authorization_codes_user_id"), "authorization_codes", ["user_id"], unique=False
    )
    op.create_index(
        op.f("ix_authorization_codes_expires_at"),
        "authorization_codes",
        ["expires_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_authorization_codes_expires_at"), table_name="authorization_codes")
    op.drop_index(op.f("ix_authorization_codes_user_id"), table_name="authorization_codes")
    op.drop_table("authorization_codes")
    op.drop_table("resource_servers")
