"""The hosted UI's password step, made of the sign-in engine's own pieces (never a copy).

The same order as USER_PASSWORD_AUTH in idp/auth.py: find the user (or a decoy doing the same
work, so the page never tells whether an account exists), claim the attempt against the
lockout counter before checking the password, check it off the event loop, clear the counter
on success, then the engine's state checks and its next challenge. PreAuthentication and
PostAuthentication fire here as they do for the API.
"""

from __future__ import annotations

from datetime import datetime

import anyio

from cognate.auth import flow
from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import NotAuthorizedException
from cognate.idp import auth_triggers
from cognate.idp.sign_in_subjects import lockout_attempt
from cognate.idp.user_lookup import find_user
from cognate.store import sign_in as sign_in_store


async def _subject(ctx: Context, pool: Pool, name: str) -> flow.Subject:
    async with ctx.store.read() as conn:
        user = await find_user(conn, pool, name)
    if user is None:
        return flow.decoy_subject(ctx.secrets, pool, flow.decoy_id(ctx.secrets, pool, name))
    return flow.Subject(user=user, user_id_for_srp=user.username, lockout_key=str(user.id))


async def check_password(
    ctx: Context, pool: Pool, client: Client, name: str, password: str
) -> tuple[User, str | None]:
    """The user whose password this is and the engine's next challenge (None: tokens may be
    issued); Cognito's errors otherwise (incorrect, locked out, disabled, unconfirmed…)."""
    subject = await _subject(ctx, pool, name)
    await auth_triggers.pre_authentication(ctx, pool, client, subject, name, {})
    async with lockout_attempt(ctx, pool, subject):
        is_correct = await anyio.to_thread.run_sync(
            flow.password_matches, ctx.secrets, pool.id, subject, password
        )
        if not is_correct or subject.user is None:
            raise NotAuthorizedException(flow.INCORRECT)
    async with ctx.store.begin() as conn:
        await sign_in_store.clear_failures(conn, pool_id=pool.id, subject=subject.lockout_key)
    now: datetime = ctx.clock()
    flow.check_can_sign_in(pool, subject.user, now)
    attempt = flow.Attempt(pool=pool, client=client, user=subject.user)
    challenge = flow.next_challenge(attempt)
    if challenge is None:
        # Later steps finish through RespondToAuthChallenge, which runs it itself.
        await auth_triggers.post_authentication(ctx, attempt)
    return subject.user, challenge
