"""Users as the engine sees them, and the username rules of a pool."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# The attributes ListUsers can filter on (developer guide, "ListUsers"), besides the username,
# status and sub columns; they are copied into the indexed `user_attributes` table.
FILTERABLE_ATTRIBUTES = frozenset(
    {"email", "phone_number", "name", "given_name", "family_name", "preferred_username"}
)


class UserStatus(enum.StrEnum):
    """UserStatusType; values are the wire strings."""

    UNCONFIRMED = "UNCONFIRMED"
    CONFIRMED = "CONFIRMED"
    ARCHIVED = "ARCHIVED"
    COMPROMISED = "COMPROMISED"
    UNKNOWN = "UNKNOWN"
    RESET_REQUIRED = "RESET_REQUIRED"
    FORCE_CHANGE_PASSWORD = "FORCE_CHANGE_PASSWORD"  # noqa: S105 (a status, not a secret)
    EXTERNAL_PROVIDER = "EXTERNAL_PROVIDER"


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """A stored user. `attributes` holds every attribute by name, `sub` included."""

    id: int
    pool_id: str
    username: str
    sub: str
    status: UserStatus
    is_enabled: bool
    attributes: Mapping[str, str]
    password: bytes | None
    password_set_at: datetime | None
    mfa: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime
    # GlobalSignOut cut-off: access tokens issued (iat) before it are refused.
    tokens_valid_after: datetime | None = None


def username_key(username: str, *, case_sensitive: bool) -> str:
    """The lookup form of a username or alias: lower-cased unless the pool is case-sensitive."""
    return username if case_sensitive else username.lower()
