"""The OpenID tokens of GetOpenIdToken and GetOpenIdTokenForDeveloperIdentity: RS256 JWTs
about an identity, signed with a key of this server, and their verification when an identity
presents one back under the Logins key `cognito-identity.amazonaws.com`.

Developer guide, "Identity pools (federated identities) authentication flow" (basic flow):
Cognito's OpenID token says `sub` = IdentityId, `aud` = IdentityPoolId and `amr` =
["authenticated", provider, "{provider}:…:{sub}"] or ["unauthenticated"], and lives 10 minutes
(wave2-surface §2.3). Ours are issued by `{base_url}` instead of
`https://cognito-identity.amazonaws.com`: they are meant for whatever trusts this server, and
real STS would refuse them anyway.

One key signs for the whole server. It is created on first use, race-safe across processes the
way tokens/keys.py does it: every process inserts if it finds none and then signs with the
oldest stored key, so all agree; a key that lost the race is never used.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from cognate.context import Context
from cognate.store import identity_keys as key_store
from cognate.store.store import Store
from cognate.tokens.claims import b64url, decode_compact, signing_input
from cognate.tokens.keys import thumbprint_kid

SECRET_PURPOSE = "identity-signing-key"  # noqa: S105 (a SecretBox purpose label, not a secret)
TOKEN_VALIDITY = timedelta(minutes=10)
_TAGS_CLAIM = "https://aws.amazon.com/tags"


@dataclass(frozen=True, slots=True)
class _Key:
    kid: str
    private_key: rsa.RSAPrivateKey


_KEYS: weakref.WeakKeyDictionary[Store, _Key] = weakref.WeakKeyDictionary()


def _decrypt(ctx: Context, stored: key_store.StoredIdentityKey) -> _Key:
    pem = ctx.secrets.decrypt(stored.private_key, SECRET_PURPOSE)
    private_key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):  # pragma: no cover (we store RSA)
        raise TypeError(f"identity signing key {stored.kid} is not an RSA key")
    return _Key(stored.kid, private_key)


def _new_key(ctx: Context) -> tuple[str, bytes]:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return thumbprint_kid(private_key.public_key()), ctx.secrets.encrypt(pem, SECRET_PURPOSE)


async def _signing_key(ctx: Context) -> _Key:
    cached = _KEYS.get(ctx.store)
    if cached is not None:
        return cached
    async with ctx.store.read() as conn:
        stored = await key_store.identity_keys(conn)
    if not stored:
        kid, ciphertext = await anyio.to_thread.run_sync(_new_key, ctx)
        async with ctx.store.begin() as conn:
            await key_store.insert_identity_key(
                conn, kid=kid, private_key=ciphertext, now=ctx.clock()
            )
            stored = await key_store.identity_keys(conn)
    key = _KEYS[ctx.store] = await anyio.to_thread.run_sync(_decrypt, ctx, stored[0])
    return key


def _sign(key: _Key, claims: Mapping[str, Any]) -> str:
    message = signing_input(key.kid, claims)
    signature = key.private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return f"{message.decode()}.{b64url(signature)}"


COGNITO_IDENTITY_PROVIDER = "cognito-identity.amazonaws.com"
"""The Logins key under which an identity presents one of these tokens back to us."""


def amr(logins: Sequence[tuple[str, str]], pool_id: str) -> list[str]:
    """The `amr` claim: how the identity authenticated, as Cognito writes it.

    A user-pool login reads `{provider}:CognitoSignIn:{sub}`; a developer login
    `{developerProviderName}:{identityPoolId}:{developerUserIdentifier}`.
    """
    if not logins:
        return ["unauthenticated"]
    providers = sorted({provider for provider, _ in logins})
    return [
        "authenticated",
        *providers,
        *(
            f"{provider}:CognitoSignIn:{subject}"
            if provider.startswith("cognito-idp.")
            else f"{provider}:{pool_id}:{subject}"
            for provider, subject in sorted(logins)
        ),
    ]


async def open_id_token(
    ctx: Context,
    *,
    identity_id: str,
    pool_id: str,
    logins: Sequence[tuple[str, str]],
    validity: timedelta = TOKEN_VALIDITY,
    principal_tags: Mapping[str, str] | None = None,
) -> str:
    """A signed OpenID token for the identity, valid `validity`.

    PrincipalTags (GetOpenIdTokenForDeveloperIdentity) travel as STS session tags do in a web
    identity token: `https://aws.amazon.com/tags` {"principal_tags": {key: [value]}}.
    """
    key = await _signing_key(ctx)
    now = int(ctx.clock().timestamp())
    claims: dict[str, Any] = {
        "iss": ctx.base_url,
        "sub": identity_id,
        "aud": pool_id,
        "amr": amr(logins, pool_id),
        "iat": now,
        "exp": now + int(validity.total_seconds()),
    }
    if principal_tags:
        claims[_TAGS_CLAIM] = {
            "principal_tags": {name: [value] for name, value in sorted(principal_tags.items())}
        }
    return await anyio.to_thread.run_sync(_sign, key, claims)


async def _verification_key(ctx: Context, kid: str) -> rsa.RSAPublicKey | None:
    cached = _KEYS.get(ctx.store)
    if cached is not None and cached.kid == kid:
        return cached.private_key.public_key()
    async with ctx.store.read() as conn:
        stored = [key for key in await key_store.identity_keys(conn) if key.kid == kid]
    if not stored:
        return None
    key = await anyio.to_thread.run_sync(_decrypt, ctx, stored[0])
    return key.private_key.public_key()


async def verified_claims(ctx: Context, token: str) -> Mapping[str, Any] | None:
    """The claims of one of our OpenID tokens if its signature, issuer and expiry check out,
    else None. RFC 8725: RS256 only, and the kid looked up among our identity keys alone."""
    decoded = decode_compact(token)
    if decoded is None or decoded.header.get("alg") != "RS256":
        return None
    kid = decoded.header.get("kid")
    public_key = await _verification_key(ctx, kid) if isinstance(kid, str) else None
    if public_key is None:
        return None
    try:
        public_key.verify(
            decoded.signature, decoded.signing_input, padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        return None
    claims = decoded.claims
    exp = claims.get("exp")
    if claims.get("iss") != ctx.base_url or not isinstance(exp, int):
        return None
    if int(ctx.clock().timestamp()) >= exp or not isinstance(claims.get("sub"), str):
        return None
    return claims
