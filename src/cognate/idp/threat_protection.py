"""Threat protection: SetRiskConfiguration, DescribeRiskConfiguration, AdminListUserAuthEvents,
AdminUpdateAuthEventFeedback, UpdateAuthEventFeedback, and the hooks the password-handling
operations call.

The hooks read the pool's AdvancedSecurityMode from the already loaded pool configuration and
return at once when it is OFF: a pool without threat protection pays no query. With AUDIT or
ENFORCED they load the risk configuration in force (the client's, else the pool's), apply the
IP exception lists and the compromised-credentials check (domain/threat_protection.py), and
record auth events (wave2-surface.md §4.2, §4.4, §4.5). Only ENFORCED acts.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.auth.flow import Subject
from cognate.auth.sessions import AuthSession
from cognate.context import Context
from cognate.domain import feedback_tokens
from cognate.domain import threat_protection as rules
from cognate.domain.pagination import decode_token, encode_token
from cognate.domain.pool import Pool
from cognate.domain.threat_protection import Mode, PasswordEvent, PasswordScreen
from cognate.domain.user import User, UserStatus
from cognate.errors import (
    InvalidPasswordException,
    NotAuthorizedException,
    ResourceNotFoundException,
    UserPoolAddOnNotEnabledException,
)
from cognate.idp import mfa_challenges, shapes
from cognate.idp.clients import require_client
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.idp.user_lookup import find_user, require_user
from cognate.store import threat_protection as threat_store
from cognate.store import users as user_store
from cognate.store.threat_protection import POOL_LEVEL, AuthEvent

_DEFAULT_PAGE = 60
_EVENT_TYPES = {
    PasswordEvent.SIGN_IN: "SignIn",
    PasswordEvent.SIGN_UP: "SignUp",
    PasswordEvent.PASSWORD_CHANGE: "PasswordChange",
}
_PASSWORD_PASSED = ({"ChallengeName": "Password", "ChallengeResponse": "Success"},)
_PASSWORD_FAILED = ({"ChallengeName": "Password", "ChallengeResponse": "Failure"},)
BAD_FEEDBACK_TOKEN = "Invalid feedback token."  # noqa: S105 (a message, not a secret)
"""NotAuthorizedException's message for a FeedbackToken that is not valid here [design]."""


async def _enabled_pool(conn: AsyncConnection, pool_id: str) -> Pool:
    pool = await require_pool(conn, pool_id)
    if rules.mode(pool.config) is Mode.OFF:
        raise UserPoolAddOnNotEnabledException(rules.NOT_ENABLED)
    return pool


@idp.operation("SetRiskConfiguration")
async def set_risk_configuration(
    ctx: Context, req: shapes.SetRiskConfigurationRequest
) -> shapes.SetRiskConfigurationResponse:
    """Replace the pool's or a client's configuration (no merge); naming only the pool resets
    it to defaults, naming only pool and client makes the client inherit the pool's."""
    client_id = req.get("ClientId")
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        pool = await _enabled_pool(conn, req["UserPoolId"])
        if client_id is not None:
            await require_client(conn, pool.id, client_id)
        config = rules.risk_configuration(req)
        await threat_store.put_risk_configuration(
            conn, pool.id, client_id or POOL_LEVEL, config, now=now
        )
    described: dict[str, Any] = {"UserPoolId": pool.id, **(config or {})}
    if client_id is not None:
        described["ClientId"] = client_id
    if config is not None:
        described["LastModifiedDate"] = now
    return {"RiskConfiguration": described}  # type: ignore[typeddict-item]


