"""Developer-authenticated identities and principal tag maps of identity pools.

Developer logins live in identity_logins like any other login, so its subject widens to a
DeveloperUserIdentifier's 1024 characters. identity_principal_tags holds
SetPrincipalTagAttributeMap's maps.

Revision ID: 0015
Revises: 0003 (depends on 0007, which created the identity-pool tables)
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cognate.store.dialects import Timestamp

revision = "0015"
down_revision = "0003"
branch_labels = None
depends_on = "0007"


def upgrade() -> None:
    with op.batch_alter_table("identity_logins") as batch:
        batch.alter_column(
            "subject", existing_type=sa.String(length=256), type_=sa.String(length=1024)
        )
    op.create_table(
        "identity_principal_tags",
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("provider", sa.String(length=128), nullable=False),
        sa.Column("use_defaults", sa.Boolean(), nullable=False),
        sa.Column("principal_tags", sa.JSON(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["identity_pools.id"],
            name=op.f("fk_identity_principal_tags_pool_id_identity_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "provider", name=op.f("pk_identity_principal_tags")),
    )


def downgrade() -> None:
    op.drop_table("identity_principal_tags")
    with op.batch_alter_table("identity_logins") as batch:
        batch.alter_column(
            "subject", existing_type=sa.String(length=1024), type_=sa.String(length=256)
        )
