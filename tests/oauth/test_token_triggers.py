"""PreTokenGeneration on the OAuth paths (cognito-surface.md §8): tokens of a hosted-UI sign-in
report TokenGeneration_HostedAuth, whether they come from the code exchange or the implicit
redirect; a refresh at /oauth2/token reports TokenGeneration_RefreshTokens.

The handler file records each event and writes its triggerSource into the ID token (V1
claimsToAddOrOverride), so each token says which source produced it.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest

from tests.conftest import make_client, start_server
from tests.oauth.flows import CALLBACK, CodeClient, code_client, pkce_pair, query_of, sign_in

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"

PRE_TOKEN = """
import json, os
HERE = os.path.dirname(__file__)
def handler(event, context):
    path = os.path.join(HERE, event["triggerSource"] + "-" + event["userName"] + ".json")
    with open(path, "w") as f:
        json.dump(event, f)
    event["response"]["claimsOverrideDetails"] = {
        "claimsToAddOrOverride": {"trigger": event["triggerSource"]}
    }
    return event
"""


REFUSE = """
def handler(event, context):
    raise Exception("no tokens today")
"""


@dataclass
class Env:
    client: Any
    functions: Path
    url: str

    def web(self, **options: Any) -> CodeClient:
        """A code-flow client of a new pool whose PreTokenGeneration is the handler."""
        web = code_client(self.client, **options)
        self.client.update_user_pool(
            UserPoolId=web.pool_id, LambdaConfig={"PreTokenGeneration": ARN + "pre_token"}
        )
        return web

    def event(self, source: str, username: str) -> dict[str, Any]:
        path = self.functions / f"{source}-{username}.json"
        result: dict[str, Any] = json.loads(path.read_text())
        return result

    def claims(self, pool_id: str, token: str) -> dict[str, Any]:
        keys = jwt.PyJWKClient(f"{self.url}/{pool_id}/.well-known/jwks.json")
        key = keys.get_signing_key_from_jwt(token)
        found: dict[str, Any] = jwt.decode(
            token, key.key, algorithms=["RS256"], options={"verify_aud": False}
        )
        return found


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    functions = tmp_path_factory.mktemp("functions")
    (functions / "pre_token.py").write_text(textwrap.dedent(PRE_TOKEN))
    (functions / "refuse.py").write_text(textwrap.dedent(REFUSE))
    thread, running = start_server(tmp_path_factory.mktemp("data"), functions_dir=functions)
    try:
        yield Env(make_client(running.url), functions, running.url)
    finally:
        thread.stop()


def _authorize(env: Env, web: CodeClient, response_type: str, **extra: str) -> str:
    params = {"response_type": response_type, "client_id": web.client_id,
              "redirect_uri": CALLBACK, "scope": "openid email", **extra}  # fmt: skip
    with httpx.Client() as http:
        answer = sign_in(http, f"{env.url}/oauth2/authorize?{urlencode(params)}", web.username)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def _code_tokens(env: Env, web: CodeClient, **extra: str) -> dict[str, Any]:
    verifier, challenge = pkce_pair()
    location = _authorize(
        env, web, "code", code_challenge=challenge, code_challenge_method="S256", **extra
    )
    answer = httpx.post(f"{env.url}/oauth2/token", data={
        "grant_type": "authorization_code", "client_id": web.client_id,
        "code": query_of(location)["code"], "redirect_uri": CALLBACK, "code_verifier": verifier,
    })  # fmt: skip
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    return tokens


def test_code_exchange_runs_hosted_auth_and_refresh_runs_refresh_tokens(env: Env) -> None:
    web = env.web()
    tokens = _code_tokens(env, web)
    assert env.claims(web.pool_id, tokens["id_token"])["trigger"] == "TokenGeneration_HostedAuth"
    event = env.event("TokenGeneration_HostedAuth", web.username)
    assert event["callerContext"]["clientId"] == web.client_id
    assert not (env.functions / f"TokenGeneration_Authentication-{web.username}.json").exists()
    refreshed = httpx.post(f"{env.url}/oauth2/token", data={
        "grant_type": "refresh_token", "client_id": web.client_id,
        "refresh_token": tokens["refresh_token"],
    })  # fmt: skip
    assert refreshed.status_code == 200, refreshed.text
    claims = env.claims(web.pool_id, refreshed.json()["id_token"])
    assert claims["trigger"] == "TokenGeneration_RefreshTokens"


def test_implicit_grant_runs_hosted_auth(env: Env) -> None:
    web = env.web(AllowedOAuthFlows=["implicit"])
    location = _authorize(env, web, "token")
    fragment = {name: values[0] for name, values in parse_qs(urlsplit(location).fragment).items()}
    claims = env.claims(web.pool_id, fragment["id_token"])
    assert claims["trigger"] == "TokenGeneration_HostedAuth"
    assert env.event("TokenGeneration_HostedAuth", web.username)["userName"] == web.username


def test_a_refusing_function_is_invalid_request_on_every_grant(env: Env) -> None:
    """The code and refresh grants report a failed PreTokenGeneration as the client_credentials
    grant does: 400 invalid_request with Cognito's trigger message, never a 500."""
    web = env.web()
    tokens = _code_tokens(env, web)
    verifier, challenge = pkce_pair()
    location = _authorize(env, web, "code", code_challenge=challenge, code_challenge_method="S256")
    env.client.update_user_pool(
        UserPoolId=web.pool_id, LambdaConfig={"PreTokenGeneration": ARN + "refuse"}
    )
    exchanged = httpx.post(f"{env.url}/oauth2/token", data={
        "grant_type": "authorization_code", "client_id": web.client_id,
        "code": query_of(location)["code"], "redirect_uri": CALLBACK, "code_verifier": verifier,
    })  # fmt: skip
    refreshed = httpx.post(f"{env.url}/oauth2/token", data={
        "grant_type": "refresh_token", "client_id": web.client_id,
        "refresh_token": tokens["refresh_token"],
    })  # fmt: skip
    expected = {
        "error": "invalid_request",
        "error_description": "PreTokenGeneration failed with error no tokens today.",
    }
    for answer in (exchanged, refreshed):
        assert answer.status_code == 400, answer.text
        assert answer.json() == expected
