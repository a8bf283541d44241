"""Passkey rules: when a pool offers them, its relying party id, allowed origins, the limit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cognate.domain import passkeys
from cognate.domain.passkeys import Passkey, UserVerification
from cognate.domain.user_pool_domain import PoolDomain
from cognate.errors import (
    LimitExceededException,
    WebAuthnConfigurationMissingException,
    WebAuthnNotEnabledException,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ALLOWING = {"Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}}}


def domain(name: str, *, is_custom: bool = False) -> PoolDomain:
    config: dict[str, Any] = {"CustomDomainConfig": {"CertificateArn": "arn"}} if is_custom else {}
    return PoolDomain(domain=name, pool_id="p", config=config, created_at=NOW)


def test_enabled_only_when_allowed_and_not_lite() -> None:
    assert passkeys.is_enabled(ALLOWING)
    assert not passkeys.is_enabled({})
    assert not passkeys.is_enabled({**ALLOWING, "UserPoolTier": "LITE"})
    assert passkeys.is_enabled({**ALLOWING, "UserPoolTier": "PLUS"})
    with pytest.raises(WebAuthnNotEnabledException):
        passkeys.check_enabled({})


def test_relying_party_id_prefers_configuration_then_custom_then_prefix_domain() -> None:
    configured = {"WebAuthnConfiguration": {"RelyingPartyId": "Example.COM"}}
    assert passkeys.relying_party_id(configured, [domain("x")], "us-east-1") == "example.com"
    both = [domain("mine"), domain("login.example.com", is_custom=True)]
    assert passkeys.relying_party_id({}, both, "us-east-1") == "login.example.com"
    assert (
        passkeys.relying_party_id({}, [domain("mine")], "eu-west-1")
        == "mine.auth.eu-west-1.amazoncognito.com"
    )
    with pytest.raises(WebAuthnConfigurationMissingException):
        passkeys.relying_party_id({"WebAuthnConfiguration": {}}, [], "us-east-1")


@pytest.mark.parametrize(
    ("origin", "rp_id", "allowed"),
    [
        ("https://example.com", "example.com", True),
        ("https://login.example.com:8443", "example.com", True),
        ("https://EXAMPLE.com", "example.com", True),
        ("http://example.com", "example.com", False),  # plain http off loopback
        ("https://badexample.com", "example.com", False),  # not a subdomain
        ("https://example.com.evil.net", "example.com", False),
        ("https://example.com/path", "example.com", False),
        ("https://user@example.com", "example.com", False),
        ("https://example.com:99999", "example.com", False),
        ("null", "example.com", False),
        ("http://localhost:9229", "localhost", True),
        ("http://app.localhost:9229", "localhost", True),
        ("http://127.0.0.1:9229", "127.0.0.1", True),
        ("https://localhost.evil.net", "localhost", False),
        ("ftp://example.com", "example.com", False),
        ("https://example.com", "login.example.com", False),  # parent of the RP id
    ],
)
def test_origin_rules(origin: str, rp_id: str, allowed: bool) -> None:
    assert passkeys.is_origin_allowed(origin, rp_id) is allowed


def test_limit_of_twenty() -> None:
    passkeys.check_room(passkeys.MAX_PASSKEYS - 1)
    with pytest.raises(LimitExceededException):
        passkeys.check_room(passkeys.MAX_PASSKEYS)


def test_user_verification_defaults_to_preferred() -> None:
    assert passkeys.user_verification({}) is UserVerification.PREFERRED
    required = {"WebAuthnConfiguration": {"UserVerification": "required"}}
    assert passkeys.user_verification(required) is UserVerification.REQUIRED


def test_names_shown_for_a_passkey() -> None:
    email = {"email": "a@example.com"}
    assert passkeys.user_name(["email"], "0f1e-uuid", email) == "a@example.com"
    assert passkeys.user_name([], "alice", email) == "alice"
    assert passkeys.user_name(["phone_number"], "0f1e-uuid", email) == "0f1e-uuid"
    assert passkeys.friendly_name("platform") != passkeys.friendly_name("cross-platform")
    assert passkeys.friendly_name(None)


def test_credential_description_omits_an_unknown_attachment() -> None:
    passkey = Passkey(
        credential_id="abc",
        pool_id="p",
        user_id=1,
        public_key=b"k",
        sign_count=0,
        friendly_name="Passkey",
        relying_party_id="example.com",
        attachment=None,
        transports=("usb", "nfc"),
        created_at=NOW,
    )
    assert passkeys.credential_description(passkey) == {
        "CredentialId": "abc",
        "FriendlyCredentialName": "Passkey",
        "RelyingPartyId": "example.com",
        "AuthenticatorTransports": ["usb", "nfc"],
        "CreatedAt": NOW,
    }
