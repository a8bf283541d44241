"""Attributes for access control: Set/GetPrincipalTagAttributeMap.

Developer guide, "Using attributes for access control": per identity pool and provider, a map
from principal tag key to the token claim whose value it takes, or the provider's default map
(UseDefaults). The defaults are those of that page's "Default provider mappings" table (for a
user pool, `username` <- `sub` and `client` <- `aud`); OIDC and SAML providers have none.
A provider never set has attributes for access control off: UseDefaults false, no tags. The
two Logins key forms of one user pool name one provider here too. Cognate stores and echoes
the map; its credentials carry no session tags, so nothing else reads it.
"""

from __future__ import annotations

from typing import Any, cast

from cognate.context import Context
from cognate.domain.identity_pool import canonical_provider, user_pool_of_provider
from cognate.identity import shapes
from cognate.identity.registry import identity
from cognate.identity.resources import issuer_host, require_pool
from cognate.store import principal_tags as tag_store
from cognate.store.principal_tags import PrincipalTagMap

_DEFAULTS: dict[str, dict[str, str]] = {
    "graph.facebook.com": {"app_id": "aud", "user_id": "sub"},
    "accounts.google.com": {"client": "aud", "user_id": "sub"},
    "www.amazon.com": {"client": "aud", "user_id": "user_id"},
    "appleid.apple.com": {"client": "aud", "user_id": "sub"},
}
_USER_POOL_DEFAULTS = {"client": "aud", "username": "sub"}


def _canonical(ctx: Context, name: str) -> str:
    user_pool_id = user_pool_of_provider(name, region=ctx.region, issuer_host=issuer_host(ctx))
    return canonical_provider(ctx.region, user_pool_id) if user_pool_id else name


def default_principal_tags(provider: str) -> dict[str, str]:
    """The provider's default map (tag key -> claim), given its canonical name."""
    if provider.startswith("cognito-idp."):
        return dict(_USER_POOL_DEFAULTS)
    return dict(_DEFAULTS.get(provider, {}))


def _wire(pool_id: str, name: str, provider: str, stored: PrincipalTagMap | None) -> Any:
    tags = (
        default_principal_tags(provider)
        if stored is not None and stored.use_defaults
        else dict(stored.principal_tags if stored else {})
    )
    result: dict[str, Any] = {
        "IdentityPoolId": pool_id,
        "IdentityProviderName": name,
        "UseDefaults": bool(stored and stored.use_defaults),
    }
    if tags:
        result["PrincipalTags"] = tags
    return result


@identity.operation("SetPrincipalTagAttributeMap")
async def set_principal_tag_attribute_map(
    ctx: Context, req: shapes.SetPrincipalTagAttributeMapInput
) -> shapes.SetPrincipalTagAttributeMapResponse:
    """Replace the map; UseDefaults selects the provider's defaults instead of PrincipalTags."""
    name = req["IdentityProviderName"]
    provider = _canonical(ctx, name)
    use_defaults = bool(req.get("UseDefaults"))
    stored = PrincipalTagMap(
        use_defaults=use_defaults,
        principal_tags={} if use_defaults else dict(req.get("PrincipalTags") or {}),
    )
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["IdentityPoolId"])
        await tag_store.set_principal_tags(conn, pool.id, provider, stored, now=ctx.clock())
    return cast(shapes.SetPrincipalTagAttributeMapResponse, _wire(pool.id, name, provider, stored))


@identity.operation("GetPrincipalTagAttributeMap")
async def get_principal_tag_attribute_map(
    ctx: Context, req: shapes.GetPrincipalTagAttributeMapInput
) -> shapes.GetPrincipalTagAttributeMapResponse:
    name = req["IdentityProviderName"]
    provider = _canonical(ctx, name)
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["IdentityPoolId"])
        stored = await tag_store.get_principal_tags(conn, pool.id, provider)
    return cast(shapes.GetPrincipalTagAttributeMapResponse, _wire(pool.id, name, provider, stored))
