"""Federated usernames, provider groups and the `identities` attribute."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from cognate.domain.federated_identity import (
    FederatedIdentity,
    federated_username,
    identities_attribute,
    provider_group,
)
from cognate.tokens.claims import readable_attributes

CREATED = datetime(2022, 1, 20, 17, 18, 37, 273000, tzinfo=UTC)


def _identity(subject: str, *, is_primary: bool, created_at: datetime) -> FederatedIdentity:
    return FederatedIdentity(
        pool_id="us-east-1_abc", provider_name="Google", provider_type="Google", subject=subject,
        user_id=1, issuer=None, is_primary=is_primary, created_at=created_at,
    )  # fmt: skip


def test_username_and_group() -> None:
    assert federated_username("Google", "1155", case_sensitive=True) == "Google_1155"
    assert federated_username("Google", "1155", case_sensitive=False) == "google_1155"
    assert provider_group("us-east-1_abc", "Google") == "us-east-1_abc_Google"


def test_identities_attribute_and_claim() -> None:
    assert identities_attribute([]) is None
    later = _identity("b", is_primary=False, created_at=CREATED + timedelta(days=1))
    value = identities_attribute([later, _identity("a", is_primary=True, created_at=CREATED)])
    assert value is not None
    entries = json.loads(value)
    assert entries[0] == {
        "userId": "a",
        "providerName": "Google",
        "providerType": "Google",
        "issuer": None,
        "primary": True,
        "dateCreated": 1642699117273,
    }
    assert entries[1]["primary"] is False
    claim = readable_attributes({"identities": value}, None)["identities"]
    assert claim[0]["primary"] == "true"
    assert claim[0]["dateCreated"] == "1642699117273"
    assert claim[0]["issuer"] is None
    assert claim[1]["primary"] == "false"
