"""Sign-in codes under a clock the test moves: security-test-plan.md E48 (the TOTP window, on
the server's clock), E49 (a code answered after AuthSessionValidity) and the per-user budget of
sign-in code messages, kept in the store: two servers on one database share it, and it refills
after the window.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp
import pytest

from cognate.clock import utc_now
from cognate.domain import codes
from tests.wire.clocked import Servers, clocked_servers
from tests.wire.delivery import PASSWORD, email

EMAIL_MFA = {"EmailMfaConfiguration": {"Message": "Code {####}", "Subject": "Sign-in code"}}
SMS_MFA = {
    "SmsMfaConfiguration": {
        "SmsAuthenticationMessage": "Code {####}",
        "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::000000000000:role/sms"},
    }
}
EXPIRED = "Invalid session for the user, session is expired."


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory, database_url: str | None
) -> Iterator[Servers]:
    with clocked_servers(tmp_path_factory.mktemp("clocked"), database_url) as running:
        yield running


@pytest.fixture(autouse=True)
def real_time(servers: Servers) -> None:
    """Each test starts on the real clock: SigV4 refuses admin calls more than 5 minutes off
    the server's clock, so a test moves the clock only after its admin calls."""
    servers.clock.offset = timedelta(0)


@dataclass
class MfaUser:
    """A user with email MFA (or SMS MFA with `number`) in a pool of its own."""

    client_id: str
    name: str
    address: str
    number: str | None


def mfa_user(client: Any, *, number: str | None = None) -> MfaUser:
    """A pool with optional MFA, a client, and one user with email MFA (SMS MFA when `number`
    is given)."""
    factors = SMS_MFA if number else EMAIL_MFA
    pool_id = client.create_user_pool(PoolName=f"codes-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]
    client.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OPTIONAL", **factors)
    client_id = client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    name, address = f"user{uuid.uuid4().hex[:8]}", email()
    attributes = [{"Name": "email", "Value": address}, {"Name": "email_verified", "Value": "true"}]
    if number:
        attributes.append({"Name": "phone_number", "Value": number})
    client.admin_create_user(
        UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS", UserAttributes=attributes
    )
    client.admin_set_user_password(
        UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True
    )
    member = "SMSMfaSettings" if number else "EmailMfaSettings"
    client.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username=name, **{member: {"Enabled": True}}
    )
    return MfaUser(client_id=client_id, name=name, address=address, number=number)


def start(client: Any, user: MfaUser) -> Any:
    return client.initiate_auth(
        ClientId=user.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user.name, "PASSWORD": PASSWORD},
    )


def respond(client: Any, user: MfaUser, challenge: Any, **responses: str) -> Any:
    return client.respond_to_auth_challenge(
        ClientId=user.client_id,
        ChallengeName=challenge["ChallengeName"],
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": user.name, **responses},
    )


def test_code_after_auth_session_validity_is_refused(servers: Servers) -> None:
    """E49: an email or SMS MFA code answered after AuthSessionValidity (3 minutes by
    default) is refused as an expired session, though it is the right code."""
    client = servers.first
    by_email = mfa_user(client)
    by_sms = mfa_user(client, number="+1555" + str(uuid.uuid4().int)[:7])
    email_challenge, sms_challenge = start(client, by_email), start(client, by_sms)
    assert (email_challenge["ChallengeName"], sms_challenge["ChallengeName"]) == (
        "EMAIL_OTP",
        "SMS_MFA",
    )
    email_code = servers.code_for(by_email.address)
    assert by_sms.number is not None
    sms_code = servers.sms_code_for(by_sms.number)
    servers.clock.offset = timedelta(minutes=3, seconds=1)
    with pytest.raises(client.exceptions.NotAuthorizedException, match=EXPIRED):
        respond(client, by_email, email_challenge, EMAIL_OTP_CODE=email_code)
    with pytest.raises(client.exceptions.NotAuthorizedException, match=EXPIRED):
        respond(client, by_sms, sms_challenge, SMS_MFA_CODE=sms_code)


def test_sign_in_codes_per_user_are_limited_in_the_store(servers: Servers) -> None:
    """At most MAX_SIGN_IN_SENDS_PER_WINDOW sign-in codes per user per hour, whichever server
    is asked (the count is in the database); then TooManyRequestsException and nothing sent.
    Other users are not affected, and the budget refills when the window has passed."""
    limit = codes.MAX_SIGN_IN_SENDS_PER_WINDOW
    user = mfa_user(servers.first)
    bystander = mfa_user(servers.first)
    for index in range(limit):
        server = servers.first if index % 2 else servers.second
        assert start(server, user)["ChallengeName"] == "EMAIL_OTP"
    servers.mail.wait_for(len(servers.mail.messages))
    sent = sum(1 for message in servers.mail.messages if message["To"] == user.address)
    assert sent == limit
    for server in (servers.first, servers.second):
        with pytest.raises(server.exceptions.TooManyRequestsException, match="Attempt limit"):
            start(server, user)
    assert sum(1 for message in servers.mail.messages if message["To"] == user.address) == limit
    assert start(servers.first, bystander)["ChallengeName"] == "EMAIL_OTP"
    servers.clock.offset += codes.SEND_WINDOW
    challenge = start(servers.second, user)
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    done = respond(servers.second, user, challenge, EMAIL_OTP_CODE=servers.code_for(user.address))
    assert "AuthenticationResult" in done


def test_totp_window_is_one_step_either_side_of_the_server_clock(servers: Servers) -> None:
    """E48 over the wire: with the server's clock mid-step, codes of steps -1, 0 and +1 are
    accepted (each once), codes of steps -2 and +2 are refused; only the server's clock
    counts."""
    client = servers.first
    pool_id = client.create_user_pool(PoolName=f"totp-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]
    client.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    client_id = client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    user = MfaUser(client_id=client_id, name=f"user{uuid.uuid4().hex[:8]}", address="", number=None)
    client.admin_create_user(UserPoolId=pool_id, Username=user.name, MessageAction="SUPPRESS")
    client.admin_set_user_password(
        UserPoolId=pool_id, Username=user.name, Password=PASSWORD, Permanent=True
    )
    # The server's clock 15 s into a step: the next 15 s stay within it.
    servers.clock.offset = timedelta(seconds=15 - utc_now().timestamp() % 30)
    access_token = start(client, user)["AuthenticationResult"]["AccessToken"]
    secret = client.associate_software_token(AccessToken=access_token)["SecretCode"]
    authenticator = pyotp.TOTP(secret)

    def code(steps: int) -> str:
        return str(authenticator.at(servers.clock().timestamp() + 30 * steps))

    client.verify_software_token(AccessToken=access_token, UserCode=code(0))
    client.set_user_mfa_preference(
        AccessToken=access_token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    for steps in (-2, 2):
        challenge = start(client, user)
        with pytest.raises(client.exceptions.CodeMismatchException):
            respond(client, user, challenge, SOFTWARE_TOKEN_MFA_CODE=code(steps))
    for steps in (-1, 1):
        challenge = start(client, user)
        done = respond(client, user, challenge, SOFTWARE_TOKEN_MFA_CODE=code(steps))
        assert "AuthenticationResult" in done
