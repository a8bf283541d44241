"""App clients and client secrets over the wire, with boto3 and the AWS CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest

DEFAULT_FLOWS = ["ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def error_code(exc_info: pytest.ExceptionInfo[Any]) -> str:
    return str(exc_info.value.response["Error"]["Code"])


@pytest.fixture
def client(idp_client: Any, pool_id: str) -> dict[str, Any]:
    """A public client with default settings (its UserPoolClientType)."""
    created = idp_client.create_user_pool_client(UserPoolId=pool_id, ClientName="web")
    result: dict[str, Any] = created["UserPoolClient"]
    return result


@pytest.fixture
def secret_client(idp_client: Any, pool_id: str) -> dict[str, Any]:
    """A confidential client with a generated secret."""
    created = idp_client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="server", GenerateSecret=True
    )
    result: dict[str, Any] = created["UserPoolClient"]
    return result


def test_create_defaults(idp_client: Any, pool_id: str, client: dict[str, Any]) -> None:
    assert re.fullmatch(r"[a-z0-9]{26}", client["ClientId"])
    assert client["UserPoolId"] == pool_id
    assert client["ClientName"] == "web"
    assert "ClientSecret" not in client
    assert client["ExplicitAuthFlows"] == DEFAULT_FLOWS
    assert client["RefreshTokenValidity"] == 30
    assert client["AccessTokenValidity"] == 60
    assert client["IdTokenValidity"] == 60
    assert client["TokenValidityUnits"] == {
        "AccessToken": "minutes",
        "IdToken": "minutes",
        "RefreshToken": "days",
    }
    assert client["AuthSessionValidity"] == 3
    # The API's default (the console's is ENABLED): developer guide, "Managing user existence
    # error responses".
    assert client["PreventUserExistenceErrors"] == "LEGACY"
    assert client["EnableTokenRevocation"] is True
    assert client["EnablePropagateAdditionalUserContextData"] is False
    assert client["AllowedOAuthFlowsUserPoolClient"] is False
    assert client["CreationDate"] == client["LastModifiedDate"]
    described = idp_client.describe_user_pool_client(
        UserPoolId=pool_id, ClientId=client["ClientId"]
    )["UserPoolClient"]
    assert described == client


def test_generated_secret_is_shown_by_describe(
    idp_client: Any, pool_id: str, secret_client: dict[str, Any]
) -> None:
    secret = secret_client["ClientSecret"]
    assert re.fullmatch(r"[a-z0-9]{51}", secret)
    described = idp_client.describe_user_pool_client(
        UserPoolId=pool_id, ClientId=secret_client["ClientId"]
    )["UserPoolClient"]
    assert described["ClientSecret"] == secret


def test_caller_chosen_secret(idp_client: Any, pool_id: str) -> None:
    chosen = "my+own+secret+value+0123456789"
    created = idp_client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="svc", GenerateSecret=True, ClientSecret=chosen
    )["UserPoolClient"]
    assert created["ClientSecret"] == chosen


def test_client_secret_without_generate_secret_is_refused(idp_client: Any, pool_id: str) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.create_user_pool_client(
            UserPoolId=pool_id, ClientName="svc", ClientSecret="x" * 30
        )


def test_create_full_oauth_client(idp_client: Any, pool: dict[str, Any]) -> None:
    request = {
        "UserPoolId": pool["Id"],
        "ClientName": "spa",
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "AccessTokenValidity": 2,
        "IdTokenValidity": 30,
        "RefreshTokenValidity": 90,
        "TokenValidityUnits": {"IdToken": "minutes"},
        "ReadAttributes": ["email", "name"],
        "WriteAttributes": ["name"],
        "SupportedIdentityProviders": ["COGNITO"],
        "CallbackURLs": ["https://app.example.com/cb", "http://localhost:3000/cb", "myapp://cb"],
        "LogoutURLs": ["https://app.example.com/bye"],
        "DefaultRedirectURI": "https://app.example.com/cb",
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid", "email", "aws.cognito.signin.user.admin"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "PreventUserExistenceErrors": "LEGACY",
        "EnableTokenRevocation": False,
        "AuthSessionValidity": 15,
        "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 10},
    }
    client = idp_client.create_user_pool_client(**request)["UserPoolClient"]
    for key, value in request.items():
        if key != "TokenValidityUnits":
            assert client[key] == value, key
    assert client["TokenValidityUnits"] == {
        "AccessToken": "hours",
        "IdToken": "minutes",
        "RefreshToken": "days",
    }


def test_create_in_unknown_pool(idp_client: Any) -> None:
    with pytest.raises(
        idp_client.exceptions.ResourceNotFoundException,
        match=re.escape("User pool us-east-1_nope12345 does not exist."),
    ):
        idp_client.create_user_pool_client(UserPoolId="us-east-1_nope12345", ClientName="x")


def test_create_validation_failure(idp_client: Any, pool_id: str) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="clientName"):
        idp_client.create_user_pool_client(UserPoolId=pool_id, ClientName="bad/name")


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        (
            {"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "USER_PASSWORD_AUTH"]},
            "InvalidParameterException",
            "ExplicitAuthFlows can not have both ALLOW_XXX and XXX values.",
        ),
        (
            {"AccessTokenValidity": 4, "TokenValidityUnits": {"AccessToken": "minutes"}},
            "InvalidParameterException",
            "AccessTokenValidity",
        ),
        ({"IdTokenValidity": 25}, "InvalidParameterException", "IdTokenValidity"),
        (
            {"RefreshTokenValidity": 59, "TokenValidityUnits": {"RefreshToken": "minutes"}},
            "InvalidParameterException",
            "RefreshTokenValidity",
        ),
        ({"RefreshTokenValidity": 3651}, "InvalidParameterException", "RefreshTokenValidity"),
        (
            {
                "RefreshTokenValidity": 60,
                "TokenValidityUnits": {"RefreshToken": "minutes"},
                "AccessTokenValidity": 2,
            },
            "InvalidParameterException",
            "RefreshTokenValidity must be longer than AccessTokenValidity",
        ),
        ({"ReadAttributes": ["shoe_size"]}, "InvalidParameterException", "read attributes"),
        ({"WriteAttributes": ["custom:nope"]}, "InvalidParameterException", "write attributes"),
        (
            {"SupportedIdentityProviders": ["Google"]},
            "InvalidParameterException",
            "The provider Google does not exist for User Pool",
        ),
        ({"CallbackURLs": ["http://app.example.com/cb"]}, "InvalidParameterException", "HTTPS"),
        ({"CallbackURLs": ["/relative"]}, "InvalidParameterException", "absolute"),
        ({"LogoutURLs": ["https://a.example.com/#x"]}, "InvalidParameterException", "fragment"),
        (
            {"CallbackURLs": ["https://a.example.com/"], "DefaultRedirectURI": "https://b.example"},
            "InvalidParameterException",
            "DefaultRedirectURI",
        ),
        (
            {"AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthScopes": ["openid"]},
            "InvalidOAuthFlowException",
            "AllowedOAuthFlows",
        ),
        (
            {"AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthFlows": ["implicit"]},
            "InvalidOAuthFlowException",
            "AllowedOAuthScopes",
        ),
        (
            {"AllowedOAuthFlows": ["code"]},
            "InvalidOAuthFlowException",
            "CallbackUrls can not be empty when code flow or implicit flow is selected",
        ),
        (
            {"AllowedOAuthFlows": ["client_credentials"]},
            "InvalidOAuthFlowException",
            "client_credentials flow can not be selected if client does not have a client secret",
        ),
        (
            {"GenerateSecret": True, "AllowedOAuthFlows": ["client_credentials", "code"]},
            "InvalidOAuthFlowException",
            "client_credentials flow can not be selected along with code flow",
        ),
        (
            {"AllowedOAuthScopes": ["openid", "orders/read"]},
            "ScopeDoesNotExistException",
            "Invalid scope requested: orders/read",
        ),
    ],
)
def test_create_rules(
    idp_client: Any, pool_id: str, overrides: dict[str, Any], error: str, message: str
) -> None:
    with pytest.raises(idp_client.exceptions.ClientError) as exc_info:
        idp_client.create_user_pool_client(UserPoolId=pool_id, ClientName="c", **overrides)
    assert error_code(exc_info) == error
    assert message in str(exc_info.value)
    # Nothing was written.
    assert idp_client.list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"] == []


def test_attributes_of_the_pool_schema_are_accepted(idp_client: Any, pool_id: str) -> None:
    idp_client.add_custom_attributes(
        UserPoolId=pool_id, CustomAttributes=[{"Name": "tier", "AttributeDataType": "String"}]
    )
    client = idp_client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="c",
        ReadAttributes=["custom:tier", "email_verified"],
        WriteAttributes=["custom:tier", "email_verified"],
    )["UserPoolClient"]
    assert client["ReadAttributes"] == ["custom:tier", "email_verified"]


def test_client_credentials_with_secret(idp_client: Any, pool_id: str) -> None:
    client = idp_client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="m2m",
        GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=["openid"],
        AllowedOAuthFlowsUserPoolClient=True,
    )["UserPoolClient"]
    assert client["AllowedOAuthFlows"] == ["client_credentials"]


def test_loopback_http_callbacks_are_allowed(idp_client: Any, pool_id: str) -> None:
    urls = ["http://localhost/cb", "http://127.0.0.1:8080/cb", "http://[::1]:9000/cb"]
    client = idp_client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="native", CallbackURLs=urls
    )["UserPoolClient"]
    assert client["CallbackURLs"] == urls


def test_describe_unknown_client(idp_client: Any, pool_id: str) -> None:
    with pytest.raises(
        idp_client.exceptions.ResourceNotFoundException,
        match=re.escape("User pool client abcdefghijklmnopqrstuvwxyz does not exist."),
    ):
        idp_client.describe_user_pool_client(
            UserPoolId=pool_id, ClientId="abcdefghijklmnopqrstuvwxyz"
        )


def test_describe_client_of_another_pool(idp_client: Any, client: dict[str, Any]) -> None:
    other = idp_client.create_user_pool(PoolName="other")["UserPool"]["Id"]
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.describe_user_pool_client(UserPoolId=other, ClientId=client["ClientId"])


def test_describe_validation_failure(idp_client: Any, pool_id: str) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="clientId"):
        idp_client.describe_user_pool_client(UserPoolId=pool_id, ClientId="not-valid!")


def test_update_resets_omitted_settings(
    idp_client: Any, pool_id: str, secret_client: dict[str, Any]
) -> None:
    client_id = secret_client["ClientId"]
    idp_client.update_user_pool_client(
        UserPoolId=pool_id,
        ClientId=client_id,
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"],
        AccessTokenValidity=3,
        ReadAttributes=["email"],
    )
    updated = idp_client.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id)[
        "UserPoolClient"
    ]
    assert updated["ClientName"] == "server"
    assert updated["ClientSecret"] == secret_client["ClientSecret"]
    assert updated["ExplicitAuthFlows"] == DEFAULT_FLOWS
    assert updated["AccessTokenValidity"] == 60
    assert "ReadAttributes" not in updated
    assert updated["CreationDate"] == secret_client["CreationDate"]
    assert updated["LastModifiedDate"] >= secret_client["LastModifiedDate"]


def test_update_changes_name_and_settings(
    idp_client: Any, pool_id: str, client: dict[str, Any]
) -> None:
    updated = idp_client.update_user_pool_client(
        UserPoolId=pool_id,
        ClientId=client["ClientId"],
        ClientName="renamed",
        PreventUserExistenceErrors="ENABLED",
    )["UserPoolClient"]
    assert updated["ClientName"] == "renamed"
    described = idp_client.describe_user_pool_client(
        UserPoolId=pool_id, ClientId=client["ClientId"]
    )["UserPoolClient"]
    assert described == updated
    assert described["PreventUserExistenceErrors"] == "ENABLED"


def test_update_rule_violation_changes_nothing(
    idp_client: Any, pool_id: str, client: dict[str, Any]
) -> None:
    with pytest.raises(idp_client.exceptions.InvalidOAuthFlowException):
        idp_client.update_user_pool_client(
            UserPoolId=pool_id,
            ClientId=client["ClientId"],
            ClientName="renamed",
            AllowedOAuthFlows=["client_credentials"],
        )
    with pytest.raises(idp_client.exceptions.ScopeDoesNotExistException):
        idp_client.update_user_pool_client(
            UserPoolId=pool_id, ClientId=client["ClientId"], AllowedOAuthScopes=["x/y"]
        )
    described = idp_client.describe_user_pool_client(
        UserPoolId=pool_id, ClientId=client["ClientId"]
    )["UserPoolClient"]
    assert described == client


def test_update_unknown_client(idp_client: Any, pool_id: str) -> None:
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.update_user_pool_client(UserPoolId=pool_id, ClientId="a" * 26)


def test_update_validation_failure(idp_client: Any, pool_id: str, client: dict[str, Any]) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="authSession"):
        idp_client.update_user_pool_client(
            UserPoolId=pool_id, ClientId=client["ClientId"], AuthSessionValidity=16
        )


def test_delete(idp_client: Any, pool_id: str, secret_client: dict[str, Any]) -> None:
    client_id = secret_client["ClientId"]
    idp_client.delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)


def test_delete_validation_failure(idp_client: Any, pool_id: str) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="clientId"):
        idp_client.delete_user_pool_client(UserPoolId=pool_id, ClientId="no such!")


def test_list_pages(idp_client: Any, pool_id: str) -> None:
    created = {
        idp_client.create_user_pool_client(UserPoolId=pool_id, ClientName=f"c{index}")[
            "UserPoolClient"
        ]["ClientId"]
        for index in range(5)
    }
    first = idp_client.list_user_pool_clients(UserPoolId=pool_id, MaxResults=2)
    assert len(first["UserPoolClients"]) == 2
    assert "NextToken" in first
    paginator = idp_client.get_paginator("list_user_pool_clients")
    listed = [
        item
        for page in paginator.paginate(UserPoolId=pool_id, PaginationConfig={"PageSize": 2})
        for item in page["UserPoolClients"]
    ]
    assert {item["ClientId"] for item in listed} == created
    assert len(listed) == 5
    assert all(item["UserPoolId"] == pool_id for item in listed)
    whole = idp_client.list_user_pool_clients(UserPoolId=pool_id)
    assert len(whole["UserPoolClients"]) == 5
    assert "NextToken" not in whole


def test_list_token_of_another_pool_is_refused(idp_client: Any, pool_id: str) -> None:
    for index in range(2):
        idp_client.create_user_pool_client(UserPoolId=pool_id, ClientName=f"c{index}")
    token = idp_client.list_user_pool_clients(UserPoolId=pool_id, MaxResults=1)["NextToken"]
    other = idp_client.create_user_pool(PoolName="other")["UserPool"]["Id"]
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.list_user_pool_clients(UserPoolId=other, NextToken=token)


def test_list_unknown_pool(idp_client: Any) -> None:
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.list_user_pool_clients(UserPoolId="us-east-1_nope12345")


def test_list_validation_failure(idp_client: Any, pool_id: str) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="maxResults"):
        idp_client.list_user_pool_clients(UserPoolId=pool_id, MaxResults=61)


def test_secret_rotation(idp_client: Any, pool_id: str, secret_client: dict[str, Any]) -> None:
    ids = {"UserPoolId": pool_id, "ClientId": secret_client["ClientId"]}
    [original] = idp_client.list_user_pool_client_secrets(**ids)["ClientSecrets"]
    assert set(original) == {"ClientSecretId", "ClientSecretCreateDate"}
    added = idp_client.add_user_pool_client_secret(**ids)["ClientSecretDescriptor"]
    assert re.fullmatch(r"[a-z0-9]{51}", added["ClientSecretValue"])
    listed = idp_client.list_user_pool_client_secrets(**ids)["ClientSecrets"]
    assert [item["ClientSecretId"] for item in listed] == [
        original["ClientSecretId"],
        added["ClientSecretId"],
    ]
    assert all("ClientSecretValue" not in item for item in listed)
    with pytest.raises(idp_client.exceptions.LimitExceededException):
        idp_client.add_user_pool_client_secret(**ids)
    idp_client.delete_user_pool_client_secret(**ids, ClientSecretId=original["ClientSecretId"])
    described = idp_client.describe_user_pool_client(**ids)["UserPoolClient"]
    assert described["ClientSecret"] == added["ClientSecretValue"]
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="last"):
        idp_client.delete_user_pool_client_secret(**ids, ClientSecretId=added["ClientSecretId"])
    assert len(idp_client.list_user_pool_client_secrets(**ids)["ClientSecrets"]) == 1


def test_add_chosen_secret(idp_client: Any, pool_id: str, secret_client: dict[str, Any]) -> None:
    chosen = "rotated+secret+0123456789abcdef"
    added = idp_client.add_user_pool_client_secret(
        UserPoolId=pool_id, ClientId=secret_client["ClientId"], ClientSecret=chosen
    )["ClientSecretDescriptor"]
    assert added["ClientSecretValue"] == chosen


def test_add_secret_to_public_client_is_refused(
    idp_client: Any, pool_id: str, client: dict[str, Any]
) -> None:
    ids = {"UserPoolId": pool_id, "ClientId": client["ClientId"]}
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.add_user_pool_client_secret(**ids)
    assert idp_client.list_user_pool_client_secrets(**ids)["ClientSecrets"] == []


def test_add_secret_validation_failure(
    idp_client: Any, pool_id: str, secret_client: dict[str, Any]
) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="clientSecret"):
        idp_client.add_user_pool_client_secret(
            UserPoolId=pool_id,
            ClientId=secret_client["ClientId"],
            ClientSecret="has spaces, which are refused!",
        )


def test_secret_operations_on_unknown_client(idp_client: Any, pool_id: str) -> None:
    ids = {"UserPoolId": pool_id, "ClientId": "b" * 26}
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.add_user_pool_client_secret(**ids)
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.list_user_pool_client_secrets(**ids)
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.delete_user_pool_client_secret(**ids, ClientSecretId="x")


def test_delete_unknown_secret(
    idp_client: Any, pool_id: str, secret_client: dict[str, Any]
) -> None:
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException, match="does not exist"):
        idp_client.delete_user_pool_client_secret(
            UserPoolId=pool_id, ClientId=secret_client["ClientId"], ClientSecretId="nope"
        )


def test_secret_list_validation_failures(
    idp_client: Any, pool_id: str, secret_client: dict[str, Any]
) -> None:
    ids = {"UserPoolId": pool_id, "ClientId": secret_client["ClientId"]}
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.list_user_pool_client_secrets(**ids, NextToken="bogus")
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="clientSecretId"):
        idp_client.delete_user_pool_client_secret(**ids, ClientSecretId="x" * 129)


def test_secrets_are_encrypted_at_rest(
    server: Any, idp_client: Any, secret_client: dict[str, Any]
) -> None:
    secret = secret_client["ClientSecret"]
    # The files are searched by a child process: the server shares this process, and closing
    # any descriptor of its SQLite file here would drop the POSIX locks SQLite holds on it
    # (the SQLite docs' "broken POSIX advisory locking"), inviting another process to
    # checkpoint away the WAL under the live server.
    search = (
        "import pathlib, sys\n"
        "root, needle = pathlib.Path(sys.argv[1]), sys.argv[2].encode()\n"
        "print([str(p) for p in root.rglob('*') if p.is_file() and p.name != 'master.key'"
        " and needle in p.read_bytes()])"
    )
    found = subprocess.run(
        [sys.executable, "-c", search, str(server.data_dir), secret],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert found == "[]"


def run_cli(server: Any, *args: str) -> dict[str, Any]:
    """Run the real AWS CLI against the server and parse its JSON output."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    completed = subprocess.run(
        ["aws", "--endpoint-url", server.url, "--output", "json", "cognito-idp", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def test_aws_cli_seed_command(server: Any, pool_id: str) -> None:
    created = run_cli(
        server,
        "create-user-pool-client",
        "--user-pool-id",
        pool_id,
        "--client-name",
        "WebApp",
        "--no-generate-secret",
        "--explicit-auth-flows",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    )["UserPoolClient"]
    assert created["ClientName"] == "WebApp"
    assert created["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert "ClientSecret" not in created
    listed = run_cli(server, "list-user-pool-clients", "--user-pool-id", pool_id)
    assert [item["ClientId"] for item in listed["UserPoolClients"]] == [created["ClientId"]]
