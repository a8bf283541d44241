"""User attributes against the pool schema, and the sign-in aliases a user's attributes give.

Rules follow the Cognito developer guide ("Working with user attributes", "Customizing sign-in
attributes"): an attribute must be in the schema; `sub` is never written by a client;
non-mutable attributes are set only at creation; strings respect StringAttributeConstraints,
numbers NumberAttributeConstraints, booleans are `true`/`false`. Messages are Cognito's
"Attributes did not conform to the schema: <name>: <reason>" form.

Aliases: an email or phone number is a sign-in alias only once verified (`*_verified` is
`true`), except in pools where it is the username attribute: there it is the sign-in name
itself and unique whether verified or not. `preferred_username` is an alias whenever the pool
lists it. Alias keys are lower-cased (email, preferred_username) unless the pool is
case-sensitive; phone numbers are kept as written (E.164 has no case).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from cognate.domain.pool import Pool
from cognate.errors import InvalidParameterException

ALIAS_KINDS = ("email", "phone_number", "preferred_username")
"""Alias kinds, in the order a lookup prefers them."""

VERIFIED_FLAG = {"email": "email_verified", "phone_number": "phone_number_verified"}
"""The verification attribute of each contact attribute."""

_PHONE = re.compile(r"\+[0-9]{4,15}")
_BOOLEANS = frozenset({"true", "false"})


def schema_error(name: str, reason: str) -> InvalidParameterException:
    """Cognito's schema-violation error for attribute `name`."""
    return InvalidParameterException(f"Attributes did not conform to the schema: {name}: {reason}")


def is_email(value: str) -> bool:
    """Cognito's light email check: something on both sides of one `@`, no spaces."""
    local, sep, domain = value.partition("@")
    return (
        bool(sep and local and domain)
        and "@" not in domain
        and not any(character.isspace() for character in value)
    )


def is_phone_number(value: str) -> bool:
    """E.164 as Cognito requires it: `+` then digits only."""
    return _PHONE.fullmatch(value) is not None


def check_attributes(
    schema: Iterable[Mapping[str, Any]],
    attributes: Iterable[Mapping[str, Any]],
    *,
    is_creation: bool,
) -> dict[str, str]:
    """The validated `attributes` (AttributeType list) as a name -> value dict, last one winning.

    Raises InvalidParameterException for an attribute not in the schema, `sub`, a non-mutable
    attribute outside creation, or a value breaking its type or constraints. An empty value is
    kept as "" (the caller decides whether that clears the attribute).
    """
    by_name = {attribute["Name"]: attribute for attribute in schema}
    result: dict[str, str] = {}
    for item in attributes:
        name = str(item["Name"])
        value = str(item.get("Value") or "")
        definition = by_name.get(name)
        if definition is None:
            raise schema_error(name, "Attribute does not exist in the schema.")
        if name == "sub" or (not is_creation and not definition.get("Mutable", True)):
            raise schema_error(name, "Attribute cannot be updated.")
        if value:
            check_value(definition, value)
        result[name] = value
    return result


def check_value(definition: Mapping[str, Any], value: str) -> None:
    """Raise InvalidParameterException if `value` breaks the attribute's type or constraints."""
    name = definition["Name"]
    data_type = definition.get("AttributeDataType", "String")
    if data_type == "Boolean" and value not in _BOOLEANS:
        raise schema_error(name, "Value must be either true or false.")
    if data_type == "Number":
        _check_number(name, definition.get("NumberAttributeConstraints") or {}, value)
    if data_type == "String":
        _check_length(name, definition.get("StringAttributeConstraints") or {}, value)
    if name == "email" and not is_email(value):
        raise InvalidParameterException("Invalid email address format.")
    if name == "phone_number" and not is_phone_number(value):
        raise InvalidParameterException("Invalid phone number format.")


def _check_length(name: str, constraints: Mapping[str, Any], value: str) -> None:
    if "MaxLength" in constraints and len(value) > int(constraints["MaxLength"]):
        raise schema_error(
            name, f"String must be no longer than {constraints['MaxLength']} characters"
        )
    if "MinLength" in constraints and len(value) < int(constraints["MinLength"]):
        raise schema_error(name, f"String must be at least {constraints['MinLength']} characters")


def _check_number(name: str, constraints: Mapping[str, Any], value: str) -> None:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise schema_error(name, "Number is invalid.") from None
    if not number.is_finite():
        raise schema_error(name, "Number is invalid.")
    if "MinValue" in constraints and number < Decimal(str(constraints["MinValue"])):
        raise schema_error(name, f"Number must be no less than {constraints['MinValue']}")
    if "MaxValue" in constraints and number > Decimal(str(constraints["MaxValue"])):
        raise schema_error(name, f"Number must be no greater than {constraints['MaxValue']}")


