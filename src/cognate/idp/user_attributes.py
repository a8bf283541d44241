"""Administrative attribute changes: AdminUpdateUserAttributes, AdminDeleteUserAttributes.

Both validate against the pool schema (domain/attributes.py), then rewrite the attributes, their
indexed copies and the user's aliases in one transaction, so a taken alias leaves nothing
changed.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain.attributes import (
    aliases_of,
    check_attributes,
    check_required,
    updated_attributes,
    without_attributes,
)
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import InvalidParameterException
from cognate.idp import shapes
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.idp.user_lookup import require_user
from cognate.store import users as user_store


async def save_attributes(
    ctx: Context, conn: AsyncConnection, pool: Pool, user: User, attributes: Mapping[str, str]
) -> None:
    """Store new attributes, reindex them and recompute aliases (AliasExistsException if taken)."""
    if pool.username_attributes and not any(attributes.get(k) for k in pool.username_attributes):
        # The user would be left without the attribute that is their sign-in name.
        raise InvalidParameterException(
            "Cannot remove the attribute the user signs in with: "
            + " or ".join(pool.username_attributes)
        )
    now = ctx.clock()
    await user_store.update_user(conn, user.id, now=now, attributes=dict(attributes))
    await user_store.index_attributes(conn, pool.id, user.id, attributes)
    await user_store.set_aliases(
        conn, pool_id=pool.id, user_id=user.id, wanted=aliases_of(pool, attributes), now=now
    )


@idp.operation("AdminUpdateUserAttributes")
async def admin_update_user_attributes(
    ctx: Context, req: shapes.AdminUpdateUserAttributesRequest
) -> shapes.AdminUpdateUserAttributesResponse:
    # Sending a verification code for a changed, auto-verified email or phone number (and
    # AttributesRequireVerificationBeforeUpdate) belongs to the verification-code issue.
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        changes = check_attributes(pool.schema, req["UserAttributes"], is_creation=False)
        user = await require_user(conn, pool, req["Username"])
        attributes = updated_attributes(user.attributes, changes)
        check_required(pool.schema, attributes)
        await save_attributes(ctx, conn, pool, user, attributes)
    return {}


@idp.operation("AdminDeleteUserAttributes")
async def admin_delete_user_attributes(
    ctx: Context, req: shapes.AdminDeleteUserAttributesRequest
) -> shapes.AdminDeleteUserAttributesResponse:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        user = await require_user(conn, pool, req["Username"])
        attributes = without_attributes(pool.schema, user.attributes, req["UserAttributeNames"])
        await save_attributes(ctx, conn, pool, user, attributes)
    return {}
