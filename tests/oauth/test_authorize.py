"""The authorization-code flow with PKCE through the hosted sign-in page, driven with httpx."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import pytest

from tests.conftest import RunningServer
from tests.oauth.flows import CALLBACK, CodeClient, code_client, pkce_pair, query_of, sign_in


@pytest.fixture
def web(idp_client: Any) -> CodeClient:
    return code_client(idp_client)


def _authorize_url(server: RunningServer, web: CodeClient, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": web.client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid email",
        "state": "st-é ü/+=",
        "nonce": "n-123",
        **extra,
    }
    return f"{server.url}/oauth2/authorize?{urlencode(params)}"


def _exchange(
    server: RunningServer, web: CodeClient, code: str, verifier: str | None
) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "client_id": web.client_id,
        "code": code,
        "redirect_uri": CALLBACK,
    }
    if verifier is not None:
        data["code_verifier"] = verifier
    return httpx.post(f"{server.url}/oauth2/token", data=data)


def test_code_flow_with_pkce(server: RunningServer, web: CodeClient) -> None:
    verifier, challenge = pkce_pair()
    url = _authorize_url(server, web, code_challenge=challenge, code_challenge_method="S256")
    with httpx.Client() as http:
        answer = sign_in(http, url, web.username)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?")
    params = query_of(location)
    assert params["state"] == "st-é ü/+="
    tokens = _exchange(server, web, params["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    assert tokens.headers["cache-control"] == "no-store"
    body = tokens.json()
    discovery = httpx.get(f"{server.url}/{web.pool_id}/.well-known/openid-configuration").json()
    assert discovery["token_endpoint"] == f"{server.url}/oauth2/token"
    key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(body["id_token"])
    claims = jwt.decode(
        body["id_token"],
        key.key,
        algorithms=["RS256"],
        audience=web.client_id,
        issuer=discovery["issuer"],
    )
    assert claims["nonce"] == "n-123"
    assert claims["cognito:username"] == web.username
    info = httpx.get(
        discovery["userinfo_endpoint"], headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert info.status_code == 200, info.text
    assert info.json()["email"] == f"{web.username}@example.com"
    assert "email_verified" in info.json()
    # Single use: the second exchange fails and revokes what the first one issued.
    assert _exchange(server, web, params["code"], verifier).json() == {"error": "invalid_grant"}
    refreshed = httpx.post(
        f"{server.url}/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": web.client_id,
            "refresh_token": body["refresh_token"],
        },
    )
    assert refreshed.json() == {"error": "invalid_grant"}
    info = httpx.get(
        discovery["userinfo_endpoint"], headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert info.status_code == 401


def test_refresh_and_revoke(server: RunningServer, web: CodeClient) -> None:
    verifier, challenge = pkce_pair()
    url = _authorize_url(server, web, code_challenge=challenge, code_challenge_method="S256")
    with httpx.Client() as http:
        code = query_of(sign_in(http, url, web.username).headers["location"])["code"]
    body = _exchange(server, web, code, verifier).json()
    token_url = f"{server.url}/oauth2/token"
    data = {
        "grant_type": "refresh_token",
        "client_id": web.client_id,
        "refresh_token": body["refresh_token"],
    }
    refreshed = httpx.post(token_url, data=data)
    assert refreshed.status_code == 200, refreshed.text
    assert {"access_token", "id_token"} <= set(refreshed.json())
    revoked = httpx.post(
        f"{server.url}/oauth2/revoke",
        data={"client_id": web.client_id, "token": body["refresh_token"]},
    )
    assert revoked.status_code == 200 and revoked.content == b""
    assert httpx.post(token_url, data=data).json() == {"error": "invalid_grant"}


def test_missing_or_wrong_verifier(server: RunningServer, web: CodeClient) -> None:
    verifier, challenge = pkce_pair()
    url = _authorize_url(server, web, code_challenge=challenge, code_challenge_method="S256")
    with httpx.Client() as http:
        code = query_of(sign_in(http, url, web.username).headers["location"])["code"]
        assert _exchange(server, web, code, None).json() == {"error": "invalid_grant"}
        wrong = verifier[:-1] + ("B" if verifier.endswith("A") else "A")  # never the same
        assert _exchange(server, web, code, wrong).json() == {"error": "invalid_grant"}


def test_plain_pkce_refused(server: RunningServer, web: CodeClient) -> None:
    url = _authorize_url(server, web, code_challenge="x" * 43, code_challenge_method="plain")
    answer = httpx.get(url)
    assert answer.status_code == 302
    assert answer.headers["location"].startswith(CALLBACK + "?")
    assert query_of(answer.headers["location"])["error"] == "invalid_request"


@pytest.mark.parametrize(
    "redirect",
    [
        CALLBACK + "/",
        CALLBACK.upper(),
        CALLBACK + "?x=1",
        "http://localhost:8766/callback",
        "javascript:alert(1)",
    ],
)
def test_redirect_mismatch_shows_error_page(
    server: RunningServer, web: CodeClient, redirect: str
) -> None:
    params = {"response_type": "code", "client_id": web.client_id, "redirect_uri": redirect}
    answer = httpx.get(f"{server.url}/oauth2/authorize?{urlencode(params)}")
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert "redirect_mismatch" in answer.text
    assert answer.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def test_sso_second_authorize_skips_form(server: RunningServer, web: CodeClient) -> None:
    with httpx.Client() as http:
        assert sign_in(http, _authorize_url(server, web), web.username).status_code == 303
        again = http.get(_authorize_url(server, web, state="two"))
        assert again.status_code == 302
        params = query_of(again.headers["location"])
        assert params["state"] == "two" and params["code"]
        forced = http.get(_authorize_url(server, web, prompt="login"))
        assert "/login?" in forced.headers["location"]
        logout = http.get(
            f"{server.url}/logout",
            params={"client_id": web.client_id, "logout_uri": "http://localhost:8765/signed-out"},
        )
        assert logout.headers["location"] == "http://localhost:8765/signed-out"
        assert "/login?" in http.get(_authorize_url(server, web)).headers["location"]


def test_login_page_and_csrf(server: RunningServer, web: CodeClient) -> None:
    with httpx.Client() as http:
        page = http.get(http.get(_authorize_url(server, web)).headers["location"])
        assert 'name="username"' in page.text and 'name="password"' in page.text
        assert page.headers["x-frame-options"] == "DENY"
        wrong = sign_in(http, _authorize_url(server, web), web.username, "Wrong-password-1")
        assert wrong.status_code == 400
        assert "Incorrect username or password." in wrong.text
    with httpx.Client() as other:
        from tests.oauth.flows import login_form

        action, fields = login_form(page.text)
        fields.update(username=web.username, password="x")
        assert other.post(action, data=fields).status_code == 403


def test_logout_uri_not_registered(server: RunningServer, web: CodeClient) -> None:
    answer = httpx.get(
        f"{server.url}/logout",
        params={"client_id": web.client_id, "logout_uri": "https://evil.example/"},
    )
    assert answer.status_code == 400 and "location" not in answer.headers
