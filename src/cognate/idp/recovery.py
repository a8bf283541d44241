"""Account recovery: ForgotPassword and ConfirmForgotPassword (AdminResetUserPassword, which
sends the same code, lives in user_passwords.py and uses `issue_reset_code` from here).

Cognito developer guide, "Recovering user accounts": the reset code goes to a verified contact
chosen by AccountRecoverySetting (domain/codes.recovery_destination); it lives one hour. A new
password must meet the policy and PasswordHistorySize, and the user becomes CONFIRMED.

PreventUserExistenceErrors ENABLED: an unknown, disabled or unreachable user gets simulated
CodeDeliveryDetails from ForgotPassword and CodeMismatchException from ConfirmForgotPassword;
LEGACY answers UserNotFoundException ("Username/client id combination not found.") or
NotAuthorizedException ("User is disabled.").

Wrong guesses: a code dies after `codes.MAX_FAILED_ATTEMPTS` of them
(TooManyFailedAttemptsException), and each ConfirmForgotPassword of an existing user counts
against its per-user quota (domain/quotas.py; LimitExceededException once spent, nothing
changed), so code after code cannot be guessed at without end (security-test-plan.md B22).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain import codes, password_policy
from cognate.domain.pool import Pool
from cognate.domain.quotas import Quota
from cognate.domain.threat_protection import PasswordEvent
from cognate.domain.user import User, UserStatus
from cognate.errors import (
    CodeMismatchException,
    CognitoError,
    InvalidParameterException,
    NotAuthorizedException,
    UserNotFoundException,
)
from cognate.idp import shapes, threat_protection, trigger_calls, user_migration
from cognate.idp.credentials import new_credential
from cognate.idp.notify import delivery_details, send_code
from cognate.idp.registry import idp
from cognate.idp.signup import (
    UNKNOWN_USER_MESSAGE,
    app_client,
    code_hash,
    issue_code,
    issue_limited,
    simulated_details,
)
from cognate.idp.user_lookup import find_user
from cognate.idp.user_quotas import count_call
from cognate.idp.users import history_size
from cognate.store import codes as code_store
from cognate.store import users as user_store
from cognate.triggers.events import MessageTrigger

_PURPOSE = codes.Purpose.FORGOT_PASSWORD


def reset_destination(pool: Pool, user: User) -> codes.Destination:
    """Where the user's reset code goes (NotAuthorized / InvalidParameter as Cognito)."""
    return codes.recovery_destination(pool.config.get("AccountRecoverySetting"), user.attributes)


def _legacy_error(user: User | None) -> CognitoError:
    """LEGACY's error for an unknown or disabled user (ENABLED clients hide both)."""
    if user is None:
        return UserNotFoundException(UNKNOWN_USER_MESSAGE)
    return NotAuthorizedException("User is disabled.")


@idp.operation("ForgotPassword")
async def forgot_password(
    ctx: Context, req: shapes.ForgotPasswordRequest
) -> shapes.ForgotPasswordResponse:
    pool, client = await app_client(
        ctx, req["ClientId"], username=req["Username"], secret_hash=req.get("SecretHash")
    )
    hide = client.prevent_user_existence_errors
    # UserMigration_ForgotPassword: a legacy user unknown here is created before the lookup.
    await user_migration.migrate_for_reset(
        ctx, pool, client, req["Username"], req.get("ClientMetadata")
    )
    code = codes.new_code()
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        user = await find_user(conn, pool, req["Username"])
        if user is None or not user.is_enabled:
            if hide:
                return {"CodeDeliveryDetails": simulated_details(ctx, pool, req["Username"])}
            raise _legacy_error(user)
        try:
            destination = reset_destination(pool, user)
        except InvalidParameterException:
            if hide:
                return {"CodeDeliveryDetails": simulated_details(ctx, pool, req["Username"])}
            raise
        await issue_limited(ctx, conn, user, _PURPOSE, code, now=now)
    await send_code(
        ctx, pool, destination, code=code, username=req["Username"],
        trigger=MessageTrigger(source="CustomMessage_ForgotPassword", username=user.username,
                               attributes=user.attributes, client_id=client.id,
                               client_metadata=req.get("ClientMetadata")),
    )  # fmt: skip
    screen = threat_protection.forgot_password_screen(pool)
    await threat_protection.record_event(ctx, pool, user, "ForgotPassword", screen)
    return {"CodeDeliveryDetails": delivery_details(destination)}


async def issue_reset_code(
    ctx: Context, conn: AsyncConnection, user: User, code: str, *, now: datetime
) -> None:
    """Make `code` the user's live reset code (no send budget: an administrator asked)."""
    await issue_code(ctx, conn, user, _PURPOSE, code, now=now)


@idp.operation("ConfirmForgotPassword")
async def confirm_forgot_password(
    ctx: Context, req: shapes.ConfirmForgotPasswordRequest
) -> shapes.ConfirmForgotPasswordResponse:
    pool, client = await app_client(
        ctx, req["ClientId"], username=req["Username"], secret_hash=req.get("SecretHash")
    )
    async with ctx.store.begin() as conn:
        user = await find_user(conn, pool, req["Username"])
        if user is not None and user.is_enabled:
            # Counted before any check, so that no refusal is free to repeat.
            await count_call(ctx, conn, user, Quota.CONFIRM_FORGOT_PASSWORD)
    if user is None or not user.is_enabled:
        if client.prevent_user_existence_errors:
            raise CodeMismatchException(codes.MISMATCH_MESSAGE)
        raise _legacy_error(user)
    password_policy.check_password(pool.password_policy, req["Password"])
    screen = await threat_protection.screen_new_password(
        ctx, pool, client_id=client.id, password=req["Password"],
        event=PasswordEvent.PASSWORD_CHANGE, user=user,
    )  # fmt: skip
    credential = await new_credential(ctx, pool, user, req["Password"])
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        outcome = await code_store.consume_code(
            conn,
            user_id=user.id,
            purpose=_PURPOSE,
            code_hash=code_hash(ctx, user, _PURPOSE, req["ConfirmationCode"]),
            now=now,
            max_attempts=codes.MAX_FAILED_ATTEMPTS,
        )
        if outcome is codes.Outcome.ACCEPTED:
            await user_store.set_password(
                conn,
                user.id,
                credential,
                status=UserStatus.CONFIRMED,
                history_size=history_size(pool),
                now=now,
            )
    # Raised after the commit, so that a wrong guess stays counted.
    codes.raise_for(outcome)
    await threat_protection.record_event(ctx, pool, user, "PasswordChange", screen)
    await trigger_calls.post_confirmation(
        ctx, pool, source="PostConfirmation_ConfirmForgotPassword", username=user.username,
        client_id=client.id, client_metadata=req.get("ClientMetadata"),
    )  # fmt: skip
    return {}
