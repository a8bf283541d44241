"""The I/O of the MFA challenges: sending SMS_MFA / EMAIL_OTP codes, checking MFA answers,
and settling SELECT_MFA_TYPE and MFA_SETUP. idp/auth.py orders these calls (lockout claims,
the next step); the rules are domain/mfa.py's and auth/totp.py's.

Developer guide, "SMS and email message MFA" and "TOTP software token MFA": a code challenge
sends a fresh code to the user's phone number or email (ChallengeParameters name the medium
and the masked destination); SOFTWARE_TOKEN_MFA takes the authenticator's current code.

Guarantees (security-test-plan.md E): SMS and email codes are one-time codes (domain/codes.py,
store/codes.py) bound to the user *and* the Session they were sent for (the Session id is part
of the keyed hash), expiring with that Session, accepted once, at most five wrong guesses; a
TOTP step is accepted once per user (store/mfa.py). A Session is spent in the same transaction
that accepts its answer, so it is single-use and a wrong answer leaves it usable for a retry.
At most codes.MAX_SIGN_IN_SENDS_PER_WINDOW sign-in codes are sent to a user per window, counted
in the store (TooManyRequestsException beyond), so no script can make Cognate send unlimited
SMS or email.

MFA_SETUP with email (Amplify's CONTINUE_SIGN_IN_WITH_EMAIL_SETUP): the answer names an
address as EMAIL; an EMAIL_OTP challenge sends the code there, and the accepted code makes the
address the user's verified email with email MFA enabled, in the transaction that accepts it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.auth import sessions, totp
from cognate.auth.flow import Challenge
from cognate.context import Context
from cognate.domain import codes, mfa
from cognate.domain.attributes import is_email
from cognate.domain.codes import Destination
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
    SoftwareTokenMFANotFoundException,
    TooManyRequestsException,
)
from cognate.idp.notify import custom_texts, delivery_details, email_bodies, pool_sender
from cognate.idp.user_attributes import save_attributes
from cognate.idp.verification import discard_pending
from cognate.messages import templates
from cognate.store import codes as code_store
from cognate.store import mfa as mfa_store
from cognate.store import users as user_store
from cognate.triggers import senders
from cognate.triggers.events import CustomTexts, MessageTrigger

TOTP_SEED_PURPOSE: Final = "totp-seed"
"""SecretBox purpose of a stored TOTP seed."""

MISMATCH: Final = "Invalid code or auth state for the user."
"""Cognito's message for a wrong MFA code."""

REPLAYED: Final = "Your software token has already been used once."
"""Cognito's message for a TOTP code of a step already used."""

CODE_CHALLENGES: Final = frozenset({Challenge.SMS_MFA, Challenge.EMAIL_OTP})
"""The challenges that send a code before they are answered."""

ANSWERED_WITH_CODE: Final = frozenset(
    {Challenge.SMS_MFA, Challenge.EMAIL_OTP, Challenge.SOFTWARE_TOKEN_MFA}
)
"""The MFA challenges answered with a code (counted toward lockout)."""

CHOICES: Final = frozenset({Challenge.SELECT_MFA_TYPE, Challenge.MFA_SETUP})
"""The MFA challenges answered with a choice or a completed setup."""

AUTHENTICATION_SOURCE: Final = "CustomMessage_Authentication"
"""The message source of a sign-in code; a custom sender gets it as `…Sender_Authentication`."""

DEFAULT_SMS_MESSAGE: Final = "Your authentication code is {####}. "
DEFAULT_EMAIL_MESSAGE: Final = "Your authentication code is {####}. "
DEFAULT_EMAIL_SUBJECT: Final = "Your authentication code"

