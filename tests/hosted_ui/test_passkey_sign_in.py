"""Sign-in with a passkey on the hosted UI, in a real browser: Chromium's virtual authenticator
(tests/wire/passkey_browser.py) holds a passkey registered through boto3, and the hosted UI,
opened at http://localhost:PORT (the pool's relying party id is "localhost", so the server's
public URL is that origin), signs the user in with it alone, no password; the code is exchanged
for tokens. A user without a passkey, a ceremony that sent nothing, and another user's passkey
all end on the sign-in page with the message, never at the client.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import sync_playwright

from cognate.settings import Settings
from tests.conftest import RunningServer, ServerThread, free_port, make_client
from tests.oauth.flows import CALLBACK, PASSWORD, code_client, pkce_pair, query_of
from tests.wire.passkey_browser import CHROMIUM, Authenticator, from_base64url

RP_ID = "localhost"
PASSKEY_BUTTON = "Sign in with passkey"


@pytest.fixture(scope="module")
def localhost_server(
    tmp_path_factory: pytest.TempPathFactory, database_url: str | None
) -> Iterator[RunningServer]:
    """A server whose public URL is http://localhost:PORT: the hosted pages' origin, inside the
    relying party id "localhost"."""
    port = free_port()
    data_dir = tmp_path_factory.mktemp("cognate-passkeys")
    settings = Settings(
        host="127.0.0.1",
        port=port,
        data_dir=data_dir,
        public_url=f"http://localhost:{port}",
        database_url=database_url,
    )
    thread = ServerThread(settings)
    thread.start()
    yield RunningServer(url=f"http://localhost:{port}", settings=settings, data_dir=data_dir)
    thread.stop()


@pytest.fixture(scope="module")
def admin(localhost_server: RunningServer) -> Any:
    return make_client(localhost_server.url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert CHROMIUM.exists(), "install Debian's chromium: apt-get install -y chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def devices(browser: Any, localhost_server: RunningServer) -> Iterator[Callable[[], Any]]:
    made: list[Authenticator] = []

    def make() -> Authenticator:
        made.append(Authenticator(browser, localhost_server.url))
        return made[-1]

    try:
        yield make
    finally:
        for device in made:
            device.close()


class PasskeyApp:
    """A pool offering passwords and passkeys (RP id localhost) and its hosted-UI app."""

    def __init__(self, admin: Any, url: str) -> None:
        self.admin, self.url = admin, url
        self.pool_id = admin.create_user_pool(
            PoolName=f"hosted-passkeys-{uuid.uuid4().hex[:8]}",
            Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}},
        )["UserPool"]["Id"]
        admin.set_user_pool_mfa_config(
            UserPoolId=self.pool_id,
            MfaConfiguration="OFF",
            WebAuthnConfiguration={"RelyingPartyId": RP_ID, "UserVerification": "required"},
        )
        self.client_id = admin.create_user_pool_client(
            UserPoolId=self.pool_id,
            ClientName="web",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=["openid"],
            CallbackURLs=[CALLBACK],
            SupportedIdentityProviders=["COGNITO"],
        )["UserPoolClient"]["ClientId"]

    def user(self) -> str:
        name = f"user{uuid.uuid4().hex[:8]}"
        self.admin.admin_create_user(
            UserPoolId=self.pool_id, Username=name, MessageAction="SUPPRESS"
        )
        self.admin.admin_set_user_password(
            UserPoolId=self.pool_id, Username=name, Password=PASSWORD, Permanent=True
        )
        return name

    def register(self, device: Authenticator, name: str) -> dict[str, Any]:
        """A passkey for `name` on `device`, through boto3 (Start/CompleteWebAuthnRegistration)."""
        token = self.admin.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]["AccessToken"]
        options = self.admin.start_web_authn_registration(AccessToken=token)
        credential = device.create(options["CredentialCreationOptions"])
        self.admin.complete_web_authn_registration(AccessToken=token, Credential=credential)
        return credential

    def authorize_url(self, challenge: str) -> str:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": CALLBACK,
            "scope": "openid",
            "state": "passkey",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.url}/oauth2/authorize?{urlencode(params)}"


def _hosted_page(page: Any, origin: str, landed: list[str]) -> Any:
    """`page` (an authenticator's, or a plain one) serving the real hosted UI at `origin`; every
    request for the client's callback (nothing listens there) is remembered in `landed`."""
    page.unroute(f"{origin}/**")
    page.on("request", lambda request: _remember_callback(request.url, landed))
    return page


def _remember_callback(url: str, landed: list[str]) -> None:
    if url.startswith(CALLBACK):
        landed.append(url)


def _start_passkey(page: Any, authorize_url: str, username: str) -> Any:
    """Open the sign-in page, enter only the username, choose the passkey; the response."""
    page.goto(authorize_url)
    page.fill('form input[name="username"]', username)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=PASSKEY_BUTTON).click()
    return navigation.value


