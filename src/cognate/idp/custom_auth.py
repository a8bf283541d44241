"""CUSTOM_AUTH: sign-in decided by the pool's DefineAuthChallenge, CreateAuthChallenge and
VerifyAuthChallengeResponse functions (passwordless OTP, magic links, CAPTCHA, ...).

Developer guide, "Custom authentication challenge Lambda triggers" and the pages of the three
triggers; cognito-surface.md §8 (custom auth details). The loop: Define reads the history of
challenges (`session`) and answers `challengeName`, `issueTokens` or `failAuthentication`;
for CUSTOM_CHALLENGE, Create makes the challenge (publicChallengeParameters reach the client as
ChallengeParameters with USERNAME; privateChallengeParameters and challengeMetadata stay in the
sealed Session, auth/custom_auth.py); the client answers with ANSWER; Verify judges it
(`answerCorrect`); the result joins the history and Define is asked again.

A flow may start with SRP (AuthParameters SRP_A and CHALLENGE_NAME "SRP_A"): the history then
begins with an SRP_A entry, and Define may ask for PASSWORD_VERIFIER, checked as in
USER_SRP_AUTH (same lockout counter) with its result appended like any other.

`failAuthentication` answers NotAuthorizedException "Incorrect username or password."; tokens
are issued only for a real user (an unknown name under PreventUserExistenceErrors ENABLED runs
the functions with `userNotFound` true and can never succeed). Pool MFA is not layered on a
custom flow: the functions implement any second factor, as in Cognito.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate import cpu
from cognate.auth import custom_auth, flow, sessions
from cognate.auth.custom_auth import ChallengeResult, CustomState
from cognate.auth.flow import Challenge, Subject
from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.errors import (
    InvalidLambdaResponseException,
    InvalidParameterException,
    NotAuthorizedException,
)
from cognate.idp import auth_triggers, threat_protection
from cognate.idp.sign_in_subjects import find_subject, lockout_attempt, session_subject
from cognate.store import sign_in as sign_in_store
from cognate.triggers import events

DEFINE: Final = "DefineAuthChallenge"
CREATE: Final = "CreateAuthChallenge"
VERIFY: Final = "VerifyAuthChallengeResponse"

Answer = dict[str, Any]


def is_configured(pool: Pool) -> bool:
    """Whether the pool can run CUSTOM_AUTH (it has a DefineAuthChallenge function)."""
    return events.lambda_arn(pool, DEFINE) is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomSignIn:
    """A custom sign-in between two Define calls. `name` is the event's userName: the
    internal username, or the name given when no user holds it."""

    pool: Pool
    client: Client
    subject: Subject
    name: str
    client_metadata: Mapping[str, str]
    history: tuple[ChallengeResult, ...] = ()
    srp_a: int | None = None

    def after(self, entry: ChallengeResult) -> CustomSignIn:
        """This sign-in with one more challenge result in its history."""
        return replace(self, history=(*self.history, entry))


async def initiate_custom_auth(
    ctx: Context,
    pool: Pool,
    client: Client,
    parameters: Mapping[str, str],
    client_metadata: Mapping[str, str],
) -> Answer:
    """InitiateAuth / AdminInitiateAuth with CUSTOM_AUTH: PreAuthentication, then Define."""
    name = flow.required(parameters, "USERNAME")
    srp_a = None
    history: tuple[ChallengeResult, ...] = ()
    if parameters.get("CHALLENGE_NAME") == custom_auth.SRP_A:
        srp_a = flow.parse_srp_a(flow.required(parameters, "SRP_A"))
        history = (ChallengeResult(challenge_name=custom_auth.SRP_A, challenge_result=True),)
    subject = await find_subject(ctx, pool, client, name, parameters.get("SECRET_HASH"))
    await auth_triggers.pre_authentication(ctx, pool, client, subject, name, client_metadata)
    sign_in = CustomSignIn(
        pool=pool, client=client, subject=subject,
        name=subject.user.username if subject.user else name,
        client_metadata=client_metadata, history=history, srp_a=srp_a,
    )  # fmt: skip
    return await _next(ctx, sign_in)


async def _invoke(
    ctx: Context,
    sign_in: CustomSignIn,
    trigger: str,
    extra: Mapping[str, Any],
    *,
    has_session: bool = True,
) -> dict[str, Any]:
    arn = events.lambda_arn(sign_in.pool, trigger)
    if arn is None:
        raise InvalidParameterException(
            f"{trigger} lambda trigger is not configured for the user pool."
        )
    user = sign_in.subject.user
    request = events.user_request(
        auth_triggers.user_attributes(user), client_metadata=sign_in.client_metadata
    )
    if has_session:
        request["session"] = [entry.as_event() for entry in sign_in.history]
    if sign_in.client.prevent_user_existence_errors:
        request["userNotFound"] = user is None
    request.update(extra)
    event = events.event(pool=sign_in.pool, region=ctx.region,
                         trigger_source=f"{trigger}_Authentication", username=sign_in.name,
                         client_id=sign_in.client.id, request=request)  # fmt: skip
    return await ctx.triggers.invoke(trigger, arn, event)


async def _next(ctx: Context, sign_in: CustomSignIn) -> Answer:
    """Ask Define what follows the history, and do it."""
    decision = events.challenge_decision(await _invoke(ctx, sign_in, DEFINE, {}))
    if decision.fail_authentication:
        raise NotAuthorizedException(flow.INCORRECT)
    if decision.issue_tokens:
        return await _issue(ctx, sign_in)
    if decision.challenge_name == Challenge.CUSTOM_CHALLENGE:
        return await _custom_challenge(ctx, sign_in)
    if decision.challenge_name == Challenge.PASSWORD_VERIFIER and sign_in.srp_a is not None:
        return await _password_verifier(ctx, sign_in)
    # Another challenge (or PASSWORD_VERIFIER without an SRP_A to verify against).
    raise InvalidLambdaResponseException(events.UNRECOGNIZABLE_OUTPUT)


async def _issue(ctx: Context, sign_in: CustomSignIn) -> Answer:
    user = sign_in.subject.user
    if user is None:
        raise NotAuthorizedException(flow.INCORRECT)
    flow.check_can_sign_in(sign_in.pool, user, ctx.clock())
    attempt = flow.Attempt(
        pool=sign_in.pool, client=sign_in.client, user=user,
        completed=tuple(entry.challenge_name for entry in sign_in.history),
        client_metadata=sign_in.client_metadata,
    )  # fmt: skip
    return await auth_triggers.complete_sign_in(ctx, attempt)


def _state(ctx: Context, sign_in: CustomSignIn, challenge: str, **extra: Any) -> CustomState:
    return custom_auth.new_state(
        pool_id=sign_in.pool.id, client_id=sign_in.client.id,
        username=sign_in.subject.user_id_for_srp, is_user_found=sign_in.subject.user is not None,
        challenge=challenge, now=ctx.clock(), validity=sign_in.client.auth_session_validity,
        history=sign_in.history, srp_a=sign_in.srp_a, **extra,
    )  # fmt: skip


async def _custom_challenge(ctx: Context, sign_in: CustomSignIn) -> Answer:
    """Create the challenge; its private half is sealed into the Session."""
    extra = {"challengeName": Challenge.CUSTOM_CHALLENGE.value}
    created = events.created_challenge(await _invoke(ctx, sign_in, CREATE, extra))
    state = custom_auth.with_challenge(
        _state(ctx, sign_in, Challenge.CUSTOM_CHALLENGE),
        private=created.private,
        metadata=created.metadata,
    )
    return {
        "ChallengeName": Challenge.CUSTOM_CHALLENGE.value,
        "Session": custom_auth.seal(ctx.secrets, state),
        "ChallengeParameters": {**created.public, "USERNAME": sign_in.subject.user_id_for_srp},
    }


async def _password_verifier(ctx: Context, sign_in: CustomSignIn) -> Answer:
    """PASSWORD_VERIFIER inside the custom flow: the SECRET_BLOCK is marked CUSTOM_MARK and
    named by the Session, which carries the history."""
    pool, client, subject = sign_in.pool, sign_in.client, sign_in.subject
    start = flow.start_password_verifier(ctx.secrets, pool.id, subject)  # inline: one g_pow
    session = sessions.new_session(
        pool_id=pool.id, client_id=client.id, username=subject.user_id_for_srp,
        challenge=Challenge.PASSWORD_VERIFIER, now=ctx.clock(),
        validity=client.auth_session_validity, completed=(custom_auth.CUSTOM_MARK,),
        srp_a=sign_in.srp_a, srp_small_b=start.small_b, srp_big_b=start.big_b,
    )  # fmt: skip
    block = sessions.seal(ctx.secrets, session, sessions.SECRET_BLOCK_PURPOSE)
    state = _state(ctx, sign_in, Challenge.PASSWORD_VERIFIER, srp_session_id=session.id)
    return {
        "ChallengeName": Challenge.PASSWORD_VERIFIER.value,
        "Session": custom_auth.seal(ctx.secrets, state),
        "ChallengeParameters": flow.password_verifier_parameters(
            start, secret_block=block, user_id_for_srp=subject.user_id_for_srp
        ),
    }


def _open_state(
    ctx: Context, pool: Pool, client: Client, sealed: str | None, challenge: str
) -> CustomState:
    if not sealed:
        raise InvalidParameterException("Missing required parameter Session")
    return custom_auth.unseal(ctx.secrets, sealed, pool_id=pool.id, client_id=client.id,
                              challenge=challenge, now=ctx.clock())  # fmt: skip


def _resumed(
    pool: Pool, client: Client, subject: Subject, state: CustomState, metadata: Mapping[str, str]
) -> CustomSignIn:
    return CustomSignIn(
        pool=pool, client=client, subject=subject,
        name=subject.user.username if subject.user else state.username,
        client_metadata=metadata, history=state.history, srp_a=state.srp_a,
    )  # fmt: skip


async def answer_custom_challenge(
    ctx: Context, pool: Pool, client: Client, req: Mapping[str, Any]
) -> Answer:
    """RespondToAuthChallenge CUSTOM_CHALLENGE: spend the Session, Verify the ANSWER, Define."""
    responses: Mapping[str, str] = req.get("ChallengeResponses") or {}
    metadata: Mapping[str, str] = req.get("ClientMetadata") or {}
    name = flow.required(responses, "USERNAME")
    answer = flow.required(responses, "ANSWER")
    state = _open_state(ctx, pool, client, req.get("Session"), Challenge.CUSTOM_CHALLENGE)
    subject = await session_subject(
        ctx, pool, client, state.username, name, responses.get("SECRET_HASH")
    )
    async with ctx.store.begin() as conn:
        await custom_auth.spend(conn, state, now=ctx.clock())
    sign_in = _resumed(pool, client, subject, state, metadata)
    extra = {"privateChallengeParameters": dict(state.private), "challengeAnswer": answer}
    returned = await _invoke(ctx, sign_in, VERIFY, extra, has_session=False)
    entry = ChallengeResult(
        challenge_name=Challenge.CUSTOM_CHALLENGE,
        challenge_result=events.answer_correct(returned),
        challenge_metadata=state.metadata,
    )
    return await _next(ctx, sign_in.after(entry))


async def answer_password_verifier(
    ctx: Context,
    pool: Pool,
    client: Client,
    session: sessions.AuthSession,
    req: Mapping[str, Any],
) -> Answer:
    """RespondToAuthChallenge PASSWORD_VERIFIER whose SECRET_BLOCK (`session`) belongs to a
    custom flow: both it and the Session naming it are spent, the attempt is claimed against
    the lockout counter, and the result goes to Define."""
    responses: Mapping[str, str] = req.get("ChallengeResponses") or {}
    state = _open_state(ctx, pool, client, req.get("Session"), Challenge.PASSWORD_VERIFIER)
    if state.srp_session_id != session.id:
        raise NotAuthorizedException(sessions.INVALID_SESSION)
    name = flow.required(responses, "USERNAME")
    subject = await session_subject(
        ctx, pool, client, session.username, name, responses.get("SECRET_HASH")
    )
    now = ctx.clock()

    async def spend_both(conn: AsyncConnection) -> None:
        await sessions.spend(conn, session, now=now)
        await custom_auth.spend(conn, state, now=now)

    async with lockout_attempt(ctx, pool, subject, also=spend_both) as claimed:
        is_correct = await cpu.run(
            flow.password_claim_is_valid, ctx.secrets, pool.id, subject, session, responses, now
        )
        await threat_protection.screen_sign_in(
            ctx, pool, client.id, subject, None, is_correct=is_correct
        )
        claimed.failed = not is_correct
    if is_correct:
        async with ctx.store.begin() as conn:
            await sign_in_store.clear_failures(conn, pool_id=pool.id, subject=subject.lockout_key)
    sign_in = _resumed(pool, client, subject, state, req.get("ClientMetadata") or {})
    entry = ChallengeResult(challenge_name=Challenge.PASSWORD_VERIFIER, challenge_result=is_correct)
    return await _next(ctx, sign_in.after(entry))
