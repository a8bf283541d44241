"""Checking access tokens: what every operation authorised by an AccessToken calls.

The fast path is short on purpose: one in-memory key lookup, one RSA verification (about 20 us,
done inline, and skipped for a token already verified) and one indexed query.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from cognate.context import Context
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import NotAuthorizedException, UserNotFoundException
from cognate.store import tokens as token_store
from cognate.tokens import claims as token_claims
from cognate.tokens.claims import ADMIN_SCOPE
from cognate.tokens.keys import key_ring

# A signed iat this far ahead of our clock means a clock problem, not a token of ours.
_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessGrant:
    """A verified, unrevoked access token: its pool, user, client, claims and scopes."""

    pool: Pool
    user: User
    client_id: str
    claims: Mapping[str, Any]
    scopes: frozenset[str]


def require_scope(grant: AccessGrant, scope: str = ADMIN_SCOPE) -> None:
    """Raise Cognito's NotAuthorizedException unless the access token carries `scope`."""
    if scope not in grant.scopes:
        raise NotAuthorizedException("Access Token does not have required scopes")


async def authenticate_access_token(ctx: Context, access_token: str) -> AccessGrant:
    """The grant of a valid access token of this server, else NotAuthorizedException.

    RFC 8725 rules: the algorithm is fixed to RS256 whatever the header claims (so `none` and
    HS256-with-the-public-key fail), the kid is looked up only among the issuer pool's keys in
    memory, `iss` must be this server's issuer of that pool and `token_use` "access" (an ID
    token signed with the ID key is refused too). Then the store: the user must exist and be
    enabled, the token must be issued no earlier than the user's last GlobalSignOut (to the
    second), and its origin refresh token must not be revoked.
    """
    pool_id, claims = await _verified(ctx, access_token)
    subject = await _subject(ctx, pool_id, claims)
    return AccessGrant(
        pool=subject.pool,
        user=subject.user,
        client_id=str(claims.get("client_id", "")),
        claims=claims,
        scopes=frozenset(str(claims.get("scope", "")).split()),
    )


@dataclass(frozen=True, slots=True)
class _Verified:
    pool_id: str
    kid: str
    claims: Mapping[str, Any]


_VERIFIED_MAX = 4096
"""How many verified access tokens a key ring remembers (KeyRing.verified_tokens)."""


async def _verified(ctx: Context, access_token: str) -> tuple[str, Mapping[str, Any]]:
    """The pool and claims of `access_token` if one of the issuer pool's access keys signed
    it, else NotAuthorizedException.

    A client presents the same token on every call for up to its validity (an hour by
    default), and decoding and verifying it again cost ~35 us of a GetUser's ~200, so the key
    ring remembers tokens it verified, oldest first. Keyed by the whole token, a hit is the
    same signed bytes; everything else (the key still usable, issuer, expiry, user,
    revocation) is checked on every call.
    """
    ring = key_ring(ctx)
    seen: _Verified | None = ring.verified_tokens.get(access_token)
    if seen is not None and _pool_of_issuer(ctx, seen.claims.get("iss")) == seen.pool_id:
        key = await ring.verification_key(ctx, seen.pool_id, seen.kid)
        if key is not None and key.purpose == "access":
            return seen.pool_id, seen.claims
    token = token_claims.decode_compact(access_token)
    if token is None or token.header.get("alg") != "RS256":
        raise NotAuthorizedException("Invalid Access Token")
    claims = MappingProxyType(token.claims)
    kid, pool_id = token.header.get("kid"), _pool_of_issuer(ctx, claims.get("iss"))
    if not isinstance(kid, str) or pool_id is None:
        raise NotAuthorizedException("Invalid Access Token")
    key = await ring.verification_key(ctx, pool_id, kid)
    if key is None or key.purpose != "access":
        raise NotAuthorizedException("Invalid Access Token")
    try:
        key.public_key.verify(
            token.signature, token.signing_input, padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature as exc:
        raise NotAuthorizedException("Invalid Access Token") from exc
    if len(ring.verified_tokens) >= _VERIFIED_MAX:
        del ring.verified_tokens[next(iter(ring.verified_tokens))]
    ring.verified_tokens[access_token] = _Verified(pool_id, kid, claims)
    return pool_id, claims


def _pool_of_issuer(ctx: Context, iss: object) -> str | None:
    prefix = ctx.base_url + "/"
    if not isinstance(iss, str) or not iss.startswith(prefix):
        return None
    pool_id = iss[len(prefix) :]
    return pool_id if pool_id and "/" not in pool_id and len(pool_id) <= 55 else None


async def _subject(
    ctx: Context, pool_id: str, claims: Mapping[str, Any]
) -> token_store.TokenSubject:
    """Check the claims that need no store, then the user and revocation state."""
    now = ctx.clock()
    exp, iat, sub, origin_jti = (claims.get(name) for name in ("exp", "iat", "sub", "origin_jti"))
    if (
        claims.get("token_use") != "access"
        or not isinstance(sub, str)
        or not isinstance(exp, int)
        or not isinstance(iat, int)
        or not isinstance(origin_jti, str | None)
    ):
        raise NotAuthorizedException("Invalid Access Token")
    if now.timestamp() >= exp:
        raise NotAuthorizedException("Access Token has expired")
    if iat > (now + _CLOCK_SKEW).timestamp():
        raise NotAuthorizedException("Invalid Access Token")
    async with ctx.store.read() as conn:
        subject = await token_store.token_subject(conn, pool_id, sub, origin_jti)
    if subject is None:
        raise UserNotFoundException("User does not exist.")
    if not subject.user.is_enabled:
        raise NotAuthorizedException("User is disabled.")
    valid_after = subject.user.tokens_valid_after
    if subject.is_origin_revoked or (valid_after is not None and iat < valid_after.timestamp()):
        raise NotAuthorizedException("Access Token has been revoked")
    return subject
