"""Sign-in operations: InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge,
AdminRespondToAuthChallenge, and ChangePassword.

Each handler loads, checks, calls the engine (auth/flow.py, whose diagram is auth/flow.md) and
saves. The rules live in the engine; this module only orders I/O: reads in short read
transactions, modular exponentiations in a worker thread with no transaction open (DESIGN §7),
and each attempt claimed against the lockout counter (store/sign_in.py) *before* its password
is checked, so a burst of guesses gets at most five checks before the lock engages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import anyio
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.auth import flow, lockout, sessions
from cognate.auth.flow import AuthFlow, Challenge, Subject
from cognate.auth.secret_hash import check_secret_hash
from cognate.context import Context
from cognate.domain import password_policy
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.domain.user import UserStatus
from cognate.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ResourceNotFoundException,
)
from cognate.idp import mfa_challenges, shapes
from cognate.idp.clients import require_client
from cognate.idp.credentials import new_credential
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.idp.user_attributes import save_attributes
from cognate.idp.user_lookup import find_user
from cognate.idp.users import history_size
from cognate.store import sign_in as sign_in_store
from cognate.store import tokens as token_store
from cognate.store import users as user_store
from cognate.store.clients import client_secret_values, get_client
from cognate.tokens.issue import (
    REFRESH_HASH_PURPOSE,
    SignIn,
    authenticate_access_token,
    issue_tokens,
    refresh_tokens,
    require_scope,
)

Answer = dict[str, Any]


@idp.operation("InitiateAuth")
async def initiate_auth(
    ctx: Context, req: shapes.InitiateAuthRequest
) -> shapes.InitiateAuthResponse:
    pool, client = await _pool_and_client(ctx, None, req["ClientId"])
    answer = await _initiate(ctx, pool, client, req, is_admin=False)
    return cast(shapes.InitiateAuthResponse, answer)


@idp.operation("AdminInitiateAuth")
async def admin_initiate_auth(
    ctx: Context, req: shapes.AdminInitiateAuthRequest
) -> shapes.AdminInitiateAuthResponse:
    pool, client = await _pool_and_client(ctx, req["UserPoolId"], req["ClientId"])
    answer = await _initiate(ctx, pool, client, req, is_admin=True)
    return cast(shapes.AdminInitiateAuthResponse, answer)


@idp.operation("RespondToAuthChallenge")
async def respond_to_auth_challenge(
    ctx: Context, req: shapes.RespondToAuthChallengeRequest
) -> shapes.RespondToAuthChallengeResponse:
    pool, client = await _pool_and_client(ctx, None, req["ClientId"])
    answer = await _respond(ctx, pool, client, req)
    return cast(shapes.RespondToAuthChallengeResponse, answer)


@idp.operation("AdminRespondToAuthChallenge")
async def admin_respond_to_auth_challenge(
    ctx: Context, req: shapes.AdminRespondToAuthChallengeRequest
) -> shapes.AdminRespondToAuthChallengeResponse:
    pool, client = await _pool_and_client(ctx, req["UserPoolId"], req["ClientId"])
    answer = await _respond(ctx, pool, client, req)
    return cast(shapes.AdminRespondToAuthChallengeResponse, answer)


async def _pool_and_client(
    ctx: Context, pool_id: str | None, client_id: str
) -> tuple[Pool, Client]:
    """The client (of `pool_id` when the admin operation names one) and its pool."""
    async with ctx.store.read() as conn:
        if pool_id is not None:
            pool = await require_pool(conn, pool_id)
            return pool, await require_client(conn, pool.id, client_id)
        client = await get_client(conn, None, client_id)
        if client is None:
            raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
        return await require_pool(conn, client.pool_id), client


async def _initiate(
    ctx: Context, pool: Pool, client: Client, req: Mapping[str, Any], *, is_admin: bool
) -> Answer:
    auth_flow = flow.check_auth_flow(req["AuthFlow"], client, is_admin=is_admin)
    parameters: Mapping[str, str] = req.get("AuthParameters") or {}
    metadata: Mapping[str, str] = req.get("ClientMetadata") or {}
    if auth_flow in flow.REFRESH_FLOWS:
        return await _refresh(ctx, pool, client, parameters)
    name = flow.required(parameters, "USERNAME")
    if auth_flow is AuthFlow.USER_SRP_AUTH:
        big_a = flow.parse_srp_a(flow.required(parameters, "SRP_A"))
        subject = await _subject(ctx, pool, client, name, parameters.get("SECRET_HASH"))
        return await _password_verifier_challenge(ctx, pool, client, subject, big_a)
    password = flow.required(parameters, "PASSWORD")
    subject = await _subject(ctx, pool, client, name, parameters.get("SECRET_HASH"))
    async with ctx.store.begin() as conn:
        await _claim(ctx, conn, pool, subject)
    is_correct = await anyio.to_thread.run_sync(
        flow.password_matches, ctx.secrets, pool.id, subject, password
    )
    return await _after_proof(ctx, pool, client, subject, is_correct, metadata=metadata)


async def _subject(
    ctx: Context, pool: Pool, client: Client, name: str, secret_hash: str | None
) -> Subject:
    """Check the client's SECRET_HASH for `name`, then find whom `name` names (or a decoy)."""
    async with ctx.store.read() as conn:
        await _check_secret_hash(ctx, conn, client, (name,), secret_hash)
        user = await find_user(conn, pool, name)
    return flow.subject_of(ctx.secrets, pool, client, user, name)


