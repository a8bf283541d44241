"""Cognito's sign-in lockout: how long a run of wrong passwords locks an account.

Developer guide, "User sign-in lockout behavior" (under "Authentication flows"): after five
failed sign-in attempts Cognito locks the user out for one second, and the lockout doubles with
each further failure, up to about 15 minutes; attempts made while locked are answered with
NotAuthorizedException "Password attempts exceeded" and do not lengthen later lockouts; a
successful sign-in, or 15 minutes without an attempt, starts the count again
(security-test-plan.md B15-B17).

Every attempt is claimed *before* its password is checked (store/sign_in.py, atomically), and
no more attempts are in flight at once than could still fail before the lock: so however many
requests race, at most five verifications happen before the lock engages (security-test-plan.md
B20). Attempts beyond that wait for the ones in flight instead of being refused, so many
concurrent sign-ins with the right password all succeed. The rules here are pure; the counter
itself lives in the store.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from cognate.errors import NotAuthorizedException

THRESHOLD: Final = 5
"""The number of failures that first locks the account (for one second)."""

LONGEST_LOCKOUT: Final = timedelta(minutes=15)
"""The cap on one lockout: Cognito's "about 15 minutes" (2^10 s would be 17 minutes)."""

QUIET_RESET: Final = timedelta(minutes=15)
"""A counter untouched this long starts again from zero. It is never shorter than the longest
lockout, so forgetting a row can never end a lockout early: rows this old may be pruned."""

ABANDONED_AFTER: Final = timedelta(seconds=30)
"""An attempt still in flight this long died with its process (a check takes milliseconds)."""

BUSY_WAIT: Final = timedelta(seconds=3)
"""How long an attempt waits for those in flight before it is answered as locked out."""

FAILED_PROOF_FLOOR: Final = timedelta(milliseconds=10)
"""A wrong password or code is answered no sooner than this after its request arrived.

Checking a password takes about a millisecond, and an unknown name (PreventUserExistenceErrors
ENABLED) does the same work as a wrong password to within tens of microseconds; answering both
at a fixed time leaves nothing in the timing to tell them apart (security-test-plan.md A3),
and slows guessing a little. Only failures wait: a correct sign-in is answered at once."""

LOCKED_MESSAGE: Final = "Password attempts exceeded"
"""Cognito's message while an account is locked."""


def lockout_after(failures: int) -> timedelta:
    """How long the account stays locked once it has `failures` consecutive failures.

    Zero below THRESHOLD, then 2^(failures - THRESHOLD) seconds, capped at LONGEST_LOCKOUT.
    """
    if failures < THRESHOLD:
        return timedelta(0)
    exponent = failures - THRESHOLD
    # 2^10 s already exceeds the cap; stop before building huge powers for huge counts.
    if exponent >= 10:
        return LONGEST_LOCKOUT
    return min(timedelta(seconds=2**exponent), LONGEST_LOCKOUT)


def locked_out() -> NotAuthorizedException:
    """The error answered for any attempt while the account is locked."""
    return NotAuthorizedException(LOCKED_MESSAGE)
