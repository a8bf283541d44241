"""MFA over the wire: pool and user settings, TOTP set up and used with pyotp as the
authenticator, SMS and email codes read from the sinks, SELECT_MFA_TYPE and MFA_SETUP, and the
security cases of security-test-plan.md E that a real clock allows (47, 50, 51, 52, 53)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pyotp
import pytest

from tests.wire.delivery import CODE, PASSWORD, Env, email

TOTP_ONLY: dict[str, Any] = {"SoftwareTokenMfaConfiguration": {"Enabled": True}}
SMS_CONFIG = {
    "SmsAuthenticationMessage": "Your sign-in code is {####}",
    "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::000000000000:role/sms"},
}


def phone() -> str:
    return "+1555" + str(uuid.uuid4().int)[:7]


def setup_pool(env: Env, mode: str, **factors: Any) -> tuple[str, str]:
    pool_id = env.pool()
    env.client.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration=mode, **factors)
    return pool_id, env.app(pool_id)


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


def start(env: Env, client_id: str, name: str) -> dict[str, Any]:
    result: dict[str, Any] = env.client.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD},
    )
    return result


def respond(env: Env, client_id: str, answer: dict[str, Any], **responses: str) -> Any:
    return env.client.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName=answer["ChallengeName"],
        Session=answer["Session"],
        ChallengeResponses=responses,
    )


def code_for(secret: str, *, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def with_totp(env: Env, client_id: str, name: str) -> str:
    """Sign in, associate and verify a token, enable it as preferred; returns the secret."""
    tokens = start(env, client_id, name)["AuthenticationResult"]
    secret = env.client.associate_software_token(AccessToken=tokens["AccessToken"])["SecretCode"]
    verified = env.client.verify_software_token(
        AccessToken=tokens["AccessToken"], UserCode=code_for(secret), FriendlyDeviceName="phone"
    )
    assert verified["Status"] == "SUCCESS"
    env.client.set_user_mfa_preference(
        AccessToken=tokens["AccessToken"],
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    return str(secret)


def latest_sms(env: Env, number: str) -> str:
    env.sms.wait_for(1)
    for message in reversed(env.sms.messages):
        if message["phone_number"] == number:
            match = CODE.search(message["message"])
            assert match
            return match.group(1)
    raise AssertionError(f"no SMS to {number}")


def test_pool_mfa_config_round_trip(env: Env) -> None:
    pool_id = env.pool()
    assert env.client.get_user_pool_mfa_config(UserPoolId=pool_id)["MfaConfiguration"] == "OFF"
    with pytest.raises(env.client.exceptions.InvalidParameterException):
        env.client.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="ON")
    answer = env.client.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SmsMfaConfiguration=SMS_CONFIG,
        EmailMfaConfiguration={"Message": "Code {####}", "Subject": "Sign-in code"},
        **TOTP_ONLY,
    )
    fetched = env.client.get_user_pool_mfa_config(UserPoolId=pool_id)
    for response in (answer, fetched):
        assert response["MfaConfiguration"] == "OPTIONAL"
        assert response["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
        assert response["SmsMfaConfiguration"]["SmsAuthenticationMessage"].endswith("{####}")
        assert response["EmailMfaConfiguration"]["Subject"] == "Sign-in code"
    described = env.client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["MfaConfiguration"] == "OPTIONAL"
    assert described["SmsAuthenticationMessage"] == SMS_CONFIG["SmsAuthenticationMessage"]
    # UpdateUserPool does not take the factor settings, so it leaves them alone.
    env.client.update_user_pool(UserPoolId=pool_id, MfaConfiguration="OPTIONAL")
    kept = env.client.get_user_pool_mfa_config(UserPoolId=pool_id)
    assert kept["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
    assert kept["EmailMfaConfiguration"]["Subject"] == "Sign-in code"


def test_totp_set_up_then_asked_at_sign_in(env: Env) -> None:
    pool_id, client_id = setup_pool(env, "OPTIONAL", **TOTP_ONLY)
    name, _ = new_user(env, pool_id)
    tokens = start(env, client_id, name)["AuthenticationResult"]
    secret = env.client.associate_software_token(AccessToken=tokens["AccessToken"])["SecretCode"]
    assert len(base64.b32decode(secret)) == 20  # 160 bits
    with pytest.raises(
        env.client.exceptions.EnableSoftwareTokenMFAException, match="Code mismatch"
    ):
        env.client.verify_software_token(AccessToken=tokens["AccessToken"], UserCode="000000")
    with pytest.raises(env.client.exceptions.InvalidParameterException):
        env.client.set_user_mfa_preference(
            AccessToken=tokens["AccessToken"], SoftwareTokenMfaSettings={"Enabled": True}
        )
    assert "AuthenticationResult" in start(env, client_id, name)  # not enabled yet
    verified = env.client.verify_software_token(
        AccessToken=tokens["AccessToken"], UserCode=code_for(secret)
    )
    assert verified["Status"] == "SUCCESS"
    env.client.set_user_mfa_preference(
        AccessToken=tokens["AccessToken"],
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    user = env.client.get_user(AccessToken=tokens["AccessToken"])
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    challenge = start(env, client_id, name)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert challenge["ChallengeParameters"] == {}
    with pytest.raises(
        env.client.exceptions.CodeMismatchException, match="Invalid code or auth state"
    ):
        respond(env, client_id, challenge, USERNAME=name, SOFTWARE_TOKEN_MFA_CODE="12345x")
    code = code_for(secret, steps_ahead=1)
    done = respond(env, client_id, challenge, USERNAME=name, SOFTWARE_TOKEN_MFA_CODE=code)
    assert done["AuthenticationResult"]["AccessToken"]
    # E50: the answered Session is spent.
    with pytest.raises(env.client.exceptions.NotAuthorizedException, match="Invalid session"):
        respond(env, client_id, challenge, USERNAME=name, SOFTWARE_TOKEN_MFA_CODE=code)
    # E47: the same code (same step) in a new sign-in is refused.
    again = start(env, client_id, name)
    with pytest.raises(env.client.exceptions.ExpiredCodeException, match="already been used"):
        respond(env, client_id, again, USERNAME=name, SOFTWARE_TOKEN_MFA_CODE=code)


def test_mfa_session_bound_to_user_and_client(env: Env) -> None:
    """E51: a challenge Session answered for another user or through another client."""
    pool_id, client_id = setup_pool(env, "OPTIONAL", **TOTP_ONLY)
    name, _ = new_user(env, pool_id)
    other, _ = new_user(env, pool_id)
    secret = with_totp(env, client_id, name)
    challenge = start(env, client_id, name)
    code = code_for(secret, steps_ahead=1)
    with pytest.raises(env.client.exceptions.NotAuthorizedException):
        respond(env, client_id, challenge, USERNAME=other, SOFTWARE_TOKEN_MFA_CODE=code)
    second_client = env.app(pool_id)
    with pytest.raises(env.client.exceptions.NotAuthorizedException):
        respond(env, second_client, challenge, USERNAME=name, SOFTWARE_TOKEN_MFA_CODE=code)
    done = respond(env, client_id, challenge, USERNAME=name, SOFTWARE_TOKEN_MFA_CODE=code)
    assert "AuthenticationResult" in done


def test_wrong_codes_count_toward_lockout(env: Env) -> None:
    pool_id, client_id = setup_pool(env, "OPTIONAL", **TOTP_ONLY)
    name, _ = new_user(env, pool_id)
    secret = with_totp(env, client_id, name)
    challenge = start(env, client_id, name)
    wrong = f"{(int(code_for(secret, steps_ahead=1)) + 1) % 10**6:06d}"
    errors = env.client.exceptions
    for _ in range(5):
        with pytest.raises(errors.CodeMismatchException):
            respond(env, client_id, challenge, USERNAME=name, SOFTWARE_TOKEN_MFA_CODE=wrong)
    with pytest.raises(errors.NotAuthorizedException, match="Password attempts exceeded"):
        respond(env, client_id, challenge, USERNAME=name, SOFTWARE_TOKEN_MFA_CODE=wrong)


def test_mfa_on_forces_setup_with_session(env: Env) -> None:
    pool_id, client_id = setup_pool(env, "ON", **TOTP_ONLY)
    name, _ = new_user(env, pool_id)
    challenge = start(env, client_id, name)
    assert challenge["ChallengeName"] == "MFA_SETUP"
    assert json.loads(challenge["ChallengeParameters"]["MFAS_CAN_SETUP"]) == ["SOFTWARE_TOKEN_MFA"]
    with pytest.raises(env.client.exceptions.SoftwareTokenMFANotFoundException):
        respond(env, client_id, challenge, USERNAME=name)
    associated = env.client.associate_software_token(Session=challenge["Session"])
    assert associated["Session"] != challenge["Session"]
    with pytest.raises(env.client.exceptions.NotAuthorizedException):
        env.client.associate_software_token(Session=challenge["Session"])  # spent
    verified = env.client.verify_software_token(
        Session=associated["Session"], UserCode=code_for(associated["SecretCode"])
    )
    assert verified["Status"] == "SUCCESS"
    done = env.client.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": name},
    )
    assert done["AuthenticationResult"]["IdToken"]
    user = env.client.admin_get_user(UserPoolId=pool_id, Username=name)
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert start(env, client_id, name)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_sms_mfa_code_from_the_sink(env: Env) -> None:
    pool_id, client_id = setup_pool(env, "OPTIONAL", SmsMfaConfiguration=SMS_CONFIG)
    number = phone()
    name, _ = new_user(env, pool_id, number=number)
    env.client.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username=name, SMSMfaSettings={"Enabled": True}
    )
    challenge = start(env, client_id, name)
    assert challenge["ChallengeName"] == "SMS_MFA"
    parameters = challenge["ChallengeParameters"]
    assert parameters["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    assert parameters["CODE_DELIVERY_DESTINATION"].endswith(number[-4:])
    assert number not in parameters["CODE_DELIVERY_DESTINATION"]
    code = latest_sms(env, number)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with pytest.raises(env.client.exceptions.CodeMismatchException):
        respond(env, client_id, challenge, USERNAME=name, SMS_MFA_CODE=wrong)
    done = respond(env, client_id, challenge, USERNAME=name, SMS_MFA_CODE=code)
    assert "AuthenticationResult" in done
    with pytest.raises(env.client.exceptions.NotAuthorizedException):
        respond(env, client_id, challenge, USERNAME=name, SMS_MFA_CODE=code)
    # A code is bound to its sign-in: the previous one does not answer a new challenge.
    second = start(env, client_id, name)
    with pytest.raises(env.client.exceptions.CodeMismatchException):
        respond(env, client_id, second, USERNAME=name, SMS_MFA_CODE=code)


def test_legacy_settings_and_password_reset_keep_mfa(env: Env) -> None:
    """AdminSetUserSettings' SMS option enables SMS MFA; E52: a new password keeps it."""
    pool_id, client_id = setup_pool(env, "OPTIONAL", SmsMfaConfiguration=SMS_CONFIG)
    name, _ = new_user(env, pool_id, number=phone())
    options = [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    env.client.admin_set_user_settings(UserPoolId=pool_id, Username=name, MFAOptions=options)
    assert env.client.admin_get_user(UserPoolId=pool_id, Username=name)["MFAOptions"] == options
    env.client.admin_set_user_password(
        UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True
    )
    assert start(env, client_id, name)["ChallengeName"] == "SMS_MFA"
    env.client.admin_set_user_settings(UserPoolId=pool_id, Username=name, MFAOptions=[])
    assert "AuthenticationResult" in start(env, client_id, name)


def test_select_mfa_type_then_email_otp(env: Env) -> None:
    pool_id, client_id = setup_pool(
        env,
        "OPTIONAL",
        EmailMfaConfiguration={"Message": "Your code: {####}", "Subject": "Sign-in code"},
        **TOTP_ONLY,
    )
    name, address = new_user(env, pool_id)
    with_totp(env, client_id, name)
    env.client.admin_set_user_mfa_preference(
        UserPoolId=pool_id,
        Username=name,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
        EmailMfaSettings={"Enabled": True},
    )
    selection = start(env, client_id, name)
    assert selection["ChallengeName"] == "SELECT_MFA_TYPE"
    choices = json.loads(selection["ChallengeParameters"]["MFAS_CAN_CHOOSE"])
    assert choices == ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]
    with pytest.raises(env.client.exceptions.InvalidParameterException):
        respond(env, client_id, selection, USERNAME=name, ANSWER="SMS_MFA")
    sent_before = env.mail_count(address)
    challenge = respond(env, client_id, selection, USERNAME=name, ANSWER="EMAIL_OTP")
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    assert env.mail_count(address) == sent_before + 1
    assert env.mail_to(address)["Subject"] == "Sign-in code"
    code = env.code_in_mail(address)
    done = respond(env, client_id, challenge, USERNAME=name, EMAIL_OTP_CODE=code)
    assert "AuthenticationResult" in done


