"""The hosted UI's pages beyond the password, followed as a browser would with httpx (GET the
page, read its form and CSRF token, POST, follow the 303), each ending with an authorization
code exchanged at /oauth2/token: NEW_PASSWORD_REQUIRED, EMAIL_OTP, MFA_SETUP with its QR code
then SOFTWARE_TOKEN_MFA, MFA_SETUP by email (alone, or chosen over the app) then the mailed
code, sign-up with the mailed code, and the password reset."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import pyotp
import pytest

from tests.oauth.flows import CALLBACK, login_form, pkce_pair, query_of
from tests.wire.delivery import PASSWORD, Env, email

NEW_PASSWORD = "Fresh-pass-42!"


def _client(env: Env, pool_id: str) -> str:
    return env.app(
        pool_id,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email"],
        CallbackURLs=[CALLBACK],
    )


class Browser:
    """httpx following the hosted UI's forms, with one PKCE authorize request."""

    def __init__(self, env: Env, client_id: str) -> None:
        self.env = env
        self.client_id = client_id
        self.http = httpx.Client()
        self.verifier, challenge = pkce_pair()
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "scope": "openid email",
            "state": "s-1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        self.authorize_url = f"{env.url}/oauth2/authorize?{urlencode(params)}"

    def page(self, url: str) -> httpx.Response:
        answer = self.http.get(url)
        assert answer.status_code == 200, answer.text
        assert "default-src 'none'" in answer.headers["content-security-policy"]
        return answer

    def submit(self, page: httpx.Response, **fields: str) -> httpx.Response:
        """POST the page's form with `fields` filled in; the answer, not followed."""
        action, values = login_form(page.text)
        assert action.startswith(self.env.url + "/"), action
        for name in fields:
            assert f'name="{name}"' in page.text, f"no {name} field on {page.url}"
        assert values["_csrf"]
        values.update(fields)
        return self.http.post(action, data=values)

    def next_page(self, answer: httpx.Response) -> httpx.Response:
        assert answer.status_code == 303, answer.text
        return self.page(answer.headers["location"])

    def login_page(self) -> httpx.Response:
        first = self.http.get(self.authorize_url)
        assert first.status_code == 302, first.text
        return self.page(first.headers["location"])

    def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        return self.submit(self.login_page(), username=username, password=password)

    def tokens(self, answer: httpx.Response) -> dict[str, Any]:
        """The 303 to the client, its code exchanged at /oauth2/token."""
        assert answer.status_code == 303, answer.text
        location = answer.headers["location"]
        assert location.startswith(CALLBACK + "?"), location
        params = query_of(location)
        assert params["state"] == "s-1"
        exchanged = httpx.post(
            f"{self.env.url}/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "client_id": self.client_id,
                "code": params["code"],
                "redirect_uri": CALLBACK,
                "code_verifier": self.verifier,
            },
        )
        assert exchanged.status_code == 200, exchanged.text
        body: dict[str, Any] = exchanged.json()
        return body


Browsers = Callable[[str], Browser]


@pytest.fixture
def browser_for(env: Env) -> Iterator[Browsers]:
    """Opens a Browser for a client id; closes them all after the test."""
    opened: list[Browser] = []

    def open_browser(client_id: str) -> Browser:
        opened.append(Browser(env, client_id))
        return opened[-1]

    yield open_browser
    for browser in opened:
        browser.http.close()


def _username_of(tokens: dict[str, Any]) -> str:
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    return str(claims["cognito:username"])


