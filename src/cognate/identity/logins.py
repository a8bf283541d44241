"""Verifying the Logins map of GetId, GetCredentialsForIdentity, GetOpenIdToken, UnlinkIdentity
and GetOpenIdTokenForDeveloperIdentity.

Developer guide, "Identity pools (federated identities) authentication flow": a user-pool
login is its ID token, checked like any JWT verifier would (signature by the user pool's key,
`iss` naming that pool, `token_use` "id", `aud` one of the app clients configured for that
provider, not expired). With ServerSideTokenCheck, the user must also still exist, be enabled
and not be signed out (the token not revoked). Messages are those observed from Cognito
(wave2-surface §2.2). Only user pools of this server are supported as providers: social, OIDC
and SAML providers are refused as unsupported. Our own OpenID tokens come back as
`cognito-identity.amazonaws.com`: such a login names its identity (`sub`) instead of being
linked to one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from cognate.context import Context
from cognate.domain.identity_pool import (
    IdentityPool,
    PresentedLogin,
    canonical_provider,
    user_pool_of_provider,
)
from cognate.errors import NotAuthorizedException
from cognate.identity.openid_tokens import COGNITO_IDENTITY_PROVIDER, verified_claims
from cognate.identity.resources import issuer_host
from cognate.store import tokens as token_store
from cognate.tokens.claims import decode_compact
from cognate.tokens.issue import issuer
from cognate.tokens.keys import key_ring

_NOT_A_TOKEN = "Invalid login token. Not a valid OpenId Connect identity token."  # noqa: S105 (an error message)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedLogin:
    """A login whose token verified: the canonical provider, the token's sub, client, claims."""

    provider: str
    subject: str
    client_id: str
    claims: Mapping[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the login: (provider, sub)."""
        return (self.provider, self.subject)

    @property
    def is_identity_token(self) -> bool:
        """Whether this is one of our own OpenID tokens: it names an identity (its subject)
        rather than a login linked to one."""
        return self.provider == COGNITO_IDENTITY_PROVIDER

    @property
    def is_authenticated(self) -> bool:
        """False only for an OpenID token issued to a guest identity."""
        methods = self.claims.get("amr")
        return not (self.is_identity_token and methods == ["unauthenticated"])

    def presented(self) -> PresentedLogin:
        """The login as role resolution sees it; user pools map as `{provider}:{clientId}`."""
        return PresentedLogin(mapping_key=f"{self.provider}:{self.client_id}", claims=self.claims)


async def verify_logins(
    ctx: Context, pool: IdentityPool, logins: Mapping[str, str]
) -> list[VerifiedLogin]:
    """Every login verified, one per (provider, sub) (both key forms name one provider);
    NotAuthorizedException at the first that fails."""
    verified: dict[tuple[str, str], VerifiedLogin] = {}
    for name, token in sorted(logins.items()):
        login = await _verify(ctx, pool, name, token)
        verified.setdefault(login.key, login)
    return list(verified.values())


async def _verify(ctx: Context, pool: IdentityPool, name: str, token: str) -> VerifiedLogin:
    if name == COGNITO_IDENTITY_PROVIDER:
        return await _verify_identity_token(ctx, pool, token)
    user_pool_id = user_pool_of_provider(name, region=ctx.region, issuer_host=issuer_host(ctx))
    providers = _configured(pool, ctx, user_pool_id)
    if user_pool_id is None or not providers:
        raise NotAuthorizedException(
            "Token is not from a supported provider of this identity pool."
        )
    claims = await _verified_claims(ctx, user_pool_id, token)
    provider = providers.get(str(claims.get("aud")))
    if provider is None:
        raise NotAuthorizedException("Invalid login token. Incorrect token audience.")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise NotAuthorizedException(_NOT_A_TOKEN)
    if provider.get("ServerSideTokenCheck"):
        await _check_server_side(ctx, user_pool_id, subject, claims)
    return VerifiedLogin(
        provider=canonical_provider(ctx.region, user_pool_id),
        subject=subject,
        client_id=str(claims["aud"]),
        claims=claims,
    )


async def _verify_identity_token(ctx: Context, pool: IdentityPool, token: str) -> VerifiedLogin:
    """One of our OpenID tokens (developer guide, "Developer-authenticated identities": the
    token of GetOpenIdTokenForDeveloperIdentity is presented to GetCredentialsForIdentity as
    `cognito-identity.amazonaws.com`); it must have been issued for this identity pool."""
    claims = await verified_claims(ctx, token)
    if claims is None:
        raise NotAuthorizedException(_NOT_A_TOKEN)
    if claims.get("aud") != pool.id:
        raise NotAuthorizedException("Invalid login token. Incorrect token audience.")
    return VerifiedLogin(
        provider=COGNITO_IDENTITY_PROVIDER,
        subject=str(claims["sub"]),
        client_id=pool.id,
        claims=claims,
    )


def _configured(
    pool: IdentityPool, ctx: Context, user_pool_id: str | None
) -> dict[str, Mapping[str, Any]]:
    """The pool's CognitoIdentityProviders entries for `user_pool_id`, by ClientId."""
    if user_pool_id is None:
        return {}
    host = issuer_host(ctx)
    return {
        str(entry.get("ClientId")): entry
        for entry in pool.config.get("CognitoIdentityProviders") or ()
        if user_pool_of_provider(str(entry.get("ProviderName", "")), region=ctx.region,
                                 issuer_host=host) == user_pool_id
    }  # fmt: skip


async def _verified_claims(ctx: Context, user_pool_id: str, token: str) -> Mapping[str, Any]:
    """The claims of a user-pool ID token whose signature, issuer, use and expiry check out.

    RFC 8725: the algorithm is fixed to RS256 and the kid looked up only among that pool's
    ID-token keys, so `none`, HS256 and access tokens are refused.
    """
    decoded = decode_compact(token)
    if decoded is None or decoded.header.get("alg") != "RS256":
        raise NotAuthorizedException(_NOT_A_TOKEN)
    claims = decoded.claims
    if claims.get("iss") != issuer(ctx, user_pool_id):
        raise NotAuthorizedException("Invalid login token. Issuer doesn't match providerName")
    kid = decoded.header.get("kid")
    key = (
        await key_ring(ctx).verification_key(ctx, user_pool_id, kid)
        if isinstance(kid, str)
        else None
    )
    if key is None or key.purpose != "id":
        raise NotAuthorizedException("Invalid login token. Couldn't verify signed token.")
    try:
        key.public_key.verify(
            decoded.signature, decoded.signing_input, padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature as exc:
        raise NotAuthorizedException("Invalid login token. Couldn't verify signed token.") from exc
    if claims.get("token_use") != "id":
        raise NotAuthorizedException(_NOT_A_TOKEN)
    exp, now = claims.get("exp"), int(ctx.clock().timestamp())
    if not isinstance(exp, int) or now >= exp:
        raise NotAuthorizedException(f"Invalid login token. Token expired: {now} >= {exp}")
    return claims


async def _check_server_side(
    ctx: Context, user_pool_id: str, subject: str, claims: Mapping[str, Any]
) -> None:
    """ServerSideTokenCheck: the user still exists, is enabled, and has not been signed out."""
    origin_jti = claims.get("origin_jti")
    async with ctx.store.read() as conn:
        found = await token_store.token_subject(
            conn, user_pool_id, subject, origin_jti if isinstance(origin_jti, str) else None
        )
    if found is None or not found.user.is_enabled:
        raise NotAuthorizedException("Invalid login token. User is disabled or does not exist.")
    valid_after, iat = found.user.tokens_valid_after, claims.get("iat")
    revoked = valid_after is not None and (
        not isinstance(iat, int) or iat < valid_after.timestamp()
    )
    if found.is_origin_revoked or revoked:
        raise NotAuthorizedException("Invalid login token. Token has been revoked.")
