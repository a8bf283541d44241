"""The OAuth 2.0 / OIDC machine endpoints at `{public_url}/oauth2/…` (SPEC, Tokens and OIDC)."""

from __future__ import annotations

from starlette.routing import Route

from cognate.context import Context
from cognate.oauth.token import token_routes
from cognate.oauth.userinfo import userinfo_routes


def oauth_routes(ctx: Context) -> list[Route]:
    """/oauth2/token, /oauth2/userInfo and /oauth2/revoke (/oauth2/authorize is a browser
    endpoint: hosted_ui.routes)."""
    return [*token_routes(ctx), *userinfo_routes(ctx)]
