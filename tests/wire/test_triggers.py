"""Lambda triggers through boto3 against a real server running handler files in workers.

Handlers are written as AWS users write them; each one records the event it received in a
JSON file, which the tests parse with aws-lambda-powertools' Cognito event classes.
"""

from __future__ import annotations

import json
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import (
    CustomMessageTriggerEvent,
    PreSignUpTriggerEvent,
    PreTokenGenerationTriggerEvent,
    PreTokenGenerationV2TriggerEvent,
)

from tests.conftest import make_client, start_server
from tests.sinks import SmtpSink, smtp_sink

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
PASSWORD = "Passw0rd!long"

RECORDING = """
import json, os
def record(event):
    with open(os.path.join(os.path.dirname(__file__), event["triggerSource"] + ".json"), "w") as f:
        json.dump(event, f)
"""

HANDLERS = {
    "auto_confirm": """
        def handler(event, context):
            record(event)
            event["response"]["autoConfirmUser"] = True
            event["response"]["autoVerifyEmail"] = True
            return event
    """,
    "refuse": """
        def handler(event, context):
            raise Exception("Domain not allowed")
    """,
    "slow": """
        import time
        def handler(event, context):
            time.sleep(6)
            return event
    """,
    "custom_message": """
        def handler(event, context):
            record(event)
            code = event["request"]["codeParameter"]
            event["response"]["emailSubject"] = "Welcome aboard"
            event["response"]["emailMessage"] = f"Your Acme code is {code}"
            return event
    """,
    "lost_code": """
        def handler(event, context):
            event["response"]["emailMessage"] = "No code here"
            return event
    """,
    # The seed's pre-token handler: a claim from a table, phone_number_verified suppressed.
    # A JSON file stands in for the DynamoDB table it reads.
    "pre_token": """
        import json, os
        TABLE = os.path.join(os.path.dirname(__file__), "tenants.json")
        def lambda_handler(event, context):
            record(event)
            with open(TABLE) as f:
                tenants = json.load(f)
            tenant = tenants.get(event["request"]["userAttributes"]["sub"], "none")
            event["response"]["claimsOverrideDetails"] = {
                "claimsToAddOrOverride": {"tenant": tenant, "sub": "forged", "iss": "evil"},
                "claimsToSuppress": ["phone_number_verified", "aud"],
            }
            return event
    """,
    "pre_token_v2": """
        def handler(event, context):
            record(event)
            event["response"]["claimsAndScopeOverrideDetails"] = {
                "accessTokenGeneration": {
                    "claimsToAddOrOverride": {"plan": "gold", "client_id": "forged"},
                    "scopesToAdd": ["orders/read"],
                },
                "idTokenGeneration": {"claimsToAddOrOverride": {"level": 3}},
            }
            return event
    """,
}


@dataclass
class Env:
    client: Any
    functions: Path
    mail: SmtpSink

    def event(self, source: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads((self.functions / f"{source}.json").read_text())
        return result

    def pool(self, lambda_config: dict[str, Any], **kwargs: Any) -> str:
        created = self.client.create_user_pool(
            PoolName=f"p{uuid.uuid4().hex[:8]}", LambdaConfig=lambda_config, **kwargs
        )
        return str(created["UserPool"]["Id"])

    def app(self, pool_id: str) -> str:
        created = self.client.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="app",
            ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )
        return str(created["UserPoolClient"]["ClientId"])


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    functions = tmp_path_factory.mktemp("functions")
    for name, body in HANDLERS.items():
        (functions / f"{name}.py").write_text(RECORDING + textwrap.dedent(body))
    (functions / "tenants.json").write_text("{}")
    with smtp_sink() as mail:
        thread, running = start_server(
            tmp_path_factory.mktemp("data"), functions_dir=functions, smtp_url=mail.url
        )
        try:
            yield Env(make_client(running.url), functions, mail)
        finally:
            thread.stop()


def _email() -> str:
    return f"u{uuid.uuid4().hex[:10]}@example.com"


def test_pre_sign_up_auto_confirms_and_verifies(env: Env) -> None:
    pool_id = env.pool({"PreSignUp": ARN + "auto_confirm"}, AutoVerifiedAttributes=["email"])
    client_id = env.app(pool_id)
    address = _email()
    answer = env.client.sign_up(
        ClientId=client_id, Username="alice", Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": address}],
        ValidationData=[{"Name": "invite", "Value": "x1"}],
        ClientMetadata={"from": "test"},
    )  # fmt: skip
    assert answer["UserConfirmed"] is True
    assert "CodeDeliveryDetails" not in answer
    user = env.client.admin_get_user(UserPoolId=pool_id, Username="alice")
    assert user["UserStatus"] == "CONFIRMED"
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["email_verified"] == "true"
    event = PreSignUpTriggerEvent(env.event("PreSignUp_SignUp"))
    assert event.trigger_source == "PreSignUp_SignUp"
    assert event.user_pool_id == pool_id
    assert event.user_name == "alice"
    assert event.caller_context.client_id == client_id
    assert event.caller_context.aws_sdk_version == "aws-sdk-unknown-unknown"
    assert event.request.user_attributes["email"] == address
    assert event.request.validation_data == {"invite": "x1"}
    assert event.request.client_metadata == {"from": "test"}


