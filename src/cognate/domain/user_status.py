"""How administrative operations move a user between UserStatus values.

Cognito API reference (AdminConfirmSignUp, AdminResetUserPassword, AdminSetUserPassword) and
the error texts Cognito answers when a user is in the wrong state.
"""

from __future__ import annotations

from cognate.domain.user import UserStatus
from cognate.errors import NotAuthorizedException

_RESETTABLE = frozenset({UserStatus.CONFIRMED, UserStatus.RESET_REQUIRED})


def after_admin_confirm(status: UserStatus) -> UserStatus:
    """CONFIRMED for an UNCONFIRMED user; NotAuthorizedException naming any other status."""
    if status is not UserStatus.UNCONFIRMED:
        raise NotAuthorizedException(f"User cannot be confirmed. Current status is {status}")
    return UserStatus.CONFIRMED


def after_admin_reset(status: UserStatus) -> UserStatus:
    """RESET_REQUIRED for a user who has a password of their own; NotAuthorizedException else.

    A user still on a temporary password (FORCE_CHANGE_PASSWORD), unconfirmed or federated has
    no password of their own to reset.
    """
    if status not in _RESETTABLE:
        raise NotAuthorizedException("User password cannot be reset in the current state.")
    return UserStatus.RESET_REQUIRED


def after_admin_set_password(*, is_permanent: bool) -> UserStatus:
    """CONFIRMED for a permanent password, FORCE_CHANGE_PASSWORD for a temporary one."""
    return UserStatus.CONFIRMED if is_permanent else UserStatus.FORCE_CHANGE_PASSWORD
