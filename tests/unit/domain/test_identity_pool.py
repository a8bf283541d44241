"""Identity pools' pure rules: provider names, pool configuration, role resolution."""

from __future__ import annotations

from typing import Any

import pytest

from cognate.domain.identity_pool import (
    MAX_RULES,
    IdentityPool,
    PresentedLogin,
    canonical_provider,
    check_role_mappings,
    pool_config,
    resolve_role,
    rule_matches,
    unauthenticated_role,
    user_pool_of_provider,
)
from cognate.errors import (
    InvalidIdentityPoolConfigurationException,
    InvalidParameterException,
    NotAuthorizedException,
)

REGION = "us-east-1"
HOST = "127.0.0.1:9229"
KEY = "cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc123:client1"
AUTH, UNAUTH, ADMIN, READER = (
    f"arn:aws:iam::000000000000:role/{n}" for n in ("auth", "unauth", "admin", "reader")
)


def _pool(mappings: dict[str, Any] | None = None, **roles: str) -> IdentityPool:
    return IdentityPool(
        id="us-east-1:0f0f", name="p", config={}, roles=roles, role_mappings=mappings or {}
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc123", "us-east-1_Abc123"),
        ("127.0.0.1:9229/us-east-1_Abc123", "us-east-1_Abc123"),
        ("cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123", None),
        ("127.0.0.1:9230/us-east-1_Abc123", None),
        ("127.0.0.1:9229/us-east-1_Abc123/extra", None),
        ("accounts.google.com", None),
    ],
)
def test_user_pool_of_provider(name: str, expected: str | None) -> None:
    assert user_pool_of_provider(name, region=REGION, issuer_host=HOST) == expected


def test_canonical_provider() -> None:
    assert (
        canonical_provider(REGION, "us-east-1_X1")
        == "cognito-idp.us-east-1.amazonaws.com/us-east-1_X1"
    )


def test_pool_config_defaults_and_checks() -> None:
    config = pool_config(
        {"IdentityPoolName": "n", "AllowUnauthenticatedIdentities": True},
        region=REGION,
        issuer_host=HOST,
    )
    assert config == {
        "IdentityPoolName": "n",
        "AllowUnauthenticatedIdentities": True,
        "AllowClassicFlow": False,
    }
    base = {"IdentityPoolName": "n", "AllowUnauthenticatedIdentities": False}
    for providers in (
        [{"ProviderName": "example.com/x", "ClientId": "c"}],
        [{"ProviderName": "127.0.0.1:9229/us-east-1_A1"}],
    ):
        with pytest.raises(InvalidParameterException):
            pool_config({**base, "CognitoIdentityProviders": providers}, region=REGION,
                        issuer_host=HOST)  # fmt: skip
    pool = IdentityPool(id="r:1", name="n", config=config, roles={}, role_mappings={})
    assert pool.allows_unauthenticated and not pool.allows_classic_flow
    assert pool.wire()["IdentityPoolId"] == "r:1"


def test_check_role_mappings() -> None:
    check_role_mappings({KEY: {"Type": "Token", "AmbiguousRoleResolution": "Deny"}})
    rule = {"Claim": "c", "MatchType": "Equals", "Value": "v", "RoleARN": ADMIN}
    for bad in (
        {"Type": "Token"},
        {"Type": "Rules", "AmbiguousRoleResolution": "Deny"},
        {"Type": "Rules", "AmbiguousRoleResolution": "Deny",
         "RulesConfiguration": {"Rules": [rule] * (MAX_RULES + 1)}},
    ):  # fmt: skip
        with pytest.raises(InvalidParameterException):
            check_role_mappings({KEY: bad})


@pytest.mark.parametrize(
    ("match_type", "value", "claim", "expected"),
    [
        ("Equals", "admin", "admin", True),
        ("Equals", "admin", "admins", False),
        ("Contains", "dmi", "admin", True),
        ("Contains", "staff", ["a", "my-staff"], True),
        ("StartsWith", "ad", "admin", True),
        ("StartsWith", "ad", ["x", "y"], False),
        ("NotEqual", "admin", "reader", True),
        ("NotEqual", "admin", "admin", False),
        ("NotEqual", "admin", None, False),
        ("Equals", "admin", None, False),
        ("Unknown", "admin", "admin", False),
    ],
)
def test_rule_matches(match_type: str, value: str, claim: Any, expected: bool) -> None:
    rule = {"Claim": "c", "MatchType": match_type, "Value": value, "RoleARN": ADMIN}
    claims = {} if claim is None else {"c": claim}
    assert rule_matches(rule, claims) is expected


def test_roles_without_mapping_and_guest_role() -> None:
    login = PresentedLogin(mapping_key=KEY, claims={})
    assert resolve_role(_pool(authenticated=AUTH), [login]) == AUTH
    assert unauthenticated_role(_pool(unauthenticated=UNAUTH)) == UNAUTH
    with pytest.raises(InvalidIdentityPoolConfigurationException):
        resolve_role(_pool(), [login])
    with pytest.raises(InvalidIdentityPoolConfigurationException):
        unauthenticated_role(_pool(authenticated=AUTH))


def test_token_mapping() -> None:
    pool = _pool({KEY: {"Type": "Token", "AmbiguousRoleResolution": "Deny"}}, authenticated=AUTH)
    claims = {"cognito:roles": [ADMIN, READER], "cognito:preferred_role": ADMIN}
    login = PresentedLogin(mapping_key=KEY, claims=claims)
    assert resolve_role(pool, [login]) == ADMIN
    assert resolve_role(pool, [login], custom_role_arn=READER) == READER
    with pytest.raises(NotAuthorizedException):
        resolve_role(pool, [login], custom_role_arn=AUTH)
    comma = PresentedLogin(mapping_key=KEY, claims={"cognito:roles": f"{ADMIN},{READER}"})
    assert resolve_role(pool, [comma], custom_role_arn=READER) == READER
    with pytest.raises(NotAuthorizedException, match="ambiguous role mapping rules for: "):
        resolve_role(pool, [comma])


def test_rules_mapping() -> None:
    rules = [
        {"Claim": "g", "MatchType": "Equals", "Value": "a", "RoleARN": ADMIN},
        {"Claim": "h", "MatchType": "Equals", "Value": "r", "RoleARN": READER},
    ]
    mapping = {"Type": "Rules", "AmbiguousRoleResolution": "AuthenticatedRole",
               "RulesConfiguration": {"Rules": rules}}  # fmt: skip
    pool = _pool({KEY: mapping}, authenticated=AUTH)
    both = PresentedLogin(mapping_key=KEY, claims={"g": "a", "h": "r"})
    assert resolve_role(pool, [both]) == ADMIN
    assert resolve_role(pool, [both], custom_role_arn=READER) == READER
    assert resolve_role(pool, [PresentedLogin(mapping_key=KEY, claims={})]) == AUTH
    unmapped = PresentedLogin(mapping_key="other:client", claims={"g": "a"})
    assert resolve_role(pool, [unmapped, both]) == ADMIN
