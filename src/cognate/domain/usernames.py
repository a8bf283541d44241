"""The username a new user is stored under, by the pool's sign-in configuration.

Cognito developer guide, "Customizing sign-in attributes": in a pool with UsernameAttributes
the name given at creation must be an email or phone number (as configured); it becomes that
attribute, and the stored username is a UUID (the user's `sub`). In a pool with an email or
phone alias, a username may not look like one, so that a sign-in name is never ambiguous.
Otherwise the username is stored as given, case preserved, and matched by its key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cognate.domain.attributes import check_attributes, check_required, is_email, is_phone_number
from cognate.domain.pool import Pool
from cognate.errors import InvalidParameterException

_SHOULD_BE = {
    ("email",): "Username should be an email.",
    ("phone_number",): "Username should be a phone number.",
    ("email", "phone_number"): "Username should be either an email or a phone number.",
}


def username_kind(pool: Pool, name: str) -> str | None:
    """Which of the pool's username attributes `name` is written as, if any."""
    if "email" in pool.username_attributes and is_email(name):
        return "email"
    if "phone_number" in pool.username_attributes and is_phone_number(name):
        return "phone_number"
    return None


def new_username(
    pool: Pool, name: str, attributes: Mapping[str, str], sub: str
) -> tuple[str, dict[str, str]]:
    """The stored username and attributes of a user created as `name` with `attributes`.

    Raises InvalidParameterException when `name` does not fit the pool's sign-in rules.
    """
    result = dict(attributes)
    if pool.username_attributes:
        kind = username_kind(pool, name)
        if kind is None:
            allowed = tuple(sorted(pool.username_attributes))
            raise InvalidParameterException(_SHOULD_BE.get(allowed, "Username should be an email."))
        result[kind] = name
        return sub, result
    if "email" in pool.alias_attributes and is_email(name):
        raise InvalidParameterException(
            "Username cannot be of email format, since user pool is configured for email alias."
        )
    if "phone_number" in pool.alias_attributes and is_phone_number(name):
        raise InvalidParameterException(
            "Username cannot be of phone number format, since user pool is configured for "
            "phone number alias."
        )
    return name, result


def new_user_attributes(
    pool: Pool, name: str, given: Iterable[Mapping[str, Any]], sub: str
) -> tuple[str, dict[str, str]]:
    """The stored username and full attributes (`sub` first) of a user created as `name` with
    the AttributeType list `given`: the one rule set of AdminCreateUser and CSV user import.

    Raises InvalidParameterException for an attribute the schema refuses, a name that does not
    fit the pool's sign-in rules, or a required attribute left out.
    """
    checked = check_attributes(pool.schema, given, is_creation=True)
    attributes = {attribute: value for attribute, value in checked.items() if value}
    username, attributes = new_username(pool, name, attributes, sub)
    attributes = {"sub": sub, **attributes}
    check_required(pool.schema, attributes)
    return username, attributes
