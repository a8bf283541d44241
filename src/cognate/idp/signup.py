"""Self-service sign-up: SignUp, ConfirmSignUp, ResendConfirmationCode.

Cognito developer guide, "Signing up and confirming user accounts": a new user is UNCONFIRMED
until they present the code sent to the auto-verified attribute (SMS when both email and phone
are auto-verified; nothing is sent when none is). Confirming marks that attribute verified and
only then does the user take the pool's alias attributes: an UNCONFIRMED user holds no alias,
so a second sign-up with someone's email succeeds and its confirmation fails with
AliasExistsException unless ForceAliasCreation moves the alias (test plan A-10).

PreventUserExistenceErrors ENABLED: an unknown user gets simulated CodeDeliveryDetails from
ResendConfirmationCode and CodeMismatchException from ConfirmSignUp; LEGACY answers
UserNotFoundException. SignUp still answers UsernameExistsException for a taken username, as
Cognito does.

ConfirmSignUp and ResendConfirmationCode count against the user's per-user API quotas
(domain/quotas.py), then answer LimitExceededException.

Sign-in after sign-up (botocore's SignUpResponse.Session / ConfirmSignUpResponse.Session):
SignUp returns a sealed single-use Session bound to the pool, client and new user; ConfirmSignUp
refuses a Session that is not that (NotAuthorizedException, auth/sessions.py's text), spends it
with the code, and on every successful confirmation returns a fresh Session that InitiateAuth
USER_AUTH accepts once in place of a first factor (idp/user_auth.py). Both last the client's
AuthSessionValidity.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.auth import sessions
from cognate.auth.passwords import encode_credential
from cognate.auth.secret_hash import check_secret_hash
from cognate.context import Context
from cognate.domain import codes, password_policy
from cognate.domain.attributes import VERIFIED_FLAG, aliases_of, check_attributes, check_required
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.domain.quotas import Quota
from cognate.domain.threat_protection import PasswordEvent
from cognate.domain.user import User, UserStatus, username_key
from cognate.domain.usernames import new_username
from cognate.errors import (
    CodeDeliveryFailureException,
    CodeMismatchException,
    InvalidParameterException,
    LimitExceededException,
    NotAuthorizedException,
    ResourceNotFoundException,
    UsernameExistsException,
    UserNotFoundException,
)
from cognate.idp import shapes, threat_protection, trigger_calls
from cognate.idp.notify import delivery_details, send_code
from cognate.idp.registry import idp
from cognate.idp.user_lookup import find_user
from cognate.idp.user_quotas import count_call
from cognate.idp.users import history_size
from cognate.store import clients as client_store
from cognate.store import codes as code_store
from cognate.store import users as user_store
from cognate.triggers.events import MessageTrigger

UNKNOWN_USER_MESSAGE = "Username/client id combination not found."


async def app_client(
    ctx: Context, client_id: str, *, username: str, secret_hash: str | None
) -> tuple[Pool, Client]:
    """The pool and client of a public (ClientId-authenticated) request.

    Raises ResourceNotFoundException for an unknown client, NotAuthorizedException when a
    client with a secret sends no valid SECRET_HASH for `username`.
    """
    async with ctx.store.read() as conn:
        # One query for both: a pool's clients are deleted with it (ON DELETE CASCADE).
        found = await client_store.get_client_with_pool(conn, client_id)
        if found is None:
            raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
        client, pool = found
        secrets = (
            await client_store.client_secret_values(conn, ctx.secrets, client.id)
            if client.has_secret
            else []
        )
    check_secret_hash(secrets, client_id=client.id, username=username, given=secret_hash)
    return pool, client


def check_writable(client: Client, names: Iterable[str]) -> None:
    """Refuse attributes the client may not write (NotAuthorizedException, Cognito's text).

    Without WriteAttributes a client writes every attribute except the verification flags,
    which only a client listing them explicitly may set: otherwise anyone signing up could
    claim an email they do not own.
    """
    allowed = client.write_attributes
    for name in names:
        is_flag = name in VERIFIED_FLAG.values()
        if (allowed is None and is_flag) or (allowed is not None and name not in allowed):
            raise NotAuthorizedException("A client attempted to write unauthorized attribute")


def code_hash(ctx: Context, user: User, purpose: codes.Purpose, code: str) -> str:
    """The stored form of `code`: a keyed hash bound to the user and the purpose."""
    return ctx.secrets.keyed_hash(code, f"one-time-code:{user.sub}:{purpose}")


def simulated_details(ctx: Context, pool: Pool, username: str) -> shapes.CodeDeliveryDetailsType:
    """CodeDeliveryDetails for an unknown user, stable per pool and name (ENABLED clients)."""
    seed = ctx.secrets.keyed_hash(f"{pool.id}\x00{username.lower()}", "simulated-destination")
    destination = codes.simulated_destination(
        pool.config.get("AccountRecoverySetting"), pool.auto_verified_attributes, username, seed
    )
    return delivery_details(destination)


def confirmation_link(ctx: Context, client_id: str, user: User, code: str) -> str:
    """The CONFIRM_WITH_LINK URL served by confirm_link.py (Cognito's `/confirmUser` shape)."""
    query = urlencode(
        {"client_id": client_id, "user_name": user.username, "confirmation_code": code}
    )
    return f"{ctx.base_url}/confirmUser?{query}"


def _new_user(pool: Pool, client: Client, req: shapes.SignUpRequest) -> tuple[str, dict[str, str]]:
    given = check_attributes(pool.schema, req.get("UserAttributes", []), is_creation=True)
    check_writable(client, given)
    attributes = {name: value for name, value in given.items() if value}
    sub = str(uuid.uuid4())
    username, attributes = new_username(pool, req["Username"], attributes, sub)
    attributes = {"sub": sub, **attributes}
    check_required(pool.schema, attributes)
    return username, attributes


def _unconfirmed_aliases(pool: Pool, attributes: dict[str, str]) -> dict[str, str]:
    """An UNCONFIRMED user holds only the username attributes that are its sign-in name."""
    held = aliases_of(pool, attributes)
    return {kind: key for kind, key in held.items() if kind in pool.username_attributes}


@idp.operation("SignUp")
async def sign_up(ctx: Context, req: shapes.SignUpRequest) -> shapes.SignUpResponse:
    pool, client = await app_client(
        ctx, req["ClientId"], username=req["Username"], secret_hash=req.get("SecretHash")
    )
    if (pool.config.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly"):
        raise NotAuthorizedException("SignUp is not permitted for this user pool")
    username, attributes = _new_user(pool, client, req)
    password = req.get("Password")
    if not password:
        raise InvalidParameterException("A password is required to sign up in this user pool.")
    password_policy.check_password(pool.password_policy, password)
    screen = await threat_protection.screen_new_password(
        ctx, pool, client_id=client.id, password=password, event=PasswordEvent.SIGN_UP
    )
    # Before anything is stored, so that a refusing function leaves no user behind.
    decision = await trigger_calls.pre_sign_up(
        ctx, pool, source="PreSignUp_SignUp", username=req["Username"], client_id=client.id,
        attributes=attributes, validation_data=req.get("ValidationData"),
        client_metadata=req.get("ClientMetadata"),
    )  # fmt: skip
    attributes = {**attributes, **decision.verified_flags(attributes)}
    credential = encode_credential(
        ctx.secrets, pool_id=pool.id, username=username, password=password
    )
    destination = (
        None
        if decision.auto_confirm
        else codes.sign_up_destination(pool.auto_verified_attributes, attributes)
    )
    code = codes.new_code()
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        try:
            user = await user_store.insert_user(
                conn,
                pool_id=pool.id,
                username=username,
                key=username_key(username, case_sensitive=pool.is_case_sensitive),
                sub=attributes["sub"],
                status=UserStatus.CONFIRMED if decision.auto_confirm else UserStatus.UNCONFIRMED,
                attributes=attributes,
                password=credential,
                now=now,
            )
        except UsernameExistsException as exc:
            raise UsernameExistsException("User already exists") from exc
        await user_store.set_aliases(
            conn,
            pool_id=pool.id,
            user_id=user.id,
            wanted=(
                aliases_of(pool, attributes)
                if decision.auto_confirm
                else _unconfirmed_aliases(pool, attributes)
            ),
            username_kinds=pool.username_attributes,
            now=now,
            is_new_user=True,
        )
        await user_store.remember_password(
            conn, user.id, credential, keep=history_size(pool), now=now, is_new_user=True
        )
        if destination is not None:
            await code_store.issue_code(
                conn,
                user_id=user.id,
                purpose=codes.Purpose.SIGN_UP,
                code_hash=code_hash(ctx, user, codes.Purpose.SIGN_UP, code),
                now=now,
                expires_at=codes.expires_at(codes.Purpose.SIGN_UP, now),
            )
    response: shapes.SignUpResponse = {
        "UserConfirmed": decision.auto_confirm,
        "UserSub": user.sub,
        "Session": _user_session(ctx, client, user, sessions.SIGN_UP_PURPOSE),
    }
    if destination is not None:
        await _send_or_undo(ctx, pool, client, user, destination, code, req["Username"])
        response["CodeDeliveryDetails"] = delivery_details(destination)
    await threat_protection.record_event(ctx, pool, user, "SignUp", screen)
    return response


def _user_session(ctx: Context, client: Client, user: User, purpose: str) -> str:
    return sessions.seal_for_user(
        ctx.secrets, purpose, pool_id=user.pool_id, client_id=client.id,
        username=user.username, user_sub=user.sub, now=ctx.clock(),
        validity=client.auth_session_validity,
    )  # fmt: skip


async def _send_or_undo(
    ctx: Context,
    pool: Pool,
    client: Client,
    user: User,
    destination: codes.Destination,
    code: str,
    sign_in_name: str,
) -> None:
    """Send the confirmation code; if it cannot be delivered, remove the user just created,
    so that the error leaves nothing behind and SignUp can simply be retried."""
    try:
        await send_code(
            ctx,
            pool,
            destination,
            code=code,
            username=sign_in_name,
            link=confirmation_link(ctx, client.id, user, code),
            trigger=MessageTrigger(
                source="CustomMessage_SignUp",
                username=user.username,
                attributes=user.attributes,
                client_id=client.id,
            ),
        )
    except CodeDeliveryFailureException:
        async with ctx.store.begin() as conn:
            await user_store.delete_user(conn, user.id)
        raise


async def confirm_with_code(
    ctx: Context,
    pool: Pool,
    client: Client,
    username: str,
    code: str,
    *,
    force_alias: bool,
    sign_up_session: sessions.AuthSession | None = None,
) -> User:
    """Confirm the UNCONFIRMED user `username` with their sign-up code, once; the user.

    The code's attribute becomes verified and the user takes its aliases (AliasExistsException
    if another user holds one, unless `force_alias`); a refused alias leaves the code usable.
    A `sign_up_session` must be this user's and is spent with the code. Each call counts
    against the user's ConfirmSignUp quota (LimitExceededException once it is spent).
    """
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        user = await find_user(conn, pool, username)
        if user is None:
            if client.prevent_user_existence_errors:
                raise CodeMismatchException(codes.MISMATCH_MESSAGE)
            raise UserNotFoundException(UNKNOWN_USER_MESSAGE)
        await count_call(ctx, conn, user, Quota.CONFIRM_SIGN_UP)
        if user.status is not UserStatus.UNCONFIRMED:
            raise NotAuthorizedException(
                f"User cannot be confirmed. Current status is {user.status}"
            )
        if sign_up_session is not None:
            sessions.check_user(
                sign_up_session, pool_id=pool.id, username=user.username, user_sub=user.sub
            )
        outcome = await code_store.consume_code(
            conn,
            user_id=user.id,
            purpose=codes.Purpose.SIGN_UP,
            code_hash=code_hash(ctx, user, codes.Purpose.SIGN_UP, code),
            now=now,
            max_attempts=codes.MAX_FAILED_ATTEMPTS,
        )
        if outcome is codes.Outcome.ACCEPTED:
            if sign_up_session is not None:
                await sessions.spend(conn, sign_up_session, now=now)
            await _mark_confirmed(conn, pool, user, force_alias=force_alias, now=now)
    # Raised after the commit, so that a wrong guess stays counted.
    codes.raise_for(outcome)
    return user


async def _mark_confirmed(
    conn: AsyncConnection, pool: Pool, user: User, *, force_alias: bool, now: datetime
) -> None:
    attributes = dict(user.attributes)
    destination = codes.sign_up_destination(pool.auto_verified_attributes, attributes)
    if destination is not None:
        attributes[VERIFIED_FLAG[destination.attribute]] = "true"
    await user_store.update_user(
        conn, user.id, now=now, status=UserStatus.CONFIRMED, attributes=attributes
    )
    await user_store.set_aliases(
        conn,
        pool_id=pool.id,
        user_id=user.id,
        wanted=aliases_of(pool, attributes),
        username_kinds=pool.username_attributes,
        force=force_alias,
        now=now,
    )


@idp.operation("ConfirmSignUp")
async def confirm_sign_up(
    ctx: Context, req: shapes.ConfirmSignUpRequest
) -> shapes.ConfirmSignUpResponse:
    pool, client = await app_client(
        ctx, req["ClientId"], username=req["Username"], secret_hash=req.get("SecretHash")
    )
    sealed = req.get("Session")
    sign_up_session = (
        None
        if sealed is None
        else sessions.unseal(
            ctx.secrets, sealed, sessions.SIGN_UP_PURPOSE, client_id=client.id, now=ctx.clock()
        )
    )
    user = await confirm_with_code(
        ctx,
        pool,
        client,
        req["Username"],
        req["ConfirmationCode"],
        force_alias=bool(req.get("ForceAliasCreation")),
        sign_up_session=sign_up_session,
    )
    await trigger_calls.post_confirmation(
        ctx, pool, source="PostConfirmation_ConfirmSignUp", username=req["Username"],
        client_id=client.id, client_metadata=req.get("ClientMetadata"),
    )  # fmt: skip
    return {"Session": _user_session(ctx, client, user, sessions.AUTO_SIGN_IN_PURPOSE)}


@idp.operation("ResendConfirmationCode")
async def resend_confirmation_code(
    ctx: Context, req: shapes.ResendConfirmationCodeRequest
) -> shapes.ResendConfirmationCodeResponse:
    pool, client = await app_client(
        ctx, req["ClientId"], username=req["Username"], secret_hash=req.get("SecretHash")
    )
    code = codes.new_code()
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        user = await find_user(conn, pool, req["Username"])
        if user is None or not user.is_enabled:
            if client.prevent_user_existence_errors:
                return {"CodeDeliveryDetails": simulated_details(ctx, pool, req["Username"])}
            if user is None:
                raise UserNotFoundException(UNKNOWN_USER_MESSAGE)
            raise NotAuthorizedException("User is disabled.")
        if user.status is not UserStatus.UNCONFIRMED:
            raise InvalidParameterException("User is already confirmed.")
        destination = codes.sign_up_destination(pool.auto_verified_attributes, user.attributes)
        if destination is None:
            raise InvalidParameterException("Auto verification not turned on.")
        # The call quota is the send budget: no other operation resends a sign-up code.
        await count_call(ctx, conn, user, Quota.RESEND_CONFIRMATION_CODE)
        await issue_code(ctx, conn, user, codes.Purpose.SIGN_UP, code, now=now)
    await send_code(
        ctx,
        pool,
        destination,
        code=code,
        username=req["Username"],
        link=confirmation_link(ctx, client.id, user, code),
        trigger=MessageTrigger(
            source="CustomMessage_ResendCode",
            username=user.username,
            attributes=user.attributes,
            client_id=client.id,
            client_metadata=req.get("ClientMetadata"),
        ),
    )
    return {"CodeDeliveryDetails": delivery_details(destination)}


async def issue_limited(
    ctx: Context,
    conn: AsyncConnection,
    user: User,
    purpose: codes.Purpose,
    code: str,
    *,
    now: datetime,
) -> None:
    """Make `code` the user's live `purpose` code, within the send budget.

    Raises LimitExceededException (nothing issued) once MAX_SENDS_PER_WINDOW codes were sent
    in the current window.
    """
    has_budget = await code_store.take_send(
        conn,
        user_id=user.id,
        budget_purpose=codes.send_purpose(purpose),
        now=now,
        window=codes.SEND_WINDOW,
        limit=codes.MAX_SENDS_PER_WINDOW,
    )
    if not has_budget:
        raise LimitExceededException(codes.LIMIT_MESSAGE)
    await issue_code(ctx, conn, user, purpose, code, now=now)


async def issue_code(
    ctx: Context,
    conn: AsyncConnection,
    user: User,
    purpose: codes.Purpose,
    code: str,
    *,
    now: datetime,
) -> None:
    """Make `code` the user's live `purpose` code, replacing any earlier one (no budget)."""
    await code_store.issue_code(
        conn,
        user_id=user.id,
        purpose=purpose,
        code_hash=code_hash(ctx, user, purpose, code),
        now=now,
        expires_at=codes.expires_at(purpose, now),
    )
