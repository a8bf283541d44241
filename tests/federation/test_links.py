"""AdminLinkProviderForUser and AdminDisableProviderForUser, through boto3, and what they do to
the next federated sign-in."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.federation.conftest import (
    ARN,
    PROVIDER,
    Downstream,
    Federation,
    Upstream,
    make_federation,
)
from tests.federation.journey import attributes, claims, sign_in_federated
from tests.oauth.flows import PASSWORD


def _native(fed: Federation, email: str | None = None) -> tuple[str, str]:
    username = f"native-{uuid.uuid4().hex[:6]}"
    extra = [{"Name": "email", "Value": email}] if email else []
    created = fed.downstream.client.admin_create_user(
        UserPoolId=fed.pool_id, Username=username, MessageAction="SUPPRESS",
        UserAttributes=extra,
    )["User"]  # fmt: skip
    fed.downstream.client.admin_set_user_password(
        UserPoolId=fed.pool_id, Username=username, Password=PASSWORD, Permanent=True
    )
    return username, next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")


def _source(subject: str, name: str = PROVIDER) -> dict[str, str]:
    return {"ProviderName": name, "ProviderAttributeName": "Cognito_Subject",
            "ProviderAttributeValue": subject}  # fmt: skip


def _link(fed: Federation, username: str, subject: str) -> None:
    fed.downstream.client.admin_link_provider_for_user(
        UserPoolId=fed.pool_id,
        DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": username},
        SourceUser=_source(subject),
    )


def test_linked_identity_signs_in_as_the_native_user(federation: Federation) -> None:
    fed = federation
    native, native_sub = _native(fed)
    upstream_name, upstream_sub = fed.upstream.user()
    _link(fed, native, upstream_sub)
    user, stored = attributes(fed, native)
    assert user["UserStatus"] == "CONFIRMED"
    [entry] = json.loads(stored["identities"])
    assert entry["userId"] == upstream_sub
    assert entry["primary"] is False

    tokens = sign_in_federated(fed, upstream_name)
    id_claims = claims(tokens["id_token"])
    assert id_claims["cognito:username"] == native
    assert id_claims["sub"] == native_sub
    assert id_claims["identities"][0]["primary"] == "false"
    assert id_claims["email"] == f"{upstream_name}@example.com"  # mapped onto the native user
    assert "cognito:groups" not in id_claims
    users = fed.downstream.client.list_users(UserPoolId=fed.pool_id)["Users"]
    assert [u["Username"] for u in users] == [native]
    # The native user keeps its own password.
    api_client = fed.downstream.client.create_user_pool_client(
        UserPoolId=fed.pool_id,
        ClientName="api",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]["ClientId"]
    answer = fed.downstream.client.admin_initiate_auth(
        UserPoolId=fed.pool_id, ClientId=api_client, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": native, "PASSWORD": PASSWORD},
    )  # fmt: skip
    assert claims(answer["AuthenticationResult"]["IdToken"])["sub"] == native_sub


def test_disabling_the_link_makes_the_next_sign_in_a_new_user(federation: Federation) -> None:
    fed = federation
    native, native_sub = _native(fed)
    upstream_name, upstream_sub = fed.upstream.user()
    _link(fed, native, upstream_sub)
    fed.downstream.client.admin_disable_provider_for_user(
        UserPoolId=fed.pool_id, User=_source(upstream_sub)
    )
    _, stored = attributes(fed, native)
    assert "identities" not in stored
    id_claims = claims(sign_in_federated(fed, upstream_name)["id_token"])
    assert id_claims["cognito:username"] == f"upstream_{upstream_sub}"
    assert id_claims["sub"] != native_sub
    # The federated user's own identity, disabled, disables that user.
    fed.downstream.client.admin_disable_provider_for_user(
        UserPoolId=fed.pool_id, User=_source(upstream_sub)
    )
    user, _ = attributes(fed, f"upstream_{upstream_sub}")
    assert user["Enabled"] is False


def test_link_errors(federation: Federation) -> None:
    fed = federation
    idp = fed.downstream.client
    native, _ = _native(fed)
    signed_in_name, signed_in_sub = fed.upstream.user()
    sign_in_federated(fed, signed_in_name)
    cognito = {"ProviderName": "Cognito", "ProviderAttributeValue": native}
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_link_provider_for_user(
            UserPoolId=fed.pool_id, SourceUser=_source("s-1"),
            DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": "nobody"},
        )  # fmt: skip
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.admin_link_provider_for_user(
            UserPoolId=fed.pool_id, DestinationUser=cognito, SourceUser=_source("s-1", "Ghost")
        )
    with pytest.raises(idp.exceptions.InvalidParameterException, match="Merging"):
        idp.admin_link_provider_for_user(
            UserPoolId=fed.pool_id, DestinationUser=cognito, SourceUser=_source(signed_in_sub)
        )
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.admin_link_provider_for_user(
            UserPoolId=fed.pool_id, DestinationUser=cognito,
            SourceUser={**_source("s-1"), "ProviderAttributeName": "email"},
        )  # fmt: skip
    for index in range(5):
        _link(fed, native, f"subject-{index}")
    with pytest.raises(idp.exceptions.LimitExceededException):
        _link(fed, native, "subject-5")
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_disable_provider_for_user(UserPoolId=fed.pool_id, User=_source("never"))


def test_pre_sign_up_links_by_email(upstream: Upstream, downstream: Downstream) -> None:
    fed = make_federation(upstream, downstream, lambda_config={"PreSignUp": ARN + "link_by_email"})
    email = f"grace-{uuid.uuid4().hex[:6]}@example.com"
    native, native_sub = _native(fed, email=email)
    upstream_name, _ = upstream.user(email=email)
    id_claims = claims(sign_in_federated(fed, upstream_name)["id_token"])
    assert id_claims["cognito:username"] == native
    assert id_claims["sub"] == native_sub
    users = downstream.client.list_users(UserPoolId=fed.pool_id)["Users"]
    assert [u["Username"] for u in users] == [native]