def _user(env: Env, pool_id: str, *, temporary: bool = False) -> tuple[str, str]:
    name, address = f"user{uuid.uuid4().hex[:8]}", email()
    env.client.admin_create_user(
        UserPoolId=pool_id,
        Username=name,
        MessageAction="SUPPRESS",
        TemporaryPassword=PASSWORD,
        UserAttributes=[
            {"Name": "email", "Value": address},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    if not temporary:
        env.client.admin_set_user_password(
            UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True
        )
    return name, address


def test_new_password_required_then_code(env: Env, browser_for: Browsers) -> None:
    pool_id = env.pool()
    client_id = _client(env, pool_id)
    name, _address = _user(env, pool_id, temporary=True)
    browser = browser_for(client_id)
    page = browser.next_page(browser.sign_in(name))
    assert 'name="new_password"' in page.text
    assert 'autocomplete="new-password"' in page.text
    weak = browser.submit(page, new_password="short")
    assert weak.status_code == 400
    assert 'aria-describedby="form-error"' in weak.text
    assert 'id="form-error"' in weak.text
    tokens = browser.tokens(browser.submit(weak, new_password=NEW_PASSWORD))
    assert _username_of(tokens) == name
    user = env.client.admin_get_user(UserPoolId=pool_id, Username=name)
    assert user["UserStatus"] == "CONFIRMED"
    # The new password is the one now: a fresh browser signs in without any step.
    again = browser_for(client_id)
    assert _username_of(again.tokens(again.sign_in(name, NEW_PASSWORD))) == name


def test_email_otp_code_page(env: Env, browser_for: Browsers) -> None:
    pool_id = env.pool()
    env.client.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        EmailMfaConfiguration={"Message": "Your code: {####}", "Subject": "Sign-in code"},
    )
    client_id = _client(env, pool_id)
    name, address = _user(env, pool_id)
    env.client.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username=name, EmailMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    browser = browser_for(client_id)
    page = browser.next_page(browser.sign_in(name))
    assert 'name="code"' in page.text
    assert 'autocomplete="one-time-code"' in page.text
    code = env.code_in_mail(address)
    wrong = browser.submit(page, code="000000" if code != "000000" else "111111")
    assert wrong.status_code == 400
    assert 'aria-invalid="true"' in wrong.text
    tokens = browser.tokens(browser.submit(wrong, code=code))
    assert _username_of(tokens) == name


def test_step_cookie_is_sealed(env: Env, browser_for: Browsers) -> None:
    pool_id = env.pool()
    client_id = _client(env, pool_id)
    name, _address = _user(env, pool_id, temporary=True)
    browser = browser_for(client_id)
    page = browser.next_page(browser.sign_in(name))
    cookie = browser.http.cookies["cognate-step"]
    browser.http.cookies.set("cognate-step", cookie[:-4] + "AAAA")
    answer = browser.submit(page, new_password=NEW_PASSWORD)
    assert answer.status_code == 303
    assert "/login?" in answer.headers["location"]  # back to the start, nothing accepted
    assert env.client.admin_get_user(UserPoolId=pool_id, Username=name)["UserStatus"] == (
        "FORCE_CHANGE_PASSWORD"
    )


def test_totp_setup_then_software_token_mfa(env: Env, browser_for: Browsers) -> None:
    pool_id = env.pool()
    env.client.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="ON",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    client_id = _client(env, pool_id)
    name, _address = _user(env, pool_id)
    browser = browser_for(client_id)
    page = browser.next_page(browser.sign_in(name))
    assert "<svg" in page.text
    secret = page.text.split('id="totp-secret" class="secret">')[1].split("<")[0]
    assert f"secret={secret}" in page.text  # the otpauth URI link
    totp = pyotp.TOTP(secret)
    wrong = browser.submit(page, code="000000" if totp.now() != "000000" else "111111")
    assert wrong.status_code == 400
    assert secret in wrong.text  # the same secret: the app already scanned it
    tokens = browser.tokens(browser.submit(wrong, code=totp.now()))
    assert _username_of(tokens) == name
    # Next sign-in asks for the app's code (the next step: each step is accepted once).
    second = browser_for(client_id)
    page = second.next_page(second.sign_in(name))
    assert 'name="code"' in page.text
    assert "authenticator app" in page.text
    code = totp.at(time.time() + 30)
    assert _username_of(second.tokens(second.submit(page, code=code))) == name


def test_sign_up_confirm_then_sign_in(env: Env, browser_for: Browsers) -> None:
    pool_id = env.pool(AutoVerifiedAttributes=["email"])
    client_id = _client(env, pool_id)
    browser = browser_for(client_id)
    login = browser.login_page()
    signup_url = login.text.split('href="')[2].split('"')[0].replace("&amp;", "&")
    assert signup_url.startswith(f"{env.url}/signup?")
    page = browser.page(signup_url)
    for field in ('name="username"', 'name="email"', 'name="password"', 'type="submit"'):
        assert field in page.text
    name, address = f"new{uuid.uuid4().hex[:8]}", email()
    confirm = browser.next_page(
        browser.submit(page, username=name, email=address, password=PASSWORD)
    )
    assert 'name="code"' in confirm.text
    code = env.code_in_mail(address)
    wrong = browser.submit(confirm, code="000000" if code != "000000" else "111111")
    assert wrong.status_code == 400
    signed_up = browser.next_page(browser.submit(wrong, code=code))
    assert "Your account is confirmed" in signed_up.text
    tokens = browser.tokens(browser.submit(signed_up, username=name, password=PASSWORD))
    assert _username_of(tokens) == name
    user = env.client.admin_get_user(UserPoolId=pool_id, Username=name)
    assert user["UserStatus"] == "CONFIRMED"


def test_sign_up_refused_shows_the_engine_message(env: Env, browser_for: Browsers) -> None:
    pool_id = env.pool()
    client_id = _client(env, pool_id)
    name, _address = _user(env, pool_id)
    browser = browser_for(client_id)
    page = browser.page(f"{env.url}/signup?" + browser.authorize_url.split("?")[1])
    answer = browser.submit(page, username=name, password=PASSWORD)
    assert answer.status_code == 400
    assert "User already exists" in answer.text


def test_forgot_password_then_sign_in(env: Env, browser_for: Browsers) -> None:
    pool_id = env.pool(AutoVerifiedAttributes=["email"])
    client_id = _client(env, pool_id)
    name, address = _user(env, pool_id)
    browser = browser_for(client_id)
    login = browser.login_page()
    forgot_url = login.text.split('href="')[1].split('"')[0].replace("&amp;", "&")
    assert forgot_url.startswith(f"{env.url}/forgotPassword?")
    page = browser.page(forgot_url)
    reset = browser.next_page(browser.submit(page, username=name))
    assert 'name="code"' in reset.text and 'name="new_password"' in reset.text
    code = env.code_in_mail(address)
    back = browser.next_page(browser.submit(reset, code=code, new_password=NEW_PASSWORD))
    assert "Your password has been reset" in back.text
    stale = browser.submit(back, username=name, password=PASSWORD)
    assert stale.status_code == 400
    assert _username_of(browser.tokens(browser.submit(stale, username=name,
                                                      password=NEW_PASSWORD))) == name  # fmt: skip


@pytest.mark.parametrize("path", ["/signup", "/forgotPassword", "/login/step"])
def test_pages_need_csrf(env: Env, browser_for: Browsers, path: str) -> None:
    pool_id = env.pool()
    browser = browser_for(_client(env, pool_id))
    login = browser.login_page()
    _action, fields = login_form(login.text)
    fields["_csrf"] = "forged"
    assert browser.http.post(f"{env.url}{path}", data=fields).status_code == 403


def test_select_mfa_type_then_email_code(env: Env, browser_for: Browsers) -> None:
    pool_id = env.pool()
    env.client.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
        EmailMfaConfiguration={"Message": "Your code: {####}", "Subject": "Sign-in code"},
    )
    client_id = _client(env, pool_id)
    name, address = _user(env, pool_id)
    session = env.client.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=env.app(pool_id, ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]),
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD},
    )
    assert "AuthenticationResult" in session
    access = session["AuthenticationResult"]["AccessToken"]
    secret = env.client.associate_software_token(AccessToken=access)["SecretCode"]
    env.client.verify_software_token(AccessToken=access, UserCode=pyotp.TOTP(secret).now())
    env.client.admin_set_user_mfa_preference(
        UserPoolId=pool_id,
        Username=name,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
        EmailMfaSettings={"Enabled": True},
    )
    browser = browser_for(client_id)
    page = browser.next_page(browser.sign_in(name))
    assert 'name="answer"' in page.text and 'value="EMAIL_OTP"' in page.text
    code_page = browser.next_page(browser.submit(page, answer="EMAIL_OTP"))
    assert 'name="code"' in code_page.text
    tokens = browser.tokens(browser.submit(code_page, code=env.code_in_mail(address)))
    assert _username_of(tokens) == name


