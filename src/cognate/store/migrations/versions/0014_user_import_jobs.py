"""CSV user import: the jobs, and the uploaded CSV files in pieces.

Revision ID: 0014
Revises: 0003
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cognate.store.dialects import Timestamp

revision = "0014"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_import_jobs",
        sa.Column("id", sa.String(length=55), nullable=False),
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("logs_role_arn", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("started_at", Timestamp(), nullable=True),
        sa.Column("completed_at", Timestamp(), nullable=True),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("completion_message", sa.String(length=128), nullable=True),
        sa.Column("upload_id", sa.String(length=32), nullable=True),
        sa.Column("next_line", sa.Integer(), nullable=False),
        sa.Column("lease_expires_at", Timestamp(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["user_pools.id"],
            name=op.f("fk_user_import_jobs_pool_id_user_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_import_jobs")),
    )
    op.create_index(
        "ix_user_import_jobs_pool_id_created_at",
        "user_import_jobs",
        ["pool_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "user_import_chunks",
        sa.Column("job_id", sa.String(length=55), nullable=False),
        sa.Column("upload_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["user_import_jobs.id"],
            name=op.f("fk_user_import_chunks_job_id_user_import_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "upload_id", "seq", name=op.f("pk_user_import_chunks")),
    )


def downgrade() -> None:
    op.drop_table("user_import_chunks")
    op.drop_index("ix_user_import_jobs_pool_id_created_at", table_name="user_import_jobs")
    op.drop_table("user_import_jobs")
