"""Loading the resource an operation names, or raising Cognito's error when it is absent."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.pool import Pool
from cognate.errors import ResourceNotFoundException
from cognate.store.pools import get_pool

# Pool id -> whether its usernames are case-sensitive, for lookups that can then skip loading
# the pool (user_lookup.require_pool_user). Safe in any number of processes without expiry:
# the setting never changes after CreateUserPool (UpdateUserPool keeps UsernameConfiguration,
# domain.pool.updated_pool_config), and pool ids are random, never reused. A deleted pool's
# entry cannot answer for it: its users went with it, so a lookup finds nobody and falls back
# to loading the pool, which reports it missing. Bounded: cleared when it reaches the limit.
_CASE_SENSITIVITY: dict[str, bool] = {}
_MAX_REMEMBERED = 10_000


def known_case_sensitivity(pool_id: str) -> bool | None:
    """Whether pool `pool_id` matches usernames case-sensitively, if this process loaded it."""
    return _CASE_SENSITIVITY.get(pool_id)


async def require_pool(conn: AsyncConnection, pool_id: str) -> Pool:
    """The pool `pool_id`; ResourceNotFoundException if there is none."""
    pool = await get_pool(conn, pool_id)
    if pool is None:
        raise ResourceNotFoundException(f"User pool {pool_id} does not exist.")
    if pool.id not in _CASE_SENSITIVITY:
        if len(_CASE_SENSITIVITY) >= _MAX_REMEMBERED:
            _CASE_SENSITIVITY.clear()
        _CASE_SENSITIVITY[pool.id] = pool.is_case_sensitive
    return pool
