"""A real browser (Debian's Chromium, headless) signs in through the provider's button: the
round trip crosses two sites (127.0.0.1 and localhost), so the state's browser cookie must
survive the provider's cross-site redirect back, as SameSite=Lax allows for a top-level GET."""

from __future__ import annotations

from tests.federation.conftest import PROVIDER, Federation
from tests.federation.journey import claims, tokens_for
from tests.hosted_ui.browser import CHROMIUM, callback_page
from tests.oauth.flows import CALLBACK, PASSWORD, query_of


def test_browser_signs_in_through_the_provider_button(federation: Federation) -> None:
    assert CHROMIUM.exists(), "install Debian's chromium: apt-get install -y chromium"
    fed = federation
    username, upstream_sub = fed.upstream.user()
    with callback_page(CALLBACK) as (page, seen):
        page.goto(fed.authorize_url())
        page.get_by_role("link", name=f"Sign in with {PROVIDER}").click()
        page.wait_for_url(f"{fed.upstream.url}/login**")
        page.fill('form input[name="username"]', username)
        page.fill('form input[name="password"]', PASSWORD)
        page.click('form button[type="submit"]')
        page.wait_for_url(f"{CALLBACK}**")
    params = query_of(seen[-1])
    assert params["state"] == "app-state"
    tokens = tokens_for(fed, params["code"])
    assert claims(tokens["id_token"])["cognito:username"] == f"upstream_{upstream_sub}"
