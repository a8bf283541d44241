"""Indexes for ListUsers: code-point-ordered prefix ranges on PostgreSQL, pool pages by id.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_users_pool_id_id", "users", ["pool_id", "id"])
    if op.get_bind().dialect.name == "postgresql":
        # store/dialects.py compares prefixes with COLLATE "C"; only an index in that collation
        # can serve the range (SQLite's default collation is code-point order already).
        op.execute(
            "CREATE INDEX ix_user_attributes_prefix"
            ' ON user_attributes (pool_id, name, value COLLATE "C")'
        )
        op.execute(
            'CREATE INDEX ix_users_username_prefix ON users (pool_id, username_key COLLATE "C")'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_users_username_prefix", table_name="users")
        op.drop_index("ix_user_attributes_prefix", table_name="user_attributes")
    op.drop_index("ix_users_pool_id_id", table_name="users")
