"""Cognito's per-user API quotas (security-test-plan.md B22, B23; domain/quotas.py), on two
servers sharing one database and a clock the test moves: the call over the quota gets
LimitExceededException "Attempt limit exceeded, please try after some time." whichever server
answers, and changes nothing; another user is unaffected; the quota refills after the window.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from cognate.domain import codes, quotas
from cognate.domain.quotas import Quota
from tests.wire.clocked import Servers, clocked_servers
from tests.wire.delivery import PASSWORD, email

LIMIT = re.escape(codes.LIMIT_MESSAGE)
NEW_PASSWORD = "N3w-passw0rd!"


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory, database_url: str | None
) -> Iterator[Servers]:
    with clocked_servers(tmp_path_factory.mktemp("quotas"), database_url) as running:
        yield running


@pytest.fixture(autouse=True)
def real_time(servers: Servers) -> None:
    """Each test starts on the real clock (SigV4 refuses admin calls far off the server's)."""
    servers.clock.offset = timedelta(0)


def either(servers: Servers, index: int) -> Any:
    """The two servers in turn: a count kept in one process only would never reach the limit."""
    return servers.first if index % 2 else servers.second


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**codes.CODE_DIGITS:06d}"


@dataclass
class App:
    """A pool auto-verifying email, and a client signing in with passwords."""

    pool_id: str
    client_id: str


def app(servers: Servers) -> App:
    client = servers.first
    pool_id = client.create_user_pool(
        PoolName=f"quota-{uuid.uuid4().hex[:8]}", AutoVerifiedAttributes=["email"]
    )["UserPool"]["Id"]
    client_id = client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    return App(pool_id=pool_id, client_id=client_id)


def user(servers: Servers, pool: App, *, is_verified: bool = True, **extra: str) -> tuple[str, str]:
    """A CONFIRMED user with PASSWORD and an email (verified unless said); (name, email)."""
    name, address = f"user{uuid.uuid4().hex[:8]}", email()
    attributes = [{"Name": "email", "Value": address}]
    attributes += [{"Name": key, "Value": value} for key, value in extra.items()]
    if is_verified:
        attributes.append({"Name": "email_verified", "Value": "true"})
    servers.first.admin_create_user(
        UserPoolId=pool.pool_id, Username=name, MessageAction="SUPPRESS", UserAttributes=attributes
    )
    servers.first.admin_set_user_password(
        UserPoolId=pool.pool_id, Username=name, Password=PASSWORD, Permanent=True
    )
    return name, address


def sign_in(server: Any, pool: App, name: str, password: str = PASSWORD) -> str:
    """The access token of a password sign-in."""
    result = server.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": password},
    )
    return str(result["AuthenticationResult"]["AccessToken"])


def mails_to(servers: Servers, address: str) -> int:
    return sum(1 for message in servers.mail.messages if message["To"] == address)


def next_code(servers: Servers, address: str, seen: int) -> str:
    """The code of the first mail to `address` after the `seen` it already had."""
    while mails_to(servers, address) <= seen:
        servers.mail.wait_for(len(servers.mail.messages) + 1)
    return servers.code_for(address)


def test_confirm_forgot_password_wrong_codes_die_then_the_quota_ends_guessing(
    servers: Servers,
) -> None:
    """B22: a reset code dies after MAX_FAILED_ATTEMPTS wrong guesses; a new code may be
    requested, but the user's ConfirmForgotPassword calls stop at the quota, even with the
    right code, and the password stays as it was."""
    limit = quotas.LIMITS[Quota.CONFIRM_FORGOT_PASSWORD]
    pool = app(servers)
    (name, address), (other, other_address) = user(servers, pool), user(servers, pool)

    def confirm(index: int, code: str, username: str = name) -> None:
        either(servers, index).confirm_forgot_password(
            ClientId=pool.client_id, Username=username, ConfirmationCode=code,
            Password=NEW_PASSWORD,
        )  # fmt: skip

    servers.first.forgot_password(ClientId=pool.client_id, Username=name)
    code = next_code(servers, address, 0)
    for index in range(codes.MAX_FAILED_ATTEMPTS):
        with pytest.raises(servers.first.exceptions.CodeMismatchException):
            confirm(index, wrong(code))
    with pytest.raises(servers.first.exceptions.TooManyFailedAttemptsException, match=LIMIT):
        confirm(0, code)
    servers.second.forgot_password(ClientId=pool.client_id, Username=name)
    code = next_code(servers, address, 1)
    for index in range(codes.MAX_FAILED_ATTEMPTS + 1, limit):
        with pytest.raises(servers.first.exceptions.CodeMismatchException):
            confirm(index, wrong(code))
    for index in range(2):
        with pytest.raises(servers.first.exceptions.LimitExceededException, match=LIMIT):
            confirm(index, code)
    assert sign_in(servers.first, pool, name)
    servers.first.forgot_password(ClientId=pool.client_id, Username=other)
    confirm(0, next_code(servers, other_address, 0), other)
    assert sign_in(servers.first, pool, other, NEW_PASSWORD)
    servers.clock.offset += quotas.WINDOW
    servers.second.forgot_password(ClientId=pool.client_id, Username=name)
    confirm(1, next_code(servers, address, 2))
    assert sign_in(servers.second, pool, name, NEW_PASSWORD)


