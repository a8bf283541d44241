"""The triggers of a hosted-UI sign-in, counted (cognito-surface.md §8): PreAuthentication and
PostAuthentication once each, PostAuthentication only once the last step has passed, and
PreTokenGeneration exactly once, as TokenGeneration_HostedAuth, at the code exchange (or the
implicit redirect), whatever steps came between: none, NEW_PASSWORD_REQUIRED, MFA_SETUP or
SOFTWARE_TOKEN_MFA. No step issues tokens of its own that are then thrown away.

The handler appends each event's triggerSource to a file named after the user.
"""

from __future__ import annotations

import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from tests.conftest import make_client, start_server
from tests.oauth.flows import CALLBACK, PASSWORD, Browser

ARN = "arn:aws:lambda:us-east-1:123456789012:function:record"
TRIGGERS = ("PreAuthentication", "PostAuthentication", "PreTokenGeneration")
NEW_PASSWORD = "Fresh-pass-42!"

RECORD = """
import os
HERE = os.path.dirname(__file__)
def handler(event, context):
    with open(os.path.join(HERE, event["userName"] + ".log"), "a") as f:
        f.write(event["triggerSource"] + "\\n")
    return event
"""


@dataclass
class Env:
    client: Any
    functions: Path
    url: str

    def pool(self, **mfa: Any) -> str:
        pool_id = str(
            self.client.create_user_pool(
                PoolName=f"triggers-{uuid.uuid4().hex[:8]}",
                LambdaConfig={trigger: ARN for trigger in TRIGGERS},
            )["UserPool"]["Id"]
        )
        if mfa:
            self.client.set_user_pool_mfa_config(UserPoolId=pool_id, **mfa)
        return pool_id

    def web(self, pool_id: str, flow: str = "code") -> str:
        created = self.client.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="web",
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthFlows=[flow],
            AllowedOAuthScopes=["openid", "email"],
            CallbackURLs=[CALLBACK],
        )
        return str(created["UserPoolClient"]["ClientId"])

    def user(self, pool_id: str, *, temporary: bool = False) -> str:
        name = f"user{uuid.uuid4().hex[:8]}"
        self.client.admin_create_user(
            UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS", TemporaryPassword=PASSWORD
        )
        if not temporary:
            self.client.admin_set_user_password(
                UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True
            )
        return name

    def sources(self, username: str) -> list[str]:
        """The triggerSource of every invocation for `username`, in order."""
        path = self.functions / f"{username}.log"
        return path.read_text().split() if path.exists() else []


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    functions = tmp_path_factory.mktemp("functions")
    (functions / "record.py").write_text(textwrap.dedent(RECORD))
    thread, running = start_server(tmp_path_factory.mktemp("data"), functions_dir=functions)
    try:
        yield Env(make_client(running.url), functions, running.url)
    finally:
        thread.stop()


@pytest.fixture
def browsers() -> Iterator[list[Browser]]:
    opened: list[Browser] = []
    yield opened
    for browser in opened:
        browser.http.close()


SIGN_IN = ["PreAuthentication_Authentication", "PostAuthentication_Authentication"]
HOSTED = ["TokenGeneration_HostedAuth"]


def test_plain_sign_in(env: Env, browsers: list[Browser]) -> None:
    pool_id = env.pool()
    name = env.user(pool_id)
    browsers.append(browser := Browser(env.url, env.web(pool_id)))
    answer = browser.sign_in(name)
    assert env.sources(name) == SIGN_IN  # no tokens before the exchange
    browser.tokens(answer)
    assert env.sources(name) == SIGN_IN + HOSTED


def test_new_password_step(env: Env, browsers: list[Browser]) -> None:
    pool_id = env.pool()
    name = env.user(pool_id, temporary=True)
    browsers.append(browser := Browser(env.url, env.web(pool_id)))
    step = browser.sign_in(name)
    assert step.status_code == 303 and "/login/step" in step.headers["location"]
    assert env.sources(name) == SIGN_IN[:1]  # PostAuthentication waits for the last step
    answer = browser.submit(step.headers["location"], new_password=NEW_PASSWORD)
    assert env.sources(name) == SIGN_IN
    browser.tokens(answer)
    assert env.sources(name) == SIGN_IN + HOSTED


def test_totp_setup_then_totp_code(env: Env, browsers: list[Browser]) -> None:
    pool_id = env.pool(MfaConfiguration="ON", SoftwareTokenMfaConfiguration={"Enabled": True})
    name = env.user(pool_id)
    client_id = env.web(pool_id)
    browsers.append(browser := Browser(env.url, client_id))
    step = browser.sign_in(name)
    page = browser.http.get(step.headers["location"]).text
    totp = pyotp.TOTP(page.split('id="totp-secret" class="secret">')[1].split("<")[0])
    assert env.sources(name) == SIGN_IN[:1]
    browser.tokens(browser.submit(step.headers["location"], code=totp.now()))
    assert env.sources(name) == SIGN_IN + HOSTED
    # The next sign-in answers SOFTWARE_TOKEN_MFA: the same counts again.
    browsers.append(second := Browser(env.url, client_id))
    step = second.sign_in(name)
    assert env.sources(name) == [*SIGN_IN, *HOSTED, SIGN_IN[0]]
    answer = second.submit(step.headers["location"], code=totp.at(time.time() + 30))
    second.tokens(answer)
    assert env.sources(name) == (SIGN_IN + HOSTED) * 2


def test_implicit_grant_after_new_password(env: Env, browsers: list[Browser]) -> None:
    pool_id = env.pool()
    name = env.user(pool_id, temporary=True)
    browsers.append(browser := Browser(env.url, env.web(pool_id, "implicit"), "token"))
    step = browser.sign_in(name)
    answer = browser.submit(step.headers["location"], new_password=NEW_PASSWORD)
    assert answer.status_code == 303, answer.text
    fragment = parse_qs(urlsplit(answer.headers["location"]).fragment)
    assert fragment["access_token"] and fragment["id_token"]
    assert env.sources(name) == SIGN_IN + HOSTED


def test_sso_authorize_runs_only_token_generation(env: Env, browsers: list[Browser]) -> None:
    """A second authorize answered from the SSO cookie authenticates nobody: no
    Pre/PostAuthentication, only the HostedAuth tokens of its code."""
    pool_id = env.pool()
    name = env.user(pool_id)
    browsers.append(browser := Browser(env.url, env.web(pool_id)))
    browser.tokens(browser.sign_in(name))
    again = browser.http.get(browser.authorize_url)
    assert again.status_code == 302 and again.headers["location"].startswith(CALLBACK)
    again.status_code = 303  # the SSO answer is a GET's 302; exchange the code the same way
    browser.tokens(again)
    assert env.sources(name) == SIGN_IN + HOSTED + HOSTED
