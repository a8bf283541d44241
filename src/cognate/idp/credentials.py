"""Turning a user's new password into the credential stored for it, under the pool's history rule.

Every path that sets a password (AdminSetUserPassword, ConfirmForgotPassword, ChangePassword,
NEW_PASSWORD_REQUIRED) comes through here, so PasswordHistorySize is enforced the same way on all.
"""

from __future__ import annotations

from cognate import cpu
from cognate.auth.passwords import encode_credential, matches_any
from cognate.context import Context
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import PasswordHistoryPolicyViolationException
from cognate.idp.users import history_size
from cognate.store import users as user_store


async def new_credential(ctx: Context, pool: Pool, user: User, password: str) -> bytes:
    """The credential of `password` for `user`; PasswordHistoryPolicyViolationException if it is
    one of the user's last PasswordHistorySize passwords.

    The history check is one fixed-base exponentiation per remembered password (srp.g_pow), up
    to 24: it runs in the CPU pool (cognate/cpu.py), with no transaction open.
    """
    async with ctx.store.read() as conn:
        history = await user_store.recent_passwords(conn, user.id, history_size(pool))

    def reused_and_credential() -> tuple[bool, bytes]:
        is_reused = matches_any(
            ctx.secrets, history, pool_id=pool.id, username=user.username, password=password
        )
        credential = encode_credential(
            ctx.secrets, pool_id=pool.id, username=user.username, password=password
        )
        return is_reused, credential

    is_reused, credential = await cpu.run(reused_and_credential)
    if is_reused:
        raise PasswordHistoryPolicyViolationException("Password has previously been used.")
    return credential