@idp.operation("DescribeRiskConfiguration")
async def describe_risk_configuration(
    ctx: Context, req: shapes.DescribeRiskConfigurationRequest
) -> shapes.DescribeRiskConfigurationResponse:
    """The client's configuration, or the pool's when the client has none (then without
    ClientId: the client inherits)."""
    client_id = req.get("ClientId")
    async with ctx.store.read() as conn:
        pool = await _enabled_pool(conn, req["UserPoolId"])
        if client_id is not None:
            await require_client(conn, pool.id, client_id)
        pool_level, client_level = await threat_store.risk_configurations_for(
            conn, pool.id, client_id
        )
    described: dict[str, Any] = {"UserPoolId": pool.id}
    chosen = client_level or pool_level
    if client_level is not None:
        described["ClientId"] = client_level.client_id
    if chosen is not None:
        described.update(chosen.config)
        described["LastModifiedDate"] = chosen.updated_at
    return {"RiskConfiguration": described}  # type: ignore[typeddict-item]


@idp.operation("AdminListUserAuthEvents")
async def admin_list_user_auth_events(
    ctx: Context, req: shapes.AdminListUserAuthEventsRequest
) -> shapes.AdminListUserAuthEventsResponse:
    """The user's events, newest first; MaxResults 0 or absent means 60."""
    limit = req.get("MaxResults") or _DEFAULT_PAGE
    async with ctx.store.read() as conn:
        pool = await _enabled_pool(conn, req["UserPoolId"])
        user = await require_user(conn, pool, req["Username"])
        scope = f"{pool.id}/{user.sub}"
        token = req.get("NextToken")
        before = int(decode_token(token, "auth-events", scope)) if token else None
        found = await threat_store.list_events(
            conn, pool.id, user.sub, before=before, limit=limit + 1
        )
    page = found[:limit]
    result: dict[str, Any] = {"AuthEvents": [_auth_event_type(event) for event in page]}
    if len(found) > limit:
        result["NextToken"] = encode_token("auth-events", scope, page[-1].seq)
    return result  # type: ignore[return-value]


def _auth_event_type(event: AuthEvent) -> dict[str, Any]:
    described: dict[str, Any] = {
        "EventId": event.event_id,
        "EventType": event.event_type,
        "CreationDate": event.created_at,
        "EventResponse": event.response,
        "EventRisk": dict(event.risk),
        "ChallengeResponses": [dict(item) for item in event.challenge_responses],
        "EventContextData": dict(event.context),
    }
    if event.feedback is not None:
        described["EventFeedback"] = {
            **event.feedback,
            "FeedbackDate": datetime.fromisoformat(event.feedback["FeedbackDate"]),
        }
    return described


@idp.operation("AdminUpdateAuthEventFeedback")
async def admin_update_auth_event_feedback(
    ctx: Context, req: shapes.AdminUpdateAuthEventFeedbackRequest
) -> shapes.AdminUpdateAuthEventFeedbackResponse:
    """Record an administrator's Valid/Invalid verdict on one of the user's events (Provider
    "Admin"). It does not yet feed a risk score: Cognate has no adaptive scoring."""
    feedback = {
        "FeedbackValue": req["FeedbackValue"],
        "Provider": "Admin",
        "FeedbackDate": ctx.clock().isoformat(),
    }
    async with ctx.store.begin() as conn:
        pool = await _enabled_pool(conn, req["UserPoolId"])
        user = await require_user(conn, pool, req["Username"])
        is_found = await threat_store.set_feedback(
            conn, pool.id, user.sub, req["EventId"], feedback
        )
    if not is_found:
        raise ResourceNotFoundException("Auth event not found.")
    return {}


@idp.operation("UpdateAuthEventFeedback")
async def update_auth_event_feedback(
    ctx: Context, req: shapes.UpdateAuthEventFeedbackRequest
) -> shapes.UpdateAuthEventFeedbackResponse:
    """The user's own Valid/Invalid verdict on one of their events (public: the FeedbackToken
    of the notification email is the proof; domain/feedback_tokens.py). A token that is
    altered, expired, or for another pool, user or event is NotAuthorizedException, the same
    for all, so the operation tells nothing about who exists."""
    now = ctx.clock()
    grant = feedback_tokens.unseal(ctx.secrets, req["FeedbackToken"], now=now)
    async with ctx.store.begin() as conn:
        pool = await _enabled_pool(conn, req["UserPoolId"])
        user = await find_user(conn, pool, req["Username"]) if grant is not None else None
        if (
            grant is None
            or user is None
            or (grant.pool_id, grant.user_sub, grant.event_id)
            != (pool.id, user.sub, req["EventId"])
        ):
            raise NotAuthorizedException(BAD_FEEDBACK_TOKEN)
        await _user_feedback(conn, grant, req["FeedbackValue"], now)
    return {}


