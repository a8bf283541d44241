"""Loading what an identity-pool operation names, with Cognito's not-found errors."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain.identity_pool import IdentityPool
from cognate.errors import ResourceNotFoundException
from cognate.store import identities as identity_store
from cognate.store.identities import Identity
from cognate.store.identity_pools import get_identity_pool


def issuer_host(ctx: Context) -> str:
    """This server's issuer prefix without its scheme: how Amplify names our user pools
    in Logins (`{issuer_host}/{userPoolId}`, SPEC "Identity pools")."""
    return ctx.base_url.split("://", 1)[-1]


async def require_pool(conn: AsyncConnection, pool_id: str) -> IdentityPool:
    """The identity pool, else ResourceNotFoundException."""
    pool = await get_identity_pool(conn, pool_id)
    if pool is None:
        raise ResourceNotFoundException(f"IdentityPool '{pool_id}' not found.")
    return pool


async def require_identity(conn: AsyncConnection, identity_id: str) -> Identity:
    """The identity, else ResourceNotFoundException "Identity '{id}' not found." [obs]."""
    found = await identity_store.get_identity(conn, identity_id)
    if found is None:
        raise ResourceNotFoundException(f"Identity '{identity_id}' not found.")
    return found


async def require_identity_and_pool(
    ctx: Context, identity_id: str
) -> tuple[Identity, IdentityPool]:
    """The identity and its pool (a pool is deleted with its identities)."""
    async with ctx.store.read() as conn:
        found = await require_identity(conn, identity_id)
        return found, await require_pool(conn, found.pool_id)
