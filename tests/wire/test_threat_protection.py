"""Threat protection over the wire: risk configurations, compromised credentials, the IP block
list, auth events and admin feedback (wave2-surface.md §4)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pyotp
import pytest
from pycognito.aws_srp import AWSSRP

COMPROMISED = "password123"  # on zxcvbn's list of common passwords
STRONG = "k7-Vq2#Lm9!zR4"
RELAXED = {
    "PasswordPolicy": {
        "MinimumLength": 8,
        "RequireUppercase": False,
        "RequireLowercase": False,
        "RequireNumbers": False,
        "RequireSymbols": False,
    }
}
BLOCK_COMPROMISED: dict[str, Any] = {"Actions": {"EventAction": "BLOCK"}}


def make_pool(idp_client: Any, mode: str = "ENFORCED", **kwargs: Any) -> str:
    kwargs.setdefault("UserPoolTier", "PLUS")
    created = idp_client.create_user_pool(
        PoolName=f"pool-{uuid.uuid4().hex[:8]}",
        Policies=RELAXED,
        UserPoolAddOns={"AdvancedSecurityMode": mode},
        **kwargs,
    )
    return str(created["UserPool"]["Id"])


def make_app(idp_client: Any, pool_id: str) -> str:
    created = idp_client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="app",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )
    return str(created["UserPoolClient"]["ClientId"])


def make_user(idp_client: Any, pool_id: str, password: str) -> str:
    name = f"u{uuid.uuid4().hex[:10]}"
    idp_client.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS")
    idp_client.admin_set_user_password(
        UserPoolId=pool_id, Username=name, Password=password, Permanent=True
    )
    return name


def sign_in(idp_client: Any, client_id: str, name: str, password: str) -> dict[str, Any]:
    result: dict[str, Any] = idp_client.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": password},
    )
    return result


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def events(idp_client: Any, pool_id: str, name: str, **kwargs: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = idp_client.admin_list_user_auth_events(
        UserPoolId=pool_id, Username=name, **kwargs
    )["AuthEvents"]
    return found


def status(idp_client: Any, pool_id: str, name: str) -> str:
    return str(idp_client.admin_get_user(UserPoolId=pool_id, Username=name)["UserStatus"])


# --- mode and tier ---------------------------------------------------------------------


def test_mode_off_answers_add_on_not_enabled(idp_client: Any, pool_id: str) -> None:
    errors = idp_client.exceptions
    calls: list[tuple[str, dict[str, Any]]] = [
        ("describe_risk_configuration", {}),
        ("set_risk_configuration", {"CompromisedCredentialsRiskConfiguration": BLOCK_COMPROMISED}),
        ("admin_list_user_auth_events", {"Username": "anyone"}),
        (
            "admin_update_auth_event_feedback",
            {"Username": "anyone", "EventId": "e1", "FeedbackValue": "Valid"},
        ),
    ]
    for method, arguments in calls:
        with pytest.raises(errors.UserPoolAddOnNotEnabledException):
            getattr(idp_client, method)(UserPoolId=pool_id, **arguments)


def test_threat_protection_needs_the_plus_tier(idp_client: Any) -> None:
    errors = idp_client.exceptions
    with pytest.raises(errors.FeatureUnavailableInTierException):
        make_pool(idp_client, UserPoolTier="ESSENTIALS")
    pool_id = make_pool(idp_client, mode="AUDIT")
    described = idp_client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["UserPoolAddOns"] == {"AdvancedSecurityMode": "AUDIT"}
    # An update that omits the tier keeps it.
    idp_client.update_user_pool(
        UserPoolId=pool_id, UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"}
    )
    with pytest.raises(errors.FeatureUnavailableInTierException):
        idp_client.update_user_pool(
            UserPoolId=pool_id,
            UserPoolTier="ESSENTIALS",
            UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"},
        )


# --- risk configuration ----------------------------------------------------------------


def test_risk_configuration_round_trip_and_resets(idp_client: Any) -> None:
    pool_id = make_pool(idp_client)
    client_id = make_app(idp_client, pool_id)
    assert idp_client.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"] == {
        "UserPoolId": pool_id
    }
    pool_level = {
        "CompromisedCredentialsRiskConfiguration": {
            "EventFilter": ["SIGN_IN", "SIGN_UP"],
            "Actions": {"EventAction": "BLOCK"},
        },
        "AccountTakeoverRiskConfiguration": {
            "Actions": {
                "LowAction": {"Notify": False, "EventAction": "NO_ACTION"},
                "MediumAction": {"Notify": False, "EventAction": "MFA_IF_CONFIGURED"},
                "HighAction": {"Notify": False, "EventAction": "BLOCK"},
            }
        },
        "RiskExceptionConfiguration": {
            "BlockedIPRangeList": ["192.0.2.0/24"],
            "SkippedIPRangeList": ["2001:db8::/32"],
        },
    }
    answered = idp_client.set_risk_configuration(UserPoolId=pool_id, **pool_level)
    assert answered["RiskConfiguration"]["LastModifiedDate"]
    described = idp_client.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"]
    assert {key: described[key] for key in pool_level} == pool_level
    # A client without its own configuration inherits the pool's.
    inherited = idp_client.describe_risk_configuration(UserPoolId=pool_id, ClientId=client_id)
    assert "ClientId" not in inherited["RiskConfiguration"]
    assert (
        inherited["RiskConfiguration"]["RiskExceptionConfiguration"]
        == (pool_level["RiskExceptionConfiguration"])
    )
    # A client's own configuration replaces the pool's (no merge).
    idp_client.set_risk_configuration(
        UserPoolId=pool_id,
        ClientId=client_id,
        CompromisedCredentialsRiskConfiguration={"Actions": {"EventAction": "NO_ACTION"}},
    )
    own = idp_client.describe_risk_configuration(UserPoolId=pool_id, ClientId=client_id)
    assert own["RiskConfiguration"]["ClientId"] == client_id
    assert own["RiskConfiguration"]["CompromisedCredentialsRiskConfiguration"] == {
        "Actions": {"EventAction": "NO_ACTION"}
    }
    assert "RiskExceptionConfiguration" not in own["RiskConfiguration"]
    # Pool and client alone: the client inherits again.
    idp_client.set_risk_configuration(UserPoolId=pool_id, ClientId=client_id)
    again = idp_client.describe_risk_configuration(UserPoolId=pool_id, ClientId=client_id)
    assert "ClientId" not in again["RiskConfiguration"]
    # The pool alone: the pool's configuration returns to the defaults.
    idp_client.set_risk_configuration(UserPoolId=pool_id)
    assert idp_client.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"] == {
        "UserPoolId": pool_id
    }


def test_risk_configuration_errors(idp_client: Any) -> None:
    errors = idp_client.exceptions
    pool_id = make_pool(idp_client)
    with pytest.raises(errors.InvalidParameterException, match="CIDR"):
        idp_client.set_risk_configuration(
            UserPoolId=pool_id,
            RiskExceptionConfiguration={"BlockedIPRangeList": ["10.0.0.300/8"]},
        )
    with pytest.raises(errors.InvalidParameterException, match="CIDR"):
        idp_client.set_risk_configuration(
            UserPoolId=pool_id, RiskExceptionConfiguration={"SkippedIPRangeList": ["10.0.0.1"]}
        )
    with pytest.raises(errors.InvalidParameterException, match="weaker"):
        idp_client.set_risk_configuration(
            UserPoolId=pool_id,
            AccountTakeoverRiskConfiguration={
                "Actions": {
                    "LowAction": {"Notify": False, "EventAction": "BLOCK"},
                    "HighAction": {"Notify": False, "EventAction": "NO_ACTION"},
                }
            },
        )
    with pytest.raises(errors.InvalidParameterException, match="NotifyConfiguration"):
        idp_client.set_risk_configuration(
            UserPoolId=pool_id,
            AccountTakeoverRiskConfiguration={
                "Actions": {"HighAction": {"Notify": True, "EventAction": "BLOCK"}}
            },
        )
    with pytest.raises(errors.ResourceNotFoundException):
        idp_client.describe_risk_configuration(UserPoolId=pool_id, ClientId="nosuchclient")
    with pytest.raises(errors.ResourceNotFoundException):
        idp_client.describe_risk_configuration(UserPoolId="us-east-1_nosuchpl")
    # The model's own limits are checked before the handler runs.
    with pytest.raises(errors.InvalidParameterException):
        idp_client.set_risk_configuration(
            UserPoolId=pool_id,
            RiskExceptionConfiguration={
                "BlockedIPRangeList": [f"10.0.{n // 256}.{n % 256}/32" for n in range(201)]
            },
        )
    assert idp_client.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"] == {
        "UserPoolId": pool_id
    }


# --- compromised credentials -----------------------------------------------------------


def test_enforced_blocks_a_compromised_password_at_sign_up(idp_client: Any) -> None:
    pool_id = make_pool(idp_client)
    client_id = make_app(idp_client, pool_id)
    idp_client.set_risk_configuration(
        UserPoolId=pool_id, CompromisedCredentialsRiskConfiguration=BLOCK_COMPROMISED
    )
    name = f"u{uuid.uuid4().hex[:10]}"
    with pytest.raises(idp_client.exceptions.InvalidPasswordException, match="compromised"):
        idp_client.sign_up(ClientId=client_id, Username=name, Password=COMPROMISED)
    # The case-folded form is on the list too.
    with pytest.raises(idp_client.exceptions.InvalidPasswordException):
        idp_client.sign_up(ClientId=client_id, Username=name, Password="PassWord123")
    with pytest.raises(idp_client.exceptions.UserNotFoundException):
        idp_client.admin_get_user(UserPoolId=pool_id, Username=name)
    idp_client.sign_up(ClientId=client_id, Username=name, Password=STRONG)
    (event,) = events(idp_client, pool_id, name)
    assert event["EventType"] == "SignUp"
    assert event["EventResponse"] == "Pass"
    assert event["EventRisk"] == {"RiskDecision": "NoRisk", "CompromisedCredentialsDetected": False}


def test_enforced_blocks_a_compromised_password_at_sign_in(idp_client: Any) -> None:
    pool_id = make_pool(idp_client)
    client_id = make_app(idp_client, pool_id)
    # Only SIGN_IN is screened, so the administrator can still set the password.
    idp_client.set_risk_configuration(
        UserPoolId=pool_id,
        CompromisedCredentialsRiskConfiguration={**BLOCK_COMPROMISED, "EventFilter": ["SIGN_IN"]},
    )
    name = make_user(idp_client, pool_id, COMPROMISED)
    with pytest.raises(
        idp_client.exceptions.NotAuthorizedException, match="Unable to login because of security"
    ):
        sign_in(idp_client, client_id, name, COMPROMISED)
    assert status(idp_client, pool_id, name) == "RESET_REQUIRED"
    with pytest.raises(idp_client.exceptions.PasswordResetRequiredException):
        sign_in(idp_client, client_id, name, COMPROMISED)
    newest = events(idp_client, pool_id, name)[0]
    assert newest["EventType"] == "SignIn"
    assert newest["EventResponse"] == "Fail"
    assert newest["EventRisk"] == {"RiskDecision": "Block", "CompromisedCredentialsDetected": True}
    assert newest["EventContextData"]["IpAddress"] == "127.0.0.1"


def test_enforced_blocks_a_compromised_password_change(idp_client: Any) -> None:
    pool_id = make_pool(idp_client)
    client_id = make_app(idp_client, pool_id)
    idp_client.set_risk_configuration(
        UserPoolId=pool_id, CompromisedCredentialsRiskConfiguration=BLOCK_COMPROMISED
    )
    name = make_user(idp_client, pool_id, STRONG)
    with pytest.raises(idp_client.exceptions.InvalidPasswordException):
        idp_client.admin_set_user_password(
            UserPoolId=pool_id, Username=name, Password=COMPROMISED, Permanent=True
        )
    access = sign_in(idp_client, client_id, name, STRONG)["AuthenticationResult"]["AccessToken"]
    with pytest.raises(idp_client.exceptions.InvalidPasswordException):
        idp_client.change_password(
            AccessToken=access, PreviousPassword=STRONG, ProposedPassword=COMPROMISED
        )
    sign_in(idp_client, client_id, name, STRONG)
    kinds = [
        (event["EventType"], event["EventResponse"]) for event in events(idp_client, pool_id, name)
    ]
    assert kinds == [
        ("SignIn", "Pass"),
        ("PasswordChange", "Fail"),
        ("SignIn", "Pass"),
        ("PasswordChange", "Fail"),
        ("PasswordChange", "Pass"),
    ]


def test_audit_only_records(idp_client: Any) -> None:
    pool_id = make_pool(idp_client, mode="AUDIT")
    client_id = make_app(idp_client, pool_id)
    idp_client.set_risk_configuration(
        UserPoolId=pool_id,
        CompromisedCredentialsRiskConfiguration=BLOCK_COMPROMISED,
        RiskExceptionConfiguration={"BlockedIPRangeList": ["127.0.0.0/8"]},
    )
    name = f"u{uuid.uuid4().hex[:10]}"
    idp_client.sign_up(ClientId=client_id, Username=name, Password=COMPROMISED)
    idp_client.admin_confirm_sign_up(UserPoolId=pool_id, Username=name)
    result = sign_in(idp_client, client_id, name, COMPROMISED)["AuthenticationResult"]
    assert status(idp_client, pool_id, name) == "CONFIRMED"
    sign_in_event, sign_up_event = events(idp_client, pool_id, name)
    detected = {"RiskDecision": "NoRisk", "CompromisedCredentialsDetected": True}
    assert sign_up_event["EventType"] == "SignUp"
    assert sign_up_event["EventRisk"] == detected
    assert sign_in_event["EventType"] == "SignIn"
    assert sign_in_event["EventResponse"] == "Pass"
    assert sign_in_event["EventRisk"] == detected
    assert sign_in_event["ChallengeResponses"] == [
        {"ChallengeName": "Password", "ChallengeResponse": "Success"}
    ]
    assert sign_in_event["EventId"] == claims(result["IdToken"])["event_id"]
    assert sign_in_event["EventId"] == claims(result["AccessToken"])["event_id"]


# --- IP exceptions, events, feedback ---------------------------------------------------


def test_blocked_ip_range_fails_sign_in(idp_client: Any) -> None:
    pool_id = make_pool(idp_client)
    client_id = make_app(idp_client, pool_id)
    name = make_user(idp_client, pool_id, STRONG)
    idp_client.set_risk_configuration(
        UserPoolId=pool_id, RiskExceptionConfiguration={"BlockedIPRangeList": ["127.0.0.0/8"]}
    )
    for password in (STRONG, "wrong-password"):
        with pytest.raises(idp_client.exceptions.NotAuthorizedException, match="security reasons"):
            sign_in(idp_client, client_id, name, password)
    assert status(idp_client, pool_id, name) == "CONFIRMED"
    newest = events(idp_client, pool_id, name)[0]
    assert (newest["EventResponse"], newest["EventRisk"]) == ("Fail", {"RiskDecision": "Block"})
    # A client's own configuration without the list lets the same address in.
    idp_client.set_risk_configuration(
        UserPoolId=pool_id,
        ClientId=client_id,
        CompromisedCredentialsRiskConfiguration=BLOCK_COMPROMISED,
    )
    sign_in(idp_client, client_id, name, STRONG)


def srp_sign_in(idp_client: Any, pool_id: str, client_id: str, name: str, password: str) -> Any:
    helper = AWSSRP(username=name, password=password, pool_id=pool_id, client_id=client_id,
                    client=idp_client)  # fmt: skip
    request = helper.get_auth_params()
    challenge = idp_client.initiate_auth(
        ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=request
    )
    responses = helper.process_challenge(challenge["ChallengeParameters"], request)
    return idp_client.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )


def test_blocked_ip_range_and_events_apply_to_srp(idp_client: Any) -> None:
    pool_id = make_pool(idp_client)
    client_id = idp_client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="srp", ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"]
    )["UserPoolClient"]["ClientId"]
    name = make_user(idp_client, pool_id, STRONG)
    result = srp_sign_in(idp_client, pool_id, client_id, name, STRONG)["AuthenticationResult"]
    with pytest.raises(idp_client.exceptions.NotAuthorizedException, match="Incorrect"):
        srp_sign_in(idp_client, pool_id, client_id, name, "wrong-password")
    failed, passed = events(idp_client, pool_id, name)[:2]
    assert (passed["EventType"], passed["EventResponse"]) == ("SignIn", "Pass")
    assert passed["EventId"] == claims(result["AccessToken"])["event_id"]
    assert failed["EventResponse"] == "Fail"
    assert failed["ChallengeResponses"] == [
        {"ChallengeName": "Password", "ChallengeResponse": "Failure"}
    ]

    idp_client.set_risk_configuration(
        UserPoolId=pool_id, RiskExceptionConfiguration={"BlockedIPRangeList": ["127.0.0.0/8"]}
    )
    with pytest.raises(idp_client.exceptions.NotAuthorizedException, match="security reasons"):
        srp_sign_in(idp_client, pool_id, client_id, name, STRONG)
    newest = events(idp_client, pool_id, name)[0]
    assert (newest["EventResponse"], newest["EventRisk"]) == ("Fail", {"RiskDecision": "Block"})


def test_a_sign_in_through_mfa_is_one_event_in_progress_then_passed(idp_client: Any) -> None:
    pool_id = make_pool(idp_client, mode="AUDIT")
    idp_client.set_user_pool_mfa_config(
        UserPoolId=pool_id, MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )  # fmt: skip
    client_id = make_app(idp_client, pool_id)
    name = make_user(idp_client, pool_id, STRONG)
    access = sign_in(idp_client, client_id, name, STRONG)["AuthenticationResult"]["AccessToken"]
    secret = idp_client.associate_software_token(AccessToken=access)["SecretCode"]
    totp = pyotp.TOTP(secret)
    idp_client.verify_software_token(AccessToken=access, UserCode=totp.now())
    idp_client.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    before = len(events(idp_client, pool_id, name))

    challenge = sign_in(idp_client, client_id, name, STRONG)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    started = events(idp_client, pool_id, name)[0]
    assert (started["EventType"], started["EventResponse"]) == ("SignIn", "InProgress")
    assert started["ChallengeResponses"] == [
        {"ChallengeName": "Password", "ChallengeResponse": "Success"}
    ]
    result = idp_client.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": name,
                            "SOFTWARE_TOKEN_MFA_CODE": totp.at(time.time() + 30)},
    )["AuthenticationResult"]  # fmt: skip
    found = events(idp_client, pool_id, name)
    assert len(found) == before + 1  # the same event, now passed
    assert found[0]["EventId"] == started["EventId"] == claims(result["AccessToken"])["event_id"]
    assert found[0]["EventResponse"] == "Pass"
    assert found[0]["ChallengeResponses"] == [
        {"ChallengeName": "Password", "ChallengeResponse": "Success"},
        {"ChallengeName": "Mfa", "ChallengeResponse": "Success"},
    ]


def test_events_page_newest_first_and_take_feedback(idp_client: Any) -> None:
    pool_id = make_pool(idp_client)
    client_id = make_app(idp_client, pool_id)
    name = make_user(idp_client, pool_id, STRONG)
    issued = [
        claims(sign_in(idp_client, client_id, name, STRONG)["AuthenticationResult"]["IdToken"])
        for _ in range(3)
    ]
    with pytest.raises(idp_client.exceptions.NotAuthorizedException):
        sign_in(idp_client, client_id, name, "wrong-password")
    everything = events(idp_client, pool_id, name)
    assert [event["EventResponse"] for event in everything[:4]] == ["Fail", "Pass", "Pass", "Pass"]
    assert everything[0]["ChallengeResponses"] == [
        {"ChallengeName": "Password", "ChallengeResponse": "Failure"}
    ]
    assert [event["EventId"] for event in everything[1:4]] == [
        token["event_id"] for token in reversed(issued)
    ]
    first = idp_client.admin_list_user_auth_events(UserPoolId=pool_id, Username=name, MaxResults=2)
    second = idp_client.admin_list_user_auth_events(
        UserPoolId=pool_id, Username=name, MaxResults=2, NextToken=first["NextToken"]
    )
    assert first["AuthEvents"] + second["AuthEvents"] == everything[:4]
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.admin_list_user_auth_events(UserPoolId=pool_id, Username=name, MaxResults=61)

    event_id = issued[0]["event_id"]
    idp_client.admin_update_auth_event_feedback(
        UserPoolId=pool_id, Username=name, EventId=event_id, FeedbackValue="Invalid"
    )
    (marked,) = [e for e in events(idp_client, pool_id, name) if e["EventId"] == event_id]
    assert marked["EventFeedback"]["FeedbackValue"] == "Invalid"
    assert marked["EventFeedback"]["Provider"] == "Admin"
    assert marked["EventFeedback"]["FeedbackDate"]
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.admin_update_auth_event_feedback(
            UserPoolId=pool_id, Username=name, EventId="no-such-event", FeedbackValue="Valid"
        )
    with pytest.raises(idp_client.exceptions.UserNotFoundException):
        idp_client.admin_list_user_auth_events(UserPoolId=pool_id, Username="nobody")
