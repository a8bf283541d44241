"""The relying-party side of OpenID Connect: an upstream provider's endpoints (from
ProviderDetails or its discovery document), the code exchange, ID-token verification and the
userInfo call.

OpenID Connect Core 1.0 §3.1.3 (token endpoint, ID token validation: signature from the
provider's JWKS, `iss` equal to the issuer, `aud` containing our client_id, `azp` when there are
several audiences, `exp`, and the `nonce` of the authorization request) and §5.3 (userInfo,
whose `sub` must equal the ID token's); OIDC Discovery 1.0 §4. Cognito's behaviour
(wave2-surface.md §1.2): the endpoints may be given explicitly or discovered from
`oidc_issuer`; the client authenticates with client_secret_post, and Cognate falls back to
client_secret_basic only for a provider whose discovery document does not offer post; the
userInfo call uses `attributes_request_method`; ID tokens may be RS*, PS*, ES* or HS* (HS*
keyed with the client secret). Every endpoint must be https, or http on loopback (SPEC).

Documents and key sets are cached per app (hung off the Store, like the key ring); a token
signed with a key id the cached set lacks refetches the JWKS once.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from joserfc import jws, jwt
from joserfc.errors import ClaimError, JoseError
from joserfc.jwk import KeySet, OctKey

from cognate.context import Context
from cognate.domain.identity_provider import ProviderType, described_details, is_allowed_url
from cognate.errors import OAuthError
from cognate.fetch import fetch
from cognate.store.identity_providers import IdentityProvider
from cognate.store.store import Store

_TIMEOUT = httpx.Timeout(5.0)
_DOCUMENT_SECONDS = 3600.0
_JWKS_SECONDS = 300.0
_LEEWAY_SECONDS = 60
_ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
_SYMMETRIC = ("HS256", "HS384", "HS512")
# Google's ID tokens name their issuer either way (wave2-surface.md §1.7).
_ISSUER_ALIASES = {"https://accounts.google.com": ("https://accounts.google.com",
                                                   "accounts.google.com")}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoints:
    """Where a provider's endpoints are and how its token endpoint wants to be called."""

    issuer: str | None
    authorization: str
    token: str
    userinfo: str | None
    jwks: str | None
    uses_basic_auth: bool = False


@dataclass
class _Cache:
    documents: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    key_sets: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)


_CACHES: weakref.WeakKeyDictionary[Store, _Cache] = weakref.WeakKeyDictionary()


def _cache(ctx: Context) -> _Cache:
    cache = _CACHES.get(ctx.store)
    if cache is None:
        cache = _CACHES[ctx.store] = _Cache()
    return cache


def upstream_error(description: str) -> OAuthError:
    """The error page's error for anything the provider got wrong."""
    return OAuthError("invalid_request", f"Sign-in through the provider failed: {description}")


async def _get_json(url: str, **options: Any) -> dict[str, Any]:
    if not is_allowed_url(url):
        raise upstream_error("the provider's endpoints must be https.")
    try:
        response = await fetch(options.pop("method", "GET"), url, deadlines=_TIMEOUT, **options)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise upstream_error(f"no valid answer from {url}.") from exc
    if not isinstance(body, dict):
        raise upstream_error(f"no valid answer from {url}.")
    if response.status_code != 200:
        reason = body.get("error") or response.status_code
        raise upstream_error(f"{url} answered {reason}.")
    return body


async def _cached(
    store: dict[str, tuple[float, dict[str, Any]]], url: str, max_age: float, *, fresh: bool
) -> dict[str, Any]:
    hit = store.get(url)
    if hit is not None and not fresh and time.monotonic() - hit[0] < max_age:
        return hit[1]
    body = await _get_json(url)
    store[url] = (time.monotonic(), body)
    return body


async def endpoints(ctx: Context, provider: IdentityProvider) -> Endpoints:
    """The provider's endpoints: explicit ProviderDetails (with the ones Cognito fills in for
    social types) first, then its discovery document. The attributes URL is taken only as
    configured: the filled-in social ones need their type's own request (still to come)."""
    details = {**described_details(provider.type, provider.details), **provider.details}
    issuer = details.get("oidc_issuer")
    document: Mapping[str, Any] = {}
    explicit = ("authorize_url", "token_url", "jwks_uri")
    if issuer and not all(details.get(key) for key in explicit):
        url = f"{issuer.rstrip('/')}/.well-known/openid-configuration"
        document = await _cached(_cache(ctx).documents, url, _DOCUMENT_SECONDS, fresh=False)
        if document.get("issuer") != issuer:
            raise upstream_error("the discovery document names another issuer.")
    authorization = details.get("authorize_url") or document.get("authorization_endpoint")
    token = details.get("token_url") or document.get("token_endpoint")
    if not isinstance(authorization, str) or not isinstance(token, str):
        raise upstream_error("the provider has no authorize or token endpoint.")
    # The browser is sent there: a discovered endpoint is held to SPEC's https rule too (the
    # others are checked when they are called).
    if not is_allowed_url(authorization):
        raise upstream_error("the provider's endpoints must be https.")
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_post"]
    userinfo = provider.details.get("attributes_url") or document.get("userinfo_endpoint")
    jwks = details.get("jwks_uri") or document.get("jwks_uri")
    return Endpoints(
        issuer=issuer,
        authorization=authorization,
        token=token,
        userinfo=userinfo if isinstance(userinfo, str) and userinfo else None,
        jwks=jwks if isinstance(jwks, str) else None,
        uses_basic_auth="client_secret_post" not in methods and "client_secret_basic" in methods,
    )