async def update_feedback_by_token(ctx: Context, token: str, value: str) -> None:
    """UpdateAuthEventFeedback for the one-click feedback page, which has only the token:
    the pool, user and event are the ones it was sealed for. Same errors."""
    now = ctx.clock()
    grant = feedback_tokens.unseal(ctx.secrets, token, now=now)
    if grant is None:
        raise NotAuthorizedException(BAD_FEEDBACK_TOKEN)
    async with ctx.store.begin() as conn:
        await _enabled_pool(conn, grant.pool_id)
        await _user_feedback(conn, grant, value, now)


async def _user_feedback(
    conn: AsyncConnection, grant: feedback_tokens.FeedbackGrant, value: str, now: datetime
) -> None:
    # Cognito documents Provider only for the console ("Admin"); "User" is Cognate's [design].
    feedback = {"FeedbackValue": value, "Provider": "User", "FeedbackDate": now.isoformat()}
    if not await threat_store.set_feedback(
        conn, grant.pool_id, grant.user_sub, grant.event_id, feedback
    ):
        raise ResourceNotFoundException("Auth event not found.")


async def _config_in_force(ctx: Context, pool: Pool, client_id: str | None) -> Mapping[str, Any]:
    async with ctx.store.read() as conn:
        pool_level, client_level = await threat_store.risk_configurations_for(
            conn, pool.id, client_id
        )
    chosen = client_level or pool_level
    return chosen.config if chosen is not None else {}


def _event(
    ctx: Context,
    pool: Pool,
    user: User,
    event_type: str,
    response: str,
    risk: Mapping[str, Any],
    challenges: tuple[Mapping[str, str], ...] = (),
) -> AuthEvent:
    return AuthEvent(
        pool_id=pool.id, user_sub=user.sub, event_id=str(uuid.uuid4()), event_type=event_type,
        response=response, risk=risk,
        context={"IpAddress": ctx.source_ip} if ctx.source_ip else {},
        challenge_responses=challenges, created_at=ctx.clock(),
    )  # fmt: skip


async def _record(ctx: Context, event: AuthEvent, *, reset_user: User | None = None) -> None:
    async with ctx.store.begin() as conn:
        await threat_store.insert_event(conn, event)
        if reset_user is not None:
            await user_store.update_user(
                conn, reset_user.id, now=ctx.clock(), status=UserStatus.RESET_REQUIRED
            )


async def screen_sign_in(
    ctx: Context,
    pool: Pool,
    client_id: str,
    subject: Subject,
    password: str | None,
    *,
    is_correct: bool,
) -> None:
    """The password step's hook, called once the password was checked (`is_correct`): by its
    plaintext `password`, or by an SRP proof (None: nothing to screen for compromise).

    ENFORCED: a source address in BlockedIPRangeList, or a right password that is compromised
    with the BLOCK action, fails with NotAuthorizedException; the latter also makes the user
    RESET_REQUIRED. A wrong password is recorded as a failed SignIn (the caller answers it); a
    passing one leaves its event to the tokens, which carry its id (store `expect_tokens`).
    """
    pool_mode = rules.mode(pool.config)
    user = subject.user
    if pool_mode is Mode.OFF or user is None:
        return
    config = await _config_in_force(ctx, pool, client_id)
    verdict = rules.ip_verdict(config, ctx.source_ip)
    if verdict is rules.IpVerdict.BLOCKED and pool_mode is Mode.ENFORCED:
        await _record(ctx, _event(ctx, pool, user, "SignIn", "Fail", {"RiskDecision": "Block"}))
        raise NotAuthorizedException(rules.BLOCKED)
    if not is_correct:
        risk = rules.NO_RISK.risk
        await _record(ctx, _event(ctx, pool, user, "SignIn", "Fail", risk, _PASSWORD_FAILED))
        return
    screen = rules.NO_RISK
    # A user already made to reset is answered PasswordResetRequiredException after the proof.
    is_screened = verdict is not rules.IpVerdict.SKIPPED
    if password is not None and is_screened and user.status is not UserStatus.RESET_REQUIRED:
        screen = rules.screen_password(pool_mode, config, PasswordEvent.SIGN_IN, password)
    if screen.is_blocked:
        event = _event(ctx, pool, user, "SignIn", "Fail", screen.risk, _PASSWORD_PASSED)
        await _record(ctx, event, reset_user=user)
        raise NotAuthorizedException(rules.BLOCKED)
    threat_store.expect_tokens(_event(ctx, pool, user, "SignIn", "Pass", screen.risk,
                                      _PASSWORD_PASSED))  # fmt: skip


