"""Identity pool operations: Create/Describe/Update/Delete/ListIdentityPools and
Set/GetIdentityPoolRoles.

Developer guide, "Identity pools (federated identities) authentication flow" and
"Role-based access control". UpdateIdentityPool replaces the whole configuration (omitted
fields go back to their defaults); DeveloperProviderName cannot change once set. Roles are
kept apart from the configuration, so updating a pool keeps its roles.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from cognate.context import Context
from cognate.domain.identity_pool import check_role_mappings, pool_config
from cognate.domain.pagination import decode_token, encode_token
from cognate.errors import InvalidParameterException
from cognate.identity import shapes
from cognate.identity.registry import identity
from cognate.identity.resources import issuer_host, require_pool
from cognate.store import identity_pools as pool_store

_LISTING = "identity-pools"


@identity.operation("CreateIdentityPool")
async def create_identity_pool(
    ctx: Context, req: shapes.CreateIdentityPoolInput
) -> shapes.IdentityPool:
    config = pool_config(req, region=ctx.region, issuer_host=issuer_host(ctx))
    pool_id = f"{ctx.region}:{uuid.uuid4()}"
    async with ctx.store.begin() as conn:
        pool = await pool_store.insert_identity_pool(conn, pool_id, config, now=ctx.clock())
    return cast(shapes.IdentityPool, pool.wire())


@identity.operation("DescribeIdentityPool")
async def describe_identity_pool(
    ctx: Context, req: shapes.DescribeIdentityPoolInput
) -> shapes.IdentityPool:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["IdentityPoolId"])
    return cast(shapes.IdentityPool, pool.wire())


@identity.operation("UpdateIdentityPool")
async def update_identity_pool(ctx: Context, req: shapes.IdentityPool) -> shapes.IdentityPool:
    """Replace the configuration; a DeveloperProviderName once set may not change."""
    config = pool_config(req, region=ctx.region, issuer_host=issuer_host(ctx))
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["IdentityPoolId"])
        developer = pool.config.get("DeveloperProviderName")
        if developer and config.get("DeveloperProviderName") != developer:
            raise InvalidParameterException(
                "DeveloperProviderName cannot be changed once it has been set."
            )
        await pool_store.update_identity_pool(conn, pool.id, config, now=ctx.clock())
    return cast(shapes.IdentityPool, {"IdentityPoolId": pool.id, **config})


@identity.operation("DeleteIdentityPool")
async def delete_identity_pool(ctx: Context, req: shapes.DeleteIdentityPoolInput) -> None:
    """Delete the pool with its identities, their logins and credentials records."""
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["IdentityPoolId"])
        await pool_store.delete_identity_pool(conn, pool.id)


@identity.operation("ListIdentityPools")
async def list_identity_pools(
    ctx: Context, req: shapes.ListIdentityPoolsInput
) -> shapes.ListIdentityPoolsResponse:
    limit = req["MaxResults"]
    token = req.get("NextToken")
    after = decode_token(token, _LISTING, ctx.account_id) if token else None
    if after is not None and not isinstance(after, str):
        raise InvalidParameterException("Invalid pagination token.")
    async with ctx.store.read() as conn:
        found = await pool_store.list_identity_pools(conn, after=after, limit=limit + 1)
    page = found[:limit]
    result: dict[str, Any] = {
        "IdentityPools": [
            {"IdentityPoolId": pool.id, "IdentityPoolName": pool.name} for pool in page
        ]
    }
    if len(found) > limit:
        result["NextToken"] = encode_token(_LISTING, ctx.account_id, page[-1].id)
    return cast(shapes.ListIdentityPoolsResponse, result)


@identity.operation("SetIdentityPoolRoles")
async def set_identity_pool_roles(ctx: Context, req: shapes.SetIdentityPoolRolesInput) -> None:
    """Replace Roles and RoleMappings ("Role-based access control")."""
    mappings = req.get("RoleMappings") or {}
    check_role_mappings(mappings)
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["IdentityPoolId"])
        await pool_store.set_roles(conn, pool.id, req["Roles"], mappings, now=ctx.clock())


@identity.operation("GetIdentityPoolRoles")
async def get_identity_pool_roles(
    ctx: Context, req: shapes.GetIdentityPoolRolesInput
) -> shapes.GetIdentityPoolRolesResponse:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["IdentityPoolId"])
    result: dict[str, Any] = {"IdentityPoolId": pool.id, "Roles": dict(pool.roles)}
    if pool.role_mappings:
        result["RoleMappings"] = dict(pool.role_mappings)
    return cast(shapes.GetIdentityPoolRolesResponse, result)
