"""The store: engine, migrations and transactions. Queries live beside it, one module per resource
(`pools.py`, `users.py`, `groups.py`), as functions taking the connection of a transaction.

Every operation's writes happen inside one `async with store.begin() as tx:` block, so a failure
leaves nothing half-written; never await a trigger, a webhook or slow crypto inside one.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from cognate.store.dialects import WRITE_OPTION, create_engine, create_read_engine, is_locked

_MIGRATIONS = Path(__file__).with_name("migrations")
T = TypeVar("T")

WRITER_PATIENCE = 30.0
"""Seconds a write transaction waits for another process's write lock before failing."""


class Store:
    """One database, reached through short explicit transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: AsyncEngine = create_engine(url)
        self.read_engine: AsyncEngine = create_read_engine(url, self.engine)
        # SQLite has one writer at a time; a writer that finds the lock taken polls with sleeps
        # of up to 100 ms. Queueing this process's writers on an asyncio lock first hands the
        # database lock over without those sleeps (p99 of concurrent writes: ~1.2 s -> tens of
        # ms). One lock per event loop, since a Store may serve more than one loop in tests.
        self._writer_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
        self._writer_locks = weakref.WeakKeyDictionary()

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    async def migrate(self) -> None:
        """Apply every Alembic migration not yet applied (safe to run from many processes).

        "heads": features may add migrations on separate branches from a common revision;
        all of them are applied.
        """

        def upgrade(connection: Connection) -> None:
            config = Config()
            config.set_main_option("script_location", str(_MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")

        async def attempt() -> None:
            async with self.engine.connect() as connection:
                connection = await connection.execution_options(**{WRITE_OPTION: True})
                await connection.run_sync(upgrade)
                await connection.commit()

        # Another process migrating holds SQLite's write lock: try again once it is done (it
        # commits everything or nothing, and then there is nothing left to apply).
        await self._retry_while_locked(attempt)

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """A writing transaction: committed when the block ends, rolled back if it raises.

        Never nest one inside another: on SQLite the inner one would wait for the outer.
        """
        async with self._writer_turn(), self.engine.connect() as connection:
            connection = await connection.execution_options(**{WRITE_OPTION: True})
            transaction = await self._begin_writing(connection)
            try:
                yield connection
            except BaseException:
                await transaction.rollback()
                raise
            await transaction.commit()

    async def _begin_writing(self, connection: AsyncConnection) -> AsyncTransaction:
        """BEGIN, waiting (asleep, never blocking the loop) while another process writes.

        SQLite's write connections run inline with no busy timeout (store/dialects.py): a
        BEGIN IMMEDIATE that finds another process's write lock fails at once and is retried
        here, for up to WRITER_PATIENCE like a busy timeout would.
        """
        return await self._retry_while_locked(connection.begin)

    @staticmethod
    async def _retry_while_locked(action: Callable[[], Awaitable[T]]) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WRITER_PATIENCE
        pause = 0.001
        while True:
            try:
                return await action()
            except OperationalError as error:
                if not is_locked(error) or loop.time() >= deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)

    @asynccontextmanager
    async def _writer_turn(self) -> AsyncIterator[None]:
        if self.dialect != "sqlite":
            yield
            return
        loop = asyncio.get_running_loop()
        lock = self._writer_locks.get(loop)
        if lock is None:
            lock = self._writer_locks[loop] = asyncio.Lock()
        async with lock:
            yield

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads only, in autocommit: no BEGIN/ROLLBACK round trips.

        Each statement sees committed data; a handler that must read several rows as one
        consistent snapshot, or that writes, uses `begin()` instead.
        """
        async with self.read_engine.connect() as connection:
            if self.dialect == "postgresql":
                connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            async with connection.begin():
                yield connection

    async def close(self) -> None:
        """Release every pooled connection."""
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
        await self.engine.dispose()
