"""Choice-based sign-in (AuthFlow USER_AUTH) and GetUserAuthFactors.

cognito-surface.md §2b: InitiateAuth / AdminInitiateAuth with USERNAME and an optional
PREFERRED_CHALLENGE. A preference the user can use starts that factor at once (PASSWORD with
PASSWORD, PASSWORD_SRP with SRP_A); otherwise the answer is SELECT_CHALLENGE with the top-level
AvailableChallenges (auth/first_factors.py) and a sealed Session, answered with ANSWER (plus
PASSWORD or SRP_A inline). PASSWORD then continues like USER_PASSWORD_AUTH, PASSWORD_SRP like
USER_SRP_AUTH (PASSWORD_VERIFIER), and both follow the MFA rules (idp/sign_in_steps.py).
EMAIL_OTP / SMS_OTP send a code bound to a new Session (idp/mfa_challenges.py); the code is the
factor, so no MFA follows (flow.FIRST_FACTOR_CODE). WEB_AUTHN, offered to users with a passkey,
answers with CREDENTIAL_REQUEST_OPTIONS and a new Session (idp/passkey_sign_in.py); a
CREDENTIAL sent with the SELECT_CHALLENGE ANSWER is not taken, since it cannot have signed a
challenge it never saw.

No user enumeration (security-test-plan.md A): with PreventUserExistenceErrors ENABLED an
unknown name gets a plausible SELECT_CHALLENGE, a masked destination without any message sent,
and fails where a wrong password or code would; each code answer is claimed against the lockout
counter like a password.

Sign-in after sign-up: a top-level Session from ConfirmSignUp (auth/sessions.py,
AUTO_SIGN_IN_PURPOSE) stands for the first factor. botocore's InitiateAuthRequest.Session:
"Amazon Cognito assumes the SMS or email message one-time verification password from
ConfirmSignUp as the primary authentication factor". So it is treated like an accepted
EMAIL_OTP / SMS_OTP first factor (flow.FIRST_FACTOR_CODE): PreAuthentication, the state checks,
no MFA, then the tokens. It is refused (NotAuthorizedException, sessions.INVALID_SESSION) when
reused, expired, sealed for another client or user, or when the user is not CONFIRMED.
"""

from __future__ import annotations

from collections.abc import Mapping

from cognate.auth import first_factors, flow, sessions
from cognate.auth.first_factors import FirstFactor
from cognate.auth.flow import Challenge, Subject
from cognate.context import Context
from cognate.domain import mfa
from cognate.domain.attributes import is_email
from cognate.domain.client import Client
from cognate.domain.codes import Destination
from cognate.domain.pool import Pool
from cognate.domain.user import UserStatus
from cognate.errors import CodeMismatchException, NotAuthorizedException
from cognate.idp import (
    auth_triggers,
    device_auth,
    mfa_challenges,
    passkey_sign_in,
    shapes,
    sign_in_steps,
)
from cognate.idp.notify import delivery_details
from cognate.idp.registry import idp
from cognate.idp.sign_in_subjects import find_subject, lockout_attempt, session_subject
from cognate.tokens.access import authenticate_access_token, require_scope

Answer = sign_in_steps.Answer

_CODE_CHALLENGE = {
    FirstFactor.EMAIL_OTP: Challenge.EMAIL_OTP,
    FirstFactor.SMS_OTP: Challenge.SMS_OTP,
}
_DECOY_ADDRESS = "sign-in-decoy-address"


async def initiate_user_auth(
    ctx: Context,
    pool: Pool,
    client: Client,
    parameters: Mapping[str, str],
    metadata: Mapping[str, str],
    *,
    session: str | None = None,
) -> Answer:
    """InitiateAuth USER_AUTH: the sign-in after sign-up when `session` (the request's top-level
    Session) is given, else the preferred factor started, or SELECT_CHALLENGE."""
    name = flow.required(parameters, "USERNAME")
    if session is not None:
        return await _sign_in_after_sign_up(ctx, pool, client, name, session, parameters, metadata)
    subject = await find_subject(ctx, pool, client, name, parameters.get("SECRET_HASH"))
    attributes = None if subject.user is None else subject.user.attributes
    has_passkey = await passkey_sign_in.has_passkey(ctx, pool, subject.user)
    available = first_factors.available_factors(pool, attributes, name, has_passkey=has_passkey)
    preferred = parameters.get("PREFERRED_CHALLENGE")
    if preferred in available:
        factor = FirstFactor(preferred)
        return await _start_factor(ctx, pool, client, subject, name, factor, parameters, metadata)
    selection = _new_session(ctx, pool, client, subject, Challenge.SELECT_CHALLENGE, ())
    return {
        "ChallengeName": Challenge.SELECT_CHALLENGE.value,
        "Session": sessions.seal(ctx.secrets, selection, sessions.SESSION_PURPOSE),
        "ChallengeParameters": {},
        "AvailableChallenges": available,
    }