@pytest.mark.parametrize(
    ("function", "error", "message"),
    [
        ("refuse", "UserLambdaValidationException",
         "PreSignUp failed with error Domain not allowed."),
        ("slow", "UnexpectedLambdaException", "PreSignUp invocation failed due to error"),
    ],
)  # fmt: skip
def test_failing_pre_sign_up_leaves_no_user(
    env: Env, function: str, error: str, message: str
) -> None:
    pool_id = env.pool({"PreSignUp": ARN + function})
    client_id = env.app(pool_id)
    with pytest.raises(getattr(env.client.exceptions, error), match=message):
        env.client.sign_up(ClientId=client_id, Username="bob", Password=PASSWORD)
    with pytest.raises(env.client.exceptions.UserNotFoundException):
        env.client.admin_get_user(UserPoolId=pool_id, Username="bob")


def test_custom_message_replaces_the_email(env: Env) -> None:
    pool_id = env.pool({"CustomMessage": ARN + "custom_message"}, AutoVerifiedAttributes=["email"])
    client_id = env.app(pool_id)
    address = _email()
    env.client.sign_up(
        ClientId=client_id, Username="carol", Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": address}],
    )  # fmt: skip
    while not any(m["To"] == address for m in env.mail.messages):
        env.mail.wait_for(len(env.mail.messages) + 1)
    message = next(m for m in env.mail.messages if m["To"] == address)
    assert message["Subject"] == "Welcome aboard"
    body = message.get_body(("plain",))
    assert body is not None
    assert "Your Acme code is " in body.get_content()
    event = CustomMessageTriggerEvent(env.event("CustomMessage_SignUp"))
    assert event.request.code_parameter == "{####}"
    assert event.request.user_attributes["email"] == address


def test_custom_message_must_keep_the_code(env: Env) -> None:
    pool_id = env.pool({"CustomMessage": ARN + "lost_code"}, AutoVerifiedAttributes=["email"])
    client_id = env.app(pool_id)
    with pytest.raises(env.client.exceptions.InvalidLambdaResponseException):
        env.client.sign_up(
            ClientId=client_id, Username="dan", Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": _email()}],
        )  # fmt: skip


def _signed_in(env: Env, pool_id: str, client_id: str, username: str) -> dict[str, Any]:
    env.client.admin_create_user(
        UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "phone_number", "Value": "+15555550100"},
                        {"Name": "phone_number_verified", "Value": "true"}],
    )  # fmt: skip
    env.client.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
    )
    answer = env.client.admin_initiate_auth(
        UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )  # fmt: skip
    result: dict[str, Any] = answer["AuthenticationResult"]
    return result


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def test_seed_pre_token_handler_with_a_file_table(env: Env) -> None:
    pool_id = env.pool({"PreTokenGeneration": ARN + "pre_token"})
    client_id = env.app(pool_id)
    tokens = _signed_in(env, pool_id, client_id, "erin")
    plain = _claims(tokens["IdToken"])
    assert plain["tenant"] == "none"
    (env.functions / "tenants.json").write_text(json.dumps({plain["sub"]: "acme"}))
    refreshed = env.client.admin_initiate_auth(
        UserPoolId=pool_id, ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )["AuthenticationResult"]  # fmt: skip
    claims = _claims(refreshed["IdToken"])
    assert claims["tenant"] == "acme"
    assert "phone_number_verified" not in claims
    assert claims["sub"] == plain["sub"]
    assert claims["aud"] == client_id
    assert claims["iss"] == plain["iss"]
    event = PreTokenGenerationTriggerEvent(env.event("TokenGeneration_RefreshTokens"))
    assert event.version == "1"
    assert event.user_name == "erin"
    assert event.request.user_attributes["phone_number"] == "+15555550100"
    assert event.request.group_configuration.groups_to_override == []


def test_pre_token_v2_changes_access_token_and_scopes(env: Env) -> None:
    pool_id = env.pool(
        {"PreTokenGenerationConfig": {"LambdaVersion": "V2_0", "LambdaArn": ARN + "pre_token_v2"}}
    )
    client_id = env.app(pool_id)
    tokens = _signed_in(env, pool_id, client_id, "frank")
    access = _claims(tokens["AccessToken"])
    assert access["plan"] == "gold"
    assert access["client_id"] == client_id
    assert access["scope"].split() == ["aws.cognito.signin.user.admin", "orders/read"]
    assert _claims(tokens["IdToken"])["level"] == 3
    event = PreTokenGenerationV2TriggerEvent(env.event("TokenGeneration_Authentication"))
    assert event.version == "2"
    assert event.request.scopes == ["aws.cognito.signin.user.admin"]
