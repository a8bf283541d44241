"""Password policy checks with Cognito's messages, and temporary passwords that pass them."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cognate.domain import password_policy
from cognate.domain.password_policy import (
    DEFAULT_PASSWORD_POLICY,
    SYMBOLS,
    check_password,
    generate_temporary_password,
)
from cognate.errors import InvalidPasswordException

PREFIX = "Password did not conform with policy: "


def rejection(policy: Mapping[str, Any], password: str, *, admin: bool = False) -> str:
    with pytest.raises(InvalidPasswordException) as caught:
        check_password(policy, password, admin=admin)
    return caught.value.message


def test_default_policy_is_cognitos_and_read_only():
    assert dict(DEFAULT_PASSWORD_POLICY) == {
        "MinimumLength": 8,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "TemporaryPasswordValidityDays": 7,
    }
    with pytest.raises(TypeError):
        DEFAULT_PASSWORD_POLICY["MinimumLength"] = 6  # type: ignore[index]  # the write must fail


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1!", "Password not long enough"),
        ("abcdefg1!", "Password must have uppercase characters"),
        ("ABCDEFG1!", "Password must have lowercase characters"),
        ("Abcdefgh!", "Password must have numeric characters"),
        ("Abcdefgh1", "Password must have symbol characters"),
    ],
)
def test_each_rule_has_cognitos_message(password, message):
    assert rejection(DEFAULT_PASSWORD_POLICY, password) == PREFIX + message
    assert rejection(DEFAULT_PASSWORD_POLICY, password, admin=True) == (
        "Password did not conform with password policy: " + message
    )


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Password not long enough"),
        ("........", "Password must have uppercase characters"),
        ("AAAAAAAA", "Password must have lowercase characters"),
        ("AAAAaaaa", "Password must have numeric characters"),
    ],
)
def test_first_broken_rule_wins_in_documented_order(password, message):
    assert rejection(DEFAULT_PASSWORD_POLICY, password) == PREFIX + message


def test_conforming_password_passes():
    check_password(DEFAULT_PASSWORD_POLICY, "Abcdefg1!")


@pytest.mark.parametrize("symbol", list(SYMBOLS))
def test_every_cognito_symbol_counts(symbol):
    check_password(DEFAULT_PASSWORD_POLICY, f"Abcdefg1{symbol}")


def test_space_is_a_symbol_and_other_characters_are_not():
    assert " " in SYMBOLS
    for character in ("é", "€", "\t", "😀"):
        assert rejection(DEFAULT_PASSWORD_POLICY, f"Abcdefg1{character}").endswith(
            "symbol characters"
        )


def test_letters_and_digits_are_basic_latin_only():
    policy = {"MinimumLength": 6, "RequireUppercase": True}
    assert rejection(policy, "ÄÖÜabc").endswith("uppercase characters")
    assert rejection({"RequireNumbers": True}, "Abcdefgh٣").endswith("numeric characters")


def test_absent_fields_are_not_required_and_length_defaults_to_eight():
    check_password({}, "aaaaaaaa")
    assert rejection({}, "aaaaaaa") == PREFIX + "Password not long enough"
    check_password({"MinimumLength": 6, "RequireSymbols": False}, "aaaaaa")


POLICIES = st.fixed_dictionaries(
    {
        "MinimumLength": st.integers(min_value=6, max_value=99),
        "RequireUppercase": st.booleans(),
        "RequireLowercase": st.booleans(),
        "RequireNumbers": st.booleans(),
        "RequireSymbols": st.booleans(),
        "TemporaryPasswordValidityDays": st.integers(min_value=0, max_value=365),
    }
)


@given(policy=POLICIES)
def test_temporary_password_satisfies_any_policy(policy):
    temporary = generate_temporary_password(policy)
    check_password(policy, temporary)
    check_password({**policy, **DEFAULT_PASSWORD_POLICY, "MinimumLength": 1}, temporary)
    assert len(temporary) == max(policy["MinimumLength"], 12)
    assert temporary == temporary.strip()
    assert set(temporary) <= set(string.ascii_letters + string.digits + SYMBOLS) - set(" \"'`\\<>")


def test_temporary_passwords_are_random():
    generated = {generate_temporary_password(DEFAULT_PASSWORD_POLICY) for _ in range(50)}
    assert len(generated) == 50


def test_prefixes_are_exported():
    assert password_policy.PUBLIC_PREFIX == PREFIX
    assert password_policy.ADMIN_PREFIX == "Password did not conform with password policy: "
