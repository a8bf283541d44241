"""Identity pool tags: TagResource, UntagResource, ListTagsForResource on identity-pool ARNs.

An identity pool's tags are its configuration's `IdentityPoolTags`, the map
Create/UpdateIdentityPool set and DescribeIdentityPool echoes, so there is one place they live.
The ARN is `arn:aws:cognito-identity:{region}:{account}:identitypool/{identityPoolId}`.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain.identity_pool import IdentityPool
from cognate.domain.tags import tagged, untagged
from cognate.errors import ResourceNotFoundException
from cognate.identity import shapes
from cognate.identity.registry import identity
from cognate.store import identity_pools as pool_store


def identity_pool_arn(region: str, account_id: str, pool_id: str) -> str:
    """The identity pool's ARN, as Cognito writes it."""
    return f"arn:aws:cognito-identity:{region}:{account_id}:identitypool/{pool_id}"


async def _require_tagged_pool(ctx: Context, conn: AsyncConnection, arn: str) -> IdentityPool:
    """The pool `arn` names in this region and account; ResourceNotFoundException otherwise."""
    _, _, pool_id = arn.partition(":identitypool/")
    pool = await pool_store.get_identity_pool(conn, pool_id) if pool_id else None
    if pool is None or arn != identity_pool_arn(ctx.region, ctx.account_id, pool.id):
        raise ResourceNotFoundException(f"Resource {arn} does not exist.")
    return pool


async def _save_tags(
    ctx: Context, conn: AsyncConnection, pool: IdentityPool, tags: dict[str, str]
) -> None:
    config = {**pool.config, "IdentityPoolTags": tags}
    await pool_store.update_identity_pool(conn, pool.id, config, now=ctx.clock())


@identity.operation("TagResource")
async def tag_resource(ctx: Context, req: shapes.TagResourceInput) -> shapes.TagResourceResponse:
    async with ctx.store.begin() as conn:
        pool = await _require_tagged_pool(ctx, conn, req["ResourceArn"])
        current = pool.config.get("IdentityPoolTags") or {}
        tags = tagged(current, req["Tags"], resource="An identity pool")
        await _save_tags(ctx, conn, pool, tags)
    return {}


@identity.operation("UntagResource")
async def untag_resource(
    ctx: Context, req: shapes.UntagResourceInput
) -> shapes.UntagResourceResponse:
    async with ctx.store.begin() as conn:
        pool = await _require_tagged_pool(ctx, conn, req["ResourceArn"])
        tags = untagged(pool.config.get("IdentityPoolTags") or {}, req["TagKeys"])
        await _save_tags(ctx, conn, pool, tags)
    return {}


@identity.operation("ListTagsForResource")
async def list_tags_for_resource(
    ctx: Context, req: shapes.ListTagsForResourceInput
) -> shapes.ListTagsForResourceResponse:
    async with ctx.store.read() as conn:
        pool = await _require_tagged_pool(ctx, conn, req["ResourceArn"])
    return {"Tags": dict(pool.config.get("IdentityPoolTags") or {})}
