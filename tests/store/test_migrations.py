"""Migrations: they build exactly the schema of tables.py, and go down and up again cleanly."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from cognate.settings import Settings
from cognate.store.store import Store
from cognate.store.tables import metadata
from tests.databases import temporary_database

MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "cognate" / "store" / "migrations"
# Indexes that exist only on PostgreSQL and are created by raw SQL in migration 0002.
POSTGRES_ONLY = {"ix_user_attributes_prefix", "ix_users_username_prefix"}


def store_for(tmp_path: Path, database_url: str | None) -> Store:
    return Store(Settings(data_dir=tmp_path, database_url=database_url).store_url())


def _differences(connection: sa.Connection) -> list[Any]:
    context = MigrationContext.configure(connection)
    return [
        diff
        for diff in compare_metadata(context, metadata)
        if not (diff[0] == "remove_index" and diff[1].name in POSTGRES_ONLY)
        and diff[0] != "remove_table"  # alembic's own version table
    ]


def _down_and_up(connection: sa.Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.downgrade(config, "base")
    command.upgrade(config, "heads")


def check_migrations(store: Store) -> None:
    """Migrate; compare with tables.py; go down to nothing and up again; compare again."""

    async def run() -> None:
        try:
            await store.migrate()
            async with store.engine.connect() as connection:
                assert await connection.run_sync(_differences) == []
            async with store.engine.begin() as connection:
                await connection.run_sync(_down_and_up)
            async with store.engine.connect() as connection:
                assert await connection.run_sync(_differences) == []
        finally:
            await store.close()

    asyncio.run(run())


def test_migrations_match_tables_and_reverse(tmp_path: Path) -> None:
    # A database of its own: going down to base would wipe the shared test server's.
    postgres = os.environ.get("COGNATE_TEST_DATABASE_URL")
    if not postgres:
        check_migrations(store_for(tmp_path, None))
        return
    with temporary_database(postgres) as url:
        check_migrations(store_for(tmp_path, url))