async def _sign_in_after_sign_up(
    ctx: Context,
    pool: Pool,
    client: Client,
    name: str,
    sealed: str,
    parameters: Mapping[str, str],
    metadata: Mapping[str, str],
) -> Answer:
    """ConfirmSignUp's Session as the first factor of the user it was issued for, once."""
    session = sessions.unseal(
        ctx.secrets, sealed, sessions.AUTO_SIGN_IN_PURPOSE, client_id=client.id, now=ctx.clock()
    )
    subject = await find_subject(ctx, pool, client, name, parameters.get("SECRET_HASH"))
    user = subject.user
    if user is None or user.status is not UserStatus.CONFIRMED:
        raise NotAuthorizedException(sessions.INVALID_SESSION)
    sessions.check_user(session, pool_id=pool.id, username=user.username, user_sub=user.sub)
    await auth_triggers.pre_authentication(ctx, pool, client, subject, name, metadata)
    async with ctx.store.begin() as conn:
        await sessions.spend(conn, session, now=ctx.clock())
    device = await device_auth.claimed_device(ctx, user, parameters.get("DEVICE_KEY"))
    attempt = flow.Attempt(
        pool=pool, client=client, user=user, completed=(flow.FIRST_FACTOR_CODE,),
        client_metadata=metadata, device=device,
    )  # fmt: skip
    return await sign_in_steps.continue_sign_in(ctx, attempt)


def is_first_factor_code(session: sessions.AuthSession) -> bool:
    """Whether `session` asks for USER_AUTH's EMAIL_OTP / SMS_OTP code (not an MFA code)."""
    return flow.FIRST_FACTOR_CODE in session.completed


async def answer_select_challenge(
    ctx: Context,
    pool: Pool,
    client: Client,
    session: sessions.AuthSession,
    name: str,
    responses: Mapping[str, str],
    metadata: Mapping[str, str],
) -> Answer:
    """SELECT_CHALLENGE: ANSWER names one of the factors offered; the Session is spent."""
    answer = flow.required(responses, "ANSWER")
    subject = await session_subject(
        ctx, pool, client, session.username, name, responses.get("SECRET_HASH")
    )
    attributes = None if subject.user is None else subject.user.attributes
    has_passkey = await passkey_sign_in.has_passkey(ctx, pool, subject.user)
    available = first_factors.available_factors(pool, attributes, name, has_passkey=has_passkey)
    factor = first_factors.chosen_factor(answer, available)
    if factor is FirstFactor.PASSWORD:
        flow.required(responses, "PASSWORD")
    elif factor is FirstFactor.PASSWORD_SRP:
        flow.parse_srp_a(flow.required(responses, "SRP_A"))
    async with ctx.store.begin() as conn:
        await sessions.spend(conn, session, now=ctx.clock())
    return await _start_factor(ctx, pool, client, subject, name, factor, responses, metadata)


