"""Statements on the hottest paths (sign-in, refresh, access-token checks), compiled once and run
on SQLite's driver directly.

SQLAlchemy spends ~15 us on each execution (cache-key lookup, execution context, parameter and
result processing, Row objects) of statements SQLite itself runs in a few microseconds; a sign-in
makes about eight. A `Prepared` statement is written in SQLAlchemy Core like any other and
compiled by SQLAlchemy once per dialect; on SQLite an execution is then one call on the DBAPI
cursor, with SQLAlchemy's own bind and result processors applied, so values come back exactly
as they would through SQLAlchemy (tests/store/test_prepared.py compares the two). PostgreSQL
goes through SQLAlchemy as before.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import Select

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    # Per positional parameter: the caller's parameter name and its processor, or None and
    # the statement's own value, already processed.
    parameters: tuple[tuple[str | None, Any, Processor], ...]
    row: Any  # a namedtuple class, or None for a statement returning nothing
    # (column index, processor) for the result columns that have one.
    results: tuple[tuple[int, Callable[[Any], Any]], ...]


class Prepared:
    """`statement` (a SELECT, or INSERT / UPDATE / DELETE with or without RETURNING), run with
    `first`, `all` or `run`. Rows read like SQLAlchemy's: attributes named after the columns."""

    def __init__(self, statement: Select[Any] | UpdateBase) -> None:
        self.statement = statement
        self._sqlite: _Compiled | None = None

    async def first(self, conn: AsyncConnection, parameters: Mapping[str, Any]) -> Any | None:
        """The first row, or None."""
        if conn.dialect.name != "sqlite":
            return (await conn.execute(self.statement, parameters)).first()
        compiled, cursor = self._execute(conn, parameters)
        try:
            found = cursor.fetchone()
        finally:
            cursor.close()
        return None if found is None else _row(compiled, found)

    async def all(self, conn: AsyncConnection, parameters: Mapping[str, Any]) -> list[Any]:
        """Every row."""
        if conn.dialect.name != "sqlite":
            return list((await conn.execute(self.statement, parameters)).all())
        compiled, cursor = self._execute(conn, parameters)
        try:
            found = cursor.fetchall()
        finally:
            cursor.close()
        return [_row(compiled, values) for values in found]

    async def run(self, conn: AsyncConnection, parameters: Mapping[str, Any]) -> int:
        """Execute a statement for its effect; the number of rows it changed."""
        if conn.dialect.name != "sqlite":
            return int((await conn.execute(self.statement, parameters)).rowcount)
        _compiled, cursor = self._execute(conn, parameters)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def _execute(
        self, conn: AsyncConnection, parameters: Mapping[str, Any]
    ) -> tuple[_Compiled, Any]:
        compiled = self._sqlite or self._compile(conn.dialect)
        values = [_bound(parameters, *parameter) for parameter in compiled.parameters]
        sync = conn.sync_connection
        if sync is None:
            raise RuntimeError("connection not started")
        driver: Any = sync.connection.dbapi_connection
        try:
            # The inline SQLite driver (store/dialects.py): a plain call, in the connection's
            # transaction if one is open.
            return compiled, driver.execute(compiled.sql, values)
        except sqlite3.Error as error:
            # As SQLAlchemy raises it (IntegrityError, OperationalError...), for the callers
            # that tell a unique violation or a locked database apart.
            raise DBAPIError.instance(compiled.sql, values, error, sqlite3.Error) from error

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        if compiled.positiontup is None or getattr(compiled, "post_compile_params", None):
            raise ValueError("a prepared statement needs plain positional parameters")
        parameters: list[tuple[str | None, Any, Processor]] = []
        for name in compiled.positiontup:
            bind = compiled.binds[name]
            if bind.expanding:
                raise ValueError(f"expanding parameter {name!r} cannot be prepared")
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind.required:
                parameters.append((name, None, process))
            else:
                fixed = bind.effective_value
                parameters.append((None, fixed if process is None else process(fixed), None))
        columns = _columns(self.statement)
        names = [column["name"] for column in columns]
        # namedtuple refuses names that are duplicate or not identifiers: label such columns.
        row: Any = namedtuple("PreparedRow", names) if names else None
        processors = (
            column["type"].dialect_impl(dialect).result_processor(dialect, None)
            for column in columns
        )
        results = tuple(
            (index, process) for index, process in enumerate(processors) if process is not None
        )
        self._sqlite = _Compiled(
            sql=compiled.string, parameters=tuple(parameters), row=row, results=results
        )
        return self._sqlite


def _columns(statement: Select[Any] | UpdateBase) -> Sequence[Mapping[str, Any]]:
    if isinstance(statement, Select):
        descriptions: Sequence[Mapping[str, Any]] = statement.column_descriptions
        return descriptions
    return statement.returning_column_descriptions


def _bound(parameters: Mapping[str, Any], name: str | None, fixed: Any, process: Processor) -> Any:
    """One positional value: the statement's own (`fixed`), or the caller's, processed."""
    if name is None:
        return fixed
    value = parameters[name]
    return value if process is None else process(value)


def _row(compiled: _Compiled, found: Sequence[Any]) -> Any:
    values = list(found)
    for index, process in compiled.results:
        values[index] = process(values[index])
    return compiled.row._make(values)
