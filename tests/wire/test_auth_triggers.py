"""The triggers inside the sign-in engine, through boto3 against a real server running handler
files in workers: PreAuthentication, PostAuthentication, UserMigration (sign-in and forgot
password), and CUSTOM_AUTH with Define/Create/Verify (passwordless OTP, with and without SRP).

Handlers are written as AWS users write them; each records the event it received in a JSON
file, parsed with aws-lambda-powertools' Cognito event classes.
"""

from __future__ import annotations

import json
import re
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import (
    CreateAuthChallengeTriggerEvent,
    CustomMessageTriggerEvent,
    DefineAuthChallengeTriggerEvent,
    PostAuthenticationTriggerEvent,
    PreAuthenticationTriggerEvent,
    PreTokenGenerationTriggerEvent,
    UserMigrationTriggerEvent,
    VerifyAuthChallengeResponseTriggerEvent,
)
from pycognito.aws_srp import AWSSRP

from tests.conftest import make_client, start_server
from tests.oauth.flows import CALLBACK, pkce_pair, sign_in
from tests.sinks import SmtpSink, smtp_sink

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
PASSWORD = "Passw0rd!long"
LEGACY_PASSWORD = "Legacy#Pass1"
INCORRECT = re.escape("Incorrect username or password.")

RECORDING = """
import json, os
HERE = os.path.dirname(__file__)
def record(event):
    with open(os.path.join(HERE, event["triggerSource"] + ".json"), "w") as f:
        json.dump(event, f)
"""

HANDLERS = {
    "pre_auth": """
        def handler(event, context):
            record(event)
            if event["userName"] == "banned":
                raise Exception("User is banned")
            return event
    """,
    "post_auth": """
        def handler(event, context):
            record(event)
            if event["userName"] == "grumpy":
                raise Exception("Not today")
            return event
    """,
    "pre_token": """
        def handler(event, context):
            record(event)
            return event
    """,
    "mfa_message": """
        def handler(event, context):
            record(event)
            code = event["request"]["codeParameter"]
            event["response"]["emailSubject"] = "Acme sign-in"
            event["response"]["emailMessage"] = f"Acme sign-in code {code}"
            return event
    """,
    # A legacy directory: the function checks the password and hands over the attributes.
    "migrate": """
        LEGACY = {"legacy1": "legacy1@example.com", "legacy2": "legacy2@example.com"}
        def handler(event, context):
            record(event)
            email = LEGACY.get(event["userName"])
            if email is None:
                return event
            if event["triggerSource"] == "UserMigration_Authentication":
                if event["request"]["password"] != "Legacy#Pass1":
                    raise Exception("Bad password")
                event["response"]["finalUserStatus"] = "CONFIRMED"
            event["response"]["userAttributes"] = {"email": email, "email_verified": "true"}
            event["response"]["messageAction"] = "SUPPRESS"
            return event
    """,
    # Passwordless OTP as in the developer guide's custom-auth examples.
    "define": """
        def handler(event, context):
            record(event)
            session = event["request"]["session"]
            last = session[-1] if session else None
            response = event["response"]
            response["issueTokens"] = False
            response["failAuthentication"] = False
            if last and last["challengeName"] == "SRP_A":
                response["challengeName"] = "PASSWORD_VERIFIER"
            elif last and last["challengeName"] == "PASSWORD_VERIFIER" and not last[
                "challengeResult"
            ]:
                response["failAuthentication"] = True
            elif last and last["challengeName"] == "CUSTOM_CHALLENGE" and last["challengeResult"]:
                response["issueTokens"] = True
            elif len([s for s in session if s["challengeName"] == "CUSTOM_CHALLENGE"]) >= 3:
                response["failAuthentication"] = True
            else:
                response["challengeName"] = "CUSTOM_CHALLENGE"
            return event
    """,
    "create": """
        import random
        def handler(event, context):
            record(event)
            if event["request"]["challengeName"] != "CUSTOM_CHALLENGE":
                return event
            session = event["request"]["session"]
            asked = [s for s in session if s["challengeName"] == "CUSTOM_CHALLENGE"]
            if asked:
                code = asked[-1]["challengeMetadata"].split("-")[1]
            else:
                code = str(random.randint(100000, 999999))
                with open(os.path.join(HERE, "otp-" + event["userName"] + ".txt"), "w") as f:
                    f.write(code)
            email = event["request"]["userAttributes"].get("email", "")
            event["response"]["publicChallengeParameters"] = {"email": email}
            event["response"]["privateChallengeParameters"] = {"answer": code}
            event["response"]["challengeMetadata"] = "CODE-" + code
            return event
    """,
    "verify": """
        def handler(event, context):
            record(event)
            expected = event["request"]["privateChallengeParameters"]["answer"]
            event["response"]["answerCorrect"] = event["request"]["challengeAnswer"] == expected
            return event
    """,
}

