"""Queries on resource servers: the custom scopes ("{Identifier}/{ScopeName}") of a pool."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.store.dialects import is_unique_violation
from cognate.store.tables import resource_servers


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceServer:
    """A resource server: its identifier, name and scopes as CreateResourceServer got them."""

    pool_id: str
    identifier: str
    name: str
    scopes: tuple[Mapping[str, str], ...]

    @property
    def scope_names(self) -> list[str]:
        """Its scopes as they appear in tokens: `{identifier}/{ScopeName}`."""
        return [f"{self.identifier}/{scope['ScopeName']}" for scope in self.scopes]


def _server(row: sa.Row[Any]) -> ResourceServer:
    return ResourceServer(
        pool_id=row.pool_id, identifier=row.identifier, name=row.name, scopes=tuple(row.scopes)
    )


async def insert_resource_server(conn: AsyncConnection, server: ResourceServer) -> bool:
    """Store a new resource server; False if the pool already has one with its identifier."""
    try:
        async with conn.begin_nested():
            await conn.execute(
                resource_servers.insert().values(
                    pool_id=server.pool_id,
                    identifier=server.identifier,
                    name=server.name,
                    scopes=[dict(scope) for scope in server.scopes],
                )
            )
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            return False
        raise
    return True


async def get_resource_server(
    conn: AsyncConnection, pool_id: str, identifier: str
) -> ResourceServer | None:
    """The pool's resource server `identifier`, or None."""
    query = resource_servers.select().where(
        resource_servers.c.pool_id == pool_id, resource_servers.c.identifier == identifier
    )
    row = (await conn.execute(query)).first()
    return _server(row) if row else None


async def list_resource_servers(
    conn: AsyncConnection, pool_id: str, *, after: str | None = None, limit: int | None = None
) -> list[ResourceServer]:
    """The pool's resource servers ordered by identifier, after `after`, at most `limit`."""
    query = (
        resource_servers.select()
        .where(resource_servers.c.pool_id == pool_id)
        .order_by(resource_servers.c.identifier)
    )
    if after is not None:
        query = query.where(resource_servers.c.identifier > after)
    if limit is not None:
        query = query.limit(limit)
    return [_server(row) for row in await conn.execute(query)]


async def update_resource_server(
    conn: AsyncConnection,
    pool_id: str,
    identifier: str,
    *,
    name: str,
    scopes: Sequence[Mapping[str, str]],
) -> None:
    """Replace a resource server's name and scopes."""
    await conn.execute(
        resource_servers.update()
        .where(resource_servers.c.pool_id == pool_id, resource_servers.c.identifier == identifier)
        .values(name=name, scopes=[dict(scope) for scope in scopes])
    )


async def delete_resource_server(conn: AsyncConnection, pool_id: str, identifier: str) -> None:
    """Delete a resource server."""
    await conn.execute(
        resource_servers.delete().where(
            resource_servers.c.pool_id == pool_id, resource_servers.c.identifier == identifier
        )
    )


async def custom_scopes(conn: AsyncConnection, pool_id: str) -> frozenset[str]:
    """Every custom scope of the pool, as `{identifier}/{ScopeName}`."""
    servers = await list_resource_servers(conn, pool_id)
    return frozenset(name for server in servers for name in server.scope_names)
