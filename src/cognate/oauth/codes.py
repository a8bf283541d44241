"""Authorization codes: issued after a hosted-UI sign-in, redeemed once at /oauth2/token.

RFC 6749 §4.1.2 and §10.5: a code is short-lived (five minutes, as Cognito's), bound to its
client and redirect_uri, and single-use; a code presented again means it leaked, so the refresh
token its first exchange issued is revoked, and with it every token carrying that origin_jti
(security-test-plan.md G75). Codes are 256-bit random strings stored as keyed hashes.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.oauth import CODE_LIFETIME_SECONDS, check_code_verifier
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import OAuthError
from cognate.store import authorization_codes as code_store
from cognate.store import tokens as token_store
from cognate.store.authorization_codes import StoredCode
from cognate.tokens.issue import HOSTED_AUTH, REFRESH_HASH_PURPOSE, SignIn, issue_tokens

CODE_HASH_PURPOSE = "authorization-code"


async def issue_code(
    ctx: Context,
    *,
    client: Client,
    user: User,
    redirect_uri: str,
    scopes: Sequence[str],
    nonce: str | None,
    code_challenge: str | None,
    auth_time: datetime,
) -> str:
    """A new authorization code for `user` signed in to `client`."""
    code = secrets.token_urlsafe(32)
    stored = StoredCode(
        code_hash=ctx.secrets.keyed_hash(code, CODE_HASH_PURPOSE),
        pool_id=client.pool_id,
        client_id=client.id,
        user_id=user.id,
        redirect_uri=redirect_uri,
        scopes=tuple(scopes),
        nonce=nonce,
        code_challenge=code_challenge,
        auth_time=auth_time,
        expires_at=ctx.clock() + timedelta(seconds=CODE_LIFETIME_SECONDS),
        used_at=None,
        refresh_token_hash=None,
    )
    async with ctx.store.begin() as conn:
        await code_store.insert_code(conn, stored)
    return code


async def _revoke_issued(ctx: Context, stored: StoredCode) -> None:
    """A code came back after its exchange: revoke the refresh token that exchange issued."""
    if stored.refresh_token_hash is None:
        return
    async with ctx.store.begin() as conn:
        found = await token_store.find_refresh_token(conn, stored.refresh_token_hash)
        if found is not None:
            await token_store.revoke_refresh_token(conn, found[0].id, ctx.clock())


async def _claim(
    ctx: Context, code: str, client: Client, redirect_uri: str, verifier: str | None
) -> tuple[StoredCode, User]:
    """The code's row and user once every check passed and this exchange spent it."""
    code_hash = ctx.secrets.keyed_hash(code, CODE_HASH_PURPOSE)
    now = ctx.clock()
    async with ctx.store.read() as conn:
        found = await code_store.find_code(conn, code_hash)
    if found is None:
        raise OAuthError("invalid_grant")
    stored, user = found
    if stored.used_at is not None:
        await _revoke_issued(ctx, stored)
        raise OAuthError("invalid_grant")
    if stored.client_id != client.id or now >= stored.expires_at:
        raise OAuthError("invalid_grant")
    # RFC 6749 §4.1.3: the very redirect_uri of the authorize request, compared exactly.
    if stored.redirect_uri != redirect_uri:
        raise OAuthError("invalid_grant")
    check_code_verifier(stored.code_challenge, verifier)
    async with ctx.store.begin() as conn:
        if not await code_store.spend_code(conn, code_hash, now):
            raise OAuthError("invalid_grant")
    return stored, user


async def redeem_code(
    ctx: Context,
    pool: Pool,
    client: Client,
    *,
    code: str,
    redirect_uri: str,
    verifier: str | None,
) -> dict[str, Any]:
    """RFC 6749 §4.1.3-4.1.4: tokens for a valid code (the ID token only with `openid`)."""
    stored, user = await _claim(ctx, code, client, redirect_uri, verifier)
    if not user.is_enabled:
        raise OAuthError("invalid_grant")
    sign_in = SignIn(
        pool=pool,
        client=client,
        user=user,
        auth_time=stored.auth_time,
        scopes=stored.scopes,
        nonce=stored.nonce,
        trigger_source=HOSTED_AUTH,
    )
    result = await issue_tokens(ctx, sign_in)
    async with ctx.store.begin() as conn:
        await code_store.remember_refresh_token(
            conn,
            stored.code_hash,
            ctx.secrets.keyed_hash(result["RefreshToken"], REFRESH_HASH_PURPOSE),
        )
    tokens = {
        "access_token": result["AccessToken"],
        "refresh_token": result["RefreshToken"],
        "token_type": "Bearer",
        "expires_in": result["ExpiresIn"],
    }
    if "openid" in stored.scopes:
        tokens["id_token"] = result["IdToken"]
    return tokens
