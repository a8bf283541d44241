"""Identity provider configuration rules: details per type, URLs, mapping, identifiers."""

from __future__ import annotations

import pytest

from cognate.domain.identity_provider import (
    ProviderType,
    attribute_mapping,
    check_name,
    described_details,
    described_mapping,
    idp_identifiers,
    is_allowed_url,
    provider_details,
)
from cognate.errors import DuplicateProviderException, InvalidParameterException


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://idp.example.com", True),
        ("http://127.0.0.1:8080/x", True),
        ("http://[::1]/x", True),
        ("http://localhost/x", True),
        ("http://idp.example.com", False),
        ("http://10.0.0.1", False),
        ("ftp://idp.example.com", False),
        ("https://", False),
        ("not a url", False),
    ],
)
def test_allowed_urls(url: str, allowed: bool) -> None:
    assert is_allowed_url(url) is allowed


def test_missing_details_are_named() -> None:
    with pytest.raises(InvalidParameterException, match="team_id, key_id, private_key"):
        provider_details(
            ProviderType.SIGN_IN_WITH_APPLE, {"client_id": "c", "authorize_scopes": "email"}
        )


def test_update_keeps_omitted_secrets() -> None:
    details = provider_details(
        ProviderType.GOOGLE,
        {"client_id": "c", "authorize_scopes": "email"},
        stored_secrets={"client_secret": "s"},
    )
    assert details["client_secret"] == "s"


def test_social_names_follow_type() -> None:
    check_name("Google", ProviderType.GOOGLE)
    check_name("anything", ProviderType.OIDC)
    with pytest.raises(InvalidParameterException, match="cannot be of type Facebook"):
        check_name("FB", ProviderType.FACEBOOK)
    with pytest.raises(InvalidParameterException):
        check_name("Cognito", ProviderType.SAML)


def test_described_details_fill_type_defaults_and_hide_private_key() -> None:
    shown = described_details(
        ProviderType.SIGN_IN_WITH_APPLE, {"client_id": "c", "private_key": "k"}
    )
    assert "private_key" not in shown
    assert shown["oidc_issuer"] == "https://appleid.apple.com"
    facebook = described_details(ProviderType.FACEBOOK, {"client_id": "c"})
    assert facebook["api_version"] == "v17.0"
    assert facebook["token_url"] == "https://graph.facebook.com/v17.0/oauth/access_token"
    # What the caller gave wins over a default.
    assert described_details(ProviderType.GOOGLE, {"token_url": "https://t"})["token_url"] == (
        "https://t"
    )


def test_mapping() -> None:
    assert attribute_mapping({"email": "mail", "username": "sub"}, ["email"]) == {
        "email": "mail",
        "username": "sub",
    }
    with pytest.raises(InvalidParameterException, match=r"\[shoe\]"):
        attribute_mapping({"shoe": "x"}, ["email"])
    assert described_mapping(ProviderType.FACEBOOK, {}) == {"username": "id"}
    assert described_mapping(ProviderType.SAML, {"email": "m"}) == {"email": "m"}


def test_identifiers_unique_in_pool() -> None:
    assert idp_identifiers(["a", "a", "b"], {"a": "Me"}, name="Me") == ["a", "b"]
    with pytest.raises(DuplicateProviderException):
        idp_identifiers(["a"], {"a": "Other"}, name="Me")
