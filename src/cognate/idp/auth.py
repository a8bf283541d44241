"""Sign-in operations: InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge,
AdminRespondToAuthChallenge, and ChangePassword.

Each handler loads, checks, calls the engine (auth/flow.py, whose diagram is auth/flow.md) and
saves. The rules live in the engine; this module only orders I/O: reads in short read
transactions, variable-base modular exponentiations in the CPU pool (cognate/cpu.py) with no
transaction open (DESIGN §7), and each attempt claimed against the lockout counter
(store/sign_in.py) *before* its password is checked, so a burst of guesses gets at most five
checks before the lock engages.

Triggers (cognito-surface.md §8 order): UserMigration for an unknown name in the plain-password
flows (idp/user_migration.py), PreAuthentication as the sign-in begins and PostAuthentication
before the tokens (idp/auth_triggers.py); CUSTOM_AUTH is idp/custom_auth.py, USER_AUTH
idp/user_auth.py (its passkey challenge idp/passkey_sign_in.py), and the steps every flow ends
with idp/sign_in_steps.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, cast

from cognate import cpu
from cognate.auth import custom_auth as custom_state
from cognate.auth import flow, sessions
from cognate.auth.flow import AuthFlow, Challenge, Subject
from cognate.context import Context
from cognate.domain import password_policy
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.domain.quotas import Quota
from cognate.domain.threat_protection import PasswordEvent
from cognate.domain.user import UserStatus
from cognate.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ResourceNotFoundException,
)
from cognate.idp import (
    auth_triggers,
    custom_auth,
    device_auth,
    mfa_challenges,
    passkey_sign_in,
    refresh_auth,
    shapes,
    sign_in_steps,
    threat_protection,
    user_auth,
)
from cognate.idp.clients import require_client
from cognate.idp.credentials import new_credential
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.idp.sign_in_subjects import (
    find_subject,
    lockout_attempt,
    open_session,
    session_subject,
)
from cognate.idp.user_attributes import save_attributes
from cognate.idp.user_lookup import find_user
from cognate.idp.user_quotas import count_call
from cognate.idp.users import history_size
from cognate.store import sign_in as sign_in_store
from cognate.store import users as user_store
from cognate.store.clients import get_client_with_pool
from cognate.tokens.access import authenticate_access_token, require_scope

Answer = sign_in_steps.Answer


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
        found = await get_client_with_pool(conn, client_id)  # one query: the sign-in hot path
        if found is None:
            raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
        client, pool = found
        return pool, client


async def _initiate(
    ctx: Context, pool: Pool, client: Client, req: Mapping[str, Any], *, is_admin: bool
) -> Answer:
    auth_flow = flow.check_auth_flow(
        req["AuthFlow"], client, is_admin=is_admin, has_custom_auth=custom_auth.is_configured(pool)
    )
    parameters: Mapping[str, str] = req.get("AuthParameters") or {}
    metadata: Mapping[str, str] = req.get("ClientMetadata") or {}
    if auth_flow in flow.REFRESH_FLOWS:
        return await refresh_auth.refresh(ctx, pool, client, parameters)
    if auth_flow is AuthFlow.CUSTOM_AUTH:
        return await custom_auth.initiate_custom_auth(ctx, pool, client, parameters, metadata)
    if auth_flow is AuthFlow.USER_AUTH:
        return await user_auth.initiate_user_auth(
            ctx, pool, client, parameters, metadata, session=req.get("Session")
        )
    name = flow.required(parameters, "USERNAME")
    if auth_flow is AuthFlow.USER_SRP_AUTH:
        big_a = flow.parse_srp_a(flow.required(parameters, "SRP_A"))
        subject = await find_subject(ctx, pool, client, name, parameters.get("SECRET_HASH"))
        await auth_triggers.pre_authentication(ctx, pool, client, subject, name, metadata)
        return await sign_in_steps.password_verifier_challenge(ctx, pool, client, subject, big_a)
    return await sign_in_steps.password_sign_in(ctx, pool, client, parameters, metadata)


async def answer_challenge(
    ctx: Context, req: Mapping[str, Any], *, finish: sign_in_steps.Finish
) -> Answer:
    """RespondToAuthChallenge whose sign-in, once its last step passes, ends with `finish`
    instead of the tokens: the hosted UI's steps, whose tokens come from the code exchange
    (TokenGeneration_HostedAuth), so that PreTokenGeneration runs once per sign-in."""
    pool, client = await _pool_and_client(ctx, None, req["ClientId"])
    return await _respond(ctx, pool, client, req, finish=finish)


async def _respond(
    ctx: Context,
    pool: Pool,
    client: Client,
    req: Mapping[str, Any],
    *,
    finish: sign_in_steps.Finish = auth_triggers.complete_sign_in,
) -> Answer:
    responses: Mapping[str, str] = req.get("ChallengeResponses") or {}
    metadata: Mapping[str, str] = req.get("ClientMetadata") or {}
    challenge = req["ChallengeName"]
    if challenge == Challenge.CUSTOM_CHALLENGE:
        return await custom_auth.answer_custom_challenge(ctx, pool, client, req)
    name = flow.required(responses, "USERNAME")
    if challenge == Challenge.PASSWORD_VERIFIER:
        return await _answer_password_verifier(ctx, pool, client, req)
    if challenge == Challenge.DEVICE_SRP_AUTH:
        return await device_auth.answer_device_srp_auth(ctx, pool, client, req)
    if challenge == Challenge.DEVICE_PASSWORD_VERIFIER:
        attempt = await device_auth.answer_device_password_verifier(ctx, pool, client, req)
        return await sign_in_steps.continue_sign_in(ctx, attempt, finish=finish)
    sealed = req.get("Session")
    if not sealed:
        raise InvalidParameterException("Missing required parameter Session")
    session = open_session(ctx, pool, client, sealed, sessions.SESSION_PURPOSE, challenge)
    threat_protection.resume_event(ctx, pool, session)
    if challenge == Challenge.SELECT_CHALLENGE:
        return await user_auth.answer_select_challenge(
            ctx, pool, client, session, name, responses, metadata
        )
    if challenge == Challenge.WEB_AUTHN:
        return await passkey_sign_in.answer_web_authn(
            ctx, pool, client, session, name, responses, metadata, finish=finish
        )
    if user_auth.is_first_factor_code(session):
        return await user_auth.answer_code(ctx, pool, client, session, name, responses, metadata)
    if challenge == Challenge.NEW_PASSWORD_REQUIRED:
        return await _answer_new_password(
            ctx, pool, client, session, name, responses, metadata, finish
        )
    if challenge in mfa_challenges.ANSWERED_WITH_CODE | mfa_challenges.CHOICES:
        return await _answer_mfa(ctx, pool, client, session, name, responses, metadata, finish)
    # Any other challenge name can only have come with a session this engine never issued.
    raise NotAuthorizedException(sessions.INVALID_SESSION)


async def _answer_password_verifier(
    ctx: Context, pool: Pool, client: Client, req: Mapping[str, Any]
) -> Answer:
    """PASSWORD_VERIFIER: the SECRET_BLOCK carries the SRP state; one issued inside a custom
    flow continues that flow (idp/custom_auth.py), never this one."""
    responses: Mapping[str, str] = req.get("ChallengeResponses") or {}
    name = flow.required(responses, "USERNAME")
    for parameter in ("PASSWORD_CLAIM_SECRET_BLOCK", "PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"):
        flow.required(responses, parameter)
    session = open_session(
        ctx,
        pool,
        client,
        responses["PASSWORD_CLAIM_SECRET_BLOCK"],
        sessions.SECRET_BLOCK_PURPOSE,
        Challenge.PASSWORD_VERIFIER,
    )
    if custom_state.CUSTOM_MARK in session.completed:
        return await custom_auth.answer_password_verifier(ctx, pool, client, session, req)
    subject = await session_subject(
        ctx, pool, client, session.username, name, responses.get("SECRET_HASH")
    )
    # Before the SECRET_BLOCK is spent: a client told of an unknown device retries with it.
    device = await device_auth.claimed_device(ctx, subject.user, responses.get("DEVICE_KEY"))
    now = ctx.clock()
    spend_session = partial(sessions.spend, session=session, now=now)
    async with lockout_attempt(ctx, pool, subject, also=spend_session):
        is_correct = await cpu.run(
            flow.password_claim_is_valid,
            ctx.secrets, pool.id, subject, session, responses, ctx.clock(),
        )  # fmt: skip
        # The IP block list and auth events apply to SRP too (no plaintext to screen).
        await threat_protection.screen_sign_in(
            ctx, pool, client.id, subject, None, is_correct=is_correct
        )
        if not is_correct:
            raise NotAuthorizedException(flow.INCORRECT)
    metadata: Mapping[str, str] = req.get("ClientMetadata") or {}
    return await sign_in_steps.after_proof(
        ctx, pool, client, subject, metadata=metadata, device=device
    )


async def _answer_new_password(
    ctx: Context,
    pool: Pool,
    client: Client,
    session: sessions.AuthSession,
    name: str,
    responses: Mapping[str, str],
    metadata: Mapping[str, str],
    finish: sign_in_steps.Finish,
) -> Answer:
    """NEW_PASSWORD_REQUIRED: set the user's own password and missing attributes, confirm."""
    password = flow.required(responses, "NEW_PASSWORD")
    subject = await session_subject(
        ctx, pool, client, session.username, name, responses.get("SECRET_HASH")
    )
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
    device = await device_auth.claimed_device(ctx, current, responses.get("DEVICE_KEY"))
    attempt = flow.Attempt(
        pool=pool, client=client, user=current, completed=completed, client_metadata=metadata,
        device=device,
    )  # fmt: skip
    return await sign_in_steps.continue_sign_in(ctx, attempt, finish=finish)


