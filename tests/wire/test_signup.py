"""SignUp, ConfirmSignUp, ResendConfirmationCode and the confirmation link, over the wire with
real SMTP and SMS sinks: codes are read out of the delivered messages."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from cognate.auth.secret_hash import secret_hash
from tests.conftest import make_client, start_server
from tests.sinks import sms_sink
from tests.wire.delivery import PASSWORD, Env, email


def email_pool(env: Env, **kwargs: Any) -> str:
    return env.pool(UsernameAttributes=["email"], AutoVerifiedAttributes=["email"], **kwargs)


def initiate(env: Env, client_id: str, username: str, password: str) -> dict[str, Any]:
    result: dict[str, Any] = env.client.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return result


def test_sign_up_confirm_with_mailed_code_and_sign_in(env: Env) -> None:
    pool_id = email_pool(env)
    client_id = env.app(pool_id)
    address = email()
    answer = env.client.sign_up(ClientId=client_id, Username=address, Password=PASSWORD)
    assert answer["UserConfirmed"] is False
    assert re.fullmatch(r"[0-9a-f-]{36}", answer["UserSub"])
    assert answer["CodeDeliveryDetails"] == {
        "Destination": f"{address[0]}***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    message = env.mail_to(address)
    assert message["Subject"] == "Your verification code"
    code = env.code_in_mail(address)
    user = env.client.admin_get_user(UserPoolId=pool_id, Username=address)
    assert user["UserStatus"] == "UNCONFIRMED"
    assert user["Username"] == answer["UserSub"]
    env.client.confirm_sign_up(ClientId=client_id, Username=address, ConfirmationCode=code)
    user = env.client.admin_get_user(UserPoolId=pool_id, Username=address)
    assert user["UserStatus"] == "CONFIRMED"
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["email_verified"] == "true"
    with pytest.raises(
        env.client.exceptions.NotAuthorizedException,
        match=re.escape("User cannot be confirmed. Current status is CONFIRMED"),
    ):
        env.client.confirm_sign_up(ClientId=client_id, Username=address, ConfirmationCode=code)
    result = initiate(env, client_id, address, PASSWORD)
    assert result["AuthenticationResult"]["AccessToken"]


def test_sign_up_errors(env: Env) -> None:
    pool_id = email_pool(env)
    client_id = env.app(pool_id)
    address = email()
    env.client.sign_up(ClientId=client_id, Username=address, Password=PASSWORD)
    errors = env.client.exceptions
    with pytest.raises(errors.UsernameExistsException):
        env.client.sign_up(ClientId=client_id, Username=address.upper(), Password=PASSWORD)
    with pytest.raises(errors.InvalidPasswordException):
        env.client.sign_up(ClientId=client_id, Username=email(), Password="short")
    with pytest.raises(errors.InvalidParameterException, match="Username should be an email"):
        env.client.sign_up(ClientId=client_id, Username="plainname", Password=PASSWORD)
    with pytest.raises(errors.InvalidParameterException, match="schema"):
        env.client.sign_up(
            ClientId=client_id,
            Username=email(),
            Password=PASSWORD,
            UserAttributes=[{"Name": "custom:nope", "Value": "x"}],
        )
    with pytest.raises(errors.NotAuthorizedException, match="unauthorized attribute"):
        env.client.sign_up(
            ClientId=client_id,
            Username=email(),
            Password=PASSWORD,
            UserAttributes=[{"Name": "email_verified", "Value": "true"}],
        )
    with pytest.raises(errors.ResourceNotFoundException):
        env.client.sign_up(ClientId="x" * 26, Username=email(), Password=PASSWORD)


def test_sign_up_refused_when_admin_only(env: Env) -> None:
    pool_id = env.pool(AdminCreateUserConfig={"AllowAdminCreateUserOnly": True})
    client_id = env.app(pool_id)
    with pytest.raises(
        env.client.exceptions.NotAuthorizedException,
        match="SignUp is not permitted for this user pool",
    ):
        env.client.sign_up(ClientId=client_id, Username="bob", Password=PASSWORD)


def test_write_attributes_and_required(env: Env) -> None:
    pool_id = env.pool(Schema=[{"Name": "name", "AttributeDataType": "String", "Required": True}])
    client_id = env.app(pool_id, WriteAttributes=["name", "email"])
    errors = env.client.exceptions
    with pytest.raises(errors.InvalidParameterException, match="name"):
        env.client.sign_up(ClientId=client_id, Username="req1", Password=PASSWORD)
    with pytest.raises(errors.NotAuthorizedException):
        env.client.sign_up(
            ClientId=client_id,
            Username="req2",
            Password=PASSWORD,
            UserAttributes=[
                {"Name": "name", "Value": "N"},
                {"Name": "family_name", "Value": "F"},
            ],
        )
    answer = env.client.sign_up(
        ClientId=client_id,
        Username="req3",
        Password=PASSWORD,
        UserAttributes=[{"Name": "name", "Value": "N"}],
    )
    # Nothing is auto-verified: no code, no delivery details; an administrator confirms.
    assert "CodeDeliveryDetails" not in answer
    env.client.admin_confirm_sign_up(UserPoolId=pool_id, Username="req3")


def test_secret_hash_required_for_confidential_clients(env: Env) -> None:
    pool_id = email_pool(env)
    created = env.client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="secret", GenerateSecret=True
    )["UserPoolClient"]
    client_id, secret = created["ClientId"], created["ClientSecret"]
    address = email()
    with pytest.raises(env.client.exceptions.NotAuthorizedException, match="secret hash"):
        env.client.sign_up(ClientId=client_id, Username=address, Password=PASSWORD)
    env.client.sign_up(
        ClientId=client_id,
        Username=address,
        Password=PASSWORD,
        SecretHash=secret_hash(secret, address, client_id),
    )


def test_sms_when_both_auto_verified_and_custom_template(env: Env) -> None:
    pool_id = env.pool(
        AutoVerifiedAttributes=["email", "phone_number"],
        VerificationMessageTemplate={"SmsMessage": "Code for {username}: {####}"},
    )
    client_id = env.app(pool_id)
    phone = "+1555" + str(uuid.uuid4().int)[:7]
    answer = env.client.sign_up(
        ClientId=client_id,
        Username="smsuser",
        Password=PASSWORD,
        UserAttributes=[
            {"Name": "phone_number", "Value": phone},
            {"Name": "email", "Value": email()},
        ],
    )
    details = answer["CodeDeliveryDetails"]
    assert details["DeliveryMedium"] == "SMS"
    assert details["Destination"] == "+*******" + phone[-4:]
    sms = next(m for m in env.sms.wait_for(1) if m["phone_number"] == phone)
    match = re.fullmatch(r"Code for smsuser: (\d{6})", sms["message"])
    assert match
    env.client.confirm_sign_up(
        ClientId=client_id, Username="smsuser", ConfirmationCode=match.group(1)
    )
    user = env.client.admin_get_user(UserPoolId=pool_id, Username="smsuser")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["phone_number_verified"] == "true"
    assert "email_verified" not in attributes


def test_wrong_codes_then_too_many_attempts(env: Env) -> None:
    pool_id = email_pool(env)
    client_id = env.app(pool_id)
    address = email()
    env.client.sign_up(ClientId=client_id, Username=address, Password=PASSWORD)
    code = env.code_in_mail(address)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    errors = env.client.exceptions
    for _ in range(5):
        with pytest.raises(
            errors.CodeMismatchException,
            match=re.escape("Invalid verification code provided, please try again."),
        ):
            env.client.confirm_sign_up(ClientId=client_id, Username=address, ConfirmationCode=wrong)
    with pytest.raises(errors.TooManyFailedAttemptsException):
        env.client.confirm_sign_up(ClientId=client_id, Username=address, ConfirmationCode=code)


def test_only_the_newest_code_after_resend(env: Env) -> None:
    pool_id = email_pool(env)
    client_id = env.app(pool_id)
    address = email()
    env.client.sign_up(ClientId=client_id, Username=address, Password=PASSWORD)
    first = env.code_in_mail(address)
    resent = env.client.resend_confirmation_code(ClientId=client_id, Username=address)
    assert resent["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    env.mail.wait_for(len(env.mail.messages))
    while env.mail_count(address) < 2:
        env.mail.wait_for(len(env.mail.messages) + 1)
    second = env.code_in_mail(address)
    if first != second:
        with pytest.raises(env.client.exceptions.CodeMismatchException):
            env.client.confirm_sign_up(ClientId=client_id, Username=address, ConfirmationCode=first)
    env.client.confirm_sign_up(ClientId=client_id, Username=address, ConfirmationCode=second)
    with pytest.raises(env.client.exceptions.InvalidParameterException, match="already confirmed"):
        env.client.resend_confirmation_code(ClientId=client_id, Username=address)


def test_resend_limit(env: Env) -> None:
    pool_id = email_pool(env)
    client_id = env.app(pool_id)
    address = email()
    env.client.sign_up(ClientId=client_id, Username=address, Password=PASSWORD)
    for _ in range(5):
        env.client.resend_confirmation_code(ClientId=client_id, Username=address)
    with pytest.raises(
        env.client.exceptions.LimitExceededException,
        match=re.escape("Attempt limit exceeded, please try after some time."),
    ):
        env.client.resend_confirmation_code(ClientId=client_id, Username=address)


def test_twenty_parallel_confirmations_succeed_once(env: Env) -> None:
    pool_id = email_pool(env)
    client_id = env.app(pool_id)
    address = email()
    env.client.sign_up(ClientId=client_id, Username=address, Password=PASSWORD)
    code = env.code_in_mail(address)

    def confirm(_: int) -> str:
        client = make_client(env.url)
        try:
            client.confirm_sign_up(ClientId=client_id, Username=address, ConfirmationCode=code)
        except client.exceptions.ClientError as error:
            return str(error.response["Error"]["Code"])
        return "ok"

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(confirm, range(20)))
    assert results.count("ok") == 1
    assert set(results) - {"ok"} <= {"NotAuthorizedException", "ExpiredCodeException"}


@pytest.mark.parametrize("prevent", ["ENABLED", "LEGACY"])
def test_unknown_users(env: Env, prevent: str) -> None:
    pool_id = email_pool(env)
    client_id = env.app(pool_id, PreventUserExistenceErrors=prevent)
    unknown = email()
    errors = env.client.exceptions
    if prevent == "ENABLED":
        first = env.client.resend_confirmation_code(ClientId=client_id, Username=unknown)
        again = env.client.resend_confirmation_code(ClientId=client_id, Username=unknown)
        assert first["CodeDeliveryDetails"] == again["CodeDeliveryDetails"]
        assert first["CodeDeliveryDetails"]["Destination"] == f"{unknown[0]}***@e***"
        with pytest.raises(errors.CodeMismatchException):
            env.client.confirm_sign_up(
                ClientId=client_id, Username=unknown, ConfirmationCode="123456"
            )
    else:
        with pytest.raises(errors.UserNotFoundException, match="combination not found"):
            env.client.resend_confirmation_code(ClientId=client_id, Username=unknown)
        with pytest.raises(errors.UserNotFoundException):
            env.client.confirm_sign_up(
                ClientId=client_id, Username=unknown, ConfirmationCode="123456"
            )


def test_alias_held_only_once_confirmed(env: Env) -> None:
    pool_id = env.pool(AliasAttributes=["email"], AutoVerifiedAttributes=["email"])
    client_id = env.app(pool_id)
    address = email()
    attributes = [{"Name": "email", "Value": address}]
    env.client.sign_up(
        ClientId=client_id, Username="owner", Password=PASSWORD, UserAttributes=attributes
    )
    env.client.confirm_sign_up(
        ClientId=client_id, Username="owner", ConfirmationCode=env.code_in_mail(address)
    )
    sent = env.mail_count(address)
    # Signing up with someone's email succeeds (no enumeration); the code goes to that address.
    env.client.sign_up(
        ClientId=client_id, Username="attacker", Password=PASSWORD, UserAttributes=attributes
    )
    while env.mail_count(address) <= sent:
        env.mail.wait_for(len(env.mail.messages) + 1)
    code = env.code_in_mail(address)
    with pytest.raises(env.client.exceptions.AliasExistsException):
        env.client.confirm_sign_up(ClientId=client_id, Username="attacker", ConfirmationCode=code)
    # The refused confirmation did not spend the code: forcing the alias works.
    env.client.confirm_sign_up(
        ClientId=client_id, Username="attacker", ConfirmationCode=code, ForceAliasCreation=True
    )
    owner = env.client.admin_get_user(UserPoolId=pool_id, Username="owner")
    owner_attributes = {a["Name"]: a["Value"] for a in owner["UserAttributes"]}
    assert owner_attributes["email_verified"] == "false"


def test_confirm_with_link(env: Env) -> None:
    pool_id = email_pool(
        env,
        VerificationMessageTemplate={
            "DefaultEmailOption": "CONFIRM_WITH_LINK",
            "EmailSubjectByLink": "Confirm please",
            "EmailMessageByLink": "<p>Hello {username}, {##Click here##}</p>",
        },
    )
    client_id = env.app(pool_id)
    address = email()
    env.client.sign_up(ClientId=client_id, Username=address, Password=PASSWORD)
    message = env.mail_to(address)
    assert message["Subject"] == "Confirm please"
    html_part = message.get_body(("html",))
    assert html_part is not None
    match = re.search(r'href="([^"]+)"', html_part.get_content())
    assert match
    link = match.group(1).replace("&amp;", "&")
    assert link.startswith(env.url + "/confirmUser?client_id=")
    text_part = message.get_body(("plain",))
    assert text_part is not None and link in text_part.get_content()
    answer = httpx.get(link)
    assert answer.status_code == 200
    assert "confirmed" in answer.text
    user = env.client.admin_get_user(UserPoolId=pool_id, Username=address)
    assert user["UserStatus"] == "CONFIRMED"
    again = httpx.get(link)
    assert again.status_code == 400
    bad = httpx.get(env.url + "/confirmUser?client_id=x&user_name=y&confirmation_code=1")
    assert bad.status_code == 400


def test_admin_confirm_discards_the_pending_code(env: Env) -> None:
    pool_id = email_pool(env)
    client_id = env.app(pool_id)
    address = email()
    env.client.sign_up(ClientId=client_id, Username=address, Password=PASSWORD)
    code = env.code_in_mail(address)
    env.client.admin_confirm_sign_up(UserPoolId=pool_id, Username=address)
    with pytest.raises(env.client.exceptions.NotAuthorizedException):
        env.client.confirm_sign_up(ClientId=client_id, Username=address, ConfirmationCode=code)


def test_failed_delivery_leaves_no_user(tmp_path: Path) -> None:
    with sms_sink(status=500) as sms:
        thread, running = start_server(tmp_path, sms_webhook_url=sms.url)
        try:
            client = make_client(running.url)
            pool_id = client.create_user_pool(
                PoolName="p", AutoVerifiedAttributes=["phone_number"]
            )["UserPool"]["Id"]
            client_id = client.create_user_pool_client(UserPoolId=pool_id, ClientName="c")[
                "UserPoolClient"
            ]["ClientId"]
            with pytest.raises(client.exceptions.CodeDeliveryFailureException):
                client.sign_up(
                    ClientId=client_id,
                    Username="nobody",
                    Password=PASSWORD,
                    UserAttributes=[{"Name": "phone_number", "Value": "+15550001234"}],
                )
            assert client.list_users(UserPoolId=pool_id)["Users"] == []
        finally:
            thread.stop()
