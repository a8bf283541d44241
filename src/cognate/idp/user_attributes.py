"""Administrative attribute changes: AdminUpdateUserAttributes, AdminDeleteUserAttributes.

Both validate against the pool schema (domain/attributes.py), then rewrite the attributes, their
indexed copies and the user's aliases in one transaction, so a taken alias leaves nothing
changed.

Cognito developer guide, "Verifying updates to email addresses and phone numbers": in a pool
whose UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate lists email or
phone_number, a new value of it that the call does not vouch for (`*_verified` = `true`) is held
pending and a code is sent to it, as for UpdateUserAttributes (idp/verification.py); the user
keeps the old value until verifying the new one.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain.attributes import (
    aliases_of,
    check_attributes,
    check_required,
    split_pending,
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
from cognate.idp.verification import (
    UPDATE_SOURCE,
    discard_pending,
    hold_pending,
    message_trigger,
    send_codes,
)
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
    # Outside AttributesRequireVerificationBeforeUpdate, a changed value is applied unverified
    # and no code is sent yet: that is still to do for the auto-verified attributes.
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        changes = check_attributes(pool.schema, req["UserAttributes"], is_creation=False)
        user = await require_user(conn, pool, req["Username"])
        applied, held = split_pending(pool, user.attributes, changes)
        attributes = updated_attributes(user.attributes, applied)
        check_required(pool.schema, attributes)
        await save_attributes(ctx, conn, pool, user, attributes)
        await discard_pending(conn, user, applied)
        outgoing = await hold_pending(ctx, conn, user, held)
    trigger = message_trigger(UPDATE_SOURCE, user, client_metadata=req.get("ClientMetadata"))
    await send_codes(ctx, pool, outgoing, trigger=trigger)
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
        await discard_pending(conn, user, req["UserAttributeNames"])
    return {}
