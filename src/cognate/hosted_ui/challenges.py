"""The hosted UI's sign-in through the engine's own public surface: the password step
(hosted_ui/sign_in.py), then NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP,
SELECT_MFA_TYPE and MFA_SETUP through RespondToAuthChallenge, AssociateSoftwareToken and
VerifySoftwareToken; and the passkey first factor, USER_AUTH with PREFERRED_CHALLENGE=WEB_AUTHN
(`start_passkey`), its WEB_AUTHN challenge answered with the browser's assertion as CREDENTIAL.

MFA_SETUP offers what the engine's MFAS_CAN_SETUP lists: with one factor the page goes straight
to it, with several the user first chooses (`choose_setup`). TOTP is associated only once it is
chosen; email is answered with the address as EMAIL, and the engine's EMAIL_OTP challenge that
follows is the code page (its accepted code sets, verifies and prefers the address).

A step's state is the engine's Session string (sealed, expiring, bound to pool, client and
challenge; codes bound to it), carried by the page in a sealed cookie: nothing is kept here.
The engine ends a hosted sign-in with `authenticated` rather than with tokens: PostAuthentication
runs once, as the last step passes, and the tokens (and PreTokenGeneration, as
TokenGeneration_HostedAuth) come only from the code exchange or the implicit redirect
(oauth/authorize.py `complete`), so no credential is minted that nobody holds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from cognate.auth import flow
from cognate.auth.flow import Challenge
from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import InvalidParameterException, UserNotFoundException
from cognate.hosted_ui.forms import secret_hash_for
from cognate.idp import auth as idp_auth
from cognate.idp import auth_triggers, user_auth
from cognate.idp import mfa as idp_mfa
from cognate.idp.sign_in_steps import Answer
from cognate.idp.user_lookup import find_user

CODE_RESPONSE = {
    Challenge.SOFTWARE_TOKEN_MFA: "SOFTWARE_TOKEN_MFA_CODE",
    Challenge.SMS_MFA: "SMS_MFA_CODE",
    Challenge.EMAIL_OTP: "EMAIL_OTP_CODE",
}
"""The ChallengeResponses entry carrying the page's `code` field, per code challenge."""

TOTP_SETUP = "SOFTWARE_TOKEN_MFA"
EMAIL_SETUP = "EMAIL_OTP"
"""The MFAS_CAN_SETUP entries the MFA_SETUP pages know (an authenticator app, an email)."""

PASSKEY_RESPONSE = "CREDENTIAL"
"""The ChallengeResponses entry carrying the browser's assertion (AuthenticationResponseJSON)."""

ATTRIBUTE_PREFIX = "userAttributes."
_SIGNED_IN = "cognate:hostedSignIn"
"""The key of `authenticated`'s answer naming the user (never on the wire)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One pending challenge: its name, the engine's Session and its parameters."""

    challenge: str
    session: str
    username: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    secret: str | None = None
    """MFA_SETUP: the TOTP secret just associated, shown on the setup page."""
    setup_factor: str | None = None
    """MFA_SETUP: the factor being set up (TOTP_SETUP or EMAIL_SETUP); None while the user has
    yet to choose among several."""

    @property
    def required_attributes(self) -> list[str]:
        """NEW_PASSWORD_REQUIRED: the required attributes the user has no value for."""
        names = json.loads(self.parameters.get("requiredAttributes") or "[]")
        return [str(name).removeprefix(ATTRIBUTE_PREFIX) for name in names]

    @property
    def choices(self) -> list[str]:
        """SELECT_MFA_TYPE: the factors the user may choose from."""
        return [str(name) for name in json.loads(self.parameters.get("MFAS_CAN_CHOOSE") or "[]")]

    @property
    def setup_choices(self) -> list[str]:
        """MFA_SETUP: the factors the user may set up that the pages know, in the engine's
        order (MFAS_CAN_SETUP; TOTP alone when the engine names none)."""
        offered = json.loads(self.parameters.get("MFAS_CAN_SETUP") or "null")
        if offered is None:
            return [TOTP_SETUP]
        return [str(name) for name in offered if name in (TOTP_SETUP, EMAIL_SETUP)]

    @property
    def passkey_options(self) -> str:
        """WEB_AUTHN: the PublicKeyCredentialRequestOptionsJSON the browser signs ("" if none)."""
        return self.parameters.get("CREDENTIAL_REQUEST_OPTIONS", "")


def step_body(step: Step) -> dict[str, object]:
    """The step as JSON, for oauth/authorize.py's sealed step cookie."""
    return {
        "challenge": step.challenge,
        "session": step.session,
        "username": step.username,
        "parameters": dict(step.parameters),
        "secret": step.secret,
        "setup_factor": step.setup_factor,
    }


def step_of(body: Mapping[str, object]) -> Step | None:
    """The step `step_body` wrote (None if the body is not one)."""
    challenge, session, username = body.get("challenge"), body.get("session"), body.get("username")
    parameters, secret = body.get("parameters"), body.get("secret")
    setup_factor = body.get("setup_factor")
    if not (isinstance(challenge, str) and isinstance(session, str) and isinstance(username, str)):
        return None
    if not isinstance(parameters, dict) or not (secret is None or isinstance(secret, str)):
        return None
    if not (setup_factor is None or isinstance(setup_factor, str)):
        return None
    return Step(
        challenge=challenge,
        session=session,
        username=username,
        parameters={str(name): str(value) for name, value in parameters.items()},
        secret=secret,
        setup_factor=setup_factor,
    )


