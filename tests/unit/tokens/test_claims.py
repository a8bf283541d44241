"""Pure claim building and compact JWS decoding (cognito-surface.md §7)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cognate.domain.user import User, UserStatus
from cognate.tokens.claims import (
    GroupClaim,
    TokenEvent,
    access_token_claims,
    at_hash,
    b64url,
    decode_compact,
    id_token_claims,
    ordered_groups,
    preferred_role,
    readable_attributes,
    signing_input,
)

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
AUTH_TIME = NOW - timedelta(hours=2)


def user(**attributes: str) -> User:
    return User(
        id=1,
        pool_id="us-east-1_abc",
        username="alice",
        sub="11111111-2222-3333-4444-555555555555",
        status=UserStatus.CONFIRMED,
        is_enabled=True,
        attributes={"sub": "11111111-2222-3333-4444-555555555555", **attributes},
        password=None,
        password_set_at=None,
        mfa={},
        created_at=NOW,
        updated_at=NOW,
    )


def event(groups: tuple[GroupClaim, ...] = (), origin_jti: str | None = "origin") -> TokenEvent:
    return TokenEvent(
        issuer="http://127.0.0.1:9229/us-east-1_abc",
        user=user(email="a@example.com", email_verified="true", **{"custom:tier": "7"}),
        client_id="client",
        groups=groups,
        origin_jti=origin_jti,
        event_id="event",
        auth_time=AUTH_TIME,
        now=NOW,
    )


def test_id_token_claims_are_cognitos() -> None:
    claims = id_token_claims(event(), validity=timedelta(hours=1), jti="j1", readable=None)
    assert claims == {
        "sub": "11111111-2222-3333-4444-555555555555",
        "email_verified": True,
        "iss": "http://127.0.0.1:9229/us-east-1_abc",
        "cognito:username": "alice",
        "origin_jti": "origin",
        "aud": "client",
        "event_id": "event",
        "token_use": "id",
        "auth_time": int(AUTH_TIME.timestamp()),
        "exp": int(NOW.timestamp()) + 3600,
        "iat": int(NOW.timestamp()),
        "jti": "j1",
        "email": "a@example.com",
        "custom:tier": "7",
    }


def test_access_token_claims_are_cognitos() -> None:
    groups = (GroupClaim(name="admins", role_arn=None, precedence=1),)
    claims = access_token_claims(
        event(groups),
        validity=timedelta(minutes=5),
        jti="j2",
        scopes=("aws.cognito.signin.user.admin",),
        device_key="us-east-1_device",
    )
    assert claims == {
        "sub": "11111111-2222-3333-4444-555555555555",
        "cognito:groups": ["admins"],
        "device_key": "us-east-1_device",
        "iss": "http://127.0.0.1:9229/us-east-1_abc",
        "client_id": "client",
        "origin_jti": "origin",
        "event_id": "event",
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": int(AUTH_TIME.timestamp()),
        "exp": int(NOW.timestamp()) + 300,
        "iat": int(NOW.timestamp()),
        "jti": "j2",
        "username": "alice",
    }
    assert "version" not in claims and "aud" not in claims


def test_no_origin_jti_without_revocation_and_no_groups_claim_without_groups() -> None:
    claims = id_token_claims(
        event(origin_jti=None), validity=timedelta(hours=1), jti="j", readable=None
    )
    assert "origin_jti" not in claims and "cognito:groups" not in claims
    assert "cognito:roles" not in claims


def test_groups_roles_and_preferred_role() -> None:
    groups = (
        GroupClaim(name="b", role_arn="arn:role/b", precedence=5),
        GroupClaim(name="a", role_arn="arn:role/a", precedence=1),
        GroupClaim(name="c", role_arn=None, precedence=None),
    )
    claims = id_token_claims(event(groups), validity=timedelta(hours=1), jti="j", readable=None)
    assert claims["cognito:groups"] == ["a", "b", "c"]
    assert claims["cognito:roles"] == ["arn:role/a", "arn:role/b"]
    assert claims["cognito:preferred_role"] == "arn:role/a"


def test_equal_precedence_with_different_roles_prefers_none() -> None:
    groups = [
        GroupClaim(name="x", role_arn="arn:role/x", precedence=1),
        GroupClaim(name="y", role_arn="arn:role/y", precedence=1),
    ]
    assert preferred_role(groups) is None
    same = [GroupClaim(name="x", role_arn="arn:role/r", precedence=1), groups[1]]
    same[1] = GroupClaim(name="y", role_arn="arn:role/r", precedence=1)
    assert preferred_role(same) == "arn:role/r"


group_strategy = st.builds(
    GroupClaim,
    name=st.text(min_size=1, max_size=8),
    role_arn=st.one_of(st.none(), st.sampled_from(["arn:r1", "arn:r2", "arn:r3"])),
    precedence=st.one_of(st.none(), st.integers(min_value=0, max_value=5)),
)


@given(st.lists(group_strategy, max_size=8))
def test_preferred_role_belongs_to_a_group_with_the_lowest_precedence(
    groups: list[GroupClaim],
) -> None:
    role = preferred_role(groups)
    ranked = [g for g in groups if g.role_arn and g.precedence is not None]
    if role is None:
        return
    holders = [g for g in groups if g.role_arn == role]
    assert holders
    if ranked:
        lowest = min(g.precedence for g in ranked if g.precedence is not None)
        assert any(g.precedence == lowest for g in holders)
    names = [g.name for g in ordered_groups(groups)]
    assert names == [g.name for g in ordered_groups(list(reversed(groups)))]


def test_readable_attributes_follow_read_attributes_and_hide_internal_ones() -> None:
    attributes = {
        "sub": "s",
        "email": "a@example.com",
        "phone_number_verified": "False",
        "dev:custom:secret": "x",
        "custom:plan": "pro",
        "identities": '[{"providerName": "Google"}]',
    }
    assert readable_attributes(attributes, None) == {
        "email": "a@example.com",
        "phone_number_verified": False,
        "custom:plan": "pro",
        "identities": [{"providerName": "Google"}],
    }
    assert readable_attributes(attributes, ["email"]) == {"email": "a@example.com"}


def test_signing_input_header_is_kid_and_alg_only() -> None:
    header_part, payload_part = signing_input("kid-1", {"a": 1}).decode().split(".")
    header = json.loads(base64.urlsafe_b64decode(header_part + "=="))
    assert header == {"kid": "kid-1", "alg": "RS256"}
    assert list(header) == ["kid", "alg"]
    assert json.loads(base64.urlsafe_b64decode(payload_part + "==")) == {"a": 1}


@given(st.dictionaries(st.text(max_size=5), st.integers()), st.binary(min_size=1, max_size=64))
def test_decode_compact_round_trips(claims: dict[str, int], signature: bytes) -> None:
    token = signing_input("k", claims).decode() + "." + b64url(signature)
    decoded = decode_compact(token)
    assert decoded is not None
    assert decoded.claims == claims and decoded.header["kid"] == "k"
    assert decoded.signature == signature
    assert decoded.signing_input == token.rsplit(".", 1)[0].encode()


def test_decode_compact_reads_integers_beyond_64_bits() -> None:
    """A pre-token trigger may add any JSON number; our own tokens must still decode."""
    claims = {"big": 2**70, "text": "caf\u00e9"}
    decoded = decode_compact(signing_input("k", claims).decode() + "." + b64url(b"sig"))
    assert decoded is not None
    assert decoded.claims == claims


def test_decode_compact_rejects_garbage() -> None:
    good = signing_input("k", {"a": 1}).decode()
    for bad in (
        "",
        "a.b",
        "a.b.c.d",
        good + ".sig=",
        b64url(b"[1]") + "." + b64url(b"{}") + ".",
        b64url(b"{}") + "." + b64url(b"1") + ".",
        b64url(b"{}") + "." + b64url(b"[" * 100_000) + ".",
        "x" * 20_000 + ".a.b",
    ):
        assert decode_compact(bad) is None


def test_hosted_access_tokens_carry_version_2_after_iss() -> None:
    claims = access_token_claims(
        event(()), validity=timedelta(minutes=5), jti="j3", scopes=("openid",),
        device_key=None, version=2,
    )  # fmt: skip
    assert claims["version"] == 2
    assert list(claims)[list(claims).index("iss") + 1] == "version"


@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1))
def test_at_hash_is_the_left_half_of_sha256(token: str) -> None:
    digest = hashlib.sha256(token.encode()).digest()
    expected = base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()
    assert at_hash(token) == expected
    assert len(at_hash(token)) == 22
