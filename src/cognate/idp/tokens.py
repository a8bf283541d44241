"""Token operations: GetUser, GlobalSignOut, AdminUserGlobalSignOut, RevokeToken,
GetTokensFromRefreshToken.

Sign-out follows the developer guide ("Revoking tokens", "Signing out"): GlobalSignOut and
AdminUserGlobalSignOut revoke every refresh token of the user and make the Cognito APIs refuse
the access tokens already issued ("Access Token has been revoked"); RevokeToken revokes one
refresh token and every access token carrying its origin_jti, and, as RFC 7009 §2.2 asks,
answers an unknown token with success.
"""

from __future__ import annotations

import hmac

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain.client import Client
from cognate.errors import (
    CognitoError,
    NotAuthorizedException,
    RefreshTokenReuseException,
    ResourceNotFoundException,
    UnauthorizedException,
    UnsupportedOperationException,
    UnsupportedTokenTypeException,
)
from cognate.idp import shapes
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.idp.user_lookup import require_user
from cognate.idp.users import attribute_list
from cognate.store import clients as client_store
from cognate.store import tokens as token_store
from cognate.tokens.access import authenticate_access_token, require_scope
from cognate.tokens.claims import decode_compact
from cognate.tokens.issue import REFRESH_HASH_PURPOSE, exchange_refresh_token


@idp.operation("GetUser")
async def get_user(ctx: Context, req: shapes.GetUserRequest) -> shapes.GetUserResponse:
    grant = await authenticate_access_token(ctx, req["AccessToken"])
    require_scope(grant)
    user = grant.user
    described: shapes.GetUserResponse = {
        "Username": user.username,
        "UserAttributes": attribute_list(user),
    }
    # Stored wire-shaped by the MFA operations; Cognito omits the empty ones.
    for name in ("MFAOptions", "PreferredMfaSetting", "UserMFASettingList"):
        if user.mfa.get(name):
            described[name] = user.mfa[name]
    return described


@idp.operation("GlobalSignOut")
async def global_sign_out(
    ctx: Context, req: shapes.GlobalSignOutRequest
) -> shapes.GlobalSignOutResponse:
    grant = await authenticate_access_token(ctx, req["AccessToken"])
    require_scope(grant)
    async with ctx.store.begin() as conn:
        await token_store.sign_out_user(conn, grant.user.id, now=ctx.clock())
    return {}


@idp.operation("AdminUserGlobalSignOut")
async def admin_user_global_sign_out(
    ctx: Context, req: shapes.AdminUserGlobalSignOutRequest
) -> shapes.AdminUserGlobalSignOutResponse:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        user = await require_user(conn, pool, req["Username"])
        await token_store.sign_out_user(conn, user.id, now=ctx.clock())
    return {}


@idp.operation("RevokeToken")
async def revoke_token(ctx: Context, req: shapes.RevokeTokenRequest) -> shapes.RevokeTokenResponse:
    # The model declares UnauthorizedException, not NotAuthorizedException, for RevokeToken.
    unauthorized = UnauthorizedException("Client is not authorized to revoke this token.")
    async with ctx.store.begin() as conn:
        client = await client_store.get_client(conn, None, req["ClientId"])
        if client is None:
            raise unauthorized
        await _authenticate_client(ctx, conn, client, req.get("ClientSecret"), unauthorized)
        if not client.is_token_revocation_enabled:
            raise UnsupportedOperationException("Token revocation is not enabled for this client.")
        if decode_compact(req["Token"]) is not None:
            # A JWT: an access or ID token. Only refresh tokens can be revoked.
            raise UnsupportedTokenTypeException("Unsupported token type.")
        token_hash = ctx.secrets.keyed_hash(req["Token"], REFRESH_HASH_PURPOSE)
        found = await token_store.find_refresh_token(conn, token_hash)
        # Another client's token is left alone, and the answer does not tell it exists.
        if found is not None and found[0].client_id == client.id:
            await token_store.revoke_refresh_token(conn, found[0].id, ctx.clock())
    return {}


@idp.operation("GetTokensFromRefreshToken")
async def get_tokens_from_refresh_token(
    ctx: Context, req: shapes.GetTokensFromRefreshTokenRequest
) -> shapes.GetTokensFromRefreshTokenResponse:
    async with ctx.store.read() as conn:
        client = await client_store.get_client(conn, None, req["ClientId"])
        if client is None:
            raise ResourceNotFoundException(f"User pool client {req['ClientId']} does not exist.")
        await _authenticate_client(
            ctx,
            conn,
            client,
            req.get("ClientSecret"),
            NotAuthorizedException(f"Unable to verify secret for client {client.id}"),
        )
        pool = await require_pool(conn, client.pool_id)
    result = await exchange_refresh_token(
        ctx,
        pool=pool,
        client=client,
        refresh_token=req["RefreshToken"],
        device_key=req.get("DeviceKey"),
        reuse_error=RefreshTokenReuseException("Refresh Token has already been used."),
    )
    return {"AuthenticationResult": result}  # type: ignore[typeddict-item]  # wire-shaped dict


async def _authenticate_client(
    ctx: Context, conn: AsyncConnection, client: Client, given: str | None, error: CognitoError
) -> None:
    """A confidential client must send one of its secrets (compared in constant time)."""
    if not client.has_secret:
        return
    stored = await client_store.client_secret_values(conn, ctx.secrets, client.id)
    given_bytes = (given or "").encode()
    # Compare with every secret, so the time taken does not tell which one matched.
    matches = [hmac.compare_digest(secret.encode(), given_bytes) for secret in stored]
    if not given or not any(matches):
        raise error
