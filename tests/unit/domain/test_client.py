"""App-client and domain rules (cognate.domain.client), without I/O."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cognate.domain.client import (
    Client,
    client_config,
    explicit_auth_flows,
    new_client_id,
    new_client_secret,
    new_client_secret_id,
    redirect_url_problem,
    token_validities,
)
from cognate.errors import (
    InvalidOAuthFlowException,
    InvalidParameterException,
    ScopeDoesNotExistException,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
NAMES = ["sub", "email", "name", "custom:tier"]


def make_client(**request: Any) -> Client:
    has_secret = bool(request.pop("has_secret", False))
    config = client_config(
        request, pool_id="us-east-1_abc", attribute_names=NAMES, has_secret=has_secret
    )
    return Client(
        id=new_client_id(),
        pool_id="us-east-1_abc",
        name="c",
        config=config,
        has_secret=has_secret,
        created_at=NOW,
        updated_at=NOW,
    )


def test_identifiers() -> None:
    client_id = new_client_id()
    assert re.fullmatch(r"[a-z0-9]{26}", client_id)
    assert re.fullmatch(r"[a-z0-9]{51}", new_client_secret())
    secret_id = new_client_secret_id(client_id)
    assert secret_id.startswith(client_id + "--")
    assert len(secret_id) <= 64
    assert new_client_id() != client_id


def test_defaults() -> None:
    client = make_client()
    assert client.explicit_auth_flows == [
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_CUSTOM_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    ]
    assert client.access_token_validity == timedelta(minutes=60)
    assert client.id_token_validity == timedelta(minutes=60)
    assert client.refresh_token_validity == timedelta(days=30)
    assert client.auth_session_validity == timedelta(minutes=3)
    assert not client.prevent_user_existence_errors  # LEGACY is the API default
    assert client.is_token_revocation_enabled
    assert not client.is_refresh_token_rotation_enabled
    assert not client.is_oauth_enabled
    assert client.read_attributes is None
    assert client.write_attributes is None
    assert client.allowed_oauth_flows == []
    assert client.allowed_oauth_scopes == []
    assert client.callback_urls == []
    assert client.logout_urls == []


def test_configured_accessors() -> None:
    client = make_client(
        has_secret=True,
        ReadAttributes=["email"],
        WriteAttributes=["custom:tier"],
        CallbackURLs=["https://a.example/cb"],
        LogoutURLs=["https://a.example/out"],
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid"],
        AllowedOAuthFlowsUserPoolClient=True,
        PreventUserExistenceErrors="ENABLED",
        RefreshTokenRotation={"Feature": "ENABLED"},
        AuthSessionValidity=10,
    )
    assert client.read_attributes == ["email"]
    assert client.write_attributes == ["custom:tier"]
    assert client.callback_urls == ["https://a.example/cb"]
    assert client.logout_urls == ["https://a.example/out"]
    assert client.allowed_oauth_flows == ["code"]
    assert client.allowed_oauth_scopes == ["openid"]
    assert client.is_oauth_enabled
    assert client.prevent_user_existence_errors
    assert client.is_refresh_token_rotation_enabled
    assert client.auth_session_validity == timedelta(minutes=10)


@pytest.mark.parametrize(
    ("flows", "allowed", "refused"),
    [
        (
            None,
            {"USER_SRP_AUTH", "CUSTOM_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"},
            {"USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH", "USER_AUTH"},
        ),
        (
            ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_AUTH"],
            {"ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH", "USER_AUTH"},
            {"USER_SRP_AUTH", "REFRESH_TOKEN_AUTH"},
        ),
        (
            ["ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"],
            {"USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"},
            {"CUSTOM_AUTH", "USER_AUTH"},
        ),
        ([], {"USER_SRP_AUTH", "REFRESH_TOKEN_AUTH"}, {"USER_PASSWORD_AUTH", "CUSTOM_AUTH"}),
        (["CUSTOM_AUTH_FLOW_ONLY"], {"CUSTOM_AUTH"}, {"USER_SRP_AUTH", "REFRESH_TOKEN_AUTH"}),
    ],
)
def test_allows_auth_flow(flows: list[str] | None, allowed: set[str], refused: set[str]) -> None:
    client = make_client() if flows is None else make_client(ExplicitAuthFlows=flows)
    assert {flow for flow in allowed | refused if client.allows_auth_flow(flow)} == allowed


def test_explicit_auth_flows_rules() -> None:
    assert explicit_auth_flows(["ALLOW_USER_SRP_AUTH", "ALLOW_USER_SRP_AUTH"]) == [
        "ALLOW_USER_SRP_AUTH"
    ]
    with pytest.raises(InvalidParameterException, match="ALLOW_XXX and XXX"):
        explicit_auth_flows(["ADMIN_NO_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])


def test_token_validity_units() -> None:
    values = token_validities(
        {
            "AccessTokenValidity": 1,
            "IdTokenValidity": 300,
            "RefreshTokenValidity": 2,
            "TokenValidityUnits": {"IdToken": "seconds", "RefreshToken": "hours"},
        }
    )
    assert values["TokenValidityUnits"] == {
        "AccessToken": "hours",
        "IdToken": "seconds",
        "RefreshToken": "hours",
    }
    defaults = token_validities({"TokenValidityUnits": {"AccessToken": "days"}})
    assert defaults["AccessTokenValidity"] == 1
    assert defaults["RefreshTokenValidity"] == 30


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"AccessTokenValidity": 2, "TokenValidityUnits": {"AccessToken": "days"}}, "1 day"),
        ({"IdTokenValidity": 299, "TokenValidityUnits": {"IdToken": "seconds"}}, "5 minutes"),
        ({"RefreshTokenValidity": 3651}, "10 years"),
        ({"RefreshTokenValidity": 3599, "TokenValidityUnits": {"RefreshToken": "seconds"}}, "60"),
        (
            {"RefreshTokenValidity": 1, "TokenValidityUnits": {"RefreshToken": "hours"}},
            "longer than AccessTokenValidity",
        ),
        (
            {"RefreshTokenValidity": 2, "TokenValidityUnits": {"RefreshToken": "hours"},
             "IdTokenValidity": 3},
            "longer than IdTokenValidity",
        ),
    ],
)  # fmt: skip
def test_token_validity_limits(request_: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameterException, match=message):
        token_validities(request_)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://app.example.com/cb?x=1", None),
        ("http://localhost:3000/cb", None),
        ("http://127.0.0.1/cb", None),
        ("http://[::1]:8080/cb", None),
        ("myapp://callback", None),
        ("http://example.com/cb", "HTTPS"),
        ("http://localhost.evil.com/cb", "HTTPS"),
        ("https://app.example.com/#frag", "fragment"),
        ("/relative/path", "absolute"),
        ("https:///nohost", "absolute"),
        ("https://a.example:99999/", "not a valid URL"),
        ("javascript:alert(1)", "scheme"),
    ],
)
def test_redirect_url_problem(url: str, problem: str | None) -> None:
    found = redirect_url_problem(url)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


@given(st.from_regex(r"[a-z0-9.-]{0,30}", fullmatch=True))
def test_plain_http_is_refused_for_any_non_loopback_host(host: str) -> None:
    found = redirect_url_problem(f"http://{host}.example.com/cb")
    assert found is not None


def test_client_config_rules() -> None:
    with pytest.raises(InvalidParameterException, match="while creating a client"):
        make_client(ReadAttributes=["unknown"])
    with pytest.raises(
        InvalidParameterException, match="write attributes specified while updating"
    ):
        make_client(ClientId="x", WriteAttributes=["custom:other"])
    with pytest.raises(InvalidParameterException, match="provider SAML1"):
        make_client(SupportedIdentityProviders=["COGNITO", "SAML1"])
    with pytest.raises(InvalidParameterException, match="DefaultRedirectURI: notaurl"):
        make_client(CallbackURLs=["https://a.example/"], DefaultRedirectURI="notaurl")
    with pytest.raises(InvalidParameterException, match="one of the CallbackURLs"):
        make_client(CallbackURLs=["https://a.example/"], DefaultRedirectURI="https://b.example/")
    with pytest.raises(InvalidOAuthFlowException, match="along with"):
        make_client(has_secret=True, AllowedOAuthFlows=["client_credentials", "implicit"])
    with pytest.raises(InvalidOAuthFlowException, match="client secret"):
        make_client(AllowedOAuthFlows=["client_credentials"])
    with pytest.raises(InvalidOAuthFlowException, match="CallbackUrls"):
        make_client(AllowedOAuthFlows=["implicit"])
    with pytest.raises(ScopeDoesNotExistException, match="Invalid scope requested: Cognito"):
        make_client(AllowedOAuthScopes=["Cognito"])
