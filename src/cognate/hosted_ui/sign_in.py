"""The hosted UI's password step: the sign-in engine's own (idp/sign_in_steps.py), never a copy.

Only whom the step is about is the hosted UI's choice: a name still unknown after UserMigration
(UserMigration_Authentication, as for USER_PASSWORD_AUTH) gets a decoy doing the same work
whatever PreventUserExistenceErrors says, so the page never tells whether an account exists.
Then, as for USER_PASSWORD_AUTH: PreAuthentication, the attempt claimed against the lockout
counter before the password is checked off the event loop (a migrated user is signed in with
the password the legacy system just accepted), the user's state checks, and the next
challenge; or, when none is left, the engine ends the sign-in with the hosted UI's
`authenticated` (PostAuthentication, no tokens: those come at the code exchange).
"""

from __future__ import annotations

from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.hosted_ui.challenges import Step, authenticated, outcome
from cognate.idp import sign_in_steps
from cognate.idp.user_lookup import find_user


async def check_password(
    ctx: Context, pool: Pool, client: Client, name: str, password: str
) -> Step | User:
    """The first step after the password, or the user when none is left; Cognito's errors
    otherwise (incorrect, locked out, disabled, unconfirmed…)."""
    async with ctx.store.read() as conn:
        user = await find_user(conn, pool, name, same_queries=True)
    answer = await sign_in_steps.password_step(
        ctx, pool, client, user, name, password, {}, finish=authenticated,
        is_decoy_for_unknown=True,
    )  # fmt: skip
    return await outcome(ctx, user.username if user is not None else name, answer)
