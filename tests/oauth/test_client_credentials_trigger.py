"""PreTokenGeneration on client_credentials grants (cognito-surface.md §8; developer guide,
"Pre token generation Lambda trigger"): only a V3_0 pool calls its function, with triggerSource
TokenGeneration_ClientCredentials, and only the access token's claims and scopes change.

Through /oauth2/token against a real server running a handler file in a worker. The handler
records each event under its client id (parsed with aws-lambda-powertools' V2 event class: V3
events have the V2 shape) and behaves as the request's aws_client_metadata `mode` asks.
"""

from __future__ import annotations

import json
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import (
    PreTokenGenerationV2TriggerEvent,
)

from tests.conftest import make_client, start_server

ARN = "arn:aws:lambda:us-east-1:123456789012:function:pre_token"
V3 = {"PreTokenGenerationConfig": {"LambdaArn": ARN, "LambdaVersion": "V3_0"}}

PRE_TOKEN = """
import json, os, time
HERE = os.path.dirname(__file__)
def handler(event, context):
    with open(os.path.join(HERE, event["callerContext"]["clientId"] + ".json"), "w") as f:
        json.dump(event, f)
    mode = (event["request"].get("clientMetadata") or {}).get("mode")
    if mode == "refuse":
        raise Exception("Machine not allowed")
    if mode == "hang":
        time.sleep(6)
    if mode == "garbage":
        return "not an event"
    api = event["request"]["scopes"][0].rsplit("/", 1)[0]
    event["response"]["claimsAndScopeOverrideDetails"] = {
        "accessTokenGeneration": {
            "claimsToAddOrOverride": {
                "tenant": event["request"]["clientMetadata"]["tenant"],
                "limits": {"rpm": 100, "burst": [1, 2]},
                "sub": "forged", "client_id": "forged", "iss": "https://evil.example",
                "scope": "forged", "token_use": "id", "version": 9, "cognito:groups": ["x"],
            },
            "claimsToSuppress": ["jti", "auth_time", "exp", "iat"],
            "scopesToAdd": [api + "/extra"],
            "scopesToSuppress": [api + "/write"],
        },
        "idTokenGeneration": {"claimsToAddOrOverride": {"id_only": "yes"}},
        "groupOverrideDetails": {"groupsToOverride": ["admins"]},
    }
    return event
"""


@dataclass
class Env:
    idp: Any
    functions: Path
    url: str

    def machine(self, lambda_config: dict[str, Any]) -> dict[str, str]:
        """A confidential client_credentials client (read and write of one resource server)
        of a new pool whose LambdaConfig is `lambda_config`."""
        pool_id = self.idp.create_user_pool(PoolName=f"m2m-{uuid.uuid4().hex[:8]}")["UserPool"][
            "Id"
        ]
        api = f"https://api-{uuid.uuid4().hex[:6]}.example"
        self.idp.create_resource_server(
            UserPoolId=pool_id, Identifier=api, Name="api",
            Scopes=[{"ScopeName": name, "ScopeDescription": name} for name in ("read", "write")],
        )  # fmt: skip
        client = self.idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="m2m", GenerateSecret=True,
            AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["client_credentials"],
            AllowedOAuthScopes=[f"{api}/read", f"{api}/write"],
        )["UserPoolClient"]  # fmt: skip
        self.idp.update_user_pool(UserPoolId=pool_id, LambdaConfig=lambda_config)
        return {"id": client["ClientId"], "secret": client["ClientSecret"], "api": api,
                "pool_id": pool_id}  # fmt: skip

    def token(self, machine: dict[str, str], **metadata: str) -> httpx.Response:
        form = {"grant_type": "client_credentials",
                "scope": f"{machine['api']}/read {machine['api']}/write"}  # fmt: skip
        if metadata:
            form["aws_client_metadata"] = json.dumps(metadata)
        return httpx.post(f"{self.url}/oauth2/token", data=form,
                          auth=(machine["id"], machine["secret"]), timeout=30)  # fmt: skip

    def claims(self, machine: dict[str, str], token: str) -> dict[str, Any]:
        keys = jwt.PyJWKClient(f"{self.url}/{machine['pool_id']}/.well-known/jwks.json")
        key = keys.get_signing_key_from_jwt(token)
        found: dict[str, Any] = jwt.decode(
            token, key.key, algorithms=["RS256"], issuer=f"{self.url}/{machine['pool_id']}"
        )
        return found

    def event(self, machine: dict[str, str]) -> PreTokenGenerationV2TriggerEvent | None:
        path = self.functions / f"{machine['id']}.json"
        if not path.exists():
            return None
        return PreTokenGenerationV2TriggerEvent(json.loads(path.read_text()))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    functions = tmp_path_factory.mktemp("functions")
    (functions / "pre_token.py").write_text(textwrap.dedent(PRE_TOKEN))
    thread, running = start_server(tmp_path_factory.mktemp("data"), functions_dir=functions)
    try:
        yield Env(make_client(running.url), functions, running.url)
    finally:
        thread.stop()


