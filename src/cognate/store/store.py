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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Transaction
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cognate.store.dialects import WRITE_OPTION, create_engine, create_read_engine, is_locked

_MIGRATIONS = Path(__file__).with_name("migrations")
T = TypeVar("T")

WRITER_PATIENCE = 30.0
"""Seconds a write transaction waits for another process's write lock before failing."""


def _started(connection: AsyncConnection) -> Connection:
    """The sync connection under `connection`, which `engine.connect()` has started."""
    sync = connection.sync_connection
    if sync is None:
        raise RuntimeError("connection not started")
    return sync


@dataclass
class _SqliteLoop:
    """One event loop's SQLite connections, opened on first use, and its writer queue."""

    writer_turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    writer: AsyncConnection | None = None
    reader: AsyncConnection | None = None


class Store:
    """One database, reached through short explicit transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: AsyncEngine = create_engine(url)
        self.read_engine: AsyncEngine = create_read_engine(url, self.engine)
        # SQLite: per event loop (a Store may serve more than one in tests), one connection
        # for reads and one for writes, kept open, since checking connections out of a pool
        # and in again costs more than the statements of most requests. SQLite has one writer
        # at a time: queueing this process's writers on an asyncio lock hands the database
        # lock over without busy-handler sleeps (p99 of concurrent writes: ~1.2 s -> tens of ms).
        self._sqlite_loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _SqliteLoop]
        self._sqlite_loops = weakref.WeakKeyDictionary()

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
        if self.dialect == "sqlite":
            async with self._sqlite_begin() as connection:
                yield connection
            return
        async with self.engine.connect() as connection, connection.begin():
            yield connection

    @asynccontextmanager
    async def _sqlite_begin(self) -> AsyncIterator[AsyncConnection]:
        """BEGIN IMMEDIATE on this loop's write connection, in this process's writer queue.

        The connection runs inline with no busy timeout (store/dialects.py): a BEGIN that finds
        another process's write lock fails at once and is retried here with async sleeps, for
        up to WRITER_PATIENCE, as a busy timeout would but without blocking the loop.
        """
        state = self._sqlite_loop()
        async with state.writer_turn:
            if state.writer is None:
                connection = await self.engine.connect()
                state.writer = await connection.execution_options(**{WRITE_OPTION: True})
            connection = state.writer
            sync = _started(connection)

            async def begin() -> Transaction:
                return sync.begin()

            transaction = await self._retry_while_locked(begin)
            try:
                yield connection
            except BaseException:
                transaction.rollback()
                if sync.invalidated:
                    state.writer = None
                raise
            transaction.commit()

    def _sqlite_loop(self) -> _SqliteLoop:
        loop = asyncio.get_running_loop()
        state = self._sqlite_loops.get(loop)
        if state is None:
            state = self._sqlite_loops[loop] = _SqliteLoop()
        return state

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
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads only, in autocommit: no BEGIN/ROLLBACK round trips.

        Each statement sees committed data; a handler that must read several rows as one
        consistent snapshot, or that writes, uses `begin()` instead. On SQLite every reader of
        a loop shares one connection: its statements run inline, each to completion, and each
        has its own cursor.
        """
        if self.dialect == "sqlite":
            state = self._sqlite_loop()
            if state.reader is None or _started(state.reader).invalidated:
                state.reader = await self.read_engine.connect()
            yield state.reader
            return
        async with self.read_engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            async with connection.begin():
                yield connection

    async def close(self) -> None:
        """Release every pooled connection."""
        for state in list(self._sqlite_loops.values()):
            for connection in (state.reader, state.writer):
                if connection is not None:
                    _started(connection).close()  # inline: nothing to await
        self._sqlite_loops.clear()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
        await self.engine.dispose()
