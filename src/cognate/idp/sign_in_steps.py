"""The shared tail of every sign-in: the plain-password check, the SRP start, and what follows
a proven step (the user's state checks, then the next challenge or the tokens).

Used by idp/auth.py (the fixed flows and their challenges) and idp/user_auth.py (USER_AUTH,
whose chosen first factor then continues exactly like the flow of the same name). The order of
I/O is idp/auth.py's: lockout claimed before a password is checked, SRP's variable-base modular
exponentiations in the CPU pool (cognate/cpu.py), with no transaction open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from cognate.auth import flow, sessions
from cognate.auth.flow import Challenge, Subject
from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.device import Device
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import NotAuthorizedException
from cognate.idp import (
    auth_triggers,
    device_auth,
    mfa_challenges,
    threat_protection,
    user_migration,
)
from cognate.idp.sign_in_subjects import find_named_user, lockout_attempt
from cognate.idp.user_lookup import find_user
from cognate.store import sign_in as sign_in_store

Answer = dict[str, Any]
Finish = Callable[[Context, flow.Attempt], Awaitable[Answer]]
"""How a sign-in whose every step passed ends: by default PostAuthentication and the tokens
(auth_triggers.complete_sign_in); the hosted UI passes its own ending, whose tokens are issued
later, at the code exchange (hosted_ui/challenges.py)."""


async def password_sign_in(
    ctx: Context,
    pool: Pool,
    client: Client,
    parameters: Mapping[str, str],
    metadata: Mapping[str, str],
) -> Answer:
    """USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, ADMIN_NO_SRP_AUTH: the SECRET_HASH, then
    `password_step` for the user USERNAME names."""
    name = flow.required(parameters, "USERNAME")
    password = flow.required(parameters, "PASSWORD")
    user = await find_named_user(ctx, pool, client, name, parameters.get("SECRET_HASH"))
    return await password_step(
        ctx, pool, client, user, name, password, metadata, device_key=parameters.get("DEVICE_KEY")
    )


async def password_step(
    ctx: Context,
    pool: Pool,
    client: Client,
    user: User | None,
    name: str,
    password: str,
    metadata: Mapping[str, str],
    *,
    device_key: str | None = None,
    finish: Finish = auth_triggers.complete_sign_in,
    is_decoy_for_unknown: bool = False,
) -> Answer:
    """The password step of `name`, which found `user` (None: unknown), up to `after_proof`.

    An unknown name goes to UserMigration first (idp/user_migration.py); a user it creates is
    signed in with the password the legacy system just accepted. A name still unknown is
    UserNotFoundException or a decoy, as PreventUserExistenceErrors says, or always a decoy
    with `is_decoy_for_unknown` (the hosted UI, whose page never tells).
    """
    is_migrated = False
    if user is None:
        user = await user_migration.migrate_at_sign_in(ctx, pool, client, name, password, metadata)
        is_migrated = user is not None
    if user is None and is_decoy_for_unknown:
        subject = flow.decoy_subject(ctx.secrets, pool, flow.decoy_id(ctx.secrets, pool, name))
    else:
        subject = flow.subject_of(ctx.secrets, pool, client, user, name)
    await auth_triggers.pre_authentication(ctx, pool, client, subject, name, metadata)
    if is_migrated:
        return await after_proof(ctx, pool, client, subject, metadata=metadata, finish=finish)
    device = await device_auth.claimed_device(ctx, user, device_key)
    return await prove_password(
        ctx, pool, client, subject, password, metadata, device, finish=finish
    )


async def prove_password(
    ctx: Context,
    pool: Pool,
    client: Client,
    subject: Subject,
    password: str,
    metadata: Mapping[str, str],
    device: Device | None,
    *,
    finish: Finish = auth_triggers.complete_sign_in,
) -> Answer:
    """Claim the attempt against the lockout counter, check `password` (decoys do the same
    work, and are never right), then answer as `after_proof` does. PreAuthentication has
    already run. Threat protection screens the plaintext password (and the source address)
    here, where it exists (idp/threat_protection.py; nothing when the pool's mode is OFF)."""
    async with lockout_attempt(ctx, pool, subject):
        # ~0.1 ms (srp.g_pow): less than a hand-off to a worker thread would cost.
        is_correct = flow.password_matches(ctx.secrets, pool.id, subject, password)
        await threat_protection.screen_sign_in(
            ctx, pool, client.id, subject, password, is_correct=is_correct
        )
        if not is_correct:
            raise NotAuthorizedException(flow.INCORRECT)
    return await after_proof(
        ctx, pool, client, subject, metadata=metadata, device=device, finish=finish
    )


async def after_proof(
    ctx: Context,
    pool: Pool,
    client: Client,
    subject: Subject,
    *,
    metadata: Mapping[str, str],
    completed: tuple[str, ...] = (),
    device: Device | None = None,
    finish: Finish = auth_triggers.complete_sign_in,
) -> Answer:
    """Answer a proven password: Cognito's error, or the next challenge, or tokens."""
    if subject.user is None:
        raise NotAuthorizedException(flow.INCORRECT)
    attempt = flow.Attempt(
        pool=pool, client=client, user=subject.user, completed=completed,
        client_metadata=metadata, device=device,
    )  # fmt: skip
    # Cleared in the refresh token's transaction when tokens follow, else as the step ends.
    async with sign_in_store.clearing_failures(
        ctx.store, pool_id=pool.id, subject=subject.lockout_key
    ):
        return await continue_sign_in(ctx, attempt, finish=finish)


async def after_code(
    ctx: Context,
    pool: Pool,
    client: Client,
    subject: Subject,
    *,
    completed: tuple[str, ...],
    responses: Mapping[str, str],
    metadata: Mapping[str, str],
    finish: Finish = auth_triggers.complete_sign_in,
) -> Answer:
    """After an accepted one-time code (an MFA code or USER_AUTH's first-factor code): the
    lockout counter cleared, the user read again (still the one the Session named), then on
    like any proven step."""
    user = subject.user
    if user is None:
        raise NotAuthorizedException(sessions.INVALID_SESSION)
    async with ctx.store.begin() as conn:
        await sign_in_store.clear_failures(conn, pool_id=pool.id, subject=subject.lockout_key)
        current = await find_user(conn, pool, user.username)
    if current is None or current.id != user.id:
        raise NotAuthorizedException(sessions.INVALID_SESSION)
    device = await device_auth.claimed_device(ctx, current, responses.get("DEVICE_KEY"))
    attempt = flow.Attempt(
        pool=pool, client=client, user=current, completed=completed, client_metadata=metadata,
        device=device,
    )  # fmt: skip
    return await continue_sign_in(ctx, attempt, finish=finish)


async def continue_sign_in(
    ctx: Context, attempt: flow.Attempt, *, finish: Finish = auth_triggers.complete_sign_in
) -> Answer:
    """After a proven step: the user's state checks, then the next challenge or `finish`."""
    now = ctx.clock()
    flow.check_can_sign_in(attempt.pool, attempt.user, now)
    challenge = flow.next_challenge(attempt)
    if challenge is None:
        return await finish(ctx, attempt)
    session = sessions.new_session(
        pool_id=attempt.pool.id,
        client_id=attempt.client.id,
        username=attempt.user.username,
        challenge=challenge,
        now=now,
        validity=attempt.client.auth_session_validity,
        completed=attempt.completed,
        auth_event=await threat_protection.carry_event(ctx, attempt.pool, attempt.user),
    )
    if challenge in mfa_challenges.CODE_CHALLENGES:
        parameters = await mfa_challenges.send_code(
            ctx, attempt.pool, attempt.user, challenge, session,
            client_id=attempt.client.id, client_metadata=attempt.client_metadata,
        )  # fmt: skip
    else:
        parameters = flow.challenge_parameters(challenge, attempt)
    return {
        "ChallengeName": challenge,
        "Session": sessions.seal(ctx.secrets, session, sessions.SESSION_PURPOSE),
        "ChallengeParameters": parameters,
    }


async def password_verifier_challenge(
    ctx: Context, pool: Pool, client: Client, subject: Subject, big_a: int
) -> Answer:
    """USER_SRP_AUTH's answer: PASSWORD_VERIFIER, its state sealed in SECRET_BLOCK.

    No Session is returned: the SECRET_BLOCK is self-contained and single-use, and clients
    send it back as PASSWORD_CLAIM_SECRET_BLOCK.
    """
    # One fixed-base g^b (srp.g_pow, ~0.1 ms): cheaper inline than a worker-thread hand-off.
    start = flow.start_password_verifier(ctx.secrets, pool.id, subject)
    session = sessions.new_session(
        pool_id=pool.id,
        client_id=client.id,
        username=subject.user_id_for_srp,
        challenge=Challenge.PASSWORD_VERIFIER,
        now=ctx.clock(),
        validity=client.auth_session_validity,
        srp_a=big_a,
        srp_small_b=start.small_b,
        srp_big_b=start.big_b,
    )
    block = sessions.seal(ctx.secrets, session, sessions.SECRET_BLOCK_PURPOSE)
    parameters = flow.password_verifier_parameters(
        start, secret_block=block, user_id_for_srp=subject.user_id_for_srp
    )
    return {"ChallengeName": Challenge.PASSWORD_VERIFIER.value, "ChallengeParameters": parameters}
