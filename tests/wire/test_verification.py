"""The signed-in user's own attributes over the wire: verification codes by email, updates,
deletions, and deleting the account."""

from __future__ import annotations

import subprocess
import sys
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
    result = env.client.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
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


# UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate (developer guide,
# "Verifying updates to email addresses and phone numbers"): the new value waits for its code.

HOLD_EMAIL = {"AttributesRequireVerificationBeforeUpdate": ["email"]}


def verified_user(env: Env) -> tuple[str, str, str, str, str]:
    """A user of an email-alias pool that holds email updates, with a verified email, signed
    in by that email; (pool id, client id, username, email, access token)."""
    pool_id = env.pool(
        AutoVerifiedAttributes=["email"],
        AliasAttributes=["email"],
        UserAttributeUpdateSettings=HOLD_EMAIL,
    )
    client_id = env.app(pool_id)
    address = email()
    username = "user" + address[1:8]
    env.client.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": address},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    env.client.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
    )
    return pool_id, client_id, username, address, sign_in(env, client_id, address)


def sign_in(env: Env, client_id: str, name: str) -> str:
    result = env.client.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD},
    )
    return str(result["AuthenticationResult"]["AccessToken"])


def cannot_sign_in(env: Env, client_id: str, name: str) -> None:
    errors = env.client.exceptions
    with pytest.raises((errors.NotAuthorizedException, errors.UserNotFoundException)):
        sign_in(env, client_id, name)


def own_attributes(env: Env, token: str) -> dict[str, str]:
    user = env.client.get_user(AccessToken=token)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1000000:06d}"


def test_held_email_changes_only_once_verified(env: Env) -> None:
    pool_id, client_id, username, old, token = verified_user(env)
    new = email()
    answer = env.client.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "email", "Value": new}]
    )
    [details] = answer["CodeDeliveryDetailsList"]
    assert details["AttributeName"] == "email"
    assert details["DeliveryMedium"] == "EMAIL"
    assert details["Destination"] == "u***@e***"  # the new address, masked
    code = env.code_in_mail(new)
    assert env.mail_count(old) == 0
    # Until verified, the old value is the attribute, verified, and the sign-in alias.
    for shown in (attributes(env, pool_id, username), own_attributes(env, token)):
        assert shown["email"] == old
        assert shown["email_verified"] == "true"
        assert new not in shown.values()
    sign_in(env, client_id, old)
    cannot_sign_in(env, client_id, new)

    with pytest.raises(env.client.exceptions.CodeMismatchException):
        env.client.verify_user_attribute(
            AccessToken=token, AttributeName="email", Code=other_code(code)
        )
    assert attributes(env, pool_id, username)["email"] == old
    sign_in(env, client_id, old)

    env.client.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)
    shown = attributes(env, pool_id, username)
    assert shown["email"] == new
    assert shown["email_verified"] == "true"
    sign_in(env, client_id, new)
    cannot_sign_in(env, client_id, old)
    with pytest.raises(env.client.exceptions.ExpiredCodeException):
        env.client.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)


def test_second_update_replaces_the_pending_value(env: Env) -> None:
    pool_id, client_id, username, old, token = verified_user(env)
    first, second = email(), email()
    env.client.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "email", "Value": first}]
    )
    first_code = env.code_in_mail(first)
    env.client.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "email", "Value": second}]
    )
    second_code = env.code_in_mail(second)
    if first_code != second_code:  # one chance in a million that they coincide
        with pytest.raises(env.client.exceptions.CodeMismatchException):
            env.client.verify_user_attribute(
                AccessToken=token, AttributeName="email", Code=first_code
            )
    assert attributes(env, pool_id, username)["email"] == old
    # A resend goes to the pending address, not to the current one.
    env.client.get_user_attribute_verification_code(AccessToken=token, AttributeName="email")
    # Delivered before the answer: the server sends after its commit, before replying.
    assert env.mail_count(second) == 2
    assert env.mail_count(old) == 0
    resent = env.code_in_mail(second)
    env.client.verify_user_attribute(AccessToken=token, AttributeName="email", Code=resent)
    assert attributes(env, pool_id, username)["email"] == second
    cannot_sign_in(env, client_id, first)
    sign_in(env, client_id, second)


def test_pending_email_taken_meanwhile(env: Env) -> None:
    pool_id, _, username, old, token = verified_user(env)
    new = email()
    env.client.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "email", "Value": new}]
    )
    code = env.code_in_mail(new)
    env.client.admin_create_user(
        UserPoolId=pool_id,
        Username="other" + new[1:8],
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": new},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    for _ in range(2):  # nothing changed, so the code is still good (and still refused)
        with pytest.raises(env.client.exceptions.AliasExistsException):
            env.client.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)
    shown = attributes(env, pool_id, username)
    assert shown["email"] == old
    assert shown["email_verified"] == "true"


def test_admin_update_is_held_unless_vouched_for(env: Env) -> None:
    pool_id, client_id, username, old, token = verified_user(env)
    new = email()
    env.client.admin_update_user_attributes(
        UserPoolId=pool_id, Username=username, UserAttributes=[{"Name": "email", "Value": new}]
    )
    code = env.code_in_mail(new)
    assert attributes(env, pool_id, username)["email"] == old
    env.client.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)
    assert attributes(env, pool_id, username)["email"] == new

    held, vouched = email(), email()
    env.client.admin_update_user_attributes(
        UserPoolId=pool_id, Username=username, UserAttributes=[{"Name": "email", "Value": held}]
    )
    held_code = env.code_in_mail(held)
    # An administrator setting email_verified to true applies the value at once, without a
    # code, and the pending value and its code are gone.
    env.client.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[
            {"Name": "email", "Value": vouched},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    assert env.mail_count(vouched) == 0
    shown = attributes(env, pool_id, username)
    assert shown["email"] == vouched
    assert shown["email_verified"] == "true"
    sign_in(env, client_id, vouched)
    with pytest.raises(env.client.exceptions.ExpiredCodeException):
        env.client.verify_user_attribute(AccessToken=token, AttributeName="email", Code=held_code)
    assert attributes(env, pool_id, username)["email"] == vouched


def test_pending_value_is_encrypted_at_rest(
    env: Env, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _, _, _, _, token = verified_user(env)
    new = email()
    env.client.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "email", "Value": new}]
    )
    # The `env` server's data dir (tests/wire/conftest.py: mktemp("delivery")), searched by a
    # child process: closing a descriptor of the live SQLite file here would drop its locks
    # (see test_clients.test_secrets_are_encrypted_at_rest).
    roots = [str(root) for root in tmp_path_factory.getbasetemp().glob("delivery*")]
    assert roots
    search = (
        "import pathlib, sys\n"
        "needle = sys.argv[1].encode()\n"
        "print([str(p) for root in sys.argv[2:] for p in pathlib.Path(root).rglob('*')"
        " if p.is_file() and needle in p.read_bytes()])"
    )
    found = subprocess.run(
        [sys.executable, "-c", search, new, *roots], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert found == "[]"
