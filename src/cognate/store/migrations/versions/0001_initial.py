"""The initial schema: pools, clients, secrets, domains, users, aliases, groups, signing keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cognate.store.dialects import Timestamp

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_pools",
        sa.Column("id", sa.String(length=55), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_pools")),
    )
    op.create_table(
        "domains",
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["user_pools.id"],
            name=op.f("fk_domains_pool_id_user_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_domains")),
    )
    op.create_index(op.f("ix_domains_pool_id"), "domains", ["pool_id"], unique=False)
    op.create_table(
        "groups",
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.String(length=2048), nullable=True),
        sa.Column("role_arn", sa.String(length=2048), nullable=True),
        sa.Column("precedence", sa.Integer(), nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["user_pools.id"],
            name=op.f("fk_groups_pool_id_user_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "name", name=op.f("pk_groups")),
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("private_key", sa.LargeBinary(), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("retired_at", Timestamp(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["user_pools.id"],
            name=op.f("fk_signing_keys_pool_id_user_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
    )
    op.create_index(op.f("ix_signing_keys_pool_id"), "signing_keys", ["pool_id"], unique=False)
    op.create_table(
        "user_pool_clients",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["user_pools.id"],
            name=op.f("fk_user_pool_clients_pool_id_user_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_pool_clients")),
    )
    op.create_index(
        op.f("ix_user_pool_clients_pool_id"), "user_pool_clients", ["pool_id"], unique=False
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("username_key", sa.String(length=128), nullable=False),
        sa.Column("sub", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("password", sa.LargeBinary(), nullable=True),
        sa.Column("password_set_at", Timestamp(), nullable=True),
        sa.Column("mfa", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["user_pools.id"],
            name=op.f("fk_users_pool_id_user_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("pool_id", "sub", name=op.f("uq_users_pool_id_sub")),
        sa.UniqueConstraint("pool_id", "username_key", name=op.f("uq_users_pool_id_username_key")),
    )
    op.create_index("ix_users_pool_id_status", "users", ["pool_id", "status"], unique=False)
    op.create_index("ix_users_pool_id_username", "users", ["pool_id", "username"], unique=False)
    op.create_table(
        "aliases",
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value_key", sa.String(length=512), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_aliases_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pool_id", "kind", "value_key", name=op.f("pk_aliases")),
    )
    op.create_index(op.f("ix_aliases_user_id"), "aliases", ["user_id"], unique=False)
    op.create_table(
        "client_secrets",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["user_pool_clients.id"],
            name=op.f("fk_client_secrets_client_id_user_pool_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_secrets")),
    )
    op.create_index(
        op.f("ix_client_secrets_client_id"), "client_secrets", ["client_id"], unique=False
    )
    op.create_table(
        "password_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("password", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_password_history_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_history")),
    )
    op.create_index(
        op.f("ix_password_history_user_id"), "password_history", ["user_id"], unique=False
    )
    op.create_table(
        "user_attributes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("value", sa.String(length=512), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_attributes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "name", name=op.f("pk_user_attributes")),
    )
    op.create_index(
        "ix_user_attributes_pool_id_name_value",
        "user_attributes",
        ["pool_id", "name", "value"],
        unique=False,
    )
    op.create_table(
        "user_groups",
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("group_name", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id", "group_name"],
            ["groups.pool_id", "groups.name"],
            name=op.f("fk_user_groups_pool_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_groups_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pool_id", "group_name", "user_id", name=op.f("pk_user_groups")),
    )
    op.create_index("ix_user_groups_user_id", "user_groups", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_user_groups_user_id", table_name="user_groups")
    op.drop_table("user_groups")
    op.drop_index("ix_user_attributes_pool_id_name_value", table_name="user_attributes")
    op.drop_table("user_attributes")
    op.drop_index(op.f("ix_password_history_user_id"), table_name="password_history")
    op.drop_table("password_history")
    op.drop_index(op.f("ix_client_secrets_client_id"), table_name="client_secrets")
    op.drop_table("client_secrets")
    op.drop_index(op.f("ix_aliases_user_id"), table_name="aliases")
    op.drop_table("aliases")
    op.drop_index("ix_users_pool_id_username", table_name="users")
    op.drop_index("ix_users_pool_id_status", table_name="users")
    op.drop_table("users")
    op.drop_index(op.f("ix_user_pool_clients_pool_id"), table_name="user_pool_clients")
    op.drop_table("user_pool_clients")
    op.drop_index(op.f("ix_signing_keys_pool_id"), table_name="signing_keys")
    op.drop_table("signing_keys")
    op.drop_table("groups")
    op.drop_index(op.f("ix_domains_pool_id"), table_name="domains")
    op.drop_table("domains")
    op.drop_table("user_pools")