CUSTOM = {
    "DefineAuthChallenge": ARN + "define",
    "CreateAuthChallenge": ARN + "create",
    "VerifyAuthChallengeResponse": ARN + "verify",
}
FLOWS = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]


@dataclass
class Env:
    client: Any
    functions: Path
    mail: SmtpSink
    url: str

    def event(self, source: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads((self.functions / f"{source}.json").read_text())
        return result

    def forget(self, source: str) -> None:
        (self.functions / f"{source}.json").unlink(missing_ok=True)

    def otp(self, username: str) -> str:
        return (self.functions / f"otp-{username}.txt").read_text()

    def pool(self, lambda_config: dict[str, Any]) -> str:
        created = self.client.create_user_pool(
            PoolName=f"p{uuid.uuid4().hex[:8]}", LambdaConfig=lambda_config
        )
        return str(created["UserPool"]["Id"])

    def app(self, pool_id: str, *, hide: bool = False) -> str:
        created = self.client.create_user_pool_client(
            UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=FLOWS,
            PreventUserExistenceErrors="ENABLED" if hide else "LEGACY",
        )  # fmt: skip
        return str(created["UserPoolClient"]["ClientId"])

    def user(self, pool_id: str, username: str, email: str | None = None) -> None:
        attributes = [{"Name": "email", "Value": email or f"{username}@example.com"},
                      {"Name": "email_verified", "Value": "true"}]  # fmt: skip
        self.client.admin_create_user(
            UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS",
            UserAttributes=attributes,
        )  # fmt: skip
        self.client.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
        )

    def sign_in(
        self, client_id: str, username: str, password: str = PASSWORD, **kwargs: Any
    ) -> dict[str, Any]:
        result: dict[str, Any] = self.client.initiate_auth(
            ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password}, **kwargs,
        )  # fmt: skip
        return result


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    functions = tmp_path_factory.mktemp("functions")
    for name, body in HANDLERS.items():
        (functions / f"{name}.py").write_text(RECORDING + textwrap.dedent(body))
    with smtp_sink() as mail:
        thread, running = start_server(
            tmp_path_factory.mktemp("data"), functions_dir=functions, smtp_url=mail.url
        )
        try:
            yield Env(make_client(running.url), functions, mail, running.url)
        finally:
            thread.stop()


def test_pre_authentication_sees_the_user_and_blocks_banned_ones(env: Env) -> None:
    pool_id = env.pool({"PreAuthentication": ARN + "pre_auth"})
    client_id = env.app(pool_id)
    env.user(pool_id, "alice")
    env.user(pool_id, "banned")
    answer = env.sign_in(client_id, "alice", ClientMetadata={"ip": "10.0.0.1"})
    assert "AccessToken" in answer["AuthenticationResult"]
    event = PreAuthenticationTriggerEvent(env.event("PreAuthentication_Authentication"))
    assert event.user_name == "alice"
    assert event.caller_context.client_id == client_id
    assert event.request.user_attributes["email"] == "alice@example.com"
    assert event.request.user_attributes["cognito:user_status"] == "CONFIRMED"
    assert event.request.validation_data == {"ip": "10.0.0.1"}
    assert "userNotFound" not in event["request"]
    message = re.escape("PreAuthentication failed with error User is banned.")
    # Before the password is checked: a wrong password gets the same answer.
    for password in (PASSWORD, "Wrong#Pass123"):
        with pytest.raises(env.client.exceptions.UserLambdaValidationException, match=message):
            env.sign_in(client_id, "banned", password)
    # SRP: refused as the sign-in begins, before any PASSWORD_VERIFIER.
    helper = AWSSRP(username="banned", password=PASSWORD, pool_id=pool_id, client_id=client_id,
                    client=env.client)  # fmt: skip
    with pytest.raises(env.client.exceptions.UserLambdaValidationException, match=message):
        env.client.initiate_auth(
            ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=helper.get_auth_params()
        )


