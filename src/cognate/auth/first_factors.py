"""USER_AUTH's first factors: which ones a pool allows, which a user can use, which a
GetUserAuthFactors lists.

Sources: cognito-surface.md §2b (USER_AUTH row, SELECT_CHALLENGE), the developer guide
"Authentication flows: choice-based sign-in" and the SignInPolicyType / GetUserAuthFactors API
references. The pool's Policies.SignInPolicy.AllowedFirstAuthFactors (default ["PASSWORD"])
names the factors; PASSWORD there also allows PASSWORD_SRP. WEB_AUTHN is offered to a user who
has a passkey for the pool (the caller knows: idp/passkey_sign_in.py). Pure and sync.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

from cognate.domain.attributes import is_phone_number
from cognate.domain.pool import Pool
from cognate.errors import InvalidParameterException


class FirstFactor(enum.StrEnum):
    """The first factors this engine offers in AvailableChallenges; the wire strings."""

    PASSWORD = "PASSWORD"  # noqa: S105 (a factor name, not a secret)
    PASSWORD_SRP = "PASSWORD_SRP"  # noqa: S105
    EMAIL_OTP = "EMAIL_OTP"
    SMS_OTP = "SMS_OTP"
    WEB_AUTHN = "WEB_AUTHN"


ORDER: Final = (
    FirstFactor.PASSWORD,
    FirstFactor.PASSWORD_SRP,
    FirstFactor.EMAIL_OTP,
    FirstFactor.SMS_OTP,
    FirstFactor.WEB_AUTHN,
)
"""The order AvailableChallenges lists factors in."""

CODE_FACTORS: Final = frozenset({FirstFactor.EMAIL_OTP, FirstFactor.SMS_OTP})
"""The factors proven with a one-time code sent to the user."""


def allowed_factors(pool: Pool) -> frozenset[FirstFactor]:
    """The factors the pool's SignInPolicy allows (PASSWORD brings PASSWORD_SRP with it)."""
    policy = (pool.config.get("Policies") or {}).get("SignInPolicy") or {}
    names = set(policy.get("AllowedFirstAuthFactors") or ["PASSWORD"])
    allowed = {factor for factor in FirstFactor if factor.value in names}
    if FirstFactor.PASSWORD in allowed:
        allowed.add(FirstFactor.PASSWORD_SRP)
    return frozenset(allowed)


def available_factors(
    pool: Pool, attributes: Mapping[str, str] | None, name: str, *, has_passkey: bool = False
) -> list[str]:
    """AvailableChallenges for a user with `attributes`, or (None) for the decoy of `name`.

    Password factors are always offered when allowed (for a decoy too); a code factor when the
    user has somewhere to send it; WEB_AUTHN when the user `has_passkey`. A decoy is offered
    what a typical user would be: EMAIL_OTP, and SMS_OTP when the name it was asked for is a
    phone number, and no passkey.
    """
    allowed = allowed_factors(pool)
    if not has_passkey:
        allowed -= {FirstFactor.WEB_AUTHN}
    if attributes is None:
        reachable = {FirstFactor.EMAIL_OTP}
        if is_phone_number(name):
            reachable.add(FirstFactor.SMS_OTP)
    else:
        reachable = set()
        if attributes.get("email"):
            reachable.add(FirstFactor.EMAIL_OTP)
        if attributes.get("phone_number"):
            reachable.add(FirstFactor.SMS_OTP)
    return [
        factor.value
        for factor in ORDER
        if factor in allowed and (factor not in CODE_FACTORS or factor in reachable)
    ]


def chosen_factor(answer: str, available: list[str]) -> FirstFactor:
    """The factor a SELECT_CHALLENGE ANSWER names, if it was offered."""
    if answer not in available:
        raise InvalidParameterException(f"Invalid ANSWER: {answer} is not an available challenge.")
    return FirstFactor(answer)


def configured_factors(
    pool: Pool, attributes: Mapping[str, str], *, has_password: bool, has_passkey: bool = False
) -> list[str]:
    """GetUserAuthFactors' ConfiguredUserAuthFactors: the first factors the user could sign in
    with now (PASSWORD when a password is set, a code factor when allowed and reachable,
    WEB_AUTHN when the user has a usable passkey)."""
    allowed = allowed_factors(pool)
    configured: list[str] = []
    if has_password:
        configured.append(FirstFactor.PASSWORD.value)
    if FirstFactor.EMAIL_OTP in allowed and attributes.get("email"):
        configured.append(FirstFactor.EMAIL_OTP.value)
    if FirstFactor.SMS_OTP in allowed and attributes.get("phone_number"):
        configured.append(FirstFactor.SMS_OTP.value)
    if FirstFactor.WEB_AUTHN in allowed and has_passkey:
        configured.append(FirstFactor.WEB_AUTHN.value)
    return configured
