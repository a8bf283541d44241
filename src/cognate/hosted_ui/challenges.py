"""The steps after the password on the hosted UI (NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA,
SMS_MFA, EMAIL_OTP, SELECT_MFA_TYPE, MFA_SETUP), answered through the engine's own public
surface: RespondToAuthChallenge, AssociateSoftwareToken and VerifySoftwareToken.

A step's state is the engine's Session string (sealed, expiring, bound to pool, client and
challenge; codes bound to it), carried by the page in a hidden field: nothing is kept here.
When the last step passes, the engine answers with tokens; the page only needs to know who
signed in (to issue the authorization code), so it reads the user from the access token and
revokes the refresh token at once, which revokes the pair (origin_jti): no credential that
nobody holds stays valid.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cognate.auth import flow, sessions
from cognate.auth.flow import Challenge
from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.hosted_ui.forms import secret_hash_for
from cognate.idp import auth as idp_auth
from cognate.idp import mfa as idp_mfa
from cognate.idp import mfa_challenges
from cognate.store import tokens as token_store
from cognate.tokens.issue import REFRESH_HASH_PURPOSE, authenticate_access_token

CODE_RESPONSE = {
    Challenge.SOFTWARE_TOKEN_MFA: "SOFTWARE_TOKEN_MFA_CODE",
    Challenge.SMS_MFA: "SMS_MFA_CODE",
    Challenge.EMAIL_OTP: "EMAIL_OTP_CODE",
}
"""The ChallengeResponses entry carrying the page's `code` field, per code challenge."""

ATTRIBUTE_PREFIX = "userAttributes."


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One pending challenge: its name, the engine's Session and its parameters."""

    challenge: str
    session: str
    username: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    secret: str | None = None
    """MFA_SETUP: the TOTP secret just associated, shown on the setup page."""

    @property
    def required_attributes(self) -> list[str]:
        """NEW_PASSWORD_REQUIRED: the required attributes the user has no value for."""
        names = json.loads(self.parameters.get("requiredAttributes") or "[]")
        return [str(name).removeprefix(ATTRIBUTE_PREFIX) for name in names]

    @property
    def choices(self) -> list[str]:
        """SELECT_MFA_TYPE: the factors the user may choose from."""
        return [str(name) for name in json.loads(self.parameters.get("MFAS_CAN_CHOOSE") or "[]")]


def step_body(step: Step) -> dict[str, object]:
    """The step as JSON, for oauth/authorize.py's sealed step cookie."""
    return {
        "challenge": step.challenge,
        "session": step.session,
        "username": step.username,
        "parameters": dict(step.parameters),
        "secret": step.secret,
    }


def step_of(body: Mapping[str, object]) -> Step | None:
    """The step `step_body` wrote (None if the body is not one)."""
    challenge, session, username = body.get("challenge"), body.get("session"), body.get("username")
    parameters, secret = body.get("parameters"), body.get("secret")
    if not (isinstance(challenge, str) and isinstance(session, str) and isinstance(username, str)):
        return None
    if not isinstance(parameters, dict) or not (secret is None or isinstance(secret, str)):
        return None
    return Step(
        challenge=challenge,
        session=session,
        username=username,
        parameters={str(name): str(value) for name, value in parameters.items()},
        secret=secret,
    )


async def prepared(ctx: Context, step: Step) -> Step:
    """The step ready for its page: MFA_SETUP gets its TOTP secret associated first."""
    if step.challenge == Challenge.MFA_SETUP and step.secret is None:
        result = await idp_mfa.associate_software_token(ctx, {"Session": step.session})
        return Step(
            challenge=step.challenge,
            session=result["Session"],
            username=step.username,
            parameters=step.parameters,
            secret=result["SecretCode"],
        )
    return step


async def start(ctx: Context, pool: Pool, client: Client, user: User, challenge: str) -> Step:
    """The first step after a checked password (the engine's next challenge for `user`): a
    fresh Session, and for SMS_MFA / EMAIL_OTP the code sent, as InitiateAuth answers."""
    now = ctx.clock()
    session = sessions.new_session(
        pool_id=pool.id,
        client_id=client.id,
        username=user.username,
        challenge=challenge,
        now=now,
        validity=client.auth_session_validity,
    )
    if challenge in mfa_challenges.CODE_CHALLENGES:
        parameters = await mfa_challenges.send_code(
            ctx, pool, user, challenge, session, client_id=client.id
        )
    else:
        attempt = flow.Attempt(pool=pool, client=client, user=user)
        parameters = flow.challenge_parameters(challenge, attempt)
    sealed = sessions.seal(ctx.secrets, session, sessions.SESSION_PURPOSE)
    step = Step(challenge=challenge, session=sealed, username=user.username, parameters=parameters)
    return await prepared(ctx, step)


async def answer(
    ctx: Context, client: Client, step: Step, responses: Mapping[str, str]
) -> Step | User:
    """RespondToAuthChallenge with `responses`: the next step, or the user once signed in.
    Raises the engine's errors (CodeMismatchException, InvalidPasswordException, …)."""
    challenge_responses = {"USERNAME": step.username, **responses}
    hashed = await secret_hash_for(ctx, client, step.username)
    if hashed is not None:
        challenge_responses["SECRET_HASH"] = hashed
    result: Mapping[str, Any] = await idp_auth.respond_to_auth_challenge(
        ctx,
        {
            "ClientId": client.id,
            "ChallengeName": step.challenge,
            "Session": step.session,
            "ChallengeResponses": challenge_responses,
        },
    )
    tokens = result.get("AuthenticationResult")
    if tokens is not None:
        return await _signed_in_user(ctx, tokens)
    following = Step(
        challenge=result["ChallengeName"],
        session=result["Session"],
        username=step.username,
        parameters=result.get("ChallengeParameters") or {},
    )
    return await prepared(ctx, following)


async def verify_token(ctx: Context, step: Step, code: str) -> Step:
    """MFA_SETUP: VerifySoftwareToken with the user's first code; the Session that answers
    the MFA_SETUP challenge. EnableSoftwareTokenMFAException for a wrong code."""
    result = await idp_mfa.verify_software_token(ctx, {"Session": step.session, "UserCode": code})
    return Step(challenge=step.challenge, session=result["Session"], username=step.username)


async def _signed_in_user(ctx: Context, tokens: Mapping[str, Any]) -> User:
    grant = await authenticate_access_token(ctx, tokens["AccessToken"])
    token_hash = ctx.secrets.keyed_hash(tokens["RefreshToken"], REFRESH_HASH_PURPOSE)
    async with ctx.store.begin() as conn:
        found = await token_store.find_refresh_token(conn, token_hash)
        if found is not None:
            await token_store.revoke_refresh_token(conn, found[0].id, ctx.clock())
    return grant.user
