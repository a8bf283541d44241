"""The signed-in user's own attributes over the wire: verification codes by email, updates,
deletions, and deleting the account."""

from __future__ import annotations

from typing import Any

import pytest

from tests.wire.delivery import PASSWORD, Env, email


def signed_in(env: Env, **pool_options: Any) -> tuple[str, str, str, str]:
    """A confirmed user with an unverified email; (pool id, client id, username, token)."""
    pool_id = env.pool(AutoVerifiedAttributes=["email"], **pool_options)
    client_id = env.app(pool_id)
    address = email()
    username = "user" + address[1:8]
    env.client.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": address}],
    )
    env.client.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
    )
    try:
        result = env.client.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )
    except env.client.exceptions.UnsupportedOperationException:
        pytest.skip("InitiateAuth is not implemented yet")
    return pool_id, client_id, username, result["AuthenticationResult"]["AccessToken"]


def attributes(env: Env, pool_id: str, username: str) -> dict[str, str]:
    user = env.client.admin_get_user(UserPoolId=pool_id, Username=username)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def test_verify_email_with_mailed_code(env: Env) -> None:
    pool_id, _, username, token = signed_in(env)
    address = attributes(env, pool_id, username)["email"]
    answer = env.client.get_user_attribute_verification_code(
        AccessToken=token, AttributeName="email"
    )
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    code = env.code_in_mail(address)
    with pytest.raises(env.client.exceptions.CodeMismatchException):
        env.client.verify_user_attribute(
            AccessToken=token, AttributeName="email", Code=f"{(int(code) + 1) % 1000000:06d}"
        )
    env.client.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)
    assert attributes(env, pool_id, username)["email_verified"] == "true"
    with pytest.raises(env.client.exceptions.ExpiredCodeException):
        env.client.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)
    with pytest.raises(env.client.exceptions.InvalidParameterException):
        env.client.get_user_attribute_verification_code(AccessToken=token, AttributeName="name")


def test_update_email_sends_a_code_and_needs_verification(env: Env) -> None:
    pool_id, _, username, token = signed_in(env)
    new_address = email()
    answer = env.client.update_user_attributes(
        AccessToken=token,
        UserAttributes=[{"Name": "email", "Value": new_address}, {"Name": "name", "Value": "N"}],
    )
    assert [d["AttributeName"] for d in answer["CodeDeliveryDetailsList"]] == ["email"]
    current = attributes(env, pool_id, username)
    assert current["email"] == new_address
    assert current["email_verified"] == "false"
    code = env.code_in_mail(new_address)
    env.client.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)
    assert attributes(env, pool_id, username)["email_verified"] == "true"
    with pytest.raises(env.client.exceptions.NotAuthorizedException):
        env.client.update_user_attributes(
            AccessToken=token, UserAttributes=[{"Name": "email_verified", "Value": "true"}]
        )


def test_delete_attributes_and_user(env: Env) -> None:
    pool_id, _, username, token = signed_in(env)
    env.client.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "name", "Value": "N"}]
    )
    env.client.delete_user_attributes(AccessToken=token, UserAttributeNames=["name"])
    assert "name" not in attributes(env, pool_id, username)
    env.client.delete_user(AccessToken=token)
    with pytest.raises(env.client.exceptions.UserNotFoundException):
        env.client.admin_get_user(UserPoolId=pool_id, Username=username)
    errors = env.client.exceptions
    with pytest.raises((errors.NotAuthorizedException, errors.UserNotFoundException)):
        env.client.delete_user(AccessToken=token)


def test_bad_token(env: Env) -> None:
    with pytest.raises(env.client.exceptions.NotAuthorizedException):
        env.client.get_user_attribute_verification_code(
            AccessToken="not.a.token", AttributeName="email"
        )