async def _answer_mfa(
    ctx: Context,
    pool: Pool,
    client: Client,
    session: sessions.AuthSession,
    name: str,
    responses: Mapping[str, str],
    metadata: Mapping[str, str],
    finish: sign_in_steps.Finish,
) -> Answer:
    """An MFA challenge's answer (idp/mfa_challenges.py). A code is claimed against the
    lockout counter like a password, so wrong codes lock the account as wrong passwords do."""
    subject = await session_subject(
        ctx, pool, client, session.username, name, responses.get("SECRET_HASH")
    )
    if subject.user is None:
        raise NotAuthorizedException(sessions.INVALID_SESSION)
    if mfa_challenges.is_email_setup(session, responses):
        return await mfa_challenges.start_email_setup(
            ctx, pool, subject.user, session, responses, metadata
        )
    if session.challenge in mfa_challenges.CHOICES:
        completed = await mfa_challenges.settle_choice(ctx, pool, subject.user, session, responses)
    else:
        async with lockout_attempt(ctx, pool, subject):
            await mfa_challenges.check_code_answer(ctx, pool, subject.user, session, responses)
        completed = (*session.completed, session.challenge)
    return await sign_in_steps.after_code(
        ctx, pool, client, subject, completed=completed, responses=responses,
        metadata=metadata, finish=finish,
    )  # fmt: skip


