"""/oauth2/token client_credentials, resource servers and custom scopes, /oauth2/revoke."""

from __future__ import annotations

import uuid
import warnings
from typing import Any

import httpx
import jwt
import pytest

from tests.conftest import RunningServer

with warnings.catch_warnings():
    # Authlib warns at import that its httpx integration will move (Authlib 1.9).
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import OAuth2Client


@pytest.fixture
def m2m(idp_client: Any, pool_id: str) -> dict[str, str]:
    """A confidential client_credentials client allowed two custom scopes of one server."""
    identifier = f"https://api-{uuid.uuid4().hex[:6]}.example"
    created = idp_client.create_resource_server(
        UserPoolId=pool_id,
        Identifier=identifier,
        Name="api",
        Scopes=[
            {"ScopeName": "read", "ScopeDescription": "read"},
            {"ScopeName": "write", "ScopeDescription": "write"},
        ],
    )
    assert created["ResourceServer"]["Identifier"] == identifier
    client = idp_client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="m2m",
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=[f"{identifier}/read", f"{identifier}/write"],
    )["UserPoolClient"]
    return {
        "id": client["ClientId"],
        "secret": client["ClientSecret"],
        "api": identifier,
        "pool_id": pool_id,
    }


def _verify(server: RunningServer, pool_id: str, token: str) -> dict[str, Any]:
    keys = jwt.PyJWKClient(f"{server.url}/{pool_id}/.well-known/jwks.json")
    key = keys.get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["RS256"], issuer=f"{server.url}/{pool_id}"
    )
    return claims


def test_resource_server_crud(idp_client: Any, pool_id: str) -> None:
    scopes = [{"ScopeName": "read", "ScopeDescription": "r"}]
    idp_client.create_resource_server(
        UserPoolId=pool_id, Identifier="orders", Name="o", Scopes=scopes
    )
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.create_resource_server(UserPoolId=pool_id, Identifier="orders", Name="o")
    described = idp_client.describe_resource_server(UserPoolId=pool_id, Identifier="orders")
    assert described["ResourceServer"]["Scopes"] == scopes
    idp_client.update_resource_server(UserPoolId=pool_id, Identifier="orders", Name="renamed")
    listed = idp_client.list_resource_servers(UserPoolId=pool_id, MaxResults=10)
    assert [(s["Identifier"], s["Name"], s["Scopes"]) for s in listed["ResourceServers"]] == [
        ("orders", "renamed", [])
    ]
    idp_client.delete_resource_server(UserPoolId=pool_id, Identifier="orders")
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.describe_resource_server(UserPoolId=pool_id, Identifier="orders")


def test_client_scopes_must_exist(idp_client: Any, pool_id: str) -> None:
    with pytest.raises(idp_client.exceptions.ScopeDoesNotExistException):
        idp_client.create_user_pool_client(
            UserPoolId=pool_id, ClientName="c", AllowedOAuthScopes=["nowhere/read"]
        )


def test_client_credentials_basic(server: RunningServer, m2m: dict[str, str]) -> None:
    answer = httpx.post(
        f"{server.url}/oauth2/token",
        data={"grant_type": "client_credentials", "scope": f"{m2m['api']}/read"},
        auth=(m2m["id"], m2m["secret"]),
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    claims = _verify(server, m2m["pool_id"], body["access_token"])
    assert claims["sub"] == claims["client_id"] == m2m["id"]
    assert claims["scope"] == f"{m2m['api']}/read"
    assert claims["token_use"] == "access"
    assert "username" not in claims


def test_client_credentials_post_all_scopes(server: RunningServer, m2m: dict[str, str]) -> None:
    answer = httpx.post(
        f"{server.url}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": m2m["id"],
            "client_secret": m2m["secret"],
        },
    )
    assert answer.status_code == 200, answer.text
    claims = _verify(server, m2m["pool_id"], answer.json()["access_token"])
    assert claims["scope"].split() == [f"{m2m['api']}/read", f"{m2m['api']}/write"]


def test_authlib_client(server: RunningServer, m2m: dict[str, str]) -> None:
    with OAuth2Client(m2m["id"], m2m["secret"], scope=f"{m2m['api']}/write") as client:
        token = client.fetch_token(f"{server.url}/oauth2/token", grant_type="client_credentials")
    assert token["token_type"] == "Bearer"
    claims = _verify(server, m2m["pool_id"], token["access_token"])
    assert claims["scope"] == f"{m2m['api']}/write"


@pytest.mark.parametrize("how", ["basic", "post", "missing"])
def test_bad_secret_is_invalid_client(server: RunningServer, m2m: dict[str, str], how: str) -> None:
    data = {"grant_type": "client_credentials"}
    auth = None
    if how == "basic":
        auth = (m2m["id"], m2m["secret"] + "x")
    else:
        data["client_id"] = m2m["id"]
        if how == "post":
            data["client_secret"] = "wrong"
    answer = httpx.post(f"{server.url}/oauth2/token", data=data, auth=auth)
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid_client"}


def test_scope_not_allowed(server: RunningServer, m2m: dict[str, str]) -> None:
    answer = httpx.post(
        f"{server.url}/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "openid"},
        auth=(m2m["id"], m2m["secret"]),
    )
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_scope"}


def test_unsupported_and_unauthorized(server: RunningServer, m2m: dict[str, str]) -> None:
    url = f"{server.url}/oauth2/token"
    auth = (m2m["id"], m2m["secret"])
    assert httpx.post(url, data={"grant_type": "password"}, auth=auth).json() == {
        "error": "unsupported_grant_type"
    }
    answer = httpx.post(
        url,
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": "http://localhost/"},
        auth=auth,
    )
    assert answer.json() == {"error": "unauthorized_client"}
    assert httpx.post(url, data={}, auth=auth).json()["error"] == "invalid_request"
