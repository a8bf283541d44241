"""UserMigration_Authentication's response through boto3 against a real server running a
handler file: the welcome message (`messageAction`, `desiredDeliveryMediums`),
`forceAliasCreation` and `enableSMSMFA` ("Migrate user Lambda trigger"); and the hosted UI,
whose /login and /forgotPassword migrate as InitiateAuth and ForgotPassword do.

The legacy directory is a JSON file per user name next to the handler: its `response` is what
the function answers for that name, so each test states the response it is about.
"""

from __future__ import annotations

import json
import re
import textwrap
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest

from tests.conftest import make_client, start_server
from tests.oauth.flows import CALLBACK, Browser
from tests.sinks import SmsSink, SmtpSink, sms_sink, smtp_sink

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
LEGACY_PASSWORD = "Legacy#Pass1"
SMS_MFA = {
    "SmsAuthenticationMessage": "Your sign-in code is {####}",
    "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::000000000000:role/sms"},
}

HANDLER = """
import json, os
HERE = os.path.dirname(__file__)
def handler(event, context):
    path = os.path.join(HERE, "legacy-" + event["userName"] + ".json")
    if not os.path.exists(path):
        return event
    with open(path) as f:
        event["response"].update(json.load(f))
    return event
"""


@dataclass
class Env:
    client: Any
    functions: Path
    mail: SmtpSink
    sms: SmsSink
    url: str

    def legacy(self, response: dict[str, Any]) -> str:
        """A legacy user name whose migration answers `response`."""
        name = f"legacy{uuid.uuid4().hex[:8]}"
        (self.functions / f"legacy-{name}.json").write_text(json.dumps(response))
        return name

    def pool(self, **kwargs: Any) -> tuple[str, str]:
        pool_id = self.client.create_user_pool(
            PoolName=f"p{uuid.uuid4().hex[:8]}", LambdaConfig={"UserMigration": ARN + "migrate"},
            **kwargs,
        )["UserPool"]["Id"]  # fmt: skip
        client_id = self.client.create_user_pool_client(
            UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        return str(pool_id), str(client_id)

    def sign_in(self, client_id: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.client.initiate_auth(
            ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": LEGACY_PASSWORD},
        )  # fmt: skip
        return result

    def mail_to(self, address: str) -> list[Any]:
        """What was mailed to `address`; the welcome is delivered before the sign-in answers."""
        return [m for m in self.mail.messages if m["To"] == address]

    def sms_to(self, number: str) -> list[dict[str, Any]]:
        """What was texted to `number`."""
        return [m for m in self.sms.messages if m["phone_number"] == number]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    functions = tmp_path_factory.mktemp("functions")
    (functions / "migrate.py").write_text(textwrap.dedent(HANDLER))
    with smtp_sink() as mail, sms_sink() as sms:
        thread, running = start_server(
            tmp_path_factory.mktemp("data"), functions_dir=functions, smtp_url=mail.url,
            sms_webhook_url=sms.url,
        )  # fmt: skip
        try:
            yield Env(make_client(running.url), functions, mail, sms, running.url)
        finally:
            thread.stop()


def _address() -> str:
    return f"m{uuid.uuid4().hex[:10]}@example.com"


def _phone() -> str:
    return "+1555" + str(uuid.uuid4().int)[:7]


def _attributes(env: Env, pool_id: str, name: str) -> dict[str, str]:
    user = env.client.admin_get_user(UserPoolId=pool_id, Username=name)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def test_welcome_message_by_email_unless_suppressed(env: Env) -> None:
    _, client_id = env.pool(
        AdminCreateUserConfig={"InviteMessageTemplate": {
            "EmailSubject": "Welcome aboard", "EmailMessage": "Hi {username}, password {####}",
        }},
    )  # fmt: skip
    welcomed, quiet = _address(), _address()
    name = env.legacy({"userAttributes": {"email": welcomed, "email_verified": "true"},
                       "desiredDeliveryMediums": ["EMAIL"]})  # fmt: skip
    assert "AuthenticationResult" in env.sign_in(client_id, name)
    [message] = env.mail_to(welcomed)
    assert message["Subject"] == "Welcome aboard"
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_content().strip() == f"Hi {name}, password {LEGACY_PASSWORD}"
    suppressed = env.legacy(
        {"userAttributes": {"email": quiet, "email_verified": "true"},
         "desiredDeliveryMediums": ["EMAIL"], "messageAction": "SUPPRESS"}
    )  # fmt: skip
    assert "AuthenticationResult" in env.sign_in(client_id, suppressed)
    assert env.mail_to(quiet) == []


def test_welcome_message_goes_by_sms_when_no_medium_is_named(env: Env) -> None:
    _, client_id = env.pool()
    number, address = _phone(), _address()
    name = env.legacy({"userAttributes": {"email": address, "phone_number": number}})
    assert "AuthenticationResult" in env.sign_in(client_id, name)
    [message] = env.sms_to(number)
    assert name in message["message"]
    assert LEGACY_PASSWORD in message["message"]
    # The default medium is SMS only: the email address gets nothing.
    assert env.mail_to(address) == []


def test_force_alias_creation_moves_a_verified_email(env: Env) -> None:
    pool_id, client_id = env.pool(AliasAttributes=["email"])
    address = _address()
    env.client.admin_create_user(
        UserPoolId=pool_id, Username="holder", MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": address},
                        {"Name": "email_verified", "Value": "true"}],
    )  # fmt: skip
    attributes = {"email": address, "email_verified": "true"}
    refused = env.legacy({"userAttributes": attributes, "messageAction": "SUPPRESS"})
    with pytest.raises(env.client.exceptions.AliasExistsException):
        env.sign_in(client_id, refused)
    with pytest.raises(env.client.exceptions.UserNotFoundException):
        env.client.admin_get_user(UserPoolId=pool_id, Username=refused)
    forced = env.legacy(
        {"userAttributes": attributes, "messageAction": "SUPPRESS", "forceAliasCreation": True}
    )
    assert "AuthenticationResult" in env.sign_in(client_id, forced)
    assert _attributes(env, pool_id, forced)["email"] == address
    # The alias moved: the email now signs the migrated user in, and the holder lost it.
    assert _attributes(env, pool_id, "holder")["email_verified"] == "false"
    answer = env.sign_in(client_id, address)
    assert "AuthenticationResult" in answer


def test_enable_sms_mfa_asks_for_an_sms_code(env: Env) -> None:
    pool_id, client_id = env.pool()
    env.client.set_user_pool_mfa_config(
        UserPoolId=pool_id, MfaConfiguration="OPTIONAL", SmsMfaConfiguration=SMS_MFA
    )
    number = _phone()
    name = env.legacy({"userAttributes": {"phone_number": number},
                       "messageAction": "SUPPRESS", "enableSMSMFA": True})  # fmt: skip
    challenge = env.sign_in(client_id, name)
    assert challenge["ChallengeName"] == "SMS_MFA"
    user = env.client.admin_get_user(UserPoolId=pool_id, Username=name)
    assert user["UserMFASettingList"] == ["SMS_MFA"]
    [message] = env.sms_to(number)
    code = re.search(r"\b(\d{6})\b", message["message"])
    assert code is not None
    done = env.client.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="SMS_MFA", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": name, "SMS_MFA_CODE": code.group(1)},
    )  # fmt: skip
    assert "AuthenticationResult" in done