@idp.operation("ChangePassword")
async def change_password(
    ctx: Context, req: shapes.ChangePasswordRequest
) -> shapes.ChangePasswordResponse:
    """Change the signed-in user's password: PreviousPassword is checked like a sign-in (same
    verifier, same lockout counter), the new one against the policy and the history. Each
    check of PreviousPassword counts against the user's ChangePassword quota, in the lockout
    claim's transaction (LimitExceededException, nothing claimed, once it is spent)."""
    grant = await authenticate_access_token(ctx, req["AccessToken"])
    require_scope(grant)
    pool, user = grant.pool, grant.user
    previous = req.get("PreviousPassword")
    if not previous:
        raise InvalidParameterException("Missing required parameter PreviousPassword")
    proposed = req["ProposedPassword"]
    password_policy.check_password(pool.password_policy, proposed)
    screen = await threat_protection.screen_new_password(
        ctx, pool, client_id=grant.client_id, password=proposed,
        event=PasswordEvent.PASSWORD_CHANGE, user=user,
    )  # fmt: skip
    subject = Subject(user=user, user_id_for_srp=user.username, lockout_key=str(user.id))
    quota = partial(count_call, ctx, user=user, quota=Quota.CHANGE_PASSWORD)
    async with lockout_attempt(ctx, pool, subject, also=quota):
        # ~0.1 ms (srp.g_pow): less than a hand-off to a worker thread would cost.
        is_correct = flow.password_matches(ctx.secrets, pool.id, subject, previous)
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
    await threat_protection.record_event(ctx, pool, user, "PasswordChange", screen)
    return {}
