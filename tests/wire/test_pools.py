"""User-pool administration through boto3 and the AWS CLI."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import uuid
from typing import Any

import pytest
from botocore.config import Config
from cryptography import x509

from tests.conftest import RunningServer, make_client

SEED_POLICIES = {
    "PasswordPolicy": {
        "MinimumLength": 8,
        "RequireUppercase": True,
        "RequireNumbers": True,
        "RequireSymbols": False,
    }
}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_create_and_describe_echo_settings(idp_client: Any) -> None:
    created = idp_client.create_user_pool(
        PoolName="MyAppUsers",
        Policies=SEED_POLICIES,
        AutoVerifiedAttributes=["email"],
        UsernameAttributes=["email"],
        MfaConfiguration="OPTIONAL",
        AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
        UserPoolTags={"team": "identity"},
        Schema=[{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]
    pool_id = created["Id"]
    assert pool_id.startswith("us-east-1_") and len(pool_id) == len("us-east-1_") + 9
    assert created["Arn"] == f"arn:aws:cognito-idp:us-east-1:000000000000:userpool/{pool_id}"

    described = idp_client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    policy = described["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] == 8
    assert policy["RequireSymbols"] is False
    assert policy["RequireLowercase"] is True  # Cognito's default fills what was not given
    assert described["UsernameAttributes"] == ["email"]
    assert described["AutoVerifiedAttributes"] == ["email"]
    assert described["MfaConfiguration"] == "OPTIONAL"
    assert described["AccountRecoverySetting"]["RecoveryMechanisms"][0]["Name"] == "verified_email"
    assert described["UserPoolTags"] == {"team": "identity"}
    assert described["EstimatedNumberOfUsers"] == 0
    assert described["CreationDate"].tzinfo is not None
    names = {attribute["Name"] for attribute in described["SchemaAttributes"]}
    assert {"sub", "email", "email_verified", "custom:tenant"} <= names


def test_alias_and_username_attributes_are_exclusive(idp_client: Any) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.create_user_pool(
            PoolName=unique("p"), AliasAttributes=["email"], UsernameAttributes=["email"]
        )


def test_bad_pool_name_is_a_validation_error(server: RunningServer) -> None:
    # boto3 would refuse these itself; what reaches the server from other clients must too.
    client = make_client(server.url, config=Config(parameter_validation=False))
    with pytest.raises(client.exceptions.InvalidParameterException, match="at 'poolName'"):
        client.create_user_pool(PoolName="")
    with pytest.raises(
        client.exceptions.InvalidParameterException, match="Value null at 'poolName'"
    ):
        client.create_user_pool()


def test_unknown_pool_is_resource_not_found(idp_client: Any) -> None:
    for call in (idp_client.describe_user_pool, idp_client.delete_user_pool):
        with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
            call(UserPoolId="us-east-1_NoSuchPoo")


def test_update_changes_and_resets_to_defaults(idp_client: Any, pool_id: str) -> None:
    idp_client.update_user_pool(
        UserPoolId=pool_id,
        Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireSymbols": False}},
        MfaConfiguration="OFF",
        AutoVerifiedAttributes=["email"],
    )
    described = idp_client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert described["AutoVerifiedAttributes"] == ["email"]
    idp_client.update_user_pool(UserPoolId=pool_id)
    described = idp_client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
    assert "AutoVerifiedAttributes" not in described


def test_deletion_protection(idp_client: Any) -> None:
    pool_id = idp_client.create_user_pool(PoolName=unique("p"), DeletionProtection="ACTIVE")[
        "UserPool"
    ]["Id"]
    with pytest.raises(
        idp_client.exceptions.InvalidParameterException, match="deletion protection"
    ):
        idp_client.delete_user_pool(UserPoolId=pool_id)
    idp_client.describe_user_pool(UserPoolId=pool_id)  # still there
    idp_client.update_user_pool(UserPoolId=pool_id, DeletionProtection="INACTIVE")
    idp_client.delete_user_pool(UserPoolId=pool_id)
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.describe_user_pool(UserPoolId=pool_id)


def test_list_user_pools_paginates(idp_client: Any) -> None:
    created = {
        idp_client.create_user_pool(PoolName=unique("page"))["UserPool"]["Id"] for _ in range(5)
    }
    seen: list[str] = []
    for page in idp_client.get_paginator("list_user_pools").paginate(
        PaginationConfig={"PageSize": 2}, MaxResults=2
    ):
        assert len(page["UserPools"]) <= 2
        seen += [item["Id"] for item in page["UserPools"]]
    assert created <= set(seen)
    assert len(seen) == len(set(seen))


def test_list_user_pools_rejects_foreign_token(idp_client: Any) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.list_user_pools(MaxResults=2, NextToken="bm90LWEtdG9rZW4")


def test_add_custom_attributes(idp_client: Any, pool_id: str) -> None:
    idp_client.add_custom_attributes(
        UserPoolId=pool_id,
        CustomAttributes=[{"Name": "plan", "AttributeDataType": "String"}],
    )
    schema = idp_client.describe_user_pool(UserPoolId=pool_id)["UserPool"]["SchemaAttributes"]
    assert "custom:plan" in {attribute["Name"] for attribute in schema}
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.add_custom_attributes(
            UserPoolId=pool_id,
            CustomAttributes=[{"Name": "plan", "AttributeDataType": "String"}],
        )


def test_signing_certificate_is_stable_x509(idp_client: Any, pool_id: str) -> None:
    first = idp_client.get_signing_certificate(UserPoolId=pool_id)["Certificate"]
    second = idp_client.get_signing_certificate(UserPoolId=pool_id)["Certificate"]
    assert first == second
    certificate = x509.load_der_x509_certificate(base64.b64decode(first))
    assert pool_id in certificate.subject.rfc4514_string()


def test_seed_command_with_aws_cli(server: RunningServer) -> None:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    output = subprocess.run(
        [
            "aws",
            "--endpoint-url",
            server.url,
            "cognito-idp",
            "create-user-pool",
            "--pool-name",
            "MyAppUsers",
            "--policies",
            json.dumps(SEED_POLICIES),
            "--auto-verified-attributes",
            "email",
            "--username-attributes",
            "email",
            "--mfa-configuration",
            "OPTIONAL",
            "--account-recovery-setting",
            '{"RecoveryMechanisms":[{"Priority":1,"Name":"verified_email"}]}',
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    pool = json.loads(output.stdout)["UserPool"]
    assert pool["Name"] == "MyAppUsers"
    assert pool["MfaConfiguration"] == "OPTIONAL"