def _user_without_email(env: Env, pool_id: str) -> str:
    """A confirmed user with no email: required MFA has nothing to send to, so MFA_SETUP."""
    name = f"user{uuid.uuid4().hex[:8]}"
    env.client.admin_create_user(
        UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS", TemporaryPassword=PASSWORD
    )
    env.client.admin_set_user_password(
        UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True
    )
    return name


def _required_mfa_pool(env: Env, *, with_totp: bool) -> str:
    pool_id = env.pool()
    env.client.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="ON",
        SoftwareTokenMfaConfiguration={"Enabled": with_totp},
        EmailMfaConfiguration={"Message": "Your code: {####}", "Subject": "Sign-in code"},
    )
    return pool_id


def test_email_mfa_setup_when_email_is_the_only_factor(env: Env, browser_for: Browsers) -> None:
    """MFA required, email the pool's only factor: the address page (no choice, no QR code),
    then the code mailed there, then the client gets its code; the address is now the user's
    verified, preferred email MFA, which the next sign-in asks for at once."""
    pool_id = _required_mfa_pool(env, with_totp=False)
    client_id = _client(env, pool_id)
    name = _user_without_email(env, pool_id)
    browser = browser_for(client_id)
    page = browser.next_page(browser.sign_in(name))
    assert 'name="email"' in page.text and 'type="email"' in page.text
    assert 'autocomplete="email"' in page.text
    assert 'name="answer"' not in page.text and "<svg" not in page.text
    bad = browser.submit(page, email="not-an-address")
    assert bad.status_code == 400
    assert "Invalid email address format." in bad.text
    assert 'value="not-an-address"' in bad.text  # what was typed stays in the field
    address = email()
    code_page = browser.next_page(browser.submit(bad, email=address))
    assert 'name="code"' in code_page.text and "We sent a code to" in code_page.text
    code = env.code_in_mail(address)
    wrong = browser.submit(code_page, code="000000" if code != "000000" else "111111")
    assert wrong.status_code == 400
    assert _username_of(browser.tokens(browser.submit(wrong, code=code))) == name
    user = env.client.admin_get_user(UserPoolId=pool_id, Username=name)
    attributes = {item["Name"]: item["Value"] for item in user["UserAttributes"]}
    assert attributes["email"] == address and attributes["email_verified"] == "true"
    assert user["UserMFASettingList"] == ["EMAIL_OTP"]
    assert user["PreferredMfaSetting"] == "EMAIL_OTP"
    # The next sign-in sends a code to the address straight away.
    second = browser_for(client_id)
    sent = env.mail_count(address)
    page = second.next_page(second.sign_in(name))
    assert 'name="code"' in page.text and 'name="email"' not in page.text
    assert env.mail_count(address) == sent + 1  # delivered before the page answered
    assert _username_of(second.tokens(second.submit(page, code=env.code_in_mail(address)))) == name