EMAIL_MFA: dict[str, Any] = {
    "EmailMfaConfiguration": {"Message": "Your code: {####}", "Subject": "Sign-in code"}
}


def user_without_contact(env: Env, pool_id: str) -> str:
    name = f"user{uuid.uuid4().hex[:8]}"
    env.client.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS")
    env.client.admin_set_user_password(
        UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True
    )
    return name


def test_mfa_setup_offers_and_sets_up_email(env: Env) -> None:
    """MFA_SETUP answered with EMAIL (Amplify's CONTINUE_SIGN_IN_WITH_EMAIL_SETUP), then the
    EMAIL_OTP challenge that proves the address."""
    pool_id, client_id = setup_pool(env, "ON", **EMAIL_MFA, **TOTP_ONLY)
    name = user_without_contact(env, pool_id)
    challenge = start(env, client_id, name)
    assert challenge["ChallengeName"] == "MFA_SETUP"
    offered = json.loads(challenge["ChallengeParameters"]["MFAS_CAN_SETUP"])
    assert offered == ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]
    with pytest.raises(env.client.exceptions.InvalidParameterException, match="email"):
        respond(env, client_id, challenge, USERNAME=name, EMAIL="not-an-address")
    address = email()
    code_challenge = respond(env, client_id, challenge, USERNAME=name, EMAIL=address)
    assert code_challenge["ChallengeName"] == "EMAIL_OTP"
    parameters = code_challenge["ChallengeParameters"]
    assert parameters["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    assert parameters["CODE_DELIVERY_DESTINATION"].startswith(address[0])
    assert address not in parameters["CODE_DELIVERY_DESTINATION"]
    # The MFA_SETUP Session is spent: one setup answer, one code, one address.
    with pytest.raises(env.client.exceptions.NotAuthorizedException, match="Invalid session"):
        respond(env, client_id, challenge, USERNAME=name, EMAIL=email())
    code = env.code_in_mail(address)
    assert env.mail_to(address)["Subject"] == "Sign-in code"
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with pytest.raises(env.client.exceptions.CodeMismatchException):
        respond(env, client_id, code_challenge, USERNAME=name, EMAIL_OTP_CODE=wrong)
    assert "email" not in {
        item["Name"]
        for item in env.client.admin_get_user(UserPoolId=pool_id, Username=name)["UserAttributes"]
    }
    done = respond(env, client_id, code_challenge, USERNAME=name, EMAIL_OTP_CODE=code)
    payload = done["AuthenticationResult"]["IdToken"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    assert claims["email"] == address
    user = env.client.admin_get_user(UserPoolId=pool_id, Username=name)
    attributes = {item["Name"]: item["Value"] for item in user["UserAttributes"]}
    assert attributes["email"] == address
    assert attributes["email_verified"] == "true"
    assert user["UserMFASettingList"] == ["EMAIL_OTP"]
    assert user["PreferredMfaSetting"] == "EMAIL_OTP"
    # From now on the set-up factor is asked for.
    again = start(env, client_id, name)
    assert again["ChallengeName"] == "EMAIL_OTP"
    assert "AuthenticationResult" in respond(
        env, client_id, again, USERNAME=name, EMAIL_OTP_CODE=env.code_in_mail(address)
    )


def test_email_only_pool_sets_up_email_and_refuses_email_where_not_offered(env: Env) -> None:
    """A pool requiring MFA with email as its only factor asks a user without an address to
    set one up (it used to be InvalidUserPoolConfigurationException); a TOTP-only pool does
    not take EMAIL."""
    pool_id, client_id = setup_pool(env, "ON", **EMAIL_MFA)
    name = user_without_contact(env, pool_id)
    challenge = start(env, client_id, name)
    assert challenge["ChallengeName"] == "MFA_SETUP"
    assert json.loads(challenge["ChallengeParameters"]["MFAS_CAN_SETUP"]) == ["EMAIL_OTP"]
    address = email()
    code_challenge = respond(env, client_id, challenge, USERNAME=name, EMAIL=address)
    code = env.code_in_mail(address)
    assert "AuthenticationResult" in respond(
        env, client_id, code_challenge, USERNAME=name, EMAIL_OTP_CODE=code
    )
    totp_pool, totp_client = setup_pool(env, "ON", **TOTP_ONLY)
    other = user_without_contact(env, totp_pool)
    setup = start(env, totp_client, other)
    with pytest.raises(env.client.exceptions.InvalidParameterException, match="Email MFA"):
        respond(env, totp_client, setup, USERNAME=other, EMAIL=email())


def test_forgot_password_keeps_mfa(env: Env) -> None:
    """E52: ForgotPassword + ConfirmForgotPassword on a user with MFA; MFA is still asked."""
    pool_id, client_id = setup_pool(env, "OPTIONAL", **TOTP_ONLY)
    name, address = new_user(env, pool_id)
    secret = with_totp(env, client_id, name)
    env.client.forgot_password(ClientId=client_id, Username=name)
    env.client.confirm_forgot_password(
        ClientId=client_id,
        Username=name,
        ConfirmationCode=env.code_in_mail(address),
        Password=PASSWORD + "2",
    )
    challenge = env.client.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD + "2"},
    )
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    code = code_for(secret, steps_ahead=1)
    assert "AuthenticationResult" in respond(
        env, client_id, challenge, USERNAME=name, SOFTWARE_TOKEN_MFA_CODE=code
    )
