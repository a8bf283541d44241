"""Loading the resource an operation names, or raising Cognito's error when it is absent."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.pool import Pool
from cognate.errors import ResourceNotFoundException
from cognate.store.pools import get_pool


async def require_pool(conn: AsyncConnection, pool_id: str) -> Pool:
    """The pool `pool_id`; ResourceNotFoundException if there is none."""
    pool = await get_pool(conn, pool_id)
    if pool is None:
        raise ResourceNotFoundException(f"User pool {pool_id} does not exist.")
    return pool
