"""A real browser (Debian's Chromium, headless) signs in through the hosted UI.

Fails, rather than skips, when /usr/bin/chromium is missing: CI must install it
(`apt-get install -y chromium`) and the `playwright` package, never `playwright install`.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.conftest import RunningServer
from tests.hosted_ui.browser import CHROMIUM, callback_page
from tests.oauth.flows import CALLBACK, PASSWORD, code_client, pkce_pair, query_of
from tests.wire.delivery import Env, email


def test_browser_signs_in_with_code_and_pkce(server: RunningServer, idp_client: Any) -> None:
    assert CHROMIUM.exists(), "install Debian's chromium: apt-get install -y chromium"
    web = code_client(idp_client)
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": web.client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "browser",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    with callback_page(CALLBACK) as (page, seen):
        page.goto(f"{server.url}/oauth2/authorize?{urlencode(params)}")
        page.fill('form input[name="username"]', web.username)
        page.fill('form input[name="password"]', PASSWORD)
        page.click('form button[type="submit"]')
        page.wait_for_url(f"{CALLBACK}**")
    code = query_of(seen[-1])["code"]
    tokens = httpx.post(
        f"{server.url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": web.client_id,
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
    )
    assert tokens.status_code == 200, tokens.text
    assert "id_token" in tokens.json()


def test_browser_signs_up_confirms_and_gets_a_code(env: Env) -> None:
    assert CHROMIUM.exists(), "install Debian's chromium: apt-get install -y chromium"
    pool_id = env.pool(AutoVerifiedAttributes=["email"])
    client_id = env.app(
        pool_id,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email"],
        CallbackURLs=[CALLBACK],
    )
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    address = email()
    with callback_page(CALLBACK) as (page, seen):
        page.goto(f"{env.url}/oauth2/authorize?{urlencode(params)}")
        page.get_by_role("link", name="Create an account").click()
        page.get_by_label("Username").fill("browser-user")
        page.get_by_label("Email").fill(address)
        page.get_by_label("Password").fill(PASSWORD)
        page.click('form button[type="submit"]')
        page.fill('form input[name="code"]', env.code_in_mail(address))
        page.click('form button[type="submit"]')
        page.get_by_role("status").wait_for()
        page.fill('form input[name="username"]', "browser-user")
        page.fill('form input[name="password"]', PASSWORD)
        page.click('form button[type="submit"]')
        page.wait_for_url(f"{CALLBACK}**")
    tokens = httpx.post(
        f"{env.url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": query_of(seen[-1])["code"],
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
    )
    assert tokens.status_code == 200, tokens.text


def test_browser_sets_up_email_mfa(env: Env) -> None:
    """MFA required, app and email offered, a user with no email: the browser chooses email,
    gives an address, types the code mailed there and lands on the client with its code."""
    assert CHROMIUM.exists(), "install Debian's chromium: apt-get install -y chromium"
    pool_id = env.pool()
    env.client.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="ON",
        SoftwareTokenMfaConfiguration={"Enabled": True},
        EmailMfaConfiguration={"Message": "Your code: {####}", "Subject": "Sign-in code"},
    )
    client_id = env.app(
        pool_id,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email"],
        CallbackURLs=[CALLBACK],
    )
    name = f"mfa-{uuid.uuid4().hex[:8]}"
    env.client.admin_create_user(
        UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS", TemporaryPassword=PASSWORD
    )
    env.client.admin_set_user_password(
        UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True
    )
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid email",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    address = email()
    with callback_page(CALLBACK) as (page, seen):
        page.goto(f"{env.url}/oauth2/authorize?{urlencode(params)}")
        page.fill('form input[name="username"]', name)
        page.fill('form input[name="password"]', PASSWORD)
        page.click('form button[type="submit"]')
        page.get_by_label("Email", exact=True).check()
        page.click('form button[type="submit"]')
        page.get_by_label("Email address").fill(address)
        page.click('form button[type="submit"]')
        page.fill('form input[name="code"]', env.code_in_mail(address))
        page.click('form button[type="submit"]')
        page.wait_for_url(f"{CALLBACK}**")
    tokens = httpx.post(
        f"{env.url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": query_of(seen[-1])["code"],
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
    )
    assert tokens.status_code == 200, tokens.text
    user = env.client.admin_get_user(UserPoolId=pool_id, Username=name)
    assert {"Name": "email", "Value": address} in user["UserAttributes"]
    assert user["PreferredMfaSetting"] == "EMAIL_OTP"