def test_mfa_setup_choice_then_authenticator_app(env: Env, browser_for: Browsers) -> None:
    """MFA required, both factors offered: the choice page lists exactly those; choosing the
    app shows the QR code (nothing associated or mailed before), and its code signs in."""
    pool_id = _required_mfa_pool(env, with_totp=True)
    client_id = _client(env, pool_id)
    name = _user_without_email(env, pool_id)
    browser = browser_for(client_id)
    page = browser.next_page(browser.sign_in(name))
    assert 'value="SOFTWARE_TOKEN_MFA"' in page.text and 'value="EMAIL_OTP"' in page.text
    assert 'value="SMS_MFA"' not in page.text
    assert "<svg" not in page.text and 'name="email"' not in page.text
    forged = browser.submit(page, answer="SMS_MFA")
    assert forged.status_code == 400
    assert "Invalid value for ANSWER" in forged.text
    setup = browser.next_page(browser.submit(forged, answer="SOFTWARE_TOKEN_MFA"))
    assert "<svg" in setup.text
    secret = setup.text.split('id="totp-secret" class="secret">')[1].split("<")[0]
    tokens = browser.tokens(browser.submit(setup, code=pyotp.TOTP(secret).now()))
    assert _username_of(tokens) == name
    user = env.client.admin_get_user(UserPoolId=pool_id, Username=name)
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert "email" not in {item["Name"] for item in user["UserAttributes"]}


def test_mfa_setup_choice_then_email(env: Env, browser_for: Browsers) -> None:
    pool_id = _required_mfa_pool(env, with_totp=True)
    client_id = _client(env, pool_id)
    name = _user_without_email(env, pool_id)
    browser = browser_for(client_id)
    page = browser.next_page(browser.sign_in(name))
    address_page = browser.next_page(browser.submit(page, answer="EMAIL_OTP"))
    assert 'name="email"' in address_page.text and "<svg" not in address_page.text
    address = email()
    code_page = browser.next_page(browser.submit(address_page, email=address))
    tokens = browser.tokens(browser.submit(code_page, code=env.code_in_mail(address)))
    assert _username_of(tokens) == name
    user = env.client.admin_get_user(UserPoolId=pool_id, Username=name)
    assert user["UserMFASettingList"] == ["EMAIL_OTP"]
