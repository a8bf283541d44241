"""One-time codes: what they are for, how they are made, how long they live, how often they may
be tried, and where they are sent.

Cognito developer guide, "Signing up and confirming user accounts", "Recovering user accounts"
and "Quotas in Amazon Cognito": codes are six digits; a sign-up confirmation code and an
attribute verification code live 24 hours, a forgot-password code one hour. Cognate also binds
each code to one (user, purpose) and keeps only the newest one (ASVS 6.6.2), accepts it once,
and kills it after `MAX_FAILED_ATTEMPTS` wrong guesses (ASVS 6.6.3): with 10^6 codes, five
guesses per code give an attacker a 1-in-200 000 chance per code sent, and sends are limited
to `MAX_SENDS_PER_WINDOW` per hour.

Medium (developer guide, "Verifying contact information at sign-up"): when both email and
phone_number are auto-verified and the user has both, the code goes by SMS only.
Account recovery follows AccountRecoverySetting.RecoveryMechanisms by Priority; without it,
Cognito's legacy order applies (a verified phone number first, then a verified email).
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cognate.domain.attributes import VERIFIED_FLAG, is_email, is_phone_number
from cognate.errors import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
    NotAuthorizedException,
    TooManyFailedAttemptsException,
)

CODE_DIGITS = 6
MAX_FAILED_ATTEMPTS = 5
"""Wrong guesses after which a code is dead and a new one must be requested."""
MAX_SENDS_PER_WINDOW = 5
"""Codes a user may request per purpose per `SEND_WINDOW` (Cognito: 5 resends an hour)."""
SEND_WINDOW = timedelta(hours=1)
SIGN_IN_SEND_BUDGET = "SENT:SIGN_IN"
"""The `one_time_codes.purpose` of the row counting the sign-in codes sent to a user: SMS_MFA
and EMAIL_OTP MFA codes, USER_AUTH's EMAIL_OTP / SMS_OTP codes and MFA_SETUP's email code,
all media together. Cognito throttles these messages without publishing the number
(maintainers: "we do not share externally the exact limits involved")."""
MAX_SIGN_IN_SENDS_PER_WINDOW = 10
"""Sign-in codes a user may be sent per `SEND_WINDOW`: a few sign-ins an hour, each with a
resend or two, and not the unlimited SMS and email a script could otherwise trigger."""

EXPIRED_MESSAGE = "Invalid code provided, please request a code again."
MISMATCH_MESSAGE = "Invalid verification code provided, please try again."
LIMIT_MESSAGE = "Attempt limit exceeded, please try after some time."


class Purpose(enum.StrEnum):
    """What a code proves; stored in `one_time_codes.purpose`, one live code per purpose."""

    SIGN_UP = "SIGN_UP"
    FORGOT_PASSWORD = "FORGOT_PASSWORD"  # noqa: S105 (a purpose name, not a secret)
    VERIFY_EMAIL = "VERIFY:email"
    VERIFY_PHONE_NUMBER = "VERIFY:phone_number"


_LIFETIME = {
    Purpose.SIGN_UP: timedelta(hours=24),
    Purpose.FORGOT_PASSWORD: timedelta(hours=1),
    Purpose.VERIFY_EMAIL: timedelta(hours=24),
    Purpose.VERIFY_PHONE_NUMBER: timedelta(hours=24),
}


def verify_purpose(attribute: str) -> Purpose:
    """The purpose of a code verifying `attribute`; InvalidParameterException unless it is
    email or phone_number (the only attributes Cognito verifies)."""
    if attribute == "email":
        return Purpose.VERIFY_EMAIL
    if attribute == "phone_number":
        return Purpose.VERIFY_PHONE_NUMBER
    raise InvalidParameterException(f"Invalid attribute name: {attribute} cannot be verified.")


def send_purpose(purpose: Purpose) -> str:
    """The `one_time_codes.purpose` of the row counting how many `purpose` codes were sent."""
    return f"SENT:{purpose}"


def new_code() -> str:
    """Six decimal digits, uniform over 000000-999999, from the `secrets` CSPRNG."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def expires_at(purpose: Purpose, now: datetime) -> datetime:
    """When a `purpose` code issued at `now` stops being accepted (valid while now < it)."""
    return now + _LIFETIME[purpose]


def is_live(*, expires: datetime, used: datetime | None, now: datetime) -> bool:
    """True while a code can still be accepted: not used and not expired."""
    return used is None and now < expires


