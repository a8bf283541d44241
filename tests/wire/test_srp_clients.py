"""Real SRP clients against a real server: pycognito (AWSSRP and Cognito.authenticate) and
amazon-cognito-identity-js under Node (authenticateUser, getSession, refreshSession).

The Node client is installed with npm into tests/js/node_modules once per session when it is
missing. Nothing is skipped: without node or npm these tests fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from pycognito import Cognito
from pycognito.aws_srp import AWSSRP

from tests.conftest import REGION, RunningServer

JS_DIR = Path(__file__).resolve().parent.parent / "js"
PASSWORD = "Corr3ct!horse"


@pytest.fixture(scope="session")
def node_client() -> Path:
    """tests/js with its dependencies installed; fails (never skips) without node and npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node is not None, "node is required for the amazon-cognito-identity-js tests"
    assert npm is not None, "npm is required for the amazon-cognito-identity-js tests"
    if not (JS_DIR / "node_modules" / "amazon-cognito-identity-js").is_dir():
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund"],
            cwd=JS_DIR,
            check=True,
            timeout=300,
            capture_output=True,
        )
    return JS_DIR


@pytest.fixture
def user(idp_client: Any, pool_id: str) -> dict[str, str]:
    """A confirmed user and a public client allowing SRP and refresh."""
    client_id = idp_client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=f"js-{uuid.uuid4().hex[:6]}",
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    idp_client.admin_create_user(
        UserPoolId=pool_id, Username="Alice", TemporaryPassword="Temp0rary!pass",
        MessageAction="SUPPRESS",
    )  # fmt: skip
    idp_client.admin_set_user_password(
        UserPoolId=pool_id, Username="alice", Password=PASSWORD, Permanent=True
    )
    return {"pool_id": pool_id, "client_id": client_id, "username": "ALICE"}


def verified_claims(server: RunningServer, pool_id: str, token: str, **options: Any) -> Any:
    """The claims of `token`, verified against the pool's JWKS (found at the SPEC's URL)."""
    keys = jwt.PyJWKClient(f"{server.url}/{pool_id}/.well-known/jwks.json")
    key = keys.get_signing_key_from_jwt(token)
    return jwt.decode(
        token, key.key, algorithms=["RS256"], issuer=f"{server.url}/{pool_id}", **options
    )


def run_node(server: RunningServer, directory: Path, user: dict[str, str], password: str) -> Any:
    completed = subprocess.run(
        [
            shutil.which("node") or "node",
            "srp_sign_in.mjs",
            server.url,
            user["pool_id"],
            user["client_id"],
            user["username"],
            password,
        ],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.stdout, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_amazon_cognito_identity_js_signs_in_and_refreshes(server, node_client, user):
    output = run_node(server, node_client, user, PASSWORD)
    assert "error" not in output, output
    assert output["username"] == "Alice"  # stored case, whatever case was typed
    assert output["cachedSessionIsSame"] is True
    assert output["signIn"]["isValid"] and output["refresh"]["isValid"]
    for tokens in (output["signIn"], output["refresh"]):
        access = verified_claims(server, user["pool_id"], tokens["accessToken"])
        assert access["token_use"] == "access"
        assert access["client_id"] == user["client_id"]
        identity = verified_claims(
            server, user["pool_id"], tokens["idToken"], audience=user["client_id"]
        )
        assert identity["cognito:username"] == "Alice"
    assert output["refresh"]["accessToken"] != output["signIn"]["accessToken"]


def test_amazon_cognito_identity_js_wrong_password(server, node_client, user):
    output = run_node(server, node_client, user, "Wr0ng!horse")
    assert output["error"]["code"] == "NotAuthorizedException"
    assert output["error"]["message"] == "Incorrect username or password."


def test_pycognito_awssrp(server, idp_client, user):
    helper = AWSSRP(
        username=user["username"],
        password=PASSWORD,
        pool_id=user["pool_id"],
        client_id=user["client_id"],
        client=idp_client,
    )
    result = helper.authenticate_user()["AuthenticationResult"]
    claims = verified_claims(server, user["pool_id"], result["AccessToken"])
    assert claims["username"] == "Alice"


def test_pycognito_cognito_authenticate(server, user):
    cognito = Cognito(
        user["pool_id"],
        user["client_id"],
        user_pool_region=REGION,
        username=user["username"],
        boto3_client_kwargs={
            "endpoint_url": server.url,
            "aws_access_key_id": "test",
            "aws_secret_access_key": "test",
        },
    )
    # authenticate() also verifies the ID token against the JWKS it finds under the endpoint.
    cognito.authenticate(password=PASSWORD)
    assert cognito.access_token and cognito.id_token and cognito.refresh_token
    assert cognito.token_type == "Bearer"
    cognito.renew_access_token()
    assert verified_claims(server, user["pool_id"], cognito.access_token)["token_use"] == "access"
