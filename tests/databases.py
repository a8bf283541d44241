"""Throw-away PostgreSQL databases for test sessions."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg


async def _admin(base_url: str, statement: str) -> None:
    connection = await asyncpg.connect(base_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def temporary_database(base_url: str) -> Iterator[str]:
    """Create a fresh database on the server of `base_url`; yield its URL; drop it after."""
    name = f"cognate_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(base_url, f'CREATE DATABASE "{name}"'))
    parts = urlsplit(base_url)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        asyncio.run(_admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
