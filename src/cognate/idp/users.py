"""User administration: AdminCreateUser, AdminGetUser, AdminDeleteUser, AdminEnableUser,
AdminDisableUser, AdminConfirmSignUp (AdminUserGlobalSignOut is in tokens.py).

Every operation names its user by username or by any sign-in alias (idp/user_lookup.py).
Attribute and password operations live in user_attributes.py and user_passwords.py.
"""

from __future__ import annotations

import uuid

from cognate.auth.passwords import encode_credential
from cognate.context import Context
from cognate.domain import password_policy
from cognate.domain.attributes import aliases_of
from cognate.domain.codes import Purpose
from cognate.domain.pool import Pool
from cognate.domain.user import User, UserStatus, username_key
from cognate.domain.user_status import after_admin_confirm
from cognate.domain.usernames import new_user_attributes
from cognate.errors import CodeDeliveryFailureException, UnsupportedUserStateException
from cognate.idp import shapes, trigger_calls
from cognate.idp.invitations import send_invitation
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.idp.user_lookup import require_pool_user, require_user
from cognate.store import codes as code_store
from cognate.store import tokens as token_store
from cognate.store import users as user_store


def attribute_list(user: User) -> list[shapes.AttributeType]:
    """The user's attributes as the wire AttributeType list, `sub` first as Cognito lists it."""
    names = sorted(user.attributes, key=lambda name: name != "sub")
    return [{"Name": name, "Value": user.attributes[name]} for name in names]


def user_type(user: User) -> shapes.UserType:
    """The wire UserType of `user` (AdminCreateUser, ListUsers, ListUsersInGroup)."""
    described: shapes.UserType = {
        "Username": user.username,
        "Attributes": attribute_list(user),
        "UserCreateDate": user.created_at,
        "UserLastModifiedDate": user.updated_at,
        "Enabled": user.is_enabled,
        "UserStatus": user.status.value,
    }
    if user.mfa.get("MFAOptions"):
        described["MFAOptions"] = list(user.mfa["MFAOptions"])
    return described


def history_size(pool: Pool) -> int:
    """How many past passwords a user of `pool` may not reuse (PasswordHistorySize)."""
    return int(pool.password_policy.get("PasswordHistorySize") or 0)


def _new_user_attributes(
    pool: Pool, req: shapes.AdminCreateUserRequest
) -> tuple[str, dict[str, str]]:
    """The stored username and full attributes (with `sub`) of the user `req` creates."""
    sub = str(uuid.uuid4())
    return new_user_attributes(pool, req["Username"], req.get("UserAttributes", []), sub)


def _temporary_password(pool: Pool, given: str | None) -> str:
    if given is None:
        return password_policy.generate_temporary_password(pool.password_policy)
    password_policy.check_password(pool.password_policy, given, admin=True)
    return given


@idp.operation("AdminCreateUser")
async def admin_create_user(
    ctx: Context, req: shapes.AdminCreateUserRequest
) -> shapes.AdminCreateUserResponse:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
    if req.get("MessageAction") == "RESEND":
        return await _resend_invitation(ctx, pool, req)
    username, attributes = _new_user_attributes(pool, req)
    password = _temporary_password(pool, req.get("TemporaryPassword"))
    # Before anything is stored; an admin-created user keeps FORCE_CHANGE_PASSWORD, so only
    # the auto-verify flags of the answer apply.
    decision = await trigger_calls.pre_sign_up(
        ctx, pool, source="PreSignUp_AdminCreateUser", username=req["Username"], client_id=None,
        attributes=attributes, validation_data=req.get("ValidationData"),
        client_metadata=req.get("ClientMetadata"),
    )  # fmt: skip
    attributes = {**attributes, **decision.verified_flags(attributes)}
    credential = encode_credential(
        ctx.secrets, pool_id=pool.id, username=username, password=password
    )
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        user = await user_store.insert_user(
            conn,
            pool_id=pool.id,
            username=username,
            key=username_key(username, case_sensitive=pool.is_case_sensitive),
            sub=attributes["sub"],
            status=UserStatus.FORCE_CHANGE_PASSWORD,
            attributes=attributes,
            password=credential,
            now=now,
        )
        await user_store.set_aliases(
            conn,
            pool_id=pool.id,
            user_id=user.id,
            wanted=aliases_of(pool, attributes),
            username_kinds=pool.username_attributes,
            force=bool(req.get("ForceAliasCreation")),
            now=now,
            is_new_user=True,
        )
        await user_store.remember_password(
            conn, user.id, credential, keep=history_size(pool), now=now, is_new_user=True
        )
    if req.get("MessageAction") != "SUPPRESS":
        await _invite_or_undo(ctx, pool, req, user, password)
    return {"User": user_type(user)}


