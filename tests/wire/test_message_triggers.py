"""CustomMessage for every message source, and CustomEmailSender, through boto3 against a real
server running handler files and delivering email to an SMTP sink.

Events are parsed with aws-lambda-powertools' Cognito event classes (a third-party statement
of their shapes).
"""

from __future__ import annotations

import contextlib
import io
import json
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import (
    CustomEmailSenderTriggerEvent,
    CustomMessageTriggerEvent,
    CustomSMSSenderTriggerEvent,
)

from cognate.cli import main
from cognate.triggers.code_encryption import decrypt_code
from tests.conftest import make_client, start_server
from tests.sinks import SmtpSink, smtp_sink

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
KMS_KEY_ID = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
PASSWORD = "Passw0rd!long"
TEMPORARY = "Temp0rary!pass"

# Written under a temporary name, then renamed: a reader never sees half a file.
RECORDING = """
import json, os
def record(event, name=None):
    path = os.path.join(os.path.dirname(__file__), (name or event["triggerSource"]) + ".json")
    with open(path + ".tmp", "w") as f:
        json.dump(event, f)
    os.replace(path + ".tmp", path)
"""

HANDLERS = {
    "acme_message": """
        def handler(event, context):
            record(event)
            request = event["request"]
            username = request["usernameParameter"]
            signature = f" for {username}" if username else ""
            event["response"]["emailSubject"] = "Acme " + event["triggerSource"]
            event["response"]["emailMessage"] = f"Acme code {request['codeParameter']}{signature}"
            event["response"]["smsMessage"] = f"Acme {request['codeParameter']}{signature}"
            return event
    """,
    "link_message": """
        def handler(event, context):
            event["response"]["emailSubject"] = "Acme link"
            event["response"]["emailMessage"] = "Acme: " + event["request"]["linkParameter"]
            return event
    """,
    # Keeps the code but drops the username: acceptable except for an invitation.
    "no_username": """
        def handler(event, context):
            event["response"]["emailMessage"] = "Code " + event["request"]["codeParameter"]
            return event
    """,
    "lost_code": """
        def handler(event, context):
            event["response"]["emailMessage"] = "No code here"
            return event
    """,
    "email_sender": """
        def handler(event, context):
            record(event, "sender-" + event["userName"])
            return None
    """,
    "sms_sender": """
        def handler(event, context):
            record(event, "sms-sender-" + event["userName"])
            return None
    """,
    "broken_sender": """
        def handler(event, context):
            raise Exception("mail provider down")
    """,
}


@dataclass
class Env:
    client: Any
    functions: Path
    data_dir: Path
    mail: SmtpSink

    def event(self, name: str, timeout: float = 10.0) -> dict[str, Any]:
        """The event a handler recorded under `name`, waiting for it: senders run after the
        API call has answered, so polling is the only way to observe them."""
        path = self.functions / f"{name}.json"
        deadline = time.monotonic() + timeout
        while not path.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"no event {name}")
            time.sleep(0.02)
        result: dict[str, Any] = json.loads(path.read_text())
        return result

    def pool(self, lambda_config: dict[str, Any], **kwargs: Any) -> str:
        created = self.client.create_user_pool(
            PoolName=f"p{uuid.uuid4().hex[:8]}", LambdaConfig=lambda_config, **kwargs
        )
        return str(created["UserPool"]["Id"])

    def app(self, pool_id: str) -> str:
        created = self.client.create_user_pool_client(
            UserPoolId=pool_id, ClientName="app",
            ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )  # fmt: skip
        return str(created["UserPoolClient"]["ClientId"])

    def mail_to(self, address: str) -> EmailMessage:
        while not any(m["To"] == address for m in self.mail.messages):
            self.mail.wait_for(len(self.mail.messages) + 1)
        return next(m for m in self.mail.messages if m["To"] == address)

    def nothing_sent_to(self, address: str) -> bool:
        return not any(m["To"] == address for m in self.mail.messages)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    functions = tmp_path_factory.mktemp("functions")
    for name, body in HANDLERS.items():
        (functions / f"{name}.py").write_text(RECORDING + textwrap.dedent(body))
    data_dir = tmp_path_factory.mktemp("data")
    with smtp_sink() as mail:
        thread, running = start_server(data_dir, functions_dir=functions, smtp_url=mail.url)
        try:
            yield Env(make_client(running.url), functions, data_dir, mail)
        finally:
            thread.stop()