_PURPOSE: Final = {
    Challenge.SMS_MFA: "MFA:SMS",
    Challenge.EMAIL_OTP: "MFA:EMAIL",
    Challenge.SMS_OTP: "OTP:SMS",
}
_CODE_NAME: Final = {
    Challenge.SMS_MFA: ("SMS_MFA_CODE",),
    Challenge.EMAIL_OTP: ("EMAIL_OTP_CODE", "EMAIL_MFA_CODE"),
    Challenge.SOFTWARE_TOKEN_MFA: ("SOFTWARE_TOKEN_MFA_CODE",),
    Challenge.SMS_OTP: ("SMS_OTP_CODE",),
}


def _code_hash(ctx: Context, user: User, purpose: str, session_id: str, code: str) -> str:
    return ctx.secrets.keyed_hash(code, f"one-time-code:{user.sub}:{purpose}:{session_id}")


def _destination(challenge: str, user: User, address: str | None) -> Destination:
    is_sms = challenge in (Challenge.SMS_MFA, Challenge.SMS_OTP)
    attribute = "phone_number" if is_sms else "email"
    return Destination(attribute=attribute, address=address or user.attributes[attribute])


async def _take_send(ctx: Context, user: User) -> None:
    """Count one sign-in code against the user's budget (its own short transaction, before
    any trigger runs); TooManyRequestsException, nothing sent, once it is spent. Every
    operation that sends one declares TooManyRequestsException, not LimitExceededException."""
    async with ctx.store.begin() as conn:
        has_budget = await code_store.take_send(
            conn,
            user_id=user.id,
            budget_purpose=codes.SIGN_IN_SEND_BUDGET,
            now=ctx.clock(),
            window=codes.SEND_WINDOW,
            limit=codes.MAX_SIGN_IN_SENDS_PER_WINDOW,
        )
    if not has_budget:
        raise TooManyRequestsException(codes.LIMIT_MESSAGE)


