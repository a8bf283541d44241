"""Resource tags: TagResource, UntagResource, ListTagsForResource on user-pool ARNs.

A pool's tags are its configuration's `UserPoolTags`, the same map CreateUserPool sets and
DescribeUserPool echoes, so there is one place they live.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain.pool import Pool, pool_arn, pool_id_from_arn
from cognate.errors import InvalidParameterException, ResourceNotFoundException
from cognate.idp import shapes
from cognate.idp.registry import idp
from cognate.store import pools as pool_store

MAX_TAGS = 50
"""Cognito's limit on tags per user pool."""


async def _require_tagged_pool(ctx: Context, conn: AsyncConnection, arn: str) -> Pool:
    """The pool `arn` names in this region and account; ResourceNotFoundException otherwise."""
    pool_id = pool_id_from_arn(arn)
    pool = await pool_store.get_pool(conn, pool_id) if pool_id else None
    if pool is None or arn != pool_arn(ctx.region, ctx.account_id, pool.id):
        raise ResourceNotFoundException(f"Resource {arn} does not exist.")
    return pool


async def _save_tags(
    ctx: Context, conn: AsyncConnection, pool: Pool, tags: Mapping[str, str]
) -> None:
    if len(tags) > MAX_TAGS:
        raise InvalidParameterException(
            f"A user pool can have at most {MAX_TAGS} tags; this request would leave {len(tags)}."
        )
    config = {**pool.config, "UserPoolTags": dict(tags)}
    await pool_store.update_pool(conn, pool.id, name=pool.name, config=config, now=ctx.clock())


@idp.operation("TagResource")
async def tag_resource(ctx: Context, req: shapes.TagResourceRequest) -> shapes.TagResourceResponse:
    async with ctx.store.begin() as conn:
        pool = await _require_tagged_pool(ctx, conn, req["ResourceArn"])
        tags = {**pool.config.get("UserPoolTags", {}), **req["Tags"]}
        await _save_tags(ctx, conn, pool, tags)
    return {}


@idp.operation("UntagResource")
async def untag_resource(
    ctx: Context, req: shapes.UntagResourceRequest
) -> shapes.UntagResourceResponse:
    async with ctx.store.begin() as conn:
        pool = await _require_tagged_pool(ctx, conn, req["ResourceArn"])
        removed = set(req["TagKeys"])
        tags = {
            key: value
            for key, value in pool.config.get("UserPoolTags", {}).items()
            if key not in removed
        }
        await _save_tags(ctx, conn, pool, tags)
    return {}


@idp.operation("ListTagsForResource")
async def list_tags_for_resource(
    ctx: Context, req: shapes.ListTagsForResourceRequest
) -> shapes.ListTagsForResourceResponse:
    async with ctx.store.read() as conn:
        pool = await _require_tagged_pool(ctx, conn, req["ResourceArn"])
    return {"Tags": dict(pool.config.get("UserPoolTags", {}))}