def test_enable_sms_mfa_without_a_phone_number_fails_the_migration(env: Env) -> None:
    pool_id, client_id = env.pool()
    name = env.legacy({"userAttributes": {"email": _address()},
                       "messageAction": "SUPPRESS", "enableSMSMFA": True})  # fmt: skip
    with pytest.raises(env.client.exceptions.InvalidLambdaResponseException):
        env.sign_in(client_id, name)
    with pytest.raises(env.client.exceptions.UserNotFoundException):
        env.client.admin_get_user(UserPoolId=pool_id, Username=name)


@pytest.fixture
def browser(env: Env) -> Iterator[Callable[[str], Browser]]:
    """Opens a Browser on a new code-flow client of a pool; closes them all after the test."""
    opened: list[Browser] = []

    def open_browser(pool_id: str) -> Browser:
        client_id = env.client.create_user_pool_client(
            UserPoolId=pool_id, ClientName="web", AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email"],
            CallbackURLs=[CALLBACK],
        )["UserPoolClient"]["ClientId"]  # fmt: skip
        opened.append(Browser(env.url, client_id))
        return opened[-1]

    yield open_browser
    for each in opened:
        each.http.close()


def _username(tokens: dict[str, Any]) -> str:
    return str(
        jwt.decode(tokens["id_token"], options={"verify_signature": False})["cognito:username"]
    )


def test_hosted_ui_sign_in_migrates_an_unknown_user(
    env: Env, browser: Callable[[str], Browser]
) -> None:
    """/login runs UserMigration_Authentication for a name the pool does not know: the legacy
    user signs in with the legacy password and the client exchanges the code for tokens; a
    name the legacy system does not know either is refused as any wrong password is."""
    pool_id, _ = env.pool()
    name = env.legacy({"userAttributes": {"email": _address(), "email_verified": "true"},
                       "messageAction": "SUPPRESS"})  # fmt: skip
    first = browser(pool_id)
    login = first.page_url("/login")
    answer = first.submit(login, username=name, password=LEGACY_PASSWORD)
    assert _username(first.tokens(answer)) == name
    user = env.client.admin_get_user(UserPoolId=pool_id, Username=name)
    assert user["UserStatus"] == "CONFIRMED"
    again = browser(pool_id)
    answer = again.submit(again.page_url("/login"), username=name, password=LEGACY_PASSWORD)
    assert _username(again.tokens(answer)) == name
    unknown = f"nobody{uuid.uuid4().hex[:8]}"
    refused = again.submit(login, username=unknown, password=LEGACY_PASSWORD)
    assert refused.status_code == 400
    assert "Incorrect username or password." in refused.text
    with pytest.raises(env.client.exceptions.UserNotFoundException):
        env.client.admin_get_user(UserPoolId=pool_id, Username=unknown)


def test_hosted_ui_forgot_password_migrates_an_unknown_user(
    env: Env, browser: Callable[[str], Browser]
) -> None:
    """/forgotPassword runs UserMigration_ForgotPassword for a name the pool does not know: the
    user is created RESET_REQUIRED, the reset code goes to the legacy email, and the new
    password then signs in on /login."""
    pool_id, _ = env.pool()
    address = _address()
    name = env.legacy({"userAttributes": {"email": address, "email_verified": "true"}})
    page = browser(pool_id)
    sent = page.submit(page.page_url("/forgotPassword"), username=name)
    assert sent.status_code == 303, sent.text
    user = env.client.admin_get_user(UserPoolId=pool_id, Username=name)
    assert user["UserStatus"] == "RESET_REQUIRED"
    [message] = env.mail_to(address)
    body = message.get_body(("plain",))
    assert body is not None
    code = re.search(r"\b(\d{6})\b", body.get_content())
    assert code is not None
    new_password = "Migrated#Pass2"
    reset = page.submit(sent.headers["location"], code=code.group(1), new_password=new_password)
    assert reset.status_code == 303, reset.text
    signed_in = page.submit(reset.headers["location"], username=name, password=new_password)
    assert _username(page.tokens(signed_in)) == name