def test_confirm_sign_up_quota(servers: Servers) -> None:
    """B23: the 16th ConfirmSignUp of a user in an hour is refused, right code or not."""
    limit = quotas.LIMITS[Quota.CONFIRM_SIGN_UP]
    pool = app(servers)
    name, address = f"user{uuid.uuid4().hex[:8]}", email()

    def sign_up(username: str, mail: str) -> None:
        servers.first.sign_up(
            ClientId=pool.client_id, Username=username, Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": mail}],
        )  # fmt: skip

    def confirm(index: int, code: str, username: str = name) -> None:
        either(servers, index).confirm_sign_up(
            ClientId=pool.client_id, Username=username, ConfirmationCode=code
        )

    sign_up(name, address)
    code = next_code(servers, address, 0)
    errors = servers.first.exceptions
    for index in range(limit):
        with pytest.raises((errors.CodeMismatchException, errors.TooManyFailedAttemptsException)):
            confirm(index, wrong(code))
    servers.second.resend_confirmation_code(ClientId=pool.client_id, Username=name)
    code = next_code(servers, address, 1)
    with pytest.raises(errors.LimitExceededException, match=LIMIT):
        confirm(0, code)
    with pytest.raises(errors.UserNotConfirmedException):
        sign_in(servers.first, pool, name)
    other, other_address = f"user{uuid.uuid4().hex[:8]}", email()
    sign_up(other, other_address)
    confirm(1, next_code(servers, other_address, 0), other)
    servers.clock.offset += quotas.WINDOW
    confirm(1, code)
    assert sign_in(servers.second, pool, name)


def test_resend_confirmation_code_quota(servers: Servers) -> None:
    """B23: the 6th ResendConfirmationCode of a user in an hour is refused and sends nothing."""
    limit = quotas.LIMITS[Quota.RESEND_CONFIRMATION_CODE]
    pool = app(servers)
    name, address = f"user{uuid.uuid4().hex[:8]}", email()
    other, other_address = f"user{uuid.uuid4().hex[:8]}", email()
    for username, mail in ((name, address), (other, other_address)):
        servers.first.sign_up(
            ClientId=pool.client_id, Username=username, Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": mail}],
        )  # fmt: skip
    next_code(servers, address, 0)
    for index in range(limit):
        either(servers, index).resend_confirmation_code(ClientId=pool.client_id, Username=name)
    next_code(servers, address, limit)
    for index in range(2):
        with pytest.raises(servers.first.exceptions.LimitExceededException, match=LIMIT):
            either(servers, index).resend_confirmation_code(ClientId=pool.client_id, Username=name)
    assert mails_to(servers, address) == 1 + limit
    servers.first.resend_confirmation_code(ClientId=pool.client_id, Username=other)
    servers.clock.offset += quotas.WINDOW
    servers.second.resend_confirmation_code(ClientId=pool.client_id, Username=name)
    next_code(servers, address, 1 + limit)