def test_hosted_sign_in_runs_pre_and_post_authentication(env: Env) -> None:
    pool_id = env.pool(
        {"PreAuthentication": ARN + "pre_auth", "PostAuthentication": ARN + "post_auth"}
    )
    client_id = env.client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid"], CallbackURLs=[CALLBACK],
    )["UserPoolClient"]["ClientId"]  # fmt: skip
    env.user(pool_id, "alice")
    env.user(pool_id, "banned")
    _, challenge = pkce_pair()
    query = urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK,
                       "scope": "openid", "code_challenge": challenge,
                       "code_challenge_method": "S256"})  # fmt: skip
    with httpx.Client() as http:
        refused = sign_in(http, f"{env.url}/oauth2/authorize?{query}", "banned", PASSWORD)
    assert refused.status_code != 303
    assert "PreAuthentication failed with error User is banned." in refused.text
    env.forget("PostAuthentication_Authentication")
    with httpx.Client() as http:
        answer = sign_in(http, f"{env.url}/oauth2/authorize?{query}", "alice", PASSWORD)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(CALLBACK + "?code=")
    event = PostAuthenticationTriggerEvent(env.event("PostAuthentication_Authentication"))
    assert event.user_name == "alice"
    assert event.caller_context.client_id == client_id


def test_pre_authentication_for_an_unknown_name_when_existence_is_hidden(env: Env) -> None:
    pool_id = env.pool({"PreAuthentication": ARN + "pre_auth"})
    client_id = env.app(pool_id, hide=True)
    with pytest.raises(env.client.exceptions.NotAuthorizedException):
        env.sign_in(client_id, "nobody")
    event = PreAuthenticationTriggerEvent(env.event("PreAuthentication_Authentication"))
    assert event.user_name == "nobody"
    assert event.request.user_not_found is True
    env.user(pool_id, "carol")
    env.sign_in(client_id, "carol")
    event = PreAuthenticationTriggerEvent(env.event("PreAuthentication_Authentication"))
    assert event.request.user_not_found is False


def test_post_authentication_runs_before_tokens_and_can_refuse(env: Env) -> None:
    pool_id = env.pool(
        {"PostAuthentication": ARN + "post_auth", "PreTokenGeneration": ARN + "pre_token"}
    )
    client_id = env.app(pool_id)
    env.user(pool_id, "dave")
    env.user(pool_id, "grumpy")
    env.sign_in(client_id, "dave", ClientMetadata={"app": "web"})
    event = PostAuthenticationTriggerEvent(env.event("PostAuthentication_Authentication"))
    assert event.user_name == "dave"
    assert event.request.new_device_used is False
    assert event.request.client_metadata == {"app": "web"}
    assert event.request.user_attributes["email"] == "dave@example.com"
    env.forget("TokenGeneration_Authentication")
    with pytest.raises(
        env.client.exceptions.UserLambdaValidationException,
        match=re.escape("PostAuthentication failed with error Not today."),
    ):
        env.sign_in(client_id, "grumpy")
    # No tokens: PreTokenGeneration never ran.
    assert not (env.functions / "TokenGeneration_Authentication.json").exists()


def test_tokens_after_a_new_password_report_the_new_password_challenge(env: Env) -> None:
    pool_id = env.pool({"PreTokenGeneration": ARN + "pre_token"})
    client_id = env.app(pool_id)
    env.client.admin_create_user(
        UserPoolId=pool_id, Username="nina", TemporaryPassword="Temp#Pass1234",
        MessageAction="SUPPRESS",
    )  # fmt: skip
    challenge = env.sign_in(client_id, "nina", "Temp#Pass1234")
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    env.client.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "nina", "NEW_PASSWORD": PASSWORD},
    )  # fmt: skip
    event = PreTokenGenerationTriggerEvent(env.event("TokenGeneration_NewPasswordChallenge"))
    assert event.user_name == "nina"


