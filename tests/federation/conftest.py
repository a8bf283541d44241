"""Two real Cognate servers: `upstream` plays the external OIDC provider (its own pool, hosted
UI, discovery and JWKS, on http://localhost:PORT), `downstream` is the pool users federate
into (on http://127.0.0.1:PORT, running trigger handlers from a functions dir). Distinct host
names keep the two servers' cookies apart, as two sites' are in a browser.
"""

from __future__ import annotations

import json
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cognate.settings import Settings
from tests.conftest import RunningServer, ServerThread, free_port, make_client, start_server
from tests.oauth.flows import CALLBACK, PASSWORD

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
PROVIDER = "Upstream"

RECORDING = """
import json, os
HERE = os.path.dirname(__file__)
def record(event):
    with open(os.path.join(HERE, event["triggerSource"] + ".json"), "w") as f:
        json.dump(event, f)
"""

HANDLERS = {
    "recorder": """
        def handler(event, context):
            record(event)
            return event
    """,
    "refuse_blocked": """
        def handler(event, context):
            record(event)
            if event["request"]["userAttributes"].get("email", "").endswith("@blocked.example"):
                raise Exception("Domain not allowed")
            return event
    """,
    "inbound": """
        def handler(event, context):
            record(event)
            claims = event["request"]["attributes"]["idToken"]
            event["response"]["userAttributesToMap"] = {
                "email": claims["email"],
                "name": "Dr. " + claims.get("name", ""),
                "department": "R&D",
            }
            return event
    """,
    # The developer guide's account-linking recipe: a native user with the same email gets
    # the external identity linked, from inside PreSignUp_ExternalProvider.
    "link_by_email": """
        import boto3
        def handler(event, context):
            record(event)
            with open(os.path.join(HERE, "server.json")) as f:
                url = json.load(f)["url"]
            idp = boto3.client("cognito-idp", endpoint_url=url, region_name="us-east-1",
                               aws_access_key_id="test", aws_secret_access_key="test")
            email = event["request"]["userAttributes"]["email"]
            found = idp.list_users(UserPoolId=event["userPoolId"],
                                   Filter='email = "' + email + '"')["Users"]
            native = [u for u in found if u["UserStatus"] != "EXTERNAL_PROVIDER"]
            if native:
                subject = event["userName"].split("_", 1)[1]
                idp.admin_link_provider_for_user(
                    UserPoolId=event["userPoolId"],
                    DestinationUser={"ProviderName": "Cognito",
                                     "ProviderAttributeValue": native[0]["Username"]},
                    SourceUser={"ProviderName": "Upstream",
                                "ProviderAttributeName": "Cognito_Subject",
                                "ProviderAttributeValue": subject})
            return event
    """,
}


@dataclass
class Upstream:
    """The provider: a pool whose app client is registered for downstream's idpresponse."""

    url: str
    client: Any
    pool_id: str
    client_id: str
    client_secret: str

    @property
    def issuer(self) -> str:
        return f"{self.url}/{self.pool_id}"

    def user(self, *, email: str | None = None, name: str = "Ada Lovelace") -> tuple[str, str]:
        """A new user of the provider: its username and sub."""
        username = f"ada-{uuid.uuid4().hex[:8]}"
        attributes = [
            {"Name": "email", "Value": email or f"{username}@example.com"},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "name", "Value": name},
        ]
        created = self.client.admin_create_user(
            UserPoolId=self.pool_id, Username=username, UserAttributes=attributes,
            MessageAction="SUPPRESS",
        )["User"]  # fmt: skip
        self.client.admin_set_user_password(
            UserPoolId=self.pool_id, Username=username, Password=PASSWORD, Permanent=True
        )
        sub = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
        return username, sub


