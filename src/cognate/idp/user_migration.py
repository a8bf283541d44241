"""UserMigration: users of a legacy directory move in at their first sign-in or password reset.

Developer guide, "Migrate user Lambda trigger". The function fires only for a name no user of
the pool holds: UserMigration_Authentication (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH,
ADMIN_NO_SRP_AUTH) gets the plaintext password to check against the legacy system;
UserMigration_ForgotPassword (ForgotPassword) gets none. SRP sign-ins cannot migrate: the
password never reaches the server, which is why Cognito, and Cognate, require the plain
password flows for migration.

When the function returns `userAttributes`, the user is created with them: at sign-in with
the password given and `finalUserStatus` (CONFIRMED by default, or RESET_REQUIRED), at
password reset RESET_REQUIRED without a password. `forceAliasCreation` moves an alias held by
another user. Errors: a raising function (the legacy check refused the password) is
UserLambdaValidationException under LEGACY, and NotAuthorizedException "Incorrect username or
password." when the client has PreventUserExistenceErrors ENABLED, which must not reveal
whether the legacy system knows the name; at ForgotPassword it then answers like any unknown
name. A function that returns no attributes leaves the name unknown.

The rest of the response, as the trigger's page documents it:
* `messageAction`: unless SUPPRESS, the sign-in migration sends the welcome message, which is
  AdminCreateUser's (same wording in both references): the pool's InviteMessageTemplate with
  `{username}` and `{####}` (here the password just accepted), through CustomMessage /
  CustomEmailSender / CustomSMSSender as `…_AdminCreateUser` (idp/invitations.py). It goes
  over `desiredDeliveryMediums`, SMS when none is named, skipping a medium the user has no
  address for. A failed delivery undoes the migration, as it undoes AdminCreateUser. At
  ForgotPassword there is no password to welcome with, and the reset code is the message.
* `forceAliasCreation`: a verified email or phone number held as an alias by another user
  moves to the migrated user; without it the migration fails with AliasExistsException.
* `enableSMSMFA`: SMS MFA is enabled for the new user (it applies at sign-in when the pool's
  MFA is OPTIONAL or ON); the attributes must then hold a phone_number, or the migration
  fails (InvalidLambdaResponseException) before anything is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from cognate.auth import flow
from cognate.auth.passwords import encode_credential
from cognate.context import Context
from cognate.domain import mfa
from cognate.domain.attributes import aliases_of, check_attributes, check_required
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.domain.user import User, UserStatus, username_key
from cognate.domain.usernames import new_username
from cognate.errors import (
    CodeDeliveryFailureException,
    InvalidLambdaResponseException,
    NotAuthorizedException,
    UserLambdaValidationException,
)
from cognate.idp.invitations import send_invitation
from cognate.idp.user_lookup import find_user
from cognate.idp.users import history_size
from cognate.store import users as user_store
from cognate.triggers import events

USER_MIGRATION: Final = "UserMigration"


async def migrate_at_sign_in(
    ctx: Context,
    pool: Pool,
    client: Client,
    name: str,
    password: str,
    client_metadata: Mapping[str, str],
) -> User | None:
    """The user migrated for the unknown `name` signing in with `password`, or None (no
    function, or the legacy system does not know the name)."""
    request = {"password": password, "validationData": dict(client_metadata),
               "clientMetadata": dict(client_metadata)}  # fmt: skip
    found = await _invoke(ctx, pool, client, name, "UserMigration_Authentication", request)
    if found is None:
        return None
    status = UserStatus(found.final_status or UserStatus.CONFIRMED)
    user = await _create(ctx, pool, name, found, password=password, status=status)
    if found.sends_welcome:
        await _welcome(ctx, pool, user, name, password, found, client_metadata)
    return user


async def _welcome(
    ctx: Context,
    pool: Pool,
    user: User,
    name: str,
    password: str,
    found: events.Migration,
    client_metadata: Mapping[str, str],
) -> None:
    try:
        await send_invitation(
            ctx, pool, sign_in_name=name, password=password, attributes=user.attributes,
            mediums=found.welcome_mediums, client_metadata=client_metadata,
        )  # fmt: skip
    except (CodeDeliveryFailureException, InvalidLambdaResponseException):
        async with ctx.store.begin() as conn:
            await user_store.delete_user(conn, user.id)
        raise


async def migrate_for_reset(
    ctx: Context, pool: Pool, client: Client, name: str, client_metadata: Mapping[str, str] | None
) -> None:
    """Before ForgotPassword looks `name` up: migrate it (RESET_REQUIRED, no password) if no
    user holds it and the legacy system knows it. A refusal under PreventUserExistenceErrors
    ENABLED is silent, so ForgotPassword answers as for any unknown name."""
    if events.lambda_arn(pool, USER_MIGRATION) is None:
        return
    async with ctx.store.read() as conn:
        if await find_user(conn, pool, name) is not None:
            return
    metadata = dict(client_metadata or {})
    request = {"validationData": metadata, "clientMetadata": metadata}
    try:
        found = await _invoke(ctx, pool, client, name, "UserMigration_ForgotPassword", request)
    except NotAuthorizedException:
        return
    if found is not None:
        await _create(ctx, pool, name, found, password=None, status=UserStatus.RESET_REQUIRED)


async def _invoke(
    ctx: Context, pool: Pool, client: Client, name: str, source: str, request: dict[str, Any]
) -> events.Migration | None:
    arn = events.lambda_arn(pool, USER_MIGRATION)
    if arn is None:
        return None
    event = events.event(pool=pool, region=ctx.region, trigger_source=source, username=name,
                         client_id=client.id, request=request)  # fmt: skip
    try:
        returned = await ctx.triggers.invoke(USER_MIGRATION, arn, event)
    except UserLambdaValidationException:
        if client.prevent_user_existence_errors:
            raise NotAuthorizedException(flow.INCORRECT) from None
        raise
    return events.migration(returned)


def _attributes(pool: Pool, name: str, found: events.Migration) -> tuple[str, dict[str, str]]:
    """The username and attributes (with a new `sub`) of the migrated user; the function's
    `sub`, which only Cognito assigns, is ignored."""
    given = check_attributes(
        pool.schema,
        [{"Name": key, "Value": value} for key, value in found.attributes.items() if key != "sub"],
        is_creation=True,
    )
    sub = str(uuid.uuid4())
    username, attributes = new_username(
        pool, name, {key: value for key, value in given.items() if value}, sub
    )
    attributes = {"sub": sub, **attributes}
    check_required(pool.schema, attributes)
    if found.enable_sms_mfa and not attributes.get("phone_number"):
        raise InvalidLambdaResponseException(events.UNRECOGNIZABLE_OUTPUT)
    return username, attributes


async def _create(
    ctx: Context,
    pool: Pool,
    name: str,
    found: events.Migration,
    *,
    password: str | None,
    status: UserStatus,
) -> User:
    username, attributes = _attributes(pool, name, found)
    credential = None
    if password is not None:
        credential = encode_credential(
            ctx.secrets, pool_id=pool.id, username=username, password=password
        )
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        user = await user_store.insert_user(
            conn, pool_id=pool.id, username=username,
            key=username_key(username, case_sensitive=pool.is_case_sensitive),
            sub=attributes["sub"], status=status, attributes=attributes, password=credential,
            now=now,
        )  # fmt: skip
        if found.enable_sms_mfa:
            sms_on = mfa.updated_preferences(user.mfa, {mfa.Factor.SMS_MFA: {"Enabled": True}})
            await user_store.update_user(conn, user.id, now=now, mfa=sms_on)
            user = replace(user, mfa=sms_on)
        await user_store.set_aliases(
            conn, pool_id=pool.id, user_id=user.id, wanted=aliases_of(pool, attributes),
            username_kinds=pool.username_attributes, force=found.force_alias_creation, now=now,
        )  # fmt: skip
        if credential is not None:
            await user_store.remember_password(
                conn, user.id, credential, keep=history_size(pool), now=now
            )
    return user
