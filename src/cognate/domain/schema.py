"""A pool's attribute schema: Cognito's standard attributes plus the pool's custom ones.

The standard set and its constraints are what DescribeUserPool reports for a new Cognito pool
(developer guide, "Working with user attributes"). Custom attributes are stored and reported with
their `custom:` prefix (or `dev:custom:` when DeveloperOnlyAttribute), as Cognito does.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from cognate.errors import InvalidParameterException

SchemaAttribute = dict[str, Any]

_STRING_NAMES = [
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "gender",
    "zoneinfo",
    "locale",
    "phone_number",
    "address",
]


def _string(name: str, *, minimum: int = 0, maximum: int = 2048) -> SchemaAttribute:
    return {
        "Name": name,
        "AttributeDataType": "String",
        "DeveloperOnlyAttribute": False,
        "Mutable": True,
        "Required": False,
        "StringAttributeConstraints": {"MinLength": str(minimum), "MaxLength": str(maximum)},
    }


def _boolean(name: str) -> SchemaAttribute:
    return {
        "Name": name,
        "AttributeDataType": "Boolean",
        "DeveloperOnlyAttribute": False,
        "Mutable": True,
        "Required": False,
    }


def standard_schema() -> list[SchemaAttribute]:
    """Cognito's standard attributes, in DescribeUserPool's order, as fresh dicts."""
    sub = _string("sub", minimum=1)
    sub.update(Mutable=False, Required=True)
    attributes = [sub, *(_string(name) for name in _STRING_NAMES[:10])]
    attributes += [_boolean("email_verified"), _string("gender"), _string("birthdate", minimum=10)]
    attributes[-1]["StringAttributeConstraints"]["MaxLength"] = "10"
    attributes += [_string("zoneinfo"), _string("locale"), _string("phone_number")]
    attributes += [_boolean("phone_number_verified"), _string("address")]
    attributes.append(
        {
            "Name": "updated_at",
            "AttributeDataType": "Number",
            "DeveloperOnlyAttribute": False,
            "Mutable": True,
            "Required": False,
            "NumberAttributeConstraints": {"MinValue": "0"},
        }
    )
    attributes.append(
        {
            "Name": "identities",
            "AttributeDataType": "String",
            "DeveloperOnlyAttribute": False,
            "Mutable": True,
            "Required": False,
            "StringAttributeConstraints": {},
        }
    )
    return attributes


STANDARD_NAMES = frozenset(attribute["Name"] for attribute in standard_schema())


def build_schema(requested: Sequence[Mapping[str, Any]]) -> list[SchemaAttribute]:
    """The schema of a new pool: the standard set changed by `requested`, then custom ones.

    Raises InvalidParameterException for duplicates or a standard attribute given another type.
    """
    schema = standard_schema()
    by_name = {attribute["Name"]: attribute for attribute in schema}
    seen: set[str] = set()
    for item in requested:
        name = item.get("Name", "")
        if name in seen:
            raise InvalidParameterException(f"Duplicate attribute name: {name}")
        seen.add(name)
        standard = by_name.get(name)
        if standard is None:
            schema.append(custom_attribute(item))
            continue
        data_type = item.get("AttributeDataType", standard["AttributeDataType"])
        if data_type != standard["AttributeDataType"] or name == "sub":
            raise InvalidParameterException(
                f"You can not change AttributeDataType or set developerOnlyAttribute for "
                f"standard schema attribute {name}"
            )
        for key in ("Mutable", "Required"):
            if key in item:
                standard[key] = item[key]
        for key in ("StringAttributeConstraints", "NumberAttributeConstraints"):
            if key in item and key in standard:
                standard[key].update(item[key])
    return schema


def custom_attribute(item: Mapping[str, Any]) -> SchemaAttribute:
    """A custom attribute definition, its name prefixed as Cognito stores it."""
    name = item.get("Name", "")
    if not name or name.startswith(("custom:", "dev:")):
        name = name.removeprefix("dev:").removeprefix("custom:")
    if not name:
        raise InvalidParameterException("Attribute name must not be empty.")
    if item.get("Required"):
        raise InvalidParameterException(
            f"Required custom attributes are not supported currently. Attribute: {name}"
        )
    data_type = item.get("AttributeDataType") or "String"
    attribute: SchemaAttribute = {
        "Name": ("dev:custom:" if item.get("DeveloperOnlyAttribute") else "custom:") + name,
        "AttributeDataType": data_type,
        "DeveloperOnlyAttribute": bool(item.get("DeveloperOnlyAttribute", False)),
        "Mutable": bool(item.get("Mutable", True)),
        "Required": False,
    }
    if data_type == "String":
        attribute["StringAttributeConstraints"] = dict(item.get("StringAttributeConstraints") or {})
    elif data_type == "Number":
        attribute["NumberAttributeConstraints"] = dict(item.get("NumberAttributeConstraints") or {})
    return attribute


def add_custom_attributes(
    schema: Sequence[Mapping[str, Any]], requested: Sequence[Mapping[str, Any]]
) -> list[SchemaAttribute]:
    """`schema` with `requested` custom attributes appended (AddCustomAttributes).

    Raises InvalidParameterException if a name exists already or the pool would pass 50 custom ones.
    """
    result = [copy.deepcopy(dict(attribute)) for attribute in schema]
    names = {attribute["Name"] for attribute in result}
    for item in requested:
        attribute = custom_attribute(item)
        if attribute["Name"] in names:
            raise InvalidParameterException(
                f"{attribute['Name']}: Existing attribute already has name {attribute['Name']}."
            )
        names.add(attribute["Name"])
        result.append(attribute)
    if sum(1 for name in names if "custom:" in name) > 50:
        raise InvalidParameterException("A user pool can have at most 50 custom attributes.")
    return result
