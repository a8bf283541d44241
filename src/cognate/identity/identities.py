"""Identity records: DescribeIdentity, ListIdentities, DeleteIdentities, UnlinkIdentity.

Developer guide, "Identity pools (federated identities) authentication flow". An identity
lists its providers by their canonical names (`cognito-idp.{region}.amazonaws.com/{poolId}`)
whichever Logins key form linked them, and developer logins by DeveloperProviderName.
MergeDeveloperIdentities deletes the merged identity rather than disabling it, so none is ever
disabled and HideDisabled changes nothing.
"""

from __future__ import annotations

from typing import Any, cast

from cognate.context import Context
from cognate.domain.identity_pool import canonical_provider, user_pool_of_provider
from cognate.domain.pagination import decode_token, encode_token
from cognate.errors import InvalidParameterException, NotAuthorizedException
from cognate.identity import shapes
from cognate.identity.logins import verify_logins
from cognate.identity.registry import identity
from cognate.identity.resources import (
    issuer_host,
    require_identity,
    require_identity_and_pool,
    require_pool,
)
from cognate.store import identities as identity_store
from cognate.store.identities import Identity

_LISTING = "identities"


def _description(found: Identity) -> dict[str, Any]:
    """IdentityDescription."""
    return {
        "IdentityId": found.id,
        "Logins": found.providers,
        "CreationDate": found.created_at,
        "LastModifiedDate": found.updated_at,
    }


@identity.operation("DescribeIdentity")
async def describe_identity(
    ctx: Context, req: shapes.DescribeIdentityInput
) -> shapes.IdentityDescription:
    async with ctx.store.read() as conn:
        found = await require_identity(conn, req["IdentityId"])
    return cast(shapes.IdentityDescription, _description(found))


@identity.operation("ListIdentities")
async def list_identities(
    ctx: Context, req: shapes.ListIdentitiesInput
) -> shapes.ListIdentitiesResponse:
    limit = req["MaxResults"]
    token = req.get("NextToken")
    after = decode_token(token, _LISTING, req["IdentityPoolId"]) if token else None
    if after is not None and not isinstance(after, str):
        raise InvalidParameterException("Invalid pagination token.")
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["IdentityPoolId"])
        found = await identity_store.list_identities(conn, pool.id, after=after, limit=limit + 1)
    page = found[:limit]
    result: dict[str, Any] = {
        "IdentityPoolId": pool.id,
        "Identities": [_description(item) for item in page],
    }
    if len(found) > limit:
        result["NextToken"] = encode_token(_LISTING, pool.id, page[-1].id)
    return cast(shapes.ListIdentitiesResponse, result)


@identity.operation("DeleteIdentities")
async def delete_identities(
    ctx: Context, req: shapes.DeleteIdentitiesInput
) -> shapes.DeleteIdentitiesResponse:
    """Delete what exists; unknown ids come back unprocessed rather than failing the call."""
    unprocessed = []
    async with ctx.store.begin() as conn:
        for identity_id in req["IdentityIdsToDelete"]:
            if not await identity_store.delete_identity(conn, identity_id):
                unprocessed.append({"IdentityId": identity_id, "ErrorCode": "AccessDenied"})
    return cast(shapes.DeleteIdentitiesResponse, {"UnprocessedIdentityIds": unprocessed})


@identity.operation("UnlinkIdentity")
async def unlink_identity(ctx: Context, req: shapes.UnlinkIdentityInput) -> None:
    """Remove providers from an identity; the Logins must prove control of it first."""
    found, pool = await require_identity_and_pool(ctx, req["IdentityId"])
    verified = await verify_logins(ctx, pool, req["Logins"])
    if not any(login.key in found.logins for login in verified):
        raise NotAuthorizedException(
            "Logins don't match. Please include at least one valid login for this identity "
            "or identity pool."
        )
    host = issuer_host(ctx)
    async with ctx.store.begin() as conn:
        for name in req["LoginsToRemove"]:
            user_pool_id = user_pool_of_provider(name, region=ctx.region, issuer_host=host)
            provider = canonical_provider(ctx.region, user_pool_id) if user_pool_id else name
            await identity_store.unlink_provider(conn, found.id, provider, now=ctx.clock())
