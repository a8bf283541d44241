"""Identity provider operations: Create/Describe/Update/Delete/ListIdentityProviders and
GetIdentityProviderByIdentifier.

Developer guide, "Adding user pool sign-in through a third party": a pool's external providers
(SAML, OIDC, Google, Facebook, Login with Amazon, Sign in with Apple), named uniquely within the
pool, each with optional IdpIdentifiers unique within the pool. Only the configuration lives
here; federated sign-in (/oauth2/idpresponse, /saml2/idpresponse) is a separate piece.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain.identity_provider import (
    RESERVED_NAMES,
    SECRET_KEYS,
    attribute_mapping,
    check_name,
    described_details,
    described_mapping,
    idp_identifiers,
    provider_details,
    provider_type,
)
from cognate.domain.pagination import decode_token, encode_token
from cognate.domain.pool import Pool
from cognate.errors import (
    DuplicateProviderException,
    InvalidParameterException,
    ResourceNotFoundException,
    UnsupportedIdentityProviderException,
)
from cognate.idp import shapes
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.store import identity_providers as provider_store
from cognate.store.identity_providers import IdentityProvider

_MAX_PAGE = 60


def _type(provider: IdentityProvider) -> dict[str, Any]:
    """IdentityProviderType, as Describe shows it (filled-in details, no private_key)."""
    return {
        "UserPoolId": provider.pool_id,
        "ProviderName": provider.name,
        "ProviderType": provider.type.value,
        "ProviderDetails": described_details(provider.type, provider.details),
        "AttributeMapping": described_mapping(provider.type, provider.attribute_mapping),
        "IdpIdentifiers": list(provider.idp_identifiers),
        "LastModifiedDate": provider.updated_at,
        "CreationDate": provider.created_at,
    }


def _attribute_names(pool: Pool) -> list[str]:
    return [attribute["Name"] for attribute in pool.schema]


async def _require(
    ctx: Context, conn: AsyncConnection, pool_id: str, name: str
) -> IdentityProvider:
    provider = await provider_store.get_identity_provider(conn, ctx.secrets, pool_id, name)
    if provider is None:
        raise ResourceNotFoundException(f"Identity provider {name} does not exist.")
    return provider


@idp.operation("CreateIdentityProvider")
async def create_identity_provider(
    ctx: Context, req: shapes.CreateIdentityProviderRequest
) -> shapes.CreateIdentityProviderResponse:
    kind = provider_type(req["ProviderType"])
    name = req["ProviderName"]
    check_name(name, kind)
    details = provider_details(kind, req["ProviderDetails"])
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        provider = IdentityProvider(
            pool_id=pool.id,
            name=name,
            type=kind,
            details=details,
            attribute_mapping=attribute_mapping(
                req.get("AttributeMapping") or {}, _attribute_names(pool)
            ),
            idp_identifiers=tuple(
                idp_identifiers(
                    req.get("IdpIdentifiers") or [],
                    await provider_store.identifier_owners(conn, pool.id),
                    name=name,
                )
            ),
            created_at=now,
            updated_at=now,
        )
        if not await provider_store.insert_identity_provider(conn, ctx.secrets, provider):
            raise DuplicateProviderException(f"A provider with the name {name} already exists.")
    return cast(shapes.CreateIdentityProviderResponse, {"IdentityProvider": _type(provider)})


@idp.operation("DescribeIdentityProvider")
async def describe_identity_provider(
    ctx: Context, req: shapes.DescribeIdentityProviderRequest
) -> shapes.DescribeIdentityProviderResponse:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        provider = await _require(ctx, conn, pool.id, req["ProviderName"])
    return cast(shapes.DescribeIdentityProviderResponse, {"IdentityProvider": _type(provider)})


@idp.operation("UpdateIdentityProvider")
async def update_identity_provider(
    ctx: Context, req: shapes.UpdateIdentityProviderRequest
) -> shapes.UpdateIdentityProviderResponse:
    """Replace what the request gives; omitted members keep their values. Given
    ProviderDetails replace the stored ones, except that an omitted secret is kept."""
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        current = await _require(ctx, conn, pool.id, req["ProviderName"])
        updated = IdentityProvider(
            pool_id=pool.id,
            name=current.name,
            type=current.type,
            details=_updated_details(current, req.get("ProviderDetails")),
            attribute_mapping=(
                attribute_mapping(req["AttributeMapping"], _attribute_names(pool))
                if "AttributeMapping" in req
                else current.attribute_mapping
            ),
            idp_identifiers=(
                tuple(
                    idp_identifiers(
                        req["IdpIdentifiers"],
                        await provider_store.identifier_owners(conn, pool.id),
                        name=current.name,
                    )
                )
                if "IdpIdentifiers" in req
                else current.idp_identifiers
            ),
            created_at=current.created_at,
            updated_at=ctx.clock(),
        )
        await provider_store.update_identity_provider(conn, ctx.secrets, updated)
    return cast(shapes.UpdateIdentityProviderResponse, {"IdentityProvider": _type(updated)})


def _updated_details(current: IdentityProvider, requested: dict[str, str] | None) -> dict[str, str]:
    if requested is None:
        return dict(current.details)
    secrets = {key: value for key, value in current.details.items() if key in SECRET_KEYS}
    return provider_details(current.type, requested, stored_secrets=secrets)


@idp.operation("DeleteIdentityProvider")
async def delete_identity_provider(ctx: Context, req: shapes.DeleteIdentityProviderRequest) -> None:
    name = req["ProviderName"]
    if name in RESERVED_NAMES:
        raise UnsupportedIdentityProviderException(f"Provider {name} is not supported.")
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        await _require(ctx, conn, pool.id, name)
        await provider_store.delete_identity_provider(conn, pool.id, name)


@idp.operation("ListIdentityProviders")
async def list_identity_providers(
    ctx: Context, req: shapes.ListIdentityProvidersRequest
) -> shapes.ListIdentityProvidersResponse:
    limit = min(req.get("MaxResults") or _MAX_PAGE, _MAX_PAGE)
    token = req.get("NextToken")
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        after = decode_token(token, "identity-providers", pool.id) if token else None
        if after is not None and not isinstance(after, str):
            raise InvalidParameterException("Invalid pagination token.")
        found = await provider_store.list_identity_providers(
            conn, ctx.secrets, pool.id, after=after, limit=limit + 1
        )
    page = found[:limit]
    result: dict[str, Any] = {
        "Providers": [
            {
                "ProviderName": provider.name,
                "ProviderType": provider.type.value,
                "LastModifiedDate": provider.updated_at,
                "CreationDate": provider.created_at,
            }
            for provider in page
        ]
    }
    if len(found) > limit:
        result["NextToken"] = encode_token("identity-providers", pool.id, page[-1].name)
    return cast(shapes.ListIdentityProvidersResponse, result)


@idp.operation("GetIdentityProviderByIdentifier")
async def get_identity_provider_by_identifier(
    ctx: Context, req: shapes.GetIdentityProviderByIdentifierRequest
) -> shapes.GetIdentityProviderByIdentifierResponse:
    identifier = req["IdpIdentifier"]
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        owner = (await provider_store.identifier_owners(conn, pool.id)).get(identifier)
        provider = (
            await provider_store.get_identity_provider(conn, ctx.secrets, pool.id, owner)
            if owner is not None
            else None
        )
    if provider is None:
        raise ResourceNotFoundException(
            f"Identity provider with identifier {identifier} does not exist."
        )
    return cast(
        shapes.GetIdentityProviderByIdentifierResponse, {"IdentityProvider": _type(provider)}
    )
