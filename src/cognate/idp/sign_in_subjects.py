"""Whom a sign-in step is about, and the checks every step makes before it proves anything:
the client's SECRET_HASH, the lockout claim, a Session issued for this pool, client and
challenge, and a USERNAME naming the account the Session was issued for.

Shared by idp/auth.py (password, SRP, MFA steps) and idp/custom_auth.py (CUSTOM_AUTH), so
both flows apply the same rules (security-test-plan.md A: no user enumeration, B: lockout).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.auth import flow, lockout, sessions
from cognate.auth.flow import Subject
from cognate.auth.secret_hash import check_secret_hash
from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import NotAuthorizedException
from cognate.idp.user_lookup import find_user
from cognate.store import sign_in as sign_in_store
from cognate.store.clients import client_secret_values
from cognate.store.sign_in import Claim


async def find_named_user(
    ctx: Context, pool: Pool, client: Client, name: str, secret_hash: str | None
) -> User | None:
    """Check the client's SECRET_HASH for `name`, then find the user `name` names, if any,
    with the same queries whether it names one or not (security-test-plan.md A3)."""
    async with ctx.store.read() as conn:
        await check_secret_hash_for(ctx, conn, client, (name,), secret_hash)
        return await find_user(conn, pool, name, same_queries=True)


async def find_subject(
    ctx: Context, pool: Pool, client: Client, name: str, secret_hash: str | None
) -> Subject:
    """`find_named_user`, then the subject: the user, or (ENABLED) the decoy of an unknown
    name; UserNotFoundException for an unknown name otherwise."""
    user = await find_named_user(ctx, pool, client, name, secret_hash)
    return flow.subject_of(ctx.secrets, pool, client, user, name)


async def check_secret_hash_for(
    ctx: Context,
    conn: AsyncConnection,
    client: Client,
    names: tuple[str, ...],
    given: str | None,
) -> None:
    """NotAuthorizedException unless `given` is the SECRET_HASH of one of `names`."""
    if not client.has_secret:
        return
    secrets = await client_secret_values(conn, ctx.secrets, client.id)
    for name in names[:-1]:
        try:
            check_secret_hash(secrets, client_id=client.id, username=name, given=given)
        except NotAuthorizedException:
            continue
        return
    check_secret_hash(secrets, client_id=client.id, username=names[-1], given=given)


@dataclass
class Claimed:
    """An attempt claimed against the lockout counter (`lockout_attempt`). Set `failed` when
    the proof was wrong but the step answers without raising (CUSTOM_AUTH hands it on)."""

    failed: bool = False


AlsoInClaim = Callable[[AsyncConnection], Awaitable[object]]


@asynccontextmanager
async def lockout_attempt(
    ctx: Context, pool: Pool, subject: Subject, also: AlsoInClaim | None = None
) -> AsyncIterator[Claimed]:
    """Claim an attempt against the subject's lockout counter, or refuse it while locked.

    `also` runs in the claim's transaction (spending a Session: a refused claim spends
    nothing). While too many attempts are in flight to tell, the claim waits for them. A block
    that raises, or marks the claim `failed`, counts a failure; one that ends normally counts
    nothing, and the sign-in clears the counter once it succeeds (store/sign_in.py). A failure
    is answered no sooner than lockout.FAILED_PROOF_FLOOR after its request arrived.
    """
    received_at = ctx.received_at or time.monotonic()
    deadline = ctx.clock() + lockout.BUSY_WAIT
    pause = 0.005
    while True:
        async with ctx.store.begin() as conn:
            claim = await sign_in_store.claim_attempt(
                conn,
                pool_id=pool.id,
                subject=subject.lockout_key,
                now=ctx.clock(),
                threshold=lockout.THRESHOLD,
                quiet_reset=lockout.QUIET_RESET,
                abandoned_after=lockout.ABANDONED_AFTER,
            )
            if claim is Claim.CLAIMED and also is not None:
                await also(conn)
        if claim is Claim.CLAIMED:
            break
        if claim is Claim.LOCKED or ctx.clock() >= deadline:
            raise lockout.locked_out()
        await anyio.sleep(pause)
        pause = min(pause * 2, 0.05)
    claimed = Claimed()
    try:
        yield claimed
    except BaseException:
        claimed.failed = True
        raise
    finally:
        if claimed.failed:
            # Counted even if the request is cancelled meanwhile.
            with anyio.CancelScope(shield=True):
                async with ctx.store.begin() as conn:
                    await sign_in_store.record_failure(
                        conn,
                        pool_id=pool.id,
                        subject=subject.lockout_key,
                        now=ctx.clock(),
                        lockout_after=lockout.lockout_after,
                    )
            floor = received_at + lockout.FAILED_PROOF_FLOOR.total_seconds()
            await anyio.sleep(max(0.0, floor - time.monotonic()))


def open_session(
    ctx: Context, pool: Pool, client: Client, sealed: str, purpose: str, challenge: str
) -> sessions.AuthSession:
    """The session `sealed` if it was issued for this pool, client and challenge."""
    session = sessions.unseal(ctx.secrets, sealed, purpose, client_id=client.id, now=ctx.clock())
    if session.pool_id != pool.id or session.challenge != challenge:
        raise NotAuthorizedException(sessions.INVALID_SESSION)
    return session


async def session_subject(
    ctx: Context,
    pool: Pool,
    client: Client,
    session_username: str,
    name: str,
    secret_hash: str | None,
) -> Subject:
    """The subject of a session issued for `session_username`, when the USERNAME answered
    (`name`) names the same account."""
    async with ctx.store.read() as conn:
        await check_secret_hash_for(ctx, conn, client, (name,), secret_hash)
        user = await find_user(conn, pool, session_username)
        named = user if name == session_username else await find_user(conn, pool, name)
    if user is None:
        # A decoy's session: answered like a real user's, whichever spelling of the name.
        is_same = session_username in (name, flow.decoy_id(ctx.secrets, pool, name))
        if client.prevent_user_existence_errors and is_same:
            return flow.decoy_subject(ctx.secrets, pool, session_username)
        raise NotAuthorizedException(flow.INCORRECT)
    if named is None or named.id != user.id:
        raise NotAuthorizedException(flow.INCORRECT)
    return flow.subject_of(ctx.secrets, pool, client, user, name)