async def carry_event(ctx: Context, pool: Pool, user: User) -> tuple[str, str] | None:
    """The sign-in's pending event, recorded now as InProgress because a challenge follows:
    (event id, user sub) for the Session to carry, or None when there is none (mode OFF)."""
    pending = threat_store.pending_event(pool.id, user.sub)
    if pending is None:
        return None
    if not pending.is_stored:
        async with ctx.store.begin() as conn:
            await threat_store.record_in_progress(conn, pending)
    return pending.event.event_id, user.sub


def resume_event(ctx: Context, pool: Pool, session: AuthSession) -> None:
    """Answering `session`: if it carries an InProgress event, tokens issued by this request
    mark it passed (with an MFA success when the challenge was an MFA code)."""
    if session.auth_event is None:
        return
    event_id, user_sub = session.auth_event
    after_mfa = session.challenge in mfa_challenges.ANSWERED_WITH_CODE
    threat_store.resume(pool.id, user_sub, event_id, after_mfa=after_mfa, now=ctx.clock())


async def screen_new_password(
    ctx: Context,
    pool: Pool,
    *,
    client_id: str | None,
    password: str,
    event: PasswordEvent,
    user: User | None = None,
) -> PasswordScreen | None:
    """Check a new password (SignUp, or a password change) for compromise, before it is set.

    None when the pool's mode is OFF. A compromised password whose configuration BLOCKs, with
    the pool ENFORCED, raises InvalidPasswordException (recorded as a failed event of `user`
    when there is one). Otherwise the verdict, for `record_event` once the operation succeeds.
    """
    pool_mode = rules.mode(pool.config)
    if pool_mode is Mode.OFF:
        return None
    config = await _config_in_force(ctx, pool, client_id)
    if rules.ip_verdict(config, ctx.source_ip) is rules.IpVerdict.SKIPPED:
        return rules.NO_RISK
    screen = rules.screen_password(pool_mode, config, event, password)
    if screen.is_blocked:
        if user is not None:
            await _record(ctx, _event(ctx, pool, user, _EVENT_TYPES[event], "Fail", screen.risk))
        raise InvalidPasswordException(rules.COMPROMISED)
    return screen


async def record_event(
    ctx: Context, pool: Pool, user: User, event_type: str, screen: PasswordScreen | None
) -> None:
    """Record a passed SignUp, PasswordChange or ForgotPassword event of `user` with the
    verdict `screen_new_password` gave (None: the pool's mode is OFF, nothing is recorded)."""
    if screen is None:
        return
    await _record(ctx, _event(ctx, pool, user, event_type, "Pass", screen.risk))


def forgot_password_screen(pool: Pool) -> PasswordScreen | None:
    """The verdict of ForgotPassword, which carries no password: None when the mode is OFF."""
    return None if rules.mode(pool.config) is Mode.OFF else rules.NO_RISK
