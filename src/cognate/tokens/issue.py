"""Issuing ID, access and refresh tokens and refreshing them (checking access tokens is
tokens/access.py).

What the sign-in engine calls. The fast path is short on purpose: issuing is two RSA signatures
(one thread hop off the event loop, where OpenSSL runs without the GIL) plus one short
transaction.

Refresh tokens are opaque random strings (256 bits), stored only as a keyed hash, bound to the
pool, client, user and (when one was used) the remembered device. Cognito's own are JWEs, but
clients treat them as opaque (cognito-surface.md §7).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate import cpu
from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import CognitoError, NotAuthorizedException
from cognate.store import sign_in as sign_in_store
from cognate.store import threat_protection as threat_store
from cognate.store import tokens as token_store
from cognate.store.groups import groups_of_user
from cognate.tokens import claims as token_claims
from cognate.tokens import pre_token
from cognate.tokens.claims import ADMIN_SCOPE, GroupClaim, TokenEvent
from cognate.tokens.keys import SigningKey, key_ring

REFRESH_HASH_PURPOSE = "refresh-token"
# Cognito allows 100 groups per user; the cap only bounds the query.
_MAX_GROUPS = 1000


HOSTED_AUTH = "TokenGeneration_HostedAuth"
"""PreTokenGeneration's triggerSource for tokens of a hosted-UI / OAuth authorize sign-in
(cognito-surface.md §8): the code grant's exchange and the implicit grant's redirect."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SignIn:
    """A completed authentication: whom to issue tokens to, for which client, and how."""

    pool: Pool
    client: Client
    user: User
    auth_time: datetime
    device_key: str | None = None
    scopes: tuple[str, ...] = (ADMIN_SCOPE,)
    # OIDC Core §3.1.2.1: the authorize request's nonce, copied into the ID token.
    nonce: str | None = None
    # The PreTokenGeneration triggerSource: how the sign-in completed.
    trigger_source: str = "TokenGeneration_Authentication"


def issuer(ctx: Context, pool_id: str) -> str:
    """The `iss` of the pool's tokens: `{public_url}/{userPoolId}` (SPEC, Tokens and OIDC)."""
    return f"{ctx.base_url}/{pool_id}"


async def issue_tokens(ctx: Context, sign_in: SignIn) -> dict[str, Any]:
    """Tokens for a completed sign-in (AuthenticationResultType without NewDeviceMetadata).

    The new refresh token expires after the client's RefreshTokenValidity; the ID and access
    tokens share its origin_jti (when the client has token revocation enabled) and event id.
    """
    now = ctx.clock()
    refresh_token = secrets.token_urlsafe(32)
    origin_jti = str(uuid.uuid4())
    # The sign-in's proven password resets its failure counter in this same transaction.
    pending = sign_in_store.pending_clear()
    # Threat protection's event of this sign-in (idp/threat_protection.py), if it records one.
    auth_event = threat_store.pending_event(sign_in.pool.id, sign_in.user.sub)
    async with ctx.store.begin() as conn:
        if pending is not None:
            await sign_in_store.clear_failures(
                conn, pool_id=pending.pool_id, subject=pending.subject
            )
        if auth_event is not None:
            await threat_store.write_pending(conn, auth_event)
        groups = await _groups(conn, sign_in.pool.id, sign_in.user.id)
        await token_store.insert_refresh_token(
            conn,
            token_hash=ctx.secrets.keyed_hash(refresh_token, REFRESH_HASH_PURPOSE),
            pool_id=sign_in.pool.id,
            client_id=sign_in.client.id,
            user_id=sign_in.user.id,
            origin_jti=origin_jti,
            device_key=sign_in.device_key,
            scopes=sign_in.scopes,
            auth_time=sign_in.auth_time,
            expires_at=now + sign_in.client.refresh_token_validity,
            now=now,
        )
    if pending is not None:
        pending.is_done = True
    if auth_event is not None:
        auth_event.is_done = True
    result = await _mint(
        ctx,
        sign_in.pool,
        sign_in.trigger_source,
        sign_in.client,
        _event(ctx, sign_in.pool, sign_in.client, sign_in.user, groups, origin_jti, now,
               auth_time=sign_in.auth_time,
               event_id=auth_event.event.event_id if auth_event else None),
        scopes=sign_in.scopes,
        device_key=sign_in.device_key,
        nonce=sign_in.nonce,
    )  # fmt: skip
    return {**result, "RefreshToken": refresh_token}


async def refresh_tokens(
    ctx: Context,
    *,
    pool: Pool,
    client: Client,
    refresh_token: str,
    device_key: str | None = None,
) -> dict[str, Any]:
    """REFRESH_TOKEN_AUTH: new ID and access tokens for a valid refresh token.

    auth_time and origin_jti are kept, jti and event_id are new. A RefreshToken is returned only
    when the client has RefreshTokenRotation enabled (the presented one is then used up).
    Raises NotAuthorizedException with Cognito's messages.
    """
    return await exchange_refresh_token(
        ctx,
        pool=pool,
        client=client,
        refresh_token=refresh_token,
        device_key=device_key,
        reuse_error=NotAuthorizedException("Invalid Refresh Token"),
    )


