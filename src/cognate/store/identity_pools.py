"""Queries on identity pools: their configuration and roles (SetIdentityPoolRoles)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.identity_pool import IdentityPool
from cognate.store.tables import identity_pools


def _pool(row: sa.Row[Any]) -> IdentityPool:
    roles = row.roles or {}
    return IdentityPool(
        id=row.id,
        name=row.name,
        config=row.config,
        roles=roles.get("Roles") or {},
        role_mappings=roles.get("RoleMappings") or {},
    )


async def insert_identity_pool(
    conn: AsyncConnection, pool_id: str, config: Mapping[str, Any], *, now: datetime
) -> IdentityPool:
    """Store a new identity pool without roles."""
    await conn.execute(
        identity_pools.insert().values(
            id=pool_id,
            name=config["IdentityPoolName"],
            config=dict(config),
            roles={},
            created_at=now,
            updated_at=now,
        )
    )
    return IdentityPool(
        id=pool_id, name=config["IdentityPoolName"], config=config, roles={}, role_mappings={}
    )


async def get_identity_pool(conn: AsyncConnection, pool_id: str) -> IdentityPool | None:
    """The identity pool `pool_id`, or None."""
    row = (
        await conn.execute(identity_pools.select().where(identity_pools.c.id == pool_id))
    ).first()
    return _pool(row) if row else None


async def update_identity_pool(
    conn: AsyncConnection, pool_id: str, config: Mapping[str, Any], *, now: datetime
) -> None:
    """Replace a pool's configuration (its roles are kept)."""
    await conn.execute(
        identity_pools.update()
        .where(identity_pools.c.id == pool_id)
        .values(name=config["IdentityPoolName"], config=dict(config), updated_at=now)
    )


async def set_roles(
    conn: AsyncConnection,
    pool_id: str,
    roles: Mapping[str, str],
    role_mappings: Mapping[str, Any],
    *,
    now: datetime,
) -> None:
    """Replace a pool's Roles and RoleMappings."""
    await conn.execute(
        identity_pools.update()
        .where(identity_pools.c.id == pool_id)
        .values(roles={"Roles": dict(roles), "RoleMappings": dict(role_mappings)}, updated_at=now)
    )


async def delete_identity_pool(conn: AsyncConnection, pool_id: str) -> bool:
    """Delete a pool with its identities; False if there was none."""
    result = await conn.execute(identity_pools.delete().where(identity_pools.c.id == pool_id))
    return bool(result.rowcount)


async def list_identity_pools(
    conn: AsyncConnection, *, after: str | None, limit: int
) -> list[IdentityPool]:
    """Pools ordered by id, after `after`, at most `limit`."""
    query = identity_pools.select().order_by(identity_pools.c.id).limit(limit)
    if after is not None:
        query = query.where(identity_pools.c.id > after)
    return [_pool(row) for row in await conn.execute(query)]
