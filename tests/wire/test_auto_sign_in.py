"""Sign-in after sign-up over the wire: SignUp's Session carried to ConfirmSignUp, whose Session
signs the user in once through InitiateAuth / AdminInitiateAuth USER_AUTH without a password;
codes are read out of the mails the SMTP sink received. The expiry, which the wire cannot wait
for, is checked against auth/sessions.py directly at the end."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cognate.auth import sessions
from cognate.errors import NotAuthorizedException
from cognate.secretbox import SecretBox
from tests.wire.delivery import PASSWORD, Env, email

FLOWS = ["ALLOW_USER_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
INVALID = re.escape(sessions.INVALID_SESSION)


def setup(env: Env) -> tuple[str, str]:
    pool_id = env.pool(UsernameAttributes=["email"], AutoVerifiedAttributes=["email"])
    return pool_id, env.app(pool_id, ExplicitAuthFlows=FLOWS)


def sign_up(env: Env, client_id: str) -> tuple[str, str]:
    """A new user's address and SignUp's Session."""
    address = email()
    answer = env.client.sign_up(ClientId=client_id, Username=address, Password=PASSWORD)
    assert answer["UserConfirmed"] is False
    return address, str(answer["Session"])


def confirm(env: Env, client_id: str, address: str, session: str | None = None) -> str:
    """Confirm `address` with its mailed code (and `session`); ConfirmSignUp's Session."""
    extra = {} if session is None else {"Session": session}
    code = env.code_in_mail(address)
    answer = env.client.confirm_sign_up(
        ClientId=client_id, Username=address, ConfirmationCode=code, **extra
    )
    return str(answer["Session"])


def sign_in(env: Env, client_id: str, address: str, session: str) -> Any:
    return env.client.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": address},
        Session=session,
    )


def test_sign_up_confirm_then_sign_in_with_the_session_once(env: Env) -> None:
    pool_id, client_id = setup(env)
    address, sign_up_session = sign_up(env, client_id)
    session = confirm(env, client_id, address, sign_up_session)
    assert session != sign_up_session
    result = sign_in(env, client_id, address, session)
    tokens = result["AuthenticationResult"]
    assert "ChallengeName" not in result
    assert tokens["IdToken"] and tokens["RefreshToken"]
    me = env.client.get_user(AccessToken=tokens["AccessToken"])
    assert {a["Name"]: a["Value"] for a in me["UserAttributes"]}["email"] == address
    with pytest.raises(env.client.exceptions.NotAuthorizedException, match=INVALID):
        sign_in(env, client_id, address, session)
    user = env.client.admin_get_user(UserPoolId=pool_id, Username=address)
    assert user["UserStatus"] == "CONFIRMED"


def test_confirm_without_session_still_returns_one_and_admin_flow_accepts_it(env: Env) -> None:
    pool_id, client_id = setup(env)
    address, _ = sign_up(env, client_id)
    session = confirm(env, client_id, address)
    result = env.client.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": address},
        Session=session,
    )
    assert result["AuthenticationResult"]["AccessToken"]


def test_another_users_session_is_refused_and_stays_usable(env: Env) -> None:
    _, client_id = setup(env)
    first, _ = sign_up(env, client_id)
    second, _ = sign_up(env, client_id)
    first_session = confirm(env, client_id, first)
    confirm(env, client_id, second)
    with pytest.raises(env.client.exceptions.NotAuthorizedException, match=INVALID):
        sign_in(env, client_id, second, first_session)
    assert sign_in(env, client_id, first, first_session)["AuthenticationResult"]


def test_session_of_another_client_or_purpose_is_refused(env: Env) -> None:
    pool_id, client_id = setup(env)
    other_client = env.app(pool_id, ExplicitAuthFlows=FLOWS)
    address, sign_up_session = sign_up(env, client_id)
    errors = env.client.exceptions
    # SignUp's Session is for ConfirmSignUp only: it proves no code.
    with pytest.raises(errors.NotAuthorizedException, match=INVALID):
        sign_in(env, client_id, address, sign_up_session)
    session = confirm(env, client_id, address, sign_up_session)
    with pytest.raises(errors.NotAuthorizedException, match=INVALID):
        sign_in(env, other_client, address, session)
    with pytest.raises(errors.NotAuthorizedException, match=INVALID):
        env.client.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="SELECT_CHALLENGE",
            Session=session,
            ChallengeResponses={"USERNAME": address, "ANSWER": "PASSWORD", "PASSWORD": PASSWORD},
        )
    assert sign_in(env, client_id, address, session)["AuthenticationResult"]


def test_confirm_sign_up_refuses_another_users_sign_up_session(env: Env) -> None:
    _, client_id = setup(env)
    first, first_session = sign_up(env, client_id)
    second, _ = sign_up(env, client_id)
    code = env.code_in_mail(second)
    with pytest.raises(env.client.exceptions.NotAuthorizedException, match=INVALID):
        env.client.confirm_sign_up(
            ClientId=client_id, Username=second, ConfirmationCode=code, Session=first_session
        )
    # The refusal consumed nothing: the code and the first user's Session both still work.
    env.client.confirm_sign_up(ClientId=client_id, Username=second, ConfirmationCode=code)
    confirm(env, client_id, first, first_session)
    with pytest.raises(env.client.exceptions.NotAuthorizedException):
        env.client.confirm_sign_up(
            ClientId=client_id, Username=first, ConfirmationCode="123456", Session=first_session
        )


def test_user_no_longer_confirmed_is_refused(env: Env) -> None:
    pool_id, client_id = setup(env)
    address, _ = sign_up(env, client_id)
    session = confirm(env, client_id, address)
    env.client.admin_reset_user_password(UserPoolId=pool_id, Username=address)
    with pytest.raises(env.client.exceptions.NotAuthorizedException, match=INVALID):
        sign_in(env, client_id, address, session)


def test_expired_session_is_refused() -> None:
    box = SecretBox(secrets.token_bytes(32))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    sealed = sessions.seal_for_user(
        box, sessions.AUTO_SIGN_IN_PURPOSE, pool_id="pool", client_id="client",
        username="user", user_sub="sub", now=now, validity=timedelta(minutes=3),
    )  # fmt: skip
    session = sessions.unseal(
        box, sealed, sessions.AUTO_SIGN_IN_PURPOSE, client_id="client", now=now
    )
    sessions.check_user(session, pool_id="pool", username="user", user_sub="sub")
    with pytest.raises(NotAuthorizedException, match=INVALID):
        sessions.unseal(
            box,
            sealed,
            sessions.AUTO_SIGN_IN_PURPOSE,
            client_id="client",
            now=now + timedelta(minutes=3),
        )
    with pytest.raises(NotAuthorizedException, match=INVALID):
        sessions.unseal(box, sealed, sessions.SESSION_PURPOSE, client_id="client", now=now)
    with pytest.raises(NotAuthorizedException, match=INVALID):
        sessions.check_user(session, pool_id="pool", username="user", user_sub="other")
