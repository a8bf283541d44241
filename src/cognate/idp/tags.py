"""Resource tags: TagResource, UntagResource, ListTagsForResource on user-pool ARNs.

A pool's tags are its configuration's `UserPoolTags`, the same map CreateUserPool sets and
DescribeUserPool echoes, so there is one place they live.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain.pool import Pool, pool_arn, pool_id_from_arn
from cognate.domain.tags import tagged, untagged
from cognate.errors import ResourceNotFoundException
from cognate.idp import shapes
from cognate.idp.registry import idp
from cognate.store import pools as pool_store


async def _require_tagged_pool(ctx: Context, conn: AsyncConnection, arn: str) -> Pool:
    """The pool `arn` names in this region and account; ResourceNotFoundException otherwise."""
    pool_id = pool_id_from_arn(arn)
    pool = await pool_store.get_pool(conn, pool_id) if pool_id else None
    if pool is None or arn != pool_arn(ctx.region, ctx.account_id, pool.id):
        raise ResourceNotFoundException(f"Resource {arn} does not exist.")
    return pool


async def _save_tags(ctx: Context, conn: AsyncConnection, pool: Pool, tags: dict[str, str]) -> None:
    config = {**pool.config, "UserPoolTags": tags}
    await pool_store.update_pool(conn, pool.id, name=pool.name, config=config, now=ctx.clock())


@idp.operation("TagResource")
async def tag_resource(ctx: Context, req: shapes.TagResourceRequest) -> shapes.TagResourceResponse:
    async with ctx.store.begin() as conn:
        pool = await _require_tagged_pool(ctx, conn, req["ResourceArn"])
        current = pool.config.get("UserPoolTags", {})
        await _save_tags(ctx, conn, pool, tagged(current, req["Tags"], resource="A user pool"))
    return {}


@idp.operation("UntagResource")
async def untag_resource(
    ctx: Context, req: shapes.UntagResourceRequest
) -> shapes.UntagResourceResponse:
    async with ctx.store.begin() as conn:
        pool = await _require_tagged_pool(ctx, conn, req["ResourceArn"])
        tags = untagged(pool.config.get("UserPoolTags", {}), req["TagKeys"])
        await _save_tags(ctx, conn, pool, tags)
    return {}


@idp.operation("ListTagsForResource")
async def list_tags_for_resource(
    ctx: Context, req: shapes.ListTagsForResourceRequest
) -> shapes.ListTagsForResourceResponse:
    async with ctx.store.read() as conn:
        pool = await _require_tagged_pool(ctx, conn, req["ResourceArn"])
    return {"Tags": dict(pool.config.get("UserPoolTags", {}))}
