"""The browser's redirect chain through the provider, driven with httpx as a browser would."""

from __future__ import annotations

from typing import Any

import httpx
import jwt

from tests.federation.conftest import Federation
from tests.oauth.flows import CALLBACK, query_of, sign_in


def to_idp_response(http: httpx.Client, fed: Federation, username: str, **extra: str) -> str:
    """Downstream authorize → upstream sign-in form → the idpresponse URL it sends back."""
    first = http.get(fed.authorize_url(identity_provider="Upstream", **extra))
    assert first.status_code == 302, first.text
    assert first.headers["location"].startswith(f"{fed.upstream.url}/oauth2/authorize?")
    answer = sign_in(http, first.headers["location"], username)
    assert answer.status_code == 303, answer.text
    back: str = answer.headers["location"]
    assert back.startswith(f"{fed.downstream.url}/oauth2/idpresponse?"), back
    return back


def federated_code(http: httpx.Client, fed: Federation, username: str) -> str:
    """The app's authorization code after a federated sign-in."""
    answer = http.get(to_idp_response(http, fed, username))
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?"), location
    params = query_of(location)
    assert params["state"] == "app-state"
    return params["code"]


def tokens_for(fed: Federation, code: str) -> dict[str, Any]:
    answer = httpx.post(
        f"{fed.downstream.url}/oauth2/token",
        data={"grant_type": "authorization_code", "client_id": fed.client_id, "code": code,
              "redirect_uri": CALLBACK},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def sign_in_federated(fed: Federation, username: str) -> dict[str, Any]:
    """Tokens of a whole federated sign-in in a fresh browser."""
    with httpx.Client() as http:
        return tokens_for(fed, federated_code(http, fed, username))


def claims(token: str) -> dict[str, Any]:
    result: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return result


def attributes(fed: Federation, username: str) -> tuple[dict[str, Any], dict[str, str]]:
    user = fed.downstream.client.admin_get_user(UserPoolId=fed.pool_id, Username=username)
    return user, {a["Name"]: a["Value"] for a in user["UserAttributes"]}
