"""ListUsers filter grammar, its round trip, the prefix range, and pagination tokens."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cognate.domain.pagination import decode_token, encode_token
from cognate.domain.user_filter import (
    FILTER_ATTRIBUTES,
    FilterOperator,
    UserFilter,
    enabled_values,
    parse,
    prefix_upper_bound,
    render,
    user_statuses,
)
from cognate.errors import InvalidParameterException

# Text a stored value can hold: no NUL, no lone surrogates.
storable_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
)
filters = st.builds(
    UserFilter,
    attribute=st.sampled_from(sorted(FILTER_ATTRIBUTES)),
    operator=st.sampled_from(list(FilterOperator)),
    value=storable_text,
)


@given(filters)
def test_parse_render_round_trip(parsed: UserFilter) -> None:
    assert parse(render(parsed)) == parsed


@given(filters, st.text(alphabet=" \t"), st.text(alphabet=" \t"))
def test_surrounding_space_is_ignored(parsed: UserFilter, before: str, after: str) -> None:
    assert parse(before + render(parsed) + after) == parsed


EQ, PREFIX = FilterOperator.EQUALS, FilterOperator.STARTS_WITH


@pytest.mark.parametrize(
    ("text", "attribute", "operator", "value"),
    [
        ('email = "a@b.c"', "email", EQ, "a@b.c"),
        ('name^="x"', "name", PREFIX, "x"),
        ('family_name = "Re\\"ddy"', "family_name", EQ, 'Re"ddy'),
        ('given_name = "back\\\\slash"', "given_name", EQ, "back\\slash"),
        ('sub = ""', "sub", EQ, ""),
        ('cognito:user_status = "confirmed"', "cognito:user_status", EQ, "confirmed"),
    ],
)
def test_parse_examples(text: str, attribute: str, operator: FilterOperator, value: str) -> None:
    assert parse(text) == UserFilter(attribute=attribute, operator=operator, value=value)


@pytest.mark.parametrize("text", ["", "   ", "\t"])
def test_blank_filter_lists_everyone(text: str) -> None:
    assert parse(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "email",
        "email =",
        "email = x",
        'email = "x',
        'email = "x\\"',
        'email == "x"',
        'email != "x"',
        '= "x"',
        'email = "x" extra',
        'email = "a\x00b"',
        'email = "\ud800"',
    ],
)
def test_malformed_filters(text: str) -> None:
    with pytest.raises(InvalidParameterException, match=re.escape("Error while parsing filter.")):
        parse(text)


@pytest.mark.parametrize("attribute", ["custom:tier", "locale", "Email", "address"])
def test_unsearchable_attributes(attribute: str) -> None:
    with pytest.raises(
        InvalidParameterException, match=re.escape(f"Invalid search attribute: {attribute}")
    ):
        parse(f'{attribute} = "x"')


def test_status_values() -> None:
    def status(text: str) -> list[bool]:
        parsed = parse(text)
        assert parsed is not None
        return enabled_values(parsed)

    assert status('status = "Enabled"') == [True]
    assert status('status = "Disabled"') == [False]
    assert status('status = "enabled"') == []
    assert status('status ^= ""') == [True, False]


def test_user_status_values_ignore_case() -> None:
    parsed = parse('cognito:user_status ^= "force"')
    assert parsed is not None
    assert user_statuses(parsed) == ["FORCE_CHANGE_PASSWORD"]


@given(storable_text, storable_text)
def test_prefix_range_is_exactly_startswith(prefix: str, candidate: str) -> None:
    bound = prefix_upper_bound(prefix)
    # Compare as stores do: by UTF-8 bytes, which is code-point order.
    encoded = candidate.encode()
    in_range = encoded >= prefix.encode() and (bound is None or encoded < bound.encode())
    assert in_range == candidate.startswith(prefix)


def test_prefix_bound_edges() -> None:
    assert prefix_upper_bound("") is None
    assert prefix_upper_bound("\U0010ffff") is None
    assert prefix_upper_bound("a\U0010ffff") == "b"
    assert prefix_upper_bound("\ud7ff") == "\ue000"
    assert prefix_upper_bound("user42") == "user43"


@given(st.text(min_size=1, max_size=20), st.integers(min_value=1, max_value=2**53))
def test_pagination_token_round_trip(pool_id: str, last_id: int) -> None:
    token = encode_token("users", pool_id, last_id)
    assert decode_token(token, "users", pool_id) == last_id


@given(st.text(max_size=20), st.text(max_size=20), st.integers())
def test_pagination_token_refused_in_another_pool(issuer: str, other: str, last_id: int) -> None:
    token = encode_token("users", issuer, last_id)
    if other != issuer:
        with pytest.raises(InvalidParameterException):
            decode_token(token, "users", other)
    with pytest.raises(InvalidParameterException):
        decode_token(token, "groups", issuer)