async def exchange_code(
    provider: IdentityProvider, found: Endpoints, *, code: str, redirect_uri: str, verifier: str
) -> dict[str, Any]:
    """The provider's token response for `code` (OIDC Core §3.1.3.1-3.1.3.3)."""
    details = provider.details
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": details["client_id"],
        "code_verifier": verifier,
    }
    options: dict[str, Any] = {"headers": {"Accept": "application/json"}}
    secret = details.get("client_secret", "")
    if found.uses_basic_auth:
        options["auth"] = httpx.BasicAuth(details["client_id"], secret)
    elif secret:
        form["client_secret"] = secret
    if details.get("token_request_method", "POST").upper() == "GET":
        return await _get_json(found.token, params=form, **options)
    return await _get_json(found.token, method="POST", data=form, **options)


async def _key_set(ctx: Context, jwks_uri: str, kid: str | None) -> KeySet:
    cache = _cache(ctx).key_sets
    body = await _cached(cache, jwks_uri, _JWKS_SECONDS, fresh=False)
    kids = {key.get("kid") for key in body.get("keys") or [] if isinstance(key, dict)}
    if kid is not None and kid not in kids:
        # A rotated key: look once more before refusing the token.
        body = await _cached(cache, jwks_uri, _JWKS_SECONDS, fresh=True)
    try:
        return KeySet.import_key_set(body)  # type: ignore[arg-type]  # checked by joserfc
    except (JoseError, ValueError, TypeError) as exc:
        raise upstream_error("the provider's JWKS is not valid.") from exc


def _header(id_token: str) -> dict[str, Any]:
    try:
        return dict(jws.extract_compact(id_token.encode()).headers())
    except (JoseError, ValueError, UnicodeError) as exc:
        raise upstream_error("the ID token is malformed.") from exc


async def verify_id_token(
    ctx: Context, provider: IdentityProvider, found: Endpoints, id_token: str, *, nonce: str
) -> dict[str, Any]:
    """The claims of a valid ID token (module docstring), else the error page's error."""
    header = _header(id_token)
    algorithm = header.get("alg")
    if algorithm in _SYMMETRIC:
        key: Any = OctKey.import_key(provider.details.get("client_secret", ""))
    elif algorithm in _ASYMMETRIC and found.jwks is not None:
        key = await _key_set(ctx, found.jwks, header.get("kid"))
    else:
        raise upstream_error("the ID token is not signed with an accepted algorithm.")
    try:
        token = jwt.decode(id_token, key, algorithms=[str(algorithm)])
    except (JoseError, ValueError) as exc:
        raise upstream_error("the ID token's signature is not valid.") from exc
    claims = dict(token.claims)
    _check_claims(provider, found, claims, nonce=nonce, now=int(ctx.clock().timestamp()))
    return claims


def _check_claims(
    provider: IdentityProvider,
    found: Endpoints,
    claims: dict[str, Any],
    *,
    nonce: str,
    now: int,
) -> None:
    client_id = provider.details["client_id"]
    issuers = _ISSUER_ALIASES.get(found.issuer or "", (found.issuer,) if found.issuer else ())
    options: dict[str, Any] = {
        "sub": {"essential": True},
        "aud": {"essential": True, "value": client_id},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    if issuers:
        options["iss"] = {"essential": True, "values": list(issuers)}
    if provider.type is not ProviderType.SIGN_IN_WITH_APPLE or "nonce" in claims:
        options["nonce"] = {"essential": True, "value": nonce}
    registry = jwt.JWTClaimsRegistry(now=now, leeway=_LEEWAY_SECONDS, **options)
    try:
        registry.validate(claims)
    except ClaimError as exc:
        raise upstream_error(f"the ID token is not valid ({exc.claim}).") from exc
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise upstream_error("the ID token is not valid (azp).")


async def user_info(
    provider: IdentityProvider, found: Endpoints, access_token: str, subject: str
) -> dict[str, Any]:
    """The provider's userInfo claims (OIDC Core §5.3), or {} when it has no such endpoint.
    A response about another subject is refused (§5.3.2)."""
    if found.userinfo is None or not access_token:
        return {}
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    if provider.details.get("attributes_request_method", "GET").upper() == "POST":
        claims = await _get_json(found.userinfo, method="POST", headers=headers, data={})
    else:
        claims = await _get_json(found.userinfo, headers=headers)
    if "sub" in claims and str(claims["sub"]) != subject:
        raise upstream_error("the userInfo answer is about another user.")
    return claims
