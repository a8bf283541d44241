"""Hosted-UI domain rules: prefix and custom domains, their stored configuration."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from cognate.domain.user_pool_domain import PoolDomain, cloudfront_distribution, domain_config
from cognate.errors import InvalidParameterException

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_prefix_domain_config() -> None:
    config = domain_config("myapp", {})
    assert config == {
        "CloudFrontDistribution": cloudfront_distribution("myapp"),
        "ManagedLoginVersion": 1,
    }
    domain = PoolDomain(domain="myapp", pool_id="p", config=config, created_at=NOW)
    assert not domain.is_custom
    assert domain_config("myapp", {"ManagedLoginVersion": 2}, config)["ManagedLoginVersion"] == 2
    with pytest.raises(InvalidParameterException, match="custom domain"):
        domain_config("myapp", {"CustomDomainConfig": {"CertificateArn": "a"}}, config)
    with pytest.raises(InvalidParameterException, match="ManagedLoginVersion"):
        domain_config("myapp", {"ManagedLoginVersion": 0})
    with pytest.raises(InvalidParameterException, match="reserved word: amazon"):
        domain_config("my-amazon-login", {})


def test_custom_domain_config() -> None:
    config = domain_config("authexample", {"CustomDomainConfig": {"CertificateArn": "arn:1"}})
    assert PoolDomain(domain="authexample", pool_id="p", config=config, created_at=NOW).is_custom
    updated = domain_config(
        "authexample", {"CustomDomainConfig": {"CertificateArn": "arn:2"}}, config
    )
    assert updated["CustomDomainConfig"] == {"CertificateArn": "arn:2"}
    assert updated["CloudFrontDistribution"] == config["CloudFrontDistribution"]
    # Reserved words apply to Cognito's prefix domains only.
    domain_config("aws-example", {"CustomDomainConfig": {"CertificateArn": "arn:1"}})


def test_cloudfront_distribution_is_stable() -> None:
    name = cloudfront_distribution("a")
    assert name == cloudfront_distribution("a") != cloudfront_distribution("b")
    assert re.fullmatch(r"d[a-z0-9]{13}\.cloudfront\.net", name)
