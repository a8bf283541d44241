"""An access token presented again and again (tokens/access.py remembers verified signatures):
every call still checks what can change since the first, on two servers sharing a database and
a clock the test moves: expiry, GlobalSignOut, disabling and deletion of the user, and token
revocation. A token differing in any byte from a remembered one is verified afresh."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.wire.clocked import Servers, clocked_servers
from tests.wire.delivery import PASSWORD


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory, database_url: str | None
) -> Iterator[Servers]:
    with clocked_servers(tmp_path_factory.mktemp("reuse"), database_url) as running:
        yield running


@pytest.fixture(autouse=True)
def real_time(servers: Servers) -> None:
    servers.clock.offset = timedelta(0)


@pytest.fixture(scope="module")
def app(servers: Servers) -> tuple[str, str]:
    idp = servers.first
    pool_id = idp.create_user_pool(PoolName="reuse")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", EnableTokenRevocation=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]  # fmt: skip
    return pool_id, client_id


def signed_in(servers: Servers, app: tuple[str, str]) -> tuple[str, dict[str, str]]:
    """A new user's name and tokens, the access token already used once on each server."""
    pool_id, client_id = app
    name = f"user-{uuid.uuid4().hex[:8]}"
    idp = servers.first
    idp.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=PASSWORD,
                                Permanent=True)  # fmt: skip
    tokens = idp.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]  # fmt: skip
    for server in (servers.first, servers.second):
        assert server.get_user(AccessToken=tokens["AccessToken"])["Username"] == name
    return name, tokens


def refused(server: Any, token: str, message: str) -> None:
    with pytest.raises(server.exceptions.ClientError) as caught:
        server.get_user(AccessToken=token)
    assert caught.value.response["Error"]["Message"] == message


def test_expiry_is_checked_on_every_use(servers: Servers, app: tuple[str, str]) -> None:
    _name, tokens = signed_in(servers, app)
    servers.clock.offset = timedelta(minutes=61)
    for server in (servers.first, servers.second):
        refused(server, tokens["AccessToken"], "Access Token has expired")


def test_sign_out_disable_delete_and_revocation(servers: Servers, app: tuple[str, str]) -> None:
    pool_id, client_id = app
    idp = servers.first
    _name, tokens = signed_in(servers, app)
    idp.global_sign_out(AccessToken=tokens["AccessToken"])
    refused(servers.second, tokens["AccessToken"], "Access Token has been revoked")

    name, tokens = signed_in(servers, app)
    idp.revoke_token(Token=tokens["RefreshToken"], ClientId=client_id)
    refused(servers.second, tokens["AccessToken"], "Access Token has been revoked")

    name, tokens = signed_in(servers, app)
    idp.admin_disable_user(UserPoolId=pool_id, Username=name)
    refused(servers.second, tokens["AccessToken"], "User is disabled.")
    idp.admin_delete_user(UserPoolId=pool_id, Username=name)
    refused(servers.second, tokens["AccessToken"], "User does not exist.")


def test_a_token_differing_in_one_byte_is_verified_afresh(
    servers: Servers, app: tuple[str, str]
) -> None:
    _name, tokens = signed_in(servers, app)
    token = tokens["AccessToken"]
    head, body, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    for variant in (f"{head}.{body}.{flipped}", f"{head}.{body}X.{signature}", token + "A"):
        refused(servers.second, variant, "Invalid Access Token")
    assert servers.second.get_user(AccessToken=token)["Username"] == _name