def test_v3_runs_for_client_credentials_and_changes_the_access_token(env: Env) -> None:
    machine = env.machine(V3)
    answer = env.token(machine, tenant="acme", environment="dev")
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) == {"access_token", "expires_in", "token_type"}
    event = env.event(machine)
    assert event is not None
    assert event.version == "3"
    assert event.trigger_source == "TokenGeneration_ClientCredentials"
    assert event.user_pool_id == machine["pool_id"]
    assert event.user_name == machine["id"]
    assert event.caller_context.client_id == machine["id"]
    assert event.request.user_attributes == {}
    assert event.request.group_configuration.groups_to_override == []
    assert event.request.group_configuration.iam_roles_to_override == []
    assert event.request.group_configuration.preferred_role is None
    assert event.request.scopes == [f"{machine['api']}/read", f"{machine['api']}/write"]
    assert event.request.client_metadata == {"tenant": "acme", "environment": "dev"}

    claims = env.claims(machine, answer.json()["access_token"])
    assert claims["tenant"] == "acme"
    assert claims["limits"] == {"rpm": 100, "burst": [1, 2]}
    # Scopes change only through scopesToAdd / scopesToSuppress.
    assert claims["scope"].split() == [f"{machine['api']}/read", f"{machine['api']}/extra"]
    # Protected claims are neither overridden nor suppressed; groups and ID-token parts
    # have nothing to apply to.
    assert claims["sub"] == claims["client_id"] == machine["id"]
    assert claims["token_use"] == "access"
    assert claims["version"] == 2
    assert {"jti", "auth_time", "exp", "iat"} <= set(claims)
    assert "cognito:groups" not in claims
    assert "id_only" not in claims


@pytest.mark.parametrize(
    "lambda_config",
    [
        {"PreTokenGeneration": ARN},
        {"PreTokenGenerationConfig": {"LambdaArn": ARN, "LambdaVersion": "V1_0"}},
        {"PreTokenGenerationConfig": {"LambdaArn": ARN, "LambdaVersion": "V2_0"}},
    ],
    ids=["bare-arn", "V1_0", "V2_0"],
)
def test_v1_and_v2_pools_do_not_call_the_function(env: Env, lambda_config: Any) -> None:
    machine = env.machine(lambda_config)
    answer = env.token(machine, tenant="acme")
    assert answer.status_code == 200, answer.text
    assert env.event(machine) is None
    claims = env.claims(machine, answer.json()["access_token"])
    assert "tenant" not in claims
    assert claims["scope"].split() == [f"{machine['api']}/read", f"{machine['api']}/write"]


@pytest.mark.parametrize(
    ("mode", "description"),
    [
        ("refuse", "PreTokenGeneration failed with error Machine not allowed."),
        ("garbage", "Unrecognizable lambda output"),
        (
            "hang",
            "PreTokenGeneration invocation failed due to error "
            "Socket timeout while invoking Lambda function.",
        ),
    ],
)
def test_a_failing_function_is_invalid_request(env: Env, mode: str, description: str) -> None:
    machine = env.machine(V3)
    answer = env.token(machine, mode=mode)
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_request", "error_description": description}
    assert answer.headers["cache-control"] == "no-store"
    assert env.event(machine) is not None


@pytest.mark.parametrize("metadata", ["not json", "[1, 2]", '{"n": 1}'])
def test_malformed_client_metadata_is_invalid_request(env: Env, metadata: str) -> None:
    machine = env.machine(V3)
    answer = httpx.post(
        f"{env.url}/oauth2/token",
        data={"grant_type": "client_credentials", "aws_client_metadata": metadata},
        auth=(machine["id"], machine["secret"]),
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    assert env.event(machine) is None