async def _invite_or_undo(
    ctx: Context, pool: Pool, req: shapes.AdminCreateUserRequest, user: User, password: str
) -> None:
    """Send the invitation; if it cannot be delivered, remove the user just created.

    Cognito keeps a user whose invitation failed; Cognate removes it so that the error leaves
    nothing behind and the call can simply be retried.
    """
    try:
        await _invite(ctx, pool, req, user, password)
    except CodeDeliveryFailureException:
        async with ctx.store.begin() as conn:
            await user_store.delete_user(conn, user.id)
        raise


async def _invite(
    ctx: Context, pool: Pool, req: shapes.AdminCreateUserRequest, user: User, password: str
) -> None:
    await send_invitation(
        ctx,
        pool,
        sign_in_name=req["Username"],
        password=password,
        attributes=user.attributes,
        mediums=req.get("DesiredDeliveryMediums") or ["SMS"],
    )


async def _resend_invitation(
    ctx: Context, pool: Pool, req: shapes.AdminCreateUserRequest
) -> shapes.AdminCreateUserResponse:
    """RESEND: a new temporary password for a user who never signed in, and its invitation.

    If the invitation cannot be delivered, the previous temporary password is put back.
    """
    async with ctx.store.read() as conn:
        user = await require_user(conn, pool, req["Username"])
    if user.status is not UserStatus.FORCE_CHANGE_PASSWORD:
        raise UnsupportedUserStateException(
            f"Resend not possible. {user.username} status is {user.status}."
        )
    password = _temporary_password(pool, req.get("TemporaryPassword"))
    credential = encode_credential(
        ctx.secrets, pool_id=pool.id, username=user.username, password=password
    )
    async with ctx.store.begin() as conn:
        current = await require_user(conn, pool, user.username)
        await user_store.set_password(
            conn,
            current.id,
            credential,
            status=UserStatus.FORCE_CHANGE_PASSWORD,
            history_size=history_size(pool),
            now=ctx.clock(),
        )
    try:
        await _invite(ctx, pool, req, current, password)
    except CodeDeliveryFailureException:
        async with ctx.store.begin() as conn:
            await user_store.update_user(conn, current.id, now=ctx.clock(), password=user.password)
        raise
    async with ctx.store.read() as conn:
        return {"User": user_type(await require_user(conn, pool, user.username))}


@idp.operation("AdminGetUser")
async def admin_get_user(
    ctx: Context, req: shapes.AdminGetUserRequest
) -> shapes.AdminGetUserResponse:
    async with ctx.store.read() as conn:
        user = await require_pool_user(conn, req["UserPoolId"], req["Username"])
    described: shapes.AdminGetUserResponse = {
        "Username": user.username,
        "UserAttributes": attribute_list(user),
        "UserCreateDate": user.created_at,
        "UserLastModifiedDate": user.updated_at,
        "Enabled": user.is_enabled,
        "UserStatus": user.status.value,
    }
    # MFA settings are stored wire-shaped by the MFA operations; Cognito omits empty ones.
    for name in ("MFAOptions", "PreferredMfaSetting", "UserMFASettingList"):
        if user.mfa.get(name):
            described[name] = user.mfa[name]
    return described


@idp.operation("AdminDeleteUser")
async def admin_delete_user(ctx: Context, req: shapes.AdminDeleteUserRequest) -> None:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        user = await require_user(conn, pool, req["Username"])
        await user_store.delete_user(conn, user.id)


async def _set_enabled(ctx: Context, pool_id: str, username: str, *, is_enabled: bool) -> None:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, pool_id)
        user = await require_user(conn, pool, username)
        await user_store.update_user(conn, user.id, now=ctx.clock(), enabled=is_enabled)
        if not is_enabled:
            # As Cognito: disabling revokes the user's tokens, so enabling again does not
            # bring old sessions back.
            await token_store.sign_out_user(conn, user.id, now=ctx.clock())


@idp.operation("AdminEnableUser")
async def admin_enable_user(
    ctx: Context, req: shapes.AdminEnableUserRequest
) -> shapes.AdminEnableUserResponse:
    await _set_enabled(ctx, req["UserPoolId"], req["Username"], is_enabled=True)
    return {}


@idp.operation("AdminDisableUser")
async def admin_disable_user(
    ctx: Context, req: shapes.AdminDisableUserRequest
) -> shapes.AdminDisableUserResponse:
    await _set_enabled(ctx, req["UserPoolId"], req["Username"], is_enabled=False)
    return {}


@idp.operation("AdminConfirmSignUp")
async def admin_confirm_sign_up(
    ctx: Context, req: shapes.AdminConfirmSignUpRequest
) -> shapes.AdminConfirmSignUpResponse:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        user = await require_user(conn, pool, req["Username"])
        status = after_admin_confirm(user.status)
        await user_store.update_user(conn, user.id, now=ctx.clock(), status=status)
        # A pending sign-up code must not confirm (or be resent for) a confirmed user.
        await code_store.discard_code(conn, user.id, Purpose.SIGN_UP)
    await trigger_calls.post_confirmation(
        ctx, pool, source="PostConfirmation_ConfirmSignUp", username=user.username,
        client_id=None, client_metadata=req.get("ClientMetadata"),
    )  # fmt: skip
    return {}