def _alert(page: Any) -> str:
    return str(page.locator("#form-error").inner_text())


def test_signs_in_with_a_passkey_alone_and_exchanges_the_code(
    admin: Any, localhost_server: RunningServer, devices: Callable[[], Authenticator]
) -> None:
    app = PasskeyApp(admin, localhost_server.url)
    name = app.user()
    device = devices()
    app.register(device, name)
    verifier, challenge = pkce_pair()
    landed: list[str] = []
    page = _hosted_page(device.page, device.origin, landed)
    page.goto(app.authorize_url(challenge))
    page.fill('form input[name="username"]', name)  # no password
    with page.expect_request(f"{CALLBACK}**") as callback:
        page.get_by_role("button", name=PASSKEY_BUTTON).click()

    query = query_of(callback.value.url)
    assert landed == [callback.value.url]
    assert query["state"] == "passkey"
    tokens = httpx.post(
        f"{localhost_server.url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app.client_id,
            "code": query["code"],
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
    )
    assert tokens.status_code == 200, tokens.text
    claims = json.loads(from_base64url(tokens.json()["id_token"].split(".")[1]))
    assert claims["cognito:username"] == name
    assert claims["iss"] == f"{localhost_server.url}/{app.pool_id}"


def test_without_a_passkey_the_sign_in_page_says_so(
    admin: Any, localhost_server: RunningServer, browser: Any
) -> None:
    app = PasskeyApp(admin, localhost_server.url)
    name = app.user()
    landed: list[str] = []
    context = browser.new_context()
    try:
        page = _hosted_page(context.new_page(), localhost_server.url, landed)
        answer = _start_passkey(page, app.authorize_url(pkce_pair()[1]), name)
        assert answer.status == 400
        assert "There is no passkey for this account." in _alert(page)
        # An unknown name gets the same answer.
        answer = _start_passkey(page, app.authorize_url(pkce_pair()[1]), "nobody-here")
        assert answer.status == 400
        assert "There is no passkey for this account." in _alert(page)
    finally:
        context.close()
    assert landed == []


def test_a_failed_or_foreign_passkey_shows_the_error_not_the_client(
    admin: Any, localhost_server: RunningServer, browser: Any, devices: Callable[[], Any]
) -> None:
    app = PasskeyApp(admin, localhost_server.url)
    owner, other = app.user(), app.user()
    app.register(devices(), owner)
    others_device = devices()
    app.register(others_device, other)
    landed: list[str] = []
    # A browser with no authenticator: its own ceremony cannot succeed, so the test posts
    # what a page would.
    context = browser.new_context()
    try:
        page = _hosted_page(context.new_page(), localhost_server.url, landed)
        answer = _start_passkey(page, app.authorize_url(pkce_pair()[1]), owner)
        assert answer.status == 200
        assert "/login/step" in page.url
        csp = answer.headers["content-security-policy"]
        assert "script-src 'nonce-" in csp and "'unsafe-inline'" not in csp

        # Nothing sent (the ceremony was cancelled, or the browser has no WebAuthn).
        with page.expect_navigation() as navigation:
            page.evaluate("""() => {
                const form = document.getElementById("passkey-form");
                form.elements.namedItem("credential").value = "";
                form.submit();
            }""")
        assert navigation.value.status == 400
        assert "Your passkey could not be used." in _alert(page)

        # Started again from the sign-in page (the name kept): another user's passkey, a valid
        # assertion over this very challenge at this origin, is refused.
        assert page.input_value('form input[name="username"]') == owner
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name=PASSKEY_BUTTON).click()
        assert navigation.value.status == 200
        options = json.loads(page.get_attribute("#passkey-form", "data-passkey-options"))
        foreign = others_device.get({**options, "allowCredentials": []})
        with page.expect_navigation() as navigation:
            page.evaluate(
                """credential => {
                    const form = document.getElementById("passkey-form");
                    form.elements.namedItem("credential").value = credential;
                    form.submit();
                }""",
                json.dumps(foreign),
            )
        assert navigation.value.status == 400
        assert "Incorrect username or password." in _alert(page)
        assert page.locator('form input[name="password"]').count() == 1  # the sign-in page
    finally:
        context.close()
    assert landed == []


def test_the_button_is_offered_only_when_the_pool_allows_passkeys(
    admin: Any, localhost_server: RunningServer
) -> None:
    app = PasskeyApp(admin, localhost_server.url)
    with_passkeys = httpx.get(app.authorize_url(pkce_pair()[1]), follow_redirects=True)
    assert PASSKEY_BUTTON in with_passkeys.text
    plain = code_client(admin)
    query = urlencode({"response_type": "code", "client_id": plain.client_id,
                       "redirect_uri": CALLBACK, "scope": "openid"})  # fmt: skip
    without = httpx.get(f"{localhost_server.url}/login?{query}")
    assert without.status_code == 200
    assert PASSKEY_BUTTON not in without.text
