"""What a federated sign-in refuses: a state that was tampered with, replayed, expired or
brought by another browser; the provider's errors; ID tokens for another audience or nonce; a
provider the client does not enable. Each ends on the hosted UI's error page, never on a
redirect."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from cognate.app import create_context
from cognate.errors import OAuthError
from cognate.federation import oidc
from cognate.settings import Settings
from cognate.store.identity_providers import IdentityProvider
from tests.federation.conftest import PROVIDER, Downstream, Federation, Upstream, make_federation
from tests.federation.journey import to_idp_response
from tests.oauth.flows import CALLBACK, PASSWORD, code_client, login_form, query_of


def _refused(answer: httpx.Response) -> str:
    assert answer.status_code in (400, 403), answer.text
    assert "location" not in answer.headers
    assert "Something went wrong" in answer.text
    return answer.text


def _no_users(fed: Federation) -> None:
    assert fed.downstream.client.list_users(UserPoolId=fed.pool_id)["Users"] == []


def _with_state(url: str, state: str) -> str:
    params = query_of(url)
    params["state"] = state
    base = url.split("?")[0]
    return str(httpx.URL(base, params=params))


def test_tampered_state_is_refused(federation: Federation) -> None:
    username, _ = federation.upstream.user()
    with httpx.Client() as http:
        back = to_idp_response(http, federation, username)
        state = query_of(back)["state"]
        flipped = state[:20] + ("A" if state[20] != "A" else "B") + state[21:]
        _refused(http.get(_with_state(back, flipped)))
        _refused(http.get(_with_state(back, "")))
    _no_users(federation)


def test_replayed_state_is_refused(federation: Federation) -> None:
    username, _ = federation.upstream.user()
    with httpx.Client() as http:
        back = to_idp_response(http, federation, username)
        assert http.get(back).status_code == 303
        text = _refused(http.get(back))
    assert "already used" in text


def test_state_from_another_browser_is_refused(federation: Federation) -> None:
    username, _ = federation.upstream.user()
    with httpx.Client() as http:
        back = to_idp_response(http, federation, username)
    with httpx.Client() as other:
        _refused(other.get(back))
    _no_users(federation)


def test_provider_error_is_an_error_page(federation: Federation) -> None:
    with httpx.Client() as http:
        first = http.get(federation.authorize_url(identity_provider=PROVIDER))
        state = query_of(first.headers["location"])["state"]
        url = f"{federation.downstream.url}/oauth2/idpresponse"
        text = _refused(http.get(url, params={"error": "access_denied", "state": state}))
        assert "access_denied" in text
        _refused(http.get(url, params={"error": "access_denied"}))
        _refused(http.post(url, data={"code": "x", "state": "forged"}))


def test_bad_code_is_refused(federation: Federation) -> None:
    with httpx.Client() as http:
        first = http.get(federation.authorize_url(identity_provider=PROVIDER))
        state = query_of(first.headers["location"])["state"]
        url = f"{federation.downstream.url}/oauth2/idpresponse"
        text = _refused(http.get(url, params={"code": "not-a-code", "state": state}))
    assert "invalid_grant" in text
    _no_users(federation)


def test_provider_not_enabled_for_the_client_is_refused(
    upstream: Upstream, downstream: Downstream
) -> None:
    fed = make_federation(upstream, downstream, supported=["COGNITO"])
    with httpx.Client() as http:
        _refused(http.get(fed.authorize_url(identity_provider=PROVIDER)))
        _refused(http.get(fed.authorize_url(identity_provider="Nobody")))
        _refused(http.get(fed.authorize_url(idp_identifier="example.com")))
        page = http.get(http.get(fed.authorize_url()).headers["location"])
        assert "Sign in with" not in page.text


def test_provider_disabled_after_the_round_trip_started(
    upstream: Upstream, downstream: Downstream
) -> None:
    fed = make_federation(upstream, downstream)
    username, _ = upstream.user()
    with httpx.Client() as http:
        back = to_idp_response(http, fed, username)
        downstream.client.update_user_pool_client(
            UserPoolId=fed.pool_id, ClientId=fed.client_id, AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email", "profile"],
            CallbackURLs=[CALLBACK], SupportedIdentityProviders=["COGNITO"],
        )  # fmt: skip
        _refused(http.get(back))
    _no_users(fed)


# ID-token checks, against genuine tokens of the upstream server (its JWKS fetched over HTTP).


def _upstream_id_token(upstream: Upstream, client_id: str, nonce: str) -> str:
    """An ID token the upstream issued to `client_id` (a public client of its pool)."""
    username, _ = upstream.user()
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK,
              "scope": "openid email", "nonce": nonce}  # fmt: skip
    with httpx.Client() as http:
        first = http.get(f"{upstream.url}/oauth2/authorize", params=params)
        page = http.get(first.headers["location"])
        action, fields = login_form(page.text)
        fields.update(username=username, password=PASSWORD)
        code = query_of(http.post(action, data=fields).headers["location"])["code"]
    answer = httpx.post(
        f"{upstream.url}/oauth2/token",
        data={"grant_type": "authorization_code", "client_id": client_id, "code": code,
              "redirect_uri": CALLBACK},
    )  # fmt: skip
    token: str = answer.json()["id_token"]
    return token


@pytest.fixture
def other_client(upstream: Upstream) -> str:
    """A second, public app client of the upstream pool."""
    created = upstream.client.create_user_pool_client(
        UserPoolId=upstream.pool_id, ClientName="other", AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email"],
        CallbackURLs=[CALLBACK],
    )  # fmt: skip
    return str(created["UserPoolClient"]["ClientId"])


def _provider(upstream: Upstream, client_id: str) -> IdentityProvider:
    from datetime import UTC, datetime

    from cognate.domain.identity_provider import ProviderType

    now = datetime.now(UTC)
    return IdentityProvider(
        pool_id="us-east-1_x", name=PROVIDER, type=ProviderType.OIDC,
        details={"client_id": client_id, "client_secret": "s", "oidc_issuer": upstream.issuer,
                 "authorize_scopes": "openid", "attributes_request_method": "GET"},
        attribute_mapping={}, idp_identifiers=(), created_at=now, updated_at=now,
    )  # fmt: skip


def _verify(
    tmp_path: Path, provider: IdentityProvider, token: str, nonce: str, **clock: Any
) -> Any:
    from datetime import UTC, datetime

    shift = timedelta(**clock)
    ctx = create_context(Settings(data_dir=tmp_path), clock=lambda: datetime.now(UTC) + shift)

    async def run() -> Any:
        found = await oidc.endpoints(ctx, provider)
        return await oidc.verify_id_token(ctx, provider, found, token, nonce=nonce)

    return anyio.run(run)


def test_id_token_checks(tmp_path: Path, upstream: Upstream, other_client: str) -> None:
    token = _upstream_id_token(upstream, other_client, nonce="n-1")
    mine = _provider(upstream, other_client)
    assert _verify(tmp_path, mine, token, "n-1")["aud"] == other_client
    with pytest.raises(OAuthError, match=r"not valid \(aud\)"):
        _verify(tmp_path, _provider(upstream, upstream.client_id), token, "n-1")
    with pytest.raises(OAuthError, match=r"not valid \(nonce\)"):
        _verify(tmp_path, mine, token, "n-2")
    with pytest.raises(OAuthError, match=r"not valid \(exp\)"):
        _verify(tmp_path, mine, token, "n-1", hours=2)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload[:-4]}AAAA.{signature}"
    with pytest.raises(OAuthError, match="signature"):
        _verify(tmp_path, mine, forged, "n-1")


def test_code_client_of_the_upstream_is_unaffected(upstream: Upstream) -> None:
    # The provider's own hosted UI still serves its own clients normally.
    assert code_client(upstream.client).client_id
