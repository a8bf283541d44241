"""Queries on user pools and their domains."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.pool import Pool
from cognate.store.tables import domains, user_pools, users


def _pool(row: sa.Row[Any]) -> Pool:
    return Pool(
        id=row.id,
        name=row.name,
        config=row.config,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def insert_pool(conn: AsyncConnection, pool: Pool) -> None:
    """Store a new pool."""
    await conn.execute(
        user_pools.insert().values(
            id=pool.id,
            name=pool.name,
            config=dict(pool.config),
            created_at=pool.created_at,
            updated_at=pool.updated_at,
        )
    )


# Built once: most requests load their pool, and building a statement costs more than running it.
_GET_POOL = user_pools.select().where(user_pools.c.id == sa.bindparam("pool_id"))


async def get_pool(conn: AsyncConnection, pool_id: str) -> Pool | None:
    """The pool `pool_id`, or None."""
    row = (await conn.execute(_GET_POOL, {"pool_id": pool_id})).first()
    return _pool(row) if row else None


async def list_pools(conn: AsyncConnection, *, after: str | None, limit: int) -> list[Pool]:
    """Up to `limit` pools ordered by id, starting after id `after`."""
    query = user_pools.select().order_by(user_pools.c.id).limit(limit)
    if after is not None:
        query = query.where(user_pools.c.id > after)
    return [_pool(row) for row in await conn.execute(query)]


async def update_pool(
    conn: AsyncConnection, pool_id: str, *, name: str, config: Mapping[str, Any], now: datetime
) -> None:
    """Replace a pool's name and configuration."""
    await conn.execute(
        user_pools.update()
        .where(user_pools.c.id == pool_id)
        .values(name=name, config=dict(config), updated_at=now)
    )


async def delete_pool(conn: AsyncConnection, pool_id: str) -> None:
    """Delete a pool; its clients, users, groups and domains go with it (ON DELETE CASCADE)."""
    await conn.execute(user_pools.delete().where(user_pools.c.id == pool_id))


async def count_users(conn: AsyncConnection, pool_id: str) -> int:
    """How many users the pool holds."""
    query = sa.select(sa.func.count()).select_from(users).where(users.c.pool_id == pool_id)
    return int((await conn.execute(query)).scalar_one())


async def pool_domains(conn: AsyncConnection, pool_id: str) -> list[tuple[str, Mapping[str, Any]]]:
    """The pool's domains with their configuration (prefix domain and custom domain)."""
    query = sa.select(domains.c.domain, domains.c.config).where(domains.c.pool_id == pool_id)
    return [(row.domain, row.config) for row in await conn.execute(query)]
