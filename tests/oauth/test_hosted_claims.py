"""Claims that only hosted-UI / OAuth tokens carry (cognito-surface.md §7): the ID token's
`at_hash` (OIDC Core §3.1.3.6, checked with Authlib's own implementation) and `nonce`, and the
access token's `version` 2; tokens from InitiateAuth carry none of them."""

from __future__ import annotations

import warnings
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt

from tests.conftest import RunningServer
from tests.oauth.flows import (
    CALLBACK,
    PASSWORD,
    CodeClient,
    code_client,
    pkce_pair,
    query_of,
    sign_in,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from authlib.oidc.core.util import create_half_hash


def _claims(server: RunningServer, pool_id: str, token: str) -> dict[str, Any]:
    keys = jwt.PyJWKClient(f"{server.url}/{pool_id}/.well-known/jwks.json")
    found: dict[str, Any] = jwt.decode(
        token,
        keys.get_signing_key_from_jwt(token).key,
        algorithms=["RS256"],
        options={"verify_aud": False},
    )
    return found


def _authorize(server: RunningServer, web: CodeClient, response_type: str, **extra: str) -> str:
    params = {"response_type": response_type, "client_id": web.client_id,
              "redirect_uri": CALLBACK, "scope": "openid email", "nonce": "n-42",
              **extra}  # fmt: skip
    with httpx.Client() as http:
        answer = sign_in(http, f"{server.url}/oauth2/authorize?{urlencode(params)}", web.username)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def _expected_at_hash(access_token: str) -> str:
    return str(create_half_hash(access_token, "RS256"), "ascii")


def test_code_flow_tokens_carry_at_hash_nonce_and_version(
    server: RunningServer, idp_client: Any
) -> None:
    web = code_client(idp_client)
    verifier, challenge = pkce_pair()
    location = _authorize(
        server, web, "code", code_challenge=challenge, code_challenge_method="S256"
    )
    answer = httpx.post(f"{server.url}/oauth2/token", data={
        "grant_type": "authorization_code", "client_id": web.client_id,
        "code": query_of(location)["code"], "redirect_uri": CALLBACK, "code_verifier": verifier,
    })  # fmt: skip
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    id_claims = _claims(server, web.pool_id, tokens["id_token"])
    assert id_claims["at_hash"] == _expected_at_hash(tokens["access_token"])
    assert id_claims["nonce"] == "n-42"
    assert _claims(server, web.pool_id, tokens["access_token"])["version"] == 2


def test_implicit_tokens_carry_at_hash(server: RunningServer, idp_client: Any) -> None:
    web = code_client(idp_client, AllowedOAuthFlows=["implicit"])
    location = _authorize(server, web, "token")
    fragment = {name: values[0] for name, values in parse_qs(urlsplit(location).fragment).items()}
    id_claims = _claims(server, web.pool_id, fragment["id_token"])
    assert id_claims["at_hash"] == _expected_at_hash(fragment["access_token"])
    assert id_claims["nonce"] == "n-42"
    assert _claims(server, web.pool_id, fragment["access_token"])["version"] == 2


def test_api_tokens_carry_none_of_them(server: RunningServer, idp_client: Any) -> None:
    web = code_client(idp_client, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH",
                                                     "ALLOW_REFRESH_TOKEN_AUTH"])  # fmt: skip
    result = idp_client.initiate_auth(
        ClientId=web.client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": web.username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]  # fmt: skip
    assert "at_hash" not in _claims(server, web.pool_id, result["IdToken"])
    assert "version" not in _claims(server, web.pool_id, result["AccessToken"])