async def _start_factor(
    ctx: Context,
    pool: Pool,
    client: Client,
    subject: Subject,
    name: str,
    factor: FirstFactor,
    values: Mapping[str, str],
    metadata: Mapping[str, str],
) -> Answer:
    """Begin `factor` with the AuthParameters or ChallengeResponses `values`."""
    big_a = None
    if factor is FirstFactor.PASSWORD_SRP:
        big_a = flow.parse_srp_a(flow.required(values, "SRP_A"))
    password = flow.required(values, "PASSWORD") if factor is FirstFactor.PASSWORD else None
    await auth_triggers.pre_authentication(ctx, pool, client, subject, name, metadata)
    if password is not None:
        device = await device_auth.claimed_device(ctx, subject.user, values.get("DEVICE_KEY"))
        return await sign_in_steps.prove_password(
            ctx, pool, client, subject, password, metadata, device
        )
    if big_a is not None:
        return await sign_in_steps.password_verifier_challenge(ctx, pool, client, subject, big_a)
    if factor is FirstFactor.WEB_AUTHN:
        return await passkey_sign_in.web_authn_challenge(ctx, pool, client, subject.user)
    challenge = _CODE_CHALLENGE[factor]
    session = _new_session(ctx, pool, client, subject, challenge, (flow.FIRST_FACTOR_CODE,))
    if subject.user is None:
        parameters = _decoy_delivery(ctx, pool, challenge, name)
    else:
        parameters = await mfa_challenges.send_code(
            ctx, pool, subject.user, challenge, session,
            client_id=client.id, client_metadata=metadata,
        )  # fmt: skip
    return {
        "ChallengeName": challenge.value,
        "Session": sessions.seal(ctx.secrets, session, sessions.SESSION_PURPOSE),
        "ChallengeParameters": parameters,
    }


async def answer_code(
    ctx: Context,
    pool: Pool,
    client: Client,
    session: sessions.AuthSession,
    name: str,
    responses: Mapping[str, str],
    metadata: Mapping[str, str],
) -> Answer:
    """EMAIL_OTP_CODE / SMS_OTP_CODE answering a first-factor code: counted like a password,
    then (accepted) the state checks and the steps after a password except MFA."""
    subject = await session_subject(
        ctx, pool, client, session.username, name, responses.get("SECRET_HASH")
    )
    async with lockout_attempt(ctx, pool, subject):
        if subject.user is None:
            raise CodeMismatchException(mfa_challenges.MISMATCH)
        await mfa_challenges.check_code_answer(ctx, pool, subject.user, session, responses)
    return await sign_in_steps.after_code(
        ctx, pool, client, subject, completed=(*session.completed, session.challenge),
        responses=responses, metadata=metadata,
    )  # fmt: skip


def _new_session(
    ctx: Context,
    pool: Pool,
    client: Client,
    subject: Subject,
    challenge: Challenge,
    completed: tuple[str, ...],
) -> sessions.AuthSession:
    return sessions.new_session(
        pool_id=pool.id,
        client_id=client.id,
        username=subject.user_id_for_srp,
        challenge=challenge,
        now=ctx.clock(),
        validity=client.auth_session_validity,
        completed=completed,
    )


def _decoy_delivery(ctx: Context, pool: Pool, challenge: Challenge, name: str) -> dict[str, str]:
    """A decoy's CODE_DELIVERY_* parameters: the name itself masked when it is an address of
    the right kind, else a stable made-up one; nothing is sent."""
    digest = ctx.secrets.keyed_hash(f"{pool.id}\x00{name}", _DECOY_ADDRESS)
    if challenge is Challenge.SMS_OTP:
        number = name if name.startswith("+") else "+1" + str(int(digest[:12], 16))[:10]
        destination = Destination(attribute="phone_number", address=number)
    else:
        address = name if is_email(name) else f"{digest[:8]}@gmail.com"
        destination = Destination(attribute="email", address=address)
    details = delivery_details(destination)
    return {
        "CODE_DELIVERY_DELIVERY_MEDIUM": details["DeliveryMedium"],
        "CODE_DELIVERY_DESTINATION": details["Destination"],
    }


@idp.operation("GetUserAuthFactors")
async def get_user_auth_factors(
    ctx: Context, req: shapes.GetUserAuthFactorsRequest
) -> shapes.GetUserAuthFactorsResponse:
    """The signed-in user's MFA settings and the first factors they can sign in with."""
    grant = await authenticate_access_token(ctx, req["AccessToken"])
    require_scope(grant)
    user = grant.user
    answer: shapes.GetUserAuthFactorsResponse = {
        "Username": user.username,
        "UserMFASettingList": [
            factor.value for factor in mfa.ORDER if factor in mfa.enabled_factors(user.mfa)
        ],
        "ConfiguredUserAuthFactors": first_factors.configured_factors(
            grant.pool,
            user.attributes,
            has_password=user.password is not None,
            has_passkey=await passkey_sign_in.has_passkey(ctx, grant.pool, user),
        ),
    }
    preferred = user.mfa.get("PreferredMfaSetting")
    if preferred:
        answer["PreferredMfaSetting"] = str(preferred)
    return answer