@dataclass
class Downstream:
    """The federating server, its boto3 client and the functions dir of its triggers."""

    url: str
    client: Any
    functions: Path

    def event(self, source: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads((self.functions / f"{source}.json").read_text())
        return result

    def forget_events(self) -> None:
        for path in self.functions.glob("*.json"):
            if path.name != "server.json":
                path.unlink()


@dataclass
class Federation:
    """A downstream pool with the upstream as OIDC provider `Upstream`, and a web client."""

    upstream: Upstream
    downstream: Downstream
    pool_id: str
    client_id: str

    def authorize_url(self, **extra: str) -> str:
        from urllib.parse import urlencode

        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": CALLBACK,
            "scope": "openid email profile",
            "state": "app-state",
            "nonce": "app-nonce",
            **extra,
        }
        return f"{self.downstream.url}/oauth2/authorize?{urlencode(params)}"


@pytest.fixture(scope="session")
def upstream_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    port = free_port()
    data_dir = tmp_path_factory.mktemp("upstream")
    settings = Settings(
        host="127.0.0.1", port=port, data_dir=data_dir, public_url=f"http://localhost:{port}"
    )
    thread = ServerThread(settings)
    thread.start()
    yield RunningServer(url=f"http://localhost:{port}", settings=settings, data_dir=data_dir)
    thread.stop()


@pytest.fixture(scope="session")
def downstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Downstream]:
    functions = tmp_path_factory.mktemp("functions")
    for name, body in HANDLERS.items():
        (functions / f"{name}.py").write_text(RECORDING + textwrap.dedent(body))
    thread, running = start_server(tmp_path_factory.mktemp("downstream"), functions_dir=functions)
    (functions / "server.json").write_text(json.dumps({"url": running.url}))
    yield Downstream(url=running.url, client=make_client(running.url), functions=functions)
    thread.stop()


@pytest.fixture(scope="session")
def upstream(upstream_server: RunningServer, downstream: Downstream) -> Upstream:
    client = make_client(upstream_server.url)
    pool_id = client.create_user_pool(PoolName="provider")["UserPool"]["Id"]
    app = client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="cognate-downstream", GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email", "profile"],
        CallbackURLs=[f"{downstream.url}/oauth2/idpresponse"],
    )["UserPoolClient"]  # fmt: skip
    return Upstream(
        url=upstream_server.url, client=client, pool_id=pool_id,
        client_id=app["ClientId"], client_secret=app["ClientSecret"],
    )  # fmt: skip


def make_federation(
    upstream: Upstream,
    downstream: Downstream,
    *,
    lambda_config: dict[str, Any] | None = None,
    mapping: dict[str, str] | None = None,
    supported: list[str] | None = None,
    **pool_options: Any,
) -> Federation:
    """A new downstream pool federating with `upstream`."""
    idp = downstream.client
    pool_id = idp.create_user_pool(
        PoolName=f"fed-{uuid.uuid4().hex[:8]}", LambdaConfig=lambda_config or {}, **pool_options
    )["UserPool"]["Id"]
    idp.create_identity_provider(
        UserPoolId=pool_id, ProviderName=PROVIDER, ProviderType="OIDC",
        ProviderDetails={
            "client_id": upstream.client_id, "client_secret": upstream.client_secret,
            "authorize_scopes": "openid email profile", "oidc_issuer": upstream.issuer,
            "attributes_request_method": "GET",
        },
        AttributeMapping=mapping if mapping is not None else {
            "email": "email", "email_verified": "email_verified", "name": "name",
        },
        IdpIdentifiers=["example.com"],
    )  # fmt: skip
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email", "profile"],
        CallbackURLs=[CALLBACK],
        SupportedIdentityProviders=supported if supported is not None else ["COGNITO", PROVIDER],
    )["UserPoolClient"]["ClientId"]  # fmt: skip
    return Federation(upstream=upstream, downstream=downstream, pool_id=pool_id,
                      client_id=client_id)  # fmt: skip


@pytest.fixture
def federation(upstream: Upstream, downstream: Downstream) -> Federation:
    return make_federation(upstream, downstream)