async def exchange_refresh_token(
    ctx: Context,
    *,
    pool: Pool,
    client: Client,
    refresh_token: str,
    device_key: str | None,
    reuse_error: CognitoError,
) -> dict[str, Any]:
    """`refresh_tokens`, raising `reuse_error` for a rotated-out token past its grace period
    (GetTokensFromRefreshToken: RefreshTokenReuseException)."""
    now = ctx.clock()
    token_hash = ctx.secrets.keyed_hash(refresh_token, REFRESH_HASH_PURPOSE)
    async with ctx.store.read() as conn:
        # One statement for the token, its user and the user's groups (the hot path).
        found, group_rows = await token_store.find_refresh_token_with_groups(
            conn, token_hash, max_groups=_MAX_GROUPS
        )
    record, user = check_refresh_token(found, pool=pool, client=client, device_key=device_key,
                                       now=now, reuse_error=reuse_error)  # fmt: skip
    groups = [
        GroupClaim(name=group.name, role_arn=group.role_arn, precedence=group.precedence)
        for group in group_rows
    ]
    origin_jti, new_token = record.origin_jti, None
    if client.is_refresh_token_rotation_enabled:
        new_token, origin_jti = await _rotate(
            ctx, client, record, token_hash, now=now, reuse_error=reuse_error
        )
    event = _event(ctx, pool, client, user, groups, origin_jti, now, auth_time=record.auth_time)
    result = await _mint(ctx, pool, "TokenGeneration_RefreshTokens", client, event,
                         scopes=record.scopes, device_key=record.device_key)  # fmt: skip
    if new_token is not None:
        result["RefreshToken"] = new_token
    return result


def check_refresh_token(
    found: tuple[token_store.RefreshRecord, User] | None,
    *,
    pool: Pool,
    client: Client,
    device_key: str | None,
    now: datetime,
    reuse_error: CognitoError,
) -> tuple[token_store.RefreshRecord, User]:
    """The stored token and its user if they may be refreshed now, else Cognito's error."""
    if found is None:
        raise NotAuthorizedException("Invalid Refresh Token")
    record, user = found
    if record.pool_id != pool.id or record.client_id != client.id:
        raise NotAuthorizedException("Invalid Refresh Token")
    if record.device_key is not None and device_key != record.device_key:
        raise NotAuthorizedException("Invalid Refresh Token")
    # A disabled user hears so first: disabling also revoked the token, but that is the cause.
    if not user.is_enabled:
        raise NotAuthorizedException("User is disabled.")
    if record.revoked_at is not None:
        raise NotAuthorizedException("Refresh Token has been revoked")
    if now >= record.expires_at:
        raise NotAuthorizedException("Refresh Token has expired")
    if record.rotated_at is not None and not _in_grace(client, record.rotated_at, now):
        raise reuse_error
    return record, user


def _in_grace(client: Client, rotated_at: datetime, now: datetime) -> bool:
    """Whether a rotated-out token may still be exchanged (RetryGracePeriodSeconds)."""
    rotation = client.config.get("RefreshTokenRotation") or {}
    grace = timedelta(seconds=int(rotation.get("RetryGracePeriodSeconds") or 0))
    return grace > timedelta(0) and now < rotated_at + grace


async def _rotate(
    ctx: Context,
    client: Client,
    record: token_store.RefreshRecord,
    token_hash: str,
    *,
    now: datetime,
    reuse_error: CognitoError,
) -> tuple[str, str]:
    """Use up `record` and store its successor; returns the new token and its origin_jti.

    The conditional UPDATE makes exactly one of any number of concurrent exchanges the
    winner; the others are accepted only within the grace period.
    """
    new_token, origin_jti = secrets.token_urlsafe(32), str(uuid.uuid4())
    async with ctx.store.begin() as conn:
        if not await token_store.mark_rotated(conn, record.id, now):
            # Lost the race (or a retry): read what the winner wrote, inside this transaction.
            again = await token_store.find_refresh_token(conn, token_hash)
            if again is None or again[0].revoked_at is not None:
                raise NotAuthorizedException("Refresh Token has been revoked")
            rotated_at = again[0].rotated_at
            if rotated_at is None or not _in_grace(client, rotated_at, now):
                raise reuse_error
        await token_store.insert_refresh_token(
            conn,
            token_hash=ctx.secrets.keyed_hash(new_token, REFRESH_HASH_PURPOSE),
            pool_id=record.pool_id,
            client_id=record.client_id,
            user_id=record.user_id,
            origin_jti=origin_jti,
            device_key=record.device_key,
            scopes=record.scopes,
            auth_time=record.auth_time,
            # The successor keeps the family's expiry: rotation must not extend a session.
            expires_at=record.expires_at,
            now=now,
        )
    return new_token, origin_jti


