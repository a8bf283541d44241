"""Time-based one-time passwords for software-token MFA.

RFC 6238 (TOTP) over RFC 4226 (HOTP) with the parameters Cognito and every authenticator app
use: HMAC-SHA-1, 6 digits, a 30-second step counted from the Unix epoch (developer guide,
"TOTP software token MFA"). A code is accepted for the current step and one step either side
(RFC 6238 §5.2 recommends at most one step of network delay); which step matched is returned
so the caller can refuse a second use of that step or any earlier one (§5.2: "the verifier MUST
NOT accept the second attempt of the OTP after the successful validation"), which the store
records atomically per user.

Secrets are 160 bits from the `secrets` CSPRNG (RFC 4226 §4 R6 recommends 160), shared as
unpadded base32, the form authenticator apps and `otpauth://` URIs take. Pure and sync.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from datetime import datetime
from typing import Final
from urllib.parse import quote, urlencode

import pyotp

SECRET_BYTES: Final = 20
"""160 bits, RFC 4226 §4 R6."""

STEP_SECONDS: Final = 30
DIGITS: Final = 6
WINDOW: Final = 1
"""Steps accepted either side of the current one."""


def new_secret() -> str:
    """A fresh shared secret: 160 random bits as base32 without padding (32 characters)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def step_of(moment: datetime) -> int:
    """The RFC 6238 time step T of `moment` (floor of Unix seconds / 30)."""
    return int(moment.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    """The code for `step` (RFC 4226 HOTP of the step counter, 6 digits)."""
    return pyotp.HOTP(secret, digits=DIGITS).at(step)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The step within WINDOW of `now` whose code is `code`, or None.

    Every candidate is compared in constant time and all are always computed, so the time
    taken does not say which step matched. Anything but six ASCII digits never matches.
    """
    is_well_formed = len(code) == DIGITS and code.isascii() and code.isdigit()
    current = step_of(now)
    found: int | None = None
    for step in range(max(current - WINDOW, 0), current + WINDOW + 1):
        expected = code_at(secret, step)
        if hmac.compare_digest(expected.encode(), code.encode()) and found is None:
            found = step
    return found if is_well_formed else None


def otpauth_uri(secret: str, *, account: str, issuer: str) -> str:
    """The `otpauth://totp/` URI an authenticator app scans (Key Uri Format, Google
    Authenticator wiki), naming the algorithm, digits and period explicitly."""
    label = quote(f"{issuer}:{account}", safe=":@")
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        }
    )
    return f"otpauth://totp/{label}?{query}"
