"""Everything that differs between SQLite and PostgreSQL, and nothing else."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

# JSON columns (pool and client configuration, user attributes) are decoded on most requests;
# orjson does it several times faster than the standard library.
_JSON_CODEC: dict[str, Any] = {
    "json_serializer": lambda value: orjson.dumps(value).decode(),
    "json_deserializer": orjson.loads,
}

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


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """The standard library's sqlite3 driver, offered to SQLAlchemy's asyncio layer as is.

    Statements run on the event loop's thread: an indexed one takes microseconds, far less than
    the thread hand-offs and greenlet switches an asyncio driver (aiosqlite) spends on every
    call, several per statement. Nothing may wait here for a lock: under WAL readers never do,
    and writers' connections have no busy timeout, so BEGIN IMMEDIATE fails at once when
    another process writes and Store.begin retries it with async sleeps.
    """

    driver = "cognate_inline"
    is_async = True  # nothing in it awaits: the asyncio layer just runs it in one greenlet
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: sa.URL) -> type[sa.pool.Pool]:
        return AsyncAdaptedQueuePool


registry.register("sqlite.cognate_inline", __name__, "InlineSQLiteDialect")


class _InlineAsyncConnection(AsyncConnection):
    """An AsyncConnection over InlineSQLiteDialect: a statement is executed with a plain call.

    The asyncio layer would run each one in a new greenlet and insist that it awaited
    something; with a driver that never awaits, both are pure cost on every statement.
    """

    async def execute(
        self, statement: Any, parameters: Any = None, *, execution_options: Any = None
    ) -> Any:
        return self._proxied.execute(statement, parameters, execution_options=execution_options)

    async def exec_driver_sql(
        self, statement: str, parameters: Any = None, execution_options: Any = None
    ) -> Any:
        return self._proxied.exec_driver_sql(statement, parameters, execution_options)


class _InlineAsyncEngine(AsyncEngine):
    _connection_cls = _InlineAsyncConnection


def _inline_sqlite_engine(url: str, *, busy_timeout: float) -> AsyncEngine:
    """An engine over `url`'s SQLite file whose statements run on the event loop's thread."""
    path = sa.make_url(url).database or ":memory:"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )

    engine = create_async_engine(
        "sqlite+cognate_inline://",
        creator=connect,
        # Connections are kept (no churn of PRAGMAs under load); every transaction is ended by
        # Store's context managers, so nothing needs resetting on return.
        pool_size=20,
        max_overflow=20,
        pool_reset_on_return=None,
        **_JSON_CODEC,
    )
    sa.event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return _InlineAsyncEngine(engine.sync_engine)


def create_read_engine(url: str, engine: AsyncEngine) -> AsyncEngine:
    """The engine for read-only work: on SQLite a second pool of inline connections, whose
    reads run in autocommit, else `engine` itself."""
    if not url.startswith("sqlite"):
        return engine
    return _inline_sqlite_engine(url, busy_timeout=5)


def is_locked(error: sa.exc.OperationalError) -> bool:
    """Whether SQLite refused a statement because another connection holds the lock."""
    return "database is locked" in str(error.orig)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Start transactions ourselves (BEGIN IMMEDIATE for writes) so writers queue instead of
    # failing with "database is locked" when two transactions upgrade at once.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """The async engine for `url`, tuned per database (WAL, foreign keys and inline
    statements on SQLite)."""
    if url.startswith("sqlite"):
        engine = _inline_sqlite_engine(url, busy_timeout=0)

        @sa.event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # A writing transaction takes the write lock up front. A read runs in autocommit:
            # each statement sees a committed snapshot under WAL, and skipping BEGIN and
            # ROLLBACK saves two trips to the driver thread on every read.
            if connection.get_execution_options().get(WRITE_OPTION, False):
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, **_JSON_CODEC)


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
