"""The hosted UI's password step: the sign-in engine's own (idp/sign_in_steps.py), never a copy.

Only whom the step is about is the hosted UI's choice: an unknown name gets a decoy doing the
same work whatever PreventUserExistenceErrors says, so the page never tells whether an account
exists. Then, as for USER_PASSWORD_AUTH: PreAuthentication, the attempt claimed against the
lockout counter before the password is checked off the event loop, the user's state checks,
and the next challenge; or, when none is left, the engine ends the sign-in with the hosted UI's
`authenticated` (PostAuthentication, no tokens: those come at the code exchange).
"""

from __future__ import annotations

from cognate.auth import flow
from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.hosted_ui.challenges import Step, authenticated, outcome
from cognate.idp import auth_triggers, sign_in_steps
from cognate.idp.user_lookup import find_user


async def _subject(ctx: Context, pool: Pool, name: str) -> flow.Subject:
    async with ctx.store.read() as conn:
        user = await find_user(conn, pool, name)
    if user is None:
        return flow.decoy_subject(ctx.secrets, pool, flow.decoy_id(ctx.secrets, pool, name))
    return flow.Subject(user=user, user_id_for_srp=user.username, lockout_key=str(user.id))


async def check_password(
    ctx: Context, pool: Pool, client: Client, name: str, password: str
) -> Step | User:
    """The first step after the password, or the user when none is left; Cognito's errors
    otherwise (incorrect, locked out, disabled, unconfirmed…)."""
    subject = await _subject(ctx, pool, name)
    await auth_triggers.pre_authentication(ctx, pool, client, subject, name, {})
    answer = await sign_in_steps.prove_password(
        ctx, pool, client, subject, password, {}, None, finish=authenticated
    )
    username = subject.user.username if subject.user is not None else name
    return await outcome(ctx, username, answer)
