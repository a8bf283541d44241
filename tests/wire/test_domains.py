"""User-pool domains over the wire, with boto3 and the AWS CLI."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.wire.test_clients import run_cli

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/abc-123"


@pytest.fixture
def prefix() -> str:
    """A domain prefix no other test uses."""
    return f"myapp-auth-{uuid.uuid4().hex[:10]}"


def test_create_and_describe_prefix_domain(idp_client: Any, pool_id: str, prefix: str) -> None:
    created = idp_client.create_user_pool_domain(Domain=prefix, UserPoolId=pool_id)
    assert created["ManagedLoginVersion"] == 1
    assert "CloudFrontDomain" not in created
    description = idp_client.describe_user_pool_domain(Domain=prefix)["DomainDescription"]
    assert description["UserPoolId"] == pool_id
    assert description["Domain"] == prefix
    assert description["Status"] == "ACTIVE"
    assert re.fullmatch(r"\d{12}", description["AWSAccountId"])
    assert re.fullmatch(r"d[a-z0-9]{13}\.cloudfront\.net", description["CloudFrontDistribution"])
    assert description["ManagedLoginVersion"] == 1
    assert "CustomDomainConfig" not in description
    pool = idp_client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["Domain"] == prefix
    assert "CustomDomain" not in pool


def test_custom_domain(idp_client: Any, pool_id: str, prefix: str) -> None:
    host = f"{prefix}.example.com"  # a full host name, beyond the model's prefix-only pattern
    created = idp_client.create_user_pool_domain(
        Domain=host,
        UserPoolId=pool_id,
        CustomDomainConfig={"CertificateArn": CERTIFICATE},
        ManagedLoginVersion=2,
    )
    assert re.fullmatch(r"d[a-z0-9]{13}\.cloudfront\.net", created["CloudFrontDomain"])
    assert created["ManagedLoginVersion"] == 2
    description = idp_client.describe_user_pool_domain(Domain=host)["DomainDescription"]
    assert description["CustomDomainConfig"] == {"CertificateArn": CERTIFICATE}
    assert description["CloudFrontDistribution"] == created["CloudFrontDomain"]
    pool = idp_client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["CustomDomain"] == host
    # A pool may hold a prefix domain beside its custom domain.
    idp_client.create_user_pool_domain(Domain=prefix + "-p", UserPoolId=pool_id)
    assert idp_client.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Domain"] == prefix + "-p"


def test_prefix_domain_is_one_label(idp_client: Any, pool_id: str, prefix: str) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="pattern"):
        idp_client.create_user_pool_domain(Domain=f"{prefix}.example.com", UserPoolId=pool_id)
    assert "Domain" not in idp_client.describe_user_pool(UserPoolId=pool_id)["UserPool"]


def test_describe_unknown_domain_is_empty(idp_client: Any) -> None:
    answer = idp_client.describe_user_pool_domain(Domain=f"nobody-{uuid.uuid4().hex[:8]}")
    assert answer["DomainDescription"] == {}


def test_describe_validation_failure(idp_client: Any) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="domain"):
        idp_client.describe_user_pool_domain(Domain="Not_Valid")


def test_domain_taken_by_another_pool(idp_client: Any, pool_id: str, prefix: str) -> None:
    idp_client.create_user_pool_domain(Domain=prefix, UserPoolId=pool_id)
    other = idp_client.create_user_pool(PoolName="other")["UserPool"]["Id"]
    with pytest.raises(
        idp_client.exceptions.InvalidParameterException,
        match=re.escape("Domain already associated with another user pool."),
    ):
        idp_client.create_user_pool_domain(Domain=prefix, UserPoolId=other)
    assert "Domain" not in idp_client.describe_user_pool(UserPoolId=other)["UserPool"]


def test_second_prefix_domain_is_refused(idp_client: Any, pool_id: str, prefix: str) -> None:
    idp_client.create_user_pool_domain(Domain=prefix, UserPoolId=pool_id)
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="already has"):
        idp_client.create_user_pool_domain(Domain=prefix + "-2", UserPoolId=pool_id)
    answer = idp_client.describe_user_pool_domain(Domain=prefix + "-2")
    assert answer["DomainDescription"] == {}


@pytest.mark.parametrize(
    ("extra", "message"),
    [({}, "reserved word"), ({"ManagedLoginVersion": 3}, "ManagedLoginVersion")],
)
def test_create_rules(idp_client: Any, pool_id: str, extra: dict[str, Any], message: str) -> None:
    domain = "my-cognito-login" if not extra else f"ok-{uuid.uuid4().hex[:8]}"
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match=message):
        idp_client.create_user_pool_domain(Domain=domain, UserPoolId=pool_id, **extra)
    assert idp_client.describe_user_pool_domain(Domain=domain)["DomainDescription"] == {}


def test_create_in_unknown_pool(idp_client: Any, prefix: str) -> None:
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.create_user_pool_domain(Domain=prefix, UserPoolId="us-east-1_nope12345")


def test_create_validation_failure(idp_client: Any, pool_id: str) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="domain"):
        idp_client.create_user_pool_domain(Domain="-bad-", UserPoolId=pool_id)


def test_update(idp_client: Any, pool_id: str, prefix: str) -> None:
    idp_client.create_user_pool_domain(
        Domain=prefix, UserPoolId=pool_id, CustomDomainConfig={"CertificateArn": CERTIFICATE}
    )
    renewed = CERTIFICATE.replace("abc-123", "def-456")
    updated = idp_client.update_user_pool_domain(
        Domain=prefix,
        UserPoolId=pool_id,
        ManagedLoginVersion=2,
        CustomDomainConfig={"CertificateArn": renewed},
    )
    assert updated["ManagedLoginVersion"] == 2
    assert "CloudFrontDomain" in updated
    kept = idp_client.update_user_pool_domain(Domain=prefix, UserPoolId=pool_id)
    assert kept["ManagedLoginVersion"] == 2
    description = idp_client.describe_user_pool_domain(Domain=prefix)["DomainDescription"]
    assert description["CustomDomainConfig"] == {"CertificateArn": renewed}
    assert description["ManagedLoginVersion"] == 2


def test_update_errors(idp_client: Any, pool_id: str, prefix: str) -> None:
    idp_client.create_user_pool_domain(Domain=prefix, UserPoolId=pool_id)
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="custom domain"):
        idp_client.update_user_pool_domain(
            Domain=prefix, UserPoolId=pool_id, CustomDomainConfig={"CertificateArn": CERTIFICATE}
        )
    other = idp_client.create_user_pool(PoolName="other")["UserPool"]["Id"]
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="No such domain"):
        idp_client.update_user_pool_domain(Domain=prefix, UserPoolId=other, ManagedLoginVersion=2)
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.update_user_pool_domain(Domain=prefix, UserPoolId="us-east-1_nope12345")
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="domain"):
        idp_client.update_user_pool_domain(Domain="UPPER", UserPoolId=pool_id)
    description = idp_client.describe_user_pool_domain(Domain=prefix)["DomainDescription"]
    assert description["ManagedLoginVersion"] == 1


def test_delete(idp_client: Any, pool_id: str, prefix: str) -> None:
    idp_client.create_user_pool_domain(Domain=prefix, UserPoolId=pool_id)
    other = idp_client.create_user_pool(PoolName="other")["UserPool"]["Id"]
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="No such domain"):
        idp_client.delete_user_pool_domain(Domain=prefix, UserPoolId=other)
    idp_client.delete_user_pool_domain(Domain=prefix, UserPoolId=pool_id)
    assert idp_client.describe_user_pool_domain(Domain=prefix)["DomainDescription"] == {}
    assert "Domain" not in idp_client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="No such domain"):
        idp_client.delete_user_pool_domain(Domain=prefix, UserPoolId=pool_id)
    # The name is free again, for any pool.
    idp_client.create_user_pool_domain(Domain=prefix, UserPoolId=other)


def test_delete_errors(idp_client: Any, prefix: str) -> None:
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.delete_user_pool_domain(Domain=prefix, UserPoolId="us-east-1_nope12345")
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="domain"):
        idp_client.delete_user_pool_domain(Domain="Not_Valid", UserPoolId="us-east-1_nope12345")


def test_deleting_the_pool_frees_its_domain(idp_client: Any, prefix: str) -> None:
    pool_id = idp_client.create_user_pool(PoolName="gone")["UserPool"]["Id"]
    idp_client.create_user_pool_domain(Domain=prefix, UserPoolId=pool_id)
    idp_client.delete_user_pool(UserPoolId=pool_id)
    assert idp_client.describe_user_pool_domain(Domain=prefix)["DomainDescription"] == {}


def test_aws_cli_seed_command(server: Any, idp_client: Any, pool_id: str, prefix: str) -> None:
    created = run_cli(
        server, "create-user-pool-domain", "--domain", prefix, "--user-pool-id", pool_id
    )
    assert created["ManagedLoginVersion"] == 1
    described = run_cli(server, "describe-user-pool-domain", "--domain", prefix)
    assert described["DomainDescription"]["UserPoolId"] == pool_id