async def send_code(
    ctx: Context,
    pool: Pool,
    user: User,
    challenge: str,
    session: sessions.AuthSession,
    *,
    client_id: str | None = None,
    client_metadata: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Issue, store (hashed, bound to `session`), commit and send the code of an SMS_MFA or
    EMAIL_OTP challenge (or of USER_AUTH's EMAIL_OTP / SMS_OTP first factor); its
    ChallengeParameters, the destination masked as Cognito masks it. The code goes to the
    user's phone number or email, or to `session.setup_email` (MFA_SETUP with email).
    TooManyRequestsException, nothing sent, once the user's sign-in send budget is spent.

    The pool's CustomMessage function (CustomMessage_Authentication, developer guide "Custom
    message Lambda trigger") may rewrite the message; it runs first, so a failing function
    leaves no code behind. When the pool has a CustomEmailSender / CustomSMSSender for the
    medium, that function gets the code, encrypted, as CustomEmailSender_Authentication /
    CustomSMSSender_Authentication after the commit, CustomMessage is not consulted and
    Cognate sends nothing (developer guide, "Custom sender Lambda triggers").
    """
    destination = _destination(challenge, user, session.setup_email)
    purpose = _PURPOSE[Challenge(challenge)]
    await _take_send(ctx, user)
    # A custom sender finds the address to use in userAttributes.
    attributes = {**user.attributes, destination.attribute: destination.address}
    trigger = MessageTrigger(
        source=AUTHENTICATION_SOURCE, username=user.username, attributes=attributes,
        client_id=client_id, client_metadata=client_metadata,
    )  # fmt: skip
    sender = senders.sender_for(pool, destination.medium)
    texts = CustomTexts() if sender is not None else await custom_texts(ctx, pool, trigger)
    code = codes.new_code()
    async with ctx.store.begin() as conn:
        await code_store.issue_code(
            conn,
            user_id=user.id,
            purpose=purpose,
            code_hash=_code_hash(ctx, user, purpose, session.id, code),
            now=ctx.clock(),
            expires_at=session.expires_at,
        )
    if sender is not None:
        senders.start_sender(ctx, pool, sender, trigger, code=code)
    else:
        await _deliver(ctx, pool, user, destination, code, texts)
    details = delivery_details(destination)
    return {
        "CODE_DELIVERY_DELIVERY_MEDIUM": details["DeliveryMedium"],
        "CODE_DELIVERY_DESTINATION": details["Destination"],
    }


async def _deliver(
    ctx: Context, pool: Pool, user: User, destination: Destination, code: str, texts: CustomTexts
) -> None:
    if destination.medium == "SMS":
        message = (
            texts.sms_message or pool.config.get("SmsAuthenticationMessage") or DEFAULT_SMS_MESSAGE
        )
        text = templates.render(message, code=code, username=user.username)
        await ctx.delivery.send_sms(to=destination.address, message=text)
        return
    configuration = pool.config.get("EmailMfaConfiguration") or {}
    body = texts.email_message or configuration.get("Message") or DEFAULT_EMAIL_MESSAGE
    text, html_body = email_bodies(body, code=code, username=user.username)
    await ctx.delivery.send_email(
        to=destination.address,
        subject=texts.email_subject or configuration.get("Subject") or DEFAULT_EMAIL_SUBJECT,
        text=text,
        html=html_body,
        sender=pool_sender(pool),
    )


def _given_code(challenge: str, responses: Mapping[str, str]) -> str:
    names = _CODE_NAME[Challenge(challenge)]
    for name in names:
        if responses.get(name):
            return responses[name]
    raise InvalidParameterException(f"Missing required parameter {names[0]}")


async def check_code_answer(
    ctx: Context,
    pool: Pool,
    user: User,
    session: sessions.AuthSession,
    responses: Mapping[str, str],
) -> None:
    """Accept the code answering `session`'s SMS_MFA, EMAIL_OTP or SOFTWARE_TOKEN_MFA
    challenge and spend the session; CodeMismatchException (MISMATCH) for a wrong, stale or
    exhausted code, ExpiredCodeException for a TOTP step already used. The code of an email
    set up in MFA_SETUP also makes its address the user's, with email MFA (AliasExistsException,
    nothing changed and the code still live, if another user signs in with that address)."""
    code = _given_code(session.challenge, responses)
    if session.challenge == Challenge.SOFTWARE_TOKEN_MFA:
        await _check_totp(ctx, user, session, code)
        return
    purpose = _PURPOSE[Challenge(session.challenge)]
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        await _check_unspent(conn, session, now)
        outcome = await code_store.consume_code(
            conn,
            user_id=user.id,
            purpose=purpose,
            code_hash=_code_hash(ctx, user, purpose, session.id, code),
            now=now,
            max_attempts=codes.MAX_FAILED_ATTEMPTS,
        )
        if outcome is codes.Outcome.ACCEPTED:
            await sessions.spend(conn, session, now=now)
            if session.setup_email is not None:
                await _set_up_email(ctx, conn, pool, user, session.setup_email)
    # Committed before raising: a wrong guess stays counted against the code.
    if outcome is not codes.Outcome.ACCEPTED:
        raise CodeMismatchException(MISMATCH)


async def _check_totp(ctx: Context, user: User, session: sessions.AuthSession, code: str) -> None:
    async with ctx.store.read() as conn:
        token = await mfa_store.get_token(conn, user.id)
    if token is None or token.secret is None:
        raise SoftwareTokenMFANotFoundException("Software Token MFA does not exist for the user.")
    seed = ctx.secrets.decrypt(token.secret, TOTP_SEED_PURPOSE).decode("ascii")
    now = ctx.clock()
    step = totp.matching_step(seed, code, now)
    async with ctx.store.begin() as conn:
        await _check_unspent(conn, session, now)
        is_fresh = step is not None and await mfa_store.claim_step(conn, user.id, step, now=now)
        if is_fresh:
            await sessions.spend(conn, session, now=now)
    if step is None:
        raise CodeMismatchException(MISMATCH)
    if not is_fresh:
        raise ExpiredCodeException(REPLAYED)


async def _check_unspent(
    conn: AsyncConnection, session: sessions.AuthSession, now: datetime
) -> None:
    # A used Session is refused as such (NotAuthorizedException, security-test-plan.md E50)
    # before its answer is judged; the probe spends it in a savepoint and rolls that back.
    async with conn.begin_nested() as probe:
        await sessions.spend(conn, session, now=now)
        await probe.rollback()


async def _set_up_email(
    ctx: Context, conn: AsyncConnection, pool: Pool, user: User, address: str
) -> None:
    # Developer guide, "SMS and email message MFA": completing MFA with an address verifies it.
    attributes = {**user.attributes, "email": address, "email_verified": "true"}
    await save_attributes(ctx, conn, pool, user, attributes)
    await discard_pending(conn, user, ["email"])
    updated = mfa.with_set_up(user.mfa, mfa.Factor.EMAIL_OTP)
    await user_store.update_user(conn, user.id, now=ctx.clock(), mfa=updated)


def is_email_setup(session: sessions.AuthSession, responses: Mapping[str, str]) -> bool:
    """Whether `responses` answer `session`'s MFA_SETUP by naming an email address (EMAIL)."""
    return session.challenge == Challenge.MFA_SETUP and "EMAIL" in responses


async def start_email_setup(
    ctx: Context,
    pool: Pool,
    user: User,
    session: sessions.AuthSession,
    responses: Mapping[str, str],
    metadata: Mapping[str, str],
) -> dict[str, Any]:
    """Answer MFA_SETUP's EMAIL: spend its Session, send a code to the address and ask for it
    in an EMAIL_OTP challenge whose new Session carries the address (`setup_email`).

    InvalidParameterException unless the pool offers email MFA and EMAIL is an address. The
    Session is spent first, so one MFA_SETUP sends at most one code (to one address).
    """
    address = responses["EMAIL"]
    if not mfa.can_set_up(mfa.pool_mfa(pool.config), mfa.Factor.EMAIL_OTP):
        raise InvalidParameterException("Email MFA is not enabled for this user pool.")
    if not is_email(address):
        raise InvalidParameterException("Invalid email address format.")
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        await sessions.spend(conn, session, now=now)
    challenge = sessions.new_session(
        pool_id=session.pool_id,
        client_id=session.client_id,
        username=session.username,
        challenge=Challenge.EMAIL_OTP,
        now=now,
        validity=session.expires_at - session.issued_at,
        completed=session.completed,
        setup_email=address,
    )
    parameters = await send_code(
        ctx, pool, user, Challenge.EMAIL_OTP, challenge,
        client_id=session.client_id, client_metadata=metadata,
    )  # fmt: skip
    return {
        "ChallengeName": Challenge.EMAIL_OTP.value,
        "Session": sessions.seal(ctx.secrets, challenge, sessions.SESSION_PURPOSE),
        "ChallengeParameters": parameters,
    }


async def settle_choice(
    ctx: Context,
    pool: Pool,
    user: User,
    session: sessions.AuthSession,
    responses: Mapping[str, str],
) -> tuple[str, ...]:
    """Spend a SELECT_MFA_TYPE or MFA_SETUP session; the sign-in's completed steps after it.

    SELECT_MFA_TYPE records the chosen factor (one of those offered); MFA_SETUP, unless it
    names an email (`start_email_setup`), is answered with the Session VerifySoftwareToken
    returned, whose setup is already recorded.
    """
    if session.challenge == Challenge.SELECT_MFA_TYPE:
        answer = responses.get("ANSWER")
        if not answer:
            raise InvalidParameterException("Missing required parameter ANSWER")
        choices = mfa.usable_factors(mfa.pool_mfa(pool.config), user.mfa, user.attributes)
        completed = (*session.completed, mfa.selected(mfa.parse_answer(answer, choices)))
    elif mfa.SETUP_DONE in session.completed:
        completed = session.completed
    else:
        raise SoftwareTokenMFANotFoundException(
            "Software Token MFA has not been set up: call AssociateSoftwareToken and "
            "VerifySoftwareToken with this Session first."
        )
    async with ctx.store.begin() as conn:
        await sessions.spend(conn, session, now=ctx.clock())
    return completed