def test_user_migration_at_sign_in(env: Env) -> None:
    pool_id = env.pool({"UserMigration": ARN + "migrate"})
    client_id = env.app(pool_id)
    answer = env.sign_in(client_id, "legacy1", LEGACY_PASSWORD, ClientMetadata={"src": "app"})
    assert "AccessToken" in answer["AuthenticationResult"]
    event = UserMigrationTriggerEvent(env.event("UserMigration_Authentication"))
    assert event.user_name == "legacy1"
    assert event.request.password == LEGACY_PASSWORD
    assert event.request.client_metadata == {"src": "app"}
    assert event.request.validation_data == {"src": "app"}
    user = env.client.admin_get_user(UserPoolId=pool_id, Username="legacy1")
    assert user["UserStatus"] == "CONFIRMED"
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["email"] == "legacy1@example.com"
    # Migrated once: the next sign-in checks the stored verifier, without the function.
    env.forget("UserMigration_Authentication")
    env.sign_in(client_id, "legacy1", LEGACY_PASSWORD)
    assert not (env.functions / "UserMigration_Authentication.json").exists()
    with pytest.raises(env.client.exceptions.NotAuthorizedException):
        env.sign_in(client_id, "legacy1", "Other#Pass123")


def test_user_migration_through_admin_initiate_auth(env: Env) -> None:
    pool_id = env.pool({"UserMigration": ARN + "migrate"})
    client_id = env.app(pool_id)
    answer = env.client.admin_initiate_auth(
        UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "legacy1", "PASSWORD": LEGACY_PASSWORD},
    )  # fmt: skip
    assert "AccessToken" in answer["AuthenticationResult"]
    # The migrated user signs in with SRP from now on: the verifier was made from the password.
    helper = AWSSRP(username="legacy1", password=LEGACY_PASSWORD, pool_id=pool_id,
                    client_id=client_id, client=env.client)  # fmt: skip
    assert "AccessToken" in helper.authenticate_user()["AuthenticationResult"]


def test_user_migration_refusals(env: Env) -> None:
    pool_id = env.pool({"UserMigration": ARN + "migrate"})
    legacy, hidden = env.app(pool_id), env.app(pool_id, hide=True)
    with pytest.raises(
        env.client.exceptions.UserLambdaValidationException,
        match=re.escape("UserMigration failed with error Bad password."),
    ):
        env.sign_in(legacy, "legacy1", "Wrong#Pass123")
    with pytest.raises(env.client.exceptions.NotAuthorizedException, match=INCORRECT):
        env.sign_in(hidden, "legacy1", "Wrong#Pass123")
    with pytest.raises(env.client.exceptions.UserNotFoundException):
        env.sign_in(legacy, "stranger", PASSWORD)
    with pytest.raises(env.client.exceptions.NotAuthorizedException):
        env.sign_in(hidden, "stranger", PASSWORD)
    with pytest.raises(env.client.exceptions.UserNotFoundException):
        env.client.admin_get_user(UserPoolId=pool_id, Username="legacy1")


def test_user_migration_at_forgot_password(env: Env) -> None:
    pool_id = env.pool({"UserMigration": ARN + "migrate"})
    client_id = env.app(pool_id)
    before = len(env.mail.messages)
    answer = env.client.forgot_password(ClientId=client_id, Username="legacy2")
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    event = UserMigrationTriggerEvent(env.event("UserMigration_ForgotPassword"))
    assert event.user_name == "legacy2"
    assert "password" not in event["request"]
    user = env.client.admin_get_user(UserPoolId=pool_id, Username="legacy2")
    assert user["UserStatus"] == "RESET_REQUIRED"
    message = next(
        m for m in env.mail.wait_for(before + 1)[before:] if m["To"] == "legacy2@example.com"
    )
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(r"\b(\d{6})\b", body.get_content())
    assert found is not None
    env.client.confirm_forgot_password(
        ClientId=client_id, Username="legacy2", ConfirmationCode=found.group(1), Password=PASSWORD
    )
    assert "AccessToken" in env.sign_in(client_id, "legacy2")["AuthenticationResult"]


def _custom_start(env: Env, client_id: str, username: str) -> dict[str, Any]:
    result: dict[str, Any] = env.client.initiate_auth(
        ClientId=client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": username},
        ClientMetadata={"lang": "en"},
    )  # fmt: skip
    return result


