"""Identity pools: pools, identities, their linked logins, issued credentials, OpenID keys.

Revision ID: 0007
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cognate.store.dialects import Timestamp

revision = "0007"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_pools",
        sa.Column("id", sa.String(length=55), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_pools")),
    )
    op.create_table(
        "identities",
        sa.Column("id", sa.String(length=55), nullable=False),
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["identity_pools.id"],
            name=op.f("fk_identities_pool_id_identity_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
    )
    op.create_index(op.f("ix_identities_pool_id"), "identities", ["pool_id"], unique=False)
    op.create_table(
        "identity_logins",
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("provider", sa.String(length=256), nullable=False),
        sa.Column("subject", sa.String(length=256), nullable=False),
        sa.Column("identity_id", sa.String(length=55), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["identities.id"],
            name=op.f("fk_identity_logins_identity_id_identities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["identity_pools.id"],
            name=op.f("fk_identity_logins_pool_id_identity_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "provider", "subject", name=op.f("pk_identity_logins")),
    )
    op.create_index(
        op.f("ix_identity_logins_identity_id"), "identity_logins", ["identity_id"], unique=False
    )
    op.create_table(
        "identity_credentials",
        sa.Column("access_key_id", sa.String(length=20), nullable=False),
        sa.Column("identity_id", sa.String(length=55), nullable=False),
        sa.Column("role_arn", sa.String(length=2048), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("session_token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["identities.id"],
            name=op.f("fk_identity_credentials_identity_id_identities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("access_key_id", name=op.f("pk_identity_credentials")),
    )
    op.create_index(
        op.f("ix_identity_credentials_identity_id"),
        "identity_credentials",
        ["identity_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_identity_credentials_expires_at"),
        "identity_credentials",
        ["expires_at"],
        unique=False,
    )
    op.create_table(
        "identity_signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("private_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_identity_signing_keys")),
    )


def downgrade() -> None:
    op.drop_table("identity_signing_keys")
    op.drop_index(op.f("ix_identity_credentials_expires_at"), table_name="identity_credentials")
    op.drop_index(op.f("ix_identity_credentials_identity_id"), table_name="identity_credentials")
    op.drop_table("identity_credentials")
    op.drop_index(op.f("ix_identity_logins_identity_id"), table_name="identity_logins")
    op.drop_table("identity_logins")
    op.drop_index(op.f("ix_identities_pool_id"), table_name="identities")
    op.drop_table("identities")
    op.drop_table("identity_pools")