async def _check_secret_hash(
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


async def _claim(ctx: Context, conn: AsyncConnection, pool: Pool, subject: Subject) -> None:
    """Count this attempt against the subject's lockout counter, or refuse it while locked."""
    count = await sign_in_store.claim_attempt(
        conn,
        pool_id=pool.id,
        subject=subject.lockout_key,
        now=ctx.clock(),
        quiet_reset=lockout.QUIET_RESET,
        lockout_after=lockout.lockout_after,
    )
    if count is None:
        raise lockout.locked_out()


async def _after_proof(
    ctx: Context,
    pool: Pool,
    client: Client,
    subject: Subject,
    is_correct: bool,
    *,
    metadata: Mapping[str, str],
    completed: tuple[str, ...] = (),
) -> Answer:
    """Answer a checked password: Cognito's error, or the next challenge, or tokens."""
    if not is_correct or subject.user is None:
        raise NotAuthorizedException(flow.INCORRECT)
    async with ctx.store.begin() as conn:
        await sign_in_store.clear_failures(conn, pool_id=pool.id, subject=subject.lockout_key)
    attempt = flow.Attempt(
        pool=pool, client=client, user=subject.user, completed=completed, client_metadata=metadata
    )
    return await _continue(ctx, attempt)


async def _continue(ctx: Context, attempt: flow.Attempt) -> Answer:
    """After a proven step: the user's state checks, then the next challenge or tokens."""
    now = ctx.clock()
    flow.check_can_sign_in(attempt.pool, attempt.user, now)
    challenge = flow.next_challenge(attempt)
    if challenge is None:
        sign_in = SignIn(pool=attempt.pool, client=attempt.client, user=attempt.user, auth_time=now)
        return {"AuthenticationResult": await issue_tokens(ctx, sign_in), "ChallengeParameters": {}}
    session = sessions.new_session(
        pool_id=attempt.pool.id,
        client_id=attempt.client.id,
        username=attempt.user.username,
        challenge=challenge,
        now=now,
        validity=attempt.client.auth_session_validity,
        completed=attempt.completed,
    )
    if challenge in mfa_challenges.CODE_CHALLENGES:
        parameters = await mfa_challenges.send_code(
            ctx, attempt.pool, attempt.user, challenge, session
        )
    else:
        parameters = flow.challenge_parameters(challenge, attempt)
    return {
        "ChallengeName": challenge,
        "Session": sessions.seal(ctx.secrets, session, sessions.SESSION_PURPOSE),
        "ChallengeParameters": parameters,
    }


async def _password_verifier_challenge(
    ctx: Context, pool: Pool, client: Client, subject: Subject, big_a: int
) -> Answer:
    """USER_SRP_AUTH's answer: PASSWORD_VERIFIER, its state sealed in SECRET_BLOCK.

    No Session is returned: the SECRET_BLOCK is self-contained and single-use, and clients
    send it back as PASSWORD_CLAIM_SECRET_BLOCK.
    """
    start = await anyio.to_thread.run_sync(
        flow.start_password_verifier, ctx.secrets, pool.id, subject
    )
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


async def _refresh(
    ctx: Context, pool: Pool, client: Client, parameters: Mapping[str, str]
) -> Answer:
    """REFRESH_TOKEN_AUTH / REFRESH_TOKEN.

    A client with a secret proves it with a SECRET_HASH; clients compute it with the username
    or with the sub, so either is accepted, checked before the token is used.
    """
    refresh_token = flow.required(parameters, "REFRESH_TOKEN")
    if client.has_secret:
        token_hash = ctx.secrets.keyed_hash(refresh_token, REFRESH_HASH_PURPOSE)
        async with ctx.store.read() as conn:
            found = await token_store.find_refresh_token(conn, token_hash)
            if found is None:
                raise NotAuthorizedException("Invalid Refresh Token")
            _record, user = found
            names = (user.username, user.sub)
            await _check_secret_hash(ctx, conn, client, names, parameters.get("SECRET_HASH"))
    result = await refresh_tokens(
        ctx,
        pool=pool,
        client=client,
        refresh_token=refresh_token,
        device_key=parameters.get("DEVICE_KEY"),
    )
    return {"AuthenticationResult": result, "ChallengeParameters": {}}


async def _respond(ctx: Context, pool: Pool, client: Client, req: Mapping[str, Any]) -> Answer:
    responses: Mapping[str, str] = req.get("ChallengeResponses") or {}
    metadata: Mapping[str, str] = req.get("ClientMetadata") or {}
    name = flow.required(responses, "USERNAME")
    challenge = req["ChallengeName"]
    if challenge == Challenge.PASSWORD_VERIFIER:
        return await _answer_password_verifier(ctx, pool, client, name, responses, metadata)
    sealed = req.get("Session")
    if not sealed:
        raise InvalidParameterException("Missing required parameter Session")
    session = _open(ctx, pool, client, sealed, sessions.SESSION_PURPOSE, challenge)
    if challenge == Challenge.NEW_PASSWORD_REQUIRED:
        return await _answer_new_password(ctx, pool, client, session, name, responses, metadata)
    if challenge in mfa_challenges.ANSWERED_WITH_CODE | mfa_challenges.CHOICES:
        return await _answer_mfa(ctx, pool, client, session, name, responses, metadata)
    # Any other challenge name can only have come with a session this engine never issued.
    raise NotAuthorizedException(sessions.INVALID_SESSION)


def _open(
    ctx: Context, pool: Pool, client: Client, sealed: str, purpose: str, challenge: str
) -> sessions.AuthSession:
    """The session `sealed` if it was issued for this pool, client and challenge."""
    session = sessions.unseal(ctx.secrets, sealed, purpose, client_id=client.id, now=ctx.clock())
    if session.pool_id != pool.id or session.challenge != challenge:
        raise NotAuthorizedException(sessions.INVALID_SESSION)
    return session


async def _session_subject(
    ctx: Context,
    pool: Pool,
    client: Client,
    session: sessions.AuthSession,
    name: str,
    secret_hash: str | None,
) -> Subject:
    """The subject of a session, when the USERNAME answered names the same account."""
    async with ctx.store.read() as conn:
        await _check_secret_hash(ctx, conn, client, (name,), secret_hash)
        user = await find_user(conn, pool, session.username)
        named = user if name == session.username else await find_user(conn, pool, name)
    if user is None:
        # A decoy's session: answered like a real user's, whichever spelling of the name.
        is_same = session.username in (name, flow.decoy_id(ctx.secrets, pool, name))
        if client.prevent_user_existence_errors and is_same:
            return flow.decoy_subject(ctx.secrets, pool, session.username)
        raise NotAuthorizedException(flow.INCORRECT)
    if named is None or named.id != user.id:
        raise NotAuthorizedException(flow.INCORRECT)
    return flow.subject_of(ctx.secrets, pool, client, user, name)


async def _answer_password_verifier(
    ctx: Context,
    pool: Pool,
    client: Client,
    name: str,
    responses: Mapping[str, str],
    metadata: Mapping[str, str],
) -> Answer:
    for parameter in ("PASSWORD_CLAIM_SECRET_BLOCK", "PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"):
        flow.required(responses, parameter)
    session = _open(
        ctx,
        pool,
        client,
        responses["PASSWORD_CLAIM_SECRET_BLOCK"],
        sessions.SECRET_BLOCK_PURPOSE,
        Challenge.PASSWORD_VERIFIER,
    )
    subject = await _session_subject(ctx, pool, client, session, name, responses.get("SECRET_HASH"))
    async with ctx.store.begin() as conn:
        await sessions.spend(conn, session, now=ctx.clock())
        await _claim(ctx, conn, pool, subject)
    is_correct = await anyio.to_thread.run_sync(
        flow.password_claim_is_valid, ctx.secrets, pool.id, subject, session, responses, ctx.clock()
    )
    return await _after_proof(ctx, pool, client, subject, is_correct, metadata=metadata)


async def _answer_new_password(
    ctx: Context,
    pool: Pool,
    client: Client,
    session: sessions.AuthSession,
    name: str,
    responses: Mapping[str, str],
    metadata: Mapping[str, str],
) -> Answer:
    """NEW_PASSWORD_REQUIRED: set the user's own password and missing attributes, confirm."""
    password = flow.required(responses, "NEW_PASSWORD")
    subject = await _session_subject(ctx, pool, client, session, name, responses.get("SECRET_HASH"))
    user = subject.user
    if user is None:
        raise NotAuthorizedException(sessions.INVALID_SESSION)
    attributes = flow.new_password_attributes(pool, user, responses)
    password_policy.check_password(pool.password_policy, password)
    credential = await new_credential(ctx, pool, user, password)
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        await sessions.spend(conn, session, now=now)
        await user_store.set_password(
            conn,
            user.id,
            credential,
            status=UserStatus.CONFIRMED,
            history_size=history_size(pool),
            now=now,
        )
        if attributes != dict(user.attributes):
            await save_attributes(ctx, conn, pool, user, attributes)
        current = await find_user(conn, pool, user.username)
    if current is None:
        raise NotAuthorizedException(sessions.INVALID_SESSION)
    completed = (*session.completed, Challenge.NEW_PASSWORD_REQUIRED.value)
    attempt = flow.Attempt(
        pool=pool, client=client, user=current, completed=completed, client_metadata=metadata
    )
    return await _continue(ctx, attempt)


async def _answer_mfa(
    ctx: Context,
    pool: Pool,
    client: Client,
    session: sessions.AuthSession,
    name: str,
    responses: Mapping[str, str],
    metadata: Mapping[str, str],
) -> Answer:
    """An MFA challenge's answer (idp/mfa_challenges.py). A code is claimed against the
    lockout counter like a password, so wrong codes lock the account as wrong passwords do."""
    subject = await _session_subject(ctx, pool, client, session, name, responses.get("SECRET_HASH"))
    if subject.user is None:
        raise NotAuthorizedException(sessions.INVALID_SESSION)
    if session.challenge in mfa_challenges.CHOICES:
        completed = await mfa_challenges.settle_choice(ctx, pool, subject.user, session, responses)
    else:
        async with ctx.store.begin() as conn:
            await _claim(ctx, conn, pool, subject)
        await mfa_challenges.check_code_answer(ctx, subject.user, session, responses)
        completed = (*session.completed, session.challenge)
    async with ctx.store.begin() as conn:
        await sign_in_store.clear_failures(conn, pool_id=pool.id, subject=subject.lockout_key)
        current = await find_user(conn, pool, subject.user.username)
    if current is None or current.id != subject.user.id:
        raise NotAuthorizedException(sessions.INVALID_SESSION)
    attempt = flow.Attempt(
        pool=pool, client=client, user=current, completed=completed, client_metadata=metadata
    )
    return await _continue(ctx, attempt)


@idp.operation("ChangePassword")
async def change_password(
    ctx: Context, req: shapes.ChangePasswordRequest
) -> shapes.ChangePasswordResponse:
    """Change the signed-in user's password: PreviousPassword is checked like a sign-in (same
    verifier, same lockout counter), the new one against the policy and the history."""
    grant = await authenticate_access_token(ctx, req["AccessToken"])
    require_scope(grant)
    pool, user = grant.pool, grant.user
    previous = req.get("PreviousPassword")
    if not previous:
        raise InvalidParameterException("Missing required parameter PreviousPassword")
    proposed = req["ProposedPassword"]
    password_policy.check_password(pool.password_policy, proposed)
    subject = Subject(user=user, user_id_for_srp=user.username, lockout_key=str(user.id))
    async with ctx.store.begin() as conn:
        await _claim(ctx, conn, pool, subject)
    is_correct = await anyio.to_thread.run_sync(
        flow.password_matches, ctx.secrets, pool.id, subject, previous
    )
    if not is_correct:
        raise NotAuthorizedException(flow.INCORRECT)
    async with ctx.store.begin() as conn:
        await sign_in_store.clear_failures(conn, pool_id=pool.id, subject=subject.lockout_key)
    credential = await new_credential(ctx, pool, user, proposed)
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        current = await find_user(conn, pool, user.username)
        if current is None or current.id != user.id:
            raise NotAuthorizedException("Access Token has been revoked")
        await user_store.set_password(
            conn,
            user.id,
            credential,
            status=current.status,
            history_size=history_size(pool),
            now=now,
        )
    return {}
