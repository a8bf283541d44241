"""OIDC discovery and the JWKS, per pool, at the issuer: `{public_url}/{userPoolId}/.well-known/…`.

The discovery document follows OpenID Connect Discovery 1.0 §3 and lists what Cognito's does
(cognito-surface.md §6), with every OAuth endpoint served at `{public_url}` whether or not the
pool has a domain (SPEC, Tokens and OIDC). `end_session_endpoint` is `{public_url}/logout`:
Cognito's document omits it, but OIDC RP-Initiated Logout clients find /logout through it and
the SPEC promises that the document lists every endpoint. Both documents may be fetched
cross-origin (RFC 9700 §2.6 allows CORS on metadata and JWKS) and cached briefly: a verifier
that meets a new kid after a key rotation refetches the JWKS anyway.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cognate.context import Context
from cognate.store.pools import get_pool
from cognate.tokens.issue import issuer
from cognate.tokens.keys import key_ring

_DISCOVERY_MAX_AGE = 3600
_JWKS_MAX_AGE = 300


def discovery_document(base_url: str, pool_issuer: str) -> dict[str, Any]:
    """The OpenID Provider Metadata of the pool whose issuer is `pool_issuer` (OIDC Discovery
    1.0 §3); the OAuth endpoints live at `base_url`."""
    return {
        "issuer": pool_issuer,
        "authorization_endpoint": f"{base_url}/oauth2/authorize",
        "token_endpoint": f"{base_url}/oauth2/token",
        "userinfo_endpoint": f"{base_url}/oauth2/userInfo",
        "revocation_endpoint": f"{base_url}/oauth2/revoke",
        "end_session_endpoint": f"{base_url}/logout",
        "jwks_uri": f"{pool_issuer}/.well-known/jwks.json",
        "response_types_supported": ["code", "token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    }


def _json(body: Any, *, status_code: int = 200, max_age: int = 0) -> JSONResponse:
    headers = {"Access-Control-Allow-Origin": "*"}
    headers["Cache-Control"] = f"public, max-age={max_age}" if max_age else "no-store"
    return JSONResponse(body, status_code=status_code, headers=headers)


def _not_found(pool_id: str) -> JSONResponse:
    return _json({"message": f"User pool {pool_id} does not exist."}, status_code=404)


def discovery_routes(ctx: Context) -> list[Route]:
    """GET `/{pool_id}/.well-known/openid-configuration` and `/{pool_id}/.well-known/jwks.json`;
    an unknown pool answers 404 with a JSON body."""

    async def pool_exists(pool_id: str) -> bool:
        async with ctx.store.read() as conn:
            return await get_pool(conn, pool_id) is not None

    async def openid_configuration(request: Request) -> JSONResponse:
        pool_id = request.path_params["pool_id"]
        if not await pool_exists(pool_id):
            return _not_found(pool_id)
        document = discovery_document(ctx.base_url, issuer(ctx, pool_id))
        return _json(document, max_age=_DISCOVERY_MAX_AGE)

    async def jwks(request: Request) -> JSONResponse:
        pool_id = request.path_params["pool_id"]
        if not await pool_exists(pool_id):
            return _not_found(pool_id)
        return _json(await key_ring(ctx).jwks(ctx, pool_id), max_age=_JWKS_MAX_AGE)

    return [
        Route("/{pool_id}/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
        Route("/{pool_id}/.well-known/jwks.json", jwks, methods=["GET"]),
    ]
