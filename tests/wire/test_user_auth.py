"""Choice-based sign-in (USER_AUTH) over the wire: SELECT_CHALLENGE and AvailableChallenges,
PASSWORD, PASSWORD_SRP (pycognito's maths), EMAIL_OTP and SMS_OTP codes read from the sinks,
PREFERRED_CHALLENGE, the decoy for unknown users, and GetUserAuthFactors."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pycognito.aws_srp import AWSSRP

from tests.wire.delivery import CODE, PASSWORD, Env, email

ALL_FACTORS = {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP", "SMS_OTP"]}}
FLOWS = ["ALLOW_USER_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def phone() -> str:
    return "+1555" + str(uuid.uuid4().int)[:7]


def setup(env: Env, *, policies: dict[str, Any] | None = None, **client: Any) -> tuple[str, str]:
    pool_id = env.pool(Policies=ALL_FACTORS if policies is None else policies)
    return pool_id, env.app(pool_id, ExplicitAuthFlows=FLOWS, **client)


def new_user(env: Env, pool_id: str, *, number: str | None = None) -> tuple[str, str]:
    name, address = f"user{uuid.uuid4().hex[:8]}", email()
    attributes = [{"Name": "email", "Value": address}, {"Name": "email_verified", "Value": "true"}]
    if number:
        attributes.append({"Name": "phone_number", "Value": number})
    env.client.admin_create_user(
        UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS", UserAttributes=attributes
    )
    env.client.admin_set_user_password(
        UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True
    )
    return name, address


def start(env: Env, client_id: str, name: str, **parameters: str) -> Any:
    return env.client.initiate_auth(
        ClientId=client_id, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": name, **parameters}
    )


def respond(env: Env, client_id: str, answer: Any, name: str, **responses: str) -> Any:
    return env.client.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName=answer["ChallengeName"],
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": name, **responses},
    )


def latest_sms(env: Env, number: str) -> str:
    env.sms.wait_for(1)
    for _ in range(100):
        for message in reversed(env.sms.messages):
            if message["phone_number"] == number:
                match = CODE.search(message["message"])
                assert match
                return match.group(1)
        env.sms.wait_for(len(env.sms.messages) + 1)
    raise AssertionError(f"no SMS to {number}")


def test_select_challenge_lists_the_factors_the_user_can_use(env: Env) -> None:
    pool_id, client_id = setup(env)
    with_phone, _ = new_user(env, pool_id, number=phone())
    answer = start(env, client_id, with_phone)
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    assert answer["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP"]
    assert answer["Session"]
    without_phone, _ = new_user(env, pool_id)
    assert start(env, client_id, without_phone)["AvailableChallenges"] == [
        "PASSWORD",
        "PASSWORD_SRP",
        "EMAIL_OTP",
    ]


def test_default_policy_offers_only_passwords(env: Env) -> None:
    pool_id, client_id = setup(env, policies={})
    name, _ = new_user(env, pool_id, number=phone())
    answer = start(env, client_id, name, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    assert answer["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]


def test_select_password_then_tokens_and_session_single_use(env: Env) -> None:
    pool_id, client_id = setup(env)
    name, _ = new_user(env, pool_id)
    selection = start(env, client_id, name)
    with pytest.raises(env.client.exceptions.NotAuthorizedException):
        respond(env, client_id, selection, name, ANSWER="PASSWORD", PASSWORD="Wrong0ne!")
    # The Session was spent by the first answer.
    with pytest.raises(env.client.exceptions.NotAuthorizedException, match="session"):
        respond(env, client_id, selection, name, ANSWER="PASSWORD", PASSWORD=PASSWORD)
    selection = start(env, client_id, name)
    answer = respond(env, client_id, selection, name, ANSWER="PASSWORD", PASSWORD=PASSWORD)
    assert "AccessToken" in answer["AuthenticationResult"]


def test_unavailable_answer_is_refused(env: Env) -> None:
    pool_id, client_id = setup(env)
    name, _ = new_user(env, pool_id)
    selection = start(env, client_id, name)
    with pytest.raises(env.client.exceptions.InvalidParameterException):
        respond(env, client_id, selection, name, ANSWER="SMS_OTP")
    with pytest.raises(env.client.exceptions.InvalidParameterException):
        respond(env, client_id, selection, name, ANSWER="PASSWORD")


def test_select_password_srp_with_pycognito(env: Env) -> None:
    pool_id, client_id = setup(env)
    name, _ = new_user(env, pool_id)
    helper = AWSSRP(
        username=name, password=PASSWORD, pool_id=pool_id, client_id=client_id, client=env.client
    )
    request = helper.get_auth_params()
    selection = start(env, client_id, name)
    verifier = respond(
        env, client_id, selection, name, ANSWER="PASSWORD_SRP", SRP_A=request["SRP_A"]
    )
    assert verifier["ChallengeName"] == "PASSWORD_VERIFIER"
    responses = helper.process_challenge(verifier["ChallengeParameters"], request)
    answer = env.client.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )
    assert "IdToken" in answer["AuthenticationResult"]


def test_preferred_password_and_srp_start_directly(env: Env) -> None:
    pool_id, client_id = setup(env)
    name, _ = new_user(env, pool_id)
    answer = start(env, client_id, name, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert "RefreshToken" in answer["AuthenticationResult"]
    with pytest.raises(env.client.exceptions.InvalidParameterException, match="PASSWORD"):
        start(env, client_id, name, PREFERRED_CHALLENGE="PASSWORD")
    helper = AWSSRP(
        username=name, password=PASSWORD, pool_id=pool_id, client_id=client_id, client=env.client
    )
    request = helper.get_auth_params()
    verifier = start(
        env, client_id, name, PREFERRED_CHALLENGE="PASSWORD_SRP", SRP_A=request["SRP_A"]
    )
    assert verifier["ChallengeName"] == "PASSWORD_VERIFIER"
    responses = helper.process_challenge(verifier["ChallengeParameters"], request)
    answer = env.client.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )
    assert "AccessToken" in answer["AuthenticationResult"]


def test_email_otp_first_factor(env: Env) -> None:
    pool_id, client_id = setup(env)
    name, address = new_user(env, pool_id)
    selection = start(env, client_id, name)
    challenge = respond(env, client_id, selection, name, ANSWER="EMAIL_OTP")
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    parameters = challenge["ChallengeParameters"]
    assert parameters["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    assert parameters["CODE_DELIVERY_DESTINATION"] != address
    code = env.code_in_mail(address)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(env.client.exceptions.CodeMismatchException):
        respond(env, client_id, challenge, name, EMAIL_OTP_CODE=wrong)
    answer = respond(env, client_id, challenge, name, EMAIL_OTP_CODE=code)
    assert "AccessToken" in answer["AuthenticationResult"]
    with pytest.raises(env.client.exceptions.NotAuthorizedException):
        respond(env, client_id, challenge, name, EMAIL_OTP_CODE=code)


def test_sms_otp_preferred_skips_mfa(env: Env) -> None:
    pool_id, client_id = setup(env)
    env.client.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="ON",
        SoftwareTokenMfaConfiguration={"Enabled": True},
        EmailMfaConfiguration={"Message": "Code {####}", "Subject": "Sign-in code"},
    )
    number = phone()
    name, _ = new_user(env, pool_id, number=number)
    # A password still needs MFA under MfaConfiguration ON ...
    by_password = start(env, client_id, name, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert by_password["ChallengeName"] == "EMAIL_OTP"
    # ... a one-time code as the first factor does not.
    challenge = start(env, client_id, name, PREFERRED_CHALLENGE="SMS_OTP")
    assert challenge["ChallengeName"] == "SMS_OTP"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    answer = respond(env, client_id, challenge, name, SMS_OTP_CODE=latest_sms(env, number))
    assert "AccessToken" in answer["AuthenticationResult"]


def test_admin_initiate_user_auth(env: Env) -> None:
    pool_id, client_id = setup(env)
    name, _ = new_user(env, pool_id)
    answer = env.client.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": name},
    )
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    result = env.client.admin_respond_to_auth_challenge(
        UserPoolId=pool_id,
        ClientId=client_id,
        ChallengeName="SELECT_CHALLENGE",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": name, "ANSWER": "PASSWORD", "PASSWORD": PASSWORD},
    )
    assert "IdToken" in result["AuthenticationResult"]


def test_client_must_allow_user_auth(env: Env) -> None:
    pool_id = env.pool(Policies=ALL_FACTORS)
    client_id = env.app(pool_id)
    with pytest.raises(env.client.exceptions.InvalidParameterException, match="not enabled"):
        start(env, client_id, "anyone")


def test_unknown_user_legacy_and_enabled(env: Env) -> None:
    pool_id, legacy = setup(env, PreventUserExistenceErrors="LEGACY")
    with pytest.raises(env.client.exceptions.UserNotFoundException):
        start(env, legacy, "nobody")
    enabled = env.app(pool_id, ExplicitAuthFlows=FLOWS, PreventUserExistenceErrors="ENABLED")
    name, _ = new_user(env, pool_id)
    real = start(env, enabled, name)
    decoy = start(env, enabled, "nobody")
    assert decoy["ChallengeName"] == real["ChallengeName"] == "SELECT_CHALLENGE"
    assert decoy["AvailableChallenges"] == real["AvailableChallenges"]
    with pytest.raises(env.client.exceptions.NotAuthorizedException, match="Incorrect"):
        respond(env, enabled, decoy, "nobody", ANSWER="PASSWORD", PASSWORD=PASSWORD)
    decoy = start(env, enabled, "nobody")
    code_challenge = respond(env, enabled, decoy, "nobody", ANSWER="EMAIL_OTP")
    assert code_challenge["ChallengeName"] == "EMAIL_OTP"
    assert code_challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    with pytest.raises(env.client.exceptions.CodeMismatchException):
        respond(env, enabled, code_challenge, "nobody", EMAIL_OTP_CODE="123456")


def test_get_user_auth_factors(env: Env) -> None:
    pool_id, client_id = setup(env)
    name, _ = new_user(env, pool_id, number=phone())
    tokens = start(env, client_id, name, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    factors = env.client.get_user_auth_factors(
        AccessToken=tokens["AuthenticationResult"]["AccessToken"]
    )
    assert factors["Username"] == name
    assert factors["ConfiguredUserAuthFactors"] == ["PASSWORD", "EMAIL_OTP", "SMS_OTP"]
    assert factors.get("UserMFASettingList", []) == []
    assert "PreferredMfaSetting" not in factors
    with pytest.raises(env.client.exceptions.NotAuthorizedException):
        env.client.get_user_auth_factors(AccessToken="not-a-token")