async def prepared(ctx: Context, step: Step) -> Step:
    """The step ready for its page. MFA_SETUP with a single factor to set up (or one chosen)
    gets it: TOTP its secret associated (AssociateSoftwareToken), email the address page;
    with several and none chosen, the step stays as it is, for the choice page."""
    if step.challenge != Challenge.MFA_SETUP or step.secret is not None:
        return step
    factor = step.setup_factor
    if factor is None and len(step.setup_choices) == 1:
        factor = step.setup_choices[0]
    if factor == TOTP_SETUP:
        result = await idp_mfa.associate_software_token(ctx, {"Session": step.session})
        return replace(
            step, session=result["Session"], secret=result["SecretCode"], setup_factor=factor
        )
    return replace(step, setup_factor=factor)


async def choose_setup(ctx: Context, step: Step, factor: str) -> Step:
    """MFA_SETUP: the user chose `factor` to set up; the step for its page.
    InvalidParameterException when `factor` is not one the engine offered."""
    if factor not in step.setup_choices:
        raise InvalidParameterException(f"Invalid value for ANSWER: {factor}")
    return await prepared(ctx, replace(step, setup_factor=factor))


async def known_email(ctx: Context, pool: Pool, step: Step) -> str:
    """The email address the step's user already has ("" when none): what the email setup
    page suggests."""
    async with ctx.store.read() as conn:
        user = await find_user(conn, pool, step.username)
    return user.attributes.get("email", "") if user is not None else ""


async def authenticated(ctx: Context, attempt: flow.Attempt) -> Answer:
    """How the engine ends a hosted sign-in (sign_in_steps.Finish): PostAuthentication, and no
    tokens yet; no device is remembered through the hosted UI."""
    await auth_triggers.post_authentication(ctx, attempt)
    return {_SIGNED_IN: attempt.user}


async def outcome(ctx: Context, username: str, answer: Answer) -> Step | User:
    """The engine's answer as the hosted UI's next step, or the signed-in user."""
    user = answer.get(_SIGNED_IN)
    if isinstance(user, User):
        return user
    if "AuthenticationResult" in answer:
        # Every path the hosted UI drives ends with `authenticated`: tokens here are a bug.
        raise AssertionError("the engine issued tokens to the hosted UI")
    step = Step(
        challenge=answer["ChallengeName"],
        session=answer["Session"],
        username=username,
        parameters=answer.get("ChallengeParameters") or {},
    )
    return await prepared(ctx, step)


async def start_passkey(ctx: Context, pool: Pool, client: Client, name: str) -> Step | None:
    """InitiateAuth USER_AUTH with PREFERRED_CHALLENGE=WEB_AUTHN, as the engine answers it: the
    WEB_AUTHN step, or None when the engine does not start it (no passkey for the pool's
    relying party, or no such user: the same answer, so the page tells neither apart). Raises
    the engine's other errors (PreAuthentication's, a disabled pool client, …)."""
    parameters = {"USERNAME": name, "PREFERRED_CHALLENGE": Challenge.WEB_AUTHN.value}
    hashed = await secret_hash_for(ctx, client, name)
    if hashed is not None:
        parameters["SECRET_HASH"] = hashed
    try:
        answer = await user_auth.initiate_user_auth(ctx, pool, client, parameters, {})
    except UserNotFoundException:  # PreventUserExistenceErrors LEGACY
        return None
    if answer.get("ChallengeName") != Challenge.WEB_AUTHN:
        return None  # SELECT_CHALLENGE: WEB_AUTHN is not among the user's factors
    return Step(
        challenge=Challenge.WEB_AUTHN.value,
        session=answer["Session"],
        username=name,
        parameters=answer.get("ChallengeParameters") or {},
    )


async def answer(
    ctx: Context, client: Client, step: Step, responses: Mapping[str, str]
) -> Step | User:
    """RespondToAuthChallenge with `responses`: the next step, or the user once signed in.
    Raises the engine's errors (CodeMismatchException, InvalidPasswordException, …)."""
    challenge_responses = {"USERNAME": step.username, **responses}
    hashed = await secret_hash_for(ctx, client, step.username)
    if hashed is not None:
        challenge_responses["SECRET_HASH"] = hashed
    request = {
        "ClientId": client.id,
        "ChallengeName": step.challenge,
        "Session": step.session,
        "ChallengeResponses": challenge_responses,
    }
    result = await idp_auth.answer_challenge(ctx, request, finish=authenticated)
    return await outcome(ctx, step.username, result)


async def verify_token(ctx: Context, step: Step, code: str) -> Step:
    """MFA_SETUP: VerifySoftwareToken with the user's first code; the Session that answers
    the MFA_SETUP challenge. EnableSoftwareTokenMFAException for a wrong code."""
    result = await idp_mfa.verify_software_token(ctx, {"Session": step.session, "UserCode": code})
    return Step(challenge=step.challenge, session=result["Session"], username=step.username)
