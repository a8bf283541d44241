"""AttributeMapping applied to a provider's claims."""

from __future__ import annotations

import pytest

from cognate.domain.client import Client
from cognate.domain.schema import standard_schema
from cognate.errors import OAuthError
from cognate.federation.mapping import (
    check_mapped,
    claim_text,
    mapped_attributes,
    merged_claims,
    missing_required,
)


def _client(**config: object) -> Client:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return Client(
        id="c",
        pool_id="p",
        name="web",
        config=config,
        has_secret=False,
        created_at=now,
        updated_at=now,
    )


def test_mapping_takes_sources_and_normalises_flags() -> None:
    claims = merged_claims(
        {"sub": "1", "email": "a@x.example", "email_verified": "TRUE", "groups": ["a b", "c"]},
        {"email": "b@x.example", "phone_verified": False},
    )
    mapping = {"username": "sub", "email": "email", "email_verified": "email_verified",
               "phone_number_verified": "phone_verified", "name": "missing",
               "custom:groups": "groups"}  # fmt: skip
    assert mapped_attributes(mapping, claims) == {
        "email": "b@x.example",
        "email_verified": "true",
        "phone_number_verified": "false",
        "custom:groups": "[a+b, c]",
    }
    assert claim_text(12) == "12"
    assert claim_text({"a": 1}) == '{"a":1}'


def test_checks() -> None:
    fixed = {"Name": "custom:fixed", "AttributeDataType": "String", "Mutable": False}
    schema = [*standard_schema(), fixed]
    client = _client()
    check_mapped(schema, client, {"email": "a@x.example"}, current=None)
    with pytest.raises(OAuthError, match="Invalid email"):
        check_mapped(schema, client, {"email": "nope"}, current=None)
    with pytest.raises(OAuthError, match="cannot be mapped"):
        check_mapped(schema, _client(WriteAttributes=["name"]), {"email": "a@x.example"},
                     current=None)  # fmt: skip
    with pytest.raises(OAuthError, match="cannot be updated"):
        check_mapped(schema, client, {"custom:fixed": "v"}, current=None)
    with pytest.raises(OAuthError, match=r"attributes required: \[email\]"):
        missing_required([{"Name": "email", "Required": True}], {"name": "x"})
    missing_required([{"Name": "sub", "Required": True}], {})
