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
    ENCRYPTION_CERTIFICATE_KEY,
    RESERVED_NAMES,
    SECRET_KEYS,
    ProviderType,
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
from cognate.domain.saml_metadata import described_keys
from cognate.errors import (
    DuplicateProviderException,
    InvalidParameterException,
    ResourceNotFoundException,
    UnsupportedIdentityProviderException,
)
from cognate.idp import shapes
from cognate.idp.pools import create_signing_certificate
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.idp.saml_metadata import provider_metadata
from cognate.store import identity_providers as provider_store
from cognate.store import keys as key_store
from cognate.store.identity_providers import IdentityProvider

_MAX_PAGE = 60


def _type(provider: IdentityProvider, *, encryption_certificate: str | None) -> dict[str, Any]:
    """IdentityProviderType, as Describe shows it (filled-in details, no private_key; a SAML
    provider with EncryptedResponses shows the pool's `encryption_certificate`)."""
    details = described_details(provider.type, provider.details)
    if encryption_certificate is not None and _encrypts(provider):
        details[ENCRYPTION_CERTIFICATE_KEY] = encryption_certificate
    return {
        "UserPoolId": provider.pool_id,
        "ProviderName": provider.name,
        "ProviderType": provider.type.value,
        "ProviderDetails": details,
        "AttributeMapping": described_mapping(provider.type, provider.attribute_mapping),
        "IdpIdentifiers": list(provider.idp_identifiers),
        "LastModifiedDate": provider.updated_at,
        "CreationDate": provider.created_at,
    }


def _encrypts(provider: IdentityProvider) -> bool:
    return (
        provider.type is ProviderType.SAML
        and provider.details.get("EncryptedResponses", "false").lower() == "true"
    )


async def _shown(ctx: Context, conn: AsyncConnection, provider: IdentityProvider) -> dict[str, Any]:
    """`_type`, reading the pool's SAML certificate when the provider shows it."""
    certificate = (
        await key_store.current_certificate(conn, provider.pool_id, "saml")
        if _encrypts(provider)
        else None
    )
    return _type(provider, encryption_certificate=certificate)


async def _with_metadata(ctx: Context, pool_id: str, kind: ProviderType,
                         details: dict[str, str]) -> dict[str, str]:  # fmt: skip
    """A SAML provider's `details` checked against its metadata (fetched now from
    MetadataURL) plus the keys Cognito reads from it; with EncryptedResponses, the pool's
    certificate exists afterwards. Other types' details are returned as they are."""
    if kind is not ProviderType.SAML:
        return details
    found = await provider_metadata(ctx, details, fresh=True)
    if details.get("EncryptedResponses") == "true":
        await create_signing_certificate(ctx, pool_id)
    return {**details, **described_keys(found)}


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
    async with ctx.store.read() as conn:
        await require_pool(conn, req["UserPoolId"])
    details = await _with_metadata(ctx, req["UserPoolId"], kind, details)
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
        shown = await _shown(ctx, conn, provider)
    return cast(shapes.CreateIdentityProviderResponse, {"IdentityProvider": shown})


@idp.operation("DescribeIdentityProvider")
async def describe_identity_provider(
    ctx: Context, req: shapes.DescribeIdentityProviderRequest
) -> shapes.DescribeIdentityProviderResponse:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        provider = await _require(ctx, conn, pool.id, req["ProviderName"])
        shown = await _shown(ctx, conn, provider)
    return cast(shapes.DescribeIdentityProviderResponse, {"IdentityProvider": shown})


@idp.operation("UpdateIdentityProvider")
async def update_identity_provider(
    ctx: Context, req: shapes.UpdateIdentityProviderRequest
) -> shapes.UpdateIdentityProviderResponse:
    """Replace what the request gives; omitted members keep their values. Given
    ProviderDetails replace the stored ones, except that an omitted secret is kept; a SAML
    provider's metadata is read again then (outside the transaction: it may be fetched)."""
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        before = await _require(ctx, conn, pool.id, req["ProviderName"])
    details: dict[str, str] | None = None
    if req.get("ProviderDetails") is not None:
        details = await _with_metadata(
            ctx, pool.id, before.type, _updated_details(before, req.get("ProviderDetails"))
        )
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        current = await _require(ctx, conn, pool.id, req["ProviderName"])
        updated = IdentityProvider(
            pool_id=pool.id,
            name=current.name,
            type=current.type,
            details=details if details is not None else dict(current.details),
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
        shown = await _shown(ctx, conn, updated)
    return cast(shapes.UpdateIdentityProviderResponse, {"IdentityProvider": shown})


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
        shown = await _shown(ctx, conn, provider)
    return cast(shapes.GetIdentityProviderByIdentifierResponse, {"IdentityProvider": shown})
