"""Which attribute changes UserAttributeUpdateSettings holds until verified (developer guide,
"Verifying updates to email addresses and phone numbers")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from cognate.domain.attributes import split_pending, verified_before_update
from cognate.domain.pool import Pool

NOW = datetime(2024, 1, 1, tzinfo=UTC)
CURRENT = {"email": "old@example.com", "email_verified": "true", "phone_number": "+15550100"}


def pool(**config: Any) -> Pool:
    return Pool(id="us-east-1_abcdefghi", name="p", config=config, created_at=NOW, updated_at=NOW)


HOLD_BOTH = pool(
    UserAttributeUpdateSettings={
        "AttributesRequireVerificationBeforeUpdate": ["email", "phone_number"]
    }
)


def test_listed_attributes() -> None:
    assert verified_before_update(pool()) == frozenset()
    assert verified_before_update(pool(UserAttributeUpdateSettings={})) == frozenset()
    assert verified_before_update(HOLD_BOTH) == {"email", "phone_number"}


def test_without_the_setting_everything_applies() -> None:
    changes = {"email": "new@example.com", "name": "N"}
    assert split_pending(pool(), CURRENT, changes) == (changes, {})


def test_new_contact_values_are_held_and_the_rest_applied() -> None:
    changes = {"email": "new@example.com", "phone_number": "+15550199", "name": "N"}
    applied, held = split_pending(HOLD_BOTH, CURRENT, changes)
    assert applied == {"name": "N"}
    assert held == {"email": "new@example.com", "phone_number": "+15550199"}


def test_only_listed_attributes_are_held() -> None:
    only_phone = pool(
        UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["phone_number"]}
    )
    changes = {"email": "new@example.com", "phone_number": "+15550199"}
    assert split_pending(only_phone, CURRENT, changes) == (
        {"email": "new@example.com"},
        {"phone_number": "+15550199"},
    )


def test_vouched_cleared_and_unchanged_values_apply_at_once() -> None:
    vouched = {"email": "new@example.com", "email_verified": "true"}
    assert split_pending(HOLD_BOTH, CURRENT, vouched) == (vouched, {})
    not_vouched = {"email": "new@example.com", "email_verified": "false"}
    assert split_pending(HOLD_BOTH, CURRENT, not_vouched) == (
        {"email_verified": "false"},
        {"email": "new@example.com"},
    )
    assert split_pending(HOLD_BOTH, CURRENT, {"email": ""}) == ({"email": ""}, {})
    same = {"email": CURRENT["email"]}
    assert split_pending(HOLD_BOTH, CURRENT, same) == (same, {})


names = st.sampled_from(["email", "phone_number", "email_verified", "name", "custom:x"])


@given(st.dictionaries(names, st.sampled_from(["", "true", "a@b.c", "+15550100"])))
def test_split_partitions_the_changes(changes: dict[str, str]) -> None:
    applied, held = split_pending(HOLD_BOTH, CURRENT, changes)
    assert applied.keys().isdisjoint(held)
    assert {**applied, **held} == changes
    assert set(held) <= {"email", "phone_number"}
    assert all(value and value != CURRENT.get(name) for name, value in held.items())
