"""ForgotPassword, ConfirmForgotPassword and AdminResetUserPassword over the wire, with the
reset code read out of the delivered email or SMS."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from cognate.domain import quotas
from cognate.domain.quotas import Quota
from tests.conftest import make_client, start_server
from tests.sinks import sms_sink
from tests.wire.delivery import PASSWORD, Env, email

NEW_PASSWORD = "N3w-Passw0rd!"


def confirmed_user(env: Env, pool_id: str, *, verified: bool = True) -> str:
    address = email()
    env.client.admin_create_user(
        UserPoolId=pool_id,
        Username=address,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": address},
            {"Name": "email_verified", "Value": "true" if verified else "false"},
        ],
    )
    env.client.admin_set_user_password(
        UserPoolId=pool_id, Username=address, Password=PASSWORD, Permanent=True
    )
    return address


def status(env: Env, pool_id: str, username: str) -> str:
    return str(env.client.admin_get_user(UserPoolId=pool_id, Username=username)["UserStatus"])


def sign_in_works(env: Env, client_id: str, username: str, password: str) -> bool | None:
    try:
        env.client.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    except env.client.exceptions.UnsupportedOperationException:
        return None
    except env.client.exceptions.NotAuthorizedException:
        return False
    return True


def test_forgot_and_confirm(env: Env) -> None:
    pool_id = env.pool(UsernameAttributes=["email"], Policies={"PasswordPolicy": {
        "MinimumLength": 8, "PasswordHistorySize": 2}})  # fmt: skip
    client_id = env.app(pool_id)
    address = confirmed_user(env, pool_id)
    answer = env.client.forgot_password(ClientId=client_id, Username=address)
    assert answer["CodeDeliveryDetails"] == {
        "Destination": f"{address[0]}***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    code = env.code_in_mail(address)
    errors = env.client.exceptions
    with pytest.raises(errors.InvalidPasswordException):
        env.client.confirm_forgot_password(
            ClientId=client_id, Username=address, ConfirmationCode=code, Password="short"
        )
    with pytest.raises(errors.PasswordHistoryPolicyViolationException):
        env.client.confirm_forgot_password(
            ClientId=client_id, Username=address, ConfirmationCode=code, Password=PASSWORD
        )
    env.client.confirm_forgot_password(
        ClientId=client_id, Username=address, ConfirmationCode=code, Password=NEW_PASSWORD
    )
    assert status(env, pool_id, address) == "CONFIRMED"
    with pytest.raises(errors.ExpiredCodeException, match="request a code again"):
        env.client.confirm_forgot_password(
            ClientId=client_id, Username=address, ConfirmationCode=code, Password="An0ther-one!"
        )
    new_works = sign_in_works(env, client_id, address, NEW_PASSWORD)
    if new_works is not None:
        assert new_works
        assert sign_in_works(env, client_id, address, PASSWORD) is False


def test_never_requested_code_is_expired(env: Env) -> None:
    pool_id = env.pool()
    client_id = env.app(pool_id)
    address = confirmed_user(env, pool_id)
    with pytest.raises(env.client.exceptions.ExpiredCodeException):
        env.client.confirm_forgot_password(
            ClientId=client_id, Username=address, ConfirmationCode="123456", Password=NEW_PASSWORD
        )


def test_sign_up_code_does_not_reset_a_password(env: Env) -> None:
    pool_id = env.pool(UsernameAttributes=["email"], AutoVerifiedAttributes=["email"])
    client_id = env.app(pool_id)
    address = email()
    env.client.sign_up(ClientId=client_id, Username=address, Password=PASSWORD)
    code = env.code_in_mail(address)
    with pytest.raises(env.client.exceptions.ExpiredCodeException):
        env.client.confirm_forgot_password(
            ClientId=client_id, Username=address, ConfirmationCode=code, Password=NEW_PASSWORD
        )


def test_no_verified_contact_and_admin_only(env: Env) -> None:
    pool_id = env.pool()
    client_id = env.app(pool_id)
    address = confirmed_user(env, pool_id, verified=False)
    with pytest.raises(
        env.client.exceptions.InvalidParameterException, match="registered/verified"
    ):
        env.client.forgot_password(ClientId=client_id, Username=address)
    admin_pool = env.pool(
        AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "admin_only"}]}
    )
    admin_client = env.app(admin_pool)
    admin_user = confirmed_user(env, admin_pool)
    with pytest.raises(env.client.exceptions.NotAuthorizedException):
        env.client.forgot_password(ClientId=admin_client, Username=admin_user)


def test_recovery_by_sms_when_phone_comes_first(env: Env) -> None:
    pool_id = env.pool(
        AccountRecoverySetting={
            "RecoveryMechanisms": [
                {"Priority": 1, "Name": "verified_phone_number"},
                {"Priority": 2, "Name": "verified_email"},
            ]
        }
    )
    client_id = env.app(pool_id)
    phone = "+1555" + str(uuid.uuid4().int)[:7]
    env.client.admin_create_user(
        UserPoolId=pool_id,
        Username="phoneuser",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "phone_number", "Value": phone},
            {"Name": "phone_number_verified", "Value": "true"},
            {"Name": "email", "Value": email()},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    answer = env.client.forgot_password(ClientId=client_id, Username="phoneuser")
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "SMS"
    env.sms.wait_for(1)
    messages = [m for m in env.sms.messages if m["phone_number"] == phone]
    assert messages and "Your verification code is" in messages[-1]["message"]


@pytest.mark.parametrize("prevent", ["ENABLED", "LEGACY"])
def test_unknown_and_disabled_users(env: Env, prevent: str) -> None:
    pool_id = env.pool()
    client_id = env.app(pool_id, PreventUserExistenceErrors=prevent)
    disabled = confirmed_user(env, pool_id)
    env.client.admin_disable_user(UserPoolId=pool_id, Username=disabled)
    errors = env.client.exceptions
    if prevent == "ENABLED":
        for username in ("nobody-here", disabled):
            details = env.client.forgot_password(ClientId=client_id, Username=username)
            again = env.client.forgot_password(ClientId=client_id, Username=username)
            assert details["CodeDeliveryDetails"] == again["CodeDeliveryDetails"]
            assert details["CodeDeliveryDetails"]["DeliveryMedium"] in ("EMAIL", "SMS")
            with pytest.raises(errors.CodeMismatchException):
                env.client.confirm_forgot_password(
                    ClientId=client_id,
                    Username=username,
                    ConfirmationCode="123456",
                    Password=NEW_PASSWORD,
                )
    else:
        with pytest.raises(errors.UserNotFoundException, match="combination not found"):
            env.client.forgot_password(ClientId=client_id, Username="nobody-here")
        with pytest.raises(errors.NotAuthorizedException, match="disabled"):
            env.client.forgot_password(ClientId=client_id, Username=disabled)
        with pytest.raises(errors.UserNotFoundException):
            env.client.confirm_forgot_password(
                ClientId=client_id,
                Username="nobody-here",
                ConfirmationCode="123456",
                Password=NEW_PASSWORD,
            )


def test_twenty_parallel_resets_succeed_once(env: Env) -> None:
    pool_id = env.pool()
    client_id = env.app(pool_id)
    address = confirmed_user(env, pool_id)
    env.client.forgot_password(ClientId=client_id, Username=address)
    code = env.code_in_mail(address)

    def reset(index: int) -> str:
        client = make_client(env.url)
        try:
            client.confirm_forgot_password(
                ClientId=client_id,
                Username=address,
                ConfirmationCode=code,
                Password=f"Parallel-{index}-Pw!",
            )
        except client.exceptions.ClientError as error:
            return str(error.response["Error"]["Code"])
        return f"ok:{index}"

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(reset, range(20)))
    winners = [result for result in results if result.startswith("ok:")]
    assert len(winners) == 1
    assert set(results) - set(winners) == {"ExpiredCodeException", "LimitExceededException"}
    # Each call is counted against the user's quota before anything else, none lost.
    limit = quotas.LIMITS[Quota.CONFIRM_FORGOT_PASSWORD]
    assert results.count("LimitExceededException") == 20 - limit
    winner = int(winners[0].split(":")[1])
    works = sign_in_works(env, client_id, address, f"Parallel-{winner}-Pw!")
    assert works in (True, None)


def test_admin_reset_sends_a_code(env: Env) -> None:
    pool_id = env.pool()
    client_id = env.app(pool_id)
    address = confirmed_user(env, pool_id)
    before = env.mail_count(address)
    env.client.admin_reset_user_password(UserPoolId=pool_id, Username=address)
    assert status(env, pool_id, address) == "RESET_REQUIRED"
    while env.mail_count(address) <= before:
        env.mail.wait_for(len(env.mail.messages) + 1)
    code = env.code_in_mail(address)
    env.client.confirm_forgot_password(
        ClientId=client_id, Username=address, ConfirmationCode=code, Password=NEW_PASSWORD
    )
    assert status(env, pool_id, address) == "CONFIRMED"


def test_wrong_reset_codes_exhaust_the_code(env: Env) -> None:
    pool_id = env.pool()
    client_id = env.app(pool_id)
    address = confirmed_user(env, pool_id)
    env.client.forgot_password(ClientId=client_id, Username=address)
    code = env.code_in_mail(address)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for _ in range(5):
        with pytest.raises(env.client.exceptions.CodeMismatchException):
            env.client.confirm_forgot_password(
                ClientId=client_id, Username=address, ConfirmationCode=wrong, Password=NEW_PASSWORD
            )
    with pytest.raises(env.client.exceptions.TooManyFailedAttemptsException):
        env.client.confirm_forgot_password(
            ClientId=client_id, Username=address, ConfirmationCode=code, Password=NEW_PASSWORD
        )


def test_admin_reset_undone_when_delivery_fails(tmp_path: Path) -> None:
    with sms_sink(status=500) as sms:
        thread, running = start_server(tmp_path, sms_webhook_url=sms.url)
        try:
            client: Any = make_client(running.url)
            pool_id = client.create_user_pool(PoolName="p")["UserPool"]["Id"]
            client.admin_create_user(
                UserPoolId=pool_id,
                Username="u",
                MessageAction="SUPPRESS",
                UserAttributes=[
                    {"Name": "phone_number", "Value": "+15550001234"},
                    {"Name": "phone_number_verified", "Value": "true"},
                ],
            )
            client.admin_set_user_password(
                UserPoolId=pool_id, Username="u", Password=PASSWORD, Permanent=True
            )
            with pytest.raises(client.exceptions.CodeDeliveryFailureException):
                client.admin_reset_user_password(UserPoolId=pool_id, Username="u")
            user = client.admin_get_user(UserPoolId=pool_id, Username="u")
            assert user["UserStatus"] == "CONFIRMED"
        finally:
            thread.stop()
