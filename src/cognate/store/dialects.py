"""Everything that differs between SQLite and PostgreSQL, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

WRITE_OPTION = "cognate_write"
"""Execution option marking a connection whose transaction will write."""


class Timestamp(sa.types.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on both databases (SQLite would return it naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def create_engine(url: str) -> AsyncEngine:
    """The async engine for `url`, tuned per database (WAL and foreign keys on SQLite)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Start transactions ourselves (BEGIN IMMEDIATE below) so writers queue instead of
            # failing with "database is locked" when two transactions upgrade at once.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @sa.event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # A writing transaction takes the write lock up front; a read-only one does not, so
            # reads run beside writers under WAL.
            is_write = connection.get_execution_options().get(WRITE_OPTION, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if is_write else "BEGIN")

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def in_code_point_order(dialect: str, column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    """`column` compared in code-point order, the order a prefix range needs.

    SQLite's default BINARY collation already is. PostgreSQL compares in the column's collation,
    and a linguistic one (en_US…) would put values with the prefix outside the range; migration
    0002 adds the matching `COLLATE "C"` indexes so the comparison stays indexed.
    """
    if dialect == "postgresql":
        return column.collate("C")
    return column


def is_unique_violation(exc: sa.exc.IntegrityError) -> bool:
    """True when an IntegrityError comes from a unique constraint (on either database)."""
    text = str(exc.orig).lower()
    return "unique" in text or "duplicate key" in text
