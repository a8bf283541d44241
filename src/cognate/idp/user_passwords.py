"""Administrative password operations: AdminSetUserPassword, AdminResetUserPassword.

The new credential and the password-history check are 3072-bit modular exponentiations, so
they run in a worker thread before the writing transaction opens (DESIGN §7).
"""

from __future__ import annotations

import anyio

from cognate.auth.passwords import encode_credential, matches_any
from cognate.context import Context
from cognate.domain import password_policy
from cognate.domain.user_status import after_admin_reset, after_admin_set_password
from cognate.errors import InvalidParameterException, PasswordHistoryPolicyViolationException
from cognate.idp import shapes
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.idp.user_lookup import require_user
from cognate.idp.users import history_size
from cognate.store import users as user_store


@idp.operation("AdminSetUserPassword")
async def admin_set_user_password(
    ctx: Context, req: shapes.AdminSetUserPasswordRequest
) -> shapes.AdminSetUserPasswordResponse:
    password = req["Password"]
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        user = await require_user(conn, pool, req["Username"])
        history = await user_store.recent_passwords(conn, user.id, history_size(pool))
    password_policy.check_password(pool.password_policy, password, admin=True)

    def reused_and_credential() -> tuple[bool, bytes]:
        reused = matches_any(
            ctx.secrets, history, pool_id=pool.id, username=user.username, password=password
        )
        credential = encode_credential(
            ctx.secrets, pool_id=pool.id, username=user.username, password=password
        )
        return reused, credential

    is_reused, credential = await anyio.to_thread.run_sync(reused_and_credential)
    if is_reused:
        raise PasswordHistoryPolicyViolationException("Password has previously been used.")
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
    return {}


@idp.operation("AdminResetUserPassword")
async def admin_reset_user_password(
    ctx: Context, req: shapes.AdminResetUserPasswordRequest
) -> shapes.AdminResetUserPasswordResponse:
    # Cognito also sends a reset code to the verified contact; the code itself is the
    # forgot-password issue's. Until then the user is only marked RESET_REQUIRED.
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        user = await require_user(conn, pool, req["Username"])
        status = after_admin_reset(user.status)
        attributes = user.attributes
        has_contact = (attributes.get("email") and attributes.get("email_verified") == "true") or (
            attributes.get("phone_number") and attributes.get("phone_number_verified") == "true"
        )
        if not has_contact:
            raise InvalidParameterException(
                "Cannot reset password for the user as there is no registered/verified email "
                "or phone_number"
            )
        await user_store.update_user(conn, user.id, now=ctx.clock(), status=status)
    return {}