def _answer(env: Env, client_id: str, username: str, session: str, answer: str) -> dict[str, Any]:
    result: dict[str, Any] = env.client.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="CUSTOM_CHALLENGE", Session=session,
        ChallengeResponses={"USERNAME": username, "ANSWER": answer},
    )  # fmt: skip
    return result


def test_custom_auth_passwordless_otp(env: Env) -> None:
    pool_id = env.pool(CUSTOM)
    client_id = env.app(pool_id)
    env.user(pool_id, "olga")
    challenge = _custom_start(env, client_id, "olga")
    assert challenge["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert challenge["ChallengeParameters"] == {"email": "olga@example.com", "USERNAME": "olga"}
    code = env.otp("olga")
    assert code not in challenge["Session"]
    created = CreateAuthChallengeTriggerEvent(env.event("CreateAuthChallenge_Authentication"))
    assert created.request.challenge_name == "CUSTOM_CHALLENGE"
    assert created.request.session == []
    assert created.request.client_metadata == {"lang": "en"}
    # A wrong answer: Define asks again, Create reuses the code through challengeMetadata.
    retry = _answer(env, client_id, "olga", challenge["Session"], "000000")
    assert retry["ChallengeName"] == "CUSTOM_CHALLENGE"
    verified = VerifyAuthChallengeResponseTriggerEvent(
        env.event("VerifyAuthChallengeResponse_Authentication")
    )
    assert verified.request.private_challenge_parameters == {"answer": code}
    assert verified.request.challenge_answer == "000000"
    defined = DefineAuthChallengeTriggerEvent(env.event("DefineAuthChallenge_Authentication"))
    [entry] = defined.request.session
    assert (entry.challenge_name, entry.challenge_result) == ("CUSTOM_CHALLENGE", False)
    assert entry.challenge_metadata == f"CODE-{code}"
    # A used Session is refused.
    with pytest.raises(env.client.exceptions.NotAuthorizedException):
        _answer(env, client_id, "olga", challenge["Session"], code)
    tokens = _answer(env, client_id, "olga", retry["Session"], code)
    assert "AccessToken" in tokens["AuthenticationResult"]
    defined = DefineAuthChallengeTriggerEvent(env.event("DefineAuthChallenge_Authentication"))
    assert [e.challenge_result for e in defined.request.session] == [False, True]


def test_custom_auth_fails_after_three_wrong_answers(env: Env) -> None:
    pool_id = env.pool(CUSTOM)
    client_id = env.app(pool_id)
    env.user(pool_id, "pete")
    session = _custom_start(env, client_id, "pete")["Session"]
    for _ in range(2):
        session = _answer(env, client_id, "pete", session, "111111")["Session"]
    with pytest.raises(env.client.exceptions.NotAuthorizedException, match=INCORRECT):
        _answer(env, client_id, "pete", session, "111111")


def test_custom_auth_unknown_user_never_gets_tokens(env: Env) -> None:
    pool_id = env.pool(CUSTOM)
    with pytest.raises(env.client.exceptions.UserNotFoundException):
        _custom_start(env, env.app(pool_id), "ghost")
    client_id = env.app(pool_id, hide=True)
    challenge = _custom_start(env, client_id, "ghost")
    assert challenge["ChallengeName"] == "CUSTOM_CHALLENGE"
    defined = DefineAuthChallengeTriggerEvent(env.event("DefineAuthChallenge_Authentication"))
    assert defined.request.user_not_found is True
    with pytest.raises(env.client.exceptions.NotAuthorizedException):
        _answer(env, client_id, "ghost", challenge["Session"], env.otp("ghost"))


def test_custom_auth_needs_define_auth_challenge(env: Env) -> None:
    pool_id = env.pool({})
    with pytest.raises(
        env.client.exceptions.InvalidParameterException, match="Custom auth lambda trigger"
    ):
        _custom_start(env, env.app(pool_id), "anyone")


def _srp_custom_start(env: Env, pool_id: str, client_id: str, username: str) -> Any:
    helper = AWSSRP(username=username, password=PASSWORD, pool_id=pool_id, client_id=client_id,
                    client=env.client)  # fmt: skip
    request = helper.get_auth_params()
    challenge = env.client.initiate_auth(
        ClientId=client_id, AuthFlow="CUSTOM_AUTH",
        AuthParameters={**request, "CHALLENGE_NAME": "SRP_A"},
    )  # fmt: skip
    return helper, request, challenge


def test_custom_auth_with_srp_then_otp(env: Env) -> None:
    pool_id = env.pool(CUSTOM)
    client_id = env.app(pool_id)
    env.user(pool_id, "quinn")
    helper, request, challenge = _srp_custom_start(env, pool_id, client_id, "quinn")
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    defined = DefineAuthChallengeTriggerEvent(env.event("DefineAuthChallenge_Authentication"))
    assert [e.challenge_name for e in defined.request.session] == ["SRP_A"]
    responses = helper.process_challenge(challenge["ChallengeParameters"], request)
    # Without the Session (the custom flow's history) the rest of the flow cannot be skipped.
    with pytest.raises(env.client.exceptions.InvalidParameterException):
        env.client.respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
        )
    helper, request, challenge = _srp_custom_start(env, pool_id, client_id, "quinn")
    responses = helper.process_challenge(challenge["ChallengeParameters"], request)
    otp = env.client.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", Session=challenge["Session"],
        ChallengeResponses=responses,
    )  # fmt: skip
    assert otp["ChallengeName"] == "CUSTOM_CHALLENGE"
    defined = DefineAuthChallengeTriggerEvent(env.event("DefineAuthChallenge_Authentication"))
    history = [(e.challenge_name, e.challenge_result) for e in defined.request.session]
    assert history == [("SRP_A", True), ("PASSWORD_VERIFIER", True)]
    tokens = _answer(env, client_id, "quinn", otp["Session"], env.otp("quinn"))
    assert "AccessToken" in tokens["AuthenticationResult"]