class Outcome(enum.Enum):
    """The result of presenting a code."""

    ACCEPTED = "accepted"
    MISMATCH = "mismatch"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"


def raise_for(outcome: Outcome, *, exhausted: type[Exception] | None = None) -> None:
    """Raise Cognito's error for a refused code; nothing for ACCEPTED.

    EXHAUSTED (too many wrong guesses) raises `exhausted` (TooManyFailedAttemptsException
    unless given) with Cognito's limit message; an operation that does not declare
    TooManyFailedAttemptsException passes LimitExceededException.
    """
    if outcome is Outcome.MISMATCH:
        raise CodeMismatchException(MISMATCH_MESSAGE)
    if outcome is Outcome.EXPIRED:
        raise ExpiredCodeException(EXPIRED_MESSAGE)
    if outcome is Outcome.EXHAUSTED:
        error = exhausted or TooManyFailedAttemptsException
        raise error(LIMIT_MESSAGE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Destination:
    """Where a code goes: the attribute, its value, and the wire DeliveryMedium."""

    attribute: str
    address: str

    @property
    def medium(self) -> str:
        """EMAIL or SMS."""
        return "EMAIL" if self.attribute == "email" else "SMS"


def sign_up_destination(
    auto_verified: Sequence[str], attributes: Mapping[str, str]
) -> Destination | None:
    """Where a new user's confirmation code goes, or None when nothing is auto-verified.

    Phone number first: with both auto-verified, Cognito sends the code by SMS only.
    """
    for attribute in ("phone_number", "email"):
        if attribute in auto_verified and attributes.get(attribute):
            return Destination(attribute=attribute, address=attributes[attribute])
    return None


_LEGACY_RECOVERY = ("verified_phone_number", "verified_email")


def recovery_destination(
    recovery_setting: Mapping[str, Any] | None, attributes: Mapping[str, str]
) -> Destination:
    """Where a forgot-password code goes, per AccountRecoverySetting.

    Raises NotAuthorizedException when recovery is `admin_only`, InvalidParameterException
    (Cognito's text) when the user has no verified contact the setting allows.
    """
    mechanisms = sorted(
        (recovery_setting or {}).get("RecoveryMechanisms") or [],
        key=lambda mechanism: int(mechanism.get("Priority", 0)),
    )
    names = [str(mechanism["Name"]) for mechanism in mechanisms] or list(_LEGACY_RECOVERY)
    if names == ["admin_only"]:
        raise NotAuthorizedException("Contact administrator to reset password.")
    for name in names:
        attribute = name.removeprefix("verified_")
        value = attributes.get(attribute)
        if value and attributes.get(VERIFIED_FLAG.get(attribute, "")) == "true":
            return Destination(attribute=attribute, address=value)
    raise InvalidParameterException(
        "Cannot reset password for the user as there is no registered/verified email or "
        "phone_number"
    )


def simulated_destination(
    recovery_setting: Mapping[str, Any] | None,
    auto_verified: Sequence[str],
    username: str,
    seed: str,
) -> Destination:
    """A made-up destination for a user who does not exist (PreventUserExistenceErrors ENABLED).

    Once masked it is shaped like a real answer, and it is the same on every call for the same
    `username` and `seed` (a keyed hash of the pool and name): a username that is an email or
    phone number is its own destination; otherwise the characters come from the seed.
    """
    mechanisms = (recovery_setting or {}).get("RecoveryMechanisms") or []
    preferred = [str(mechanism["Name"]).removeprefix("verified_") for mechanism in mechanisms]
    attribute = "email"
    if is_phone_number(username) or (
        not is_email(username) and ("phone_number" in (preferred[:1] or auto_verified[:1]))
    ):
        attribute = "phone_number"
    if is_email(username) or is_phone_number(username):
        return Destination(attribute=attribute, address=username)
    digest = hashlib.sha256(seed.encode()).hexdigest()
    letters = "abcdefghijklmnopqrstuvwxyz"
    if attribute == "email":
        local = letters[int(digest[:2], 16) % 26]
        domain = letters[int(digest[2:4], 16) % 26]
        address = f"{local}@{domain}"
    else:
        address = "+1555" + "".join(str(int(digit, 16) % 10) for digit in digest[:7])
    return Destination(attribute=attribute, address=address)