def check_required(schema: Iterable[Mapping[str, Any]], attributes: Mapping[str, str]) -> None:
    """Raise InvalidParameterException naming the first required attribute without a value.

    `sub` is required in every schema but is assigned by the server, so it is not checked.
    """
    for definition in schema:
        name = definition["Name"]
        if definition.get("Required") and name != "sub" and not attributes.get(name):
            raise schema_error(name, "The attribute is required")


def updated_attributes(current: Mapping[str, str], changes: Mapping[str, str]) -> dict[str, str]:
    """The attributes after an admin update: `changes` applied, "" removing an attribute.

    A changed email or phone number is unverified again unless the same call sets its
    `*_verified` flag: an administrator vouching for the new value is the only way it keeps
    its verified status (Cognito, AdminUpdateUserAttributes).
    """
    result = dict(current)
    for name, value in changes.items():
        if value:
            result[name] = value
        else:
            result.pop(name, None)
    for contact, flag in VERIFIED_FLAG.items():
        if contact in changes and changes[contact] != current.get(contact) and flag not in changes:
            if contact in result:
                result[flag] = "false"
            else:
                result.pop(flag, None)
    return result


def verified_before_update(pool: Pool) -> frozenset[str]:
    """The contact attributes the pool lists in UserAttributeUpdateSettings.
    AttributesRequireVerificationBeforeUpdate (email, phone_number, or both)."""
    settings: Mapping[str, Any] = pool.config.get("UserAttributeUpdateSettings") or {}
    listed = settings.get("AttributesRequireVerificationBeforeUpdate") or []
    return frozenset(name for name in listed if name in VERIFIED_FLAG)


def split_pending(
    pool: Pool, current: Mapping[str, str], changes: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """(changes to apply now, new values to hold until verified) for an attribute update.

    Cognito developer guide, "Verifying updates to email addresses and phone numbers": when the
    pool lists email or phone_number in AttributesRequireVerificationBeforeUpdate, a new value
    of it is not applied (the old one stays the attribute and the sign-in alias) until the
    user verifies it, unless the same call sets its `*_verified` flag to `true` (an
    administrator vouching for it). Clearing an attribute, or writing its current value, is
    applied at once: there is nothing new to verify.
    """
    held_names = verified_before_update(pool)
    held = {
        name: value
        for name, value in changes.items()
        if name in held_names
        and value
        and value != current.get(name)
        and changes.get(VERIFIED_FLAG[name]) != "true"
    }
    applied = {name: value for name, value in changes.items() if name not in held}
    return applied, held


def without_attributes(
    schema: Iterable[Mapping[str, Any]], current: Mapping[str, str], names: Iterable[str]
) -> dict[str, str]:
    """The attributes after AdminDeleteUserAttributes removes `names`.

    Removing email or phone_number removes its verification flag too. Raises
    InvalidParameterException for an unknown name, `sub`, a non-mutable or a required one.
    """
    by_name = {attribute["Name"]: attribute for attribute in schema}
    result = dict(current)
    for name in names:
        definition = by_name.get(name)
        if definition is None:
            raise schema_error(name, "Attribute does not exist in the schema.")
        if name == "sub" or not definition.get("Mutable", True):
            raise schema_error(name, "Attribute cannot be updated.")
        if definition.get("Required"):
            raise schema_error(name, "The attribute is required")
        result.pop(name, None)
        if name in VERIFIED_FLAG:
            result.pop(VERIFIED_FLAG[name], None)
    return result


def alias_key(pool: Pool, kind: str, value: str) -> str:
    """The stored lookup form of an alias value of `kind` in `pool`."""
    if kind == "phone_number" or pool.is_case_sensitive:
        return value
    return value.lower()


def aliases_of(pool: Pool, attributes: Mapping[str, str]) -> dict[str, str]:
    """The aliases (kind -> key) a user with `attributes` holds in `pool`.

    Username attributes count whether verified or not; alias attributes email and
    phone_number only when verified; preferred_username whenever the pool lists it.
    """
    result: dict[str, str] = {}
    for kind in ALIAS_KINDS:
        value = attributes.get(kind)
        if not value:
            continue
        is_verified = kind not in VERIFIED_FLAG or attributes.get(VERIFIED_FLAG[kind]) == "true"
        if kind in pool.username_attributes or (kind in pool.alias_attributes and is_verified):
            result[kind] = alias_key(pool, kind, value)
    return result


def lookup_kinds(pool: Pool) -> tuple[str, ...]:
    """The alias kinds a sign-in name may be in `pool`, in lookup order."""
    enabled = set(pool.username_attributes) | set(pool.alias_attributes)
    return tuple(kind for kind in ALIAS_KINDS if kind in enabled)