def _email() -> str:
    return f"u{uuid.uuid4().hex[:10]}@example.com"


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def _user(env: Env, pool_id: str, username: str, address: str) -> None:
    env.client.admin_create_user(
        UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": address},
                        {"Name": "email_verified", "Value": "true"}],
    )  # fmt: skip
    env.client.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
    )


def _access_token(env: Env, pool_id: str, client_id: str, username: str) -> str:
    answer = env.client.admin_initiate_auth(
        UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )  # fmt: skip
    return str(answer["AuthenticationResult"]["AccessToken"])


def _status(env: Env, pool_id: str, username: str) -> str:
    return str(env.client.admin_get_user(UserPoolId=pool_id, Username=username)["UserStatus"])


def test_invitation_texts_come_from_the_function(env: Env) -> None:
    pool_id = env.pool({"CustomMessage": ARN + "acme_message"})
    address = _email()
    env.client.admin_create_user(
        UserPoolId=pool_id, Username="ivy", TemporaryPassword=TEMPORARY,
        UserAttributes=[{"Name": "email", "Value": address}],
        DesiredDeliveryMediums=["EMAIL"],
    )  # fmt: skip
    message = env.mail_to(address)
    assert message["Subject"] == "Acme CustomMessage_AdminCreateUser"
    assert _text(message).strip() == f"Acme code {TEMPORARY} for ivy"
    event = CustomMessageTriggerEvent(env.event("CustomMessage_AdminCreateUser"))
    assert event.trigger_source == "CustomMessage_AdminCreateUser"
    assert event.request.code_parameter == "{####}"
    assert event.request.username_parameter == "{username}"
    assert event.request.user_attributes["email"] == address
    assert event.caller_context.client_id == "CLIENT_ID_NOT_APPLICABLE"


@pytest.mark.parametrize("function", ["no_username", "lost_code"])
def test_invitation_must_keep_code_and_username(env: Env, function: str) -> None:
    pool_id = env.pool({"CustomMessage": ARN + function})
    address = _email()
    with pytest.raises(env.client.exceptions.InvalidLambdaResponseException):
        env.client.admin_create_user(
            UserPoolId=pool_id, Username="jay", TemporaryPassword=TEMPORARY,
            UserAttributes=[{"Name": "email", "Value": address}],
            DesiredDeliveryMediums=["EMAIL"],
        )  # fmt: skip
    assert env.nothing_sent_to(address)


def test_verify_and_update_attribute_messages(env: Env) -> None:
    pool_id = env.pool({"CustomMessage": ARN + "acme_message"}, AutoVerifiedAttributes=["email"])
    client_id = env.app(pool_id)
    address = _email()
    _user(env, pool_id, "kim", address)
    token = _access_token(env, pool_id, client_id, "kim")
    env.client.get_user_attribute_verification_code(
        AccessToken=token, AttributeName="email", ClientMetadata={"step": "verify"}
    )
    message = env.mail_to(address)
    assert message["Subject"] == "Acme CustomMessage_VerifyUserAttribute"
    assert _text(message).startswith("Acme code ")
    event = CustomMessageTriggerEvent(env.event("CustomMessage_VerifyUserAttribute"))
    assert event.caller_context.client_id == client_id
    assert event.request.client_metadata == {"step": "verify"}
    assert event.request.username_parameter is None

    changed = _email()
    env.client.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "email", "Value": changed}]
    )
    message = env.mail_to(changed)
    assert message["Subject"] == "Acme CustomMessage_UpdateUserAttribute"
    code = _text(message).split()[2]
    env.client.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)


def test_admin_update_attributes_pending_message(env: Env) -> None:
    pool_id = env.pool(
        {"CustomMessage": ARN + "acme_message"},
        AutoVerifiedAttributes=["email"],
        UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
    )
    _user(env, pool_id, "lee", _email())
    changed = _email()
    env.client.admin_update_user_attributes(
        UserPoolId=pool_id, Username="lee", UserAttributes=[{"Name": "email", "Value": changed}]
    )
    assert env.mail_to(changed)["Subject"] == "Acme CustomMessage_UpdateUserAttribute"


def test_admin_reset_password_message(env: Env) -> None:
    pool_id = env.pool({"CustomMessage": ARN + "acme_message"})
    address = _email()
    _user(env, pool_id, "max", address)
    env.client.admin_reset_user_password(
        UserPoolId=pool_id, Username="max", ClientMetadata={"by": "admin"}
    )
    message = env.mail_to(address)
    assert message["Subject"] == "Acme CustomMessage_ForgotPassword"
    event = CustomMessageTriggerEvent(env.event("CustomMessage_ForgotPassword"))
    assert event.request.client_metadata == {"by": "admin"}
    assert _status(env, pool_id, "max") == "RESET_REQUIRED"


