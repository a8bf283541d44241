"""Attribute rules against the pool schema, and the aliases a user's attributes give."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cognate.domain.attributes import (
    aliases_of,
    check_attributes,
    check_required,
    is_email,
    is_phone_number,
    lookup_kinds,
    updated_attributes,
    without_attributes,
)
from cognate.domain.pool import Pool
from cognate.domain.schema import build_schema
from cognate.domain.user import UserStatus
from cognate.domain.user_status import (
    after_admin_confirm,
    after_admin_reset,
    after_admin_set_password,
)
from cognate.domain.usernames import new_username
from cognate.errors import InvalidParameterException, NotAuthorizedException

NOW = datetime(2024, 1, 1, tzinfo=UTC)
SCHEMA = build_schema(
    [
        {"Name": "email", "AttributeDataType": "String", "Required": True},
        {
            "Name": "age",
            "AttributeDataType": "Number",
            "NumberAttributeConstraints": {"MinValue": "1", "MaxValue": "99"},
        },
        {
            "Name": "code",
            "AttributeDataType": "String",
            "Mutable": False,
            "StringAttributeConstraints": {"MinLength": "2", "MaxLength": "4"},
        },
    ]
)


def pool(**config: Any) -> Pool:
    return Pool(id="us-east-1_abcdefghi", name="p", config=config, created_at=NOW, updated_at=NOW)


def attrs(**values: str) -> list[dict[str, str]]:
    return [{"Name": name.replace("__", ":"), "Value": value} for name, value in values.items()]


def test_valid_attributes_become_a_dict() -> None:
    result = check_attributes(SCHEMA, attrs(email="a@b.c", custom__age="5"), is_creation=True)
    assert result == {"email": "a@b.c", "custom:age": "5"}


@pytest.mark.parametrize(
    ("given", "is_creation", "message"),
    [
        (attrs(foo="1"), True, "foo: Attribute does not exist in the schema."),
        (attrs(sub="x"), True, "sub: Attribute cannot be updated."),
        (attrs(custom__code="ab"), False, "custom:code: Attribute cannot be updated."),
        (attrs(custom__code="a"), True, "custom:code: String must be at least 2 characters"),
        (
            attrs(custom__code="abcde"),
            True,
            "custom:code: String must be no longer than 4 characters",
        ),
        (attrs(custom__age="0"), True, "custom:age: Number must be no less than 1"),
        (attrs(custom__age="100"), True, "custom:age: Number must be no greater than 99"),
        (attrs(custom__age="abc"), True, "custom:age: Number is invalid."),
        (attrs(custom__age="NaN"), True, "custom:age: Number is invalid."),
        (attrs(email_verified="TRUE"), True, "email_verified: Value must be either true or false."),
        (attrs(email="nope"), True, "Invalid email address format."),
        (attrs(phone_number="+1 555 0100"), True, "Invalid phone number format."),
    ],
)
def test_schema_violations(given: list[dict[str, str]], is_creation: bool, message: str) -> None:
    with pytest.raises(InvalidParameterException) as raised:
        check_attributes(SCHEMA, given, is_creation=is_creation)
    assert raised.value.message.endswith(message)


def test_immutable_attribute_settable_at_creation() -> None:
    assert check_attributes(SCHEMA, attrs(custom__code="ab"), is_creation=True)


def test_required_attributes() -> None:
    with pytest.raises(InvalidParameterException, match="email: The attribute is required"):
        check_required(SCHEMA, {"sub": "x"})
    check_required(SCHEMA, {"email": "a@b.c"})


@given(st.from_regex(r"\+[0-9]{4,15}", fullmatch=True))
def test_e164_numbers_are_phone_numbers(number: str) -> None:
    assert is_phone_number(number)
    assert not is_email(number)


@pytest.mark.parametrize("value", ["a@b", "first.last+tag@example.co.uk"])
def test_emails(value: str) -> None:
    assert is_email(value)


@pytest.mark.parametrize("value", ["@b", "a@", "a b@c", "a@b@c", "ab"])
def test_not_emails(value: str) -> None:
    assert not is_email(value)


def test_update_resets_verification_of_changed_contact() -> None:
    current = {"email": "a@b.c", "email_verified": "true", "phone_number": "+15550100"}
    assert updated_attributes(current, {"email": "x@y.z"})["email_verified"] == "false"
    assert updated_attributes(current, {"email": "a@b.c"})["email_verified"] == "true"
    kept = updated_attributes(current, {"email": "x@y.z", "email_verified": "true"})
    assert kept["email_verified"] == "true"
    assert updated_attributes(current, {"phone_number": "+15550199"})["phone_number_verified"] == (
        "false"
    )
    cleared = updated_attributes(current, {"email": ""})
    assert "email" not in cleared and "email_verified" not in cleared


def test_delete_attributes() -> None:
    current = {"sub": "s", "email": "a@b.c", "email_verified": "true", "name": "n"}
    schema = build_schema([])
    assert without_attributes(schema, current, ["email", "name"]) == {"sub": "s"}
    for name, message in (("sub", "cannot be updated"), ("nope", "does not exist")):
        with pytest.raises(InvalidParameterException, match=message):
            without_attributes(schema, current, [name])
    with pytest.raises(InvalidParameterException, match="required"):
        without_attributes(SCHEMA, current, ["email"])


def test_alias_attributes_need_verification() -> None:
    alias_pool = pool(AliasAttributes=["email", "phone_number", "preferred_username"])
    attributes = {"email": "A@B.c", "phone_number": "+15550100", "preferred_username": "Pat"}
    assert aliases_of(alias_pool, attributes) == {"preferred_username": "pat"}
    verified = {**attributes, "email_verified": "true", "phone_number_verified": "true"}
    assert aliases_of(alias_pool, verified) == {
        "email": "a@b.c",
        "phone_number": "+15550100",
        "preferred_username": "pat",
    }
    assert lookup_kinds(alias_pool) == ("email", "phone_number", "preferred_username")


def test_username_attributes_are_aliases_unverified() -> None:
    email_pool = pool(UsernameAttributes=["email"])
    assert aliases_of(email_pool, {"email": "A@B.c", "phone_number": "+15550100"}) == {
        "email": "a@b.c"
    }
    assert lookup_kinds(email_pool) == ("email",)


def test_case_sensitive_pool_keeps_alias_case() -> None:
    sensitive = pool(
        AliasAttributes=["preferred_username"], UsernameConfiguration={"CaseSensitive": True}
    )
    assert aliases_of(sensitive, {"preferred_username": "Pat"}) == {"preferred_username": "Pat"}


def test_no_aliases_without_configuration() -> None:
    assert aliases_of(pool(), {"email": "a@b.c", "email_verified": "true"}) == {}
    assert lookup_kinds(pool()) == ()


def test_new_username_rules() -> None:
    assert new_username(pool(), "Bob", {}, "sub-1") == ("Bob", {})
    assert new_username(pool(UsernameAttributes=["email"]), "a@b.c", {}, "sub-1") == (
        "sub-1",
        {"email": "a@b.c"},
    )
    both = pool(UsernameAttributes=["email", "phone_number"])
    assert new_username(both, "+15550100", {}, "s")[1] == {"phone_number": "+15550100"}
    with pytest.raises(InvalidParameterException, match="either an email or a phone number"):
        new_username(both, "bob", {}, "s")
    with pytest.raises(InvalidParameterException, match="cannot be of email format"):
        new_username(pool(AliasAttributes=["email"]), "a@b.c", {}, "s")
    with pytest.raises(InvalidParameterException, match="cannot be of phone number format"):
        new_username(pool(AliasAttributes=["phone_number"]), "+15550100", {}, "s")


def test_status_transitions() -> None:
    assert after_admin_confirm(UserStatus.UNCONFIRMED) is UserStatus.CONFIRMED
    with pytest.raises(NotAuthorizedException, match="Current status is CONFIRMED"):
        after_admin_confirm(UserStatus.CONFIRMED)
    assert after_admin_reset(UserStatus.CONFIRMED) is UserStatus.RESET_REQUIRED
    with pytest.raises(NotAuthorizedException, match="cannot be reset"):
        after_admin_reset(UserStatus.FORCE_CHANGE_PASSWORD)
    assert after_admin_set_password(is_permanent=True) is UserStatus.CONFIRMED
    assert after_admin_set_password(is_permanent=False) is UserStatus.FORCE_CHANGE_PASSWORD
