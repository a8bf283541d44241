"""A signed-in user's own attributes: GetUserAttributeVerificationCode, VerifyUserAttribute,
UpdateUserAttributes, DeleteUserAttributes, DeleteUser (all authorised by the access token,
which must carry `aws.cognito.signin.user.admin`).

Cognito developer guide, "Verifying updates to email addresses and phone numbers": a changed
email or phone number becomes unverified, and when it is auto-verified a code is sent to the
new value; VerifyUserAttribute with that code marks it verified (and, in alias pools, makes it
a sign-in alias: AliasExistsException if another user holds it). The client may write only
its WriteAttributes, never the verification flags unless listed (signup.check_writable).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain import codes
from cognate.domain.attributes import (
    VERIFIED_FLAG,
    aliases_of,
    check_attributes,
    check_required,
    updated_attributes,
    without_attributes,
)
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import (
    InvalidParameterException,
    LimitExceededException,
    ResourceNotFoundException,
)
from cognate.idp import shapes
from cognate.idp.notify import delivery_details, send_code
from cognate.idp.registry import idp
from cognate.idp.signup import check_writable, code_hash, issue_limited
from cognate.idp.user_lookup import require_user
from cognate.store import clients as client_store
from cognate.store import codes as code_store
from cognate.store import users as user_store
from cognate.tokens.issue import AccessGrant, authenticate_access_token, require_scope


async def _grant(ctx: Context, access_token: str) -> AccessGrant:
    grant = await authenticate_access_token(ctx, access_token)
    require_scope(grant)
    return grant


async def _save(
    ctx: Context, conn: AsyncConnection, pool: Pool, user: User, attributes: Mapping[str, str]
) -> None:
    """Store attributes, their indexed copies and the aliases they give (AliasExists if taken)."""
    now = ctx.clock()
    await user_store.update_user(conn, user.id, now=now, attributes=dict(attributes))
    await user_store.index_attributes(conn, pool.id, user.id, attributes)
    await user_store.set_aliases(
        conn,
        pool_id=pool.id,
        user_id=user.id,
        wanted=aliases_of(pool, attributes),
        username_kinds=pool.username_attributes,
        now=now,
    )


async def _send_verification(
    ctx: Context, pool: Pool, user: User, attribute: str
) -> shapes.CodeDeliveryDetailsType:
    """Issue (within the send budget), commit, then send a code verifying `attribute`."""
    purpose = codes.verify_purpose(attribute)
    address = user.attributes.get(attribute)
    if not address:
        raise InvalidParameterException(f"User does not have the attribute {attribute}.")
    code = codes.new_code()
    async with ctx.store.begin() as conn:
        current = await require_user(conn, pool, user.username)
        await issue_limited(ctx, conn, current, purpose, code, now=ctx.clock())
    destination = codes.Destination(attribute=attribute, address=address)
    await send_code(ctx, pool, destination, code=code, username=user.username)
    return delivery_details(destination)


@idp.operation("GetUserAttributeVerificationCode")
async def get_user_attribute_verification_code(
    ctx: Context, req: shapes.GetUserAttributeVerificationCodeRequest
) -> shapes.GetUserAttributeVerificationCodeResponse:
    grant = await _grant(ctx, req["AccessToken"])
    details = await _send_verification(ctx, grant.pool, grant.user, req["AttributeName"])
    return {"CodeDeliveryDetails": details}


@idp.operation("VerifyUserAttribute")
async def verify_user_attribute(
    ctx: Context, req: shapes.VerifyUserAttributeRequest
) -> shapes.VerifyUserAttributeResponse:
    grant = await _grant(ctx, req["AccessToken"])
    attribute = req["AttributeName"]
    purpose = codes.verify_purpose(attribute)
    pool = grant.pool
    async with ctx.store.begin() as conn:
        user = await require_user(conn, pool, grant.user.username)
        outcome = await code_store.consume_code(
            conn,
            user_id=user.id,
            purpose=purpose,
            code_hash=code_hash(ctx, user, purpose, req["Code"]),
            now=ctx.clock(),
            max_attempts=codes.MAX_FAILED_ATTEMPTS,
        )
        if outcome is codes.Outcome.ACCEPTED:
            attributes = {**user.attributes, VERIFIED_FLAG[attribute]: "true"}
            await _save(ctx, conn, pool, user, attributes)
    # Raised after the commit, so that a wrong guess stays counted.
    codes.raise_for(outcome, exhausted=LimitExceededException)
    return {}


@idp.operation("UpdateUserAttributes")
async def update_user_attributes(
    ctx: Context, req: shapes.UpdateUserAttributesRequest
) -> shapes.UpdateUserAttributesResponse:
    grant = await _grant(ctx, req["AccessToken"])
    pool = grant.pool
    changes = check_attributes(pool.schema, req["UserAttributes"], is_creation=False)
    async with ctx.store.begin() as conn:
        client = await client_store.get_client(conn, pool.id, grant.client_id)
        if client is None:
            raise ResourceNotFoundException(f"User pool client {grant.client_id} does not exist.")
        check_writable(client, changes)
        user = await require_user(conn, pool, grant.user.username)
        attributes = updated_attributes(user.attributes, changes)
        check_required(pool.schema, attributes)
        await _save(ctx, conn, pool, user, attributes)
    changed = [
        name
        for name in ("email", "phone_number")
        if name in changes
        and changes[name]
        and changes[name] != user.attributes.get(name)
        and name in pool.auto_verified_attributes
        and attributes.get(VERIFIED_FLAG[name]) != "true"
    ]
    async with ctx.store.read() as conn:
        saved = await require_user(conn, pool, user.username)
    details = [await _send_verification(ctx, pool, saved, name) for name in changed]
    return {"CodeDeliveryDetailsList": details} if details else {}


@idp.operation("DeleteUserAttributes")
async def delete_user_attributes(
    ctx: Context, req: shapes.DeleteUserAttributesRequest
) -> shapes.DeleteUserAttributesResponse:
    grant = await _grant(ctx, req["AccessToken"])
    pool = grant.pool
    async with ctx.store.begin() as conn:
        user = await require_user(conn, pool, grant.user.username)
        attributes = without_attributes(pool.schema, user.attributes, req["UserAttributeNames"])
        if pool.username_attributes and not any(
            attributes.get(kind) for kind in pool.username_attributes
        ):
            raise InvalidParameterException(
                "Cannot remove the attribute the user signs in with: "
                + " or ".join(pool.username_attributes)
            )
        await _save(ctx, conn, pool, user, attributes)
    return {}


@idp.operation("DeleteUser")
async def delete_user(ctx: Context, req: shapes.DeleteUserRequest) -> None:
    grant = await _grant(ctx, req["AccessToken"])
    async with ctx.store.begin() as conn:
        user = await require_user(conn, grant.pool, grant.user.username)
        await user_store.delete_user(conn, user.id)