def test_admin_reset_password_with_a_lost_code_changes_nothing(env: Env) -> None:
    pool_id = env.pool({"CustomMessage": ARN + "lost_code"})
    address = _email()
    _user(env, pool_id, "ned", address)
    with pytest.raises(env.client.exceptions.InvalidLambdaResponseException):
        env.client.admin_reset_user_password(UserPoolId=pool_id, Username="ned")
    assert env.nothing_sent_to(address)
    assert _status(env, pool_id, "ned") == "CONFIRMED"


def _sender_pool(env: Env, function: str) -> str:
    return env.pool(
        {
            "CustomEmailSender": {"LambdaVersion": "V1_0", "LambdaArn": ARN + function},
            "KMSKeyID": KMS_KEY_ID,
            # Not consulted: the sender replaces the message altogether.
            "CustomMessage": ARN + "lost_code",
        },
        AutoVerifiedAttributes=["email"],
    )


def _master_key(env: Env) -> str:
    return (env.data_dir / "master.key").read_text().strip()


def test_custom_email_sender_gets_the_encrypted_code(env: Env) -> None:
    pool_id = _sender_pool(env, "email_sender")
    client_id = env.app(pool_id)
    address = _email()
    username = f"s{uuid.uuid4().hex[:8]}"
    answer = env.client.sign_up(
        ClientId=client_id, Username=username, Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": address}],
    )  # fmt: skip
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    event = CustomEmailSenderTriggerEvent(env.event(f"sender-{username}"))
    assert event.trigger_source == "CustomEmailSender_SignUp"
    assert event.request.type == "customEmailSenderRequestV1"
    assert event.request.user_attributes["email"] == address
    assert event.caller_context.client_id == client_id
    code = decrypt_code(event.request.code, KMS_KEY_ID, _master_key(env))
    with pytest.raises(ValueError, match="does not decrypt"):
        decrypt_code(event.request.code, KMS_KEY_ID + "-other", _master_key(env))
    env.client.confirm_sign_up(ClientId=client_id, Username=username, ConfirmationCode=code)
    assert _status(env, pool_id, username) == "CONFIRMED"
    assert env.nothing_sent_to(address)


def test_decrypt_code_command(env: Env) -> None:
    pool_id = _sender_pool(env, "email_sender")
    address = _email()
    username = f"t{uuid.uuid4().hex[:8]}"
    _user(env, pool_id, username, address)
    env.client.admin_reset_user_password(
        UserPoolId=pool_id, Username=username, ClientMetadata={"app": "admin"}
    )
    event = CustomEmailSenderTriggerEvent(env.event(f"sender-{username}"))
    assert event.trigger_source == "CustomEmailSender_ForgotPassword"
    assert event.request.client_metadata == {"app": "admin"}
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        main(["decrypt-code", "--kms-key-id", KMS_KEY_ID, "--data-dir", str(env.data_dir),
              event.request.code])  # fmt: skip
    code = output.getvalue().strip()
    assert code == decrypt_code(event.request.code, KMS_KEY_ID, _master_key(env))
    env.client.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
    )
    assert env.nothing_sent_to(address)


def test_failing_sender_does_not_fail_the_call(env: Env) -> None:
    pool_id = _sender_pool(env, "broken_sender")
    client_id = env.app(pool_id)
    address = _email()
    answer = env.client.sign_up(
        ClientId=client_id, Username="olga", Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": address}],
    )  # fmt: skip
    assert answer["UserConfirmed"] is False
    assert env.nothing_sent_to(address)


def test_custom_email_sender_gets_the_invitation(env: Env) -> None:
    pool_id = _sender_pool(env, "email_sender")
    address = _email()
    username = f"v{uuid.uuid4().hex[:8]}"
    env.client.admin_create_user(
        UserPoolId=pool_id, Username=username, TemporaryPassword=TEMPORARY,
        UserAttributes=[{"Name": "email", "Value": address}], DesiredDeliveryMediums=["EMAIL"],
    )  # fmt: skip
    event = CustomEmailSenderTriggerEvent(env.event(f"sender-{username}"))
    assert event.trigger_source == "CustomEmailSender_AdminCreateUser"
    assert decrypt_code(event.request.code, KMS_KEY_ID, _master_key(env)) == TEMPORARY
    assert env.nothing_sent_to(address)