async def _groups(conn: AsyncConnection, pool_id: str, user_id: int) -> list[GroupClaim]:
    found = await groups_of_user(conn, pool_id, user_id, after=None, limit=_MAX_GROUPS)
    return [
        GroupClaim(name=group.name, role_arn=group.role_arn, precedence=group.precedence)
        for group in found
    ]


def _event(
    ctx: Context,
    pool: Pool,
    client: Client,
    user: User,
    groups: Sequence[GroupClaim],
    origin_jti: str,
    now: datetime,
    *,
    auth_time: datetime,
    event_id: str | None = None,
) -> TokenEvent:
    return TokenEvent(
        issuer=issuer(ctx, pool.id),
        user=user,
        client_id=client.id,
        groups=groups,
        # Cognito adds origin_jti only for clients with token revocation enabled.
        origin_jti=origin_jti if client.is_token_revocation_enabled else None,
        event_id=event_id or str(uuid.uuid4()),
        auth_time=auth_time,
        now=now,
    )


async def _mint(
    ctx: Context,
    pool: Pool,
    trigger_source: str,
    client: Client,
    event: TokenEvent,
    *,
    scopes: Sequence[str],
    device_key: str | None,
    nonce: str | None = None,
) -> dict[str, Any]:
    """Sign the ID and access tokens of `event` (AuthenticationResultType, no RefreshToken)."""
    id_key, access_key = await key_ring(ctx).signing_keys(ctx, event.user.pool_id)
    id_claims = token_claims.id_token_claims(
        event,
        validity=client.id_token_validity,
        jti=str(uuid.uuid4()),
        readable=client.read_attributes,
    )
    if nonce is not None:
        id_claims["nonce"] = nonce
    # cognito-surface.md §7: tokens of a hosted-UI sign-in are the OAuth kind, with the
    # access token's `version` 2 and the ID token's `at_hash`.
    is_hosted = trigger_source == HOSTED_AUTH
    access_claims = token_claims.access_token_claims(
        event,
        validity=client.access_token_validity,
        jti=str(uuid.uuid4()),
        scopes=scopes,
        device_key=device_key,
        version=2 if is_hosted else None,
    )
    # After the caller's commit: the pool's function may change the claims (pre_token.py).
    changed = await pre_token.apply(
        ctx, pool=pool, user=event.user, client_id=client.id, groups=event.groups,
        claims=pre_token.TokenClaims(id_claims=id_claims, access_claims=access_claims,
                                     scopes=list(scopes)),
        trigger_source=trigger_source,
    )  # fmt: skip
    id_claims, access_claims = changed.id_claims, changed.access_claims
    # Measured: one RSA-2048 signature takes about 250 µs and releases the GIL, the hop about
    # 75 µs; signing both in one hop keeps the event loop free for other requests meanwhile.
    id_token, access_token = await cpu.run(
        _sign_pair, (id_key, id_claims), (access_key, access_claims), is_hosted
    )
    return {
        "AccessToken": access_token,
        "ExpiresIn": int(client.access_token_validity.total_seconds()),
        "TokenType": "Bearer",
        "IdToken": id_token,
    }


def _sign(key: SigningKey, claims: Mapping[str, Any]) -> str:
    signing_input = token_claims.signing_input(key.kid, claims)
    signature = key.private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input.decode()}.{token_claims.b64url(signature)}"


def _sign_pair(
    id_token: tuple[SigningKey, Mapping[str, Any]],
    access_token: tuple[SigningKey, Mapping[str, Any]],
    with_at_hash: bool,
) -> tuple[str, str]:
    """The signed ID and access tokens; the access token first, as `at_hash` hashes it."""
    signed_access = _sign(*access_token)
    id_key, id_claims = id_token
    if with_at_hash:
        id_claims = {"at_hash": token_claims.at_hash(signed_access), **id_claims}
    return _sign(id_key, id_claims), signed_access


async def issue_client_token(
    ctx: Context,
    pool: Pool,
    client: Client,
    scopes: Sequence[str],
    client_metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The access token of a client_credentials grant (RFC 6749 §4.4): no user, no ID or
    refresh token; `sub` is the client id (developer guide, "The token endpoint"). A V3_0
    PreTokenGeneration function may change it (pre_token.py), given `client_metadata`."""
    _id_key, access_key = await key_ring(ctx).signing_keys(ctx, pool.id)
    claims = token_claims.client_token_claims(
        issuer=issuer(ctx, pool.id),
        client_id=client.id,
        scopes=scopes,
        now=ctx.clock(),
        validity=client.access_token_validity,
        jti=str(uuid.uuid4()),
    )
    # No transaction is open here, as a trigger needs.
    claims = await pre_token.apply_client_credentials(
        ctx, pool=pool, client_id=client.id, access_claims=claims, scopes=scopes,
        client_metadata=client_metadata or {},
    )  # fmt: skip
    # One signature (~0.25 ms): inline costs less CPU than a worker-thread hand-off.
    access_token = _sign(access_key, claims)
    return {
        "access_token": access_token,
        "expires_in": int(client.access_token_validity.total_seconds()),
        "token_type": "Bearer",
    }