def test_custom_auth_with_a_wrong_srp_password_fails(env: Env) -> None:
    pool_id = env.pool(CUSTOM)
    client_id = env.app(pool_id)
    env.user(pool_id, "rita")
    helper = AWSSRP(username="rita", password="Wrong#Pass123", pool_id=pool_id,
                    client_id=client_id, client=env.client)  # fmt: skip
    request = helper.get_auth_params()
    challenge = env.client.initiate_auth(
        ClientId=client_id, AuthFlow="CUSTOM_AUTH",
        AuthParameters={**request, "CHALLENGE_NAME": "SRP_A"},
    )  # fmt: skip
    responses = helper.process_challenge(challenge["ChallengeParameters"], request)
    with pytest.raises(env.client.exceptions.NotAuthorizedException, match=INCORRECT):
        env.client.respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", Session=challenge["Session"],
            ChallengeResponses=responses,
        )  # fmt: skip


def test_custom_message_for_an_email_mfa_code(env: Env) -> None:
    pool_id = env.pool({"CustomMessage": ARN + "mfa_message"})
    env.client.set_user_pool_mfa_config(
        UserPoolId=pool_id, MfaConfiguration="OPTIONAL",
        EmailMfaConfiguration={"Message": "Code {####}", "Subject": "Sign-in code"},
    )  # fmt: skip
    client_id = env.app(pool_id)
    address = f"m{uuid.uuid4().hex[:8]}@example.com"
    env.user(pool_id, "mona", address)
    env.client.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username="mona",
        EmailMfaSettings={"Enabled": True, "PreferredMfa": True},
    )  # fmt: skip
    before = len(env.mail.messages)
    challenge = env.sign_in(client_id, "mona", ClientMetadata={"app": "web"})
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    message = next(m for m in env.mail.wait_for(before + 1)[before:] if m["To"] == address)
    assert message["Subject"] == "Acme sign-in"
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(r"Acme sign-in code (\d{6})", body.get_content())
    assert found is not None
    event = CustomMessageTriggerEvent(env.event("CustomMessage_Authentication"))
    assert event.user_name == "mona"
    assert event.request.code_parameter == "{####}"
    assert event.request.client_metadata == {"app": "web"}
    done = env.client.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="EMAIL_OTP", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "mona", "EMAIL_OTP_CODE": found.group(1)},
    )  # fmt: skip
    assert "AccessToken" in done["AuthenticationResult"]
