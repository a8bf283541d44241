"""Helpers of the OAuth tests: pools with resource servers and clients, PKCE, and the
hosted-UI sign-in driven with httpx as a browser would (following the form)."""

from __future__ import annotations

import base64
import hashlib
import html.parser
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

CALLBACK = "http://localhost:8765/callback"
PASSWORD = "Correct-horse-9"


@dataclass
class CodeClient:
    """A pool with a user and a public OAuth code-flow client."""

    pool_id: str
    client_id: str
    username: str


def code_client(idp_client: Any, **client_options: Any) -> CodeClient:
    pool_id = idp_client.create_user_pool(PoolName=f"oauth-{uuid.uuid4().hex[:8]}")["UserPool"][
        "Id"
    ]
    username = f"user-{uuid.uuid4().hex[:8]}"
    idp_client.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[
            {"Name": "email", "Value": f"{username}@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    idp_client.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
    )
    options: dict[str, Any] = {
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid", "email", "profile"],
        "CallbackURLs": [CALLBACK],
        "LogoutURLs": ["http://localhost:8765/signed-out"],
        **client_options,
    }
    client = idp_client.create_user_pool_client(UserPoolId=pool_id, ClientName="web", **options)
    return CodeClient(
        pool_id=pool_id, client_id=client["UserPoolClient"]["ClientId"], username=username
    )


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class _FormParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.action = values.get("action")
        if tag == "input" and values.get("name"):
            self.fields[str(values["name"])] = values.get("value") or ""


def login_form(page: str) -> tuple[str, dict[str, str]]:
    """The sign-in form's action and its fields (hidden ones filled in)."""
    parser = _FormParser()
    parser.feed(page)
    assert parser.action is not None, page
    return parser.action, parser.fields


def query_of(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def sign_in(
    http: httpx.Client, authorize_url: str, username: str, password: str = PASSWORD
) -> httpx.Response:
    """GET authorize → GET /login → POST the form; the answer to the POST (not followed)."""
    first = http.get(authorize_url)
    assert first.status_code == 302, first.text
    page = http.get(first.headers["location"])
    assert page.status_code == 200, page.text
    action, fields = login_form(page.text)
    fields.update(username=username, password=password)
    return http.post(action, data=fields)


class Browser:
    """httpx following the hosted UI's forms for one authorize request of `client_id`
    (registered with CALLBACK and the openid and email scopes): a PKCE code-flow request, or
    one of `response_type` (`token` for the implicit grant)."""

    def __init__(self, base_url: str, client_id: str, response_type: str = "code") -> None:
        self.base_url, self.client_id = base_url, client_id
        self.http = httpx.Client()
        self.verifier, challenge = pkce_pair()
        params = {"response_type": response_type, "client_id": client_id,
                  "redirect_uri": CALLBACK, "scope": "openid email"}  # fmt: skip
        if response_type == "code":
            params.update(code_challenge=challenge, code_challenge_method="S256")
        self.query = urlencode(params)

    @property
    def authorize_url(self) -> str:
        """/oauth2/authorize with the request."""
        return self.page_url("/oauth2/authorize")

    def page_url(self, path: str) -> str:
        """The hosted-UI page `path` (/login, /forgotPassword…) serving the authorize request."""
        return f"{self.base_url}{path}?{self.query}"

    def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        """GET /oauth2/authorize (a 302 to /login), POST its form; the answer, not followed."""
        first = self.http.get(self.authorize_url)
        assert first.status_code == 302, first.text
        return self.submit(first.headers["location"], username=username, password=password)

    def submit(self, url: str, **fields: str) -> httpx.Response:
        """GET the page at `url`, POST its form with `fields`; the answer, not followed."""
        page = self.http.get(url)
        assert page.status_code == 200, page.text
        action, values = login_form(page.text)
        values.update(fields)
        return self.http.post(action, data=values)

    def tokens(self, answer: httpx.Response) -> dict[str, Any]:
        """The 303 to the client, its code exchanged at /oauth2/token."""
        assert answer.status_code == 303, answer.text
        code = query_of(answer.headers["location"])["code"]
        exchanged = httpx.post(f"{self.base_url}/oauth2/token", data={
            "grant_type": "authorization_code", "client_id": self.client_id, "code": code,
            "redirect_uri": CALLBACK, "code_verifier": self.verifier,
        })  # fmt: skip
        assert exchanged.status_code == 200, exchanged.text
        body: dict[str, Any] = exchanged.json()
        return body
