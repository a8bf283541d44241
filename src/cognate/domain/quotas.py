"""Cognito's per-user API quotas: how often one user may call an operation per hour.

"Quotas in Amazon Cognito" (archived `limits.md`, security-test-plan.md §1e), non-adjustable:
ConfirmForgotPassword 5-20 an hour depending on risk (Cognate takes 10: Cognate scores no
risk), ResendConfirmationCode 5, ConfirmSignUp 15, ChangePassword 5,
GetUserAttributeVerificationCode 5 and VerifyUserAttribute 15. The call over the quota gets
LimitExceededException (every one of these operations declares it) with `codes.LIMIT_MESSAGE`,
and changes nothing.

These are counts of calls, on top of the limits on codes themselves (domain/codes.py): a code
dies after `codes.MAX_FAILED_ATTEMPTS` wrong guesses, and sends are budgeted per purpose. The
quota is what stops an attacker from guessing on through code after code.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType

WINDOW = timedelta(hours=1)
"""A quota's window: it starts at a user's first counted call and refills when it ends."""


class Quota(enum.StrEnum):
    """An operation limited per user; the value is the `one_time_codes.purpose` of the row
    counting the user's calls in the current window (store/codes.py `take_send`)."""

    CONFIRM_FORGOT_PASSWORD = "CALLS:ConfirmForgotPassword"  # noqa: S105 (a purpose, not a secret)
    RESEND_CONFIRMATION_CODE = "CALLS:ResendConfirmationCode"
    CONFIRM_SIGN_UP = "CALLS:ConfirmSignUp"
    CHANGE_PASSWORD = "CALLS:ChangePassword"  # noqa: S105 (a purpose, not a secret)
    GET_USER_ATTRIBUTE_VERIFICATION_CODE = "CALLS:GetUserAttributeVerificationCode"
    VERIFY_USER_ATTRIBUTE = "CALLS:VerifyUserAttribute"


LIMITS: Mapping[Quota, int] = MappingProxyType(
    {
        Quota.CONFIRM_FORGOT_PASSWORD: 10,
        Quota.RESEND_CONFIRMATION_CODE: 5,
        Quota.CONFIRM_SIGN_UP: 15,
        Quota.CHANGE_PASSWORD: 5,
        Quota.GET_USER_ATTRIBUTE_VERIFICATION_CODE: 5,
        Quota.VERIFY_USER_ATTRIBUTE: 15,
    }
)
"""Calls per user per `WINDOW`, by operation: the one place these numbers live."""
