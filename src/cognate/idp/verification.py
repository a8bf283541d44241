"""A signed-in user's own attributes: GetUserAttributeVerificationCode, VerifyUserAttribute,
UpdateUserAttributes, DeleteUserAttributes, DeleteUser (all authorised by the access token,
which must carry `aws.cognito.signin.user.admin`).

Cognito developer guide, "Verifying updates to email addresses and phone numbers": a changed
email or phone number becomes unverified, and when it is auto-verified a code is sent to the
new value; VerifyUserAttribute with that code marks it verified (and, in alias pools, makes it
a sign-in alias: AliasExistsException if another user holds it). The client may write only
its WriteAttributes, never the verification flags unless listed (signup.check_writable).

Same page, UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate: for an
attribute the pool lists there, the new value is held pending (encrypted: it is personal data)
and the code goes to the new address; until VerifyUserAttribute succeeds, the old value stays
the attribute GetUser and AdminGetUser show and the alias the user signs in with. A second
update replaces the pending value and its code, so only the newest code works. A verified
swap recomputes the aliases (AliasExistsException, nothing changed, if the new value was taken
meanwhile). AdminUpdateUserAttributes shares this through `hold_pending` and `send_codes`.

GetUserAttributeVerificationCode and VerifyUserAttribute count against the user's per-user
API quotas (domain/quotas.py), whichever attribute they name, on top of the send budget of each
attribute's codes and the attempt limit of each code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain import codes
from cognate.domain.attributes import (
    VERIFIED_FLAG,
    aliases_of,
    check_attributes,
    check_required,
    split_pending,
    updated_attributes,
    without_attributes,
)
from cognate.domain.pool import Pool
from cognate.domain.quotas import Quota
from cognate.domain.user import User
from cognate.errors import (
    AliasExistsException,
    InvalidParameterException,
    LimitExceededException,
    ResourceNotFoundException,
    TooManyRequestsException,
    UsernameExistsException,
)
from cognate.idp import shapes
from cognate.idp.notify import delivery_details, send_code
from cognate.idp.registry import idp
from cognate.idp.signup import check_writable, code_hash, issue_limited
from cognate.idp.user_lookup import require_user
from cognate.idp.user_quotas import count_call
from cognate.store import clients as client_store
from cognate.store import codes as code_store
from cognate.store import pending_attributes as pending_store
from cognate.store import users as user_store
from cognate.tokens.access import AccessGrant, authenticate_access_token, require_scope
from cognate.triggers.events import MessageTrigger


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


def _pending_purpose(user: User, attribute: str) -> str:
    # Bound to the user and the attribute: a ciphertext copied to another row does not decrypt.
    return f"pending-attribute:{user.sub}:{attribute}"


async def _pending_value(
    ctx: Context, conn: AsyncConnection, user: User, attribute: str
) -> str | None:
    """The new value of `attribute` waiting for verification, or None."""
    ciphertext = await pending_store.get_value(conn, user.id, attribute)
    if ciphertext is None:
        return None
    return ctx.secrets.decrypt(ciphertext, _pending_purpose(user, attribute)).decode()


Outgoing = tuple[codes.Destination, str]
"""A code to send after the commit, and where it goes."""


async def hold_pending(
    ctx: Context, conn: AsyncConnection, user: User, held: Mapping[str, str]
) -> list[Outgoing]:
    """Hold each new value of `held` (attribute -> value) encrypted until it is verified, each
    with a fresh code that replaces any earlier one: only the newest pending value can be
    verified. Call inside the update's transaction, and `send_codes` the result after commit.

    Raises TooManyRequestsException (the transaction must roll back) once the send budget of
    the attribute's codes is spent.
    """
    now = ctx.clock()
    outgoing: list[Outgoing] = []
    for attribute, value in held.items():
        ciphertext = ctx.secrets.encrypt(value.encode(), _pending_purpose(user, attribute))
        await pending_store.hold_value(
            conn, user_id=user.id, attribute=attribute, ciphertext=ciphertext, now=now
        )
        code = codes.new_code()
        try:
            await issue_limited(ctx, conn, user, codes.verify_purpose(attribute), code, now=now)
        except LimitExceededException as exc:
            # Neither update operation declares LimitExceededException; this is its throttle.
            raise TooManyRequestsException(codes.LIMIT_MESSAGE) from exc
        outgoing.append((codes.Destination(attribute=attribute, address=value), code))
    return outgoing


async def discard_pending(conn: AsyncConnection, user: User, names: Iterable[str]) -> None:
    """Drop the pending values of `names` (their attribute was set or removed directly), and
    with each its code: that code was sent to the value now dropped and must not verify
    whatever the attribute holds instead."""
    for attribute in names:
        if attribute in VERIFIED_FLAG and await pending_store.discard_value(
            conn, user.id, attribute
        ):
            await code_store.discard_code(conn, user.id, codes.verify_purpose(attribute))


UPDATE_SOURCE = "CustomMessage_UpdateUserAttribute"
VERIFY_SOURCE = "CustomMessage_VerifyUserAttribute"


def message_trigger(
    source: str,
    user: User,
    *,
    client_id: str | None = None,
    client_metadata: Mapping[str, str] | None = None,
) -> MessageTrigger:
    """The CustomMessage (or custom sender) context of an attribute-verification code."""
    return MessageTrigger(
        source=source,
        username=user.username,
        attributes=user.attributes,
        client_id=client_id,
        client_metadata=client_metadata,
    )


async def send_codes(
    ctx: Context, pool: Pool, outgoing: Sequence[Outgoing], *, trigger: MessageTrigger
) -> list[shapes.CodeDeliveryDetailsType]:
    """Send codes `hold_pending` issued (never inside a transaction); their delivery details.

    `trigger` is what the pool's CustomMessage or custom sender function learns of the update.
    """
    for destination, code in outgoing:
        await send_code(
            ctx, pool, destination, code=code, username=trigger.username, trigger=trigger
        )
    return [delivery_details(destination) for destination, _ in outgoing]


async def _send_verification(
    ctx: Context,
    pool: Pool,
    user: User,
    attribute: str,
    *,
    trigger: MessageTrigger,
    quota: Quota | None = None,
) -> shapes.CodeDeliveryDetailsType:
    """Issue (within the send budget, and counted against `quota` if given), commit, then
    send a code verifying `attribute`.

    While a new value is pending, the code verifies that value and goes to it.
    """
    purpose = codes.verify_purpose(attribute)
    code = codes.new_code()
    async with ctx.store.begin() as conn:
        current = await require_user(conn, pool, user.username)
        if quota is not None:
            await count_call(ctx, conn, current, quota)
        address = await _pending_value(ctx, conn, current, attribute)
        address = address or current.attributes.get(attribute)
        if not address:
            raise InvalidParameterException(f"User does not have the attribute {attribute}.")
        await issue_limited(ctx, conn, current, purpose, code, now=ctx.clock())
    destination = codes.Destination(attribute=attribute, address=address)
    await send_code(ctx, pool, destination, code=code, username=user.username, trigger=trigger)
    return delivery_details(destination)


@idp.operation("GetUserAttributeVerificationCode")
async def get_user_attribute_verification_code(
    ctx: Context, req: shapes.GetUserAttributeVerificationCodeRequest
) -> shapes.GetUserAttributeVerificationCodeResponse:
    grant = await _grant(ctx, req["AccessToken"])
    trigger = message_trigger(VERIFY_SOURCE, grant.user, client_id=grant.client_id,
                              client_metadata=req.get("ClientMetadata"))  # fmt: skip
    details = await _send_verification(
        ctx, grant.pool, grant.user, req["AttributeName"], trigger=trigger,
        quota=Quota.GET_USER_ATTRIBUTE_VERIFICATION_CODE,
    )  # fmt: skip
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
        await count_call(ctx, conn, user, Quota.VERIFY_USER_ATTRIBUTE)
        outcome = await code_store.consume_code(
            conn,
            user_id=user.id,
            purpose=purpose,
            code_hash=code_hash(ctx, user, purpose, req["Code"]),
            now=ctx.clock(),
            max_attempts=codes.MAX_FAILED_ATTEMPTS,
        )
        if outcome is codes.Outcome.ACCEPTED:
            await _apply_verified(ctx, conn, pool, user, attribute)
    # Raised after the commit, so that a wrong guess stays counted.
    codes.raise_for(outcome, exhausted=LimitExceededException)
    return {}


async def _apply_verified(
    ctx: Context, conn: AsyncConnection, pool: Pool, user: User, attribute: str
) -> None:
    """Mark `attribute` verified, first swapping in its pending value if one is held, and
    recompute the aliases. AliasExistsException if the value became another user's meanwhile;
    the transaction then rolls back, so the pending value and its code survive unchanged."""
    attributes = dict(user.attributes)
    pending = await _pending_value(ctx, conn, user, attribute)
    if pending is not None:
        attributes[attribute] = pending
        await pending_store.discard_value(conn, user.id, attribute)
    attributes[VERIFIED_FLAG[attribute]] = "true"
    try:
        await _save(ctx, conn, pool, user, attributes)
    except UsernameExistsException as exc:
        # VerifyUserAttribute declares AliasExistsException only, also for a username attribute.
        raise AliasExistsException(exc.message) from exc


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
        applied, held = split_pending(pool, user.attributes, changes)
        attributes = updated_attributes(user.attributes, applied)
        check_required(pool.schema, attributes)
        await _save(ctx, conn, pool, user, attributes)
        await discard_pending(conn, user, applied)
        outgoing = await hold_pending(ctx, conn, user, held)
    trigger = message_trigger(UPDATE_SOURCE, user, client_id=grant.client_id,
                              client_metadata=req.get("ClientMetadata"))  # fmt: skip
    held_details = await send_codes(ctx, pool, outgoing, trigger=trigger)
    changed = [
        name
        for name in ("email", "phone_number")
        if name in applied
        and applied[name]
        and applied[name] != user.attributes.get(name)
        and name in pool.auto_verified_attributes
        and attributes.get(VERIFIED_FLAG[name]) != "true"
    ]
    async with ctx.store.read() as conn:
        saved = await require_user(conn, pool, user.username)
    trigger = message_trigger(UPDATE_SOURCE, saved, client_id=grant.client_id,
                              client_metadata=req.get("ClientMetadata"))  # fmt: skip
    details = held_details + [
        await _send_verification(ctx, pool, saved, name, trigger=trigger) for name in changed
    ]
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
        await discard_pending(conn, user, req["UserAttributeNames"])
    return {}


@idp.operation("DeleteUser")
async def delete_user(ctx: Context, req: shapes.DeleteUserRequest) -> None:
    grant = await _grant(ctx, req["AccessToken"])
    async with ctx.store.begin() as conn:
        user = await require_user(conn, grant.pool, grant.user.username)
        await user_store.delete_user(conn, user.id)
