"""GET/POST /oauth2/userInfo (OIDC Core §5.3) and POST /oauth2/revoke (RFC 7009).

userInfo, as Cognito's ("The userInfo endpoint"): the access token must carry `openid`; `sub`
and `username` always come back, and the other scopes choose the attributes (`email`,
`phone`, `profile`, or `aws.cognito.signin.user.admin` for everything readable), values as
strings, limited to the client's ReadAttributes. Errors are RFC 6750 §3 challenges.

revoke, as Cognito's ("The revoke endpoint"): a refresh token and client authentication; 200
with an empty body also for unknown or already-revoked tokens (RFC 7009 §2.2), so the answer
reveals nothing; access and ID tokens are unsupported_token_type.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cognate.context import Context
from cognate.errors import CognitoError, OAuthError
from cognate.oauth.protocol import (
    authenticate_client,
    bearer_token,
    error_response,
    oauth_json,
    read_form,
)
from cognate.store import tokens as token_store
from cognate.store.clients import get_client
from cognate.tokens.access import authenticate_access_token
from cognate.tokens.claims import ADMIN_SCOPE, decode_compact
from cognate.tokens.issue import REFRESH_HASH_PURPOSE

_EMAIL = frozenset({"email", "email_verified"})
_PHONE = frozenset({"phone_number", "phone_number_verified"})
_HIDDEN_PREFIXES = ("dev:", "cognito:")


def userinfo_claims(
    attributes: Mapping[str, str], scopes: Collection[str], readable: Collection[str] | None
) -> dict[str, str]:
    """The attributes `scopes` release (OIDC Core §5.4), as strings, within `readable`."""
    claims: dict[str, str] = {}
    for name, value in attributes.items():
        if name.startswith(_HIDDEN_PREFIXES) or (readable is not None and name not in readable):
            continue
        if ADMIN_SCOPE in scopes:
            allowed = True
        elif name in _EMAIL:
            allowed = "email" in scopes
        elif name in _PHONE:
            allowed = "phone" in scopes
        else:
            allowed = "profile" in scopes
        if allowed:
            claims[name] = value
    return claims


def _challenge(error: str, status_code: int) -> JSONResponse:
    response = oauth_json({"error": error}, status_code=status_code)
    response.headers["WWW-Authenticate"] = f'Bearer error="{error}"'
    return response


def userinfo_routes(ctx: Context) -> list[Route]:
    """/oauth2/userInfo (GET and POST) and POST /oauth2/revoke."""

    async def userinfo(request: Request) -> JSONResponse:
        token = bearer_token(request)
        if token is None:
            return _challenge("invalid_request", 400)
        try:
            grant = await authenticate_access_token(ctx, token)
        except CognitoError:
            return _challenge("invalid_token", 401)
        if "openid" not in grant.scopes:
            return _challenge("insufficient_scope", 403)
        async with ctx.store.read() as conn:
            client = await get_client(conn, grant.pool.id, grant.client_id)
        readable = client.read_attributes if client is not None else None
        claims = userinfo_claims(grant.user.attributes, grant.scopes, readable)
        return oauth_json({**claims, "sub": grant.user.sub, "username": grant.user.username})

    async def revoke(request: Request) -> Response:
        try:
            form = await read_form(request)
            _pool, client = await authenticate_client(ctx, request, form)
            token = form.get("token")
            if not token:
                raise OAuthError("invalid_request", "token is required")
            if not client.is_token_revocation_enabled:
                raise OAuthError("invalid_request", "token revocation is disabled")
            if decode_compact(token) is not None:
                raise OAuthError("unsupported_token_type")
            async with ctx.store.begin() as conn:
                token_hash = ctx.secrets.keyed_hash(token, REFRESH_HASH_PURPOSE)
                found = await token_store.find_refresh_token(conn, token_hash)
                # Another client's token is left alone and answered the same (RFC 7009 §2.1).
                if found is not None and found[0].client_id == client.id:
                    await token_store.revoke_refresh_token(conn, found[0].id, ctx.clock())
        except OAuthError as exc:
            return error_response(exc)
        return Response(status_code=200, headers={"Cache-Control": "no-store"})

    return [
        Route("/oauth2/userInfo", userinfo, methods=["GET", "POST"]),
        Route("/oauth2/revoke", revoke, methods=["POST"]),
    ]
