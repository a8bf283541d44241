"""Administrative password operations: AdminSetUserPassword, AdminResetUserPassword.

The new credential and the password-history check are 3072-bit modular exponentiations, so
they run in the CPU pool (cognate/cpu.py) before the writing transaction opens (DESIGN §7).
"""

from __future__ import annotations

from cognate.context import Context
from cognate.domain import codes, password_policy
from cognate.domain.pool import Pool
from cognate.domain.threat_protection import PasswordEvent
from cognate.domain.user import User
from cognate.domain.user_status import after_admin_reset, after_admin_set_password
from cognate.errors import (
    CodeDeliveryFailureException,
    InvalidLambdaResponseException,
    NotAuthorizedException,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)
from cognate.idp import shapes, threat_protection
from cognate.idp.credentials import new_credential
from cognate.idp.notify import send_code
from cognate.idp.recovery import issue_reset_code, reset_destination
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.idp.user_lookup import require_user
from cognate.idp.users import history_size
from cognate.store import codes as code_store
from cognate.store import users as user_store
from cognate.triggers.events import MessageTrigger

# Cognito reports an administrator's reset as a forgot-password message.
RESET_SOURCE = "CustomMessage_ForgotPassword"
LAMBDA_ERRORS = (
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)


@idp.operation("AdminSetUserPassword")
async def admin_set_user_password(
    ctx: Context, req: shapes.AdminSetUserPasswordRequest
) -> shapes.AdminSetUserPasswordResponse:
    password = req["Password"]
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        user = await require_user(conn, pool, req["Username"])
    password_policy.check_password(pool.password_policy, password, admin=True)
    screen = await threat_protection.screen_new_password(
        ctx, pool, client_id=None, password=password, event=PasswordEvent.PASSWORD_CHANGE,
        user=user,
    )  # fmt: skip
    credential = await new_credential(ctx, pool, user, password)
    async with ctx.store.begin() as conn:
        # Looked up again: the user may have been deleted while the credential was computed.
        current = await require_user(conn, pool, user.username)
        await user_store.set_password(
            conn,
            current.id,
            credential,
            status=after_admin_set_password(is_permanent=bool(req.get("Permanent"))),
            history_size=history_size(pool),
            now=ctx.clock(),
        )
    await threat_protection.record_event(ctx, pool, current, "PasswordChange", screen)
    return {}


@idp.operation("AdminResetUserPassword")
async def admin_reset_user_password(
    ctx: Context, req: shapes.AdminResetUserPasswordRequest
) -> shapes.AdminResetUserPasswordResponse:
    """RESET_REQUIRED, and a reset code sent to the verified contact AccountRecoverySetting picks.

    The code is stored and committed before it is sent; if it cannot be delivered (or the
    pool's CustomMessage function fails) the previous status is put back and the code
    discarded. CodeDeliveryFailureException is not among the operation's declared errors, but
    it is a service-wide error botocore understands, and telling the administrator that nothing
    was sent beats a silent success.
    """
    code = codes.new_code()
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        user = await require_user(conn, pool, req["Username"])
        status = after_admin_reset(user.status)
        destination = _admin_reset_destination(pool, user)
        await user_store.update_user(conn, user.id, now=ctx.clock(), status=status)
        await issue_reset_code(ctx, conn, user, code, now=ctx.clock())
    try:
        await send_code(
            ctx, pool, destination, code=code, username=req["Username"],
            trigger=MessageTrigger(source=RESET_SOURCE, username=user.username,
                                   attributes=user.attributes,
                                   client_metadata=req.get("ClientMetadata")),
        )  # fmt: skip
    except (CodeDeliveryFailureException, *LAMBDA_ERRORS):
        async with ctx.store.begin() as conn:
            await user_store.update_user(conn, user.id, now=ctx.clock(), status=user.status)
            await code_store.discard_code(conn, user.id, codes.Purpose.FORGOT_PASSWORD)
        raise
    return {}


def _admin_reset_destination(pool: Pool, user: User) -> codes.Destination:
    """The reset code's destination; `admin_only` recovery still lets an administrator reset,
    so the code then goes to any verified contact."""
    try:
        return reset_destination(pool, user)
    except NotAuthorizedException:
        return codes.recovery_destination(None, user.attributes)