def test_change_password_quota(servers: Servers) -> None:
    """B23: the 6th ChangePassword of a user in an hour is refused; the password stays."""
    limit = quotas.LIMITS[Quota.CHANGE_PASSWORD]
    pool = app(servers)
    (name, _), (other, _) = user(servers, pool), user(servers, pool)
    passwords = [PASSWORD] + [f"Chang3d-{index}!" for index in range(limit + 2)]
    token = sign_in(servers.first, pool, name)
    for index in range(limit):
        either(servers, index).change_password(
            AccessToken=token, PreviousPassword=passwords[index],
            ProposedPassword=passwords[index + 1],
        )  # fmt: skip
    current, refused = passwords[limit], passwords[limit + 1]
    for index in range(2):
        with pytest.raises(servers.first.exceptions.LimitExceededException, match=LIMIT):
            either(servers, index).change_password(
                AccessToken=token, PreviousPassword=current, ProposedPassword=refused
            )
    assert sign_in(servers.first, pool, name, current)
    with pytest.raises(servers.first.exceptions.NotAuthorizedException):
        sign_in(servers.first, pool, name, refused)
    servers.second.change_password(
        AccessToken=sign_in(servers.second, pool, other), PreviousPassword=PASSWORD,
        ProposedPassword=NEW_PASSWORD,
    )  # fmt: skip
    servers.clock.offset += quotas.WINDOW
    servers.second.change_password(
        AccessToken=sign_in(servers.second, pool, name, current), PreviousPassword=current,
        ProposedPassword=refused,
    )  # fmt: skip
    assert sign_in(servers.first, pool, name, refused)


def test_get_user_attribute_verification_code_quota_spans_attributes(servers: Servers) -> None:
    """B23: the 6th GetUserAttributeVerificationCode of a user in an hour is refused, whichever
    attributes the calls asked codes for, and sends nothing."""
    limit = quotas.LIMITS[Quota.GET_USER_ATTRIBUTE_VERIFICATION_CODE]
    pool = app(servers)
    number = "+1555" + str(uuid.uuid4().int)[:7]
    name, address = user(servers, pool, is_verified=False, phone_number=number)
    other, other_address = user(servers, pool, is_verified=False)
    token = sign_in(servers.first, pool, name)
    attributes = ["email", "phone_number"] * limit
    for index in range(limit):
        either(servers, index).get_user_attribute_verification_code(
            AccessToken=token, AttributeName=attributes[index]
        )
    next_code(servers, address, (limit + 1) // 2 - 1)
    for index in range(2):
        with pytest.raises(servers.first.exceptions.LimitExceededException, match=LIMIT):
            either(servers, index).get_user_attribute_verification_code(
                AccessToken=token, AttributeName="email"
            )
    assert mails_to(servers, address) == (limit + 1) // 2
    servers.first.get_user_attribute_verification_code(
        AccessToken=sign_in(servers.first, pool, other), AttributeName="email"
    )
    next_code(servers, other_address, 0)
    servers.clock.offset += quotas.WINDOW
    servers.second.get_user_attribute_verification_code(
        AccessToken=sign_in(servers.second, pool, name), AttributeName="email"
    )
    next_code(servers, address, (limit + 1) // 2)


def test_verify_user_attribute_quota(servers: Servers) -> None:
    """B23: the 16th VerifyUserAttribute of a user in an hour is refused, right code or not,
    and the attribute stays unverified."""
    limit = quotas.LIMITS[Quota.VERIFY_USER_ATTRIBUTE]
    pool = app(servers)
    (name, address), (other, other_address) = (
        user(servers, pool, is_verified=False),
        user(servers, pool, is_verified=False),
    )
    token = sign_in(servers.first, pool, name)

    def verify(index: int, code: str, access_token: str = token) -> None:
        either(servers, index).verify_user_attribute(
            AccessToken=access_token, AttributeName="email", Code=code
        )

    def is_verified(access_token: str) -> bool:
        found = servers.first.get_user(AccessToken=access_token)["UserAttributes"]
        return {a["Name"]: a["Value"] for a in found}.get("email_verified") == "true"

    servers.first.get_user_attribute_verification_code(AccessToken=token, AttributeName="email")
    code = next_code(servers, address, 0)
    errors = servers.first.exceptions
    for index in range(limit):
        # A dead code is LimitExceededException too: VerifyUserAttribute declares no other.
        with pytest.raises((errors.CodeMismatchException, errors.LimitExceededException)):
            verify(index, wrong(code))
    servers.second.get_user_attribute_verification_code(AccessToken=token, AttributeName="email")
    code = next_code(servers, address, 1)
    with pytest.raises(errors.LimitExceededException, match=LIMIT):
        verify(0, code)
    assert not is_verified(token)
    other_token = sign_in(servers.first, pool, other)
    servers.first.get_user_attribute_verification_code(
        AccessToken=other_token, AttributeName="email"
    )
    verify(1, next_code(servers, other_address, 0), other_token)
    assert is_verified(other_token)
    servers.clock.offset += quotas.WINDOW
    token = sign_in(servers.second, pool, name)
    verify(1, code, token)
    assert is_verified(token)