def test_confirmation_link_email_from_the_function(env: Env) -> None:
    pool_id = env.pool(
        {"CustomMessage": ARN + "link_message"},
        AutoVerifiedAttributes=["email"],
        VerificationMessageTemplate={"DefaultEmailOption": "CONFIRM_WITH_LINK"},
    )
    client_id = env.app(pool_id)
    address = _email()
    env.client.sign_up(
        ClientId=client_id, Username="pia", Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": address}],
    )  # fmt: skip
    message = env.mail_to(address)
    assert message["Subject"] == "Acme link"
    assert _text(message).startswith("Acme: Click Here: http")
    html = message.get_body(("html",))
    assert html is not None
    assert '<a href="http' in html.get_content()


def _mfa_sign_in(env: Env, pool_id: str, username: str) -> dict[str, Any]:
    client_id = env.app(pool_id)
    answer: dict[str, Any] = env.client.admin_initiate_auth(
        UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        ClientMetadata={"step": "mfa"},
    )  # fmt: skip
    answer["ClientId"] = client_id
    return answer


def _respond(env: Env, pool_id: str, answer: dict[str, Any], **responses: str) -> Any:
    return env.client.admin_respond_to_auth_challenge(
        UserPoolId=pool_id, ClientId=answer["ClientId"], ChallengeName=answer["ChallengeName"],
        Session=answer["Session"], ChallengeResponses=responses,
    )  # fmt: skip


def test_custom_email_sender_gets_the_email_mfa_code(env: Env) -> None:
    pool_id = _sender_pool(env, "email_sender")
    env.client.set_user_pool_mfa_config(
        UserPoolId=pool_id, MfaConfiguration="OPTIONAL",
        EmailMfaConfiguration={"Message": "Code {####}", "Subject": "Sign-in code"},
    )  # fmt: skip
    address = _email()
    username = f"m{uuid.uuid4().hex[:8]}"
    _user(env, pool_id, username, address)
    env.client.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username=username, EmailMfaSettings={"Enabled": True}
    )
    challenge = _mfa_sign_in(env, pool_id, username)
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    event = CustomEmailSenderTriggerEvent(env.event(f"sender-{username}"))
    assert event.trigger_source == "CustomEmailSender_Authentication"
    assert event.request.type == "customEmailSenderRequestV1"
    assert event.request.client_metadata == {"step": "mfa"}
    assert event.caller_context.client_id == challenge["ClientId"]
    code = decrypt_code(event.request.code, KMS_KEY_ID, _master_key(env))
    done = _respond(env, pool_id, challenge, USERNAME=username, EMAIL_OTP_CODE=code)
    assert "AuthenticationResult" in done
    assert env.nothing_sent_to(address)


def test_custom_sms_sender_gets_the_sms_mfa_code(env: Env) -> None:
    pool_id = env.pool(
        {
            "CustomSMSSender": {"LambdaVersion": "V1_0", "LambdaArn": ARN + "sms_sender"},
            "KMSKeyID": KMS_KEY_ID,
            "CustomMessage": ARN + "lost_code",
        }
    )
    env.client.set_user_pool_mfa_config(
        UserPoolId=pool_id, MfaConfiguration="OPTIONAL",
        SmsMfaConfiguration={
            "SmsAuthenticationMessage": "Your sign-in code is {####}",
            "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::000000000000:role/sms"},
        },
    )  # fmt: skip
    username = f"n{uuid.uuid4().hex[:8]}"
    _user(env, pool_id, username, _email())
    number = "+15550100" + str(uuid.uuid4().int)[:3]
    env.client.admin_update_user_attributes(
        UserPoolId=pool_id, Username=username,
        UserAttributes=[{"Name": "phone_number", "Value": number},
                        {"Name": "phone_number_verified", "Value": "true"}],
    )  # fmt: skip
    env.client.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username=username, SMSMfaSettings={"Enabled": True}
    )
    challenge = _mfa_sign_in(env, pool_id, username)
    assert challenge["ChallengeName"] == "SMS_MFA"
    event = CustomSMSSenderTriggerEvent(env.event(f"sms-sender-{username}"))
    assert event.trigger_source == "CustomSMSSender_Authentication"
    assert event.request.type == "customSMSSenderRequestV1"
    assert event.request.user_attributes["phone_number"] == number
    code = decrypt_code(event.request.code, KMS_KEY_ID, _master_key(env))
    done = _respond(env, pool_id, challenge, USERNAME=username, SMS_MFA_CODE=code)
    assert "AuthenticationResult" in done
